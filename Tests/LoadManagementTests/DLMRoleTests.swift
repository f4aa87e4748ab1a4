import Foundation
import Testing
import EVSECore
import LoadManagement

/// The DLM roles as machines: events in (a control step, a verified message, a removal), actions out. The link's codec,
/// the allocation and the whole LAN of stations have their own suites; these pin what each role asks of its station.
@Suite("DLM master and slave machines return their actions")
struct DLMRoleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func settings(_ mode: DLMMode, siteAmps: Double = 32, key: String = "k") -> DLMSettings {
        DLMSettings(mode: mode, sampleSeconds: 1, subDistributionLimitAmps: PhaseValues(all: siteAmps),
                    operatorSubDistributionLimitAmps: PhaseValues(all: siteAmps), sheddingOffsetAmps: nil, sheddingActiveHigh: true,
                    mainDistributionLimitAmps: PhaseValues(all: 63), headroomAmps: .zero, fallbackAmps: .zero, meterLocation: .excluding,
                    imbalanceLimitAmps: nil, itNetwork: false, rotationIntervalSeconds: 0, networkId: 0, networkKey: key,
                    discoveryBroadcastingDisabled: false, masterAddress: "10.0.0.1", disconnectedLimitAmps: 6, linkPort: 7520,
                    discoveryPort: 7521, broadcastAddress: "255.255.255.255")
    }

    static func inputs(_ d: DLMSettings, demanding: [Bool]) -> DLMStationInputs {
        DLMStationInputs(settings: d, ownID: "M", connectors: demanding.enumerated().map { i, on in
            DLMChargePoint(id: "local/\(i + 1)", demanding: on, maximumAmps: 32, minimumAmps: 6, measuredAmps: .zero)
        }, site: d.site(meterConfigured: false, meterReading: nil, shedding: false))
    }

    static func report(demanding: Bool = true) -> DLMReport {
        DLMReport(disconnectedLimitAmps: 6, connectors: [
            DLMConnectorReport(rotation: .rst, phasesConnected: 3, usedPhases: nil, demanding: demanding, maximumAmps: 32, minimumAmps: 6,
                               measuredAmps: .zero, status: "Charging"),
        ])
    }

    static func limits(_ actions: [DLMAction]) -> [Int: Double] {
        Dictionary(actions.compactMap { if case .limit(let n, let amps, _, _) = $0 { (n, amps) } else { nil } }, uniquingKeysWith: { _, b in b })
    }

    @Test("master with internal slave: its own connectors share the site; a standalone master drives none (0 A)")
    func masterLocalLimits() {
        var master = DLMMaster(known: [], epoch: "00000000000000aa")
        let shared = master.step(Self.inputs(Self.settings(.master), demanding: [true, true]), now: Self.t0)
        #expect(Self.limits(shared) == [1: 16, 2: 16])
        var standalone = DLMMaster(known: [], epoch: "00000000000000ab")
        let none = standalone.step(Self.inputs(Self.settings(.masterStandalone), demanding: [true, true]), now: Self.t0)
        #expect(Self.limits(none) == [1: 0, 2: 0])
        #expect(none.contains { if case .send(let m, .broadcast) = $0 { m.announce?.standalone == true } else { false } },
                "a master announces itself for discovery")
    }

    @Test("issue30_1: the master's cycle time is the time between its last two allocations")
    func cycleTime() {
        var master = DLMMaster(known: [], epoch: "00000000000000ac")
        var d = Self.settings(.master)
        d.sampleSeconds = 5
        _ = master.step(Self.inputs(d, demanding: [true, true]), now: Self.t0)
        #expect(master.cycleSeconds == nil, "one allocation has no cycle yet")
        _ = master.step(Self.inputs(d, demanding: [true, true]), now: Self.t0.addingTimeInterval(2))
        #expect(master.cycleSeconds == nil, "nothing changed and the sample period has not passed: no allocation")
        _ = master.step(Self.inputs(d, demanding: [true, true]), now: Self.t0.addingTimeInterval(5))
        #expect(master.cycleSeconds == 5)
        _ = master.step(Self.inputs(d, demanding: [true, false]), now: Self.t0.addingTimeInterval(6.5))
        #expect(master.cycleSeconds == 1.5, "a changed input reallocates at once")
    }

    @Test("a slave's report joins the cycle at once: logged, stored, answered with its grant")
    func masterReport() throws {
        let d = Self.settings(.master)
        var master = DLMMaster(known: [], epoch: "00000000000000aa")
        _ = master.step(Self.inputs(d, demanding: [true]), now: Self.t0)
        let slave = DLMEndpoint(host: "10.0.0.2", port: 40000)
        let report = DLMMessage(network: 0, from: "S", epoch: "00000000000000bb", seq: 1, to: "M", peerEpoch: "00000000000000aa",
                                report: Self.report())
        let out = try master.receive(report, from: slave, Self.inputs(d, demanding: [true]), now: Self.t0.addingTimeInterval(0.1))
        #expect(out.first == .linkChanged("DLM: slave S connected from \(slave)"))
        #expect(out.contains { if case .saveSlaves(let r) = $0 { r.map(\.id) == ["S"] } else { false } })
        let grants = out.compactMap { if case .send(let m, .endpoint(slave)) = $0 { m.grants } else { nil } }
        #expect(grants.map(\.amps) == [[16]], "the slave's connector gets half of the 32 A site")
        #expect(Self.limits(out) == [1: 16])
        #expect(master.disconnectedSumAmps() == PhaseValues(all: 6))
    }

    @Test("removing slaves: an unknown id is refused; removing all deletes them from the slave DB and reallocates")
    func masterRemove() throws {
        let d = Self.settings(.master)
        var master = DLMMaster(known: [], epoch: "00000000000000aa")
        #expect(throws: DLMSlaveRemovalError.unknown("X")) { try master.remove("X", Self.inputs(d, demanding: [true]), now: Self.t0) }
        let report = DLMMessage(network: 0, from: "S", epoch: "00000000000000bb", seq: 1, to: "M", peerEpoch: "00000000000000aa",
                                report: Self.report())
        _ = try master.receive(report, from: DLMEndpoint(host: "10.0.0.2", port: 40000), Self.inputs(d, demanding: [true]), now: Self.t0)
        let (removed, out) = try master.remove(nil, Self.inputs(d, demanding: [true]), now: Self.t0.addingTimeInterval(0.1))
        #expect(removed == ["S"])
        #expect(out.prefix(2) == [.deleteSlaves(["S"]), .linkChanged("DLM: persistent slave DB cleared (1 slave(s))")])
        #expect(Self.limits(out) == [1: 32], "the whole site is the master's connector's again")
    }

    @Test("the slaves' Disconnected Limits above the site are warned once, not every cycle (seeds/004 §7.7)")
    func masterWarnsOnce() throws {
        let d = Self.settings(.masterStandalone, siteAmps: 10)
        var master = DLMMaster(known: [], epoch: "00000000000000aa")
        var warnings: [String] = []
        for (i, id) in ["S1", "S2"].enumerated() {
            let m = DLMMessage(network: 0, from: id, epoch: "00000000000000b\(i)", seq: 1, to: "M", peerEpoch: "00000000000000aa",
                               report: Self.report())
            let out = try master.receive(m, from: DLMEndpoint(host: "10.0.0.\(i + 2)", port: 40000), Self.inputs(d, demanding: []), now: Self.t0)
            warnings += out.compactMap { if case .warning(let w) = $0 { w } else { nil } }
        }
        for k in 1...5 {
            let out = master.step(Self.inputs(d, demanding: []), now: Self.t0.addingTimeInterval(Double(k)))
            warnings += out.compactMap { if case .warning(let w) = $0 { w } else { nil } }
        }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("12/12/12 A per phase, above the sub-distribution limit of 10/10/10 A") == true)
    }

    @Test("slave: the Disconnected Limit until a master grants, the grants while they hold, the fallback after three sample periods")
    func slaveGrantsAndFallback() throws {
        let d = Self.settings(.slaveAutoDiscovery)
        var slave = DLMSlave(epoch: "00000000000000bb")
        let inputs = DLMSlave.Inputs(settings: d, ownID: "S", report: Self.report())
        let before = slave.step(inputs, now: Self.t0)
        #expect(Self.limits(before) == [1: 6])
        #expect(!before.contains { if case .send = $0 { true } else { false } }, "no report before a master is known")

        let master = DLMEndpoint(host: "10.0.0.1", port: 7520)
        let announce = DLMMessage(network: 0, from: "M", epoch: "00000000000000aa", seq: 1, announce: DLMAnnounce(sampleSeconds: 1, standalone: false))
        #expect(try slave.receive(announce, from: master, inputs, now: Self.t0) == [.linkChanged("DLM: following master M at \(master)")])
        let reported = slave.step(inputs, now: Self.t0.addingTimeInterval(0.1))
        #expect(reported.contains { if case .send(let m, .endpoint(master)) = $0 { m.report == Self.report() } else { false } })

        let grants = DLMMessage(network: 0, from: "M", epoch: "00000000000000aa", seq: 2, to: "S", peerEpoch: "00000000000000bb",
                                grants: DLMGrants(amps: [20], validSeconds: 3))
        let granted = try slave.receive(grants, from: master, inputs, now: Self.t0.addingTimeInterval(0.2))
        #expect(granted.first == .linkChanged("DLM: master M at \(master) controls this station"))
        #expect(granted.contains(.limit(connector: 1, amps: 20, validUntil: Self.t0.addingTimeInterval(3.2), fallbackAmps: 6)))

        let expired = slave.step(inputs, now: Self.t0.addingTimeInterval(3.2))
        #expect(expired.first == .linkChanged("DLM: no message from master M for three sample periods; Disconnected Limit 6 A applies"))
        #expect(Self.limits(expired) == [1: 6])
    }

    @Test("slave: a second master is reported as a warning, and the slave stays with its own")
    func slaveRival() throws {
        var slave = DLMSlave(epoch: "00000000000000bb")
        let inputs = DLMSlave.Inputs(settings: Self.settings(.slaveAutoDiscovery), ownID: "S", report: Self.report())
        let m1 = DLMEndpoint(host: "10.0.0.1", port: 7520)
        _ = try slave.receive(DLMMessage(network: 0, from: "M", epoch: "00000000000000aa", seq: 1,
                                         announce: DLMAnnounce(sampleSeconds: 1, standalone: false)), from: m1, inputs, now: Self.t0)
        _ = try slave.receive(DLMMessage(network: 0, from: "M", epoch: "00000000000000aa", seq: 2, to: "S", peerEpoch: "00000000000000bb",
                                         grants: DLMGrants(amps: [20], validSeconds: 3)), from: m1, inputs, now: Self.t0)
        let rival = try slave.receive(DLMMessage(network: 0, from: "R", epoch: "00000000000000cc", seq: 1,
                                                 announce: DLMAnnounce(sampleSeconds: 1, standalone: false)),
                                      from: DLMEndpoint(host: "10.0.0.9", port: 7520), inputs, now: Self.t0.addingTimeInterval(0.5))
        #expect(rival.count == 1)
        #expect(rival.first.map { if case .warning(let w) = $0 { w.contains("another DLM master R") && w.contains("stays with M") } else { false } } == true)
        #expect(slave.link.master?.id == "M")
    }
}
