import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// A central system with chargers CP1 (slot 0, 2 connectors) and CP2 (slot 3, 1 connector), CP1 connected and booted.
struct Harness {
    var cs: CentralSystem
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var sent: [String: [OCPPFrame]] = [:]
    /// External mode: the frames relayed to the external central system, per charger, as text.
    var upstream: [String: [String]] = [:]
    var actions: [GatewayAction] = []
    var nextID = 0

    init(mode: GatewayMode = .bms, bmsTimeout: Int = 20, configure: (inout GatewaySettings) -> Void = { _ in }) {
        var s = GatewaySettings()
        s.mode = mode
        s.externalURL = "ws://upstream.example:9000/ocpp"
        s.bmsTimeoutSeconds = bmsTimeout
        s.chargers = [ChargerEntry(id: "CP1", slot: 0, connectors: 2), ChargerEntry(id: "CP2", slot: 3, connectors: 1)]
        configure(&s)
        cs = CentralSystem(settings: s)
        record(cs.connected("CP1", connection: 1, now: now))
    }

    mutating func record(_ a: [GatewayAction]) {
        actions += a
        for case .send(let charger, let text) in a {
            guard let frame = try? OCPPFrame.parse(text) else { Issue.record("the gateway sent an unreadable frame: \(text)"); continue }
            sent[charger, default: []].append(frame)
        }
        for case .sendUpstream(let charger, let text) in a { upstream[charger, default: []].append(text) }
    }

    /// Sends a CALL from a charger; returns its message id.
    @discardableResult
    mutating func call(_ action: String, _ payload: JSONValue, from charger: String = "CP1") -> String {
        nextID += 1
        let id = "m\(nextID)"
        record(cs.received(charger, text: OCPPFrame.call(id: id, action: action, payload: payload).serialized(), now: now))
        return id
    }

    mutating func call<R: OCPPRequest>(_ r: R, from charger: String = "CP1") -> String {
        call(R.action, OCPPCoding.encode(r), from: charger)
    }

    /// The last frame the gateway sent to a charger.
    func last(_ charger: String = "CP1") -> OCPPFrame? { sent[charger]?.last }

    /// The answer to message `id`, if sent.
    func answer(_ id: String, _ charger: String = "CP1") -> JSONValue? {
        for case .callResult(let mid, let payload) in sent[charger] ?? [] where mid == id { return payload }
        return nil
    }

    func error(_ id: String, _ charger: String = "CP1") -> String? {
        for case .callError(let mid, let code, _, _) in sent[charger] ?? [] where mid == id { return code }
        return nil
    }

    mutating func write(_ address: Int, _ values: [UInt16]) -> ExceptionCode? {
        switch cs.modbusWrite(address: address, values: values, now: now) {
        case .success(let a): record(a); return nil
        case .failure(let r): return r.code
        }
    }

    mutating func write(_ s: SignalAddress, _ value: Int) -> ExceptionCode? { write(s.address, Self.encode(s, .integer(Int64(value)))) }
    mutating func write(_ s: SignalAddress, text: String) -> ExceptionCode? { write(s.address, Self.encode(s, .text(text))) }

    static func encode(_ s: SignalAddress, _ v: RegisterValue) -> [UInt16] {
        RegisterDefinition(UInt16(s.address), "", s.spec.format.registerType).encode(v)
    }

    func read(_ address: Int, _ quantity: Int) -> Result<[UInt16], ExceptionCode> {
        cs.modbusRead(address: address, quantity: quantity, now: now).mapError(\.code)
    }

    func value(_ s: SignalAddress) -> RegisterValue {
        guard case .success(let regs) = read(s.address, s.spec.format.registerCount) else { return .unavailable }
        return RegisterDefinition(UInt16(s.address), "", s.spec.format.registerType).decode(regs)
    }

    func int(_ s: SignalAddress) -> Int { if case .integer(let v) = value(s) { Int(v) } else { -1 } }
    func text(_ s: SignalAddress) -> String { if case .text(let t) = value(s) { t } else { "?" } }

    mutating func tick(_ seconds: Double) {
        now = now.addingTimeInterval(seconds)
        record(cs.tick(now: now))
    }
}

func field(_ v: JSONValue?, _ path: String...) -> JSONValue? {
    var cur = v
    for p in path {
        guard case .object(let o)? = cur else { return nil }
        cur = o[p]
    }
    return cur
}

extension SignalAddress {
    static func cp1(_ s: ChargerSignal) -> SignalAddress { .charger(slot: 0, s) }
    static func cp1(_ yy: Int, _ s: ConnectorSignal) -> SignalAddress { .connector(slot: 0, connector: yy, s) }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}
