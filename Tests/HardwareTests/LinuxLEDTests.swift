import Boards
import EVSECore
@testable import Hardware
import Foundation
import Testing

/// The Linux LED class driver against a directory tree shaped like /sys/class/leds (one directory per LED with
/// brightness, max_brightness, trigger, delay_on, delay_off), with a clock the test turns.
@Suite struct LinuxLEDTests {
    final class Clock: @unchecked Sendable { var ms = 0 }

    struct Tree {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ck-leds-\(UInt64.random(in: 0...UInt64.max))")
            for name in ["cp1:red", "cp1:green", "cp1:blue", "cp1:ring"] {
                let d = root.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
                for (file, value) in [("brightness", "0"), ("max_brightness", "255"), ("trigger", "none"), ("delay_on", "0"), ("delay_off", "0")] {
                    try Data("\(value)\n".utf8).write(to: d.appendingPathComponent(file))
                }
            }
        }
        func read(_ led: String, _ file: String) -> String {
            (try? String(contentsOf: root.appendingPathComponent(led).appendingPathComponent(file), encoding: .utf8)) ?? "?"
        }
        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    func device(_ tree: Tree, _ link: BoardLink, _ clock: Clock) -> LinuxLEDDevice {
        LinuxLEDDevice(root: tree.root.path, outputs: [[.red: "cp1:red", .green: "cp1:green", .blue: "cp1:blue", .ring: "cp1:ring"]],
                       link: link, clock: { clock.ms })
    }

    func show(_ link: BoardLink, _ indication: LEDIndication) {
        link.withState { $0.controls[0].apply(.showLEDs(connector: 1, indication)) }
    }

    @Test func steadyColoursUseBrightnessAndBlinksTheTimerTrigger() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let link = BoardLink(connectorCount: 1), clock = Clock()
        let leds = device(tree, link, clock)
        try leds.check()
        show(link, LEDIndication(.reserved))
        leds.poll()
        #expect(tree.read("cp1:red", "brightness") == "255")
        #expect(tree.read("cp1:green", "brightness") == "255")
        #expect(tree.read("cp1:blue", "brightness") == "0")
        show(link, LEDIndication(.charging, cardRead: true))
        leds.poll()
        #expect(tree.read("cp1:blue", "trigger") == "timer")
        #expect(tree.read("cp1:blue", "delay_on") == "1000" && tree.read("cp1:blue", "delay_off") == "1000")
        #expect(tree.read("cp1:green", "brightness") == "0")
        #expect(tree.read("cp1:ring", "trigger") == "timer")
        show(link, LEDIndication(.ready))
        leds.poll()
        #expect(tree.read("cp1:blue", "trigger") == "none")
        #expect(tree.read("cp1:blue", "brightness") == "0")
        #expect(tree.read("cp1:green", "brightness") == "255")
        #expect(tree.read("cp1:ring", "trigger") == "none")
    }

    @Test func sequencesAreSteppedWithTheClock() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let link = BoardLink(connectorCount: 1), clock = Clock()
        let leds = device(tree, link, clock)
        try leds.check()
        show(link, LEDIndication(.fault))
        var seen: [String] = []
        for step in 0..<6 {
            clock.ms = step * 200 + 10
            leds.poll()
            seen.append(["cp1:red", "cp1:green", "cp1:blue"].map { tree.read($0, "brightness") == "255" ? "1" : "0" }.joined())
        }
        // green, yellow (red + green), blue, and again
        #expect(seen == ["010", "110", "001", "010", "110", "001"])
        show(link, LEDIndication(.fault, errorBlinks: 2))
        leds.poll()
        clock.ms += 300
        leds.poll()
        #expect(tree.read("cp1:red", "brightness") == "0", "the blink code's pause between two blinks")
    }

    @Test func aMissingLEDStopsTheStartNamingIt() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let leds = LinuxLEDDevice(root: tree.root.path, outputs: [[.red: "cp9:red"]], link: BoardLink(connectorCount: 1))
        #expect(throws: BoardStartError.self) { try leds.check() }
        do { try leds.check() } catch { #expect(error.description.contains("cp9:red")) }
    }
}
