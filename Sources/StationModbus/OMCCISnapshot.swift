import ModbusTCP
import Synchronization

/// The OMCCI view of every connector, refreshed every control step, so that Modbus reads are answered on the network's
/// thread without waiting for the station (writes still go to the station). Which connectors were read since the last
/// refresh feeds the energy manager's communication watchdog (registers 131/132).
public final class OMCCISnapshot: Sendable {
    private struct State: Sendable { var connectors: [OMCCIState] = []; var read: [Bool] = [] }
    private let state = Mutex(State())

    public init() {}

    /// Replaces the view; returns the connectors (1-based) that were read since the previous refresh.
    public func refresh(_ connectors: [OMCCIState]) -> [Int] {
        state.withLock { s in
            let read = s.read.count == connectors.count ? s.read : Array(repeating: false, count: connectors.count)
            s.connectors = connectors
            s.read = Array(repeating: false, count: connectors.count)
            return read.indices.filter { read[$0] }.map { $0 + 1 }
        }
    }

    /// The answer to a read of connector `connector` from the view; nil for anything else (a write, or a connector the
    /// view does not have yet): the station answers those.
    public func answer(connector: Int, _ request: ModbusRequest) -> ModbusResponse? {
        guard case .readHoldingRegisters(let address, let quantity) = request else { return nil }
        let view: OMCCIState? = state.withLock { s in
            guard s.connectors.indices.contains(connector - 1) else { return nil }
            s.read[connector - 1] = true
            return s.connectors[connector - 1]
        }
        return view.map { OMCCI.readAnswer(address: address, quantity: quantity, $0) }
    }
}
