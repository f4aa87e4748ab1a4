import EXI
import SECC
import Testing
import V2G

@Suite("The ISO 15118-2 AC session machine with external identification")
struct SECCMachineTests {
    static func view(authorized: Bool = false, amps: Double = 0, stop: Bool = false) -> HLCConnectorView {
        HLCConnectorView(authorized: authorized, maxCurrentAmps: amps, ratedCurrentAmps: 32, phases: 3, nominalVoltageV: 230,
                         stopRequested: stop, digitalOnly: true)
    }
}
