import Boards
import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import StringSupport
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The connectors' LEDs through the Linux LED class: `<root>/<name>/brightness` (0 = off, up to `max_brightness`) and
/// `trigger`; a blink of one colour is left to the kernel's `timer` trigger (`delay_on`, `delay_off` in milliseconds),
/// a sequence of colours (green-yellow-blue, an error's blink code) is stepped here every 50 ms. Only what changes is
/// written. The root is `/sys/class/leds` unless the board description names another (a test's directory tree).
///
/// - SeeAlso: Linux kernel documentation, Documentation/leds/leds-class.rst ("brightness", "max_brightness",
///   "trigger") and ledtrig-timer ("delay_on", "delay_off").
final class LinuxLEDDevice: PolledDevice {
    /// One connector's LED names.
    private let outputs: [[LEDOutput: String]]
    private let root: String
    private let link: BoardLink
    private let clock: () -> Int
    /// Per connector: the indication being shown and when it began (milliseconds of `clock`).
    private var showing: [(indication: LEDIndication, since: Int)?]
    /// What each LED was last set to, so that only changes are written.
    private var written: [String: LEDSetting] = [:]
    private var maxBrightness: [String: String] = [:]
    /// The last write that failed: logged once (the LEDs are not worth stopping the station for once running; the write
    /// is tried again at the next change).
    private(set) var lastFailure: String?
    private let logger = Logger(label: "chargekit.leds")

    enum LEDSetting: Equatable {
        case steady(on: Bool)
        case timer(onMilliseconds: Int, offMilliseconds: Int)
    }

    init(root: String, outputs: [[LEDOutput: String]], link: BoardLink,
         clock: @escaping () -> Int = { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) }) {
        self.root = root; self.outputs = outputs; self.link = link; self.clock = clock
        showing = Array(repeating: nil, count: outputs.count)
    }

    var isEmpty: Bool { outputs.allSatisfy(\.isEmpty) }

    /// At start: every LED the description names exists under the root and takes a brightness.
    func check() throws(BoardStartError) {
        for (i, named) in outputs.enumerated() {
            for (output, name) in named.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let dir = "\(root)/\(name)"
                guard FileManager.default.isWritableFile(atPath: "\(dir)/brightness") else {
                    throw BoardStartError("connector \(i + 1) \(output.rawValue) LED: \(dir)/brightness is missing or not writable; check the LED name (ls \(root)) and that the station's user may write it")
                }
                let max = (try? String(contentsOfFile: "\(dir)/max_brightness", encoding: .utf8))?.trimmedWhitespaceAndNewlines
                maxBrightness[name] = max.flatMap { Int($0) }.map(String.init) ?? "1"
            }
        }
    }

    func poll() {
        let controls = link.withState { $0.controls }
        let now = clock()
        for (i, named) in outputs.enumerated() where !named.isEmpty && controls.indices.contains(i) {
            guard let wanted = controls[i].leds else { continue }
            if showing[i]?.indication != wanted { showing[i] = (wanted, now) }
            let (indication, since) = showing[i]!
            for (output, setting) in Self.settings(indication, elapsedMilliseconds: now - since) {
                if let name = named[output] { set(name, setting) }
            }
        }
    }

    func close() {}

    /// What each output shows for `indication`, `elapsed` milliseconds after it began: a steady level, or the timer.
    static func settings(_ indication: LEDIndication, elapsedMilliseconds elapsed: Int) -> [LEDOutput: LEDSetting] {
        var out: [LEDOutput: LEDSetting] = [.ring: indication.cardRead ? .timer(onMilliseconds: 100, offMilliseconds: 100) : .steady(on: false)]
        let (frames, repeats) = indication.frames
        let colours: [(LEDOutput, LEDFrame.Lit)] = [(.red, .red), (.green, .green), (.blue, .blue)]
        // One lit set alternating with darkness, for ever: the kernel blinks it.
        if repeats, frames.count == 2, frames[1].lit == .none, frames[0].lit != .none {
            for (o, l) in colours {
                out[o] = frames[0].lit.contains(l) ? .timer(onMilliseconds: frames[0].milliseconds, offMilliseconds: frames[1].milliseconds) : .steady(on: false)
            }
            return out
        }
        let total = frames.reduce(0) { $0 + $1.milliseconds }
        var t = repeats && total > 0 ? elapsed % total : elapsed
        var current = frames.last?.lit ?? .none
        for f in frames {
            if t < f.milliseconds { current = f.lit; break }
            t -= f.milliseconds
        }
        for (o, l) in colours { out[o] = .steady(on: current.contains(l)) }
        return out
    }

    private func set(_ name: String, _ setting: LEDSetting) {
        guard written[name] != setting else { return }
        let dir = "\(root)/\(name)"
        var ok = true
        switch setting {
        case .steady(let on):
            if case .timer? = written[name] { ok = write("none", to: "\(dir)/trigger") && ok }
            ok = write(on ? maxBrightness[name] ?? "1" : "0", to: "\(dir)/brightness") && ok
        case .timer(let onMs, let offMs):
            ok = write("timer", to: "\(dir)/trigger")
            ok = write("\(onMs)", to: "\(dir)/delay_on") && ok
            ok = write("\(offMs)", to: "\(dir)/delay_off") && ok
        }
        written[name] = ok ? setting : nil
    }

    /// Writes `text` to an existing attribute file (sysfs files are never created).
    private func write(_ text: String, to path: String) -> Bool {
        let fd = Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { return failed("\(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, bytes.count) }
        if n != bytes.count { return failed("\(path): \(String(cString: strerror(errno)))") }
        return true
    }

    private func failed(_ reason: String) -> Bool {
        if reason != lastFailure { logger.warning("LED not set: \(reason)") }
        lastFailure = reason
        return false
    }
}
