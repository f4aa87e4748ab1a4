import Boards
import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch

/// A board that cannot be used at start: the device path or address, what was expected and what to check.
public struct BoardStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The driver of one supervised board (``SupervisedConnectorStatus``): blocking exchanges, called only from its link's
/// worker thread. Each driver is written from its manufacturer's public protocol document, cited in its `///` docs.
///
/// The contract:
/// - ``open()`` opens the link and checks that the expected board answers (a firmware or model register, a version
///   command); it throws a ``BoardStartError`` naming the device and what to check. The station does not start then.
/// - ``exchange(_:)`` sends what the controls ask (only what changed, where the protocol allows) and reads every
///   connector's status. It throws when the board does not answer in time or answers garbage; the station then shows
///   "Connector board not communicating" after ``BoardDevice/silentAfterFailures`` failures in a row, keeps
///   calling, and clears the error on the next good exchange. A driver that lost its link reopens it in the next call.
/// - The board falls back to its own safe state when ChargeKit goes silent (its watchdog, or no release without a
///   recent command); the driver documents which.
public protocol SupervisedBoardDriver: AnyObject {
    /// Opens the link and checks the board; returns its identity as the start banner shows it (firmware, model).
    func open() throws(BoardStartError) -> String
    /// One exchange: the controls of every connector in, every connector's status out.
    func exchange(_ controls: [SupervisedConnectorControl]) throws -> [SupervisedConnectorStatus]
    /// The board's own digital inputs by number (read in ``exchange(_:)``), for boards that have them.
    var inputLevels: [Int: Bool] { get }
    func close()
}

extension SupervisedBoardDriver {
    public var inputLevels: [Int: Bool] { [:] }
}

/// A supervised board as a polled device: one exchange per poll, its outcome left in the link.
final class BoardDevice: PolledDevice {
    /// Failed exchanges in a row before the board counts as not communicating (at the default 200 ms poll: 0.6 s).
    static let silentAfterFailures = 3
    let driver: any SupervisedBoardDriver
    let link: BoardLink

    init(driver: any SupervisedBoardDriver, link: BoardLink) { self.driver = driver; self.link = link }

    func poll() {
        let (controls, versions) = link.withState { ($0.controls, $0.controlVersions) }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let statuses = try driver.exchange(controls)
            let microseconds = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
            let inputs = driver.inputLevels
            let changed = link.withState { s in
                let before = (s.statuses, s.boardInputLevels, s.boardAnswers)
                for (i, st) in statuses.enumerated() where s.statuses.indices.contains(i) { s.statuses[i] = st }
                s.sentControlVersions = versions
                s.boardInputLevels = inputs
                s.failedExchanges = 0
                s.boardAnswers = true
                s.polls += 1
                s.roundTrips.add(microseconds: microseconds)
                return before.0 != s.statuses || before.1 != s.boardInputLevels || !before.2
            }
            if changed { link.changed() }
        } catch {
            let silent = link.withState { s in
                s.failedExchanges += 1
                s.polls += 1
                s.failedPolls += 1
                s.lastFailure = "board: \(error)"
                guard s.failedExchanges >= Self.silentAfterFailures, s.boardAnswers else { return false }
                s.boardAnswers = false
                return true
            }
            if silent { link.changed() }
        }
    }

    func close() { driver.close() }
}
