import Synchronization

/// What the OCPP server's connections tell the central system, in the order they happened on each connection.
enum OCPPServerEvent: Sendable {
    case connected(OCPPServerConnection)
    case received(OCPPServerConnection, String)
    case disconnected(OCPPServerConnection, String)
}

/// Carries every connection's events from the event loops to the central system in one task of the server
/// (``deliver(to:)``), instead of one task per connection (issue 31 item 5: a task per idle charger kept about 10 kB).
/// It also knows the open connections, so that a stopping server can close them (RFC 6455 §7.1: with a Close frame).
///
/// Order: a connection's events are posted from its event loop in the order they happen (connected first,
/// disconnected last) and delivered in the order they were posted. Bounds: a connection stops reading while
/// ``OCPPServerConnection/maxUndelivered`` of its messages wait here, so the inbox holds at most that many per
/// connection (and a read's worth more), and one flooding charger delays the others by at most that many messages.
final class OCPPServerInbox: Sendable {
    private struct State {
        var events: [OCPPServerEvent] = []
        /// The delivering task, while it waits for events.
        var waiter: UnsafeContinuation<Void, Never>?
        var open: [UInt64: OCPPServerConnection] = [:]
        var listening = true
        /// The server stopped listening and its last connection is gone: the delivery ends once the events are out.
        var finished: Bool { !listening && open.isEmpty }
    }
    private let state = Mutex(State())

    /// A connection finished its upgrade: false when the server stopped meanwhile (the caller closes it unannounced).
    func open(_ connection: OCPPServerConnection) -> Bool {
        let waiter: UnsafeContinuation<Void, Never>?? = state.withLock { s in
            guard s.listening else { return .none }
            s.open[connection.number] = connection
            s.events.append(.connected(connection))
            defer { s.waiter = nil }
            return .some(s.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume()
        return true
    }

    /// Queues an event; a disconnection also forgets the connection.
    func post(_ event: OCPPServerEvent) {
        let waiter = state.withLock { s in
            if case .disconnected(let connection, _) = event { s.open[connection.number] = nil }
            s.events.append(event)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// The server stopped listening: no connection opens any more. `closing` is called for each open one (a Close
    /// frame on a graceful stop, an abrupt close on cancellation); delivery ends when the last one is gone.
    func stopListening(closing close: (OCPPServerConnection) -> Void) {
        let (open, waiter) = state.withLock { s in
            s.listening = false
            defer { s.waiter = nil }
            return (Array(s.open.values), s.waiter)
        }
        open.forEach(close)
        waiter?.resume()
    }

    /// Hands the events to `delegate` one at a time (a connection's next message waits for the previous one, as its
    /// frames arrived), until the server stopped and its last connection's disconnection was delivered.
    func deliver(to delegate: any OCPPServerDelegate) async {
        var batch: [OCPPServerEvent] = []
        while await next(&batch) {
            for event in batch {
                switch event {
                case .connected(let c):
                    await delegate.ocppConnected(chargerID: c.chargerID, connection: c.number, outbound: c.outbound)
                case .received(let c, let text):
                    await delegate.ocppReceived(chargerID: c.chargerID, connection: c.number, text: text)
                    c.messageDelivered()
                case .disconnected(let c, let reason):
                    await delegate.ocppDisconnected(chargerID: c.chargerID, connection: c.number, reason: reason)
                }
            }
        }
    }

    /// Swaps the queued events into `batch` (its storage goes back to the queue, so that neither side allocates once
    /// both have grown); false when the delivery is over.
    private func next(_ batch: inout [OCPPServerEvent]) async -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let ready: Bool? = state.withLock { s in
                if !s.events.isEmpty { swap(&s.events, &batch); return true }
                return s.finished ? false : nil
            }
            if let ready { return ready }
            // Unsafe rather than checked: resumed exactly once, by whoever takes it out of the state under the lock
            // (or here when events came between the check and the wait); a checked one costs an allocation per wait.
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    guard s.events.isEmpty, !s.finished else { return true }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
