import EVSECore
import Foundation

/// The station's wall clock, optionally running faster than real time for the simulator
/// (`--time-scale`). Every timestamp and timer of the station goes through it.
///
/// - SeeAlso: ../shared/DESIGN.md principle 5 "Time is injected".
public struct ScaledClock: Sendable {
    public let origin: Date
    public let scale: Double
    private let start: ContinuousClock.Instant

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
        origin.addingTimeInterval((ContinuousClock.now - start).seconds * scale)
    }
}
