import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509
@testable import Firmware

/// The firmware file formats (issue 23 items 4 and 5): the project's `.deb` as an ar archive (deb(5)) with the signature
/// member `_chargekit-sig`, the wrapped package, detached signatures, and every refusal's reason.
@Suite("Firmware files: .deb, signatures, refusals")
struct FirmwareFileTests {
    /// A manufacturer root and a firmware signing certificate it issued, P-256.
    struct Signer {
        let rootKey = P256.Signing.PrivateKey()
        let key = P256.Signing.PrivateKey()
        let root: Certificate
        let certificate: Certificate

        init(notAfter: Date = Date() + 3600) throws {
            let rootName = try DistinguishedName { OrganizationName("ChargeKit Test"); CommonName("Manufacturer Root") }
            root = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey), notValidBefore: Date() - 60,
                                   notValidAfter: Date() + 86_400, issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
                                   issuerPrivateKey: .init(rootKey))
            let name = try DistinguishedName { OrganizationName("ChargeKit Test"); CommonName("Firmware Signing") }
            certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 60,
                                          notValidAfter: notAfter, issuer: rootName, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                                          extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
                                          issuerPrivateKey: .init(rootKey))
        }
        var rootPEM: String { (try? root.serializeAsPEM().pemString) ?? "" }
        var certificatePEM: String { ((try? certificate.serializeAsPEM().pemString) ?? "") + "\n" }
        var keyPEM: String { key.pemRepresentation }
    }

    static let control: [String: String] = ["Package": "chargekit", "Version": "1.5.0", "Architecture": FirmwareFile.buildArchitecture]

    /// A Debian package as `dpkg-deb --build` lays it out (the tar members' contents do not matter to the container).
    static func deb(data: [UInt8] = Array("data of the release, odd length".utf8)) -> [UInt8] {
        ArArchive.magic + ArArchive.member(name: "debian-binary", data: Array("2.0\n".utf8))
            + ArArchive.member(name: "control.tar.xz", data: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 1])
            + ArArchive.member(name: "data.tar.xz", data: data)
    }

    func policy(_ signer: Signer?, required: Bool = true) -> FirmwareFile.Policy {
        FirmwareFile.Policy(requireSigned: required, roots: signer.map { [$0.rootPEM] } ?? [], architecture: FirmwareFile.buildArchitecture, now: Date())
    }

    // MARK: ar

    @Test("deb(5): the ar members, GNU's trailing '/', odd sizes padded to an even offset")
    func deb5_arMembers() throws {
        let bytes = Self.deb()
        let archive = try ArArchive(bytes)
        #expect(archive.members.map(\.name) == ["debian-binary", "control.tar.xz", "data.tar.xz"])
        #expect(Array(bytes[archive.members[0].data]) == Array("2.0\n".utf8))
        #expect(Array(bytes[archive.members[2].data]) == Array("data of the release, odd length".utf8))
    }

    @Test("a malformed archive is a clear error, never a crash: truncations throughout and many corruptions")
    func arFuzz() throws {
        let signer = try Signer()
        let bytes = try FirmwareSignature.embed(in: Self.deb(), keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM, mtime: 0)
        // Prefixes: every one through the first members' headers, then every 7th byte (a signature's PEM parse per
        // prefix made every byte cost 80 s of a debug build's test run and starved the timing tests beside it); each is
        // either a valid archive of fewer members or an error naming what is cut off.
        for n in Array(0..<min(bytes.count, 256)) + Array(stride(from: 256, to: bytes.count, by: 7)) {
            let prefix = Array(bytes[0..<n])
            if let archive = try? ArArchive(prefix) { #expect(archive.members.allSatisfy { $0.data.upperBound <= n }) }
            _ = try? FirmwareFile(prefix)
        }
        // Deterministic pseudo-random byte flips (an LCG: the same run every time).
        var state: UInt64 = 0x2023_0005
        for _ in 0..<400 {
            var copy = bytes
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let at = Int(state >> 33) % copy.count
                copy[at] = UInt8(truncatingIfNeeded: state >> 13)
            }
            if let archive = try? ArArchive(copy) { #expect(archive.members.allSatisfy { $0.data.upperBound <= copy.count }) }
            _ = try? FirmwareFile(copy)
        }
        #expect(throws: ArArchive.Invalid.self) { try ArArchive(Array("!<arch>\ndebian-binary   0           0     0     100644  99999999  `\n".utf8)) }
        #expect(throws: ArArchive.Invalid.self) { try ArArchive(Array("!<arch>\ndebian-binary   0           0     0     100644  -4        `\n".utf8)) }
        #expect(throws: ArArchive.Invalid.self) { try ArArchive(Array("!<arch>\ndebian-binary   0           0     0     100644  4         XX2.0\n".utf8)) }
    }

    @Test("deb(5): members in the wrong order, or one after data.tar without '_', are no Debian package")
    func deb5_memberOrder() {
        let wrongOrder = ArArchive.magic + ArArchive.member(name: "debian-binary", data: Array("2.0\n".utf8))
            + ArArchive.member(name: "data.tar.xz", data: [1]) + ArArchive.member(name: "control.tar.xz", data: [1])
        #expect(throws: FirmwareRefusal(.notAPackage, "not a Debian package: the second member is 'data.tar.xz', not control.tar")) { try FirmwareFile(wrongOrder) }
        let extra = Self.deb() + ArArchive.member(name: "evil", data: [1])
        #expect(throws: FirmwareRefusal(.notAPackage, "the package has a member 'evil' after data.tar (only names starting with '_' may follow)")) { try FirmwareFile(extra) }
        #expect(throws: FirmwareRefusal.self) { try FirmwareFile(Array("\u{7F}ELF not a release".utf8)) }
        let ignored = Self.deb() + ArArchive.member(name: "_gpgbuilder", data: [1, 2])
        #expect((try? FirmwareFile(ignored))?.embeddedSignature == nil, "another '_' member (dpkg-sig's) is ignored")
    }

    // MARK: signatures

    @Test("issue 23 item 5: a signed .deb verifies against the manufacturer root; the signature covers the package without its member")
    func signedDeb() throws {
        let signer = try Signer()
        let unsigned = Self.deb()
        let signed = try FirmwareSignature.embed(in: unsigned, keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM, mtime: 1_800_000_000)
        let file = try FirmwareFile(signed)
        #expect(file.signedDigest == SHA256.hash(data: unsigned), "the signed bytes are the package exactly as dpkg-deb built it")
        let checked = try file.verify(control: Self.control, detached: nil, policy: policy(signer))
        #expect(checked.version == "1.5.0" && checked.package == "chargekit" && checked.installBytes == 0..<signed.count)
        #expect(checked.signedBy?.contains("Firmware Signing") == true)
        // Signing again replaces the member rather than adding a second.
        let again = try FirmwareSignature.embed(in: signed, keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM, mtime: 0)
        #expect(try ArArchive(again).members.count == 4)
    }

    @Test("issue 23 item 5: refusals name their reason and kind (the security event they raise)")
    func refusals() throws {
        let signer = try Signer(), other = try Signer()
        let signed = try FirmwareSignature.embed(in: Self.deb(), keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM, mtime: 0)
        // Unsigned while required.
        #expect(throws: FirmwareRefusal(.unsigned, "the file is not signed and the station requires signed firmware (Require signed firmware)")) {
            try FirmwareFile(Self.deb()).verify(control: Self.control, detached: nil, policy: policy(signer))
        }
        // Unsigned while not required: installable.
        #expect(try FirmwareFile(Self.deb()).verify(control: Self.control, detached: nil, policy: policy(nil, required: false)).signedBy == nil)
        // A root that did not issue the signing certificate.
        let wrongRoot = try #require(throws: FirmwareRefusal.self) { try FirmwareFile(signed).verify(control: Self.control, detached: nil, policy: policy(other)) }
        #expect(wrongRoot.kind == .invalidSigningCertificate && wrongRoot.reason.contains("does not chain"))
        // No root installed.
        let noRoot = try #require(throws: FirmwareRefusal.self) { try FirmwareFile(signed).verify(control: Self.control, detached: nil, policy: policy(nil)) }
        #expect(noRoot.reason.contains("no ManufacturerRootCertificate is installed"))
        // One byte of the data changed after signing.
        var tampered = signed
        tampered[try ArArchive(signed).members[2].data.lowerBound] ^= 0x01
        let bad = try #require(throws: FirmwareRefusal.self) { try FirmwareFile(tampered).verify(control: Self.control, detached: nil, policy: policy(signer)) }
        #expect(bad.kind == .invalidSignature && bad.reason.contains("does not match"))
        // Another architecture, no version.
        var arch = Self.control
        arch["Architecture"] = "s390x"
        #expect((try? FirmwareFile(signed).verify(control: arch, detached: nil, policy: policy(signer))) == nil)
        var noVersion = Self.control
        noVersion["Version"] = nil
        #expect(throws: FirmwareRefusal(.notAPackage, "the Debian package's Version must have 1 to 50 characters")) {
            try FirmwareFile(signed).verify(control: noVersion, detached: nil, policy: policy(signer))
        }
        // An expired signing certificate.
        let expired = try Signer(notAfter: Date() - 10)
        let old = try FirmwareSignature.embed(in: Self.deb(), keyPEM: expired.keyPEM, chainPEM: expired.certificatePEM, mtime: 0)
        let late = try #require(throws: FirmwareRefusal.self) { try FirmwareFile(old).verify(control: Self.control, detached: nil, policy: policy(expired)) }
        #expect(late.kind == .invalidSigningCertificate && late.reason.contains("expired"))
        // A key that does not belong to the certificate is refused when signing.
        #expect(throws: FirmwareRefusal.self) { try FirmwareSignature.embed(in: Self.deb(), keyPEM: other.keyPEM, chainPEM: signer.certificatePEM, mtime: 0) }
    }

    @Test("issue 23 item 5: a wrapped package with a detached FILE.sig; the signature text round-trips and bad texts are refused")
    func detachedWrapped() throws {
        let signer = try Signer()
        let package = FirmwarePackage.make(version: "2.1", payload: Array("payload".utf8))
        let signature = try FirmwareSignature.sign(package, keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM)
        let parsed = try FirmwareSignature(text: Array(signature.text.utf8))
        #expect(parsed == signature)
        let checked = try FirmwareFile(package).verify(control: nil, detached: parsed, policy: policy(signer))
        #expect(checked.version == "2.1" && checked.format == .wrapped)
        #expect(Array(package[checked.installBytes]) == Array("payload".utf8))
        // The unsigned wrapped package is refused when signing is required, accepted otherwise (the existing tests).
        #expect(throws: FirmwareRefusal.self) { try FirmwareFile(package).verify(control: nil, detached: nil, policy: policy(signer)) }
        #expect(try FirmwareFile(package).verify(control: nil, detached: nil, policy: policy(nil, required: false)).version == "2.1")
        // A detached signature of another file.
        let otherSig = try FirmwareSignature.sign(Array("other".utf8), keyPEM: signer.keyPEM, chainPEM: signer.certificatePEM)
        #expect((try? FirmwareFile(package).verify(control: nil, detached: otherSig, policy: policy(signer))) == nil)
        // Texts that are not signatures.
        for text in ["", "ChargeKit-Signature: 1\n", "ChargeKit-Signature: 1\nAlgorithm: RSA\nSignature: x\n\n-----BEGIN CERTIFICATE-----\n",
                     "ChargeKit-Signature: 1\nAlgorithm: ECDSA-P256-SHA256\n\n-----BEGIN CERTIFICATE-----\n",
                     "ChargeKit-Signature: 1\nAlgorithm: ECDSA-P256-SHA256\nSignature: AAAA\n\nno certificate"] {
            #expect(throws: FirmwareRefusal.self) { try FirmwareSignature(text: Array(text.utf8)) }
        }
        #expect(throws: FirmwareRefusal.self) { try FirmwareSignature(text: [UInt8](repeating: 0x41, count: FirmwareSignature.maxBytes + 1)) }
    }

    @Test("the control fields as dpkg-deb --field prints them")
    func controlFields() {
        #expect(FirmwareFile.controlFields("Package: chargekit\nVersion: 1.5.0-1\nArchitecture: arm64\n")
                == ["Package": "chargekit", "Version": "1.5.0-1", "Architecture": "arm64"])
    }
}
