#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import OCPP16
import Parameters

/// The OCPP configuration keys (GetConfiguration/ChangeConfiguration), all backed by the parameter registry:
/// standard keys named like their parameter read and write it directly, the others are derived from registry
/// parameters (ConnectionTimeOut ← VehicleConnectionTimeout, …), and every other registry parameter is reachable
/// under its own key as a vendor key (seeds/004 §2 "Toegang via Backend"). The backend acts with the operator
/// role: parameters that need the installer or manufacturer are reported read-only.
///
/// - SeeAlso: OCPP 1.6 §5.3, §5.8, §9; the OCA OCPP 1.6 compliance test cases (configuration keys).
public enum OCPPConfigurationKeys {
    /// What GetConfiguration may report about a key.
    public enum Access: Sendable { case readOnly, readWrite, writeOnly }

    /// The context the derived keys need.
    public struct Context: Sendable {
        public var supportedProfiles: [FeatureProfile]
        /// seeds/004 §4 "Allow long get configuration keys": names over 50 and values over 500 characters are sent in
        /// full (On) instead of keeping to the OCPP 1.6 KeyValue limits (Off: such keys are left out, values cut).
        public var allowLongKeys: Bool
        /// The station's time, for CurrentDateTime (nil: the key reads empty).
        public var now: Date?
        /// A connector can switch between 3 phases and 1 (ConnectorSwitch3to1PhaseSupported).
        public var phaseSwitchSupported: Bool
        /// Each connector's meter public key (hex DER SubjectPublicKeyInfo) for `MeterPublicKey<N>`; a connector without
        /// one reads empty (issue 28 item 6).
        public var meterPublicKeys: [Int: String]
        public init(supportedProfiles: [FeatureProfile], allowLongKeys: Bool = false, now: Date? = nil, phaseSwitchSupported: Bool = false,
                    meterPublicKeys: [Int: String] = [:]) {
            self.supportedProfiles = supportedProfiles; self.allowLongKeys = allowLongKeys; self.now = now
            self.phaseSwitchSupported = phaseSwitchSupported; self.meterPublicKeys = meterPublicKeys
        }
    }

    /// OCPP 1.6 §6.25 KeyValue: key CiString50, value CiString500.
    public static let maxKeyLength = 50
    public static let maxValueLength = 500

    /// The answer to ChangeConfiguration.
    public enum ChangeOutcome: Sendable, Equatable {
        /// Store these parameter values; `rebootRequired` when one of them takes effect after a restart.
        case apply([String: ParameterValue], rebootRequired: Bool)
        case rejected(String)
        case notSupported
    }

    /// The role the backend has when it changes parameters.
    public static let backendRole = Role.operator
    /// GetConfigurationMaxKeys.
    public static let getConfigurationMaxKeys = 500
    /// LocalAuthListMaxLength and SendLocalListMaxLength.
    public static let localAuthListMaxLength = 1000
    /// CertificateSignedMaxChainSize (security whitepaper ed. 3 §7): the schema's own bound of certificateChain, which
    /// holds a leaf and a few sub-CAs of the CPO hierarchy comfortably.
    public static let certificateSignedMaxChainSize = 10_000
    /// CertificateStoreMaxLength (security whitepaper ed. 3 §7): root certificates of both uses together. Twenty covers
    /// a central system root with its successor and fallback plus several manufacturer roots, while every check of a
    /// chain (which parses the installed roots) and the GetInstalledCertificateIds answer stay small.
    public static let certificateStoreMaxLength = 20

    private struct Derived {
        var name: String
        var access: Access
        var profile: FeatureProfile
        var get: @Sendable (ParameterSet, Context) -> String
        var set: (@Sendable (String, ParameterSet) throws(ParameterError) -> [String: ParameterValue])?

