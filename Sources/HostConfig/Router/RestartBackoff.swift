/// When a supervised program that died is started again (the DHCP server): at once the first time, then after 1, 2, 4 …
/// seconds up to a minute, so that a program that cannot run (its port taken, its interface missing) neither floods the
/// log nor stays away long once the cause is gone. A run of `stableSeconds` counts as healthy and resets the count.
public struct RestartBackoff: Sendable, Equatable {
    public static let maximumDelaySeconds = 60.0
    public static let stableSeconds = 30.0

    /// Failed starts (or deaths) since the last healthy run.
    public private(set) var failures = 0

    public init() {}

    /// The wait before the next start after `failures` failures: 0, 1, 2, 4, … 60 s.
    public static func delaySeconds(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        return min(maximumDelaySeconds, Double(1 << min(failures - 1, 10)))
    }

    /// The program ended (or did not start) after running `ranSeconds`; returns the wait before the next start.
    public mutating func ended(afterRunningSeconds ranSeconds: Double) -> Double {
        failures = ranSeconds >= Self.stableSeconds ? 1 : failures + 1
        return Self.delaySeconds(afterFailures: failures)
    }

    /// The settings changed or the program was stopped on purpose: the next start is a first one.
    public mutating func reset() { failures = 0 }
}
