import Testing
@testable import DBus

/// A one-argument SIGNAL with `signature` and the body bytes given as they are (not checked by the writer), so that
/// tests can put wrong bytes where a value belongs.
func signal(signature: String, rawBody: [UInt8]) throws -> [UInt8] {
    var w = DBusWriter()
    try w.write(.byte(UInt8(ascii: "l"))); try w.write(.byte(4)); try w.write(.byte(0)); try w.write(.byte(1))
    try w.write(.uint32(UInt32(rawBody.count))); try w.write(.uint32(1))
    try w.write(.array(elementSignature: "(yv)", [
        .structure([.byte(1), .variant(.objectPath("/p"))]), .structure([.byte(2), .variant(.string("a.b"))]),
        .structure([.byte(3), .variant(.string("C"))]), .structure([.byte(8), .variant(.signature(signature))]),
    ]))
    w.pad(to: 8)
    return w.bytes + rawBody
}

@Suite("D-Bus wire format: malformed and oversized input throws, never traps")
struct DBusMalformedTests {
    @Test("a truncated message: the framer waits, decode throws truncated")
    func dbusSpec_truncated() throws {
        var framer = DBusFramer()
        framer.append(helloBytes.prefix(100))
        #expect(try framer.next() == nil)
        framer.append(helloBytes.dropFirst(100))
        #expect(try framer.next()?.member == "Hello")
        #expect(try framer.next() == nil)
        for cut in [0, 5, 15, 16, 40, 127] {
            #expect(throws: DBusWireError.self) { try DBusMessage.decode(Array(helloBytes.prefix(cut))) }
        }
    }