        /// The registry parameters a writable key changes (its access follows their roles).
        func parameters(_ p: ParameterSet) -> [String] {
            switch name {
            case "ConnectorPhaseRotation": (1...connectorCount(p)).map { "\(StationParameters.phaseRotation).\($0)" }
            case "AuthorizeRemoteTxRequests": [StationParameters.sendAuthorizeForRemoteStart]
            case "ConnectionTimeOut": [StationParameters.vehicleConnectionTimeout]
            case "MessageTimeout": [StationParameters.backendConnectionTimeout]
            case "/ocpp/stopTransactionsOnReset": [StationParameters.stopTxOnReset]
            case "/hw/auth/device/Dummy/enabled": [StationParameters.dummyRfidEnabled]
            case "/hw/auth/device/Dummy/id/value": [StationParameters.dummyRfidTag]
            case "/hw/auth/device/Dummy/allowStop": [StationParameters.dummyAllowStop]
            default: []
            }
        }
    }

    /// Standard keys whose parameter has the same name.
    private static let sameName: [(String, FeatureProfile)] = {
        typealias K = StationParameters
        return [
            (K.allowOfflineTxForUnknownId, .core), (K.authorizationCacheEnabled, .core), (K.clockAlignedDataInterval, .core),
            (K.heartbeatInterval, .core), (K.localAuthorizeOffline, .core), (K.localPreAuthorize, .core),
            (K.meterValuesAlignedData, .core), (K.meterValuesSampledData, .core), (K.meterValueSampleInterval, .core),
            (K.minimumStatusDuration, .core), (K.resetRetries, .core), (K.stopTransactionOnInvalidId, .core),
            (K.stopTxnAlignedData, .core), (K.stopTxnSampledData, .core), (K.transactionMessageAttempts, .core),
            (K.transactionMessageRetryInterval, .core), (K.webSocketPingInterval, .core),
            (K.localAuthListEnabled, .localAuthListManagement), (K.reserveConnectorZeroSupported, .reservation),
            (K.stopTxOnReset, .core),
        ]
    }()

