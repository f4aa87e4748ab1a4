import ServiceLifecycle

/// Work started while the services run — one upstream client per connected charger, a file transfer — as child tasks
/// of one service, so that none outlives the service group (App starts no unstructured `Task`): each runs until it
/// returns, until its ``Stop`` is used (then it is cancelled), or until the group shuts down (then all are cancelled).
public final class ChildTasks: Sendable {
    /// Ends one task: cancels it if it still runs; later calls do nothing.
    public struct Stop: Sendable {
        fileprivate let signal: AsyncStream<Void>.Continuation
        public func stop() { signal.finish() }
    }

    private struct Job: Sendable {
        let work: @Sendable () async -> Void
        let stopped: AsyncStream<Void>
        let signal: AsyncStream<Void>.Continuation
    }

    private let jobs: AsyncStream<Job>
    private let submit: AsyncStream<Job>.Continuation

    public init() { (jobs, submit) = AsyncStream.makeStream(of: Job.self) }

    /// Starts `work` (once ``service`` runs) and returns what stops it.
    @discardableResult
    public func start(_ work: @escaping @Sendable () async -> Void) -> Stop {
        let (stopped, signal) = AsyncStream.makeStream(of: Void.self)
        submit.yield(Job(work: work, stopped: stopped, signal: signal))
        return Stop(signal: signal)
    }

    /// The service that runs the tasks.
    public var service: some Service { Runner(jobs: jobs) }

    private struct Runner: Service {
        let jobs: AsyncStream<Job>
        func run() async {
            await withDiscardingTaskGroup { group in
                for await job in jobs.cancelOnGracefulShutdown() {
                    group.addTask {
                        await withDiscardingTaskGroup { task in
                            task.addTask {
                                await job.work()
                                job.signal.finish()
                            }
                            for await _ in job.stopped {}
                            task.cancelAll()
                        }
                    }
                }
                group.cancelAll()
            }
        }
    }
}
