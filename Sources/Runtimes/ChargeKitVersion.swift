#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The version of ChargeKit.
public enum ChargeKitVersion {
    public static let current = "0.1.0"
    /// The release date of this version: no real time lies before it (``BackendTimePolicy``). Set with every release.
    public static let releaseDate = Date(timeIntervalSince1970: 1_794_268_800)  // 2026-11-10T00:00:00Z
}
