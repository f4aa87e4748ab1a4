#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore

/// What each connector's LEDs show (issue 22 item 5): one pure decision from the station's state, sent to the board as
/// ``HardwareCommand/showLEDs(connector:_:)`` whenever it changes, and shown in the status snapshot for every board.
extension StationController {
    /// How long the refused card's five blinks last (5 × green-yellow-blue of 200 ms each, seeds/004 §6).
    static let rejectedIndicationSeconds = 3.0
    /// How long the ring turns after a card was read.
    static let cardReadIndicationSeconds = 2.0

    /// The indication of connector `n` at `now`, in the order of precedence: an update being installed, a fault (an error
    /// that stops the connector, or "Backend disconnected" when it is to be displayed), a refused card, a card being
    /// checked with the backend, then the connector's status.
    ///
    /// - SeeAlso: seeds/004 §6 (the reader's eight states), seeds/002 §3 (the blink count of each error), seeds/004 §4
    ///   "Display backend disconnect as error".
    func ledIndication(_ n: Int, now: Date) -> LEDIndication {
        let c = connectors[n - 1]
        let cardRead = cardReadAt.map { now.timeIntervalSince($0) < Self.cardReadIndicationSeconds } ?? false
        func show(_ state: LEDState, blinks: Int? = nil) -> LEDIndication { LEDIndication(state, errorBlinks: blinks, cardRead: cardRead) }
        if firmwareHold { return show(.updating) }
        let stopping = errors.errors.filter { ($0.connector == n || $0.connector == 0) && ($0.definition?.stopsCharging ?? true) }
        if c.machine.isFaulted || !stopping.isEmpty || errors.isActive("backendDisconnected", connector: 0) {
            return show(.fault, blinks: stopping.lazy.compactMap { $0.definition?.ledBlinks }.first)
        }
        if let at = rejectedAt[n] ?? rejectedAt[0], now.timeIntervalSince(at) < Self.rejectedIndicationSeconds { return show(.rejected) }
        if authorizationFlow.pending.contains(where: { $0.connector == n || $0.connector == 0 }) { return show(.authorizing) }
        switch c.machine.status {
        case .available: return show(.ready)
        case .reserved, .finishing: return show(.reserved)
        case .charging: return show(.charging)
        case .suspendedEV, .suspendedEVSE: return show(.authorized)
        case .preparing:
            return c.session.activeSession != nil || c.machine.authorizedWithoutTransaction ? show(.authorized) : show(.ready)
        case .unavailable: return show(.off)
        case .faulted: return show(.fault)
        }
    }

    /// Sends every connector's indication that changed since the last step.
    mutating func updateLEDs(now: Date) {
        for n in 1...connectors.count {
            let indication = ledIndication(n, now: now)
            guard indication != connectors[n - 1].leds else { continue }
            connectors[n - 1].leds = indication
            effects.append(.hardware(.showLEDs(connector: n, indication)))
        }
    }
}
