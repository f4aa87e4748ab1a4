import NIOCore

/// Modbus function codes ChargeKit serves and uses.
///
/// - SeeAlso: Modbus Application Protocol Specification V1.1b3 §6.
public enum FunctionCode: UInt8, Sendable, CaseIterable {
    case readCoils = 0x01
    case readDiscreteInputs = 0x02
    case readHoldingRegisters = 0x03
    case readInputRegisters = 0x04
    case writeSingleCoil = 0x05
    case writeSingleRegister = 0x06
    case writeMultipleCoils = 0x0F
    case writeMultipleRegisters = 0x10
}

/// Modbus exception codes.
///
/// - SeeAlso: Modbus Application Protocol Specification V1.1b3 §7.
public enum ExceptionCode: UInt8, Sendable, Error, CaseIterable {
    case illegalFunction = 0x01
    case illegalDataAddress = 0x02
    case illegalDataValue = 0x03
    case serverDeviceFailure = 0x04
    /// A gateway cannot reach the device the request is for (e.g. the OCPP charger is not connected).
    case gatewayPathUnavailable = 0x0A
    /// A gateway got no answer from the target device.
    case gatewayTargetDeviceFailedToRespond = 0x0B
}

/// A request PDU.
public enum ModbusRequest: Sendable, Equatable {
    case readCoils(address: UInt16, quantity: UInt16)
    case readDiscreteInputs(address: UInt16, quantity: UInt16)
    case readHoldingRegisters(address: UInt16, quantity: UInt16)
    case readInputRegisters(address: UInt16, quantity: UInt16)
    case writeSingleCoil(address: UInt16, value: Bool)
    case writeSingleRegister(address: UInt16, value: UInt16)
    case writeMultipleCoils(address: UInt16, values: [Bool])
    case writeMultipleRegisters(address: UInt16, values: [UInt16])

    public var function: FunctionCode {
        switch self {
        case .readCoils: .readCoils
        case .readDiscreteInputs: .readDiscreteInputs
        case .readHoldingRegisters: .readHoldingRegisters
        case .readInputRegisters: .readInputRegisters
        case .writeSingleCoil: .writeSingleCoil
        case .writeSingleRegister: .writeSingleRegister
        case .writeMultipleCoils: .writeMultipleCoils
        case .writeMultipleRegisters: .writeMultipleRegisters
        }
    }
}

/// A response PDU.
public enum ModbusResponse: Sendable, Equatable {
    /// Coils or discrete inputs (function 1 or 2).
    case bits(FunctionCode, [Bool])
    /// Holding or input registers (function 3 or 4).
    case registers(FunctionCode, [UInt16])
    case writeSingleCoil(address: UInt16, value: Bool)
    case writeSingleRegister(address: UInt16, value: UInt16)
    /// Function 15 or 16: start address and quantity written.
    case writeMultiple(FunctionCode, address: UInt16, quantity: UInt16)
    case exception(function: UInt8, ExceptionCode)

    /// The length of the encoded PDU in bytes (function code included), as ``PDUCodec/encode(_:into:)-(ModbusResponse,_)``
    /// writes it: what the MBAP header's length field counts besides the unit id.
    public var pduByteCount: Int {
        switch self {
        case .bits(_, let bits): 2 + (bits.count + 7) / 8
        case .registers(_, let regs): 2 + 2 * regs.count
        case .writeSingleCoil, .writeSingleRegister, .writeMultiple: 5
        case .exception: 2
        }
    }
}

/// The limits of the Modbus specification.
public enum ModbusLimits {
    /// Registers per read (functions 3, 4): 1…125.
    public static let maxReadRegisters: UInt16 = 125
    /// Registers per write (function 16): 1…123.
    public static let maxWriteRegisters: UInt16 = 123
    /// Bits per read (functions 1, 2): 1…2000.
    public static let maxReadBits: UInt16 = 2000
    /// Bits per write (function 15): 1…1968.
    public static let maxWriteBits: UInt16 = 1968
    /// The largest PDU: 253 bytes.
    public static let maxPDUBytes = 253
}

