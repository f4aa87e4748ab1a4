#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data directory of a station or a gateway: its database, the single-instance lock and the runtime file through
/// which `chargekit config` and `chargekit sim` find a running station's API (and the interop tests a gateway's ports).
public struct DataDirectory: Sendable {
    public let path: String
    /// "station" or "gateway": names the lock and runtime files, so both roles may share a directory.
    public let role: String

    public init(_ path: String, role: String = "station") { self.path = path; self.role = role }

    public var lockPath: String { path.pathAppending("\(role).lock") }
    public var runtimePath: String { path.pathAppending("\(role).json") }

    /// What a running station publishes about itself.
    public struct RuntimeInfo: Codable, Sendable {
        public var pid: Int32
        public var httpHost: String
        public var httpPort: Int
        public var startedAt: Date
        /// The bearer token of the local API (new at every start of the station services).
        public var apiToken: String?
        /// The HTTPS port of the web interface and the API (issue 23 item 2); nil from a station before HTTPS.
        public var httpsPort: Int?
        /// The certificate file the HTTPS port serves (`chain.pem`, public): a client on the device may pin it.
        public var tlsCertificate: String?
        /// The plain HTTP API on the device itself, as the device's own tools use it: loopback is never redirected.
        public var baseURL: String { "http://\(Self.localHost(httpHost)):\(httpPort)" }

        static func localHost(_ host: String) -> String {
            switch host {
            case "0.0.0.0": "127.0.0.1"
            case "::": "[::1]"
            default: host.contains(":") ? "[\(host)]" : host
            }
        }

        public init(pid: Int32, httpHost: String, httpPort: Int, httpsPort: Int? = nil, tlsCertificate: String? = nil, startedAt: Date,
                    apiToken: String?) {
            self.pid = pid; self.httpHost = httpHost; self.httpPort = httpPort; self.httpsPort = httpsPort; self.tlsCertificate = tlsCertificate
            self.startedAt = startedAt; self.apiToken = apiToken
        }
    }

    /// Errors of the data directory.
    public enum Failure: Error, CustomStringConvertible {
        case cannotCreate(String, String)
        case locked(String, role: String)

        public var description: String {
            switch self {
            case .cannotCreate(let p, let why): "cannot use data directory \(p): \(why)"
            case .locked(let p, let role): "another chargekit \(role) is running on data directory \(p)"
            }
        }
    }

    /// An exclusive lock on the data directory; released when the process ends, also after kill -9.
    public final class Lock: Sendable {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }

    /// Takes the single-instance lock, or reports that a station holds it.
    public func lock() throws -> Lock {
        do {
            // Private to the station's user: the database in it holds secrets (see SQLiteFile.open).
            try SystemFile.createDirectory(path, mode: 0o700)
        } catch {
            throw Failure.cannotCreate(path, error.reason)
        }
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.cannotCreate(path, String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Failure.locked(path, role: role)
        }
        return Lock(fd: fd)
    }

    /// Whether a station currently holds the lock.
    public func isStationRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: lockPath) else { return false }
        let fd = open(lockPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    public func writeRuntime(_ info: some Encodable) throws {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        // Only the owner may read it: it holds the API token.
        let temporary = runtimePath + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: try e.encode(info), attributes: [.posixPermissions: 0o600]) else {
            throw Failure.cannotCreate(runtimePath, "cannot write")
        }
        guard rename(temporary, runtimePath) == 0 else { throw Failure.cannotCreate(runtimePath, String(cString: strerror(errno))) }
    }

    public func readRuntime() -> RuntimeInfo? {
        guard let data = FileManager.default.contents(atPath: runtimePath) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(RuntimeInfo.self, from: data)
    }

    public func removeRuntime() {
        try? FileManager.default.removeItem(atPath: runtimePath)
    }
}

/// What a running gateway publishes in `gateway.json`: the ports it bound (0 in the settings = any free port) and its
/// API token. It is written again, with a new `startedAt`, whenever the gateway services restart with new settings.
public struct GatewayRuntimeInfo: Codable, Sendable {
    public var pid: Int32
    public var mode: String
    public var ocppPort: Int
    public var modbusTCPPort: Int?
    public var httpPort: Int
    public var startedAt: Date
    /// How often the gateway services started in this process (1, then one more per restart with new settings).
    public var starts: Int
    /// The bearer token of the gateway's local API (new at every start of the process; the file is mode 0600).
    public var apiToken: String?

    /// The HTTPS port of the web configuration and the API, and the certificate file it serves (issue 23 item 2).
    public var httpsPort: Int?
    public var tlsCertificate: String?

    public init(pid: Int32, mode: String, ocppPort: Int, modbusTCPPort: Int?, httpPort: Int, httpsPort: Int? = nil, tlsCertificate: String? = nil,
                startedAt: Date, starts: Int, apiToken: String? = nil) {
        self.pid = pid; self.mode = mode; self.ocppPort = ocppPort; self.modbusTCPPort = modbusTCPPort; self.httpPort = httpPort
        self.httpsPort = httpsPort; self.tlsCertificate = tlsCertificate
        self.startedAt = startedAt; self.starts = starts; self.apiToken = apiToken
    }
}
