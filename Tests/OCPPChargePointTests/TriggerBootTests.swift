import Foundation
import Testing
import ChargePoint
import OCPP16

/// TriggerMessage(BootNotification) (OCPP 1.6 §5.17, errata 3.35; issue 29 item 3): sent at once while the registration
/// is Pending, Rejected after an Accepted boot on the same connection, and accepted again after a reconnect.
@Suite("TriggerMessage(BootNotification), in process")
struct TriggerBootTests {
    @Test("Pending for an hour (a central system answering Pending/3600): a triggered BootNotification goes out at once, after the answer")
    func pendingPeer_3600_triggeredBootIsSentAtOnce() throws {
        var h = try ChargePointHarness()
        h.bootAnswers = [(.pending, 3600), (.accepted, 300)]
        h.connect(run: 1)
        #expect(h.callNames() == [BootNotificationRequest.action])
        let mark = h.mark
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .accepted)
        h.run(0.2)
        guard case .callResult = h.sent[mark] else { Issue.record("the answer is not the first frame"); return }
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 1, "sent at once, not after 3600 s")
        #expect(h.cp.link.registration == .accepted)
        h.run(1)
        for n in 0...2 { #expect(h.statuses(n, since: mark) == ["Available"]) }
    }

    @Test("errata 3.35: Rejected after an Accepted boot on this connection; after a reconnect Accepted and sent, then Rejected again")
    func errata3_35_rejectedUntilReconnect() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .rejected)
        h.event(.disconnected)
        h.run(1)
        h.connect()
        #expect(h.calls(BootNotificationRequest.action).count == 1, "a reconnect does not boot on its own (OCPP-J §5.4)")
        let mark = h.mark
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .accepted)
        h.run(0.5)
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 1)
        #expect(h.cp.link.registration == .accepted)
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .rejected, "accepted on this connection")
        h.run(1)
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 1)
    }

    @Test("errata 3.35: a triggered BootNotification after a reconnect answered Pending puts the station back to Pending until it is accepted")
    func errata3_35_triggeredBootAnsweredPending() throws {
        var h = try ChargePointHarness()
        h.bootAnswers = [(.accepted, 300), (.pending, 2), (.accepted, 300)]
        h.connect()
        h.event(.disconnected)
        h.connect()
        let mark = h.mark
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .accepted)
        h.run(0.5)
        #expect(h.cp.link.registration == .pending)
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .accepted, "Pending: triggered again")
        h.run(0.5)
        #expect(h.cp.link.registration == .accepted)
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 2)
    }
}
