import Boards
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Digital inputs read from files: a Linux GPIO's `value` file (`/sys/class/gpio/gpioN/value`, "0" or "1"), or any file
/// a test writes. Read every 100 ms; a file that cannot be read keeps its input's last level and is logged once in
/// the link's failure text.
///
/// - SeeAlso: Linux kernel documentation, Documentation/admin-guide/gpio/sysfs.rst ("value … reads as either 0 (low)
///   or 1 (high)").
final class InputFileDevice: PolledDevice {
    private let files: [(BoardInput, String)]
    private let link: BoardLink

    init(_ inputs: [BoardInput: InputSource], link: BoardLink) {
        files = inputs.compactMap { input, source in
            if case .file(let path) = source.origin { return (input, path) }
            return nil
        }.sorted { $0.0.rawValue < $1.0.rawValue }
        self.link = link
    }

    var isEmpty: Bool { files.isEmpty }

    /// At start: every file must be readable and hold 0 or 1.
    func check() throws(BoardStartError) {
        for (input, path) in files where Self.level(path) == nil {
            throw BoardStartError("input \(input.rawValue): cannot read 0 or 1 from \(path); check the GPIO is exported and the path is right")
        }
        poll()
    }

    func poll() {
        var levels: [BoardInput: Bool] = [:]
        for (input, path) in files { if let l = Self.level(path) { levels[input] = l } }
        let changed = link.withState { s in
            let before = s.inputLevels
            for (k, v) in levels { s.inputLevels[k] = v }
            return before != s.inputLevels
        }
        if changed { link.changed() }
    }

    func close() {}

    /// The level a GPIO value file holds: its first character, `1` (high) or `0` (low).
    static func level(_ path: String) -> Bool? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var first: UInt8 = 0
        guard Glibc.read(fd, &first, 1) == 1 else { return nil }
        switch first {
        case UInt8(ascii: "1"): return true
        case UInt8(ascii: "0"): return false
        default: return nil
        }
    }
}
