import Logging
import ServiceLifecycle

/// Services that a ``ServiceRestarter`` builds, runs and builds again.
public protocol RestartableServices: Sendable {
    /// The services of one life, built from the current configuration; throwing counts as a failed life.
    func makeServices() async throws -> [any Service]
    /// One life's services ended (restart, shutdown or failure).
    func servicesEnded() async
    /// A life after the first failed; the restarter waits for ``ServiceRestarter/restart()``, at most
    /// ``ServiceRestarter/retryInterval``, and tries again.
    func servicesFailed(_ error: any Error) async
}

/// Services restarted in process (the gateway's, whenever its web configuration saves new settings; the web server
/// stays up): they run in a service group of their own until ``restart()`` or until the process shuts down, and
/// are then built again — the restart is a state, not a task. The first life's failure (a port in use) ends
/// ``service(running:)``, and with it the process; a later one is reported and retried after ``retryInterval`` or at
/// the next ``restart()``, whichever comes first.
public actor ServiceRestarter {
    public nonisolated let retryInterval: Duration
    private let logger: Logger
    private var group: ServiceGroup?
    private var restartRequested = false
    private var restartWaiter: CheckedContinuation<Void, Never>?
    /// ``stopWaiting()`` was called for the current wait.
    private var waitStopped = false

    public init(retryInterval: Duration = .seconds(10), logger: Logger) {
        self.retryInterval = retryInterval
        self.logger = logger
    }

    /// Shuts the running services down gracefully and builds them again; after a failure, ends the wait at once.
    public func restart() async {
        restartRequested = true
        restartWaiter?.resume()
        restartWaiter = nil
        await group?.triggerGracefulShutdown()
    }

    /// The service that runs `services` life after life, until the process shuts down.
    public nonisolated func service(running services: some RestartableServices) -> some Service {
        Runner(restarter: self, services: services)
    }

    private struct Runner<Services: RestartableServices>: Service {
        let restarter: ServiceRestarter
        let services: Services

        func run() async throws {
            var first = true
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    try await restarter.runOnce(services)
                } catch {
                    if first { throw error }
                    await services.servicesFailed(error)
                    await waitForRestart()
                }
                first = false
                guard await restarter.takeRestartRequest() else { break }
            }
        }

        /// After a failure: waits until ``restart()``, at most ``retryInterval``, or until the process shuts down —
        /// whichever comes first; then the services are built again (or not, at shutdown).
        private func waitForRestart() async {
            guard await restarter.mayWaitForRestart() else { return }
            let restarter = self.restarter
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await restarter.waitForRestart() }
                group.addTask { try? await Task.sleep(for: restarter.retryInterval) }
                group.addTask { try? await gracefulShutdown() }
                await group.next()
                group.cancelAll()
                await restarter.stopWaiting()  // a waiter on a continuation does not end by cancellation
            }
            await restarter.restartAfterWaiting()
        }
    }

    /// Builds the services and runs them until a restart or shutdown.
    private func runOnce(_ services: some RestartableServices) async throws {
        let group = ServiceGroup(configuration: .init(services: try await services.makeServices().map { .named($0) }, logger: logger))
        self.group = group
        defer { self.group = nil }
        if restartRequested { await group.triggerGracefulShutdown() }
        do {
            // The inner group runs until a restart (``restart()`` shuts it down) or until the process shuts down,
            // which is passed on to it: a child waits for the outer graceful shutdown and triggers the inner one.
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask { try await group.run(); return true }
                tasks.addTask {
                    do { try await gracefulShutdown() } catch { return false }
                    await group.triggerGracefulShutdown()
                    return false
                }
                while let servicesEnded = try await tasks.next() {
                    if servicesEnded { tasks.cancelAll(); break }
                }
            }
        } catch {
            await services.servicesEnded()
            throw error
        }
        await services.servicesEnded()
    }

    /// Whether the services, after a failure, should wait for a restart (not when one is requested already, nor at
    /// shutdown).
    private func mayWaitForRestart() -> Bool {
        waitStopped = false
        return !restartRequested && !Task.isShuttingDownGracefully
    }

    /// Returns at ``restart()`` or ``stopWaiting()``.
    private func waitForRestart() async {
        guard !restartRequested, !waitStopped else { return }
        await withCheckedContinuation { restartWaiter = $0 }
    }

    /// After the wait, the services are built again.
    private func restartAfterWaiting() { restartRequested = true }

    /// Ends ``waitForRestart()``, also one that has not begun to wait yet.
    private func stopWaiting() {
        waitStopped = true
        restartWaiter?.resume()
        restartWaiter = nil
    }

    /// Whether the services stopped for a restart (and not for shutdown); clears the request.
    private func takeRestartRequest() -> Bool {
        defer { restartRequested = false }
        return restartRequested
    }
}
