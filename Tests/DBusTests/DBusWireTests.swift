import Testing
@testable import DBus

/// Bytes from a readable hex dump: pairs of hex digits, and "quoted" ASCII text; spaces and newlines ignored.
func hex(_ dump: String) -> [UInt8] {
    var out: [UInt8] = []
    var rest = Substring(dump)
    while let c = rest.first {
        if c == " " || c == "\n" { rest = rest.dropFirst(); continue }
        if c == "\"" {
            let end = rest.dropFirst().firstIndex(of: "\"")!
            out += Array(rest[rest.index(after: rest.startIndex)..<end].utf8)
            rest = rest[rest.index(after: end)...]
            continue
        }
        out.append(UInt8(rest.prefix(2), radix: 16)!)
        rest = rest.dropFirst(2)
    }
    return out
}

let helloCall = DBusMethodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello")

/// The Hello call written out by hand from the D-Bus Specification 0.41, "Message Format": fixed header, the header
/// fields as a(yv) (each structure at a multiple of 8), the header padded to 8; no body.
let helloBytes = hex("""
    6c 01 00 01  00 00 00 00  01 00 00 00  6d 00 00 00
    01 01 6f 00  15 00 00 00  "/org/freedesktop/DBus" 00  00 00
    02 01 73 00  14 00 00 00  "org.freedesktop.DBus" 00  00 00 00
    03 01 73 00  05 00 00 00  "Hello" 00  00 00
    06 01 73 00  14 00 00 00  "org.freedesktop.DBus" 00  00 00 00
    """)

@Suite("D-Bus wire format: golden bytes from the specification")
struct DBusGoldenTests {
    @Test("the Hello call (D-Bus Specification 0.41, Message Format) is 128 bytes as written by hand")
    func dbusSpec_messageFormat_helloCall() throws {
        #expect(helloBytes.count == 128)
        #expect(try DBusMessage.methodCall(helloCall, serial: 1).encoded() == helloBytes)
        let back = try DBusMessage.decode(helloBytes)
        #expect(back.type == .methodCall && back.serial == 1 && back.member == "Hello" && back.destination == "org.freedesktop.DBus")
        #expect(back.body.isEmpty)
    }

    @Test("timedated SetTimezone(sb): string, padding to 4, boolean; the SIGNATURE field names the body")
    func dbusSpec_marshaling_setTimezoneCall() throws {
        let call = DBusMethodCall(destination: "org.freedesktop.timedate1", path: "/org/freedesktop/timedate1", interface: "org.freedesktop.timedate1",
                                  member: "SetTimezone", arguments: [.string("Europe/Berlin"), .boolean(false)])
        let bytes = try DBusMessage.methodCall(call, serial: 5).encoded()
        let expectedBody = hex("""
            0d 00 00 00 "Europe/Berlin" 00  00 00  00 00 00 00
            """)
        #expect(Array(bytes.suffix(24)) == expectedBody)
        #expect(Array(bytes[4..<8]) == hex("18 00 00 00"))
        // The last header field: SIGNATURE "sb" as (y v) with v = g.
        let header = Array(bytes.dropLast(24))
        #expect(header.count % 8 == 0)
        #expect(String(decoding: header, as: UTF8.self).contains("\u{08}\u{01}g\u{00}\u{02}sb\u{00}"))
        #expect(try DBusMessage.decode(bytes).body == call.arguments)
    }

    @Test("a big-endian METHOD_RETURN written by hand reads (D-Bus Specification 0.41, Marshaling: both byte orders)")
    func dbusSpec_marshaling_bigEndianReturn() throws {
        let bytes = hex("""
            42 02 01 01  00 00 00 0a  00 00 00 07  00 00 00 0f
            05 01 75 00  00 00 00 01
            08 01 67 00  01 "s" 00  00
            00 00 00 05  ":1.42" 00
            """)
        let m = try DBusMessage.decode(bytes)
        #expect(m.type == .methodReturn && m.serial == 7 && m.replySerial == 1 && m.flags == .noReplyExpected)
        #expect(m.body == [.string(":1.42")])
    }

