import Foundation

/// Runs a program of the operating system (`networkctl reload`, `nft -f -`, `dnsmasq --test` …) without a shell, with
/// its standard input given and its output captured, and a time limit after which it is killed: the adapters of the
/// host's services use the programs those services ship rather than reimplementing their configuration interfaces.
public struct SystemCommand: Sendable {
    /// What a finished command left: its exit status and its output, decoded as UTF-8 (lossy).
    public struct Result: Sendable, Equatable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
    }

    /// The command could not run at all (missing program), or ran over its time.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public var executable: String
    public var arguments: [String]

    public init(_ executable: String, _ arguments: [String] = []) { self.executable = executable; self.arguments = arguments }

    /// The command line as a person would type it, for log lines and error messages.
    public var commandLine: String { ([executable] + arguments).joined(separator: " ") }

    /// Runs the command to its end (or kills it after `timeoutSeconds`).
    public func run(input: String? = nil, timeoutSeconds: Double = 30) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin; process.standardOutput = stdout; process.standardError = stderr
        do { try process.run() } catch {
            throw Failure(description: "\(executable) could not be started (\(error.localizedDescription)); is it installed?")
        }
        if let input { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        // Read both pipes while the program runs, so that a full pipe never blocks it — on Dispatch's threads: a blocking
        // read on the concurrency pool (two threads on a 2-core board) would stall every task, this loop's time limit too.
        async let out = Self.readToEnd(stdout)
        async let err = Self.readToEnd(stderr)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutSeconds * 1000))
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                // SIGKILL: a child may inherit a blocked SIGTERM from the process's signal mask.
                kill(process.processIdentifier, SIGKILL)
                _ = await (out, err)
                throw Failure(description: "\(commandLine) did not finish within \(timeoutSeconds) s")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let (o, e) = await (out, err)
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }
}
