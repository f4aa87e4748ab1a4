import Foundation
import Logging
import Testing
import ChargePoint
import EVSECore
import Persistence
import StationModbus
@testable import App
@testable import Runtimes

/// Issue 21 item 4: what takes effect at once and what waits for a restart follows each parameter's `restartRequired`
/// flag in the registry — one rule, no hand-kept list.
@Suite("Restart rules from the registry")
struct RestartRulesTests {
    /// A valid value other than `current` for a parameter of type `type`, where one can be made without knowing the
    /// parameter's meaning.
    static func alternative(_ type: ParameterType, _ current: ParameterValue) -> ParameterValue? {
        switch type {
        case .bool:
            if case .bool(let b) = current { return .bool(!b) }
            return nil
        case .integer(let range, _):
            let n = Int(current.numeric ?? 0)
            return .integer(n == range.upperBound ? range.lowerBound : range.upperBound)
        case .decimal(let range, _):
            let d = current.numeric ?? 0
            return .decimal(d == range.upperBound ? range.lowerBound : range.upperBound)
        case .choice(let choices):
            return choices.first { ParameterValue.string($0.value) != current }.map { .string($0.value) }
        case .url(let schemes, _):
            return schemes.first.map { .string("\($0)://backend.example/ocpp") }
        default:
            return nil
        }
    }

    @Test("every restart-required parameter changed on a running station changes nothing until the restart; then it does")
    func restartRequiredWaits() async throws {
        let h = try await RouterHarness()
        let before = await h.runtime.settingsInEffect
        let registry = ParameterRegistry(connectorCount: 2)
        var changed: [String] = []
        for r in registry.keys where r.definition.restartRequired {
            let current = try await h.runtime.parameter(r.key).value
            guard let value = Self.alternative(r.definition.type, current) else { continue }
            do {
                _ = try await h.runtime.setParameter(r.key, value, role: .manufacturer, changedBy: "test")
                changed.append(r.key)
            } catch is ParameterError {
                continue  // the value conflicts with another parameter; the others still prove the rule
            }
        }
        #expect(changed.count >= 25, "\(changed.count) restart-required parameters changed: \(changed)")
        #expect(await h.runtime.settingsInEffect == before, "nothing takes effect while running")
        await h.runtime.shutdown()

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let restarted = try await StationApp.assemble(StationOptions(dataDirectory: h.directory), board: RouterHarness.board,
                                                      dir: DataDirectory(h.directory), logger: logger)
        let after = await restarted.runtime.settingsInEffect
        #expect(after != before, "the changes take effect with the restart")
        #expect(after == StationSettings(await restarted.runtime.parameterService.values))
    }

    @Test("a parameter without restartRequired takes effect at once")
    func immediate() async throws {
        let h = try await RouterHarness()
        _ = try await h.runtime.setParameter("OperatorCurrentLimit.1", .integer(10), role: .operator, changedBy: "test")
        #expect(await h.runtime.settingsInEffect.connectors[0].operatorCurrentLimitAmps == 10)
    }

    @Test("effective values: restart-required keys keep their start value, the others follow")
    func effectiveValues() {
        let registry = ParameterRegistry(connectorCount: 2)
        let start = ParameterSet(registry: registry, stored: ["ConnectorCount": .integer(2)])
        var running = start
        running.set("ConnectorCount", .integer(1))
        running.set("ExternalMeterSupport", .bool(true))
        running.set("HeartbeatInterval", .integer(600))
        let effective = running.effective(startedWith: start)
        #expect(effective.value("ConnectorCount") == .integer(2))
        #expect(effective.value("ExternalMeterSupport") == .bool(false))
        #expect(effective.value("HeartbeatInterval") == .integer(600))
    }

    /// The three bugs of issue 21 item 4, each a parameter whose help says "after restart" but which acted at once.
    @Test("(a) a charge meter configured while running does not replace the board meter until the restart")
    func chargeMeterWaits() async throws {
        let h = try await RouterHarness()
        _ = try await h.runtime.setParameter("\(StationParameters.meterConfiguration).1", .string(MeterModel.tqEM300LR.rawValue),
                                             role: .installer, changedBy: "test")
        _ = try await h.runtime.setParameter("\(StationParameters.meterAddress).1", .string("192.0.2.50"), role: .installer, changedBy: "test")
        #expect(await h.runtime.settingsInEffect.chargeMeters[0] == nil, "no poller runs before the restart, so the board meter stays")
        #expect(await h.runtime.status().connectors[0].meter.communicating)
    }

    @Test("(b) switching the Modbus TCP server Off while running keeps its snapshot fresh until the restart")
    func modbusServerWaits() async throws {
        let h = try await RouterHarness(preset: [StationParameters.modbusServer: .bool(true)])
        #expect(await h.runtime.settingsInEffect.modbus.enabled)
        _ = try await h.runtime.setParameter(StationParameters.modbusServer, .bool(false), role: .operator, changedBy: "test")
        #expect(await h.runtime.settingsInEffect.modbus.enabled, "the server still answers, so its snapshot is still refreshed")
    }

    @Test("(c) External Meter Support switched On while running does not start DLM's meter fallback before the restart")
    func externalMeterWaits() async throws {
        let h = try await RouterHarness()
        _ = try await h.runtime.setParameter(StationParameters.externalMeterSupport, .bool(true), role: .installer, changedBy: "test")
        _ = try await h.runtime.setParameter(StationParameters.secondMeterAddress, .string("192.0.2.51"), role: .installer, changedBy: "test")
        #expect(await h.runtime.settingsInEffect.gridMeter == nil, "no meter is polled before the restart: nothing has failed")
    }
}
