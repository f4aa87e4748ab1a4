extension DNSMessage {
    /// The message in wire form (RFC 1035 §4.1) with name compression (§4.1.4): every name, also inside PTR, SRV and NSEC
    /// data (which multicast DNS allows, RFC 6762 §18.14), points at an earlier copy of its longest known suffix.
    /// Throws for a label longer than 63 octets, an empty label, a name longer than 255 octets or a TXT string longer
    /// than 255 octets.
    public func encoded() throws -> [UInt8] {
        var w = DNSWireWriter()
        w.u16(id)
        var flags: UInt16 = isResponse ? 0x8000 : 0
        flags |= UInt16(opcode & 0x0F) << 11
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        flags |= UInt16(responseCode & 0x0F)
        w.u16(flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] {
            guard count <= Int(UInt16.max) else { throw DNSMessageError("more than 65535 entries in one section") }
            w.u16(UInt16(count))
        }
        for q in questions {
            try w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.recordClass & 0x7FFF | (q.unicastResponse ? 0x8000 : 0))
        }
        for r in answers + authorities + additionals { try w.record(r) }
        return w.bytes
    }
}

/// The writing side: the bytes so far and where each name suffix already stands (for compression pointers).
struct DNSWireWriter {
    var bytes: [UInt8] = []
    /// Offsets of name suffixes written so far, by their case-folded labels. A pointer holds 14 bits (RFC 1035 §4.1.4),
    /// so only suffixes in the first 16383 octets are remembered.
    var suffixes: [[[UInt8]]: Int] = [:]

    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }

    mutating func name(_ name: DNSName, compress: Bool = true) throws {
        let raw = name.labels.map { Array($0.utf8) }
        var total = 1
        for (i, label) in raw.enumerated() {
            guard !label.isEmpty else { throw DNSMessageError("name \(name): label \(i + 1) is empty") }
            guard label.count <= DNSName.maximumLabelOctets else {
                throw DNSMessageError("name \(name): label \(i + 1) has \(label.count) octets (allowed 1...63, RFC 1035 §2.3.4)")
            }
            total += label.count + 1
        }
        guard total <= DNSName.maximumNameOctets else {
            throw DNSMessageError("name \(name): \(total) octets (allowed at most 255, RFC 1035 §2.3.4)")
        }
        let folded = name.folded
        for i in 0..<raw.count {
            if compress, let offset = suffixes[Array(folded[i...])] {
                u16(0xC000 | UInt16(offset))
                return
            }
            if compress, bytes.count <= 0x3FFF { suffixes[Array(folded[i...])] = bytes.count }
            bytes.append(UInt8(raw[i].count))
            bytes += raw[i]
        }
        bytes.append(0)
    }

    mutating func record(_ r: DNSResourceRecord) throws {
        try name(r.name)
        u16(r.type.rawValue)
        u16(r.recordClass & 0x7FFF | (r.cacheFlush ? 0x8000 : 0))
        u32(r.ttlSeconds)
        let lengthAt = bytes.count
        u16(0)
        try data(r.data, compress: true)
        let length = bytes.count - lengthAt - 2
        guard length <= Int(UInt16.max) else { throw DNSMessageError("record \(r.name) \(r.type): data of \(length) octets") }
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xFF)
    }

    /// A record's data; `compress: false` gives the uncompressed form the probe tiebreak compares (RFC 6762 §8.2).
    mutating func data(_ data: DNSRecordData, compress: Bool) throws {
        switch data {
        case .a(let octets), .aaaa(let octets), .other(let octets):
            bytes += octets
        case .ptr(let target):
            try name(target, compress: compress)
        case .srv(let priority, let weight, let port, let target):
            u16(priority); u16(weight); u16(port)
            try name(target, compress: compress)
        case .txt(let strings):
            // RFC 6763 §6.1: a TXT record with no strings is one empty string.
            for s in strings.isEmpty ? [[]] : strings {
                guard s.count <= 255 else { throw DNSMessageError("TXT string of \(s.count) octets (allowed at most 255, RFC 6763 §6.1)") }
                bytes.append(UInt8(s.count))
                bytes += s
            }
        case .nsec(let next, let types):
            try name(next, compress: compress)
            // RFC 4034 §4.1.2 type bit maps; RFC 6762 §6.1 restricts mDNS to window 0 (types below 256).
            let inWindow = types.map(\.rawValue).filter { $0 < 256 }
            if let highest = inWindow.max() {
                var map = [UInt8](repeating: 0, count: Int(highest / 8) + 1)
                for t in inWindow { map[Int(t / 8)] |= 0x80 >> UInt8(t % 8) }
                bytes.append(0)
                bytes.append(UInt8(map.count))
                bytes += map
            }
        }
    }
}
