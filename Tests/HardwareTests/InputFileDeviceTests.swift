import Boards
@testable import Hardware
import Foundation
import Testing

@Suite struct InputFileDeviceTests {
    @Test func gpioValueFilesAreReadWithTheirPolarity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ck-gpio-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let opto = dir.appendingPathComponent("opto").path, rcd = dir.appendingPathComponent("rcd").path
        try Data("1\n".utf8).write(to: URL(fileURLWithPath: opto))
        try Data("0\n".utf8).write(to: URL(fileURLWithPath: rcd))
        let link = BoardLink(connectorCount: 1)
        let device = InputFileDevice([.opto1: InputSource(.file(path: opto)), .rcdFault: InputSource(.file(path: rcd), activeLow: true, connector: 1)],
                                     link: link)
        try device.check()
        #expect(link.snapshot.inputLevels == [.opto1: true, .rcdFault: false])
        try Data("0".utf8).write(to: URL(fileURLWithPath: opto))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: rcd))
        device.poll()
        // An unreadable value keeps the input's last level.
        #expect(link.snapshot.inputLevels == [.opto1: false, .rcdFault: false])
    }

    @Test func aMissingFileStopsTheStartNamingIt() {
        let link = BoardLink(connectorCount: 1)
        let device = InputFileDevice([.input2: InputSource(.file(path: "/nonexistent/gpio5/value"))], link: link)
        #expect(throws: BoardStartError.self) { try device.check() }
        do { try device.check() } catch { #expect(error.description.contains("/nonexistent/gpio5/value")) }
    }
}
