import Boards
import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The hardware port of a supervised board (``SupervisedConnectorStatus``): the controller's readings come from the
/// latest values the board's I/O threads left in the ``BoardLink``, and its commands become the controls the threads
/// send. Nothing here waits for a device.
public struct SupervisedBoardPort: HardwarePort {
    public let link: BoardLink
    public let description: BoardDescription
    /// The threads that poll the board and its devices; stopped by ``close()``.
    private let workers: [DeviceWorker]

    init(link: BoardLink, description: BoardDescription, workers: [DeviceWorker]) {
        self.link = link; self.description = description; self.workers = workers
    }

    public var connectorCount: Int { link.connectorCount }

    public func reading(connector n: Int) -> ConnectorReading {
        let s = link.snapshot
        let i = n - 1
        let status = s.statuses.indices.contains(i) ? s.statuses[i] : nil
        let meter = (s.meters.indices.contains(i) ? s.meters[i] : nil)
            ?? MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: description.connectors[i].meter == nil)
        // A status taken before the controller's latest control reached the board still shows the contactor it had; the
        // board opens it in the exchange that carries the withdrawal, so until then the feedback is what was asked for.
        let stale = s.sentControlVersions[i] < s.controlVersions[i]
        // A board closes its contactor when the vehicle asks (C) within its release, one control step before the
        // controller commands it: until then its closing is not shown, so that it is not taken for a welded contactor.
        // Closed without a release stays closed (a welded contactor, a board that does not obey).
        let ahead = s.controls[i].released && !s.controls[i].contactorCommanded
        let closed = status?.relayClosed == true && !(stale && !s.controls[i].released) && !ahead
        let relay: RelayState = closed ? .threePhase : .open
        let reported = status?.errors ?? []
        return ConnectorReading(pilot: status?.pilot ?? .a, diodeCheckOK: status?.diodeCheckOK ?? true, relayFeedback: relay,
                                lockDetected: status?.lockLocked ?? false, meter: meter,
                                boardLinked: s.boardAnswers && status != nil,
                                mcbTripped: isActive(.mcbTrip, connector: n) || reported.contains("mcbType2Triggered"),
                                rcdTripped: isActive(.rcdFault, connector: n) || reported.contains("rcdFault"),
                                boardErrors: reported.subtracting(Self.contactErrors))
    }

    /// The errors of the auxiliary contacts: a board that detects them itself (the EVSE-DIN's RCD check) reports them as
    /// the contact would, so that one rule raises and resolves them (``ConnectorReading/rcdTripped``).
    static let contactErrors: Set<String> = ["mcbType2Triggered", "rcdFault"]

    public var rfidReaderHealthy: Bool { link.snapshot.rfidHealthy }

    public var linkStatus: BoardLinkStatus? {
        let s = link.snapshot
        return BoardLinkStatus(board: "\(description.driver.rawValue) on \(description.link?.address ?? "")", identity: s.identity,
                               answering: s.boardAnswers, polls: s.polls, failedPolls: s.failedPolls, lastFailure: s.lastFailure,
                               roundTripP50Microseconds: s.roundTrips.percentile(50), roundTripP99Microseconds: s.roundTrips.percentile(99))
    }

    public func input(_ input: DigitalInput) -> Bool {
        switch input {
        case .opto1: isActive(.opto1)
        case .input2: isActive(.input2)
        case .surgeProtector: isActive(.surgeProtector)
        }
    }

    /// Whether a wired input is active (its line level through its polarity); an input that is not wired is not.
    public func isActive(_ input: BoardInput, connector: Int? = nil) -> Bool {
        guard let source = description.inputs[input], connector == nil || source.connector == connector else { return false }
        let s = link.snapshot
        let level: Bool
        switch source.origin {
        case .board(let index): level = s.boardInputLevels[index] ?? false
        case .file: level = s.inputLevels[input] ?? false
        }
        return source.isActive(level: level)
    }

    public mutating func takeRFIDReads() -> [RFIDRead] {
        link.withState { s in defer { s.rfidReads = [] }; return s.rfidReads }
    }

    public mutating func apply(_ command: HardwareCommand) {
        let i = command.connector - 1
        link.withState { s in
            guard s.controls.indices.contains(i) else { return }
            let before = s.controls[i]
            s.controls[i].apply(command)
            if s.controls[i] != before { s.controlVersions[i] += 1 }
        }
    }

    public mutating func observeChanges(_ handler: @escaping @Sendable () -> Void) { link.observeChanges(handler) }

    public func persistentState() -> Data? { nil }
    public var mainsPowerLost: Bool { false }

    public mutating func close() {
        for w in workers { w.stop() }
    }
}
