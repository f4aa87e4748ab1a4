#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import ModbusTCP
import OCPP16

/// Registers 1…6 (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR): the BMS sets the gateway's clock (seeds/003 §2.3.1.1,
/// Appendix 1 SEQ_SyncDateTime, Appendix 2 "BMS Communication & Time sync").
///
/// The seed: "these registers must be written in the gateway within 15 seconds time in between writing commands; after
/// this time the gateway will take this actual registers as valid and update its internal clock. Note that all time
/// registers must be written, partial dates are not valid." So:
///
/// - each write starts the 15 s window again; once 15 s pass without a write, the gateway takes the date if all six
///   registers were written since the last date was taken, and discards it (with a warning) if not;
/// - the date is the time at the BMS's last write: the clock is set to it plus the time since that write;
/// - the registers are in the BMS's time zone (``GatewaySettings/bmsTimeZone``; BMS clocks often run on local time),
///   for writing and reading; the gateway's clock and the OCPP times stay UTC;
/// - while a date is being written the registers read back what the BMS wrote, the others the gateway's clock; once
///   it is taken (or discarded) all six read the gateway's clock again;
/// - an impossible date (31 April) is refused with 03 at the write that makes it impossible (the registers keep what
///   was written before).
extension CentralSystem {
    /// A write to register 1…6 (from ``modbusWrite(address:values:now:)``).
    mutating func writeTime(_ t: SystemSignal, _ v: Int, now: Date) throws(ModbusRefusal) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        if let last = timeWrites.values.map(\.at).max(), now.timeIntervalSince(last) >= Self.timeWriteWindowSeconds {
            actions += takeTimeWrites()
        }
        timeWrites[t] = (v, now)
        if let c = writtenDate(), c.day > OCPPDate.daysIn(month: c.month, year: c.year) {
            throw ModbusRefusal(.illegalDataValue, "\(c.year)-\(c.month)-\(c.day) (year-month-day) is not a date")
        }
        return actions
    }

    /// The six registers as written, when all six are.
    private func writtenDate() -> (second: Int, minute: Int, hour: Int, day: Int, month: Int, year: Int)? {
        let parts = SystemSignal.allCases.dropFirst().compactMap { timeWrites[$0]?.value }
        guard parts.count == 6 else { return nil }
        return (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    }

    /// Takes (or discards) the date written once the window is over (from ``tick(now:)``).
    mutating func expireTimeWrites(now: Date) -> [GatewayAction] {
        guard let last = timeWrites.values.map(\.at).max(), now.timeIntervalSince(last) >= Self.timeWriteWindowSeconds else { return [] }
        return takeTimeWrites()
    }

    private mutating func takeTimeWrites() -> [GatewayAction] {
        defer { timeWrites = [:] }
        guard let last = timeWrites.values.map(\.at).max() else { return [] }
        guard let c = writtenDate() else {
            let names = SystemSignal.allCases.filter { timeWrites[$0] != nil }.map(\.spec.name).joined(separator: ", ")
            return [.log(.init(.warning, nil, "date/time registers: only \(names) written within 15 s; partial dates are not valid and were discarded"))]
        }
        guard (1...12).contains(c.month), (1...OCPPDate.daysIn(month: c.month, year: c.year)).contains(c.day)
        else { return [.log(.init(.warning, nil, "date/time registers: \(c.year)-\(c.month)-\(c.day) is not a date; discarded"))] }
        // Hours, minutes and seconds beyond their range carry over, as the calendar arithmetic did before.
        let local = Int64(CivilDate.days(fromCivil: c.year, c.month, c.day)) * 86_400 + Int64(c.hour * 3600 + c.minute * 60 + c.second)
        let date = Date(timeIntervalSince1970: Double(bmsTimeZone.utcSeconds(fromLocal: local)))
        clockOffsetSeconds = date.timeIntervalSince(last)
        return [.clockOffsetChanged(seconds: clockOffsetSeconds),
                .log(.init(.info, nil, "BMS set the date and time to \(OCPPDate.format(date)) (UTC; written in \(bmsTimeZone.identifier))"))]
    }

    /// What registers 1…6 read: the gateway's clock in the BMS's time zone, and what the BMS wrote for the registers of
    /// a date not yet taken (until the tick or the next OCPP message takes it: a read never shows the old clock for a
    /// date that is due).
    func timeRegisterValues(now: Date) -> [SystemSignal: Int] {
        var out = timeRegisters(gatewayTime(now))
        for (s, w) in timeWrites { out[s] = w.value }
        return out
    }

    /// A date as register values in the BMS's time zone.
    func timeRegisters(_ date: Date) -> [SystemSignal: Int] {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        let c = CivilDate.split(secondsSince1970: t + Int64(bmsTimeZone.offsetSeconds(at: t)))
        return [.second: c.secondOfDay % 60, .minute: c.secondOfDay / 60 % 60, .hour: c.secondOfDay / 3600, .day: c.day, .month: c.month, .year: c.year]
    }
}
