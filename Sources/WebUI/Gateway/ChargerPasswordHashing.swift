import HummingbirdBcrypt
import Gateway

/// bcrypt for the gateway's charger passwords (security profiles 1 and 2, OCPP 1.6 security whitepaper ed. 3
/// A00.FR.2xx). The pure Gateway target only keeps and compares the hash's place in the settings: hashing needs a random
/// salt and tens of milliseconds of CPU, which a pure target (no randomness, deterministic) and the network threads
/// must not carry. So the web page and the API hash what the installer enters, here, and the runtime verifies here —
/// on ``BcryptWorker``'s own thread, one computation at a time, at most ``BcryptWorker/maximumWaiting`` waiting.
public enum ChargerPasswordHashing {
    /// The cost of the web logins' hashes (2^10 rounds, about 50 ms).
    public static let cost: UInt8 = 10
    static let worker = BcryptWorker()

    /// The hash of an entered password (in its ``ChargerPassword/canonical(_:)`` form); nil while the worker is busy.
    public static func hash(_ password: String) async -> String? {
        await worker.hash(ChargerPassword.canonical(password), cost: cost)
    }

    public enum Verification: Sendable, Equatable {
        /// This candidate matches.
        case matched(String)
        case noMatch
        /// Too many checks wait already: refused at once rather than queued without bound.
        case busy
    }

    /// Whether one of the candidates matches `hash`.
    public static func verify(_ candidates: [String], hash: String) async -> Verification {
        for candidate in candidates {
            guard let ok = await worker.verify(candidate, hash: hash) else { return .busy }
            if ok { return .matched(candidate) }
        }
        return .noMatch
    }
}
