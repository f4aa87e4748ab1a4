#if canImport(Glibc)
import Glibc
#endif

/// The process's standard output or error, written at once and unbuffered (write(2) on descriptor 1 or 2): the
/// start-up banner, the initial passwords notice and the command-line tools' answers must reach a pipe or the
/// journal when written, not when a stdio buffer fills. What Foundation's `FileHandle.standardOutput` did.
public enum StandardStream: Sendable {
    case output, error

    public func write(_ bytes: some Sequence<UInt8>) {
        let all = Array(bytes), fd: Int32 = self == .output ? 1 : 2
        var offset = 0
        while offset < all.count {
            let n = all.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }  // a closed stream: nothing left to tell
            offset += n
        }
    }

    public func write(_ text: String) { write(text.utf8) }
}
