// modbus-bench: the Modbus TCP benchmark tool of scripts/bench-modbus.sh.
//
//   modbus-bench serve --port P            ChargeKit's Modbus TCP server (Transport.ModbusTCPServer) with 2000
//                                          holding registers, the peer of the pymodbus and libmodbus servers
//   modbus-bench load --port P --clients N --seconds S [--quantity Q] [--unit U] [--address A]
//                                          N connections, each sending FC03 reads of Q registers at A back to back;
//                                          prints requests/s and p50/p99 latency in µs as JSON
//   modbus-bench interleave --ports P1,P2,… --seconds S [--quantity Q] [--unit U] [--address A]
//                                          1 client with a connection to each port, requests to them in turn;
//                                          prints a JSON list: requests, p50/p99 latency in µs per port
import Foundation
import Logging
import ModbusTCP
import ServiceLifecycle
import Synchronization
import Transport
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

struct FlatRegisters: ModbusRequestHandler {
    static let map = RegisterMap(definitions: (0..<2000).map { RegisterDefinition(UInt16($0), "r\($0)", .uint16) })

    func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
        handleModbusImmediately(connector: connector, unitID: unitID, request: request) ?? .exception(function: 3, .serverDeviceFailure)
    }

    func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? {
        switch request {
        case .readHoldingRegisters(let a, let q):
            switch Self.map.read(address: a, quantity: q, valueAt: { .integer(Int64($0)) }) {
            case .success(let r): return .registers(.readHoldingRegisters, r)
            case .failure(let e): return .exception(function: 3, e)
            }
        default:
            return .exception(function: request.function.rawValue, .illegalFunction)
        }
    }
}

func argument(_ name: String, _ fallback: Int) -> Int {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count,
          let v = Int(CommandLine.arguments[i + 1]) else { return fallback }
    return v
}

func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A connection to a server on 127.0.0.1 (TCP_NODELAY, as a Modbus client sets it), or nil.
func connectTo(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { close(fd); return nil }
    return fd
}

/// One FC03 request and its whole answer on `fd`: the latency in nanoseconds, or nil when the connection failed or the
/// answer is not the one asked for.
func readRegisters(fd: Int32, tid: UInt16, unit: UInt8, address: UInt16, quantity: UInt16, response: inout [UInt8]) -> UInt64? {
    let expected = 9 + Int(quantity) * 2
    let request: [UInt8] = [UInt8(tid >> 8), UInt8(tid & 0xFF), 0, 0, 0, 6, unit, 3, UInt8(address >> 8), UInt8(address & 0xFF),
                            UInt8(quantity >> 8), UInt8(quantity & 0xFF)]
    let start = nowNanoseconds()
    guard send(fd, request, request.count, 0) == request.count else { return nil }
    var got = 0
    while got < expected {
        let n = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, expected - got, 0) }
        if n <= 0 { return nil }
        got += n
    }
    let latency = nowNanoseconds() - start
    guard response[0] == UInt8(tid >> 8), response[1] == UInt8(tid & 0xFF), response[7] == 3 else { return nil }
    return latency
}

/// One client: returns the latencies of its requests in nanoseconds.
func runClient(port: Int, unit: UInt8, address: UInt16, quantity: UInt16, until deadline: UInt64) -> [UInt64] {
    guard let fd = connectTo(port: port) else { return [] }
    defer { close(fd) }
    var latencies: [UInt64] = []
    latencies.reserveCapacity(1 << 20)
    var tid: UInt16 = 0
    var response = [UInt8](repeating: 0, count: 512)
    while nowNanoseconds() < deadline {
        tid &+= 1
        guard let latency = readRegisters(fd: fd, tid: tid, unit: unit, address: address, quantity: quantity, response: &response) else { break }
        latencies.append(latency)
    }
    return latencies
}

