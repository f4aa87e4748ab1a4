import NIOCore

/// A Modbus TCP application data unit: MBAP header and PDU.
///
/// - SeeAlso: Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 (MBAP header: transaction id,
///   protocol id 0, length = unit id + PDU, unit id).
public struct ModbusTCPFrame: Sendable, Equatable {
    public var transactionID: UInt16
    public var unitID: UInt8
    public var pdu: ByteBuffer

    public init(transactionID: UInt16, unitID: UInt8, pdu: ByteBuffer) {
        self.transactionID = transactionID; self.unitID = unitID; self.pdu = pdu
    }

    /// Parses one frame from the front of `buffer`: nil when more bytes are needed; throws for bytes that
    /// can never become a valid frame (the connection should then be closed).
    public static func parse(_ buffer: inout ByteBuffer) throws(ModbusError) -> ModbusTCPFrame? {
        guard buffer.readableBytes >= 7,
              let tid = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let protocolID = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt16.self),
              let unit = buffer.getInteger(at: buffer.readerIndex + 6, as: UInt8.self) else { return nil }
        guard protocolID == 0 else { throw .malformed("protocol identifier \(protocolID), expected 0") }
        guard length >= 2, Int(length) <= ModbusLimits.maxPDUBytes + 1 else { throw .malformed("MBAP length \(length) outside 2…254") }
        guard buffer.readableBytes >= 6 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 7)
        let pdu = buffer.readSlice(length: Int(length) - 1)!
        return ModbusTCPFrame(transactionID: tid, unitID: unit, pdu: pdu)
    }

    /// Writes the ADU of `response` (MBAP header and PDU) into `b`: the header in one write, its length field taken from
    /// ``ModbusResponse/pduByteCount``, then the PDU straight behind it — the server's answer is one buffer the socket
    /// writes as it is. Each separate write to a `ByteBuffer` costs a capacity and uniqueness check and a dynamic
    /// exclusivity check; with a header of four writes and a length set afterwards those were a sixth of the server's own
    /// work per FC03 answer (perf, issue 31 item 3).
    public static func write(transactionID: UInt16, unitID: UInt8, response: ModbusResponse, into b: inout ByteBuffer) {
        b.writeMultipleIntegers(transactionID, UInt16(0), UInt16(response.pduByteCount + 1), unitID)
        PDUCodec.encode(response, into: &b)
    }

    /// Writes the frame.
    public func write(into b: inout ByteBuffer) {
        b.writeInteger(transactionID)
        b.writeInteger(UInt16(0))
        b.writeInteger(UInt16(pdu.readableBytes + 1))
        b.writeInteger(unitID)
        var p = pdu
        b.writeBuffer(&p)
    }
}

/// NIO decoder for Modbus TCP frames (both directions).
public struct ModbusTCPFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ModbusTCPFrame

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try ModbusTCPFrame.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// NIO encoder for Modbus TCP frames.
public struct ModbusTCPFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = ModbusTCPFrame

    public init() {}

    public func encode(data: ModbusTCPFrame, out: inout ByteBuffer) throws {
        data.write(into: &out)
    }
}

/// Modbus RTU framing: unit id, PDU, CRC-16 (low byte first), for serial lines and the gateway.
///
/// - SeeAlso: Modbus over Serial Line V1.02 §2.5.1.2 (CRC polynomial 0xA001, initial value 0xFFFF).
public enum RTUFrame {
    /// CRC-16/MODBUS of `bytes`.
    public static func crc16<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 {
                crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1
            }
        }
        return crc
    }

    /// Encodes an RTU frame.
    public static func encode(unitID: UInt8, pdu: [UInt8]) -> [UInt8] {
        var frame = [unitID] + pdu
        let crc = crc16(frame)
        frame.append(UInt8(crc & 0xFF))
        frame.append(UInt8(crc >> 8))
        return frame
    }

    /// Decodes an RTU frame; throws if it is too short or the CRC does not match.
    public static func decode(_ frame: [UInt8]) throws(ModbusError) -> (unitID: UInt8, pdu: [UInt8]) {
        guard frame.count >= 4 else { throw .malformed("RTU frame of \(frame.count) bytes") }
        let body = frame.dropLast(2)
        let crc = UInt16(frame[frame.count - 2]) | UInt16(frame[frame.count - 1]) << 8
        guard crc16(body) == crc else { throw .malformed("RTU CRC mismatch") }
        return (frame[0], Array(body.dropFirst()))
    }
}

/// Finds RTU request frames in the byte stream of a serial line. A request's length follows from its function code
/// (8 bytes for functions 1–6, 9 + byte count for 15 and 16), so frames are found without relying on the 3.5-character
/// silence, which a serial driver or a pseudo-terminal does not preserve. A frame whose CRC does not match is not
/// a frame: the first byte is dropped and the search goes on (resynchronisation after noise).
///
/// - SeeAlso: Modbus over Serial Line V1.02 §2.5.1 (RTU framing), Modbus Application Protocol V1.1b3 §6.
public struct RTURequestFramer: Sendable {
    public private(set) var buffer: [UInt8] = []
    /// Longer than any request (253-byte PDU + unit id + CRC).
    static let maximumFrame = 256

    public init() {}

