import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import Hosting

@Suite("Child tasks of the service group")
struct ChildTasksTests {
    /// What the tasks did.
    final class Record: Sendable {
        let started = Mutex<Set<String>>([])
        let cancelled = Mutex<Set<String>>([])
        let finished = Mutex<Set<String>>([])
    }

    /// Runs until cancelled, then notes it.
    static func forever(_ name: String, _ record: Record) -> @Sendable () async -> Void {
        {
            record.started.withLock { _ = $0.insert(name) }
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            record.cancelled.withLock { _ = $0.insert(name) }
        }
    }

    @Test("a task runs until stopped or until it returns; the group's shutdown cancels the rest")
    func lifecycle() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let tasks = ChildTasks()
        let record = Record()
        let group = ServiceGroup(services: [tasks.service], logger: logger)
        let run = Task { try await group.run() }
        let a = tasks.start(Self.forever("a", record))
        tasks.start(Self.forever("b", record))
        tasks.start { record.finished.withLock { _ = $0.insert("c") } }
        try await until("a and b started, c finished") {
            record.started.withLock { $0 } == ["a", "b"] && record.finished.withLock { $0 } == ["c"]
        }
        a.stop()
        try await until("a cancelled") { record.cancelled.withLock { $0 } == ["a"] }
        a.stop()  // again: nothing happens
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(record.cancelled.withLock { $0 } == ["a", "b"])
    }
}
