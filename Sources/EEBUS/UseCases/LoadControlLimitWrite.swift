#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// One writable load control limit as the station keeps it (`loadControlLimitData`, EEBUS SPINE TS resource
/// specification 1.3.0, LoadControl): active or not, its value in the description's unit, and its end.
public struct LoadControlLimitEntry: Sendable, Equatable, Codable {
    public var isActive: Bool
    public var value: Double?
    public var endTime: Date?
    public init(isActive: Bool = false, value: Double? = nil, endTime: Date? = nil) {
        self.isActive = isActive
        self.value = value
        self.endTime = endTime
    }
}

/// The rules of one limit a client may write: what it is called in a refusal, its unit and allowed values.
struct LoadControlLimitRule {
    var name: String
    var unit: String
    var range: ClosedRange<Double>
}

/// Applies a write of `loadControlLimitListData` to a set of limits with fixed ids (their descriptions define them),
/// strictly: every item and filter is checked before anything changes, so a refused write leaves all as it was.
///
/// - A full write (no filter) replaces each listed limit as a whole: absent fields take their defaults (inactive,
///   no value, no end). A limit that is not listed keeps its data: the list is fixed by the descriptions, and a
///   client cannot delete a limit of the server's (SPINE TS §5.3.4).
/// - A `partial` filter merges the listed fields into the limits with the same `limitId`.
/// - A `delete` filter (`loadControlLimitListDataSelectors` limitId, `loadControlLimitDataElements`) removes
///   `timePeriod` (the limit no longer ends), `value` or `isLimitActive` (the limit is deactivated), or without
///   elements resets the whole limit; it runs before the data of the same command is merged (as eebus-go's energy
///   guard sends "delete the time period, then the new limit" in one command).
/// - `isLimitChangeable` is the server's: a client's value is ignored. A `timePeriod.startTime` must not lie in
///   the future (the station keeps no schedule), `endTime` is an absolute time or a duration from now.
/// - An active limit needs a value; values outside the rule's range are refused, naming the limit and the range.
func applyLimitWrite(_ request: SPINEWriteRequest, to limits: [Int: LoadControlLimitEntry],
                     rules: [Int: LoadControlLimitRule], now: Date) throws(SPINEValueCoding.Refusal) -> [Int: LoadControlLimitEntry] {
    let filters = try UseCaseWriteFilters(request.filters, selectorsKey: "loadControlLimitListDataSelectors",
                                        elementsKey: "loadControlLimitDataElements")
    var result = limits
    let known = rules.keys.sorted().map(String.init).joined(separator: ", ")
    for (i, delete) in filters.deletes.enumerated() {
        let field = "filter[\(i)]"
        var ids = Set(rules.keys)
        if let selectors = delete.selectors {
            for key in selectors.keys where key != "limitId" {
                throw SPINEValueCoding.Refusal("\(field).loadControlLimitListDataSelectors.\(key) is not supported (allowed: limitId)")
            }
            if selectors["limitId"] != nil {
                let id = try SPINEValueCoding.integer(selectors["limitId"], field: "\(field).loadControlLimitListDataSelectors.limitId")
                guard rules[id] != nil else {
                    throw SPINEValueCoding.Refusal("\(field).loadControlLimitListDataSelectors.limitId \(id) is unknown (known: \(known))")
                }
                ids = [id]
            }
        }
        for id in ids {
            var entry = result[id] ?? LoadControlLimitEntry()
            guard let elements = delete.elements else {
                result[id] = LoadControlLimitEntry()
                continue
            }
            for key in elements.keys {
                switch key {
                case "timePeriod": entry.endTime = nil
                case "value": entry.value = nil; entry.isActive = false
                case "isLimitActive": entry.isActive = false
                default:
                    throw SPINEValueCoding.Refusal("\(field).loadControlLimitDataElements.\(key) cannot be deleted (allowed: timePeriod, value, isLimitActive)")
                }
            }
            result[id] = entry
        }
    }
    let items = try SPINEValueCoding.list(request.data, function: request.function, listKey: "loadControlLimitData")
    var seen = Set<Int>()
    for (i, item) in items.enumerated() {
        let field = "loadControlLimitData[\(i)]"
        let id = try SPINEValueCoding.integer(item["limitId"], field: "\(field).limitId")
        guard let rule = rules[id] else { throw SPINEValueCoding.Refusal("\(field).limitId \(id) is unknown (known: \(known))") }
        guard seen.insert(id).inserted else { throw SPINEValueCoding.Refusal("\(field).limitId \(id) is listed twice") }
        var entry = filters.partial ? (result[id] ?? LoadControlLimitEntry()) : LoadControlLimitEntry()
        for key in item.keys {
            switch key {
            case "limitId": break
            case "isLimitChangeable": _ = try SPINEValueCoding.bool(item[key], field: "\(field).isLimitChangeable")
            case "isLimitActive": entry.isActive = try SPINEValueCoding.bool(item[key], field: "\(field).isLimitActive")
            case "value":
                let value = try SPINEValueCoding.scaledNumber(item[key], field: "\(field).value")
                guard rule.range.contains(value) else {
                    throw SPINEValueCoding.Refusal("\(field).value \(SPINEValueCoding.text(value)) \(rule.unit) is outside \(SPINEValueCoding.text(rule.range.lowerBound))…\(SPINEValueCoding.text(rule.range.upperBound)) \(rule.unit) (limitId \(id), \(rule.name))")
                }
                entry.value = value
            case "timePeriod":
                let period = try SPINEValueCoding.object(item[key], field: "\(field).timePeriod")
                for member in period.keys where member != "startTime" && member != "endTime" {
                    throw SPINEValueCoding.Refusal("\(field).timePeriod.\(member) is not a member of a time period (allowed: startTime, endTime)")
                }
                if period["startTime"] != nil {
                    let start = try SPINEValueCoding.time(period["startTime"], field: "\(field).timePeriod.startTime", now: now)
                    guard start <= now else {
                        throw SPINEValueCoding.Refusal("\(field).timePeriod.startTime lies in the future; a limit applies from its receipt")
                    }
                }
                if period["endTime"] != nil {
                    let end = try SPINEValueCoding.time(period["endTime"], field: "\(field).timePeriod.endTime", now: now)
                    guard end > now else { throw SPINEValueCoding.Refusal("\(field).timePeriod.endTime must lie in the future") }
                    entry.endTime = end
                } else if !filters.partial {
                    entry.endTime = nil
                }
            default:
                throw SPINEValueCoding.Refusal("\(field).\(key) is not a member of loadControlLimitData (allowed: limitId, isLimitChangeable, isLimitActive, timePeriod, value)")
            }
        }
        if entry.isActive && entry.value == nil {
            throw SPINEValueCoding.Refusal("\(field).value is required for an active limit (limitId \(id), \(rule.name))")
        }
        result[id] = entry
    }
    return result
}

extension LoadControlLimitEntry {
    /// The limit as `loadControlLimitData` (plain form); a missing value reads as `fallbackValue`.
    func spineData(limitId: Int, fallbackValue: Double) -> JSONObject {
        var object: JSONObject = ["limitId": .integer(Int64(limitId)), "isLimitChangeable": .bool(true), "isLimitActive": .bool(isActive)]
        if let endTime { object["timePeriod"] = .object(["endTime": .string(OCPPDate.format(endTime))]) }
        object["value"] = SPINEValueCoding.scaled(value ?? fallbackValue)
        return object
    }

    /// The limit's end has passed: it is no longer active and no longer ends.
    mutating func expire(now: Date) -> Bool {
        guard let endTime, now >= endTime else { return false }
        self.endTime = nil
        isActive = false
        return true
    }
}
