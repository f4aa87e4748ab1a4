import Foundation
import Testing
import EVSECore
import LoadManagement

private let key = "correct horse battery staple"

private func report(_ amps: Double = 0) -> DLMReport {
    DLMReport(disconnectedLimitAmps: 7, connectors: [
        DLMConnectorReport(rotation: .rst, phasesConnected: 3, usedPhases: nil, demanding: true, maximumAmps: 32, minimumAmps: 6,
                           measuredAmps: PhaseValues(all: amps), status: "Charging"),
    ])
}

@Suite("DLM link messages: HMAC, network id, freshness")
struct DLMLinkCodecTests {
    let message = DLMMessage(network: 3, from: "SLAVE1", epoch: "00000000000000aa", seq: 1, to: "MASTER", peerEpoch: "00000000000000bb",
                             report: report(10))

    @Test("a sealed message opens with the same key and network")
    func roundTrip() throws {
        let bytes = DLMLink.seal(message, key: key)
        #expect(try DLMLink.open(bytes, key: key, network: 3) == message)
    }

    @Test("refused: another key, a changed byte, another network, no DLM magic, too large, values out of range")
    func refusals() throws {
        let bytes = DLMLink.seal(message, key: key)
        #expect(throws: DLMLinkRefusal.badSignature) { try DLMLink.open(bytes, key: "another key", network: 3) }
        var tampered = bytes
        tampered[tampered.count - 3] ^= 0x01
        #expect(throws: DLMLinkRefusal.badSignature) { try DLMLink.open(tampered, key: key, network: 3) }
        #expect(throws: DLMLinkRefusal.foreignNetwork(3)) { try DLMLink.open(bytes, key: key, network: 4) }
        #expect(throws: DLMLinkRefusal.notDLM) { try DLMLink.open(Array("hello".utf8), key: key, network: 3) }
        #expect(throws: DLMLinkRefusal.tooLarge(20_000)) { try DLMLink.open([UInt8](repeating: 0, count: 20_000), key: key, network: 3) }
        var negative = message
        negative.report?.connectors[0].maximumAmps = -1
        #expect(throws: DLMLinkRefusal.malformed("report values out of range")) {
            try DLMLink.open(DLMLink.seal(negative, key: key), key: key, network: 3)
        }
    }

    @Test("replay guard: only increasing numbers of the sender's current life; an old life never again")
    func replay() {
        var guardian = DLMReplayGuard()
        let results = [("A", "e1", 5), ("A", "e1", 5), ("A", "e1", 4), ("A", "e1", 6), ("A", "e2", 1), ("A", "e1", 7), ("B", "e1", 1)]
            .map { guardian.accept(from: $0.0, epoch: $0.1, seq: UInt64($0.2)) }
        // fresh; the same number again; an older one; the next; a restart (new life); the previous life (retired); per sender
        #expect(results == [true, false, false, true, true, false, true])
    }

    @Test("endpoint parsing: host, host:port, bad ports")
    func endpoint() {
        #expect(DLMEndpoint(parsing: "172.16.23.1", defaultPort: 7520) == DLMEndpoint(host: "172.16.23.1", port: 7520))
        #expect(DLMEndpoint(parsing: "master.local:9000", defaultPort: 7520) == DLMEndpoint(host: "master.local", port: 9000))
        #expect(DLMEndpoint(parsing: "", defaultPort: 7520) == nil)
        #expect(DLMEndpoint(parsing: "h:0", defaultPort: 7520) == nil)
        #expect(DLMEndpoint(parsing: "h:x", defaultPort: 7520) == nil)
    }
}

@Suite("DLM allocation with a silent slave (seeds/004 §7.7)")
struct DLMReservedTests {
    @Test("a reserved charge point keeps its current on its phases; the others share the rest")
    func reserved() {
        let site = DLMSite(subDistributionLimitAmps: PhaseValues(all: 32))
        var silent = DLMChargePoint(id: "a/1", demanding: true, maximumAmps: 32)
        silent.reservedAmps = 12
        let other = DLMChargePoint(id: "b/1", demanding: true, maximumAmps: 32)
        let result = DLM.allocate(site: site, chargePoints: [silent, other], now: Date(timeIntervalSince1970: 0))
        #expect(result.grants.map(\.amps) == [12, 20])
        #expect(result.grants[0].reason == .reserved)
        #expect(result.appliedAmps == PhaseValues(all: 32))
    }
}
