#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// Whether the station follows a time from the backend (TimeSource Heartbeat: BootNotification.conf and
/// Heartbeat.conf carry `currentTime`, OCPP 1.6 §4.2, §4.6).
///
/// A backend's clock can be wrong, and anyone on a `ws://` path can answer in its place: stepping to any time it names
/// ended a running session 25 years in the past (issue 20 item 9). So a time is followed only when it is plausible:
/// - never a time before ``earliest`` (the release date of this firmware: no real "now" lies before it);
/// - a station clock that is itself before ``earliest`` (a board without a real-time clock after power-up) is not
///   trusted and takes any plausible time;
/// - otherwise the step must stay within ``maximumStepSeconds``; a larger difference is refused and reported, and the
///   installer corrects the clock on the System page or through NTP.
/// Small differences (``thresholdSeconds`` or less than the round trip) are left alone.
public struct BackendTimePolicy: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        /// Close enough: nothing to do.
        case keep
        /// Step the station clock by this many seconds.
        case step(seconds: Double)
        /// Refused, and why (for the event log).
        case refuse(String)
    }

    public var earliest: Date
    public var thresholdSeconds: Double
    public var maximumStepSeconds: Double

    /// The defaults: differences up to 2 s are left alone; a trusted clock moves by at most 24 h.
    public init(earliest: Date, thresholdSeconds: Double = 2, maximumStepSeconds: Double = 86_400) {
        self.earliest = earliest; self.thresholdSeconds = thresholdSeconds; self.maximumStepSeconds = maximumStepSeconds
    }

    /// - Parameters:
    ///   - backend: the `currentTime` of the answer; the backend read its clock about half a round trip before the
    ///     answer arrived.
    ///   - now: the station's clock when the answer arrived.
    ///   - roundTripSeconds: from sending the request to the answer.
    public func decide(backend: Date, now: Date, roundTripSeconds: Double) -> Decision {
        guard backend >= earliest else {
            return .refuse("the backend's time \(format(backend)) lies before this firmware's release (\(format(earliest)))")
        }
        let difference = backend.addingTimeInterval(roundTripSeconds / 2).timeIntervalSince(now)
        guard abs(difference) > max(thresholdSeconds, roundTripSeconds) else { return .keep }
        if now >= earliest, abs(difference) > maximumStepSeconds {
            return .refuse("the backend's time \(format(backend)) is \(Int(difference.rounded())) s away from the station's clock; "
                           + "at most \(Int(maximumStepSeconds)) s is followed (set the clock on the System page or use NTP)")
        }
        return .step(seconds: difference)
    }

    private func format(_ d: Date) -> String { OCPPDate.format(d) }
}