/// Encoding and decoding of PDUs (function code + data), shared by server and client.
public enum PDUCodec {
    /// Decodes a request PDU. Malformed or out-of-limit requests give the exception the server must answer
    /// (01 unknown function, 03 bad quantity, byte count or coil value, 02 address range beyond 65535).
    public static func decodeRequest(_ pdu: ByteBuffer) -> Result<ModbusRequest, ExceptionCode> {
        var b = pdu
        guard let code = b.readInteger(as: UInt8.self) else { return .failure(.illegalFunction) }
        guard let function = FunctionCode(rawValue: code) else { return .failure(.illegalFunction) }
        func range(_ max: UInt16) -> Result<(UInt16, UInt16), ExceptionCode> {
            guard let address = b.readInteger(as: UInt16.self), let quantity = b.readInteger(as: UInt16.self), b.readableBytes == 0 else {
                return .failure(.illegalDataValue)
            }
            guard (1...max).contains(quantity) else { return .failure(.illegalDataValue) }
            guard Int(address) + Int(quantity) <= 65536 else { return .failure(.illegalDataAddress) }
            return .success((address, quantity))
        }
        switch function {
        case .readCoils: return range(ModbusLimits.maxReadBits).map { .readCoils(address: $0.0, quantity: $0.1) }
        case .readDiscreteInputs: return range(ModbusLimits.maxReadBits).map { .readDiscreteInputs(address: $0.0, quantity: $0.1) }
        case .readHoldingRegisters: return range(ModbusLimits.maxReadRegisters).map { .readHoldingRegisters(address: $0.0, quantity: $0.1) }
        case .readInputRegisters: return range(ModbusLimits.maxReadRegisters).map { .readInputRegisters(address: $0.0, quantity: $0.1) }
        case .writeSingleCoil:
            guard let address = b.readInteger(as: UInt16.self), let value = b.readInteger(as: UInt16.self), b.readableBytes == 0,
                  value == 0xFF00 || value == 0x0000 else { return .failure(.illegalDataValue) }
            return .success(.writeSingleCoil(address: address, value: value == 0xFF00))
        case .writeSingleRegister:
            guard let address = b.readInteger(as: UInt16.self), let value = b.readInteger(as: UInt16.self), b.readableBytes == 0 else {
                return .failure(.illegalDataValue)
            }
            return .success(.writeSingleRegister(address: address, value: value))
        case .writeMultipleCoils:
            guard let address = b.readInteger(as: UInt16.self), let quantity = b.readInteger(as: UInt16.self),
                  let count = b.readInteger(as: UInt8.self), (1...ModbusLimits.maxWriteBits).contains(quantity),
                  Int(count) == (Int(quantity) + 7) / 8, b.readableBytes == Int(count),
                  let bytes = b.readBytes(length: Int(count)) else { return .failure(.illegalDataValue) }
            guard Int(address) + Int(quantity) <= 65536 else { return .failure(.illegalDataAddress) }
            let values = (0..<Int(quantity)).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
            return .success(.writeMultipleCoils(address: address, values: values))
        case .writeMultipleRegisters:
            guard let address = b.readInteger(as: UInt16.self), let quantity = b.readInteger(as: UInt16.self),
                  let count = b.readInteger(as: UInt8.self), (1...ModbusLimits.maxWriteRegisters).contains(quantity),
                  Int(count) == Int(quantity) * 2, b.readableBytes == Int(count) else { return .failure(.illegalDataValue) }
            guard Int(address) + Int(quantity) <= 65536 else { return .failure(.illegalDataAddress) }
            var values: [UInt16] = []
            values.reserveCapacity(Int(quantity))
            for _ in 0..<quantity { values.append(b.readInteger(as: UInt16.self)!) }
            return .success(.writeMultipleRegisters(address: address, values: values))
        }
    }

    /// Writes a request PDU.
    public static func encode(_ r: ModbusRequest, into b: inout ByteBuffer) {
        b.writeInteger(r.function.rawValue)
        switch r {
        case .readCoils(let a, let q), .readDiscreteInputs(let a, let q), .readHoldingRegisters(let a, let q), .readInputRegisters(let a, let q):
            b.writeInteger(a); b.writeInteger(q)
        case .writeSingleCoil(let a, let v):
            b.writeInteger(a); b.writeInteger(v ? UInt16(0xFF00) : 0)
        case .writeSingleRegister(let a, let v):
            b.writeInteger(a); b.writeInteger(v)
        case .writeMultipleCoils(let a, let vs):
            b.writeInteger(a); b.writeInteger(UInt16(vs.count))
            let bytes = packBits(vs)
            b.writeInteger(UInt8(bytes.count)); b.writeBytes(bytes)
        case .writeMultipleRegisters(let a, let vs):
            b.writeInteger(a); b.writeInteger(UInt16(vs.count)); b.writeInteger(UInt8(vs.count * 2))
            for v in vs { b.writeInteger(v) }
        }
    }

