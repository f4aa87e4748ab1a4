// modbus-bench: the Modbus TCP benchmark tool of scripts/bench-modbus.sh.
//
//   modbus-bench serve --port P            ChargeKit's Modbus TCP server (Transport.ModbusTCPServer) with 2000
//                                          holding registers, the peer of the pymodbus and libmodbus servers
//   modbus-bench load --port P --clients N --seconds S [--quantity Q] [--unit U]
//                                          N connections, each sending FC03 reads of Q registers back to back;
//                                          prints requests/s and p50/p99 latency in µs as JSON
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

/// One client: returns the latencies of its requests in nanoseconds.
func runClient(port: Int, unit: UInt8, quantity: UInt16, until deadline: UInt64) -> [UInt64] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return [] }
    var latencies: [UInt64] = []
    latencies.reserveCapacity(1 << 20)
    var tid: UInt16 = 0
    let expected = 9 + Int(quantity) * 2
    var response = [UInt8](repeating: 0, count: 512)
    while true {
        let start = nowNanoseconds()
        if start >= deadline { break }
        tid &+= 1
        let request: [UInt8] = [UInt8(tid >> 8), UInt8(tid & 0xFF), 0, 0, 0, 6, unit, 3, 0, 0, UInt8(quantity >> 8), UInt8(quantity & 0xFF)]
        guard send(fd, request, request.count, 0) == request.count else { break }
        var got = 0
        while got < expected {
            let n = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, expected - got, 0) }
            if n <= 0 { return latencies }
            got += n
        }
        guard response[0] == UInt8(tid >> 8), response[1] == UInt8(tid & 0xFF), response[7] == 3 else { break }
        latencies.append(nowNanoseconds() - start)
    }
    return latencies
}

/// The latencies of every client, collected from the client threads.
final class Results: Sendable {
    let all = Mutex<[UInt64]>([])
    func add(_ latencies: [UInt64]) { all.withLock { $0 += latencies } }
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
    let quantity = UInt16(argument("--quantity", 125)), unit = UInt8(argument("--unit", 1))
    let deadline = nowNanoseconds() + UInt64(seconds) * 1_000_000_000
    let results = Results()
    let group = DispatchGroup()
    for _ in 0..<clients {
        group.enter()
        Thread.detachNewThread {
            results.add(runClient(port: port, unit: unit, quantity: quantity, until: deadline))
            group.leave()
        }
    }
    group.wait()
    let all = results.all.withLock { $0 }.sorted()
    func percentile(_ p: Double) -> Double { all.isEmpty ? 0 : Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000 }
    print("{\"requests\": \(all.count), \"perSecond\": \(Double(all.count) / Double(seconds)), \"p50us\": \(percentile(0.5)), \"p99us\": \(percentile(0.99))}")
default:
    FileHandle.standardError.write(Data("usage: modbus-bench serve --port P | load --port P --clients N --seconds S [--quantity Q]\n".utf8))
    exit(64)
}
