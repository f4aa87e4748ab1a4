#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import Firmware
import EVSECore
import Firmware
import HostConfig

/// The inbound ports of the station: what the web interface, the local API and the CLI ask of the running station,
/// declared by the core and implemented by the runtime (App). The HTTP adapter (WebUI) only translates requests into
/// these calls.

/// What the HTTP layer needs from the running station. The App target implements it.
public protocol StationService: AuthorizationService, HistoryService {
    func status() async -> StationSnapshot
    /// The newest sessions first, as history rows.
    func sessions(limit: Int) async throws -> [HistoryRow]
    func events(limit: Int) async throws -> [EventLogEntry]
    /// The newest `limit` entries of the security log (OCPP 1.6 security whitepaper ed. 3 §8), oldest first.
    func securityLog(limit: Int) async throws -> [SecurityLogEntry]
    func parameters() async -> [ParameterView]
    func parameter(_ key: String) async throws -> ParameterView
    /// Changes a parameter; throws ``ParameterError`` for invalid changes.
    func setParameter(_ key: String, _ value: ParameterValue, role: Role, changedBy: String) async throws -> ParameterView
    /// A form's changes as typed: all or nothing; throws ``ParameterBatchError`` with every invalid field.
    func setParameters(_ changes: [(key: String, text: String)], role: Role, changedBy: String) async throws -> [ParameterView]
    func audit(limit: Int) async throws -> [ParameterAuditEntry]
    /// DLM master: removes one slave (nil: all, "Clear persistent DLM slave DB") and returns the removed ids.
    func removeDLMSlaves(_ id: String?) async throws -> [String]
    func systemInfo() async -> SystemInfo
    /// Stops the running sessions and restarts the station services (the kind decides what happens in between).
    func requestRestart(_ kind: StationRestart, by: String) async
    /// The parameters changed since the start whose new value takes effect only after a restart (seeds/004 §4 "Save &
    /// Restart").
    func waitingForRestart() async -> [ParameterView]
    /// seeds/004 §3 "Operator Default & Restart": the operator's parameters back to their defaults, then a restart of the
    /// station services. Returns the keys whose default the installer's values do not allow (they keep their value).
    func restoreOperatorDefaults(by: String) async throws -> [String]
    /// "Browser (only once)" time synchronization.
    func setClock(to time: Date, by: String) async throws(ClockSetError)
    /// The log download: the diagnostics files as a ZIP archive.
    func logArchive() async throws -> [UInt8]
    /// seeds/004 §4 "Send test mail": one mail to every recipient now, with the server's answer.
    func sendTestMail() async -> MailTestResult
    /// The e-mail alerts' queue per configured recipient.
    func mailStatus() async -> [MailRecipientStatus]
    /// The mobile modem's status for the Network page (issue 24 item 3).
    func mobileStatus() async -> MobileStatusView
    /// The service port's DHCP server (state, leases) and the WAN router (seeds/004 §4).
    func dhcpStatus() async -> DHCPRouterStatus?
    /// Whether the firmware file at `file` may be installed on this station, and why not (issue 23 items 3–5: format,
    /// version, architecture, signature — `signatureFile`, or `FILE.sig` beside it when nil — and Require signed
    /// firmware). Nothing is kept or run.
    func checkFirmware(file: String, signatureFile: String?) async -> Result<FirmwareFile.Checked, FirmwareRefusal>
    /// Checks and installs the file through the station's one installation path (origin `web`, `usb`), then restarts
    /// the station services into the new version, which must pass its health check or is rolled back.
    func installFirmware(file: String, signatureFile: String?, origin: String) async -> Result<FirmwareFile.Checked, FirmwareRefusal>
    /// Network configuration (issue 24 item 1, seeds/002 §1.4): see `StationService+Network.swift`.
    func networkStatus() async -> NetworkConfigurationStatus
    func configureInterface(_ form: InterfaceForm, connection: NetworkChangeGuard.Connection, by: String) async -> Result<NetworkChangeOutcome, NetworkConfigureError>
    func confirmNetworkChange(connection: NetworkChangeGuard.Connection, by: String) async -> Result<InterfaceConfig, NetworkConfigureError>
    /// Firmware from the System page or a USB stick (seeds/004 §8): see `StationService+Firmware.swift`.
    func firmwareUpdate() async -> FirmwareUpdateView
    /// The EEBUS interface: identity, discovered managers, pairing, connections, the manager's limits (issue 26).
    /// Pairing and unpairing set the parameter EEBUSPairedSKI.
    func eebusStatus() async -> EEBUSInterfaceStatus
    /// A new, empty file in the firmware directory that an upload is written to (``installFirmware(from:source:by:)``
    /// takes it over, or it is removed).
    func firmwareUploadFile() async throws -> String
    func installFirmware(from path: String, source: FirmwareManagement.LocalSource, by: String) async throws(FirmwareUploadRefusal) -> FirmwareUpdateView
}

