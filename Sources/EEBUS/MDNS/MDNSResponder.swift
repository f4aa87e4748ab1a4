/// The multicast DNS responder of one DNS-SD service as a pure machine (RFC 6762, RFC 6763): it claims the instance
/// and host names by probing (§8.1, three probes 250 ms apart; on a conflict it picks "X (2)", §9), announces the
/// records (§8.3), answers queries for the service type, the instance and the host (§6, with known-answer suppression
/// §7.1 and the DNS-SD additional records of RFC 6763 §12), and says goodbye with TTL 0 when stopped (§10.1).
///
/// Time comes in as seconds on a monotonic clock; the adapter calls ``tick(nowSeconds:)`` at ``nextDeadlineSeconds``
/// and hands every received message to ``received(_:fromPort:nowSeconds:)``. The random delays the RFC asks for come
/// from a generator seeded by the caller, so a test sees the same sequence every time.
public struct MDNSResponder: Sendable {
    public enum Action: Hashable, Sendable {
        /// Send to 224.0.0.251:5353 (and ff02::fb) on every interface of the service.
        case multicast(DNSMessage)
        /// Send to the source address and port of the message just received (RFC 6762 §5.4 and §6.7).
        case reply(DNSMessage)
        /// Probing found the names taken: the service now goes by these names (RFC 6762 §9).
        case renamed(instanceName: String, hostName: String)
        /// Probing is over: the names are ours and the first announcement is out.
        case established(instanceName: String, hostName: String)
    }

    /// RFC 6762 §10: records with a host name in them (A, AAAA, SRV) live 120 s, the others 75 minutes.
    public static let hostRecordTTLSeconds: UInt32 = 120
    public static let otherRecordTTLSeconds: UInt32 = 4500
    /// RFC 6762 §8.1: three probes, 250 ms apart, after a random delay of up to 250 ms.
    static let probeCount = 3
    static let probeIntervalSeconds = 0.25
    /// RFC 6762 §8.3: at least two announcements one second apart; a third after two more seconds adds robustness.
    static let announcementDelaysSeconds: [Double] = [1, 2]
    /// RFC 6762 §6.7: answers to a legacy unicast query carry a TTL of at most 10 s.
    static let legacyTTLSeconds: UInt32 = 10

    enum Phase: Hashable, Sendable {
        case idle
        case probing(sent: Int, nextAt: Double)
        case announcing(sent: Int, nextAt: Double)
        case running
        case stopped
    }

    public private(set) var service: DNSSDServiceDescription
    var phase: Phase = .idle
    /// The original names: a conflict counts up from these ("X (2)", "X (3)", "host-2").
    let baseInstanceName: String
    let baseHostName: String
    var conflicts = 0
    /// When the last conflicts happened (RFC 6762 §8.1: after 15 within 10 s, wait 5 s before probing again).
    var conflictTimes: [Double] = []
    /// A multicast answer with shared records, held 20–120 ms (RFC 6762 §6) to aggregate answers.
    var pending: (at: Double, answers: [DNSResourceRecord])?
    /// When each of our records was last multicast: none again within a second (RFC 6762 §6), and a unicast answer
    /// only while everyone heard it within a quarter of its TTL (§5.4).
    var multicastAt: [DNSResourceRecord: Double] = [:]
    var random: SplitMix64

    public init(service: DNSSDServiceDescription, seed: UInt64) {
        self.service = service
        baseInstanceName = service.instanceName
        baseHostName = service.hostName
        random = SplitMix64(seed: seed)
    }

    /// Whether probing is over and the records are being announced or served.
    public var isEstablished: Bool {
        switch phase {
        case .announcing, .running: true
        default: false
        }
    }

    /// When ``tick(nowSeconds:)`` has something to do next; nil when nothing is scheduled.
    public var nextDeadlineSeconds: Double? {
        var times: [Double] = []
        switch phase {
        case .probing(_, let at), .announcing(_, let at): times.append(at)
        default: break
        }
        if let pending { times.append(pending.at) }
        return times.min()
    }

    // MARK: The records

