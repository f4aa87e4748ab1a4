#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import EVSECore
import Hosting
import Logging
import EEBUS
import OCPP16
import Transport

/// What the runtime keeps of the EEBUS interface's adapters (issue 26): the SHIP node, DNS-SD, and what they reported.
struct EEBUSRuntimeState {
    var node: SHIPNode?
    var mdns: MDNSService?
    var identity: SHIPIdentity?
    /// Where the LPC failsafe values are kept.
    var failsafeStore: EEBUSFailsafeStore?
    var port = 0
    /// SKIs of untrusted nodes that connected, with when (the page offers to pair them); at most
    /// ``StationRuntime/eebusTrustRequestLimit``, the oldest dropped.
    var trustRequests: [SHIPSKI: Date] = [:]
    var discovered: [DNSSDDiscoveredService] = []
    /// The SKIs whose connection is in the data phase.
    var connected: Set<SHIPSKI> = []
    /// The paired SKI the node was last told to trust.
    var paired: SHIPSKI?
    /// Where the node was last told to connect to the paired manager (it reconnects by itself, with back-off).
    var connectingTo: EEBUSLinkTarget?
}

/// The paired manager's SHIP service as DNS-SD last gave it: a change of its address, port or path is passed on.
struct EEBUSLinkTarget: Equatable {
    var ski: SHIPSKI
    var host: String
    var port: Int
    var path: String
}

/// The EEBUS interface's adapters and the controller (issue 26): SHIP events and datagrams go to the controller, its
/// datagrams to the SHIP node; the paired SKI (the parameter EEBUSPairedSKI) decides whom the node trusts and, once
/// DNS-SD found that manager, where it connects; the status the page and `GET /api/eebus` show is put together here.
extension StationRuntime {
    static var eebusTrustRequestLimit: Int { 8 }

    /// The SHIP node and DNS-SD run: the controller's SPINE device starts with this station's identity.
    public func eebusStarted(node: SHIPNode, mdns: MDNSService, identity: SHIPIdentity, port: Int, softwareVersion: String,
                             failsafeStore: EEBUSFailsafeStore) {
        eebus.node = node
        eebus.mdns = mdns
        eebus.identity = identity
        eebus.port = port
        eebus.failsafeStore = failsafeStore
        let (stored, problem) = failsafeStore.load()
        if let problem { logger.error("EEBUS: \(problem)") }
        let s = controller.settings
        let maximumW = s.connectors.reduce(0.0) { sum, c in
            sum + s.powerSourceVoltageV * Double(c.phasesConnected.phaseCount) * min(c.installationCurrentLimitAmps, c.hardwareMaxCurrentAmps)
        }
        controller.startEEBUS(deviceAddress: Self.eebusDeviceAddress(serial: s.serialNumber),
                              station: EEBUSStationInfo(brand: "ChargeKit", model: "ChargeKit", serialNumber: s.serialNumber,
                                                        softwareVersion: softwareVersion, vendor: "ChargeKit", nominalMaximumPowerW: maximumW),
                              stored: stored, now: clock.now())
        eebusFollowPairing()
        carryOut()
    }

    /// The SPINE device address (SPINE TS 1.3.0 §5.2.2 `deviceAddressType`, the `d:_n:<name>_<serial>` form of a device
    /// without an IANA enterprise number).
    static func eebusDeviceAddress(serial: String) -> String { "d:_n:ChargeKit_\(serial)" }

    /// The SHIP id (SHIP TS 1.0.1 §7.3.2 `id`, also in `accessMethods`): unique per device.
    public static func eebusShipID(serial: String) -> String { "ChargeKit-\(serial)" }

    /// One event of the SHIP node.
    public func eebusEvent(_ event: SHIPNodeEvent) {
        let now = clock.now()
        switch event {
        case .state(let ski, .connected):
            eebus.connected.insert(ski)
            eebus.trustRequests[ski] = nil
            controller.eebusConnected(ski: ski.hex, now: now)
        case .state(let ski, .closed):
            if eebus.connected.remove(ski) != nil { controller.eebusDisconnected(ski: ski.hex, now: now) }
        case .state:
            break
        case .trustRequested(let ski, _):
            eebus.trustRequests[ski] = now
            if eebus.trustRequests.count > Self.eebusTrustRequestLimit,
               let oldest = eebus.trustRequests.min(by: { $0.value < $1.value })?.key {
                eebus.trustRequests[oldest] = nil
            }
        case .datagram(let ski, let datagram):
            controller.eebusReceive(datagram, from: ski.hex, now: now)
        }
        carryOut()
    }

    /// DNS-SD's list of SHIP services changed.
    public func eebusDiscovered(_ services: [DNSSDDiscoveredService]) {
        eebus.discovered = services
        eebusFollowPairing()
    }

    /// Tells the node whom to trust (the paired SKI) and, once DNS-SD found that manager, to connect to it. A changed
    /// or removed pairing closes the old connection (the node does when its SKI is no longer trusted) and starts the
    /// controller's SPINE device afresh, so that nothing the old manager set outlives it.
    func eebusFollowPairing() {
        guard let node = eebus.node else { return }
        let paired = controller.settings.eebus.pairedSKI.flatMap { try? SHIPSKI(userInput: $0) }
        if paired != eebus.paired {
            node.setTrusted(paired.map { [$0] } ?? [])
            if let old = eebus.paired {
                node.disconnect(ski: old)
                if eebus.connected.remove(old) != nil { controller.eebusDisconnected(ski: old.hex, now: clock.now()) }
                controller.eebusRestart(now: clock.now())
            }
            eebus.paired = paired
            eebus.connectingTo = nil
        }
        guard let paired, let manager = eebusManagers.first(where: { $0.info.ski == paired }) else { return }
        let target = EEBUSLinkTarget(ski: paired, host: manager.host, port: Int(manager.service.port), path: manager.info.path)
        guard eebus.connectingTo != target else { return }
        eebus.connectingTo = target
        node.connect(host: target.host, port: target.port, ski: paired, path: target.path)
    }

