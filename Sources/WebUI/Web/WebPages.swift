import CivilDate
import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle
import ChargePoint
import EVSECore
import LoadManagement
import SEMP

/// A menu's parameter page; the Network and System menus show their cards above the parameters.
struct ParameterPage: PageModel {
    var template: WebTemplate { system != nil ? .system : network != nil ? .network : .parameters }
    var menuLabel: String
    /// Where the form is sent.
    var action: String
    var csrf: String
    var sections: [ParameterSection]
    var hasParameters: Bool
    var saved: Bool
    /// A saved change takes effect after a restart.
    var restart: Bool
    var hasErrors: Bool
    /// The parameters (of every page) whose saved value waits for a restart, by label; the page offers "Restart now".
    /// (Stored, not computed: the templates read a model's stored properties.)
    var hasWaiting = false
    var waitingList = ""
    /// "Save & Restart" next to "Save" (seeds/004 §4).
    var saveAndRestart = true
    var network: WebInterface.NetworkCards?
    /// Network: the mobile modem's status (issue 24 item 3).
    var mobile: WebInterface.MobileCard?
    var servicePort: WebInterface.ServicePortCard?
    /// Network: the editable interface cards (issue 24 item 1).
    var networkConfig: WebInterface.NetworkConfigCards?
    var system: WebInterface.SystemCards?
    /// Load Management: "Clear persistent DLM slave DB" (seeds/004 §7.4).
    var dlmSlaves: WebInterface.DLMSlaveCard?
    /// Backend: "Send test mail" of the e-mail alerts (seeds/004 §4).
    var mailTest: WebInterface.MailTestCard?
    /// Load Management: the EEBUS pairing and the energy manager's limits (issue 26 item 4).
    var eebus: WebInterface.EEBUSCard?
}

/// The dashboard: sessions, system status, the backend connection, each connector and the load management.
struct DashboardPage: PageModel {
    var template: WebTemplate { .dashboard }

    struct ActiveError {
        var id: String
        var message: String
    }

    struct Connector {
        var id: Int
        var fields: WebInterface.ConnectorFields
    }

    struct Summary {
        var total: String
        var duration: String
        var energy: String
        var lastMonth: String
    }

    struct DLM {
        struct Slave {
            var id: String
            var address: String
            var state: String
            var status: String
            var current: String
            var grant: String
            var lastSeen: String
        }

        var mode: String
        var available: String
        var applied: String
        var warnings: [String]
        var hasSlaves: Bool
        var slaves: [Slave]
    }

    var serial: String
    var startedAt: String
    var errors: [ActiveError]
    var connectors: [Connector]
    var summary: Summary
    var backend: WebInterface.BackendFields?
    var noBackend: Bool
    var dlm: DLM?
    /// This station's DLM master, when it is a slave.
    var dlmMaster: String?
}

extension WebInterface {
    // MARK: Parameter pages