extension StationService {
    /// A station without a mailer (test doubles) answers that it cannot send.
    public func sendTestMail() async -> MailTestResult { MailTestResult(sent: false, message: "e-mail alerts are not available", recipients: []) }
    public func mailStatus() async -> [MailRecipientStatus] { [] }
    /// A station without the EEBUS service (test doubles) shows the interface off.
    public func eebusStatus() async -> EEBUSInterfaceStatus { EEBUSInterfaceStatus(enabled: false) }
    /// A station without a modem service (test doubles): ModemManager is not asked.
    public func mobileStatus() async -> MobileStatusView { MobileStatusView(managerProblem: "the modem service is not running") }
    /// A station without the DHCP/router service (test doubles) has none to show.
    public func dhcpStatus() async -> DHCPRouterStatus? { nil }
    /// A station without an installer (test doubles) installs nothing.
    public func checkFirmware(file: String, signatureFile: String?) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        .failure(FirmwareRefusal(.installFailed, "this station has no firmware installer"))
    }
    public func installFirmware(file: String, signatureFile: String?, origin: String) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        .failure(FirmwareRefusal(.installFailed, "this station has no firmware installer"))
    }
}

/// The System page's facts (seeds/002 §1.6, seeds/004 §3 System).
public struct SystemInfo: Sendable, Codable, Equatable {
    public var stationVersion: String
    public var webInterfaceVersion: String
    public var operatingSystem: String
    public var time: Date
    /// IANA name of the site's time zone (parameter Timezone).
    public var timezone: String
    /// Parameter TimeSource: Heartbeat (backend) or NTP (system clock).
    public var timeSource: String
    public var backendConfigured: Bool
    public var lastClockSet: ClockSet?
    /// Simulated seconds per real second.
    public var timeScale: Double
    public var startedAt: Date
    /// The operating system's clock, time zone and NTP (issue 24 item 4); nil when the station does not manage them.
    public var osClock: OSClockStatus?
    /// The last firmware update since the start, or the one waiting for its health check (issue 23 item 5).
    public var firmwareUpdate: FirmwareUpdateOutcome?

    public init(stationVersion: String, webInterfaceVersion: String, operatingSystem: String, time: Date, timezone: String,
                timeSource: String, backendConfigured: Bool, lastClockSet: ClockSet?, timeScale: Double, startedAt: Date,
                osClock: OSClockStatus? = nil) {
        self.osClock = osClock
        self.stationVersion = stationVersion; self.webInterfaceVersion = webInterfaceVersion; self.operatingSystem = operatingSystem
        self.time = time; self.timezone = timezone; self.timeSource = timeSource; self.backendConfigured = backendConfigured
        self.lastClockSet = lastClockSet; self.timeScale = timeScale; self.startedAt = startedAt
    }
}

/// A firmware update as the System page and `GET /api/system` show it (issue 23 item 5): refused with its reason,
/// installed and waiting for its health check, confirmed, or rolled back with the reason.
public struct FirmwareUpdateOutcome: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, Equatable {
        /// The file was not installed (unsigned, bad signature, not a package, the install command failed).
        case refused
        /// Installed; the new version runs and must pass its health check.
        case confirming
        /// The new version passed its health check.
        case confirmed
        /// The new version failed its health check; the previous one was reinstalled.
        case rolledBack
    }
    public var state: State
    public var version: String?
    public var reason: String?
    /// Where the file came from: ocpp, web, usb.
    public var origin: String
    public var at: Date
    public init(state: State, version: String?, reason: String?, origin: String, at: Date) {
        self.state = state; self.version = version; self.reason = reason; self.origin = origin; self.at = at
    }
}

/// When and by how much the station clock was last set, and from where (backend, browser).
public struct ClockSet: Sendable, Codable, Equatable {
    public var at: Date
    public var movedSeconds: Double
    public var source: String
    public init(at: Date, movedSeconds: Double, source: String) { self.at = at; self.movedSeconds = movedSeconds; self.source = source }
}

