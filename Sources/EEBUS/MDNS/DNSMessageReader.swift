extension DNSMessage {
    /// Reads a message in wire form (RFC 1035 §4.1) strictly: every length is checked against the packet, a compression
    /// pointer must point backwards (so a hostile packet cannot make the reader loop, RFC 1035 §4.1.4 only ever needs
    /// earlier offsets), a name stays within 255 octets, the data of A, AAAA, PTR, SRV, TXT and NSEC must fill their
    /// RDLENGTH exactly, and section counts larger than the packet can hold are refused before anything is read. Any
    /// violation throws a ``DNSMessageError`` naming it; nothing from the network can crash or hang the reader.
    public init(decoding bytes: [UInt8]) throws {
        var r = DNSWireReader(bytes: bytes)
        guard bytes.count >= 12 else { throw DNSMessageError("header: \(bytes.count) octets, a DNS header has 12 (RFC 1035 §4.1.1)") }
        let id = try r.u16()
        let flags = try r.u16()
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        // A question takes at least 5 octets (root name, type, class), a record at least 11: counts that cannot fit in
        // the rest of the packet are refused at once.
        let least = qd * 5 + (an + ns + ar) * 11
        guard least <= bytes.count - 12 else {
            throw DNSMessageError("header: counts \(qd)/\(an)/\(ns)/\(ar) need at least \(least) octets, the packet has \(bytes.count - 12) after the header")
        }
        var questions: [DNSQuestion] = []
        for i in 0..<qd {
            let name = try r.name(at: "question \(i + 1)")
            let type = DNSRecordType(rawValue: try r.u16())
            let cls = try r.u16()
            questions.append(DNSQuestion(name: name, type: type, recordClass: cls & 0x7FFF, unicastResponse: cls & 0x8000 != 0))
        }
        func records(_ count: Int, _ section: String) throws -> [DNSResourceRecord] {
            var out: [DNSResourceRecord] = []
            for i in 0..<count { out.append(try r.record(at: "\(section) record \(i + 1)")) }
            return out
        }
        let answers = try records(an, "answer")
        let authorities = try records(ns, "authority")
        let additionals = try records(ar, "additional")
        self.init(id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8(flags >> 11 & 0x0F), authoritative: flags & 0x0400 != 0,
                  truncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
                  responseCode: UInt8(flags & 0x0F), questions: questions, answers: answers, authorities: authorities,
                  additionals: additionals)
    }
}

/// The reading side: a cursor over the packet. Every read checks the bounds first.
struct DNSWireReader {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func u8() throws -> UInt8 {
        guard position < bytes.count else { throw DNSMessageError("truncated at octet \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
    mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

    mutating func take(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count <= bytes.count - position else {
            throw DNSMessageError("\(what): \(count) octets announced at octet \(position), \(bytes.count - position) left")
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// A name at the cursor, following compression pointers (RFC 1035 §4.1.4). A pointer must point before itself, so
    /// every jump goes strictly backwards and a loop is impossible; the labels read may not exceed 255 octets.
    mutating func name(at place: String) throws -> DNSName {
        var labels: [String] = []
        var octets = 1
        var cursor = position
        var resumeAt: Int?
        while true {
            guard cursor < bytes.count else { throw DNSMessageError("\(place): name runs past the end of the packet") }
            let length = bytes[cursor]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    position = resumeAt ?? cursor + 1
                    return DNSName(labels: labels)
                }
                let end = cursor + 1 + Int(length)
                guard end <= bytes.count else { throw DNSMessageError("\(place): label of \(length) octets runs past the end of the packet") }
                octets += Int(length) + 1
                guard octets <= DNSName.maximumNameOctets else {
                    throw DNSMessageError("\(place): name longer than 255 octets (RFC 1035 §2.3.4)")
                }
                labels.append(String(decoding: bytes[(cursor + 1)..<end], as: UTF8.self))
                cursor = end
            case 0xC0:
                guard cursor + 1 < bytes.count else { throw DNSMessageError("\(place): compression pointer cut off") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[cursor + 1])
                guard target < cursor else {
                    throw DNSMessageError("\(place): compression pointer at octet \(cursor) to \(target) does not point backwards")
                }
                if resumeAt == nil { resumeAt = cursor + 2 }
                cursor = target
            default:
                throw DNSMessageError("\(place): label type 0x\(String(length & 0xC0, radix: 16)) is not allowed (RFC 6891 §5)")
            }
        }
    }

    mutating func record(at place: String) throws -> DNSResourceRecord {
        let name = try self.name(at: place)
        let type = DNSRecordType(rawValue: try u16())
        let cls = try u16()
        let ttl = try u32()
        let length = Int(try u16())
        let start = position
        guard length <= bytes.count - start else {
            throw DNSMessageError("\(place) (\(name) \(type)): RDLENGTH \(length) but \(bytes.count - start) octets left")
        }
        let end = start + length
        let where_ = "\(place) (\(name) \(type))"
        let data: DNSRecordData
        switch type {
        case .a:
            guard length == 4 else { throw DNSMessageError("\(where_): RDLENGTH \(length), an A record has 4") }
            data = .a(try take(4, where_))
        case .aaaa:
            guard length == 16 else { throw DNSMessageError("\(where_): RDLENGTH \(length), an AAAA record has 16") }
            data = .aaaa(try take(16, where_))
        case .ptr:
            data = .ptr(try self.name(at: where_))
        case .srv:
            let priority = try u16(), weight = try u16(), port = try u16()
            data = .srv(priority: priority, weight: weight, port: port, target: try self.name(at: where_))
        case .txt:
            var strings: [[UInt8]] = []
            while position < end {
                let n = Int(try u8())
                guard n <= end - position else { throw DNSMessageError("\(where_): string of \(n) octets runs past the record's data") }
                strings.append(try take(n, where_))
            }
            data = .txt(strings)
        case .nsec:
            let next = try self.name(at: where_)
            var types: [DNSRecordType] = []
            while position < end {
                let window = Int(try u8())
                let mapLength = Int(try u8())
                guard (1...32).contains(mapLength), mapLength <= end - position else {
                    throw DNSMessageError("\(where_): type bit map of \(mapLength) octets (allowed 1...32 within the data, RFC 4034 §4.1.2)")
                }
                for (i, octet) in try take(mapLength, where_).enumerated() {
                    for bit in 0..<8 where octet & (0x80 >> UInt8(bit)) != 0 {
                        types.append(DNSRecordType(rawValue: UInt16(window * 256 + i * 8 + bit)))
                    }
                }
            }
            data = .nsec(next: next, types: types)
        default:
            data = .other(try take(length, where_))
        }
        guard position == end else {
            throw DNSMessageError("\(where_): the data takes \(position - start) octets, RDLENGTH says \(length)")
        }
        return DNSResourceRecord(name: name, type: type, recordClass: cls & 0x7FFF, cacheFlush: cls & 0x8000 != 0, ttlSeconds: ttl, data: data)
    }
}
