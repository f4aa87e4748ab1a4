import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import Hosting

/// Waits until `condition` holds, at most `seconds` of real time: generous, because the whole suite on 2 cores keeps
/// both busy for a minute and more (a debug build's bcrypt for every web test's accounts), and these tests only need
/// their tasks to be scheduled at all.
func until(_ what: String, within seconds: Double = 180, _ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("\(what) did not happen within \(seconds) s")
    throw CancellationError()
}

/// A service that runs until the group shuts down.
struct UntilShutdown: Service {
    func run() async throws { try? await gracefulShutdown() }
}

struct BuildFailed: Error {}

/// Services whose lives are counted; the lives in `failing` fail to build.
actor Lives: RestartableServices {
    let failing: Set<Int>
    private(set) var built = 0
    private(set) var ended = 0
    private(set) var failures: [Int] = []

    init(failing: Set<Int> = []) { self.failing = failing }

    func makeServices() async throws -> [any Service] {
        built += 1
        if failing.contains(built) { throw BuildFailed() }
        return [UntilShutdown()]
    }

    func servicesEnded() { ended += 1 }

    /// Built, ended and failed lives, at once.
    var counts: (built: Int, ended: Int, failures: [Int]) { (built, ended, failures) }
    func servicesFailed(_ error: any Error) { failures.append(built) }
}

@Suite("Services restarted in process")
struct ServiceRestarterTests {
    static var logger: Logger {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }

    /// Runs the restarter's service in a group of its own, as the gateway does; returns the group and its task.
    static func start(_ restarter: ServiceRestarter, _ lives: Lives) -> (ServiceGroup, Task<Result<Void, any Error>, Never>) {
        let group = ServiceGroup(services: [restarter.service(running: lives)], logger: logger)
        let task = Task { () -> Result<Void, any Error> in
            do { try await group.run(); return .success(()) } catch { return .failure(error) }
        }
        return (group, task)
    }

    @Test("the first life's failure ends the service, and with it the process")
    func firstFailure() async throws {
        let lives = Lives(failing: [1])
        let (_, task) = Self.start(ServiceRestarter(logger: Self.logger), lives)
        guard case .failure = await task.value else { Issue.record("the group went on"); return }
        #expect(await lives.counts == (1, 0, []))
    }

    @Test("a restart ends the running services gracefully and builds them again; shutdown ends them for good")
    func restart() async throws {
        let restarter = ServiceRestarter(logger: Self.logger)
        let lives = Lives()
        let (group, task) = Self.start(restarter, lives)
        try await until("the first life") { await lives.built == 1 }
        await restarter.restart()
        try await until("the second life") { let c = await lives.counts; return c.built == 2 && c.ended == 1 }
        await group.triggerGracefulShutdown()
        guard case .success = await task.value else { Issue.record("the group failed"); return }
        #expect(await lives.counts == (2, 2, []))
    }

    @Test("a later failure is reported and retried at the next restart, without waiting for the retry interval")
    func retryAtRestart() async throws {
        let restarter = ServiceRestarter(retryInterval: .seconds(3600), logger: Self.logger)
        let lives = Lives(failing: [2])
        let (group, task) = Self.start(restarter, lives)
        try await until("the first life") { await lives.built == 1 }
        await restarter.restart()
        try await until("the failure") { await lives.failures == [2] }
        await restarter.restart()
        try await until("the third life") { await lives.built == 3 }
        await group.triggerGracefulShutdown()
        guard case .success = await task.value else { Issue.record("the group failed"); return }
        #expect(await lives.ended == 2)
    }

    @Test("a later failure is retried after the retry interval without a restart")
    func retryAfterInterval() async throws {
        let restarter = ServiceRestarter(retryInterval: .milliseconds(50), logger: Self.logger)
        let lives = Lives(failing: [2, 3])
        let (group, task) = Self.start(restarter, lives)
        try await until("the first life") { await lives.built == 1 }
        await restarter.restart()
        try await until("two failures and a fourth life") { let c = await lives.counts; return c.failures == [2, 3] && c.built == 4 }
        await group.triggerGracefulShutdown()
        guard case .success = await task.value else { Issue.record("the group failed"); return }
    }

    @Test("shutdown while waiting after a failure ends the service without building again")
    func shutdownWhileWaiting() async throws {
        let restarter = ServiceRestarter(retryInterval: .seconds(3600), logger: Self.logger)
        let lives = Lives(failing: [2])
        let (group, task) = Self.start(restarter, lives)
        try await until("the first life") { await lives.built == 1 }
        await restarter.restart()
        try await until("the failure") { await lives.failures == [2] }
        await group.triggerGracefulShutdown()
        guard case .success = await task.value else { Issue.record("the group failed"); return }
        #expect(await lives.built == 2)
    }
}