    /// The SHIP services DNS-SD found with their TXT read (SHIP TS 1.0.1 §7.3.2); one whose TXT is not SHIP's is left
    /// out, and so is this station itself.
    var eebusManagers: [(service: DNSSDDiscoveredService, info: SHIPServiceInfo, host: String)] {
        eebus.discovered.compactMap { s in
            guard let info = try? s.shipServiceInfo(),
                  info.ski != eebus.identity?.ski, let address = s.addresses.first else { return nil }
            return (s, info, "\(address)")
        }
    }

    /// Keeps the LPC failsafe values before the write that changed them is acknowledged (the effects are carried out
    /// in order).
    func eebusPersist(_ values: LPCControllableSystem.StoredValues) {
        do { try eebus.failsafeStore?.save(values) } catch {
            logger.error("EEBUS: the failsafe values cannot be kept: \(error)")
        }
    }

    /// Sends a SPINE datagram of the controller; one for a manager that is no longer connected is dropped.
    func eebusSend(_ outgoing: SPINEOutgoing) {
        guard let node = eebus.node, let ski = try? SHIPSKI(userInput: outgoing.ski) else { return }
        _ = node.send(outgoing.datagram, to: ski)
    }

    public func eebusStatus() -> EEBUSInterfaceStatus {
        let s = controller.settings.eebus
        guard s.enabled, let identity = eebus.identity, let node = eebus.node else { return EEBUSInterfaceStatus(enabled: false) }
        let now = clock.now()
        let managers = eebusManagers
        let paired = s.pairedSKI
        let pairedService = managers.first { $0.info.ski.hex == paired }
        let state: EEBUSInterfaceStatus.PairingState = paired == nil ? .notPaired
            : eebus.connected.contains(where: { $0.hex == paired }) ? .paired : .pairing
        let connections = node.status.map { c -> EEBUSInterfaceStatus.Connection in
            let (state, reason): (String, String?) = switch c.state {
            case .connecting: ("connecting", nil)
            case .waitingForTrust: ("waitingForTrust", nil)
            case .connected: ("connected", nil)
            case .closed(let why): ("closed", why)
            }
            return EEBUSInterfaceStatus.Connection(ski: c.ski.hex, state: state, remoteAddress: c.remoteAddress, incoming: c.role == .server, reason: reason)
        }
        let useCases = controller.eebusUseCaseStatus(now: now)
        let lpc = useCases.map { u in
            EEBUSInterfaceStatus.LPC(
                state: Self.lpcStateName(u.lpcState), limitW: u.stationLimit?.powerW, limitEndsAt: u.limit.isActive ? u.limit.endTime : nil,
                failsafeLimitW: u.failsafeLimitW, failsafeDurationMinimumS: u.failsafeDurationMinimumSeconds, heartbeatAgeS: u.heartbeatAgeSeconds)
        }
        let limits = controller.eebusLimits
        let connectors = (1...max(1, controller.connectorCount)).map { n -> EEBUSInterfaceStatus.ConnectorLimits in
            let l = limits[n]
            let applied = useCases?.connectors.first { $0.connector == n }?.limits
            func list(_ p: EEBUSPhaseCurrents?) -> [Double]? {
                guard let p, !p.isEmpty else { return nil }
                return EEBUSPhase.allCases.compactMap { p[$0] }
            }
            return EEBUSInterfaceStatus.ConnectorLimits(connector: n, obligationAmps: list(applied?.obligationA), recommendationAmps: list(applied?.recommendationA),
                                                        limitAmps: l?.gridPhaseAmps.min(), reason: l?.reason)
        }
        return EEBUSInterfaceStatus(
            enabled: true, ski: identity.ski.hex, shipId: identity.shipID, port: eebus.port,
            pairing: .init(state: state, ski: paired, name: pairedService.map { [$0.info.brand, $0.info.model].compactMap { $0 }.joined(separator: " ") }),
            discovered: managers.map { m in
                EEBUSInterfaceStatus.Manager(ski: m.info.ski.hex, brand: m.info.brand ?? "", model: m.info.model ?? "", type: m.info.type ?? "",
                                             id: m.info.id, host: m.host, port: Int(m.service.port))
            },
            connections: connections, trustRequests: eebus.trustRequests.sorted { $0.value < $1.value }.map(\.key.hex),
            lpc: lpc, connectors: connectors)
    }

    /// The API's names of LPC's states (EEBUS UC TS LPC 1.0.0 §2.3 names them "unlimited/controlled" …).
    static func lpcStateName(_ s: LPCState) -> String {
        switch s {
        case .initial: "init"
        case .unlimitedControlled: "unlimitedControlled"
        case .limited: "limited"
        case .failsafe: "failsafe"
        case .unlimitedAutonomous: "unlimitedAutonomous"
        }
    }
}