/// The browser's time was refused.
public struct ClockSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How the station services restart (seeds/002 §1.2 user menu "Restart Daemon" / "Reboot System", System → factory
/// reset; OCPP Reset).
public enum StationRestart: String, Sendable, Equatable {
    /// The station services stop (everything persisted) and start again in the same process.
    case services
    /// The controller reboots: the configured reboot command runs after the services stopped; without one, the
    /// services restart like ``services``.
    case reboot
    /// Every setting back to its default, the whitelists, OCPP lists, reservations, charging profiles and the DLM slave
    /// DB emptied; the charging history, the event log, undelivered transaction messages and the accounts are kept.
    case factoryReset
}

/// The local whitelist with its state, as `GET /api/whitelist` answers.
public struct WhitelistView: Sendable, Codable, Equatable {
    public var enabled: Bool
    public var mode: LocalWhitelistMode
    public var count: Int
    public var maximum: Int
    public var entries: [WhitelistEntryView]
    /// Entries deleted since the last restart, restorable ("Hide deleted entries", seeds/002 §1.7).
    public var deleted: [WhitelistEntryView]

    public init(enabled: Bool, mode: LocalWhitelistMode, list: LocalWhitelist, search: String) {
        self.enabled = enabled; self.mode = mode; count = list.entries.count; maximum = LocalWhitelist.maximumEntries
        entries = list.search(search).map(WhitelistEntryView.init)
        deleted = list.deleted.map(WhitelistEntryView.init)
    }

    /// The station's local whitelist, entries matching `search`.
    public init(_ engine: AuthorizationEngine, search: String) {
        self.init(enabled: engine.settings.localWhitelistEnabled, mode: engine.settings.localWhitelistMode, list: engine.lists.whitelist,
                  search: search)
    }
}

/// Learning mode state.
public struct LearningView: Sendable, Codable, Equatable {
    public var active: Bool
    public var until: Date?
    /// Identifiers added since learning mode was switched on.
    public var learned: [String]
    public init(active: Bool, until: Date?, learned: [String]) { self.active = active; self.until = until; self.learned = learned }
    public init(_ flow: AuthorizationFlow) { self.init(active: flow.learningUntil != nil, until: flow.learningUntil, learned: flow.learned) }
}

/// The OCPP-managed lists as `GET /api/authorization/lists` answers.
public struct AuthorizationListsView: Sendable, Codable, Equatable {
    public var localListEnabled: Bool
    public var localListVersion: Int
    public var localList: [ListedIdentifier]
    /// "Enable OCPP whitelist".
    public var cacheEnabled: Bool
    public var cacheExpiryMode: CacheExpiryMode
    public var cache: [ListedIdentifier]
    public init(localListEnabled: Bool, localListVersion: Int, localList: [ListedIdentifier], cacheEnabled: Bool,
                cacheExpiryMode: CacheExpiryMode, cache: [ListedIdentifier]) {
        self.localListEnabled = localListEnabled; self.localListVersion = localListVersion; self.localList = localList
        self.cacheEnabled = cacheEnabled; self.cacheExpiryMode = cacheExpiryMode; self.cache = cache
    }

    public init(_ engine: AuthorizationEngine) {
        let l = engine.lists, s = engine.settings
        self.init(localListEnabled: s.localListEnabled, localListVersion: l.localListVersion, localList: l.localList,
                  cacheEnabled: s.cacheEnabled, cacheExpiryMode: s.cacheExpiryMode, cache: l.cache)
    }
}

/// Whitelists, learning mode and the OCPP lists, for the local API.
public protocol AuthorizationService: Sendable {
    func whitelist(search: String) async -> WhitelistView
    func whitelistAdd(_ input: WhitelistEntryInput) async throws -> WhitelistEntryView
    func whitelistUpdate(_ id: String, _ input: WhitelistEntryInput) async throws -> WhitelistEntryView
    func whitelistRemove(_ id: String) async throws -> WhitelistEntryView
    func whitelistRemoveAll() async throws -> Int
    func whitelistRestore(_ id: String) async throws -> WhitelistEntryView
    func whitelistImport(_ csv: String, mode: WhitelistImportMode) async throws -> WhitelistImportReport
    func whitelistExport(format: WhitelistCSVFormat) async -> String
    func learning() async -> LearningView
    func setLearning(_ active: Bool) async -> LearningView
    func authorizationLists() async -> AuthorizationListsView
    func clearAuthorizationCache() async throws
}

/// The charging history, for the local API.
public protocol HistoryService: Sendable {
    /// Sessions started in `[from, to)`, oldest first, identifiers masked unless "UID disclose" is On.
    func history(from: Date?, to: Date?) async throws -> [HistoryRow]
    func historySummary() async throws -> HistorySummary
}
