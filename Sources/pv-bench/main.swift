// pv-bench: a recorded PV day (scripts/bench/pv-day.csv) through the station's controller in PV and in Min+PV mode, with
// the simulated board and vehicle on a manual clock (TestSupport's PVDay; issue 25's benchmark). Used by
// scripts/bench-pv.sh. `pv-bench CSV [POLL_SECONDS] [PARAMETER=INTEGER ...]` prints one JSON object per mode
// (PVDayResult); the parameters (e.g. PVStartDelay=30) override the station's for experiments.
import Foundation
import LoadManagement
import Parameters
import TestSupport

let arguments = CommandLine.arguments
guard arguments.count > 1, let text = try? String(contentsOfFile: arguments[1], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: pv-bench pv-day.csv [POLL_SECONDS]\n".utf8))
    exit(2)
}
let pollSeconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
let overrides = arguments.dropFirst(3).compactMap { a -> (String, Int)? in
    let kv = a.split(separator: "=")
    return kv.count == 2 ? Int(kv[1]).map { (String(kv[0]), $0) } : nil
}
do {
    let curve = try PVDayMinute.parse(csv: text)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    for mode in [ChargeMode.pv, .minPV] {
        let started = ContinuousClock.now
        let result = try PVDay.run(curve, mode: mode, pollSeconds: pollSeconds) { p in
            for (key, value) in overrides { p.set(key, .integer(value)) }
        }
        let elapsed = ContinuousClock.now - started
        var json = String(decoding: try encoder.encode(result), as: UTF8.self)
        json.removeLast()
        print(json + ",\"elapsedSeconds\":\(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)}")
    }
} catch {
    FileHandle.standardError.write(Data("pv-bench: \(error)\n".utf8))
    exit(1)
}
