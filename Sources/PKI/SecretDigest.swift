import Crypto

/// SHA-256 of a secret, to remember that a secret was checked without keeping it: the gateway remembers the digest of
/// a charger's password once bcrypt accepted it, so that the charger's reconnections cost no bcrypt run (OCPP 1.6
/// security whitepaper ed. 3 A00.FR.202: Basic credentials on every connection).
public enum SecretDigest {
    public static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }
}
