import StringSupport

/// What a SHIP node announces about itself in the TXT record of its `_ship._tcp` DNS-SD service (SHIP TS 1.0.1 §7.3.2),
/// and what ChargeKit reads from an energy manager's: the one value the mDNS responder, the browser and the web page
/// share.
///
/// Mandatory keys: `txtvers` (1), `id` (the SHIP id), `path` (of the WebSocket, "/ship/"), `ski`, `register` (whether
/// the node is open for pairing by the other side's user, i.e. would auto-accept). Optional: `brand`, `type`, `model`,
/// `serial`, `categories` (comma-separated numbers). Each TXT string is `key=value`, at most 255 bytes (RFC 6763 §6.1).
public struct SHIPServiceInfo: Sendable, Equatable {
    /// The DNS-SD service type (SHIP TS 1.0.1 §7.3.1).
    public static let serviceType = "_ship._tcp"
    /// The WebSocket path ChargeKit serves (§7.3.2 `path`).
    public static let defaultPath = "/ship/"

    public var id: String
    public var path: String
    public var ski: SHIPSKI
    public var register: Bool
    public var brand: String?
    public var type: String?
    public var model: String?
    public var serial: String?
    public var categories: [Int]

    public init(id: String, path: String = SHIPServiceInfo.defaultPath, ski: SHIPSKI, register: Bool = false, brand: String? = nil,
                type: String? = nil, model: String? = nil, serial: String? = nil, categories: [Int] = []) {
        self.id = id; self.path = path; self.ski = ski; self.register = register
        self.brand = brand; self.type = type; self.model = model; self.serial = serial; self.categories = categories
    }

    /// The TXT strings in the order of §7.3.2 (`txtvers` first, RFC 6763 §6.7). Throws when a value does not fit into
    /// one TXT string or is empty where SHIP needs a value.
    public func txtRecord() throws(SHIPServiceInfoError) -> [String] {
        guard !id.isEmpty else { throw SHIPServiceInfoError("id: the SHIP id must not be empty") }
        guard path.hasPrefix("/") else { throw SHIPServiceInfoError("path: must start with \"/\"") }
        var out = ["txtvers=1", "id=\(id)", "path=\(path)", "ski=\(ski.hex)", "register=\(register)"]
        for (key, value) in [("brand", brand), ("type", type), ("model", model), ("serial", serial)] {
            if let value { out.append("\(key)=\(value)") }
        }
        if !categories.isEmpty { out.append("categories=" + categories.map(String.init).joined(separator: ",")) }
        for entry in out where entry.utf8.count > 255 {
            throw SHIPServiceInfoError("\(entry.prefix { $0 != "=" }): the TXT string has \(entry.utf8.count) bytes; at most 255 fit (RFC 6763 §6.1)")
        }
        return out
    }

    /// Reads a TXT record (its strings as received). Keys are case-insensitive and only the first occurrence of a key
    /// counts (RFC 6763 §6.4); unknown keys are ignored. A missing mandatory key, `txtvers` other than 1, an SKI that is
    /// not 40 hex digits or a `register` that is not true/false is an error naming the key.
    public init(txtRecord strings: [[UInt8]]) throws(SHIPServiceInfoError) {
        var entries: [String: String] = [:]
        for raw in strings {
            guard !raw.isEmpty else { continue }
            guard raw.count <= 255 else { throw SHIPServiceInfoError("a TXT string has \(raw.count) bytes; at most 255 are allowed (RFC 6763 §6.1)") }
            let eq = raw.firstIndex(of: UInt8(ascii: "=")) ?? raw.endIndex
            guard let key = String(validating: raw[..<eq], as: UTF8.self)?.lowercased(), !key.isEmpty else { continue }
            guard entries[key] == nil else { continue }
            let valueBytes = eq < raw.endIndex ? raw[(eq + 1)...] : []
            guard let value = String(validating: valueBytes, as: UTF8.self) else {
                throw SHIPServiceInfoError("\(key): the value is not UTF-8")
            }
            entries[key] = value
        }
        func required(_ key: String) throws(SHIPServiceInfoError) -> String {
            guard let v = entries[key], !v.isEmpty else { throw SHIPServiceInfoError("\(key): required in a SHIP TXT record (SHIP TS 1.0.1 §7.3.2)") }
            return v
        }
        guard try required("txtvers") == "1" else { throw SHIPServiceInfoError("txtvers: \"\(entries["txtvers"] ?? "")\" is not supported (only 1)") }
        id = try required("id")
        path = try required("path")
        let skiText = try required("ski")
        do throws(SHIPSKIError) { ski = try SHIPSKI(userInput: skiText) } catch { throw SHIPServiceInfoError("ski: \(error.description)") }
        switch try required("register").lowercased() {
        case "true": register = true
        case "false": register = false
        case let other: throw SHIPServiceInfoError("register: \"\(other)\" is neither true nor false")
        }
        brand = entries["brand"]; type = entries["type"]; model = entries["model"]; serial = entries["serial"]
        var categories: [Int] = []
        if let text = entries["categories"] ?? entries["cat"], !text.isEmpty {
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let n = Int(part.trimming { $0 == " " }), n >= 0, n <= 255 else {
                    throw SHIPServiceInfoError("categories: \"\(part)\" is not a number from 0 to 255")
                }
                categories.append(n)
            }
        }
        self.categories = categories
    }

    /// Reads a TXT record given as strings.
    public init(txtRecord strings: [String]) throws(SHIPServiceInfoError) {
        try self.init(txtRecord: strings.map { Array($0.utf8) })
    }
}

/// Why a SHIP TXT record was refused (or cannot be built): the key and what is wrong.
public struct SHIPServiceInfoError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

