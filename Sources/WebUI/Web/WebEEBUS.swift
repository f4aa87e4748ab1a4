import FoundationEssentials
import Hummingbird
import ChargePoint
import Parameters

/// The Load Management page's EEBUS card (issue 26 item 4; seeds/000 "EEBUS-Schnittstelle"): this station's SKI,
/// the pairing state ("Kopplungsstatus des Energiemanagers") and the paired manager ("Kennung des gekoppelten
/// Energiemanagers") with "unpair", the energy managers found on the LAN and those asking to pair, each with "pair"
/// ("Energiemanager koppeln oder trennen"), the SHIP connections, and what the manager set: the grid operator's power
/// limit (LPC) and each connector's limits. Pairing sets the parameter EEBUSPairedSKI, so it needs its role.
extension WebInterface {
    struct EEBUSCard {
        struct Manager {
            var name: String
            var type: String
            /// As the form sends it, and as shown (in groups of four).
            var ski: String
            var skiShown: String
            var address: String
            var paired: Bool
        }
        struct ConnectionRow { var ski: String; var state: String; var address: String }
        struct ConnectorRow { var connector: Int; var obligation: String; var recommendation: String; var limit: String }
        var enabled: Bool
        var csrf: String
        var mayPair: Bool
        var pairRole: String
        var ski: String
        var shipId: String
        var state: String
        var stateKey: String
        var pairedSKI: String?
        var pairedName: String?
        var managers: [Manager]
        var hasManagers: Bool
        var requests: [String]
        var hasRequests: Bool
        var connections: [ConnectionRow]
        var hasConnections: Bool
        var lpc: String?
        var connectors: [ConnectorRow]
        var hasConnectors: Bool
        var notice: String?
    }

    /// SKIs in groups of four, as managers show them on their displays.
    static func groupedSKI(_ ski: String) -> String {
        stride(from: 0, to: ski.count, by: 4).map { i in
            let start = ski.index(ski.startIndex, offsetBy: i)
            return String(ski[start..<(ski.index(start, offsetBy: 4, limitedBy: ski.endIndex) ?? ski.endIndex)])
        }.joined(separator: " ")
    }

    func eebusCard(_ session: WebAccounts.Session, t: [String: String], query: [String: String]) async -> EEBUSCard {
        let s = await station.eebusStatus()
        let tz = await Self.timeZone(station)
        func amps(_ a: [Double]?) -> String { a.map { $0.map { Self.amps($0) }.joined(separator: " / ") + " A" } ?? "–" }
        var lpc: String?
        if let l = s.lpc {
            var parts = [t["eebus.lpc.\(l.state)"] ?? l.state]
            if let w = l.limitW { parts.append(WebFormat.fixed(w, 0) + " W") }
            if let end = l.limitEndsAt { parts.append((t["eebus.until"] ?? "%@").replacing("%@", with: WebHTTP.time(end, tz: tz))) }
            if let w = l.failsafeLimitW { parts.append((t["eebus.failsafe"] ?? "%@").replacing("%@", with: WebFormat.fixed(w, 0) + " W")) }
            lpc = parts.joined(separator: " · ")
        }
        let notice = query["eebus"].flatMap { t["eebus.notice.\($0)"] }
        return EEBUSCard(
            enabled: s.enabled, csrf: session.csrf, mayPair: session.role >= Self.eebusPairRole,
            pairRole: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.eebusPairRole.rawValue)"] ?? ""),
            ski: s.ski.map(Self.groupedSKI) ?? "–", shipId: s.shipId ?? "–",
            state: t["eebus.state.\(s.pairing.state.rawValue)"] ?? s.pairing.state.rawValue, stateKey: s.pairing.state.rawValue,
            pairedSKI: s.pairing.ski.map(Self.groupedSKI), pairedName: s.pairing.name,
            managers: s.discovered.map { m in
                EEBUSCard.Manager(name: "\(m.brand) \(m.model)".trimmingSpaces, type: m.type, ski: m.ski, skiShown: Self.groupedSKI(m.ski),
                        address: "\(m.host):\(m.port)", paired: m.ski == s.pairing.ski)
            },
            hasManagers: !s.discovered.isEmpty, requests: s.trustRequests, hasRequests: !s.trustRequests.isEmpty,
            connections: s.connections.map { c in
                EEBUSCard.ConnectionRow(ski: Self.groupedSKI(c.ski), state: t["eebus.conn.\(c.state)"] ?? c.state, address: c.remoteAddress ?? "–")
            },
            hasConnections: !s.connections.isEmpty, lpc: lpc,
            connectors: s.connectors.map { c in
                EEBUSCard.ConnectorRow(connector: c.connector, obligation: amps(c.obligationAmps), recommendation: amps(c.recommendationAmps),
                             limit: c.limitAmps.map { "\(Self.amps($0)) A" + (c.reason.map { " (\($0))" } ?? "") } ?? "–")
            },
            hasConnectors: !s.connectors.isEmpty, notice: notice)
    }

    /// Pairing changes the parameter EEBUSPairedSKI: the operator's, as the parameter is.
    static let eebusPairRole = Role.operator

    func addEEBUSRoutes(to router: Router<WebRequestContext>) {
        router.post("eebus/pair") { request, _ in
            try await withSession(request, form: true) { session, form in
                try await eebusChange(session, form["ski"] ?? "", notice: "paired")
            }
        }
        router.post("eebus/unpair") { request, _ in
            try await withSession(request, form: true) { session, _ in
                try await eebusChange(session, "", notice: "unpaired")
            }
        }
    }

    /// Sets EEBUSPairedSKI from the card's buttons and returns to the card.
    private func eebusChange(_ session: WebAccounts.Session, _ ski: String, notice: String) async throws -> Response {
        let page = "/menu/\(Self.slug(.loadManagement))"
        guard session.role >= Self.eebusPairRole else { return try await forbidden(session, Self.eebusPairRole) }
        do {
            _ = try await station.setParameter(StationParameters.eebusPairedSKI, .string(ski), role: session.role, changedBy: "web:\(session.account)")
        } catch let e as ParameterError {
            let t = await texts(session)
            return try await messagePage(session, status: .badRequest, heading: t["eebus.heading"] ?? "", message: e.message)
        }
        return WebHTTP.redirect("\(page)?eebus=\(notice)#s-eebus")
    }
}
