import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import ChargePoint
import Firmware
@testable import WebUI
@testable import App
@testable import Runtimes

/// The firmware upload (issue 23 item 3): streamed to a file with a size bound, a partial upload removed; the API's
/// answers; the web route's CSRF header.
@Suite("Firmware upload (System → Firmware, POST /api/firmware)")
struct FirmwareUploadTests {
    static let auth: HTTPFields = [.authorization: "Bearer \(RouterHarness.token)", .contentType: "application/octet-stream"]

    static func object(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as? [String: Any]) ?? [:]
    }

    func file() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ck-upload-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }

    func request(_ chunks: [String], contentLength: Int? = nil, failAfter: Int? = nil) -> Request {
        struct Broken: Error {}
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { c in
            for (i, chunk) in chunks.enumerated() {
                if i == failAfter { c.finish(throwing: Broken()); return }
                c.yield(ByteBuffer(string: chunk))
            }
            c.finish()
        }
        var head = HTTPRequest(method: .post, scheme: "http", authority: "station", path: "/api/firmware")
        if let contentLength { head.headerFields[.contentLength] = String(contentLength) }
        return Request(head: head, body: RequestBody(asyncSequence: stream))
    }

    @Test("a body over the limit is refused as it passes it and nothing is kept; a declared length before it is read")
    func sizeBound() async {
        let path = file()
        guard case .tooLarge = await FirmwareUploadHandling.receive(request(["123456", "789012"]), into: path, limitBytes: 10) else {
            Issue.record("not refused"); return
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the partial upload is removed")
        let declared = file()
        guard case .tooLarge = await FirmwareUploadHandling.receive(request(["1"], contentLength: 11), into: declared, limitBytes: 10) else {
            Issue.record("not refused from Content-Length"); return
        }
        #expect(!FileManager.default.fileExists(atPath: declared))
    }

    @Test("a broken-off upload is removed; a whole one is written as it came")
    func brokenAndWhole() async throws {
        let broken = file()
        guard case .failed(let why) = await FirmwareUploadHandling.receive(request(["abc", "def"], failAfter: 1), into: broken, limitBytes: 100) else {
            Issue.record("not failed"); return
        }
        #expect(why.contains("after 3 bytes") && !FileManager.default.fileExists(atPath: broken))
        let whole = file()
        guard case .stored = await FirmwareUploadHandling.receive(request(["abc", "def", "ghij"]), into: whole, limitBytes: 10) else {
            Issue.record("not stored"); return
        }
        #expect(try String(contentsOfFile: whole, encoding: .utf8) == "abcdefghij")
        try FileManager.default.removeItem(atPath: whole)
    }

    @Test("POST /api/firmware: 400 with the check's reason, 202 taken, 409 while it waits; the web route wants the CSRF header")
    func api() async throws {
        // Unsigned packages allowed, as a simulated station stores it at its first start (issue 23 item 5).
        let h = try await RouterHarness(preset: ["RequireSignedFirmware": .bool(false)])
        try await h.app.test(.router) { client in
            let junk = try await client.execute(uri: "/api/firmware", method: .post, headers: Self.auth, body: ByteBuffer(string: "not a package"))
            #expect(junk.status == .badRequest && Self.object(junk)["field"] as? String == "body")
            #expect((Self.object(junk)["error"] as? String)?.contains("ChargeKit firmware package") == true)
            let package = FirmwarePackage.make(version: "8.8.8", payload: Array("#!/bin/sh\n".utf8))
            let taken = try await client.execute(uri: "/api/firmware", method: .post, headers: Self.auth, body: ByteBuffer(bytes: package))
            #expect(taken.status == .accepted)
            #expect(Self.object(taken)["packageVersion"] as? String == "8.8.8" && Self.object(taken)["source"] as? String == "web")
            let again = try await client.execute(uri: "/api/firmware", method: .post, headers: Self.auth, body: ByteBuffer(bytes: package))
            #expect(again.status == .conflict)
            let view = try await client.execute(uri: "/api/firmware", method: .get, headers: Self.auth)
            #expect(["waiting", "installing"].contains(Self.object(view)["state"] as? String))
            let web = try await client.execute(uri: "/system/firmware", method: .post, headers: [:], body: ByteBuffer(bytes: package))
            #expect(web.status == .seeOther, "no session: to the login")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: h.directory + "/firmware").filter { $0.hasPrefix("upload-") }
        #expect(left.isEmpty, "every upload was taken over or removed: \(left)")
    }
}
