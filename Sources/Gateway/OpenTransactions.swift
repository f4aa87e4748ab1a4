/// The transactions the gateway saw start and not yet stop, each with its connector, indexed the three ways the central
/// system asks: by transaction (StopTransaction, the bridge), by connector (a new transaction supersedes the one whose
/// stop never came; an operator's remote stop; the MQTT state) and by transaction id alone (a BMS-mode id must not be
/// one still open).
///
/// Why: each of those was a scan over every open transaction — per StartTransaction twice (the superseded one and the
/// ids in use) and per MQTT tick once per configured connector. With tens of thousands of chargers charging, every
/// StartTransaction and every tick then cost milliseconds on the runtime's actor (issue 31 item 5). Kept consistent by
/// the only two writes, ``open(_:connector:)`` and ``close(_:)``.
struct OpenTransactions: Sendable {
    struct Connector: Hashable, Sendable {
        var charger: String
        var connector: Int
    }

    private var connectors: [OpenTransaction: Int] = [:]
    private var byConnector: [Connector: OpenTransaction] = [:]
    /// How many open transactions carry each id (transaction ids are numbered per charger, so several can).
    private var idCounts: [Int: Int] = [:]

    var count: Int { connectors.count }

    /// The connector of an open transaction.
    subscript(_ t: OpenTransaction) -> Int? { connectors[t] }

    /// The transaction open on a connector.
    func transaction(charger: String, connector: Int) -> OpenTransaction? {
        byConnector[Connector(charger: charger, connector: connector)]
    }

    /// Whether any open transaction, of any charger, has this id.
    func containsTransactionId(_ id: Int) -> Bool { idCounts[id] != nil }

    /// `t` runs on `connector`. A connector has one transaction at a time: one still open there is superseded (its stop
    /// never came), which also bounds the table by the chargers' connectors.
    mutating func open(_ t: OpenTransaction, connector: Int) {
        if let superseded = transaction(charger: t.charger, connector: connector) { close(superseded) }
        close(t)
        connectors[t] = connector
        byConnector[Connector(charger: t.charger, connector: connector)] = t
        idCounts[t.transactionId, default: 0] += 1
    }

    /// `t` ended; its connector, if it was open.
    @discardableResult
    mutating func close(_ t: OpenTransaction) -> Int? {
        guard let connector = connectors.removeValue(forKey: t) else { return nil }
        byConnector[Connector(charger: t.charger, connector: connector)] = nil
        if let n = idCounts[t.transactionId], n > 1 { idCounts[t.transactionId] = n - 1 } else { idCounts[t.transactionId] = nil }
        return connector
    }
}