    private static let derived: [Derived] = {
        typealias K = StationParameters
        func constant(_ name: String, _ profile: FeatureProfile, _ value: String) -> Derived {
            Derived(name: name, access: .readOnly, profile: profile, get: { _, _ in value }, set: nil)
        }
        func alias(_ name: String, _ key: String) -> Derived {
            Derived(name: name, access: .readWrite, profile: .core, get: { p, _ in ocppText(p.value(key)) },
                    set: { (text: String, p: ParameterSet) throws(ParameterError) -> [String: ParameterValue] in
                        [key: try parse(text, key: key, in: p)]
                    })
        }
        let maxLength = String(StationParameters.measurandListMaxLength)
        return [
            alias("AuthorizeRemoteTxRequests", K.sendAuthorizeForRemoteStart),
            alias("ConnectionTimeOut", K.vehicleConnectionTimeout),
            alias("MessageTimeout", K.backendConnectionTimeout),
            // The Technagon controller's keys (seeds/002 §2.3) under their own names.
            alias("/ocpp/stopTransactionsOnReset", K.stopTxOnReset),
            alias("/hw/auth/device/Dummy/enabled", K.dummyRfidEnabled),
            alias("/hw/auth/device/Dummy/id/value", K.dummyRfidTag),
            alias("/hw/auth/device/Dummy/allowStop", K.dummyAllowStop),
            // seeds/002 §2.3 CurrentDateTime (r): the station's clock, in OCPP's date-time form.
            Derived(name: "CurrentDateTime", access: .readOnly, profile: .core, get: { _, c in c.now.map(OCPPDate.format) ?? "" }, set: nil),
            // seeds/002 §2.3 ChargingProfileStackPerConnector ("Stack per connector in TxProfile"): ChargeKit keeps the
            // stack of each connector apart (a profile replaces one of the same stackLevel and purpose on its own
            // connector only, OCPP 1.6 §5.16), so the key reports true and is read-only (docs/operator.md says why).
            constant("ChargingProfileStackPerConnector", .smartCharging, "true"),
            Derived(name: "ConnectorPhaseRotation", access: .readWrite, profile: .core,
                    get: { p, _ in
                        (1...connectorCount(p)).map { "\($0).\(p[.phaseRotation, connector: $0].rawValue)" }.joined(separator: ",")
                    },
                    set: { (text: String, p: ParameterSet) throws(ParameterError) -> [String: ParameterValue] in
                        var out: [String: ParameterValue] = [:]
                        for item in text.split(separator: ",") {
                            let parts = item.split(separator: ".")
                            guard parts.count == 2, let n = Int(parts[0].trimmedWhitespace), (1...connectorCount(p)).contains(n),
                                  let rotation = PhaseRotation(rawValue: parts[1].trimmedWhitespace.uppercased()) else {
                                throw ParameterError.invalid("ConnectorPhaseRotation", String(item),
                                                             "<connector>.<RST|RTS|SRT|STR|TRS|TSR> for connectors 1 to \(connectorCount(p))")
                            }
                            out["\(K.phaseRotation).\(n)"] = .string(rotation.rawValue)
                        }
                        return out
                    }),
            constant("ConnectorPhaseRotationMaxLength", .core, "2"),
            Derived(name: "GetConfigurationMaxKeys", access: .readOnly, profile: .core, get: { _, _ in String(getConfigurationMaxKeys) }, set: nil),
            constant("MeterValuesAlignedDataMaxLength", .core, maxLength),
            constant("MeterValuesSampledDataMaxLength", .core, maxLength),
            constant("StopTxnAlignedDataMaxLength", .core, maxLength),
            constant("StopTxnSampledDataMaxLength", .core, maxLength),
            Derived(name: "NumberOfConnectors", access: .readOnly, profile: .core, get: { p, _ in String(connectorCount(p)) }, set: nil),
            Derived(name: "StopTransactionOnEVSideDisconnect", access: .readOnly, profile: .core,
                    get: { p, _ in p[.stopTransactionMode].unplugStops ? "true" : "false" },
                    set: nil),
            Derived(name: "SupportedFeatureProfiles", access: .readOnly, profile: .core,
                    get: { _, c in c.supportedProfiles.map(\.rawValue).joined(separator: ",") }, set: nil),
            Derived(name: "SupportedFeatureProfilesMaxLength", access: .readOnly, profile: .core,
                    get: { _, _ in String(FeatureProfile.allCases.count) }, set: nil),
            Derived(name: "AuthorizationKey", access: .writeOnly, profile: .core, get: { _, _ in "" },
                    set: { (text: String, p: ParameterSet) throws(ParameterError) -> [String: ParameterValue] in
                        // 16–20 bytes, configured as up to 40 characters (security whitepaper ed. 3 A00.FR.203, A00.FR.304).
                        guard SecurityProfilePolicy.validAuthorizationKey(text) else {
                            throw ParameterError.invalid(K.authorizationKey, "", "16 to 40 characters")
                        }
                        return [K.authorizationKey: try parse(text, key: K.authorizationKey, in: p)]
                    }),
            // The socket always unlocks when the cable is pulled at the vehicle side: the lock only holds a plug
            // whose vehicle is connected (read-only is allowed, errata 3.84).
            constant("UnlockConnectorOnEVSideDisconnect", .core, "true"),
            constant("SupportedFileTransferProtocols", .firmwareManagement, "FTP,HTTP,HTTPS"),
            constant("ChargeProfileMaxStackLevel", .smartCharging, String(ChargingProfiles.Limits().maxStackLevel)),
            constant("ChargingScheduleAllowedChargingRateUnit", .smartCharging, "Current,Power"),
            // OCPP 1.6 §9.4: whether a connector can switch from 3 to 1 phase during a transaction — true when the board
            // has a phase-switching contactor on a 3-phase connector; numberPhases of a profile period is then honoured
            // by switching (issue 25 item 3).
            Derived(name: "ConnectorSwitch3to1PhaseSupported", access: .readOnly, profile: .smartCharging,
                    get: { _, c in c.phaseSwitchSupported ? "true" : "false" }, set: nil),
            constant("ChargingScheduleMaxPeriods", .smartCharging, String(ChargingProfiles.Limits().maxPeriods)),
            constant("MaxChargingProfilesInstalled", .smartCharging, String(ChargingProfiles.Limits().maxProfiles)),
            constant("LocalAuthListMaxLength", .localAuthListManagement, String(localAuthListMaxLength)),
            // The security extension's read-only keys (whitepaper ed. 3 §7); CpoName and AdditionalRootCertificateCheck
            // are registry parameters (SecurityParameters.swift) under their own names.
            constant("CertificateSignedMaxChainSize", .core, String(certificateSignedMaxChainSize)),
            constant("CertificateStoreMaxLength", .core, String(certificateStoreMaxLength)),
            constant("SendLocalListMaxLength", .localAuthListManagement, String(localAuthListMaxLength)),
        ]
    }()

