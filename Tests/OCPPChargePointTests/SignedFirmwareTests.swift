import Foundation
import Testing
import ChargePoint
import EVSECore
import Firmware
import OCPP16
import Persistence

/// Fixed test certificates made with openssl (EC P-256; valid 2026-12-05 to 2126): a manufacturer root, a firmware
/// signing certificate it issued, and an unrelated root.
enum TestFirmwareCertificates {
    static let manufacturerRoot = """
-----BEGIN CERTIFICATE-----
MIIB0jCCAXegAwIBAgIULVvBI5uDr2ws/EliJVl0KIjbLZAwCgYIKoZIzj0EAwIw
NTEXMBUGA1UECgwOQ2hhcmdlS2l0IFRlc3QxGjAYBgNVBAMMEU1hbnVmYWN0dXJl
ciBSb290MCAXDTI2MTIwNTIwMDAyM1oYDzIxMjYxMTExMjAwMDIzWjA1MRcwFQYD
VQQKDA5DaGFyZ2VLaXQgVGVzdDEaMBgGA1UEAwwRTWFudWZhY3R1cmVyIFJvb3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAREElp0EEmMR8RHnyekAetNAi/HuqYn
Wy2qOnC1xeeEmr8kmr3aOYdpNeaoNrVEMtY2ph9eeLBA1t0oRtwiRGuLo2MwYTAd
BgNVHQ4EFgQUCsAOk0dEqwM1SSjSR/6lX4mLHWkwHwYDVR0jBBgwFoAUCsAOk0dE
qwM1SSjSR/6lX4mLHWkwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYw
CgYIKoZIzj0EAwIDSQAwRgIhAJLZBL6E17jKqknYnbgMXBFAWJZ4BYOVAFuG85Xa
YzBkAiEA7Ya6YvoS1QLMGr8/ITrWryObUE+zrUXFmkF/gWfv62o=
-----END CERTIFICATE-----
"""
    static let signing = """
-----BEGIN CERTIFICATE-----
MIIByjCCAXCgAwIBAgIUIVYnxXiu+Key37lfhlQfnzxqz5YwCgYIKoZIzj0EAwIw
NTEXMBUGA1UECgwOQ2hhcmdlS2l0IFRlc3QxGjAYBgNVBAMMEU1hbnVmYWN0dXJl
ciBSb290MCAXDTI2MTIwNTIwMDAyM1oYDzIxMjYxMTExMjAwMDIzWjA0MRcwFQYD
VQQKDA5DaGFyZ2VLaXQgVGVzdDEZMBcGA1UEAwwQRmlybXdhcmUgU2lnbmluZzBZ
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABJHNTE+G5MrNCCKNhpJOyCWNeNYKdmDi
MD5EJByOw4XT0yzL77U3D7uIeZYqFOMUPLwI0f9MtUQHn0NiBhi4uuujXTBbMAkG
A1UdEwQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBTR/L91U7KrnGpvxTI4
m8F7tnBczDAfBgNVHSMEGDAWgBQKwA6TR0SrAzVJKNJH/qVfiYsdaTAKBggqhkjO
PQQDAgNIADBFAiAO30NxC9eIfHlT0ZnnuTnxlStifmJPMJAfCtFvBR/spgIhAPoZ
r6KtbksTpkQ2FEMwlWZiMrFJB8sipBQx/z5ButHo
-----END CERTIFICATE-----
"""
    static let otherRoot = """
-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIUe2FzgMItY4GEPMCHkMkZh07So4wwCgYIKoZIzj0EAwIw
JTEOMAwGA1UECgwFT3RoZXIxEzARBgNVBAMMCk90aGVyIFJvb3QwIBcNMjYxMjA1
MjAwMDIzWhgPMjEyNjExMTEyMDAwMjNaMCUxDjAMBgNVBAoMBU90aGVyMRMwEQYD
VQQDDApPdGhlciBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaWtFNm/4
nGoRWMhbAftTFDkGq224+z6pIHnsB5eDV4qWSMWDJ8cQwBOcbA1HrxWUmEi07w+Q
S9rc945EdmWNBaNTMFEwHQYDVR0OBBYEFPEOmZf/uKEB2ngW2rsz3EnwQ9jZMB8G
A1UdIwQYMBaAFPEOmZf/uKEB2ngW2rsz3EnwQ9jZMA8GA1UdEwEB/wQFMAMBAf8w
CgYIKoZIzj0EAwIDSAAwRQIgI+7fYVDA9QYfQdQiHXu4aRzh2yV51c6olPnK2wAo
PYQCIQDn6otyuGPooPzDZGfP6vv6IQur8YPHqnGHRt0X5fKoew==
-----END CERTIFICATE-----
"""
}

