import ArgumentParser
import NIOCore
import NIOPosix

// The gateway serves thousands of OCPP connections whose frames pass between NIO's event loops and Swift Concurrency
// tasks. With NIO's event loops as the concurrency executor those hand-overs stay on the loop's thread instead of
// waking a thread of another pool for every frame (scripts/bench-gateway.sh, 10,000 chargers for 30 s: 4.2 instead of
// 4.9 CPU seconds). It must be installed before any task runs, so it is decided here from the subcommand; the station
// keeps Swift's own pool.
if CommandLine.arguments.dropFirst().first == "gateway" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
await ChargeKitCommand.start()