    private static func connectorCount(_ p: ParameterSet) -> Int { max(1, p.registry.connectorCount) }

    /// The name of the per-connector meter public key (OCA Eichrecht application note: MeterPublicKey[ConnectorId]).
    public static let meterPublicKeyPrefix = "MeterPublicKey"


    /// Registry keys that are reached through a standard key (or must never be shown) and are not vendor keys.
    private static let hiddenParameters: Set<String> = [
        StationParameters.sendAuthorizeForRemoteStart, StationParameters.vehicleConnectionTimeout,
        StationParameters.backendConnectionTimeout, StationParameters.authorizationKey,
        StationParameters.dummyRfidEnabled, StationParameters.dummyRfidTag, StationParameters.dummyAllowStop,
    ]

    /// Every key with its value, in GetConfiguration order: standard keys of the supported profiles, then vendor keys.
    public static func all(_ p: ParameterSet, _ context: Context) -> [KeyValue] {
        var out: [KeyValue] = []
        for (key, profile) in sameName where context.supportedProfiles.contains(profile) {
            out.append(KeyValue(key: key, readonly: !writable(key, p), value: ocppText(p.value(key))))
        }
        for d in derived where context.supportedProfiles.contains(d.profile) && d.access != .writeOnly {
            let underlying = d.parameters(p)
            out.append(KeyValue(key: d.name, readonly: d.access == .readOnly || !underlying.allSatisfy { writable($0, p) }, value: d.get(p, context)))
        }
        // The OCA's Eichrecht application note for OCPP 1.6 (and its signed meter values whitepaper, v1.0): the public key
        // of each connector's meter as the read-only key MeterPublicKey[ConnectorId], so that a central system can
        // publish it for the transparency software; hex of the DER SubjectPublicKeyInfo, empty when the meter does not
        // sign or its key cannot be read.
        for n in 1...connectorCount(p) {
            out.append(KeyValue(key: "\(meterPublicKeyPrefix)\(n)", readonly: true, value: context.meterPublicKeys[n] ?? ""))
        }
        let standard = Set(out.map(\.key)).union(sameName.map(\.0))
        // Secret parameters (the DLM network key, …) are write-only like AuthorizationKey: never read back over OCPP,
        // where anyone on a ws:// path or the backend itself would learn them (issue 20 item 4).
        for r in p.registry.keys where !standard.contains(r.key) && !hiddenParameters.contains(r.definition.key) && !r.definition.secret {
            out.append(KeyValue(key: r.key, readonly: !writable(r.key, p), value: ocppText(p.value(r.key))))
        }
        guard !context.allowLongKeys else { return out }
        return out.compactMap { kv in
            guard kv.key.count <= maxKeyLength else { return nil }
            var kv = kv
            if let v = kv.value, v.count > maxValueLength { kv.value = String(v.prefix(maxValueLength)) }
            return kv
        }
    }

