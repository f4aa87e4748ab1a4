import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import StationModbus

private let key = "correct horse battery staple"

private func report(_ amps: Double = 0) -> DLMReport {
    DLMReport(disconnectedLimitAmps: 7, connectors: [
        DLMConnectorReport(rotation: .rst, phasesConnected: 3, usedPhases: nil, demanding: true, maximumAmps: 32, minimumAmps: 6,
                           measuredAmps: PhaseValues(all: amps), status: "Charging"),
    ])
}

/// Stations on a simulated LAN: every datagram goes through the real codec; broadcasts reach every station; a station
/// that is "down" neither polls nor receives.
struct LAN {
    struct Station {
        var rig: Rig
        var endpoint: DLMEndpoint
        var up = true
    }
    var clock = ManualClock()
    var stations: [String: Station] = [:]
    var order: [String] = []
    /// Datagrams dropped on purpose (a cut cable): by sender id.
    var cut: Set<String> = []
    /// Every datagram delivered, for replay tests: (from, to, bytes).
    var delivered: [(String, String, [UInt8])] = []

    mutating func add(_ id: String, mode: DLMMode, connectors: Int = 2, store: InMemoryStationStore = Rig.storeWithCards(),
                      _ change: @escaping (inout ParameterSet) -> Void = { _ in }) {
        let port = mode.isMaster ? 7520 : 40000 + order.count
        let rig = Rig(connectors: connectors, store: store) { p in
            p.set(StationParameters.chargeBoxIdentity, .string(id))
            p.set(StationParameters.dlmMode, .string(mode.rawValue))
            p.set(StationParameters.dlmNetworkKey, .string(key))
            p.set(StationParameters.dlmSampleRate, .string("1"))
            change(&p)
        }
        var r = rig
        r.clock = clock
        stations[id] = Station(rig: r, endpoint: DLMEndpoint(host: "10.0.0.\(order.count + 1)", port: port))
        if !order.contains(id) { order.append(id) }
    }

    /// Runs every station for `seconds`, polling every 0.1 s and delivering datagrams after each poll.
    mutating func run(_ seconds: Double) {
        var left = seconds
        while left > 1e-9 {
            clock.advance(by: .milliseconds(100))
            left -= 0.1
            for id in order where stations[id]!.up {
                stations[id]!.rig.clock = clock
                stations[id]!.rig.step(now: clock.now)
            }
            deliver()
        }
    }

    mutating func deliver() {
        var rounds = 0
        while rounds < 10 {
            rounds += 1
            var any = false
            for id in order where stations[id]!.up {
                let out = stations[id]!.rig.takeDatagrams()
                guard !cut.contains(id) else { continue }
                for d in out {
                    any = true
                    let from = stations[id]!.endpoint
                    let targets: [String]
                    switch d.destination {
                    case .broadcast: targets = order.filter { $0 != id && stations[$0]!.rig.controller.settings.dlm.mode == .slaveAutoDiscovery }
                    case .endpoint(let e): targets = order.filter { stations[$0]!.endpoint == e }
                    case .configuredMaster:
                        let address = stations[id]!.rig.controller.settings.dlm.masterAddress
                        targets = order.filter { stations[$0]!.endpoint == DLMEndpoint(parsing: address, defaultPort: 7520) }
                    }
                    for t in targets where stations[t]!.up {
                        delivered.append((id, t, d.bytes))
                        stations[t]!.rig.controller.dlmReceive(d.bytes, from: from, now: clock.now)
                    }
                }
            }
            if !any { break }
        }
    }

    mutating func inject(_ bytes: [UInt8], to id: String, from: DLMEndpoint) {
        stations[id]!.rig.controller.dlmReceive(bytes, from: from, now: clock.now)
        deliver()
    }

    mutating func charge(_ id: String, _ n: Int, _ spec: EVSpec = EVSpec(phases: 3, maxCurrentAmps: 32)) throws {
        try stations[id]!.rig.board.plug(n, spec)
        run(0.2)
        try stations[id]!.rig.board.presentRFID(Rig.cards[n])
        run(0.2)
    }

    func limit(_ id: String, _ n: Int) -> CurrentLimit { stations[id]!.rig.connector(n).currentLimit }
    func dlm(_ id: String) -> DLMStatus? { stations[id]!.rig.controller.snapshot(now: clock.now).dlm }
    func warnings(_ id: String) -> [String] { dlm(id)?.warnings ?? [] }
}