/// One client with a connection to each of `ports`, sending its requests to them in turn (one to the first, one to the
/// second, …): a busy machine's noise — another process taking the core, an interrupt — falls on every server alike,
/// request by request, rather than on whichever server's turn it was. Returns the latencies per port.
func runInterleaved(ports: [Int], unit: UInt8, address: UInt16, quantity: UInt16, until deadline: UInt64) -> [[UInt64]] {
    let fds = ports.compactMap(connectTo)
    defer { fds.forEach { close($0) } }
    guard fds.count == ports.count else { return ports.map { _ in [] } }
    var latencies = ports.map { _ in [UInt64]() }
    for i in latencies.indices { latencies[i].reserveCapacity(1 << 19) }
    var tid: UInt16 = 0
    var response = [UInt8](repeating: 0, count: 512)
    while nowNanoseconds() < deadline {
        tid &+= 1
        for (i, fd) in fds.enumerated() {
            guard let latency = readRegisters(fd: fd, tid: tid, unit: unit, address: address, quantity: quantity, response: &response) else { return latencies }
            latencies[i].append(latency)
        }
    }
    return latencies
}

/// The latencies of every client, collected from the client threads.
final class Results: Sendable {
    let all = Mutex<[UInt64]>([])
    func add(_ latencies: [UInt64]) { all.withLock { $0 += latencies } }
}

/// requests, requests/s and p50/p99 latency in µs as a JSON object.
func summary(_ latencies: [UInt64], seconds: Int) -> String {
    let all = latencies.sorted()
    func percentile(_ p: Double) -> Double { all.isEmpty ? 0 : Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000 }
    return "{\"requests\": \(all.count), \"perSecond\": \(Double(all.count) / Double(seconds)), \"p50us\": \(percentile(0.5)), \"p99us\": \(percentile(0.99))}"
}

let mode = CommandLine.arguments.dropFirst().first ?? ""
switch mode {
case "serve":
    var logger = Logger(label: "modbus-bench")
    logger.logLevel = .warning
    // The load generator's clients all come from 127.0.0.1: the per-address cap of a deployment would refuse them.
    let server = ModbusTCPServer(host: "127.0.0.1", basePort: argument("--port", 15502), connectors: 1, handler: FlatRegisters(), logger: logger,
                                 limits: ConnectionLimits(maxConnections: 1024, maxPerAddress: 1024))
    try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
case "load":
    let port = argument("--port", 15502), clients = argument("--clients", 1), seconds = argument("--seconds", 5)
    let quantity = UInt16(argument("--quantity", 125)), unit = UInt8(argument("--unit", 1)), address = UInt16(argument("--address", 0))
    let deadline = nowNanoseconds() + UInt64(seconds) * 1_000_000_000
    let results = Results()
    let group = DispatchGroup()
    for _ in 0..<clients {
        group.enter()
        Thread.detachNewThread {
            results.add(runClient(port: port, unit: unit, address: address, quantity: quantity, until: deadline))
            group.leave()
        }
    }
    group.wait()
    print(summary(results.all.withLock { $0 }, seconds: seconds))
case "interleave":
    let ports = (CommandLine.arguments.firstIndex(of: "--ports").flatMap { i in CommandLine.arguments.dropFirst(i + 1).first } ?? "")
        .split(separator: ",").compactMap { Int($0) }
    let seconds = argument("--seconds", 5), quantity = UInt16(argument("--quantity", 125)), unit = UInt8(argument("--unit", 1))
    let address = UInt16(argument("--address", 0))
    let latencies = runInterleaved(ports: ports, unit: unit, address: address, quantity: quantity, until: nowNanoseconds() + UInt64(seconds) * 1_000_000_000)
    print("[" + latencies.map { summary($0, seconds: seconds) }.joined(separator: ", ") + "]")
default:
    FileHandle.standardError.write(Data("usage: modbus-bench serve --port P | load --port P --clients N --seconds S [--quantity Q] | interleave --ports P1,P2 --seconds S [--quantity Q]\n".utf8))
    exit(64)
}