    /// GetConfiguration: the requested keys (all when `keys` is empty) and the unknown ones. Key names compare
    /// case-insensitively (CiString50).
    public static func get(_ keys: [String], _ p: ParameterSet, _ context: Context) -> (known: [KeyValue], unknown: [String]) {
        let everything = all(p, context)
        guard !keys.isEmpty else { return (everything, []) }
        var known: [KeyValue] = []
        var unknown: [String] = []
        for k in keys {
            if let kv = everything.first(where: { $0.key.lowercased() == k.lowercased() }) { known.append(kv) } else { unknown.append(k) }
        }
        return (known, unknown)
    }

    /// ChangeConfiguration: what to store, or why not. Booleans must be `true`/`false` (any case); numbers and
    /// lists are checked against the parameter's range and choices.
    public static func change(key: String, value: String, _ p: ParameterSet, _ context: Context) -> ChangeOutcome {
        let lower = key.lowercased()
        if let (name, profile) = sameName.first(where: { $0.0.lowercased() == lower }) {
            guard context.supportedProfiles.contains(profile) else { return .notSupported }
            return changeParameter(name, value, p)
        }
        if let d = derived.first(where: { $0.name.lowercased() == lower }), context.supportedProfiles.contains(d.profile) {
            guard let set = d.set else { return .rejected("\(d.name) is read-only") }
            do {
                let values = try set(value, p)
                for (k, v) in values {
                    guard writable(k, p) else { return .rejected("\(d.name) may not be changed by the backend (\(k) needs a higher role)") }
                    _ = try p.registry.validateChange(key: k, value: v, role: backendRole, in: p)
                }
                return .apply(values, rebootRequired: values.keys.contains { restartRequired($0, p) })
            } catch {
                return .rejected(error.message)
            }
        }
        if lower.hasPrefix(meterPublicKeyPrefix.lowercased()), let n = Int(lower.dropFirst(meterPublicKeyPrefix.count)),
           (1...connectorCount(p)).contains(n) {
            return .rejected("\(key) is read-only")
        }
        if let r = p.registry.keys.first(where: { $0.key.lowercased() == lower }), !hiddenParameters.contains(r.definition.key) {
            return changeParameter(r.key, value, p)
        }
        return .notSupported
    }

    private static func changeParameter(_ key: String, _ text: String, _ p: ParameterSet) -> ChangeOutcome {
        guard writable(key, p) else { return .rejected("\(key) may not be changed by the backend") }
        do {
            let value = try parse(text, key: key, in: p)
            _ = try p.registry.validateChange(key: key, value: value, role: backendRole, in: p)
            return .apply([key: value], rebootRequired: restartRequired(key, p))
        } catch {
            return .rejected(error.message)
        }
    }

    private static func writable(_ key: String, _ p: ParameterSet) -> Bool {
        guard let r = try? p.registry.resolve(key) else { return false }
        return p.registry.requiredRole(r, in: p) <= backendRole
    }

    private static func restartRequired(_ key: String, _ p: ParameterSet) -> Bool {
        (try? p.registry.resolve(key))?.definition.restartRequired ?? false
    }

    /// Parses a ChangeConfiguration value for a registry parameter; booleans are strict (checklist §1.3).
    static func parse(_ text: String, key: String, in p: ParameterSet) throws(ParameterError) -> ParameterValue {
        let r = try p.registry.resolve(key)
        if case .bool = r.definition.type {
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw ParameterError.invalid(r.key, text, "true or false")
            }
        }
        return try p.registry.parse(text, for: r)
    }

    /// A parameter value as OCPP text: booleans `true`/`false`, lists comma-separated.
    public static func ocppText(_ v: ParameterValue?) -> String {
        switch v {
        case .bool(let b)?: b ? "true" : "false"
        case let v?: v.description
        case nil: ""
        }
    }
}
