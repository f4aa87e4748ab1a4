import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The station's two time bases, optionally running faster than real time for the simulator (`--time-scale`):
/// - the **wall clock** (``now()``): timestamps of sessions, events and OCPP messages. It is stepped to follow the
///   backend's time (TimeSource Heartbeat) or the browser's (seeds/002 §1.6).
/// - **monotonic time** (``monotonicNow()``): the same scale, never stepped. The simulator's physics runs on it, so a
///   backend clock hours behind does not freeze the vehicles and one years ahead does not make the board integrate
///   years of charging in one tick (issue 21 item 6: found with a central system whose clock was off).
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

    /// Monotonic time as a date on the start's time base: it advances with the wall clock's scale and ignores
    /// ``step(by:)``.
    public func monotonicNow() -> Date {
        origin.addingTimeInterval((ContinuousClock.now - start).seconds * scale)
    }

    /// Moves the wall clock by `seconds` (positive: forward).
    public func step(by seconds: Double) { offsetSeconds.withLock { $0 += seconds } }
}