    @Test("non-zero alignment padding is refused (D-Bus Specification 0.41, Marshaling: padding must be zero)")
    func dbusSpec_marshaling_nonZeroPadding() {
        var bytes = helloBytes
        bytes[46] = 1  // the padding after PATH's value
        #expect(throws: DBusWireError.malformed("non-zero alignment padding at offset 46")) { try DBusMessage.decode(bytes) }
        var tail = helloBytes
        tail[127] = 0x20  // the header's padding to 8
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(tail) }
    }

    @Test("a boolean other than 0 or 1 is refused (D-Bus Specification 0.41, Marshaling: BOOLEAN)")
    func dbusSpec_marshaling_badBoolean() throws {
        #expect(try DBusMessage.decode(try signal(signature: "b", rawBody: hex("01 00 00 00"))).body == [.boolean(true)])
        #expect(throws: DBusWireError.malformed("a boolean is 2, not 0 or 1")) { try DBusMessage.decode(try signal(signature: "b", rawBody: hex("02 00 00 00"))) }
    }

    @Test("lengths beyond the buffer: a string, an array, a signature")
    func lengthsBeyondBuffer() throws {
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "s", rawBody: hex("f0 ff ff ff 41 00 00 00"))) }
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "ay", rawBody: hex("00 00 00 01 41 00 00 00"))) }
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "g", rawBody: hex("ff 73 00"))) }
        // An array whose last element runs past its announced length.
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "au", rawBody: hex("02 00 00 00 01 00 00 00"))) }
        // Strings: not NUL-terminated, NUL inside, invalid UTF-8.
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "s", rawBody: hex("01 00 00 00 41 42"))) }
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "s", rawBody: hex("02 00 00 00 41 00 00"))) }
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "s", rawBody: hex("02 00 00 00 c3 28 00"))) }
        // Body bytes beyond what the signature reads.
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "y", rawBody: hex("01 02"))) }
    }

    @Test("depth bombs: nested variants beyond 64, signatures beyond 32 arrays")
    func dbusSpec_validSignatures_depthBombs() throws {
        var body: [UInt8] = []
        for _ in 0..<70 { body += hex("01 \"v\" 00") }
        body += hex("01 \"y\" 00 07")
        #expect(throws: DBusWireError.malformed("containers nested deeper than 64")) { try DBusMessage.decode(try signal(signature: "v", rawBody: body)) }
        // A variant whose signature has 33 arrays.
        let deep = String(repeating: "a", count: 33) + "y"
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try signal(signature: "v", rawBody: [UInt8(deep.utf8.count)] + Array(deep.utf8) + [0])) }
        var w = DBusWriter()
        #expect(throws: DBusWireError.self) { try w.write(.array(elementSignature: String(repeating: "a", count: 32) + "y", [])) }
    }

    @Test("a message announcing more than 1 MiB is refused from its first 16 bytes; a wrong endianness or version too")
    func oversizedAndForeign() {
        var framer = DBusFramer()
        framer.append(hex("6c 02 00 01  00 00 20 00  01 00 00 00  00 00 00 00"))  // body length 2 MiB
        #expect(throws: DBusWireError.self) { try framer.next() }
        var foreign = helloBytes
        foreign[0] = UInt8(ascii: "X")
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(foreign) }
        var version = helloBytes
        version[3] = 2
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(version) }
        let big = DBusMessage(type: .signal, serial: 1, path: "/p", interface: "a.b", member: "C",
                              body: [.array(elementSignature: "y", Array(repeating: .byte(0), count: DBusMessage.maxMessageBytes))])
        #expect(throws: DBusWireError.self) { try big.encoded() }
    }

    @Test("header fields: a required one missing, a wrong type, an unknown one ignored")
    func headerFields() throws {
        var missing = DBusMessage(type: .methodReturn, serial: 2, replySerial: 1)
        #expect(try DBusMessage.decode(try missing.encoded()).replySerial == 1)
        missing.replySerial = nil
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(try missing.encoded()) }
        // REPLY_SERIAL (5) given as a string.
        var w = DBusWriter()
        try w.write(.byte(UInt8(ascii: "l"))); try w.write(.byte(2)); try w.write(.byte(0)); try w.write(.byte(1))
        try w.write(.uint32(0)); try w.write(.uint32(1))
        try w.write(.array(elementSignature: "(yv)", [.structure([.byte(5), .variant(.string("1"))])]))
        w.pad(to: 8)
        #expect(throws: DBusWireError.self) { try DBusMessage.decode(w.bytes) }
        var u = DBusWriter()
        try u.write(.byte(UInt8(ascii: "l"))); try u.write(.byte(2)); try u.write(.byte(0)); try u.write(.byte(1))
        try u.write(.uint32(0)); try u.write(.uint32(1))
        try u.write(.array(elementSignature: "(yv)", [.structure([.byte(200), .variant(.string("x"))]), .structure([.byte(5), .variant(.uint32(4))])]))
        u.pad(to: 8)
        #expect(try DBusMessage.decode(u.bytes).replySerial == 4)
    }

    @Test("random corruption of a valid message throws or decodes, never traps")
    func fuzzedBytes() throws {
        let call = DBusMethodCall(destination: "d.e", path: "/a/b", interface: "i.j", member: "M",
                                  arguments: [.stringVariantDictionary(["k": .array(elementSignature: "u", [.uint32(1)]), "s": .string("v")]), .boolean(true)])
        let good = try DBusMessage.methodCall(call, serial: 3).encoded()
        var rng = SplitMix(seed: 24)
        for _ in 0..<3000 {
            var bytes = good
            for _ in 0..<(1 + Int(rng.next() % 3)) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? DBusMessage.decode(bytes)
            var framer = DBusFramer()
            framer.append(bytes)
            _ = try? framer.next()
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("D-Bus authentication and addresses (D-Bus Specification 0.41, Authentication Protocol; Server Addresses)")
struct DBusAuthTests {
    @Test("AUTH EXTERNAL with the uid's decimal digits in hex, after one NUL byte")
    func dbusSpec_authenticationProtocol_authExternal() {
        #expect(DBusAuthClient(uid: 1000).start() == [0] + Array("AUTH EXTERNAL 31303030\r\n".utf8))
        #expect(DBusAuthClient(uid: 0).start() == [0] + Array("AUTH EXTERNAL 30\r\n".utf8))
    }

    @Test("OK (split over two reads) is answered with BEGIN; bytes after it are the message stream")
    func dbusSpec_authenticationProtocol_okBegin() throws {
        var auth = DBusAuthClient(uid: 0)
        #expect(try auth.receive(Array("OK 1234".utf8)) == [])
        let events = try auth.receive(Array("abcd\r\n".utf8) + [0x6c, 0x02])
        #expect(events == [.send(Array("BEGIN\r\n".utf8)), .authenticated(serverGUID: "1234abcd", leftover: [0x6c, 0x02])])
    }

    @Test("REJECTED and ERROR end the attempt; DATA gets an empty DATA; garbage is refused")
    func dbusSpec_authenticationProtocol_rejects() throws {
        var a = DBusAuthClient(uid: 0)
        #expect(throws: DBusAuthError.rejected(mechanisms: "DBUS_COOKIE_SHA1 ANONYMOUS")) { try a.receive(Array("REJECTED DBUS_COOKIE_SHA1 ANONYMOUS\r\n".utf8)) }
        var b = DBusAuthClient(uid: 0)
        #expect(throws: DBusAuthError.self) { try b.receive(Array("ERROR \"no\"\r\n".utf8)) }
        var c = DBusAuthClient(uid: 0)
        #expect(try c.receive(Array("DATA\r\n".utf8)) == [.send(Array("DATA\r\n".utf8))])
        var d = DBusAuthClient(uid: 0)
        #expect(throws: DBusAuthError.malformedLine) { try d.receive(Array("OK abc\n".utf8)) }
        var e = DBusAuthClient(uid: 0)
        #expect(throws: DBusAuthError.malformedLine) { try e.receive(Array(repeating: UInt8(ascii: "A"), count: 5000)) }
    }

    @Test("the first usable unix: entry, path or abstract, %-escapes decoded")
    func dbusSpec_serverAddresses() {
        #expect(DBusAddress.parse("unix:path=/run/dbus/system_bus_socket") == .unixPath("/run/dbus/system_bus_socket"))
        #expect(DBusAddress.parse("tcp:host=x,port=1;unix:abstract=/tmp/dbus-XYZ,guid=00ff") == .unixAbstract("/tmp/dbus-XYZ"))
        #expect(DBusAddress.parse("unix:tmpdir=/tmp;unix:path=/tmp/a%20b") == .unixPath("/tmp/a b"))
        #expect(DBusAddress.parse("unix:path=/x%zz;unix:path=/y") == .unixPath("/y"))
        #expect(DBusAddress.parse("tcp:host=localhost,port=1") == nil)
        #expect(DBusAddress.parse("") == nil)
    }
}
