import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import Gateway

/// The settings pages: General and Modbus are generated from ``GatewaySettings/fields`` (the gateway registry's
/// parameters, ``GatewayParameters``) with the station's parameter form; Chargers edits the charger list and handles the OCPP scan (seeds/003 §2.2 step 4a "Manually", 4b "OCPP SCAN").
/// A form with an error saves nothing and comes back with the error next to its field and what was typed kept.
extension GatewayWeb {
    static func fields(_ sections: [GatewaySettingField.Section]) -> [GatewaySettingField] {
        GatewaySettings.fields.filter { sections.contains($0.section) }
    }

    /// The text of what a text field allows (`gw.allowed.*`), by its key; "text" for the others.
    static let allowedTexts = ["ocppTLSCertificateFile": "file", "ocppTLSKeyFile": "file", "externalURL": "url", "rtuDevice": "device",
                               "metricsToken": "token"]

    /// What a field allows, for its help text and its error message: a number's range and a choice's values as the
    /// registry declares them.
    static func allowed(_ f: GatewaySettingField, t: [String: String]) -> String {
        switch f.input {
        case .number, .choice: GatewayParameters.allowed(f.definition.type)
        case .onOff: "\(t["form.on"] ?? "On"), \(t["form.off"] ?? "Off")"
        case .text, .secret:
            t["gw.allowed.\(allowedTexts[f.key] ?? "text")"] ?? ""
        }
    }

    /// A problem's message next to its field: a number or choice out of range in the user's language, with what is
    /// allowed; anything else as the settings check words it.
    static func message(_ p: SettingProblem, given: String?, t: [String: String]) -> String {
        guard let f = GatewaySettings.fields.first(where: { $0.key == p.field }), let given else { return p.message }
        switch f.input {
        case .number, .choice:
            return (t["form.invalid"] ?? "").replacing("%v", with: given).replacing("%a", with: allowed(f, t: t))
        default:
            return p.message
        }
    }

    func readonlyNote(_ session: WebAccounts.Session, t: [String: String]) -> String? {
        session.role >= Self.configureRole ? nil
            : (t["gw.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.configureRole.rawValue)"] ?? "")
    }

    /// Applies `settings` (which restarts the gateway services) and answers with the page showing "Saved"; unchanged
    /// settings are not applied. The problems when they are refused.
    func save(_ settings: GatewaySettings, over stored: GatewaySettings, _ session: WebAccounts.Session,
              page: String) async throws -> Result<Response, SettingsRejected> {
        guard settings != stored else { return .success(WebHTTP.redirect(page)) }
        do {
            try await gateway.apply(settings, by: "web:\(session.account)")
            return .success(WebHTTP.redirect(page + "?saved=1"))
        } catch let rejected as SettingsRejected {
            return .failure(rejected)
        }
    }

    // MARK: General and Modbus

    func settingsPage(_ session: WebAccounts.Session, _ slug: String, _ sections: [GatewaySettingField.Section], saved: Bool,
                      errors: [String: String] = [:], entered: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let settings = try await gateway.settings(), defaults = GatewaySettings()
        let readonly = session.role < Self.configureRole
            ? (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.configureRole.rawValue)"] ?? "") : nil
        let fields = Self.fields(sections)
        func current(_ key: String) -> String { entered[key] ?? fields.first { $0.key == key }.map { $0.value(settings) } ?? "" }
        let parameterSections = sections.map { section in
            let parameters = fields.filter { $0.section == section }.map { f in
                let value = current(f.key)
                var p = ParameterField(key: f.key, label: t["gw.field.\(f.key)"] ?? f.definition.label, help: t["gw.help.\(f.key)"] ?? f.definition.help,
                                       allowed: Self.allowed(f, t: t), seeAlso: f.seeAlso, defaultValue: f.input == .secret ? "" : f.value(defaults),
                                       error: errors[f.key], readonly: readonly)
                switch f.input {
                case .onOff:
                    p.isBool = true; p.on = value == "On"
                case .choice(let values):
                    p.isChoice = true; p.choices = values.map { SelectOption(value: $0, label: $0, selected: $0 == value) }
                case .secret:
                    p.isSecret = true; p.secretState = t[f.value(settings).isEmpty ? "form.secretUnset" : "form.secretSet"] ?? ""
                case .number, .text:
                    p.isText = true; p.value = value
                }
                if let w = f.visibleWhen {
                    p.dependsOn = w.key
                    p.dependsValue = w.values.joined(separator: "|")
                    p.hidden = !w.values.contains(current(w.key)) && errors[f.key] == nil
                }
                return p
            }
            return ParameterSection(name: t["gw.section.\(section.rawValue)"] ?? section.rawValue, anchor: "s-\(section.rawValue)", parameters: parameters)
        }
        let fieldKeys = Set(fields.map(\.key))
        let model = GatewaySettingsPage(
            menuLabel: t["gw.nav.\(slug)"] ?? slug, action: "/settings/\(slug)", csrf: session.csrf, sections: parameterSections,
            saved: saved, hasErrors: !errors.isEmpty, otherErrors: errors.filter { !fieldKeys.contains($0.key) }.map { "\($0.key): \($0.value)" }.sorted(),
            readonlyNote: readonlyNote(session, t: t))
        return try await shell.page(model, title: t["gw.nav.\(slug)"] ?? slug, session: session, language: language, active: slug,
                                    sections: sections.map { (t["gw.section.\($0.rawValue)"] ?? $0.rawValue, "s-\($0.rawValue)") }, status: status)
    }

