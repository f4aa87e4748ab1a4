import Testing
import EVSECore

/// Issue 20 item 11: values from the network cannot forge log lines (CWE-117). The handler that applies this to every
/// log line is tested in HostingTests.
@Suite("Log sanitising")
struct LogTextTests {
    @Test("control characters, line separators and bidi overrides are escaped; everything else stays", arguments: [
        ("plain text äöü €", "plain text äöü €"), ("a\nb", "a\\nb"), ("a\r\nFORGED", "a\\r\\nFORGED"), ("tab\there", "tab\\there"),
        ("nul\u{0}", "nul\\u{0}"), ("esc\u{1B}[31m", "esc\\u{1B}[31m"), ("del\u{7F}", "del\\u{7F}"), ("c1\u{85}", "c1\\u{85}"),
        ("ls\u{2028}", "ls\\u{2028}"), ("bidi\u{202E}txt", "bidi\\u{202E}txt"), ("back\\slash", "back\\slash"),
    ])
    func escape(raw: String, escaped: String) {
        #expect(LogText.escape(raw) == escaped)
    }
}
