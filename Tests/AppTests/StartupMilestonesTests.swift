import Testing
@testable import App

/// The start's announcements (station.json; the passwords, the banner and READY) happen exactly once, whichever of the
/// two listeners and the first start's accounts finishes first.
@Suite("Start-up milestones")
struct StartupMilestonesTests {
    enum Step: CaseIterable { case http, https, accounts }

    static func permutations(_ steps: [Step]) -> [[Step]] {
        steps.count <= 1 ? [steps] : steps.indices.flatMap { i in
            permutations(Array(steps[..<i] + steps[(i + 1)...])).map { [steps[i]] + $0 }
        }
    }

    @Test("station.json once both listeners are bound, the announcement once the accounts are stored too, each exactly once, in every order")
    func everyOrder() {
        for order in Self.permutations(Step.allCases) {
            let ports = WebPorts()
            var listening: [(Int, Int)] = [], ready: [(Int, Int, [String])] = []
            for step in order {
                let m = switch step {
                case .http: ports.bound(http: 8080)
                case .https: ports.bound(https: 8443)
                case .accounts: ports.accountsStored([(name: "operator", password: "p")])
                }
                if let l = m.listening { listening.append(l) }
                if let r = m.ready { ready.append((r.http, r.https, r.created.map(\.name))) }
                if step == order.last { continue }
                #expect(ready.isEmpty, "nothing is announced before all three are known: \(order)")
            }
            #expect(listening.count == 1 && listening.first.map { $0 == (8080, 8443) } == true, "\(order)")
            #expect(ready.count == 1 && ready.first.map { $0.0 == 8080 && $0.1 == 8443 && $0.2 == ["operator"] } == true, "\(order)")
        }
    }

    @Test("a listener bound again (a restart of one server) announces nothing twice")
    func noRepeat() {
        let ports = WebPorts()
        ports.bound(http: 1)
        ports.bound(https: 2)
        #expect(ports.accountsStored([]).ready != nil)
        let again = ports.bound(http: 1)
        #expect(again.listening == nil && again.ready == nil)
    }
}