@Suite("DLM master and slaves over the link (seeds/004 §1.4, §1.5, §7.4, §7.7)")
struct DLMLinkStationTests {
    func site(sub: Double = 20) -> (inout ParameterSet) -> Void {
        { p in
            p.set(StationParameters.evseSubDistributionLimit, .phaseTriple(PhaseValues(all: sub)))
            p.set(StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(all: sub)))
        }
    }

    @Test("auto-discovery: two slaves find the standalone master and share its 20 A; the master's own connectors get 0 A")
    func discovery() throws {
        var lan = LAN()
        lan.add("M", mode: .masterStandalone, store: InMemoryStationStore(), site())
        lan.add("S1", mode: .slaveAutoDiscovery)
        lan.add("S2", mode: .slaveAutoDiscovery)
        lan.run(3)
        #expect(lan.dlm("M")?.slaves?.map(\.id) == ["S1", "S2"])
        #expect(lan.dlm("S1")?.master?.id == "M")
        try lan.charge("S1", 1)
        lan.run(6)
        #expect(lan.limit("S1", 1).amps == 20 && lan.limit("S1", 1).binding == .dlm)
        try lan.charge("S2", 1)
        lan.run(1)
        #expect(lan.limit("S1", 1).amps == 10, "the second car's report re-divides at once")
        lan.run(6)
        #expect(lan.limit("S2", 1).amps == 10)
        #expect(lan.limit("M", 1).amps == 0 && lan.limit("M", 1).binding == .dlm, "a standalone master drives no connector")
        #expect(lan.stations["M"]!.rig.controller.dlmRegisters(now: lan.clock.now).slavesConnected == 2)
        #expect(lan.stations["M"]!.rig.controller.dlmRegisters(now: lan.clock.now).mode == 2)
    }

    @Test("master lost: slaves reach the Disconnected Limit within three sample periods; a restarted master recovers them")
    func masterLost() throws {
        var lan = LAN()
        let masterStore = InMemoryStationStore()
        lan.add("M", mode: .master, store: masterStore, site(sub: 32))
        lan.add("S1", mode: .slaveAutoDiscovery)
        lan.add("S2", mode: .slaveAutoDiscovery)
        lan.run(3)
        try lan.charge("S1", 1)
        try lan.charge("S2", 1)
        lan.run(8)
        #expect(lan.limit("S1", 1).amps == 16 && lan.limit("S2", 1).amps == 16)
        lan.stations["M"]!.up = false
        lan.run(2.5)
        #expect(lan.limit("S1", 1).amps == 16, "grants hold for three sample periods")
        lan.run(1)
        #expect(lan.limit("S1", 1).amps == 7 && lan.limit("S2", 1).amps == 7, "Disconnected Limit (7 A) after 3 s")
        #expect(lan.limit("S1", 1).binding == .dlm)
        #expect(lan.dlm("S1")?.master?.connected == false)
        // The master restarts (new life, same persistent slave DB): until the slaves report, it reserves their current.
        lan.add("M", mode: .master, store: masterStore, site(sub: 32))
        lan.stations["M"]!.rig.step(now: lan.clock.now)
        let before = lan.dlm("M")!
        #expect(before.slaves?.map(\.id) == ["S1", "S2"] && before.slaves?.allSatisfy { !$0.connected } == true)
        #expect(before.grants.filter { $0.reason == .reserved }.count == 4, "two connectors each, from the slave DB")
        lan.run(3)
        #expect(lan.dlm("M")?.slaves?.allSatisfy(\.connected) == true)
        lan.run(6)
        #expect(lan.limit("S1", 1).amps == 16 && lan.limit("S2", 1).amps == 16, "recovered")
    }

    @Test("a silent slave keeps the more of its last grant and its Disconnected Limit reserved until it returns or is removed")
    func silentSlave() throws {
        var lan = LAN()
        lan.add("M", mode: .masterStandalone, store: InMemoryStationStore(), site(sub: 32))
        lan.add("S1", mode: .slaveAutoDiscovery, connectors: 1)
        lan.add("S2", mode: .slaveAutoDiscovery, connectors: 1)
        lan.run(3)
        try lan.charge("S1", 1)
        try lan.charge("S2", 1)
        lan.run(8)
        #expect(lan.limit("S2", 1).amps == 16)
        lan.cut.insert("S1")  // its cable is cut: the master hears nothing more from it
        lan.run(4)
        let reserved = lan.dlm("M")!.grants.first { $0.id == "S1/1" }!
        #expect(reserved.reason == .reserved && reserved.amps == 16, "never less than its last grant")
        lan.run(10)
        #expect(lan.limit("S2", 1).amps == 16, "S2 does not get S1's share while S1 may still draw it")
        _ = try lan.stations["M"]!.rig.controller.removeDLMSlaves("S1", now: lan.clock.now)
        lan.run(6)
        #expect(lan.limit("S2", 1).amps == 32, "removed: its current is free")
        lan.cut.remove("S1")
        lan.run(2)
        #expect(lan.dlm("M")?.slaves?.map(\.id) == ["S1", "S2"], "it registers again with its next report")
    }

    @Test("Master-Fixed-IP with discovery broadcasting disabled: the slave reaches the master at its address")
    func fixedIP() throws {
        var lan = LAN()
        lan.add("M", mode: .masterStandalone, store: InMemoryStationStore()) { p in
            p.set(StationParameters.dlmDisableDiscoveryBroadcasting, .bool(true))
            self.site()(&p)
        }
        lan.add("S1", mode: .slaveFixedIP) { p in p.set(StationParameters.dlmMasterAddress, .string("10.0.0.1")) }
        lan.add("S2", mode: .slaveAutoDiscovery)
        lan.run(3)
        #expect(lan.dlm("M")?.slaves?.map(\.id) == ["S1"], "the auto-discovery slave hears no announcement")
        try lan.charge("S1", 1)
        lan.run(6)
        #expect(lan.limit("S1", 1).amps == 20)
        #expect(lan.dlm("S2")?.master?.connected == false && lan.limit("S2", 1).binding == .dlm)
    }

    @Test("foreign key, foreign network and replayed messages are refused and logged; they change nothing")
    func refused() throws {
        var lan = LAN()
        lan.add("M", mode: .masterStandalone, store: InMemoryStationStore(), site())
        lan.add("S1", mode: .slaveAutoDiscovery)
        lan.run(3)
        _ = lan.stations["M"]!.rig.takeNotices()
        let master = lan.stations["M"]!.rig.controller.dlmMaster!.link.epoch
        var intruder = DLMMessage(network: 0, from: "EVIL", epoch: "0000000000000001", seq: 1, to: "M", peerEpoch: master, report: report(0))
        lan.inject(DLMLink.seal(intruder, key: "guessed"), to: "M", from: DLMEndpoint(host: "10.0.0.66", port: 1))
        intruder.network = 9
        lan.inject(DLMLink.seal(intruder, key: key), to: "M", from: DLMEndpoint(host: "10.0.0.66", port: 1))
        // A recorded report of S1, sent again.
        let recorded = lan.delivered.last { $0.0 == "S1" && $0.1 == "M" }!.2
        lan.inject(recorded, to: "M", from: lan.stations["S1"]!.endpoint)
        let warnings = lan.stations["M"]!.rig.takeNotices().compactMap { n -> String? in
            if case .dlmLinkWarning(let m) = n { return m } else { return nil }
        }
        #expect(warnings.contains { $0.contains("10.0.0.66") && $0.contains("not authenticated") })
        #expect(warnings.contains { $0.contains("network 9") })
        #expect(warnings.contains { $0.contains("replayed") })
        #expect(lan.dlm("M")?.slaves?.map(\.id) == ["S1"])
    }

    @Test("configuration warnings: no key; Disconnected Limits above the sub-distribution")
    func warnings() throws {
        var lan = LAN()
        lan.add("M", mode: .masterStandalone, store: InMemoryStationStore(), site(sub: 20))
        lan.add("S1", mode: .slaveAutoDiscovery) { p in p.set(StationParameters.disconnectedLimit, .integer(8)) }
        lan.run(3)
        #expect(lan.warnings("M").isEmpty, "2 × 8 A ≤ 20 A")
        lan.add("S2", mode: .slaveAutoDiscovery) { p in p.set(StationParameters.disconnectedLimit, .integer(8)) }
        lan.run(3)
        #expect(lan.warnings("M").contains { $0.contains("32/32/32 A") && $0.contains("20/20/20 A") })
        lan.add("S3", mode: .slaveAutoDiscovery) { p in p.set(StationParameters.dlmNetworkKey, .string("")) }
        lan.run(1)
        #expect(lan.warnings("S3").contains { $0.contains("DLM Network Key is not set") })
        #expect(lan.limit("S3", 1).binding == .dlm, "no link: the Disconnected Limit applies")
    }
}
