/// Random hex texts from the system's secure generator: web session and CSRF tokens, the local API token. (DLM link
/// epochs are drawn the same way by LoadManagement's `DLMLink.newEpoch()`.)
public enum RandomHex {
    /// `words` random 64-bit words as lower-case hex, 16 digits each.
    public static func words(_ words: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<words).map { _ in
            let hex = String(rng.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
