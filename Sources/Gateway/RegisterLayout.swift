import ModbusTCP

/// Whether the BMS is the central system (use case 1) or the gateway bridges the chargers to an external central
/// system (use case 2).
///
/// - SeeAlso: seeds/003 §1 (use cases), §2.2 step 4a ("select BMS" / "select External").
public enum GatewayMode: String, Sendable, Codable, CaseIterable {
    case bms = "BMS"
    case external = "External"
}

/// What owns a register address.
public enum SignalAddress: Hashable, Sendable {
    case system(SystemSignal)
    case charger(slot: Int, ChargerSignal)
    case connector(slot: Int, connector: Int, ConnectorSignal)

    public var spec: SignalSpec {
        switch self {
        case .system(let s): s.spec
        case .charger(_, let s): s.spec
        case .connector(_, _, let s): s.spec
        }
    }

    /// The first register of the signal.
    public var address: Int {
        switch self {
        case .system(let s): s.rawValue
        case .charger(let xx, let s): RegisterLayout.chargerBase(xx) + s.spec.offset
        case .connector(let xx, let yy, let s): RegisterLayout.connectorBase(xx, yy) + s.spec.offset
        }
    }

    /// Whether the signal has registers: signals of a charger without a slot (``ChargerEntry/noSlot``) have none.
    public var hasRegisters: Bool {
        switch self {
        case .system: true
        case .charger(let xx, _), .connector(let xx, _, _): xx >= 0
        }
    }

    public var isBoolean: Bool {
        switch self {
        case .system(let s): s == .heartbeat
        case .charger(_, let s): s.isBoolean
        case .connector(_, _, let s): s.isBoolean
        }
    }
}

/// The register map of seeds/003 Appendix 2 for the configured chargers: which addresses exist (reads outside them
/// answer exception 02), which signal each belongs to, and how multi-register writes split into whole signals.
///
/// Blocks per charger slot xx: information 0…46, Messages to CS 64…173 and Messages from CS 256…405 (relative to
/// `100 + xx*2000`), and one block of 100 registers per connector yy = 0…connectors. "Not used" registers inside a
/// block read as 0; addresses between blocks are outside the map. In External mode the signals the seed marks "Only
/// available in BMS Central system model" are left out, and so are registers 0…6.
public struct RegisterLayout: Sendable {
    /// The largest number of chargers (seeds/003: "up 20 chargers").
    public static let maximumChargers = 20
    /// Connectors per charger besides connector 0 (seeds/003: "1 charger + 7 connectors").
    public static let maximumConnectors = 7

    public static func chargerBase(_ xx: Int) -> Int { 100 + xx * 2000 }
    public static func connectorBase(_ xx: Int, _ yy: Int) -> Int { 512 + 100 + xx * 2000 + 100 * yy }

    public let mode: GatewayMode
    /// Connectors (1…7) per occupied slot.
    public let connectors: [Int: Int]
    public let map: RegisterMap
    /// Every register of the signals switched off (``GatewaySettings/signalsOff``): they read 0.
    public let offRegisters: Set<Int>
    /// Every signal of the layout in address order, switched off or not.
    public let signals: [SignalAddress]
    private let owners: [Int: SignalAddress]

    /// `off`: first addresses of signals switched off (seeds/003 §2.2 step 6: "Not all the available charger signals are
    /// active by default"). Such a signal has no definition in the map — it answers like the seed's "Not used"
    /// registers inside its block: it reads 0, and a write (or a bit access) answers exception 02.
    public init(mode: GatewayMode, connectors: [Int: Int], off: Set<Int> = []) {
        self.mode = mode
        self.connectors = connectors
        var definitions: [RegisterDefinition] = []
        var blocks: [ClosedRange<Int>] = []
        var owners: [Int: SignalAddress] = [:]
        var offRegisters = Set<Int>()
        var signals: [SignalAddress] = []
        func add(_ s: SignalAddress) {
            let spec = s.spec
            guard mode == .bms || !spec.bmsOnly else { return }
            signals.append(s)
            if off.contains(s.address) {
                offRegisters.formUnion(s.address..<(s.address + spec.format.registerCount))
                return
            }
            // W registers read back their last value (see SignalSpec). R registers are read-only in the map too, so that
            // any write to one — also to a single register of a float or a string — answers 02, as the station does.
            definitions.append(RegisterDefinition(UInt16(s.address), spec.name, spec.format.registerType,
                                                  access: spec.access.writable ? .readWrite : .read))
            owners[s.address] = s
        }
        if mode == .bms {
            SystemSignal.allCases.forEach { add(.system($0)) }
            blocks.append(0...6)
        }
        for (xx, count) in connectors.sorted(by: { $0.key < $1.key }) {
            let base = Self.chargerBase(xx)
            ChargerSignal.allCases.forEach { add(.charger(slot: xx, $0)) }
            blocks.append(base...(base + 46))
            if mode == .bms {
                blocks.append((base + 64)...(base + 173))
                blocks.append((base + 256)...(base + 405))
            }
            for yy in 0...count {
                ConnectorSignal.all.forEach { add(.connector(slot: xx, connector: yy, $0)) }
                let c = Self.connectorBase(xx, yy)
                blocks.append(c...(c + 99))
            }
        }
        self.owners = owners
        self.offRegisters = offRegisters
        self.signals = signals
        map = RegisterMap(definitions: definitions, blocks: blocks)
    }

    /// The signal whose first register is `address` in any slot and connector of the map (BMS mode, every slot with 7
    /// connectors); nil for other addresses.
    public static func signal(forAddress address: Int) -> SignalAddress? {
        if let s = SystemSignal(rawValue: address) { return .system(s) }
        guard address >= 100 else { return nil }
        let xx = (address - 100) / 2000, relative = (address - 100) % 2000
        guard xx < maximumChargers else { return nil }
        if relative < 512 { return chargerSignals[relative].map { SignalAddress.charger(slot: xx, $0) } }
        let yy = (relative - 512) / 100
        guard yy <= maximumConnectors else { return nil }
        return connectorSignals[(relative - 512) % 100].map { SignalAddress.connector(slot: xx, connector: yy, $0) }
    }

    private static let chargerSignals: [Int: ChargerSignal] = Dictionary(uniqueKeysWithValues: ChargerSignal.allCases.map { ($0.spec.offset, $0) })
    private static let connectorSignals: [Int: ConnectorSignal] = Dictionary(uniqueKeysWithValues: ConnectorSignal.all.map { ($0.spec.offset, $0) })

    /// The signal starting at `address`.
    public func signal(at address: Int) -> SignalAddress? { owners[address] }

    /// Whether every address of the range is inside the map.
    public func contains(_ range: Range<Int>) -> Bool { map.readable(range) }

    /// The boolean signal covering `address` (for coil and discrete-input access), if any.
    public func booleanSignal(at address: Int) -> SignalAddress? {
        guard let s = owners[address], s.isBoolean else { return nil }
        return s
    }
}