    var ptrRecord: DNSResourceRecord {
        DNSResourceRecord(name: service.serviceType, ttlSeconds: Self.otherRecordTTLSeconds, data: .ptr(service.instance))
    }
    var srvRecord: DNSResourceRecord {
        DNSResourceRecord(name: service.instance, cacheFlush: true, ttlSeconds: Self.hostRecordTTLSeconds,
                          data: .srv(priority: 0, weight: 0, port: service.port, target: service.host))
    }
    var txtRecord: DNSResourceRecord {
        DNSResourceRecord(name: service.instance, cacheFlush: true, ttlSeconds: Self.otherRecordTTLSeconds,
                          data: .txt((try? service.txt.strings()) ?? []))
    }
    var addressRecords: [DNSResourceRecord] {
        service.addresses.map {
            DNSResourceRecord(name: service.host, cacheFlush: true, ttlSeconds: Self.hostRecordTTLSeconds, data: $0.isIPv6 ? .aaaa($0.octets) : .a($0.octets))
        }
    }
    /// The service type in the DNS-SD enumeration (RFC 6763 §9): shared, like the PTR.
    var enumerationRecord: DNSResourceRecord {
        DNSResourceRecord(name: DNSSDServiceDescription.serviceTypeEnumeration, ttlSeconds: Self.otherRecordTTLSeconds, data: .ptr(service.serviceType))
    }
    /// The unique records, whose names probing claims.
    var uniqueRecords: [DNSResourceRecord] { [srvRecord, txtRecord] + addressRecords }
    var allRecords: [DNSResourceRecord] { [ptrRecord] + uniqueRecords }

    // MARK: Events

    /// Starts probing after a random delay of 0–250 ms (RFC 6762 §8.1).
    public mutating func start(nowSeconds now: Double) -> [Action] {
        guard phase == .idle || phase == .stopped else { return [] }
        phase = .probing(sent: 0, nextAt: now + random.unit() * 0.25)
        return []
    }

    /// Sends the goodbye (every record with TTL 0, RFC 6762 §10.1) if the records were announced, and stops.
    public mutating func stop(nowSeconds now: Double) -> [Action] {
        defer { phase = .stopped; pending = nil; multicastAt = [:] }
        guard isEstablished else { return [] }
        return [.multicast(.response(answers: allRecords.map { $0.with(ttlSeconds: 0) }))]
    }

    /// A changed port, TXT or address list is announced again (RFC 6762 §8.4); a changed name is probed first, after
    /// a goodbye for the old records.
    public mutating func update(_ newService: DNSSDServiceDescription, nowSeconds now: Double) -> [Action] {
        let renamed = newService.instance != service.instance || newService.host != service.host
        var out: [Action] = []
        if renamed { out += stop(nowSeconds: now) }
        let wasEstablished = isEstablished
        service = newService
        if renamed {
            phase = .idle
            out += start(nowSeconds: now)
        } else if wasEstablished {
            out += announce(nowSeconds: now, sent: 0)
        }
        return out
    }

    public mutating func tick(nowSeconds now: Double) -> [Action] {
        var out: [Action] = []
        if let p = pending, now >= p.at {
            pending = nil
            let extra = additionals(for: p.answers)
            for r in p.answers + extra { multicastAt[r] = now }
            out.append(.multicast(.response(answers: p.answers, additionals: extra)))
        }
        switch phase {
        case .probing(let sent, let at) where now >= at:
            if sent < Self.probeCount {
                phase = .probing(sent: sent + 1, nextAt: now + Self.probeIntervalSeconds)
                out.append(.multicast(probe()))
            } else {
                out += announce(nowSeconds: now, sent: 0)
                out.append(.established(instanceName: service.instanceName, hostName: service.hostName))
            }
        case .announcing(let sent, let at) where now >= at:
            out += announce(nowSeconds: now, sent: sent)
        default: break
        }
        return out
    }

    mutating func announce(nowSeconds now: Double, sent: Int) -> [Action] {
        phase = sent < Self.announcementDelaysSeconds.count ? .announcing(sent: sent + 1, nextAt: now + Self.announcementDelaysSeconds[sent]) : .running
        let records = allRecords + [enumerationRecord]
        for r in records { multicastAt[r] = now }
        return [.multicast(.response(answers: records))]
    }

    /// RFC 6762 §8.1: a query of type ANY for each name, with the unicast-response bit, and the proposed records in the
    /// authority section (for the simultaneous-probe tiebreak of §8.2).
    func probe() -> DNSMessage {
        .query([DNSQuestion(name: service.instance, type: .any, unicastResponse: true),
                DNSQuestion(name: service.host, type: .any, unicastResponse: true)],
               authorities: uniqueRecords)
    }

