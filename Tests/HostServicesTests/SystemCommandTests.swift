import Dispatch
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import HostServices

@Suite("System commands: output, exit status, missing programs, time limit")
struct SystemCommandTests {
    @Test("input in, output and status out")
    func runs() async throws {
        let r = try await SystemCommand("/bin/sh", ["-c", "cat; echo oops >&2; exit 3"]).run(input: "hello")
        #expect(r.stdout == "hello")
        #expect(r.stderr == "oops\n")
        #expect(r.status == 3 && !r.succeeded)
    }

    @Test("a missing program is named")
    func missing() async {
        await #expect(throws: SystemCommand.Failure.self) { try await SystemCommand("/nonexistent/dnsmasq").run() }
    }

    @Test("a program still open for writing (ETXTBSY) is tried again for a while, then named with the reason")
    func textFileBusy() async throws {
        let path = "/tmp/chargekit-etxtbsy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sh"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        _ = "#!/bin/sh\nexit 0\n".withCString { write(fd, $0, strlen($0)) }
        let started = ContinuousClock.now
        let error = await #expect(throws: SystemCommand.Failure.self) { try await SystemCommand(path).run() }
        #expect(error?.description.contains("Text file busy") == true, "\(String(describing: error))")
        // A lower bound only (deterministic): it was tried again for 100 ms, 20 pauses of 5 ms, before it gave up.
        #expect(ContinuousClock.now - started >= .milliseconds(100))
    }

    @Test("a program over its time is killed and named")
    func timeout() async {
        let error = await #expect(throws: SystemCommand.Failure.self) { try await SystemCommand("/bin/sleep", ["5"]).run(timeoutSeconds: 0.2) }
        #expect(error?.description.contains("/bin/sleep 5") == true)
    }

    @Test("the time limit runs out while Dispatch's shared threads are all blocked by others")
    func timeoutWithDispatchBusy() async {
        // Dispatch's global queue runs at most as many items at once as there are cores (it adds threads only after
        // seconds); these hold all of them. A limit timed there fired after the 1 s program had ended on its own.
        let release = DispatchSemaphore(value: 0)
        let blockers = 2 * ProcessInfo.processInfo.activeProcessorCount
        for _ in 0..<blockers { DispatchQueue.global().async { release.wait() } }
        defer { for _ in 0..<blockers { release.signal() } }
        let error = await #expect(throws: SystemCommand.Failure.self) { try await SystemCommand("/bin/sleep", ["1"]).run(timeoutSeconds: 0.2) }
        #expect(error?.description.contains("did not finish within 0.2 s") == true, "\(String(describing: error))")
    }
}

@Suite("System commands under load")
struct SystemCommandLoadTests {
    @Test("forty programs at once, each reading its input to the end: every one sees the end of its input and its own output")
    func concurrent() async throws {
        try await withThrowingTaskGroup(of: (Int, SystemCommand.Result).self) { group in
            for i in 0..<40 {
                group.addTask { (i, try await SystemCommand("/bin/cat").run(input: "program \(i)", timeoutSeconds: 20)) }
            }
            for try await (i, result) in group { #expect(result.stdout == "program \(i)" && result.succeeded) }
        }
    }

    @Test("a program that exits without reading a large input does not take the station down (SIGPIPE)")
    func unreadInput() async throws {
        let r = try await SystemCommand("/bin/true").run(input: String(repeating: "x", count: 1_000_000))
        #expect(r.succeeded)
    }
}
