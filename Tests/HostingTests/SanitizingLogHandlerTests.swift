import Logging
import Synchronization
import Testing
@testable import Hosting

/// Issue 20 item 11: values from the network cannot forge log lines (CWE-117); ``LogText`` itself is tested in
/// EVSECoreTests.
@Suite("Log sanitising handler")
struct SanitizingLogHandlerTests {
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
        func log(event: LogEvent) {
            seen.lines.withLock { $0.append("\(event.message)") }
            seen.lastMetadata.withLock { $0 = event.metadata ?? [:] }
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
