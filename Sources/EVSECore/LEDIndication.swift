/// What a connector's LEDs show: one of the reader's eight states of seeds/004 §6, the blink code of the error that
/// stops the connector (seeds/002 §3 "Topper": ×1 … ×7), and whether the ring turns because a card was just read.
/// The controller decides it from the station's state (``LEDState``); every board shows it its own way: the Linux
/// LED class, a board's own LEDs, the web dashboard and `/api/status`.
///
/// - SeeAlso: seeds/004 §6 "Betekenis van de LED's (RFID105/110/117)", seeds/002 §3 (column Topper).
public struct LEDIndication: Sendable, Codable, Equatable {
    public var state: LEDState
    /// The blink count of the error behind ``LEDState/fault`` (nil: the seeds/004 green-yellow-blue sequence).
    public var errorBlinks: Int?
    /// A card was read in the last 2 s: the ring around the reader turns (seeds/004 §6).
    public var cardRead: Bool

    public init(_ state: LEDState, errorBlinks: Int? = nil, cardRead: Bool = false) {
        self.state = state; self.errorBlinks = errorBlinks; self.cardRead = cardRead
    }

    /// The frames that show the indication on red, green and blue LEDs, in order; `repeats` false: shown once, then
    /// the last frame stays (the five blinks of a refused card).
    public var frames: (frames: [LEDFrame], repeats: Bool) {
        let g = LEDFrame.Lit.green, y = LEDFrame.Lit.yellow, b = LEDFrame.Lit.blue, w = LEDFrame.Lit.white
        let cycle = [LEDFrame(g, 200), LEDFrame(y, 200), LEDFrame(b, 200)]
        switch state {
        case .off: return ([LEDFrame(.none, 1000)], true)
        case .ready: return ([LEDFrame(g, 1000)], true)
        case .reserved: return ([LEDFrame(y, 1000)], true)
        case .authorizing: return ([LEDFrame(w, 250), LEDFrame(.none, 250)], true)
        case .authorized: return ([LEDFrame(b, 250), LEDFrame(.none, 250)], true)
        case .charging: return ([LEDFrame(b, 1000), LEDFrame(.none, 1000)], true)
        case .rejected: return (Array(repeating: cycle, count: 5).flatMap { $0 } + [LEDFrame(.none, 200)], false)
        case .updating: return ([LEDFrame(w, 1000)], true)
        case .fault:
            guard let n = errorBlinks, n > 0 else { return (cycle, true) }
            // seeds/002 §3: "x N blinken", in red, then a pause that separates the groups.
            return (Array(repeating: [LEDFrame(.red, 300), LEDFrame(.none, 300)], count: n).flatMap { $0 } + [LEDFrame(.none, 1200)], true)
        }
    }
}

/// The reader's states (seeds/004 §6), in the seed's order.
public enum LEDState: String, Sendable, Codable, CaseIterable, Equatable {
    /// No light: the connector is not in service (Unavailable). The seed has no state for it; green would say "free".
    case off
    /// "GROEN lichtgevend": ready and free to use.
    case ready
    /// "GEEL gloed": reserved by the backend, or finishing the previous charge.
    case reserved
    /// "WIT roterend": the card is being checked with the backend.
    case authorizing
    /// "BLAUW knipperend elke halve seconde": card accepted, charging can start.
    case authorized
    /// "BLAUW knipperend elke 2 seconden": the vehicle is charging.
    case charging
    /// "GROEN-GEEL-BLAUW knippert vijf keer": the card was refused.
    case rejected
    /// "GROEN-GEEL-BLAUW knippert continu": not operational because of a technical error.
    case fault
    /// "GROEN-GEEL-BLAUW helder": a software update is being installed.
    case updating
}

/// One step of an LED sequence: which of the red, green and blue LEDs are lit, for how long.
public struct LEDFrame: Sendable, Equatable {
    public struct Lit: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let red = Lit(rawValue: 1)
        public static let green = Lit(rawValue: 2)
        public static let blue = Lit(rawValue: 4)
        public static let none: Lit = []
        /// Red and green together look yellow.
        public static let yellow: Lit = [.red, .green]
        public static let white: Lit = [.red, .green, .blue]
    }
    public var lit: Lit
    public var milliseconds: Int
    public init(_ lit: Lit, _ milliseconds: Int) { self.lit = lit; self.milliseconds = milliseconds }
}
