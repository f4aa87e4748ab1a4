import Boards
import EVSECore
import Synchronization

/// What the board's I/O threads and the station runtime share: the latest status of every connector, meter, input and
/// card the threads read, and the controls the runtime set. The runtime never waits for the board: it reads the latest
/// values in its control step and leaves its commands here; the threads carry them out in their next exchange.
public final class BoardLink: Sendable {
    public struct State: Sendable {
        /// Per connector (index 0 = connector 1): the board's last status, nil before the first exchange.
        public var statuses: [SupervisedConnectorStatus?]
        /// Per connector: what the controller asked for.
        public var controls: [SupervisedConnectorControl]
        /// Per connector: how often the controls changed, and the count the board's last exchange carried.
        public var controlVersions: [Int]
        public var sentControlVersions: [Int]
        /// The board answered its last exchange (false: "Connector board not communicating").
        public var boardAnswers = true
        /// Consecutive failed exchanges, and the last failure (for the log).
        public var failedExchanges = 0
        public var lastFailure: String?
        /// Per connector: the charge meter's last reading (nil: no meter in the description, or none read yet).
        public var meters: [MeterReading?]
        /// The digital inputs' line levels by input (true = energised).
        public var inputLevels: [BoardInput: Bool] = [:]
        /// Levels of the board's own inputs by number (Phoenix Contact: IN1…).
        public var boardInputLevels: [Int: Bool] = [:]
        /// Cards read and not yet taken by the controller.
        public var rfidReads: [RFIDRead] = []
        public var rfidHealthy = true
        /// The board's firmware and model as it reported them when opened.
        public var identity: String?
    }

    private let state: Mutex<State>
    private let changeHandler = Mutex<(@Sendable () -> Void)?>(nil)

    /// Who to tell when a device saw something change (the station steps at once).
    public func observeChanges(_ handler: @escaping @Sendable () -> Void) { changeHandler.withLock { $0 = handler } }

    /// A device saw a change: tell the station.
    func changed() { changeHandler.withLock { $0 }?() }
    public let connectorCount: Int

    public init(connectorCount: Int) {
        self.connectorCount = connectorCount
        state = Mutex(State(statuses: Array(repeating: nil, count: connectorCount),
                            controls: Array(repeating: SupervisedConnectorControl(), count: connectorCount),
                            controlVersions: Array(repeating: 0, count: connectorCount),
                            sentControlVersions: Array(repeating: 0, count: connectorCount),
                            meters: Array(repeating: nil, count: connectorCount)))
    }

    public func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    public var snapshot: State { state.withLock { $0 } }
}
