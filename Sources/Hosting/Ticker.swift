import ServiceLifecycle

/// Calls `tick` every `interval` until the service group shuts down gracefully, and once more then, so that what the
/// last interval brought is handled before the services stop.
public struct Ticker: Service {
    public let interval: Duration
    let tick: @Sendable () async -> Void

    public init(every interval: Duration, _ tick: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.tick = tick
    }

    public func run() async {
        let (interval, tick) = (interval, tick)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await tick()
            }
        }
        await tick()
    }
}