    /// A menu's parameters, by section in registry order (seeds/004 §3: label, value, ⓘ help, L1/L2/L3 triples,
    /// dropdowns, "Unsaved Changes", "Reset all changes", "Save"). `entered` keeps what the user typed when the form had
    /// errors, so that nothing typed is lost.
    func parameterPage(_ session: WebAccounts.Session, _ menu: Menu, query: [String: String], errors: [String: String],
                       entered: [String: String], status: HTTPResponse.Status = .ok, mailTest: MailTestResult? = nil,
                       networkForm: NetworkFormState? = nil, localPort: Int? = nil) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        let all = await station.parameters()
        let views = all.filter { $0.menu == menu }
        // What each parameter on the page currently holds (as typed when the form came back with errors), for the
        // fields that only show for some values of another one.
        var current: [String: String] = [:]
        for v in views { current[v.key] = entered[v.key] ?? v.value.description }
        var order: [String] = []
        var bySection: [String: [ParameterField]] = [:]
        for v in views {
            if bySection[v.section] == nil { order.append(v.section) }
            var f = field(v, session: session, t: t, texts: WebText.parameterTexts(language), error: errors[v.key], entered: entered)
            if let w = v.visibleWhen {
                f.dependsOn = w.key
                f.dependsValue = (w.except ? "!" : "") + w.values.joined(separator: "|")
                f.hidden = !w.shows(for: current[w.key] ?? "") && errors[v.key] == nil
            }
            bySection[v.section, default: []].append(f)
        }
        // Anchors keep the registry's (English) section names, so links work in every language.
        let names = WebText.sectionNames(language)
        func name(_ section: String) -> String { names?[section] ?? section }
        let sections = order.map { ParameterSection(name: name($0), anchor: WebHTTP.anchor($0), parameters: bySection[$0] ?? []) }
        let saved = query["saved"]
        var model = ParameterPage(menuLabel: t["menu.\(menu.rawValue)"] ?? menu.rawValue, action: "/menu/\(Self.slug(menu))", csrf: session.csrf,
                                  sections: sections, hasParameters: !sections.isEmpty, saved: saved != nil, restart: saved == "restart",
                                  hasErrors: !errors.isEmpty)
        let texts = WebText.parameterTexts(language)
        let waiting = await station.waitingForRestart().map { v in
            let base = String(v.key.split(separator: ".").first ?? "")
            let label = texts?[base]?.label ?? v.label
            return v.connector.map { "\(label) (\($0))" } ?? label
        }
        model.hasWaiting = !waiting.isEmpty
        model.waitingList = waiting.joined(separator: ", ")
        var anchors = order.map { (name($0), WebHTTP.anchor($0)) }
        if menu == .network {
            model.network = networkCards(all, t: t)
            model.mobile = await mobileCard(t: t)
            anchors = [(t["net.interfaces"] ?? "", "s-interfaces"), (t["net.endpoints"] ?? "", "s-endpoints"), (t["net.mobile"] ?? "", "s-mobile-status")] + anchors
            model.servicePort = await servicePortCard(t: t)
            if model.servicePort != nil { anchors.insert((t["dhcp.status"] ?? "", "s-dhcp"), at: 2) }
            model.networkConfig = await networkConfigCards(session, t: t, state: networkForm, localPort: localPort)
            anchors.insert((t["netcfg.heading"] ?? "", "s-network-config"), at: 2)
        } else if menu == .system {
            model.system = await systemCards(session, t: t, query: query)
            anchors = [(t["sys.about"] ?? "", "s-about"), (t["sys.dateTime"] ?? "", "s-date-time"), (t["sys.log"] ?? "", "s-log")] + anchors
                + [(t["sys.operatorDefault"] ?? "", "s-operator-default"), (t["sys.factoryReset"] ?? "", "s-factory-reset")]
        } else if menu == .loadManagement {
            model.dlmSlaves = await dlmSlaveCard(session, t: t, query: query)
            anchors.append((t["dlm.clearSlaves"] ?? "", "s-dlm-slave-db"))
            model.eebus = await eebusCard(session, t: t, query: query)
            anchors.append((t["eebus.heading"] ?? "", "s-eebus"))
        } else if menu == .backend {
            model.mailTest = await mailTestCard(session, t: t, result: mailTest)
            anchors.append((t["mail.test"] ?? "", "s-mail-test"))
        }
        return try await page(model, title: t["menu.\(menu.rawValue)"] ?? menu.rawValue, session: session, language: language,
                              activeMenu: menu, sections: anchors, status: status)
    }

    private func field(_ v: ParameterView, session: WebAccounts.Session, t: [String: String], texts: [String: WebText.ParameterText]?,
                       error: String?, entered: [String: String]) -> ParameterField {
        // Label and help in the user's language; a connector parameter's label names its connector after the first.
        let base = String(v.key.split(separator: ".").first ?? "")
        var label = v.label, help = v.help
        if let own = texts?[base] {
            label = own.label
            help = own.help
            if let n = v.connector, n > 1 { label += (t["form.connectorSuffix"] ?? "").replacing("%n", with: String(n)) }
        }
        var f = ParameterField(key: v.key, label: label, help: help, allowed: v.allowed, seeAlso: v.seeAlso,
                               defaultValue: v.secret ? "" : v.defaultValue.description, restartRequired: v.restartRequired,
                               preset: v.preset == true, error: error)
        if v.role > session.role {
            f.readonly = (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(v.role.rawValue)"] ?? v.role.rawValue)
        }
        let current = entered[v.key] ?? v.value.description
        if v.secret {
            f.isSecret = true
            f.secretState = v.isSet ? t["form.secretSet"] ?? "" : t["form.secretUnset"] ?? ""
        } else if v.type == "bool" {
            f.isBool = true
            f.on = current == "On"
        } else if let choices = v.choices, v.type == "enum" {
            f.isChoice = true
            let own = texts?[base]?.choices
            f.choices = choices.map { SelectOption(value: $0.value, label: own?[$0.value] ?? $0.label, selected: $0.value == current) }
        } else if v.type == "phases" {
            f.isTriple = true
            let parts = current.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f.phases = ["L1", "L2", "L3"].enumerated().map { i, p in
                .init(phase: p, value: entered["\(v.key).\(p)"] ?? (parts.indices.contains(i) ? parts[i] : ""))
            }
        } else {
            f.isText = true
            f.value = current
        }
        return f
    }

    /// Saves the changed fields of a menu page: all are validated first; on any error nothing is stored and the page
    /// comes back with every error next to its field and the typed values kept.
    func saveParameters(_ session: WebAccounts.Session, _ menu: Menu, _ form: [String: String]) async throws -> Response {
        let views = await station.parameters().filter { $0.menu == menu }
        var changes: [(key: String, text: String)] = []
        var entered: [String: String] = [:]
        for v in views {
            let text: String?
            if v.type == "phases" {
                let parts = ["L1", "L2", "L3"].map { form["\(v.key).\($0)"] }
                for (p, value) in zip(["L1", "L2", "L3"], parts) { if let value { entered["\(v.key).\(p)"] = value } }
                text = parts.contains(where: { $0 == nil }) ? nil : parts.map { $0!.trimmingSpaces }.joined(separator: ",")
            } else {
                text = form[v.key].map { v.secret ? $0 : $0.trimmingSpaces }
            }
            guard let text else { continue }  // not on the form (read-only fields are disabled and not sent)
            if v.secret && text.isEmpty { continue }  // an empty secret field keeps the stored secret
            if !v.secret { entered[v.key] = text }
            if !v.secret && text == v.value.description { continue }
            changes.append((v.key, text))
        }
        let thenRestart = form["then"] == "restart"
        guard !changes.isEmpty else {
            return thenRestart ? try await restart(session, .services) : WebHTTP.redirect("/menu/\(Self.slug(menu))")
        }
        do {
            let saved = try await station.setParameters(changes, role: session.role, changedBy: "web:\(session.account)")
            // "Save & Restart" (seeds/004 §4): saved first, then the services restart; a form with errors stores nothing
            // and does not restart.
            if thenRestart { return try await restart(session, .services) }
            return WebHTTP.redirect("/menu/\(Self.slug(menu))?saved=\(saved.contains(where: \.restartRequired) ? "restart" : "1")")
        } catch let e as ParameterBatchError {
            let language = await language(session)
            let errors = e.errors.mapValues { Self.message($0, language: language) }
            return try await parameterPage(session, menu, query: [:], errors: errors, entered: entered, status: .badRequest)
        }
    }

    /// A field's error: what is wrong and the allowed range (from the registry).
    static func message(_ e: ParameterError, language: String) -> String {
        switch e.kind {
        case .invalidValue:
            (WebText.table(language)["form.invalid"] ?? "").replacing("%v", with: e.given ?? "")
                .replacing("%a", with: e.allowed ?? "")
        default: e.message
        }
    }

    // MARK: Dashboard

    func dashboard(_ session: WebAccounts.Session) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        let s = await station.status()
        let summary = try? await station.historySummary()
        let tz = await timeZone()
        var model = DashboardPage(
            serial: s.serialNumber, startedAt: WebHTTP.time(s.startedAt, tz: tz),
            errors: s.activeErrors.map { .init(id: $0.id, message: $0.message) },
            connectors: s.connectors.map { .init(id: $0.id, fields: Self.connectorFields($0, t: t)) },
            summary: .init(total: summary.map { String($0.totalSessions) } ?? "–",
                           duration: summary.map { Self.duration($0.averageDurationMinutes * 60) } ?? "–",
                           energy: summary.map { Self.kWh($0.averageEnergyKWh * 1000) } ?? "–",
                           lastMonth: summary.map { "\(Self.kWh($0.lastMonth.energyKWh * 1000)) (\($0.lastMonth.month))" } ?? "–"),
            backend: s.backend.map { Self.backendFields($0, t: t, tz: tz) }, noBackend: s.backend == nil)
        if let d = s.dlm {
            model.dlm = .init(
                mode: d.mode.rawValue, available: Self.phases(d.availableAmps), applied: Self.phases(d.appliedAmps), warnings: d.warnings,
                hasSlaves: !(d.slaves ?? []).isEmpty,
                slaves: (d.slaves ?? []).map { slave in
                    .init(id: slave.id, address: slave.address, state: slave.connected ? t["dash.connected"] ?? "" : t["dash.silent"] ?? "",
                          status: slave.connectors.map(\.status).joined(separator: ", "),
                          current: slave.connectors.map { Self.phases($0.measuredAmps) }.joined(separator: " · "),
                          grant: slave.connectors.map { Self.amps($0.grantAmps) }.joined(separator: " · "), lastSeen: WebHTTP.time(slave.lastSeen, tz: tz))
                })
            if let m = d.master {
                model.dlmMaster = "\(m.id ?? "–")\(m.address.map { " (\($0))" } ?? "") · \(m.connected ? t["dash.connected"] ?? "" : t["dash.silent"] ?? "")"
            }
        }
        return try await page(model, title: t["menu.Dashboard"] ?? "", session: session, language: language, activeMenu: .dashboard)
    }

    /// The backend connection as texts (the same for the page and the live updates): state and next heartbeat.
    struct BackendFields: Encodable {
        var url: String
        var state: String
        /// "1" when connected and accepted, else "0" (the state dot's `data-on`).
        var online: String
        var nextHeartbeat: String
        var lastHeartbeat: String
        var queued: String
    }

    static func backendFields(_ b: BackendStatus, t: [String: String], tz: TimeZoneRules) -> BackendFields {
        let state = !b.connected ? t["dash.backendOffline"] : b.registration == "accepted" ? t["dash.backendAccepted"]
            : (t["dash.backendRegistration"] ?? "").replacing("%@", with: b.registration)
        return BackendFields(url: b.url, state: state ?? "", online: b.connected && b.registration == "accepted" ? "1" : "0",
                             nextHeartbeat: b.nextHeartbeatAt.map { WebHTTP.time($0, tz: tz) } ?? "–",
                             lastHeartbeat: b.lastHeartbeatAt.map { WebHTTP.time($0, tz: tz) } ?? "–", queued: String(b.queuedTransactionMessages))
    }

    /// What the dashboard shows of a connector, as texts (the same for the page and the live updates, whose script
    /// writes each into the element with its name as `data-field`).
    struct ConnectorFields: Encodable {
        var status: String
        var pilot: String
        var signaled: String
        var binding: String
        var current: String
        var voltage: String
        var power: String
        var energy: String
        var session: String
        /// The PV charge mode, and in Min+PV or PV what the surplus controller decided and why.
        var pv: String
        /// The signing meter's public key (hex DER), which a driver compares with the transparency software's (issue 28
        /// item 6; the OCA signed meter values whitepaper: the key visible on the station).
        var meterKey: String
        /// What the connector's LEDs show, in words, and the state that colours the lamp beside them (issue 22 item 5).
        var leds: String
        var ledState: String
    }

    /// The LEDs' indication in the page's language (seeds/004 §6 wording).
    static func ledText(_ i: LEDIndication?, t: [String: String]) -> String {
        guard let i else { return "–" }
        var text = i.state == .fault && i.errorBlinks != nil
            ? (t["led.faultBlinks"] ?? "").replacing("{n}", with: String(i.errorBlinks ?? 0))
            : t["led.\(i.state.rawValue)"] ?? i.state.rawValue
        if i.cardRead { text += " · " + (t["led.cardRead"] ?? "") }
        return text
    }

    static func connectorFields(_ c: ConnectorSnapshot, t: [String: String]) -> ConnectorFields {
        let m = c.meter
        return ConnectorFields(status: c.status.rawValue, pilot: "\(c.pilotState.rawValue)", signaled: amps(c.pilotSignal.signaledCurrentAmps),
                               binding: bindingText(c), current: phases(m.currentA) + " A", voltage: phases(m.voltageV) + " V",
                               power: WebFormat.fixed(m.powerW.sum / 1000, 2) + " kW", energy: kWh(m.energyWh),
                               session: c.session.map { "\($0.idTag) · \(kWh($0.energyWh))" } ?? (t["dash.noSession"] ?? ""),
                               pv: pvLine(c, t: t), meterKey: c.meterPublicKey ?? (t["dash.meterKeyNone"] ?? ""),
                               leds: ledText(c.leds, t: t),
                               ledState: c.leds.map { $0.state == .fault && $0.errorBlinks != nil ? "faultBlinks" : $0.state.rawValue } ?? "off")
    }

    /// The source that binds the connector's current, with the energy manager's reason when it is EEBUS (issue 26
    /// item 4: the limit the manager set and why).
    static func bindingText(_ c: ConnectorSnapshot) -> String {
        guard c.currentLimit.binding == .eebus, let e = c.eebus else { return c.currentLimit.binding.rawValue }
        return "eebus · \(e.reason)"
    }

    /// The PV row: the surplus controller's decision and the Sunny Home Manager's, each when it applies, and on a
    /// connector with automatic phase switching (or switched to one phase) the phases it feeds and a switch under way.
    static func pvLine(_ c: ConnectorSnapshot, t: [String: String]) -> String {
        var parts = [c.pvSurplus.map(pvText), c.semp.map { "SMA · \($0.reason)" }].compactMap { $0 }
        if parts.isEmpty { parts.append(t["dash.pvFast"] ?? "") }
        if let p = c.phaseSwitch, p.automatic || p.switchedPhases == 1 || p.stage != .idle {
            var phases = p.switchedPhases == 1 ? "1 phase" : "\(p.switchedPhases) phases"
            if p.stage != .idle, let reason = p.reason { phases += " (\(p.stage.rawValue): \(reason))" }
            parts.append(phases)
        }
        return parts.joined(separator: " | ")
    }

    /// The dashboard's PV line: the mode, the controller's reason, and while the vehicle draws, how much of it comes from
    /// PV and how much from the grid.
    static func pvText(_ d: SurplusDecision) -> String {
        var text = "\(d.mode == .minPV ? "Min+PV" : d.mode.rawValue) · \(d.reason)"
        if let pv = d.fromPVW, let grid = d.fromGridW, pv + grid > 0 {
            text += " · PV \(WebFormat.fixed(pv / 1000, 2)) kW, grid \(WebFormat.fixed(grid / 1000, 2)) kW"
        }
        return text
    }

    /// Server-sent events with the dashboard's live values, every second, for up to 10 minutes (the browser reconnects);
    /// they end at once when the station shuts down, so that an open dashboard never holds up a restart.
    func liveStatus(_ session: WebAccounts.Session) -> Response {
        let station = self.station, accounts = self.accounts
        let body = ResponseBody { writer in
            let language = await language(session)
            let t = WebText.table(language)
            let tz = await timeZone()
            for _ in 0..<600 {
                guard !Task.isCancelled, !Task.isShuttingDownGracefully, await accounts.session(session.token) != nil else { break }
                let s = await station.status()
                struct Live: Encodable {
                    struct Connector: Encodable { var id: Int; var fields: ConnectorFields }
                    struct Err: Encodable { var id: String; var message: String }
                    struct DLM: Encodable { var available: String; var applied: String }
                    var connectors: [Connector]; var errors: [Err]; var noErrors: String; var dlm: DLM?; var backend: BackendFields?
                }
                let live = Live(connectors: s.connectors.map { .init(id: $0.id, fields: Self.connectorFields($0, t: t)) },
                                errors: s.activeErrors.map { .init(id: $0.id, message: $0.message) }, noErrors: t["dash.noErrors"] ?? "",
                                dlm: s.dlm.map { .init(available: Self.phases($0.availableAmps), applied: Self.phases($0.appliedAmps)) },
                                backend: s.backend.map { Self.backendFields($0, t: t, tz: tz) })
                let json = (try? JSONEncoder().encode(live)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                try await writer.write(ByteBuffer(string: "event: status\ndata: \(json)\n\n"))
                for _ in 0..<10 where !Task.isShuttingDownGracefully { try await Task.sleep(for: .milliseconds(100)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    static func amps(_ a: Double) -> String { a == a.rounded() ? String(Int(a)) : WebFormat.fixed(a, 1) }
    static func phases(_ p: PhaseValues) -> String { [p.l1, p.l2, p.l3].map { WebFormat.fixed($0, 1) }.joined(separator: " / ") }
    static func kWh(_ wh: Double) -> String { WebFormat.fixed(wh / 1000, 2) + " kWh" }
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return "\(s / 3600):\(WebFormat.padded((s % 3600) / 60)) h"
    }
}
