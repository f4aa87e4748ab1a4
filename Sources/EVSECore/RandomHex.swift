/// Random hex texts from the system's secure generator: DLM link epochs (LoadManagement), web session and CSRF tokens
/// (WebUI), the local API token (App). Here, the lowest pure target they share, so that there is one hex padder.
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