    /// Writes a response PDU.
    public static func encode(_ r: ModbusResponse, into b: inout ByteBuffer) {
        switch r {
        case .bits(let f, let bits):
            let bytes = packBits(bits)
            b.writeInteger(f.rawValue); b.writeInteger(UInt8(bytes.count)); b.writeBytes(bytes)
        case .registers(let f, let regs):
            // One write of function code, byte count and all registers, big-endian (§4.2): a read of 125 registers is the
            // server's most frequent answer.
            b.writeWithUnsafeMutableBytes(minimumWritableBytes: 2 + regs.count * 2) { raw in
                raw.storeBytes(of: f.rawValue, toByteOffset: 0, as: UInt8.self)
                raw.storeBytes(of: UInt8(truncatingIfNeeded: regs.count * 2), toByteOffset: 1, as: UInt8.self)
                for (i, v) in regs.enumerated() { raw.storeBytes(of: v.bigEndian, toByteOffset: 2 + 2 * i, as: UInt16.self) }
                return 2 + regs.count * 2
            }
        case .writeSingleCoil(let a, let v):
            b.writeInteger(FunctionCode.writeSingleCoil.rawValue); b.writeInteger(a); b.writeInteger(v ? UInt16(0xFF00) : 0)
        case .writeSingleRegister(let a, let v):
            b.writeInteger(FunctionCode.writeSingleRegister.rawValue); b.writeInteger(a); b.writeInteger(v)
        case .writeMultiple(let f, let a, let q):
            b.writeInteger(f.rawValue); b.writeInteger(a); b.writeInteger(q)
        case .exception(let f, let code):
            b.writeInteger(f | 0x80); b.writeInteger(code.rawValue)
        }
    }

    /// Decodes a response PDU to `request`; throws ``ModbusError`` when it does not fit the request.
    public static func decodeResponse(_ pdu: ByteBuffer, to request: ModbusRequest) throws(ModbusError) -> ModbusResponse {
        var b = pdu
        guard let code = b.readInteger(as: UInt8.self) else { throw .malformed("empty response PDU") }
        if code & 0x80 != 0 {
            guard let ex = b.readInteger(as: UInt8.self) else { throw .malformed("exception response without code") }
            guard let e = ExceptionCode(rawValue: ex) else { throw .malformed("unknown exception code \(ex)") }
            return .exception(function: code & 0x7F, e)
        }
        guard code == request.function.rawValue else { throw .malformed("response function \(code) to request \(request.function.rawValue)") }
        switch request {
        case .readCoils(_, let q), .readDiscreteInputs(_, let q):
            guard let count = b.readInteger(as: UInt8.self), Int(count) == (Int(q) + 7) / 8, let bytes = b.readBytes(length: Int(count)) else {
                throw .malformed("bit response of the wrong length")
            }
            return .bits(request.function, (0..<Int(q)).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 })
        case .readHoldingRegisters(_, let q), .readInputRegisters(_, let q):
            guard let count = b.readInteger(as: UInt8.self), Int(count) == Int(q) * 2, b.readableBytes >= Int(count) else {
                throw .malformed("register response of the wrong length")
            }
            return .registers(request.function, (0..<Int(q)).map { _ in b.readInteger(as: UInt16.self)! })
        case .writeSingleCoil:
            guard let a = b.readInteger(as: UInt16.self), let v = b.readInteger(as: UInt16.self) else { throw .malformed("short echo") }
            return .writeSingleCoil(address: a, value: v == 0xFF00)
        case .writeSingleRegister:
            guard let a = b.readInteger(as: UInt16.self), let v = b.readInteger(as: UInt16.self) else { throw .malformed("short echo") }
            return .writeSingleRegister(address: a, value: v)
        case .writeMultipleCoils, .writeMultipleRegisters:
            guard let a = b.readInteger(as: UInt16.self), let q = b.readInteger(as: UInt16.self) else { throw .malformed("short echo") }
            return .writeMultiple(request.function, address: a, quantity: q)
        }
    }

    static func packBits(_ bits: [Bool]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, bit) in bits.enumerated() where bit { bytes[i / 8] |= 1 << UInt8(i % 8) }
        return bytes
    }
}

/// A framing or protocol error with context.
public enum ModbusError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case exception(ExceptionCode)
    case timeout
    case connection(String)

    public var description: String {
        switch self {
        case .malformed(let m): "malformed Modbus data: \(m)"
        case .exception(let e): "Modbus exception \(e.rawValue) (\(e))"
        case .timeout: "Modbus request timed out"
        case .connection(let m): "Modbus connection: \(m)"
        }
    }
}
