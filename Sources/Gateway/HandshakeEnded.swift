#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A register handshake of seeds/003 Appendix 1 that ended, and how long it took on the clock the central system is
/// given (`now` of its events): what the gateway's Prometheus metrics observe as the BMS handshake latency and count as
/// its timeouts (issue 30 item 1). The central system only measures; the adapter records.
///
/// - **Messages from CS** (seeds/003 §2.3.2, Cancel Reservation … Remote Stop, Unlock Connector, Availability): from
///   the BMS's write of the Flag (or of the Unlock/Availability register) to the charger's answer — the moment the
///   gateway writes the result and lowers the Flag. Send Local List ends with the answer to its second CALL.
/// - **Messages to CS** (seeds/003 §2.3.1.2–§2.3.1.4, Authorize, StartTransaction, StopTransaction): from the charger's
///   request (the gateway raises the Flag at once, or once the requests before it are answered) to the BMS's
///   Processed = 1 — the moment the gateway answers the charger.
///
/// A handshake dropped because its charger disconnected ends with neither: it is no latency of the BMS's loop.
public struct HandshakeEnded: Sendable, Equatable {
    public enum Block: String, Sendable, CaseIterable {
        /// The BMS operates a charger; the charger answers.
        case messagesFromCS = "messages_from_cs"
        /// A charger's request waits for the BMS's decision.
        case messagesToCS = "messages_to_cs"
    }

    public enum End: String, Sendable {
        /// Messages from CS: the charger answered with a CALLRESULT. Messages to CS: the BMS wrote Processed = 1.
        case answered
        /// Messages from CS: the charger answered with a CALLERROR or an invalid CALLRESULT (result 65535).
        case failed
        /// Messages from CS: no answer within ``GatewaySettings/chargerTimeoutSeconds`` (result 65535). Messages to CS:
        /// the BMS did not process the request within ``GatewaySettings/bmsTimeoutSeconds`` (the gateway answered
        /// Invalid by itself).
        case timedOut = "timed_out"
    }

    public var charger: String
    public var block: Block
    /// The OCPP action of the handshake (`RemoteStartTransaction`, `Authorize`, …).
    public var action: String
    /// From the start of the handshake to its end, in seconds.
    public var seconds: Double
    public var end: End

    public init(charger: String, block: Block, action: String, seconds: Double, end: End) {
        self.charger = charger; self.block = block; self.action = action; self.seconds = seconds; self.end = end
    }
}
