/// The link to a real board as the status API shows it: what the board said it is, how many polls it answered or
/// failed, and the round trip of a poll (request out, every answer in), for an installer checking the wiring and for
/// the benchmark of issue 22 ("the serial round trip per poll").
public struct BoardLinkStatus: Sendable, Codable, Equatable {
    /// The board driver and the device path or address ("openevse on /dev/ttyUSB0").
    public var board: String
    /// The board's identity as it answered at start (firmware, model).
    public var identity: String?
    public var answering: Bool
    public var polls: Int
    public var failedPolls: Int
    /// The last failure of the board or of a meter on its links (a timeout, a garbled answer), naming the device.
    public var lastFailure: String?
    /// Median and 99th percentile of the recent polls' round trips, in microseconds (nil before the first poll).
    public var roundTripP50Microseconds: Int?
    public var roundTripP99Microseconds: Int?

    public init(board: String, identity: String?, answering: Bool, polls: Int, failedPolls: Int, lastFailure: String?,
                roundTripP50Microseconds: Int?, roundTripP99Microseconds: Int?) {
        self.board = board; self.identity = identity; self.answering = answering; self.polls = polls; self.failedPolls = failedPolls
        self.lastFailure = lastFailure; self.roundTripP50Microseconds = roundTripP50Microseconds
        self.roundTripP99Microseconds = roundTripP99Microseconds
    }
}

/// The round trips of the most recent polls (a ring of fixed size), for their percentiles.
public struct RoundTripWindow: Sendable, Equatable {
    public static let capacity = 1024
    private var samples: [Int] = []
    private var next = 0
    public private(set) var count = 0

    public init() {}

    public mutating func add(microseconds: Int) {
        count += 1
        if samples.count < Self.capacity { samples.append(microseconds); return }
        samples[next] = microseconds
        next = (next + 1) % Self.capacity
    }

    /// The `p`-th percentile (0–100) of the window, nearest rank; nil when empty.
    public func percentile(_ p: Double) -> Int? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