/// Signed firmware (OCPP 1.6 security whitepaper ed. 3, use case L01; OCTT TC_080, TC_081) in process. The download,
/// the signature check and the installer are the runtime's: their outcome is handed to the charge point.
@Suite("OCTT signed firmware, in process")
struct SignedFirmwareTests {
    typealias H = ChargePointHarness
    typealias C = TestFirmwareCertificates

    private func statuses(_ h: H, since mark: Int = 0) -> [SignedFirmwareStatusNotificationRequest] {
        h.calls(SignedFirmwareStatusNotificationRequest.action, since: mark).compactMap { try? SignedFirmwareStatusNotificationRequest(json: $0) }
    }

    private func events(_ h: H, since mark: Int = 0) -> [String] {
        h.calls(SecurityEventNotificationRequest.action, since: mark).compactMap { if case .string(let s) = $0["type"] { s } else { nil } }
    }

    private func request(_ h: H, certificate: String = C.signing, id: Int = 9) -> SignedUpdateFirmwareRequest {
        SignedUpdateFirmwareRequest(retries: 0, requestId: id, firmware: SignedFirmware(
            location: "http://files.invalid/fw.ckfw", retrieveDateTime: h.now, signingCertificate: certificate, signature: "MEUCIQ=="))
    }

    @Test("TC_080 secure firmware update: Downloading, Downloaded, SignatureVerified, Installing, InstallRebooting, Installed with the requestId, and FirmwareUpdated")
    func TC_080_secureFirmwareUpdate() throws {
        var h = try H()
        try h.certificates.installRootCertificate(C.manufacturerRoot, use: .manufacturerRootCertificate)
        h.connect()
        let mark = h.mark
        #expect(try h.call(request(h)).status == .accepted)
        h.run(0.5)
        #expect(h.actions.contains(.download(location: "http://files.invalid/fw.ckfw")))
        h.event(.downloadFinished(success: true))
        h.run(0.5)
        #expect(h.actions.contains(.verifySignature(signingCertificate: C.signing, signature: "MEUCIQ==")))
        #expect(h.cp.signedFirmwareStatusNotification == SignedFirmwareStatusNotificationRequest(status: .downloaded, requestId: 9),
                "L01.FR.28: the last status with its requestId")
        #expect(!h.actions.contains(.install), "not before the signature is verified")
        h.event(.signatureChecked(failure: nil))
        h.run(0.5)
        #expect(h.actions.contains(.install))
        h.event(.installFinished(version: "9.9.9"))
        h.run(1)
        try h.restart()
        h.run(3)
        #expect(statuses(h, since: mark).map(\.status) == [.downloading, .downloaded, .signatureVerified, .installing, .installRebooting, .installed])
        #expect(statuses(h, since: mark).allSatisfy { $0.requestId == 9 })
        #expect(events(h, since: mark) == ["FirmwareUpdated"])
        #expect(h.calls(FirmwareStatusNotificationRequest.action, since: mark).isEmpty, "a signed update reports only signed statuses")
        #expect(h.cp.signedFirmwareStatusNotification == SignedFirmwareStatusNotificationRequest(status: .idle), "L01.FR.29: Idle after Installed")
    }

    @Test("TC_081 invalid signature: InvalidSignature, the security event InvalidFirmwareSignature, nothing installed")
    func TC_081_invalidSignature() throws {
        var h = try H()
        try h.certificates.installRootCertificate(C.manufacturerRoot, use: .manufacturerRootCertificate)
        h.connect()
        let mark = h.mark
        #expect(try h.call(request(h)).status == .accepted)
        h.run(0.5)
        h.event(.downloadFinished(success: true))
        h.run(0.5)
        h.event(.signatureChecked(failure: "the signature does not match the file"))
        h.run(3)
        #expect(statuses(h, since: mark).map(\.status) == [.downloading, .downloaded, .invalidSignature])
        #expect(events(h, since: mark) == ["InvalidFirmwareSignature"])
        #expect(!h.actions.contains(.install))
        #expect(try h.db.firmwareJob() == nil)
        for n in 1...2 { #expect(h.statuses(n).last == "Available") }
    }

    @Test("whitepaper L01.FR.02/03: a signing certificate that does not chain to an installed ManufacturerRootCertificate is InvalidCertificate with InvalidFirmwareSigningCertificate, before any download")
    func whitepaper_L01_FR_03_invalidCertificate() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        // No manufacturer root installed.
        #expect(try h.call(request(h)).status == .invalidCertificate)
        // Another manufacturer's root.
        try h.certificates.installRootCertificate(C.otherRoot, use: .manufacturerRootCertificate)
        #expect(try h.call(request(h)).status == .invalidCertificate)
        // Not a certificate.
        try h.certificates.installRootCertificate(C.manufacturerRoot, use: .manufacturerRootCertificate)
        #expect(try h.call(request(h, certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")).status == .invalidCertificate)
        h.run(2)
        #expect(events(h, since: mark) == Array(repeating: "InvalidFirmwareSigningCertificate", count: 3))
        #expect(!h.actions.contains { if case .download = $0 { true } else { false } })
        #expect(statuses(h, since: mark).isEmpty)
    }

    @Test("whitepaper L01: a new SignedUpdateFirmware while one waits is AcceptedCanceled")
    func whitepaper_L01_acceptedCanceled() throws {
        var h = try H()
        try h.certificates.installRootCertificate(C.manufacturerRoot, use: .manufacturerRootCertificate)
        h.connect()
        var later = request(h, id: 1)
        later.firmware.retrieveDateTime = h.now.addingTimeInterval(3600)
        #expect(try h.call(later).status == .accepted)
        #expect(try h.call(request(h, id: 2)).status == .acceptedCanceled)
        h.run(1)
        #expect(statuses(h).map(\.requestId) == [1, 2], "DownloadScheduled of 1, Downloading of 2")
    }
}

@Suite("Unsigned firmware updates switch, in process")
struct UnsignedFirmwareSwitchTests {
    @Test("whitepaper L01.FR.20: with UnsignedFirmwareUpdates Off, UpdateFirmware is answered NotSupported; On (the default) it is taken")
    func whitepaper_L01_FR_20_updateFirmwareNotSupported() throws {
        var off = try ChargePointHarness(config: [("UnsignedFirmwareUpdates", "Off")])
        off.connect()
        let answer = try off.send(UpdateFirmwareRequest.action, OCPPCoding.encode(UpdateFirmwareRequest(location: "http://x/fw", retrieveDate: off.now)))
        guard case .callError(_, let code, _, _) = answer else { Issue.record("answered \(answer)"); return }
        #expect(code == "NotSupported")
        var on = try ChargePointHarness()
        on.connect()
        _ = try on.call(UpdateFirmwareRequest(location: "http://x/fw", retrieveDate: on.now))
        on.run(0.5)
        #expect(on.actions.contains(.download(location: "http://x/fw")))
    }
}
