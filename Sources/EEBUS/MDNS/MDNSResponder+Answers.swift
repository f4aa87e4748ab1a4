extension MDNSResponder {
    /// Answers a query once the names are ours (RFC 6762 §6): the records each question asks for, without those the
    /// querier listed as known answers with at least half their TTL left (§7.1), with the records a DNS-SD client needs
    /// next as additional records (RFC 6763 §12). Where it goes:
    /// - a legacy unicast query (source port not 5353) gets a unicast reply with its id and questions, TTL at most 10 s
    ///   and no cache-flush bits (§6.7);
    /// - a query whose answered questions all carry the unicast-response bit gets a unicast reply, unless the records
    ///   were not multicast within a quarter of their TTL (§5.4), then everyone hears them;
    /// - an answer with shared records (the PTR) waits 20–120 ms and is merged with others in that time (§6); an answer
    ///   with only unique records, or to a probe, goes out at once; a record multicast less than a second ago is left out
///   (§6).
    mutating func answer(_ query: DNSMessage, fromPort: UInt16, nowSeconds now: Double) -> [Action] {
        let legacy = fromPort != MDNSConstants.port
        var answers: [DNSResourceRecord] = []
        var allUnicast = true
        for q in query.questions where q.recordClass == DNSClass.internet || q.recordClass == DNSClass.any {
            let found = records(answering: q)
            guard !found.isEmpty else { continue }
            if !q.unicastResponse { allUnicast = false }
            for r in found where !answers.contains(r) { answers.append(r) }
        }
        answers.removeAll { ours in
            query.answers.contains { $0.sameRecord(as: ours) && $0.ttlSeconds >= ours.ttlSeconds / 2 }
        }
        guard !answers.isEmpty else { return [] }
        let extra = additionals(for: answers)
        if legacy {
            func legacyForm(_ r: DNSResourceRecord) -> DNSResourceRecord {
                var r = r.with(ttlSeconds: min(r.ttlSeconds, Self.legacyTTLSeconds))
                r.cacheFlush = false
                return r
            }
            return [.reply(DNSMessage(id: query.id, isResponse: true, questions: query.questions, answers: answers.map(legacyForm),
                                      additionals: extra.map(legacyForm)))]
        }
        if allUnicast, answers.allSatisfy({ r in multicastAt[r].map { now - $0 < Double(r.ttlSeconds) / 4 } ?? false }) {
            return [.reply(.response(answers: answers, additionals: extra))]
        }
        // §6: a record is multicast at most once a second (four times, to defend it against a probe).
        let isProbe = !query.authorities.isEmpty
        answers.removeAll { r in multicastAt[r].map { now - $0 < (isProbe ? 0.25 : 1) } ?? false }
        guard !answers.isEmpty else { return [] }
        if answers.contains(where: { !$0.cacheFlush }), !isProbe {
            if var p = pending {
                for r in answers where !p.answers.contains(r) { p.answers.append(r) }
                pending = p
            } else {
                pending = (at: now + 0.02 + random.unit() * 0.1, answers: answers)
            }
            return []
        }
        let extraNow = additionals(for: answers)
        for r in answers + extraNow { multicastAt[r] = now }
        return [.multicast(.response(answers: answers, additionals: extraNow))]
    }

    /// Our records that answer one question; for a type we do not have on one of our names, an NSEC record saying
    /// which types exist (RFC 6762 §6.1), so the querier need not ask again.
    func records(answering q: DNSQuestion) -> [DNSResourceRecord] {
        func wants(_ t: DNSRecordType) -> Bool { q.type == t || q.type == .any }
        if q.name == service.serviceType { return wants(.ptr) ? [ptrRecord] : [] }
        if q.name == DNSSDServiceDescription.serviceTypeEnumeration { return wants(.ptr) ? [enumerationRecord] : [] }
        if q.name == service.instance {
            let found = (wants(.srv) ? [srvRecord] : []) + (wants(.txt) ? [txtRecord] : [])
            return found.isEmpty ? [nsec(service.instance, [.txt, .srv])] : found
        }
        if q.name == service.host {
            let found = addressRecords.filter { wants($0.type) }
            return found.isEmpty ? [nsec(service.host, Array(Set(addressRecords.map(\.type))).sorted { $0.rawValue < $1.rawValue })] : found
        }
        return []
    }

    func nsec(_ name: DNSName, _ types: [DNSRecordType]) -> DNSResourceRecord {
        DNSResourceRecord(name: name, cacheFlush: true, ttlSeconds: Self.hostRecordTTLSeconds, data: .nsec(next: name, types: types))
    }

    /// RFC 6763 §12.1: with a PTR go the SRV, TXT and addresses; §12.2: with an SRV the addresses. Records already among
    /// the answers are not repeated.
    func additionals(for answers: [DNSResourceRecord]) -> [DNSResourceRecord] {
        var extra: [DNSResourceRecord] = []
        if answers.contains(where: { $0.type == .ptr && $0.name == service.serviceType }) { extra += [srvRecord, txtRecord] + addressRecords }
        if answers.contains(where: { $0.type == .srv }) { extra += addressRecords }
        var out: [DNSResourceRecord] = []
        for r in extra where !answers.contains(r) && !out.contains(r) { out.append(r) }
        return out
    }
}

/// The well-known multicast DNS addresses (RFC 6762 §3 and §22).
public enum MDNSConstants {
    public static let port: UInt16 = 5353
    public static let ipv4Group = "224.0.0.251"
    public static let ipv6Group = "ff02::fb"
}
