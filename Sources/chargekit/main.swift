import ArgumentParser
import Glibc
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
// The station's heap in at most two glibc malloc arenas instead of up to eight per core: its few threads allocate little
// at a time, and each further arena keeps pages of its own (`scripts/bench.sh`, 60 s charging: Pss_Anon 5.08 and 5.10
// against 4.95 MiB twice with two; issue 31 item 2). The gateway keeps glibc's default: thousands of connections on every
// core allocate at once. `mallopt` and `M_ARENA_MAX` (-8 in glibc's <malloc.h>, mallopt(3)) are not in Swift's Glibc
// module, so the function is looked up in the C library the process already has loaded.
if CommandLine.arguments.dropFirst().first == "station", let symbol = dlsym(nil, "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    _ = mallopt(-8 /* M_ARENA_MAX */, 2)
}
await ChargeKitCommand.start()
