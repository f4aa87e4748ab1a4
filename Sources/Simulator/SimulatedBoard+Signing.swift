#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCMF

/// The simulated connector meters sign their readings (issue 28 item 6): each has a P-256 key of its own, made once and
/// kept in the station's data directory with mode 0600, so that its public key stays the same across restarts and a
/// whole signed session (OCMF at transaction begin and end) runs in simulation. The keys never enter the board's
/// persisted state (which goes into the database): ``SimulatedMeterSigners`` encodes as nothing.
public struct SimulatedMeterSigners: Sendable, Equatable, Codable {
    public let signers: [OCMFSigner]
    /// Each signer's public key as upper-case hex of its DER (``OCMFPublicKey/hexDER``), made once: every reading of
    /// the board carries it, and deriving it from the private key is a P-256 point multiplication.
    public let publicKeysHex: [String]

    public init(_ signers: [OCMFSigner]) {
        self.signers = signers
        publicKeysHex = signers.map(\.publicKey.hexDER)
    }

    public static func == (a: Self, b: Self) -> Bool { a.publicKeysHex == b.publicKeysHex }

    public init(from decoder: any Decoder) throws { self.init([]) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encodeNil()
    }

    /// The key file of connector `n`'s simulated meter.
    public static func keyPath(directory: String, connector n: Int) -> String { "\(directory)/simulated-meter-\(n)-key.pem" }

    /// Reads each connector's key from the data directory, making (and keeping, mode 0600) the ones that are missing. A
    /// key file that is not a P-256 key stops the start with its path rather than silently replacing the key: the public
    /// key is what a driver checks sessions with.
    public static func loadOrCreate(directory: String, connectors: Int) throws -> SimulatedMeterSigners {
        var out: [OCMFSigner] = []
        for n in 1...max(1, connectors) {
            let path = keyPath(directory: directory, connector: n)
            if let data = FileManager.default.contents(atPath: path) {
                do { out.append(try OCMFSigner(pem: String(decoding: data, as: UTF8.self))) } catch {
                    throw SimulatorError.invalid("\(path) is not a P-256 private key in PEM; move it away to make a new meter key")
                }
                continue
            }
            let signer = OCMFSigner()
            guard FileManager.default.createFile(atPath: path, contents: Data(signer.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw SimulatorError.invalid("cannot write the simulated meter key \(path)")
            }
            out.append(signer)
        }
        return SimulatedMeterSigners(out)
    }
}

/// A signed reading the simulated meter was asked for: signed once its delay has passed.
public struct SimulatedSignatureJob: Sendable, Codable, Equatable {
    public var request: SignedReadingRequest
    /// The register when the reading was asked for (what the meter signs).
    public var energyWh: Double
    /// Board time at which the meter delivers it.
    public var due: Date
}

extension SimulatedBoard {
    /// How long the simulated meter takes to sign (a real one takes up to 30 s, the OCA's signed meter values whitepaper).
    public static let signingDelaySeconds: TimeInterval = 1
    /// How many signed readings a simulated meter holds.
    public static let signedReadingLimit = 8

    /// OCMF 1.2 table 7 `TX` of a request's context.
    static func reason(_ context: SignedReadingContext) -> OCMFTransactionReason {
        switch context {
        case .transactionBegin: .begin
        case .transactionEnd: .end
        case .samplePeriodic: .charging
        }
    }

    /// The signing meter's state of connector `n` for ``ConnectorReading/signingMeter`` (nil: the board's meters do not sign).
    func signingMeterState(_ n: Int) -> SigningMeterState? {
        guard let signers = meterSigners, signers.signers.indices.contains(n - 1) else { return nil }
        let c = connectors[n - 1]
        let broken = c.faults.contains(.meterSignature)
        return SigningMeterState(publicKeyHex: broken ? nil : signers.publicKeysHex[n - 1], signed: c.signedReadings ?? [])
    }

    /// Takes a request for a signed reading (a board without signing meters, or without its link, ignores it).
    mutating func requestSignedReading(_ n: Int, _ request: SignedReadingRequest) {
        guard meterSigners != nil else { return }
        var jobs = connectors[n - 1].signatureJobs ?? []
        jobs.append(SimulatedSignatureJob(request: request, energyWh: connectors[n - 1].energyWh, due: now.addingTimeInterval(Self.signingDelaySeconds)))
        connectors[n - 1].signatureJobs = jobs
    }

    /// Signs the readings that are due. A meter with the `meter-signature` fault cannot sign: its jobs are lost, as a
    /// meter that cannot sign loses them.
    mutating func signDueReadings() {
        guard let signers = meterSigners else { return }
        for i in connectors.indices where !(connectors[i].signatureJobs ?? []).isEmpty {
            var waiting: [SimulatedSignatureJob] = []
            for job in connectors[i].signatureJobs ?? [] {
                guard job.due <= now else { waiting.append(job); continue }
                guard !connectors[i].faults.contains(.meterSignature), signers.signers.indices.contains(i) else { continue }
                let page = (connectors[i].pagination ?? 0) + 1
                connectors[i].pagination = page
                let signer = signers.signers[i]
                let key = signers.publicKeysHex[i]
                let payload = OCMFPayload(gatewayIdentification: "ChargeKit simulated board", pagination: "T\(page)",
                                          meterVendor: "ChargeKit", meterModel: "Simulated meter", meterSerial: "CKSIM\(i + 1)-\(key.suffix(8))",
                                          meterFirmware: "1.0",
                                          identification: .forIDTag(job.request.idTag, authorizedByBackend: job.request.authorizedByBackend),
                                          readings: [OCMFReading(time: job.request.at, timeStatus: .informative,
                                                                 transaction: Self.reason(job.request.context),
                                                                 value: OCMFReading.kWhLiteral(wattHours: job.energyWh))])
                guard let document = try? signer.sign(payload) else { continue }
                var signed = connectors[i].signedReadings ?? []
                signed.append(SignedReading(session: job.request.session, context: job.request.context, ocmf: document.text, at: job.request.at))
                connectors[i].signedReadings = Array(signed.suffix(Self.signedReadingLimit))
            }
            connectors[i].signatureJobs = waiting
        }
    }
}