    func saveSettings(_ session: WebAccounts.Session, _ slug: String, _ sections: [GatewaySettingField.Section],
                      _ form: [String: String]) async throws -> Response {
        guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
        let t = await shell.texts(session)
        let stored = try await gateway.settings()
        var settings = stored
        var errors: [String: String] = [:], entered: [String: String] = [:]
        for f in Self.fields(sections) {
            guard let text = form[f.key] else { continue }  // not on the form
            if f.input == .secret {
                if text.isEmpty { continue }  // an empty password field keeps the stored password
            } else {
                entered[f.key] = text
            }
            if let p = f.apply(text, to: &settings) { errors[f.key] = Self.message(p, given: text, t: t) }
        }
        var problems: [SettingProblem] = []
        if errors.isEmpty {
            switch try await save(settings, over: stored, session, page: "/settings/\(slug)") {
            case .success(let redirect): return redirect
            case .failure(let rejected): problems = rejected.problems
            }
        } else {
            problems = settings.problems()  // the other fields' problems too, all at once
        }
        for p in problems where errors[p.field] == nil {
            errors[p.field] = Self.message(p, given: entered[p.field] ?? Self.fields(sections).first { $0.key == p.field }?.value(settings), t: t)
        }
        return try await settingsPage(session, slug, sections, saved: false, errors: errors, entered: entered, status: .badRequest)
    }

    // MARK: Chargers and the OCPP scan

    func chargersPage(_ session: WebAccounts.Session, settings: GatewaySettings, saved: Bool, errors: [String: String] = [:],
                      entered: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let connectorRange = 1...RegisterLayout.maximumConnectors
        func choices(_ selected: Int) -> [ChargersPage.ConnectorChoice] { connectorRange.map { .init(value: $0, selected: $0 == selected) } }
        let rows = settings.chargers.sorted { $0.slot < $1.slot }.map { c in
            let base = RegisterLayout.chargerBase(c.slot)
            return ChargersPage.Row(slot: c.slot, registers: "\(base)…\(RegisterLayout.chargerBase(c.slot + 1) - 1)",
                                    id: entered["id.\(c.slot)"] ?? c.id,
                                    connectorChoices: choices(entered["connectors.\(c.slot)"].flatMap(Int.init) ?? c.connectors),
                                    removeChecked: entered["remove.\(c.slot)"] == "on", error: errors["id.\(c.slot)"],
                                    passwordState: t[c.passwordHash == nil ? "gw.passwordUnset" : "gw.passwordSet"] ?? "",
                                    passwordError: errors["password.\(c.slot)"])
        }
        let used = Set(settings.chargers.map(\.slot)), configured = Set(settings.chargers.map(\.id))
        let free = (0..<RegisterLayout.maximumChargers).filter { !used.contains($0) }
        let newSlot = entered["new.slot"].flatMap(Int.init) ?? free.first
        let scans = try await gateway.scannedChargers().filter { !configured.contains($0.id) || $0.reason != nil }
        let tz = WebTimeZone.host
        var listErrors = errors["list"].map { [$0] } ?? []
        if free.isEmpty { listErrors.append((t["gw.noFreeSlot"] ?? "").replacing("%n", with: String(RegisterLayout.maximumChargers))) }
        let note = readonlyNote(session, t: t)
        let model = ChargersPage(
            heading: t["gw.nav.chargers"] ?? "", csrf: session.csrf, saved: saved, hasErrors: !errors.isEmpty, rows: rows, hasRows: !rows.isEmpty,
            canAdd: !free.isEmpty, newId: entered["new.id"] ?? "",
            freeSlots: free.map { SelectOption(value: String($0), label: "\($0) (\(t["gw.registers"] ?? "") \(RegisterLayout.chargerBase($0))…)",
                                               selected: $0 == newSlot) },
            newConnectorChoices: choices(entered["new.connectors"].flatMap(Int.init) ?? 1),
            scans: scans.map { s in
                .init(id: s.id, remote: s.remoteAddress ?? "–", firstSeen: WebHTTP.time(s.firstSeen, tz: tz), lastSeen: WebHTTP.time(s.lastSeen, tz: tz),
                      attempts: s.attempts, reason: s.reason ?? t["gw.unknownID"] ?? "", configured: configured.contains(s.id))
            },
            hasScans: !scans.isEmpty, newError: errors["new"], listError: listErrors.isEmpty ? nil : listErrors.joined(separator: " "),
            readonlyNote: note, readonly: note)
        return try await shell.page(model, title: t["gw.nav.chargers"] ?? "", session: session, language: language, active: "chargers",
                                    sections: [(t["gw.configured"] ?? "", "s-configured"), (t["gw.add"] ?? "", "s-add"), (t["gw.scan"] ?? "", "s-scan")],
                                    status: status)
    }

