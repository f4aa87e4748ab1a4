import ModbusTCP

/// A Modbus client for blocking use from a device worker's thread (``DeviceWorker``): the serial line master (Modbus
/// RTU, one request at a time on the bus) and the TCP client of the boards and meters reached over Ethernet implement
/// it, so that a board driver or a charge meter does not care how its registers travel.
///
/// - SeeAlso: Modbus Application Protocol V1.1b3 (the PDU), Modbus over Serial Line V1.02 (RTU), Modbus Messaging on
///   TCP/IP Implementation Guide V1.0b (MBAP).
public protocol ModbusMaster: AnyObject {
    /// What logs and errors call the link: the device path or host:port.
    var address: String { get }
    /// Sends `request` to `unitID` and returns its answer (an exception answer is a ``ModbusResponse/exception``);
    /// throws ``ModbusError`` on a timeout, a garbled or foreign answer, or a broken link (which the next call reopens).
    func send(_ request: ModbusRequest, unitID: UInt8) throws(ModbusError) -> ModbusResponse
    func close()
}

extension ModbusMaster {
    /// Reads `quantity` registers with function 3 or 4; an exception answer throws.
    public func readRegisters(_ function: FunctionCode, address: UInt16, quantity: UInt16, unitID: UInt8) throws(ModbusError) -> [UInt16] {
        let request: ModbusRequest = function == .readInputRegisters
            ? .readInputRegisters(address: address, quantity: quantity) : .readHoldingRegisters(address: address, quantity: quantity)
        switch try send(request, unitID: unitID) {
        case .registers(_, let values) where values.count == Int(quantity): return values
        case .exception(_, let code): throw .exception(code)
        default: throw .malformed("unit \(unitID) answered a read of \(quantity) registers at \(address) with something else")
        }
    }

    /// Writes one holding register (function 6); an exception answer throws.
    public func writeRegister(address: UInt16, value: UInt16, unitID: UInt8) throws(ModbusError) {
        switch try send(.writeSingleRegister(address: address, value: value), unitID: unitID) {
        case .writeSingleRegister(let a, let v) where a == address && v == value: return
        case .exception(_, let code): throw .exception(code)
        default: throw .malformed("unit \(unitID) did not echo the write of register \(address)")
        }
    }
}