    /// A received message. `fromPort` is the source port: a query from a port other than 5353 is a legacy unicast query
    /// (RFC 6762 §6.7) and is answered to its sender with its id and question.
    public mutating func received(_ message: DNSMessage, fromPort: UInt16, nowSeconds now: Double) -> [Action] {
        // RFC 6762 §18.3 and §18.11: messages with another opcode or a response code are ignored.
        guard message.opcode == 0, message.responseCode == 0 else { return [] }
        switch phase {
        case .idle, .stopped:
            return []
        case .probing:
            if message.isResponse {
                return message.records.contains(where: conflicts(with:)) ? conflict(nowSeconds: now) : []
            }
            return lostTiebreak(message) ? deferProbing(nowSeconds: now) : []
        case .announcing, .running:
            if message.isResponse {
                // RFC 6762 §9: a record for one of our unique names with other data, after probing, is a conflict.
                return message.answers.contains(where: conflicts(with:)) ? conflict(nowSeconds: now) : []
            }
            return answer(message, fromPort: fromPort, nowSeconds: now)
        }
    }

    /// A record that claims one of our unique names with data we do not have. Our own records (looped back, or from
    /// another of our interfaces) are not conflicts.
    func conflicts(with record: DNSResourceRecord) -> Bool {
        guard record.name == service.instance || record.name == service.host, record.ttlSeconds > 0 else { return false }
        guard record.type != .nsec else { return false }
        let ours = uniqueRecords
        if ours.contains(where: { $0.sameRecord(as: record) }) { return false }
        // Another address of our host that we do not list is someone else's: a conflict. Other types on our names
        // (SRV, TXT with other data) likewise.
        return true
    }

    /// RFC 6762 §8.2: a simultaneous probe for one of our names. The sorted authority records are compared as raw data;
    /// the lexicographically later set wins. Identical sets (our own probe looped back) are no conflict.
    func lostTiebreak(_ probe: DNSMessage) -> Bool {
        for name in [service.instance, service.host] {
            guard probe.questions.contains(where: { $0.name == name }) else { continue }
            let theirs = probe.authorities.filter { $0.name == name }
            guard !theirs.isEmpty else { continue }
            let ours = uniqueRecords.filter { $0.name == name }
            let a = ours.map(Self.canonical).sorted { $0.lexicographicallyPrecedes($1) }
            let b = theirs.map(Self.canonical).sorted { $0.lexicographicallyPrecedes($1) }
            for (x, y) in zip(a, b) where x != y { return x.lexicographicallyPrecedes(y) }
            if a.count != b.count { return a.count < b.count }
        }
        return false
    }

    /// Class, type and uncompressed data of a record, the order of RFC 6762 §8.2.
    static func canonical(_ r: DNSResourceRecord) -> [UInt8] {
        var w = DNSWireWriter()
        w.u16(r.recordClass)
        w.u16(r.type.rawValue)
        var d = DNSWireWriter()
        d.suffixes = [:]
        try? d.data(r.data, compress: false)
        return w.bytes + d.bytes
    }

    /// RFC 6762 §8.2: the loser of a tiebreak waits one second and probes again (with the same names).
    mutating func deferProbing(nowSeconds now: Double) -> [Action] {
        phase = .probing(sent: 0, nextAt: now + 1)
        return []
    }

    /// RFC 6762 §9: a new name ("X (2)", then "X (3)"; the host "h-2"), and probing again — after 5 s when fifteen
    /// conflicts came within ten seconds (§8.1).
    mutating func conflict(nowSeconds now: Double) -> [Action] {
        var out: [Action] = []
        if isEstablished { out += stop(nowSeconds: now) }
        conflicts += 1
        conflictTimes = conflictTimes.filter { now - $0 < 10 } + [now]
        service.instanceName = Self.numbered(baseInstanceName, conflicts + 1, separator: " (", suffix: ")")
        service.hostName = Self.numbered(baseHostName, conflicts + 1, separator: "-", suffix: "")
        phase = .probing(sent: 0, nextAt: now + (conflictTimes.count >= 15 ? 5 : random.unit() * 0.25))
        out.append(.renamed(instanceName: service.instanceName, hostName: service.hostName))
        return out
    }

    /// `base` with ` (n)` (or `-n`) appended, shortened so that the label stays within 63 octets.
    static func numbered(_ base: String, _ n: Int, separator: String, suffix: String) -> String {
        let tail = "\(separator)\(n)\(suffix)"
        var head = base
        while head.utf8.count + tail.utf8.count > DNSName.maximumLabelOctets { head.removeLast() }
        return head + tail
    }
}

/// The small deterministic generator (SplitMix64) behind the RFC's random delays.
struct SplitMix64: Sendable, Hashable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
