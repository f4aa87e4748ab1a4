import Logging
import Synchronization
import Testing
@testable import App

/// Issue 20 item 11: values from the network cannot forge log lines (CWE-117).
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

    /// What the wrapped handler was given (shared by the handler's copies).
    final class Seen: Sendable {
        let lines = Mutex<[String]>([])
        let lastMetadata = Mutex<Logger.Metadata>([:])
    }

    struct Capture: LogHandler {
        let seen: Seen
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            seen.lines.withLock { $0.append("\(message)") }
            seen.lastMetadata.withLock { $0 = metadata ?? [:] }
        }
    }

    @Test("the handler escapes messages and metadata before the wrapped handler sees them")
    func handler() {
        let seen = Seen()
        let logger = Logger(label: "t") { _ in SanitizingLogHandler(Capture(seen: seen)) }
        logger.warning("idTag \("AB\nFORGED")", metadata: ["cp.id": "CP\r1", "list": .array(["x\ny"])])
        #expect(seen.lines.withLock { $0 } == ["idTag AB\\nFORGED"])
        let metadata = seen.lastMetadata.withLock { $0 }
        #expect(metadata["cp.id"] == .string("CP\\r1"))
        #expect(metadata["list"] == .array([.string("x\\ny")]))
    }
}