    /// Appends received bytes; returns the complete frames found, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [(unitID: UInt8, pdu: [UInt8])] {
        buffer.append(contentsOf: bytes)
        var frames: [(unitID: UInt8, pdu: [UInt8])] = []
        while let length = Self.expectedLength(buffer[...]) {
            if buffer.count >= length {
                if let frame = try? RTUFrame.decode(Array(buffer[0..<length])) {
                    frames.append(frame)
                    buffer.removeFirst(length)
                } else {
                    buffer.removeFirst()
                }
                continue
            }
            // Noise that looks like the start of a long frame: a complete frame further on wins.
            guard let next = (1..<buffer.count).first(where: { Self.completeFrame(at: $0, in: buffer) }) else { break }
            buffer.removeFirst(next)
        }
        if buffer.count > Self.maximumFrame { buffer.removeFirst(buffer.count - Self.maximumFrame) }
        return frames
    }

    static func completeFrame(at offset: Int, in b: [UInt8]) -> Bool {
        guard let length = expectedLength(b[offset...]), b.count - offset >= length else { return false }
        return (try? RTUFrame.decode(Array(b[offset..<(offset + length)]))) != nil
    }

    /// Drops a partial frame (after a silence longer than a frame gap).
    public mutating func reset() { buffer = [] }

    /// The length of the request starting at the front, or nil while too few bytes are there to tell.
    static func expectedLength(_ b: ArraySlice<UInt8>) -> Int? {
        guard b.count >= 2 else { return nil }
        switch b[b.startIndex + 1] {
        case 0x0F, 0x10:
            guard b.count >= 7 else { return nil }
            return 9 + Int(b[b.startIndex + 6])
        default:
            // Functions 1–6 and, for an exception 01 answer, any other function: unit, function, 4 bytes, CRC.
            return 8
        }
    }
}

/// Finds the answer to one request in what a serial line master received. A response's length follows from the
/// request and its first bytes (Modbus Application Protocol V1.1b3 §6: functions 1–4 carry a byte count in their third
/// byte; 5, 6, 15 and 16 echo 4 bytes; an exception answer, function | 0x80, carries one exception code), so the master
/// knows when a frame is complete without timing the 3.5-character silence, which USB adapters and pseudo-terminals do
/// not keep. Bytes before the answer (a late answer to an earlier request, noise) are skipped; an answer from another
/// unit or to another function is not taken for this one.
///
/// - SeeAlso: Modbus over Serial Line V1.02 §2.5.1 (RTU framing, CRC low byte first).
public enum RTUResponseFinder {
    /// What the received bytes hold.
    public enum Outcome: Sendable, Equatable {
        /// Not yet a whole answer: keep reading.
        case incomplete
        /// The answer's PDU (function code first), CRC checked.
        case answer(pdu: [UInt8])
    }

    /// The length of the response frame to `function` (unit id, PDU, CRC) starting at `b`'s start, or nil while too few
    /// bytes are there to tell.
    public static func expectedLength(function: FunctionCode, _ b: ArraySlice<UInt8>) -> Int? {
        guard b.count >= 2 else { return nil }
        let code = b[b.startIndex + 1]
        if code & 0x80 != 0 { return 5 }
        switch function {
        case .readCoils, .readDiscreteInputs, .readHoldingRegisters, .readInputRegisters:
            guard b.count >= 3 else { return nil }
            return 5 + Int(b[b.startIndex + 2])
        case .writeSingleCoil, .writeSingleRegister, .writeMultipleCoils, .writeMultipleRegisters:
            return 8
        }
    }

    /// Looks for the answer of `unitID` to `function` in `received`.
    public static func find(in received: [UInt8], unitID: UInt8, function: FunctionCode) -> Outcome {
        var offset = 0
        while offset + 1 < received.count {
            let unit = received[offset], code = received[offset + 1]
            if unit == unitID, code & 0x7F == function.rawValue,
               let length = expectedLength(function: function, received[offset...]) {
                if received.count - offset < length { return .incomplete }
                if let frame = try? RTUFrame.decode(Array(received[offset..<(offset + length)])) { return .answer(pdu: frame.pdu) }
            }
            offset += 1
        }
        return .incomplete
    }

    /// The silence before a frame, in seconds: 3.5 character times, and a fixed 1.75 ms above 19200 baud (Modbus over
    /// Serial Line V1.02 §2.5.1.1).
    public static func interFrameSeconds(_ settings: SerialSettings) -> Double {
        settings.baudRate > 19200 ? 0.00175 : 3.5 * settings.characterSeconds
    }
}

extension RTUFrame {
    /// The RTU frame of `request` to `unitID`.
    public static func request(_ request: ModbusRequest, unitID: UInt8) -> [UInt8] {
        var pdu = ByteBuffer()
        PDUCodec.encode(request, into: &pdu)
        return encode(unitID: unitID, pdu: Array(pdu.readableBytesView))
    }

    /// Decodes a response PDU (as ``RTUResponseFinder`` found it) to `request`.
    public static func response(_ pdu: [UInt8], to request: ModbusRequest) throws(ModbusError) -> ModbusResponse {
        try PDUCodec.decodeResponse(ByteBuffer(bytes: pdu), to: request)
    }
}
