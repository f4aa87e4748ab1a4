import EVSECore
import Foundation
import Synchronization

/// The station's wall clock, optionally running faster than real time for the simulator
/// (`--time-scale`). Every timestamp and timer of the station goes through it. It can be stepped to follow the
/// backend's time (TimeSource Heartbeat).
///
/// - SeeAlso: the design principle "time is injected" (timestamps and timers come from injected clocks); seeds/002 §2.3 TimeSource.
public final class ScaledClock: Sendable {
    public let origin: Date
    public let scale: Double
    private let start: ContinuousClock.Instant
    /// Seconds added by ``step(by:)``.
    private let offsetSeconds = Mutex<Double>(0)

    /// - Parameters:
    ///   - origin: the time at start; a restarted simulation continues after its last stored timestamp.
    ///   - scale: simulated seconds per real second (1 = real time).
    public init(origin: Date = Date(), scale: Double = 1) {
        self.origin = origin
        self.scale = scale
        self.start = ContinuousClock.now
    }

    /// The current (possibly accelerated) time.
    public func now() -> Date {
        origin.addingTimeInterval((ContinuousClock.now - start).seconds * scale + offsetSeconds.withLock { $0 })
    }

    /// Moves the clock by `seconds` (positive: forward).
    public func step(by seconds: Double) { offsetSeconds.withLock { $0 += seconds } }
}
