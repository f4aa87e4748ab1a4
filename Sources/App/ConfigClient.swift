import Foundation
import ChargePoint
import EVSECore
import Persistence

/// `chargekit config` behind one interface: through the API of a running station, or directly on the
/// database of a stopped one (holding the data directory lock while it does).
public struct ConfigClient {
    public enum Failure: Error, CustomStringConvertible {
        /// The station or registry refused the request (HTTP 4xx / validation error).
        case rejected(String)
        case unreachable(String)
        public var description: String {
            switch self { case .rejected(let m), .unreachable(let m): m }
        }
    }

    let dir: DataDirectory

    public init(dataDirectory: String) { dir = DataDirectory(dataDirectory) }

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// The running station's API client, or nil when no station runs on the data directory.
    func api() throws -> LocalHTTPClient? {
        guard dir.isStationRunning() else { return nil }
        guard let info = dir.readRuntime() else {
            throw Failure.unreachable("a station holds \(dir.path) but has not published its API address yet; try again")
        }
        return try LocalHTTPClient(baseURL: info.baseURL)
    }

    static func check(_ r: LocalHTTPClient.Response) throws -> Data {
        guard (200..<300).contains(r.status) else {
            struct E: Decodable { var error: String }
            let message = (try? JSONDecoder().decode(E.self, from: r.body).error) ?? "HTTP \(r.status)"
            throw Failure.rejected(message)
        }
        return r.body
    }

    static func path(_ key: String) -> String {
        "/api/config/" + (key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? key)
    }

    func offline<T>(_ body: (inout ParameterService) throws -> T) throws -> T {
        let lock = try dir.lock()
        defer { withExtendedLifetime(lock) {} }
        let db = try StationDatabase(directory: dir.path)
        var service = try ParameterService(store: db)
        do {
            return try body(&service)
        } catch let e as ParameterError {
            throw Failure.rejected(e.message)
        }
    }

    public func list() throws -> [ParameterView] {
        if let api = try api() {
            return try Self.decoder.decode([ParameterView].self, from: Self.check(api.request("GET", "/api/config")))
        }
        return try offline { $0.list() }
    }

    public func get(_ key: String) throws -> ParameterView {
        if let api = try api() {
            return try Self.decoder.decode(ParameterView.self, from: Self.check(api.request("GET", Self.path(key))))
        }
        return try offline { try $0.get(key) }
    }

    public func set(_ key: String, text: String, role: Role) throws -> ParameterView {
        let by = "cli:\(role.rawValue)"
        if let api = try api() {
            struct Body: Encodable { var value: String; var role: String; var changedBy: String }
            let body = try JSONEncoder().encode(Body(value: text, role: role.rawValue, changedBy: by))
            return try Self.decoder.decode(ParameterView.self, from: Self.check(api.request("PUT", Self.path(key), body: body)))
        }
        return try offline { try $0.set(key, text: text, role: role, changedBy: by, now: Date()) }
    }
}

/// The version of ChargeKit.
public enum ChargeKitVersion {
    public static let current = "0.1.0"
}
