import Glibc
import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle
import ChargePoint
import EVSECore
import Firmware

/// Firmware from the System page and the local API (issue 23 item 3; seeds/004 §8 "Systeem → Firmware Update",
/// seeds/000 "Firmwareaktualisierung", seeds/002 §1.8 "Update Progress"): the package is the request body, written to
/// a file of the station's as it arrives (never held in memory), at most ``FirmwareUpload/maximumBytes``; then it is
/// checked and handed to the firmware machine, which installs it once no transaction runs. The progress is served as
/// server-sent events. The web page's routes (session and CSRF token) and the API's (token) share this code.
enum FirmwareUploadHandling {
    /// The lowest role that may install firmware (issue 23 item 3: System → Firmware, installer role).
    static let role = Role.installer

    enum Received { case stored, tooLarge, failed(String) }

    /// Streams `request`'s body into `path`; the file is removed unless it is ``Received/stored``. A declared length
    /// over the limit is refused before anything is read.
    static func receive(_ request: Request, into path: String, limitBytes: Int) async -> Received {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limitBytes {
            try? FileManager.default.removeItem(atPath: path)
            return .tooLarge
        }
        guard let file = UploadFile(path: path) else { return .failed("the upload file cannot be written") }
        var total = 0
        do {
            for try await buffer in request.body {
                total += buffer.readableBytes
                guard total <= limitBytes else {
                    file.close()
                    try? FileManager.default.removeItem(atPath: path)
                    return .tooLarge
                }
                try buffer.withUnsafeReadableBytes { try file.write($0) }
            }
            try file.synchronizeAndClose()
        } catch {
            // The client went away or the disk is full: a partial upload is never kept.
            file.close()
            try? FileManager.default.removeItem(atPath: path)
            return .failed("the upload broke off after \(total) bytes: \(error)")
        }
        guard total > 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return .failed("the request body is empty: send the package file as the body")
        }
        return .stored
    }

    /// Receives the package and hands it over; the JSON answer (202 with the firmware view, 413, 409, 400).
    static func upload(_ request: Request, _ station: any StationService, by: String) async -> Response {
        let limit = FirmwareUpload.maximumBytes
        let path: String
        do { path = try await station.firmwareUploadFile() } catch {
            return StationAPI.error(.internalServerError, "the upload file cannot be created: \(error)")
        }
        switch await receive(request, into: path, limitBytes: limit) {
        case .tooLarge:
            return StationAPI.error(.contentTooLarge, "the package is larger than the \(limit) bytes (\(limit / 1024 / 1024) MiB) allowed", field: "body")
        case .failed(let why):
            return StationAPI.error(.badRequest, why, field: "body")
        case .stored:
            break
        }
        do {
            return StationAPI.json(try await station.installFirmware(from: path, source: .web, by: by), status: .accepted)
        } catch {
            return StationAPI.error(error.kind == .conflict ? .conflict : .badRequest, error.description, field: error.kind == .conflict ? nil : "body")
        }
    }

    /// Server-sent events `firmware` with ``FirmwareUpdateView``: at once, then at every change (looked at twice a
    /// second), a comment every 15 s to keep proxies from closing it, for up to 15 minutes (seeds/004 §8: an update may
    /// take that long; the browser reconnects). They end when the station shuts down, so a restart is never held up;
    /// `stillAllowed` ends them when the session does.
    static func events(_ station: any StationService, stillAllowed: @escaping @Sendable () async -> Bool) -> Response {
        let body = ResponseBody { writer in
            var last: FirmwareUpdateView?
            var quiet = 0
            for _ in 0..<(15 * 60 * 2) {
                guard !Task.isCancelled, !Task.isShuttingDownGracefully, await stillAllowed() else { break }
                let view = await station.firmwareUpdate()
                if view != last {
                    let json = (try? StationAPI.encoder.encode(view)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    try await writer.write(ByteBuffer(string: "event: firmware\ndata: \(json)\n\n"))
                    last = view
                    quiet = 0
                } else {
                    quiet += 1
                    if quiet % 30 == 0 { try await writer.write(ByteBuffer(string: ": waiting\n\n")) }
                }
                for _ in 0..<5 where !Task.isShuttingDownGracefully { try await Task.sleep(for: .milliseconds(100)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}

extension StationAPI {
    static func addFirmwareRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/firmware") { _, _ in json(await station.firmwareUpdate()) }
        router.post("api/firmware") { request, _ in
            guard apiRole >= FirmwareUploadHandling.role else { return roleTooLow(FirmwareUploadHandling.role) }
            return await FirmwareUploadHandling.upload(request, station, by: "api:\(apiRole.rawValue)")
        }
        router.get("api/firmware/events") { _, _ in FirmwareUploadHandling.events(station) { true } }
    }
}

/// The upload's file (created by the station, mode 0600), written as the body arrives: POSIX `open`/`write`/`fsync`,
/// as Foundation's `FileHandle` did it, without Foundation (issue 31).
final class UploadFile {
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call) failed (errno \(code))" }
    }

    private var fd: Int32

    /// Opens the existing file `path` for writing; nil when it cannot be opened.
    init?(path: String) {
        fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(call: "write", code: errno)
            }
            offset += n
        }
    }

    /// On the disk before the upload counts as stored.
    func synchronizeAndClose() throws(Failure) {
        defer { close() }
        guard fsync(fd) == 0 else { throw Failure(call: "fsync", code: errno) }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
