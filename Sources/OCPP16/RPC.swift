#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The OCPP-J 1.6 CALLERROR codes, with the 1.6 spellings (OCPP-J §4.2.3; J-errata §5 keeps the typos).
public enum OCPPErrorCode: String, Sendable, Codable, CaseIterable, Error {
    /// The action is not known.
    case notImplemented = "NotImplemented"
    /// The action is known but not supported.
    case notSupported = "NotSupported"
    case internalError = "InternalError"
    /// The payload is incomplete.
    case protocolError = "ProtocolError"
    case securityError = "SecurityError"
    /// Syntactically wrong, or not the PDU structure of the action (unknown properties included).
    case formationViolation = "FormationViolation"
    /// A field holds a value outside what is allowed (enumeration, length, range, date format).
    case propertyConstraintViolation = "PropertyConstraintViolation"
    /// A required field is missing (1.6 spelling with one "r").
    case occurenceConstraintViolation = "OccurenceConstraintViolation"
    /// A field has the wrong data type.
    case typeConstraintViolation = "TypeConstraintViolation"
    case genericError = "GenericError"
}

/// An error to answer with a CALLERROR: code, description and the message it concerns.
public struct OCPPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: OCPPErrorCode
    public var description: String
    /// The id of the CALL to answer with a CALLERROR: set only when the frame is a CALL whose id could be read. A
    /// malformed CALLRESULT or CALLERROR, or an unknown message type, is never answered (OCPP-J 1.6 §4.2.3: a
    /// CALLERROR answers a CALL; §4.1.3: a message of an unknown type is ignored) — answering would start an error
    /// ping-pong between two peers that each find the other's answer malformed.
    public var messageID: String?

    public init(_ code: OCPPErrorCode, _ description: String, messageID: String? = nil) {
        self.code = code; self.description = description; self.messageID = messageID
    }
}

/// One OCPP-J frame.
///
/// - SeeAlso: OCPP-J 1.6 §4: CALL `[2,"<id>","<Action>",{payload}]`, CALLRESULT `[3,"<id>",{payload}]`,
///   CALLERROR `[4,"<id>","<code>","<description>",{details}]`.
public enum OCPPFrame: Sendable, Equatable {
    case call(id: String, action: String, payload: JSONValue)
    case callResult(id: String, payload: JSONValue)
    case callError(id: String, code: String, description: String, details: JSONValue)

    /// The message id.
    public var id: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): id
        }
    }

    /// The longest message id OCPP-J allows.
    public static let maximumIDLength = 36

    /// Parses a text frame. Errors carry the CALLERROR code to answer with and, for a CALL whose id could be read,
    /// the message id; every other unreadable frame has none and is dropped by the caller (see ``OCPPError/messageID``).
    public static func parse(_ text: String) throws(OCPPError) -> OCPPFrame {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch {
            throw OCPPError(.formationViolation, "the frame is not valid JSON: \(error.reason)")
        }
        guard case .array(let items) = value, items.count >= 3 else {
            throw OCPPError(.formationViolation, "the frame is not a JSON array of at least 3 elements")
        }
        guard case .integer(let type) = items[0] else { throw OCPPError(.formationViolation, "the message type is not a number") }
        guard case .string(let id) = items[1], !id.isEmpty, id.utf8.count <= maximumIDLength || id.count <= maximumIDLength else {
            throw OCPPError(.formationViolation, "the message id is not a string of 1 to 36 characters")
        }
        switch type {
        case 2:
            guard items.count == 4, case .string(let action) = items[2] else {
                throw OCPPError(.formationViolation, "a CALL is [2, id, action, payload]", messageID: id)
            }
            guard case .object = items[3] else { throw OCPPError(.formationViolation, "the CALL payload is not an object", messageID: id) }
            return .call(id: id, action: action, payload: items[3])
        case 3:
            guard items.count == 3 else { throw OCPPError(.formationViolation, "a CALLRESULT [3, \(id), payload] has 3 elements") }
            return .callResult(id: id, payload: items[2])
        case 4:
            guard items.count == 5, case .string(let code) = items[2], case .string(let description) = items[3] else {
                throw OCPPError(.formationViolation, "a CALLERROR is [4, \(id), code, description, details]")
            }
            return .callError(id: id, code: code, description: description, details: items[4])
        default:
            throw OCPPError(.formationViolation, "unknown message type \(type) (message \(id))")
        }
    }

    /// The frame as text.
    public func serialized() -> String {
        // Written element by element into one buffer (no intermediate array of values).
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "["))
        switch self {
        case .call(let id, let action, let payload):
            out.append(UInt8(ascii: "2")); out.append(UInt8(ascii: ","))
            JSONValue.writeString(id, into: &out); out.append(UInt8(ascii: ","))
            JSONValue.writeString(action, into: &out); out.append(UInt8(ascii: ","))
            payload.write(into: &out)
        case .callResult(let id, let payload):
            out.append(UInt8(ascii: "3")); out.append(UInt8(ascii: ","))
            JSONValue.writeString(id, into: &out); out.append(UInt8(ascii: ","))
            payload.write(into: &out)
        case .callError(let id, let code, let description, let details):
            out.append(UInt8(ascii: "4")); out.append(UInt8(ascii: ","))
            JSONValue.writeString(id, into: &out); out.append(UInt8(ascii: ","))
            JSONValue.writeString(code, into: &out); out.append(UInt8(ascii: ","))
            JSONValue.writeString(description, into: &out); out.append(UInt8(ascii: ","))
            details.write(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A CALLERROR frame for an error.
    public static func error(_ e: OCPPError, id: String) -> OCPPFrame {
        .callError(id: id, code: e.code.rawValue, description: String(e.description.prefix(255)), details: .object([:]))
    }
}
