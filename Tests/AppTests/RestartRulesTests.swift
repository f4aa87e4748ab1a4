import Foundation
import Logging
import Testing
import ChargePoint
import EVSECore
@testable import App

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
        let restarted = try await StationApp.assemble(StationOptions(dataDirectory: h.directory, simulate: true),
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
}
