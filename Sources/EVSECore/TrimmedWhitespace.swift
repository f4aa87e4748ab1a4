extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (not newlines: a line-based format keeps its lines). Here,
    /// the lowest pure target, so that the registry, the whitelist CSV and LoadManagement's time windows trim alike.
    public var trimmedWhitespace: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
