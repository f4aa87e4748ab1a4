// The gateway's pages (`PageModel`); the routes that fill them are in `GatewayWeb`. Its templates are
// Resources/templates/gateway/; the layout, login, password and parameter form are the station's (shared/), so both
// products look and work alike. Texts whose key has more than one dot (`gw.field.mode`) cannot be looked up as
// `{{t.…}}` in a template and come in the page's values instead.

/// Diagnostic (seeds/003 §2.2 step 8): the communication state on both sides, OCPP and Modbus.
struct DiagnosticPage: PageModel {
    var template: WebTemplate { .diagnostic }

    /// The labels of the settings shown, from texts with two dots.
    struct Labels {
        var mode: String
        var externalURL: String
        var modbusTCP: String
        var modbusRTU: String
    }

    struct Charger {
        var id: String
        var connectors: Int
        var connectedFlag: String
        var slot: String
        var state: String
        var since: String
        var upstream: String
        /// Calls and requests of the charger that wait for an answer.
        var waiting: Int
        var hasFrames: Bool
        var framesHref: String
        var isExternal: Bool
    }

    struct Event {
        var at: String
        var level: String
        var levelClass: String
        var charger: String
        var message: String
    }

    /// The state of the running gateway services.
    struct Diagnostic {
        var labels: Labels
        var mode: String
        var isExternal: Bool
        /// Where chargers connect, `ws://<gateway>:port/<ChargerID>`.
        var endpoint: String
        var connected: String
        var startedAt: String
        var gatewayTime: String
        var bms: String
        var bmsOnlineFlag: String
        var tcp: String
        var rtu: String
        var requests: String
        var lastRequest: String
        var chargers: [Charger]
        var hasChargers: Bool
        var events: [Event]
        var hasEvents: Bool
        var lastException: String?
        /// The external central system's URL, in External mode.
        var external: String?
        var moreUnconfigured: String?
    }

    /// Why the gateway services are not running, if they are not.
    var failure: String?
    /// Nil while the gateway services are not running.
    var d: Diagnostic?
}

/// The newest frames of one charger, newest first.
struct FramesPage: PageModel {
    var template: WebTemplate { .frames }

    struct Frame {
        var at: String
        var direction: String
        var label: String
        var text: String
        /// How much of a long frame is not shown.
        var omitted: String?
    }

    var charger: String
    var frames: [Frame]
    var hasFrames: Bool
    var note: String
    /// This page, for its Refresh button.
    var href: String
}

/// The transactions the gateway recorded, newest first.
struct TransactionsPage: PageModel {
    var template: WebTemplate { .transactions }

    struct Row {
        var started: String
        var stopped: String
        var charger: String
        var connector: Int
        var transaction: Int
        var idTag: String
        var status: String
        var decidedBy: String
        var reason: String
        var energy: String
    }

    var rows: [Row]
    var hasRows: Bool
    var note: String
}

/// A settings page (General, Modbus Slave): the station's parameter form with the gateway's fields.
struct GatewaySettingsPage: PageModel {
    var template: WebTemplate { .settings }
    var menuLabel: String
    var action: String
    var csrf: String
    var sections: [ParameterSection]
    var saved: Bool
    var hasErrors: Bool
    /// Problems that belong to no field of the page.
    var otherErrors: [String]
    /// Why the user may only look, if so.
    var readonlyNote: String?
}

/// The chargers by register slot, a new one, and the OCPP scan (seeds/003 §2.2 step 4).
struct ChargersPage: PageModel {
    var template: WebTemplate { .chargers }

    /// A connector count to choose (value and label are the number).
    struct ConnectorChoice {
        var value: Int
        var selected: Bool
    }

    struct Row {
        var slot: Int
        /// The slot's register range.
        var registers: String
        var id: String
        var connectorChoices: [ConnectorChoice]
        var removeChecked: Bool
        var error: String?
        /// Security profiles 1 and 2: whether a password is set ("set" or "none"; the password is never shown).
        var passwordState: String
        var passwordError: String?
    }

    /// A charger that tried to connect with a ChargerID that is not configured.
    struct Scan {
        var id: String
        var remote: String
        var firstSeen: String
        var lastSeen: String
        var attempts: Int
        /// Why it was refused: an unknown ChargerID, or its credentials (OCPP 1.6 security whitepaper ed. 3 §2).
        var reason: String
        /// A configured charger whose credentials were refused: nothing to accept.
        var configured: Bool
    }

    var heading: String
    var csrf: String
    var saved: Bool
    var hasErrors: Bool
    var rows: [Row]
    var hasRows: Bool
    /// A slot is free.
    var canAdd: Bool
    var newId: String
    var freeSlots: [SelectOption]
    var newConnectorChoices: [ConnectorChoice]
    var scans: [Scan]
    var hasScans: Bool
    var newError: String?
    var listError: String?
    var readonlyNote: String?
    /// Set (to the same note) when the user may only look: every control is disabled.
    var readonly: String?
}

/// System: the version, the HTTPS certificate card and the security log (the station's System cards, shared templates).
struct GatewaySystemPage: PageModel {
    var template: WebTemplate { .gatewaySystem }

    var version: String
    var certificate: CertificateCard?
    var securityLog: [SecurityLogRow]
    var securityLogEmpty: Bool { securityLog.isEmpty }
    var csrf: String
}