    /// Saves the charger list: ChargerIDs and connectors by slot, removals, and one new charger.
    func saveChargers(_ session: WebAccounts.Session, _ form: [String: String]) async throws -> Response {
        guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
        let stored = try await gateway.settings()
        var list: [ChargerEntry] = [], errors: [String: String] = [:], entered: [String: String] = [:]
        var seen = Set<String>()
        func add(_ entry: ChargerEntry, errorKey: String) {
            if let p = GatewaySettings.chargerIDProblem(entry.id) {
                errors[errorKey] = p
            } else if !seen.insert(entry.id).inserted {
                errors[errorKey] = "ChargerID '\(entry.id)' is configured twice"
            }
            list.append(entry)
        }
        for c in stored.chargers.sorted(by: { $0.slot < $1.slot }) {
            if form["remove.\(c.slot)"] == "on" {
                entered["remove.\(c.slot)"] = "on"
                continue
            }
            let id = GatewaySettingField.trimmed(form["id.\(c.slot)"] ?? c.id)
            let connectors = form["connectors.\(c.slot)"].flatMap(Int.init) ?? c.connectors
            entered["id.\(c.slot)"] = id
            entered["connectors.\(c.slot)"] = String(connectors)
            // The password hash stays with its ChargerID; a new password is hashed below.
            var entry = ChargerEntry(id: id, slot: c.slot, connectors: connectors, passwordHash: id == c.id ? c.passwordHash : nil)
            let password = form["password.\(c.slot)"] ?? ""
            if !password.isEmpty {
                if let problem = ChargerPassword.problem(password) {
                    errors["password.\(c.slot)"] = problem
                } else if let hash = await ChargerPasswordHashing.hash(password) {
                    entry.passwordHash = hash
                } else {
                    errors["password.\(c.slot)"] = "the gateway is busy hashing passwords; try again"
                }
            }
            add(entry, errorKey: "id.\(c.slot)")
        }
        let newID = GatewaySettingField.trimmed(form["new.id"] ?? "")
        if !newID.isEmpty {
            for key in ["new.id", "new.slot", "new.connectors"] { entered[key] = form[key] }
            let slot = form["new.slot"].flatMap(Int.init) ?? stored.freeSlot ?? 0
            add(ChargerEntry(id: newID, slot: slot, connectors: form["new.connectors"].flatMap(Int.init) ?? 1), errorKey: "new")
        }
        var settings = stored
        settings.chargers = list
        if errors.isEmpty {
            switch try await save(settings, over: stored, session, page: "/settings/chargers") {
            case .success(let redirect): return redirect
            case .failure(let rejected): errors["list"] = rejected.problems.map(\.message).joined(separator: "; ")
            }
        }
        return try await chargersPage(session, settings: stored, saved: false, errors: errors, entered: entered, status: .badRequest)
    }

    /// Accepts a scanned charger into the first free slot (seeds/003 §2.2 step 4b) and removes it from the scan list.
    func acceptScanned(_ session: WebAccounts.Session, _ form: [String: String]) async throws -> Response {
        guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
        let t = await shell.texts(session)
        let stored = try await gateway.settings()
        let id = form["id"] ?? ""
        let problem: String?
        switch Self.accepting(id, connectors: form["connectors"].flatMap(Int.init) ?? 1, into: stored) {
        case .success(let settings):
            switch try await save(settings, over: stored, session, page: "/settings/chargers") {
            case .success(let redirect):
                try await gateway.dismissScan(id)
                return redirect
            case .failure(let rejected):
                problem = rejected.problems.map(\.message).joined(separator: "; ")
            }
        case .failure(.configured):
            problem = "ChargerID '\(id)' is configured already"
        case .failure(.noFreeSlot):
            problem = (t["gw.noFreeSlot"] ?? "").replacing("%n", with: String(RegisterLayout.maximumChargers))
        }
        return try await chargersPage(session, settings: stored, saved: false, errors: ["list": problem ?? ""], status: .badRequest)
    }

    /// Why a scanned charger cannot be accepted.
    enum AcceptRefusal: Error { case configured, noFreeSlot }

    /// The settings with the scanned charger `id` in the first free slot (seeds/003 §2.2 step 4b), or why it cannot be
    /// accepted. The Chargers page and the API (`POST /api/scanned-chargers/{id}/accept`) both accept through this and
    /// ``GatewayService/apply(_:by:)``, which checks the rest (the connector count, the ChargerID's characters).
    static func accepting(_ id: String, connectors: Int, into stored: GatewaySettings) -> Result<GatewaySettings, AcceptRefusal> {
        guard stored.charger(id: id) == nil else { return .failure(.configured) }
        guard let slot = stored.freeSlot else { return .failure(.noFreeSlot) }
        var settings = stored
        settings.chargers.append(ChargerEntry(id: id, slot: slot, connectors: connectors))
        return .success(settings)
    }
}
