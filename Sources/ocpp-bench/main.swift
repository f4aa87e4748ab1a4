// ocpp-bench: decode + validate a MeterValues CALL and encode its CALLRESULT, N times.
// `ocpp-bench ITERATIONS [--samples K]`: K sampled values (7 ≈ 1 KB, the issue's size; 11 ≈ 1.6 KB).
// Prints the frame size and µs per message as JSON (`--stages`: µs per stage). Used by scripts/bench-ocpp.sh.
// Writes the frame to standard error so that the Python peer measures the same bytes.
import Foundation
import OCPP16

/// A MeterValues CALL: one meter value with the first `count` measurands a station samples.
func meterValuesFrame(samples count: Int) -> String {
    let samples = [
        ("Energy.Active.Import.Register", nil, "Wh", "123456.7"), ("Power.Active.Import", nil, "W", "11040.0"),
        ("Current.Import", "L1", "A", "16.02"), ("Current.Import", "L2", "A", "15.98"), ("Current.Import", "L3", "A", "16.01"),
        ("Voltage", "L1-N", "V", "230.1"), ("Voltage", "L2-N", "V", "229.8"), ("Voltage", "L3-N", "V", "230.4"),
        ("Current.Offered", nil, "A", "32.0"), ("Power.Offered", nil, "W", "22080.0"), ("SoC", nil, "Percent", "57"),
    ]
    let sampled = samples.prefix(count).map { m, phase, unit, value in
        #"{"value":"\#(value)","context":"Sample.Periodic","format":"Raw","measurand":"\#(m)","location":"Outlet","unit":"\#(unit)""#
            + (phase.map { #","phase":"\#($0)""# } ?? "") + "}"
    }.joined(separator: ",")
    return #"[2,"a3f0c2d4-5b6e-4f70-8a91-b2c3d4e5f607","MeterValues",{"connectorId":1,"transactionId":1287,"meterValue":[{"timestamp":"2026-11-21T10:00:00.000Z","sampledValue":["#
        + sampled + "]}]}]"
}

let arguments = CommandLine.arguments
let sampleCount = arguments.firstIndex(of: "--samples").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 7
let frame = meterValuesFrame(samples: max(1, min(11, sampleCount)))
let iterations = Int(arguments.dropFirst().first ?? "") ?? 100_000
let all = Set(FeatureProfile.allCases)

/// One message: returns a checksum so that the work cannot be optimized away.
func once(_ frame: String, _ all: Set<FeatureProfile>) throws -> Int {
    guard case .call(let id, let action, let payload) = try OCPPFrame.parse(frame) else { return 0 }
    // The dispatch path: the catalog validates against the schema once, then the typed value is built.
    try OCPP16Catalog.validateCall(action: action, payload: payload, supported: all)
    let request = try MeterValuesRequest(json: payload)
    let result = OCPPFrame.callResult(id: id, payload: OCPPCoding.encode(MeterValuesResponse())).serialized()
    return request.meterValue[0].sampledValue.count &+ result.utf8.count
}

if CommandLine.arguments.contains("--stages") {
    func time(_ name: String, _ body: () throws -> Int) rethrows {
        var sum = 0
        let t0 = ContinuousClock.now
        for _ in 0..<20_000 { sum &+= try body() }
        let c = (ContinuousClock.now - t0).components
        print(name, (Double(c.seconds) + Double(c.attoseconds) / 1e18) / 20_000 * 1e6, "µs", sum > 0)
    }
    guard case .call(_, _, let payload) = try OCPPFrame.parse(frame) else { exit(1) }
    try time("parse") { if case .call = try OCPPFrame.parse(frame) { return 1 } else { return 0 } }
    try time("validate") { try OCPP16Catalog.validateCall(action: "MeterValues", payload: payload, supported: all); return 1 }
    try time("decode") { try MeterValuesRequest(json: payload).connectorId }
    time("encode") { OCPPCoding.encode(MeterValuesResponse()) == .null ? 0 : 1 }
    time("serialize") { OCPPFrame.callResult(id: "x", payload: .object([:])).serialized().utf8.count }
    exit(0)
}
var checksum = 0
for _ in 0..<1000 { checksum &+= try once(frame, all) }
let start = ContinuousClock.now
for _ in 0..<iterations { checksum &+= try once(frame, all) }
let elapsed = ContinuousClock.now - start
let c = elapsed.components
let seconds = Double(c.seconds) + Double(c.attoseconds) / 1e18
print("{\"bytes\": \(frame.utf8.count), \"iterations\": \(iterations), \"usPerMessage\": \(seconds / Double(iterations) * 1e6), \"checksum\": \(checksum)}")
FileHandle.standardError.write(Data(frame.utf8))
