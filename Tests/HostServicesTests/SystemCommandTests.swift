import Testing
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

    @Test("a program over its time is killed and named")
    func timeout() async {
        let error = await #expect(throws: SystemCommand.Failure.self) { try await SystemCommand("/bin/sleep", ["5"]).run(timeoutSeconds: 0.2) }
        #expect(error?.description.contains("/bin/sleep 5") == true)
    }
}
