// Benchmark tool of scripts/bench-persistence.sh: the station database's writes on the acknowledgement path (persisted
// before acknowledged), on a file in WAL mode as the station opens it. Prints p50/p99 per operation in µs.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ChargePoint
import EVSECore
import Persistence

let arguments = CommandLine.arguments
guard arguments.count == 3, let rounds = Int(arguments[2]), rounds > 0 else {
    print("usage: persistence-bench DIRECTORY ROUNDS")
    exit(2)
}
let db = try StationDatabase(directory: arguments[1])
let clock = ContinuousClock()
var figures: [String: [Double]] = [:]

/// Runs `body` once and keeps its duration under `name`.
@MainActor @discardableResult
func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    figures[name, default: []].append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    return result
}

/// A MeterValues payload of 7 sampled values (about 1 KB), as the station queues it.
let payload = "{\"connectorId\":1,\"transactionId\":1,\"meterValue\":[{\"timestamp\":\"2027-01-15T10:00:00Z\",\"sampledValue\":["
    + (0..<7).map { "{\"value\":\"\($0)1234.5\",\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"location\":\"Outlet\"}" }
        .joined(separator: ",") + "]}]}"
let hardware = Data((0..<64).map { UInt8($0) })
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

for round in 0..<rounds {
    let at = t0.addingTimeInterval(Double(round) * 60)
    let session = ChargingSession(id: UUID(), connector: 1, idTag: "04567DAA5F3580", method: .rfid, startedAt: at, meterStartWh: Double(round))
    try measure("sessionStarted + StartTransaction queued") { try db.sessionStarted(session, queueForBackend: true) }
    for s in 0..<5 {
        let sample = MeterSample(connector: 1, sessionID: session.id, at: at.addingTimeInterval(Double(s)), energyWh: Double(round + s), powerW: 11_000,
                                 currentA: PhaseValues(all: 16), voltageV: PhaseValues(all: 230))
        try measure("meter sample + hardware state") { try db.record(samples: [sample], hardwareState: hardware) }
    }
    try measure("MeterValues queued") { try db.enqueueMeterValues(session: session.id, payload: payload, at: at, capacity: 10_000) }
    while let head = try measure("queue head (read)", { try db.transactionQueueHead() }) {
        try measure("message delivered") {
            try db.transactionMessageDelivered(head.sequence, session: head.sessionID, transactionID: head.action == "StartTransaction" ? round + 1 : nil,
                                               finished: head.action == "StopTransaction")
        }
    }
    try measure("sessionStopped + StopTransaction queued") {
        try db.sessionStopped(session.id, at: at.addingTimeInterval(50), meterStopWh: Double(round + 10), reason: .local, stoppedBy: nil,
                              queueForBackend: true, solarShare: nil)
    }
    try measure("event appended") { try db.append(EventLogEntry(at: at, kind: .sessionStopped, connector: 1, message: "Session stopped")) }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
for name in figures.keys.sorted() {
    let values = figures[name]!.sorted()
    print("\(name): n=\(values.count) p50=\(String(Int(percentile(values, 0.5).rounded()))) µs p99=\(String(Int(percentile(values, 0.99).rounded()))) µs")
}
