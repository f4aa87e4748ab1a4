#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a handler of the central system's requests may use besides the charge point and the station: the time, the
/// store, the parameters and the certificates.
public struct OCPPEnvironment {
    public init(now: Date, store: any OCPPStore, parameters: ParameterService, certificates: any CertificateStore = NoCertificateStore()) {
        self.now = now; self.store = store; self.parameters = parameters; self.certificates = certificates
    }

    public var now: Date
    public var store: any OCPPStore
    public var parameters: ParameterService
    /// The station's certificates and keys (security whitepaper ed. 3: A02/A03, M03–M05).
    public var certificates: any CertificateStore
    /// The unique id of the CALL being answered (for a handler that answers later).
    public internal(set) var callID = ""
    /// Set by a handler whose answer waits for the station (an UnlockConnector waiting for the lock detect): its return
    /// value is not sent, and the charge point sends the answer when the station reports the outcome.
    var answerLater = false
}
