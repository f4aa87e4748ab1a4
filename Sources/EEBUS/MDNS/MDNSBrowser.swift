/// The DNS-SD browser of one service type as a pure machine (RFC 6763 §4 over RFC 6762): it asks for the type's PTR
/// records periodically with back-off (RFC 6762 §5.2: first after 20–120 ms, then 1 s, doubling up to 60 min), lists
/// the known answers so that responders stay quiet (§7.1), resolves each instance's SRV and TXT and its host's
/// addresses, refreshes records at 80–95 % of their TTL (§5.2), and drops what expires, what a goodbye ends (TTL 0,
/// gone one second later, §10.1) and what a cache-flush record replaces (§10.2).
///
/// Time comes in as seconds on a monotonic clock; the adapter calls ``tick(nowSeconds:)`` at ``nextDeadlineSeconds``.
public struct MDNSBrowser: Sendable {
    public enum Action: Hashable, Sendable {
        /// Send this query to 224.0.0.251:5353 (and ff02::fb) on every interface.
        case multicast(DNSMessage)
        case added(DNSSDDiscoveredService)
        case updated(DNSSDDiscoveredService)
        /// The instance's label: it said goodbye or its records expired.
        case removed(instanceName: String)
    }

    struct Key: Hashable, Sendable {
        var name: DNSName
        var type: DNSRecordType
        var data: DNSRecordData
    }

    struct Entry: Sendable {
        var record: DNSResourceRecord
        var receivedAt: Double
        var expiresAt: Double
        /// How many of the refresh queries at 80, 85, 90 and 95 % of the TTL went out (RFC 6762 §5.2).
        var refreshes: Int
    }

    public let serviceType: DNSName
    /// At most this many records are kept; the oldest go first (a flood cannot grow the cache without bound).
    public static let maximumRecords = 1024
    static let maximumQueryIntervalSeconds = 3600.0
    /// A missing SRV, TXT or address is asked for at most once a second per name (RFC 6762 §5.2's minimum interval).
    static let resolveIntervalSeconds = 1.0

    var cache: [Key: Entry] = [:]
    var started = false
    var nextQueryAt: Double?
    var queryIntervalSeconds = 1.0
    var lastResolve: [DNSName: Double] = [:]
    public private(set) var services: [String: DNSSDDiscoveredService] = [:]
    var random: SplitMix64

    public init(serviceType: DNSName = DNSSDServiceDescription.shipServiceType, seed: UInt64) {
        self.serviceType = serviceType
        random = SplitMix64(seed: seed)
    }

    /// The services found, sorted by instance name.
    public var discovered: [DNSSDDiscoveredService] { services.values.sorted { $0.instanceName < $1.instanceName } }

    public var nextDeadlineSeconds: Double? {
        var times = [nextQueryAt].compactMap { $0 }
        if let expiry = cache.values.map(\.expiresAt).min() { times.append(expiry) }
        for e in cache.values where e.refreshes < 4 && e.record.type != .a && e.record.type != .aaaa { times.append(refreshAt(e)) }
        // A service without its SRV, TXT or address is asked for again a second after the last question.
        for q in unresolved() { times.append(lastResolve[q.name].map { $0 + Self.resolveIntervalSeconds } ?? 0) }
        return times.min()
    }

    /// Starts browsing: the first query goes out after 20–120 ms (RFC 6762 §5.2).
    public mutating func start(nowSeconds now: Double) -> [Action] {
        guard !started else { return [] }
        started = true
        queryIntervalSeconds = 1
        nextQueryAt = now + 0.02 + random.unit() * 0.1
        return []
    }

    /// Stops browsing and forgets everything (no actions: the adapter is going away).
    public mutating func stop() {
        started = false
        nextQueryAt = nil
        cache = [:]
        services = [:]
    }

    public mutating func tick(nowSeconds now: Double) -> [Action] {
        guard started else { return [] }
        for (k, e) in cache where e.expiresAt <= now { cache[k] = nil }
        lastResolve = lastResolve.filter { now - $0.value < 60 }
        var questions: [DNSQuestion] = []
        if let at = nextQueryAt, now >= at {
            questions.append(DNSQuestion(name: serviceType, type: .ptr))
            nextQueryAt = now + queryIntervalSeconds
            queryIntervalSeconds = min(queryIntervalSeconds * 2, Self.maximumQueryIntervalSeconds)
        }
        for (k, e) in cache where e.refreshes < 4 && e.record.type != .a && e.record.type != .aaaa && now >= refreshAt(e) {
            cache[k]?.refreshes = e.refreshes + 1
            let q = DNSQuestion(name: e.record.name, type: e.record.type)
            if !questions.contains(q) { questions.append(q) }
        }
        let due = unresolved().filter { q in lastResolve[q.name].map { now - $0 >= Self.resolveIntervalSeconds } ?? true }
        for q in due where !questions.contains(q) { questions.append(q) }
        for q in due { lastResolve[q.name] = now }
        var out: [Action] = []
        if !questions.isEmpty {
            // RFC 6762 §7.1: the PTR records we hold with more than half their TTL left are known answers.
            let known = cache.values.filter { $0.record.type == .ptr && ($0.expiresAt - now) > Double($0.record.ttlSeconds) / 2 }
                .map { $0.record.with(ttlSeconds: UInt32(max(0, $0.expiresAt - now))) }
                .sorted { $0.name.description < $1.name.description }
            out.append(.multicast(.query(questions, knownAnswers: questions.contains { $0.name == serviceType } ? known : [])))
        }
        return out + refreshServices()
    }

