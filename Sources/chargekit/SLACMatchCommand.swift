import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import OCPP16
import SLAC
import Transport

/// `chargekit slac-match` (hidden, for installers): runs one ISO 15118-3 SLAC matching as the EVSE on a powerline modem's
/// interface and prints the result as JSON — the check that the modem path works (the interface exists, the station may
/// open a raw socket on it, the modem takes the key, a vehicle's SLAC reaches the station). Run it while no station
/// service uses the modem, with the vehicle plugged in and the pilot at 5 %.
struct SLACMatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slac-match",
        abstract: "Run one ISO 15118-3 SLAC matching on a powerline modem's interface and print the result as JSON.",
        discussion: """
            Sets a fresh network key on the modem, waits for a vehicle's CM_SLAC_PARM.REQ (TT_EVSE_SLAC_init, \
            --slac-init seconds), characterizes the attenuation and matches the vehicle if its average attenuation is at \
            most --threshold dB. Prints {"result": "matched", "evMac", "nid", "runId", "attenuationDb", "sounds", ...} \
            (exit 0), or {"result": "failed", "reason", "message"} / {"result": "timeout"} (exit 1). Needs root or \
            CAP_NET_RAW. Ignored frames are logged on standard error; --verbose logs every step.
            """,
        shouldDisplay: false)

    @Option(help: "The powerline modem's network interface (plcInterface of the board description), e.g. eth1.")
    var interface: String
    @Option(help: "Give up after this many seconds (1...600).")
    var timeout: Int = 60
    @Option(help: "The highest average attenuation, in dB, at which a vehicle is matched (1...120).")
    var threshold: Double = SLACConfiguration.defaultAttenuationThresholdDB
    @Option(name: .customLong("slac-init"), help: "TT_EVSE_SLAC_init in seconds: the wait for the vehicle's first message (20...50).")
    var slacInit: Int = SLACTiming.slacInitDefaultMilliseconds / 1000
    @Flag(help: "Log every step of the matching on standard error.")
    var verbose = false

    func validate() throws {
        guard (1...600).contains(timeout) else { throw ValidationError("--timeout \(timeout): allowed 1...600 seconds") }
        guard SLACConfiguration.attenuationThresholdRangeDB.contains(threshold) else { throw ValidationError("--threshold \(threshold): allowed 1...120 dB") }
        guard (20...50).contains(slacInit) else { throw ValidationError("--slac-init \(slacInit): ISO 15118-3 Table A.1 allows 20...50 seconds") }
    }

    func run() async throws {
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let matcher: SLACMatcher
        do {
            matcher = try SLACMatcher(interface: interface, attenuationThresholdDB: threshold, slacInitMilliseconds: slacInit * 1000,
                                      logger: Logger(label: "chargekit.slac"))
        } catch {
            throw fail("\(error)", code: 2)
        }
        await matcher.startMatching()
        let seconds = timeout
        let outcome = await withTaskGroup(of: SLACEvent?.self) { group in
            group.addTask { for await event in matcher.events { return event }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        var result: [String: Any] = ["interface": interface, "evseMac": matcher.address.description]
        switch outcome {
        case .matched(let match)?:
            result.merge(["result": "matched", "evMac": match.evMAC.description, "nid": match.nid.description, "runId": match.runID.description,
                          "attenuationDb": (match.averageAttenuationDB * 10).rounded() / 10, "sounds": match.soundsReceived]) { $1 }
        case .failed(let failure)?:
            result.merge(["result": "failed", "reason": failure.code, "message": failure.description]) { $1 }
        case nil:
            result.merge(["result": "timeout", "message": "no match and no failure within \(seconds) s"]) { $1 }
        }
        if case .matched? = outcome {} else { await matcher.stopMatching() }
        await matcher.close()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(JSONValue.from(result))
        print(String(decoding: data, as: UTF8.self))
        if case .matched? = outcome { return }
        throw ExitCode(1)
    }
}