    @Test("every value case round-trips with its alignment (D-Bus Specification 0.41, Marshaling (Wire Format))")
    func dbusSpec_marshaling_everyCaseRoundTrips() throws {
        let values: [DBusValue] = [
            .byte(0xAB), .boolean(true), .int16(-2), .uint16(65535), .int32(-70000), .uint32(4_000_000_000), .int64(-1 << 40), .uint64(1 << 63),
            .double(-1.5), .string("Grüße"), .objectPath("/org/freedesktop/timedate1"), .signature("a{sv}"),
            .array(elementSignature: "y", []), .array(elementSignature: "x", [.int64(1), .int64(2)]),
            .stringVariantDictionary(["a": .uint32(1), "b": .variant(.string("x")), "c": .structure([.byte(1), .double(2)])]),
            .structure([.byte(1), .int64(2), .strings(["p", "q"])]), .variant(.array(elementSignature: "(yv)", [.structure([.byte(1), .variant(.boolean(false))])])),
        ]
        for v in values {
            // A leading byte puts every value at an odd offset, so that each alignment rule is exercised.
            let message = DBusMessage(type: .signal, serial: 9, path: "/p", interface: "a.b", member: "C", body: [.byte(1), v])
            let back = try DBusMessage.decode(try message.encoded())
            #expect(back.body == [.byte(1), v], "\(v.signature)")
        }
        var w = DBusWriter()
        try w.write(.byte(1)); try w.write(.double(1))
        #expect(w.bytes == hex("01 00 00 00 00 00 00 00  00 00 00 00 00 00 f0 3f"))
        var w2 = DBusWriter()
        try w2.write(.byte(1)); try w2.write(.array(elementSignature: "t", []))
        // The array's length (0) at 4, then padding to its element's alignment (8) although it is empty.
        #expect(w2.bytes == hex("01 00 00 00  00 00 00 00"))
    }

    @Test("an ERROR reply reads as a DBusError with its name and message")
    func dbusSpec_messageFormat_errorReply() throws {
        let error = DBusMessage(type: .error, serial: 3, errorName: "org.freedesktop.DBus.Error.UnknownMethod", replySerial: 2,
                                destination: ":1.7", body: [.string("No such method")])
        let back = try DBusMessage.decode(try error.encoded())
        #expect(back.error == DBusError(name: "org.freedesktop.DBus.Error.UnknownMethod", message: "No such method"))
        #expect(back.replySerial == 2)
    }
}

@Suite("D-Bus signatures: validity and limits (D-Bus Specification 0.41, Valid Signatures)")
struct DBusSignatureTests {
    @Test("valid signatures parse into complete types")
    func parses() throws {
        #expect(try DBusSignature.parse("sa{sv}(uay)v") == [.string, .array(.dictEntry(.string, .variant)), .structure([.uint32, .array(.byte)]), .variant])
        #expect(try DBusSignature.parse("") == [])
    }

    @Test("invalid signatures are refused with a reason", arguments: ["a", "(", "()", "{sv}", "a{vs}", "a{sss}", "(i", "i)", "z", "a{s}"])
    func refuses(_ s: String) {
        #expect(throws: DBusWireError.self) { try DBusSignature.parse(s) }
    }

    @Test("at most 32 nested arrays and 32 nested structures, at most 255 bytes")
    func dbusSpec_validSignatures_depthAndLength() throws {
        #expect(throws: Never.self) { try DBusSignature.parse(String(repeating: "a", count: 32) + "y") }
        #expect(throws: DBusWireError.self) { try DBusSignature.parse(String(repeating: "a", count: 33) + "y") }
        #expect(throws: Never.self) { try DBusSignature.parse(String(repeating: "(", count: 32) + "y" + String(repeating: ")", count: 32)) }
        #expect(throws: DBusWireError.self) { try DBusSignature.parse(String(repeating: "(", count: 33) + "y" + String(repeating: ")", count: 33)) }
        #expect(throws: Never.self) { try DBusSignature.parse(String(repeating: "y", count: 255)) }
        #expect(throws: DBusWireError.self) { try DBusSignature.parse(String(repeating: "y", count: 256)) }
    }
}