    /// A received message: responses feed the cache (queries are other browsers' business).
    public mutating func received(_ message: DNSMessage, nowSeconds now: Double) -> [Action] {
        guard started, message.isResponse, message.opcode == 0, message.responseCode == 0 else { return [] }
        let records = message.answers + message.additionals
        // Services first, then the addresses of the hosts those services (now) point at.
        for r in records where r.recordClass == DNSClass.internet {
            let isInstance = r.name.labels.count == serviceType.labels.count + 1 && r.name.parent == serviceType
            if (r.type == .ptr && r.name == serviceType) || ((r.type == .srv || r.type == .txt) && isInstance) { store(r, now) }
        }
        let hosts = Set(cache.values.compactMap { e -> DNSName? in
            if case .srv(_, _, _, let target) = e.record.data { return target } else { return nil }
        })
        for r in records where r.recordClass == DNSClass.internet && (r.type == .a || r.type == .aaaa) && hosts.contains(r.name) {
            store(r, now)
        }
        for (k, e) in cache where e.expiresAt <= now { cache[k] = nil }
        return refreshServices()
    }

    mutating func store(_ r: DNSResourceRecord, _ now: Double) {
        let key = Key(name: r.name, type: r.type, data: r.data)
        if r.cacheFlush {
            // RFC 6762 §10.2: other records of this name and type received more than a second ago expire in one second.
            for (k, e) in cache where k.name == r.name && k.type == r.type && k != key && now - e.receivedAt > 1 {
                cache[k]?.expiresAt = min(e.expiresAt, now + 1)
            }
        }
        if r.ttlSeconds == 0 {
            // RFC 6762 §10.1: a goodbye; the record goes one second later.
            if cache[key] != nil { cache[key]?.expiresAt = now + 1 }
            return
        }
        if cache[key] == nil, cache.count >= Self.maximumRecords,
           let oldest = cache.min(by: { $0.value.receivedAt < $1.value.receivedAt })?.key {
            cache[oldest] = nil
        }
        cache[key] = Entry(record: r, receivedAt: now, expiresAt: now + Double(r.ttlSeconds), refreshes: 0)
    }

    func refreshAt(_ e: Entry) -> Double { e.receivedAt + Double(e.record.ttlSeconds) * (0.8 + 0.05 * Double(e.refreshes)) }

    func entries(_ name: DNSName, _ type: DNSRecordType) -> [Entry] {
        cache.values.filter { $0.record.name == name && $0.record.type == type }.sorted { $0.receivedAt > $1.receivedAt }
    }

    /// The questions that would complete a listed instance: its SRV and TXT, then its host's addresses.
    func unresolved() -> [DNSQuestion] {
        var out: [DNSQuestion] = []
        for e in entries(serviceType, .ptr) {
            guard case .ptr(let instance) = e.record.data else { continue }
            let srv = entries(instance, .srv).first
            if srv == nil { out.append(DNSQuestion(name: instance, type: .srv)) }
            if entries(instance, .txt).isEmpty { out.append(DNSQuestion(name: instance, type: .txt)) }
            if let srv, case .srv(_, _, _, let host) = srv.record.data, entries(host, .a).isEmpty, entries(host, .aaaa).isEmpty {
                out.append(DNSQuestion(name: host, type: .a))
                out.append(DNSQuestion(name: host, type: .aaaa))
            }
        }
        return out
    }

    /// Rebuilds the list of services from the cache and says what changed. An instance is listed once its PTR and SRV
    /// are known; TXT and addresses fill in as they come.
    mutating func refreshServices() -> [Action] {
        var now: [String: DNSSDDiscoveredService] = [:]
        for e in entries(serviceType, .ptr) {
            guard case .ptr(let instance) = e.record.data, instance.parent == serviceType, let label = instance.labels.first,
                  let srv = entries(instance, .srv).first, case .srv(_, _, let port, let host) = srv.record.data else { continue }
            var txt = DNSSDTXT()
            if let t = entries(instance, .txt).first, case .txt(let strings) = t.record.data { txt = DNSSDTXT(strings: strings) }
            let addresses = (entries(host, .a) + entries(host, .aaaa)).compactMap { e -> MDNSAddress? in
                switch e.record.data {
                case .a(let o), .aaaa(let o): MDNSAddress(octets: o)
                default: nil
                }
            }
            now[label] = DNSSDDiscoveredService(instanceName: label, serviceType: serviceType, hostName: host.labels.joined(separator: "."),
                                                port: port, txt: txt, addresses: Array(Set(addresses)).sorted())
        }
        var out: [Action] = []
        for (label, s) in now.sorted(by: { $0.key < $1.key }) {
            if let old = services[label] { if old != s { out.append(.updated(s)) } } else { out.append(.added(s)) }
        }
        for label in services.keys.sorted() where now[label] == nil { out.append(.removed(instanceName: label)) }
        services = now
        return out
    }
}
