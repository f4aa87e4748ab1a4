import NIOCore
import NIOTestUtils
import Testing
@testable import ModbusTCP

@Suite("Modbus codec")
struct ModbusCodecTests {
    func pdu(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test("request PDUs decode, and malformed ones give the exception a server must answer", arguments: [
        ([0x03, 0x00, 0x64, 0x00, 0x02], "ok"),
        ([0x03, 0x00, 0x64, 0x00, 0x7D], "ok"),
        ([0x03, 0x00, 0x64, 0x00, 0x7E], "3"),
        ([0x03, 0x00, 0x64, 0x00, 0x00], "3"),
        ([0x04, 0xFF, 0xFF, 0x00, 0x02], "2"),
        ([0x03, 0x00, 0x64, 0x00], "3"),
        ([0x06, 0x03, 0xE8, 0x00, 0x10], "ok"),
        ([0x10, 0x03, 0xE8, 0x00, 0x01, 0x02, 0x00, 0x10], "ok"),
        ([0x10, 0x03, 0xE8, 0x00, 0x02, 0x02, 0x00, 0x10], "3"),
        ([0x10, 0x03, 0xE8, 0x00, 0x7C, 0xF8] + Array(repeating: 0, count: 248), "3"),
        ([0x05, 0x00, 0x01, 0xFF, 0x00], "ok"),
        ([0x05, 0x00, 0x01, 0x12, 0x34], "3"),
        ([0x0F, 0x00, 0x00, 0x00, 0x0A, 0x02, 0xFF, 0x03], "ok"),
        ([0x2B, 0x0E, 0x01, 0x00], "1"),
        ([], "1"),
    ] as [([UInt8], String)])
    func requests(bytes: [UInt8], expected: String) {
        switch PDUCodec.decodeRequest(pdu(bytes)) {
        case .success(let r):
            #expect(expected == "ok")
            var b = ByteBuffer()
            PDUCodec.encode(r, into: &b)
            #expect(Array(b.readableBytesView) == bytes, "re-encodes to the same bytes")
        case .failure(let e):
            #expect(String(e.rawValue) == expected)
        }
    }

    @Test("responses round-trip through the client decoder")
    func responses() throws {
        let cases: [(ModbusRequest, ModbusResponse)] = [
            (.readHoldingRegisters(address: 100, quantity: 3), .registers(.readHoldingRegisters, [0x3532, 0x2E32, 0xEBEE])),
            (.readCoils(address: 0, quantity: 10), .bits(.readCoils, [true, false, true, true, false, false, false, false, true, true])),
            (.writeSingleRegister(address: 1000, value: 16), .writeSingleRegister(address: 1000, value: 16)),
            (.writeMultipleRegisters(address: 1110, values: Array(repeating: 0x2020, count: 10)), .writeMultiple(.writeMultipleRegisters, address: 1110, quantity: 10)),
            (.readHoldingRegisters(address: 1001, quantity: 1), .exception(function: 3, .illegalDataAddress)),
            (.readDiscreteInputs(address: 0, quantity: 8), .bits(.readDiscreteInputs, [Bool](repeating: true, count: 8))),
            (.readCoils(address: 0, quantity: 1), .bits(.readCoils, [true])),
            (.writeSingleCoil(address: 3, value: true), .writeSingleCoil(address: 3, value: true)),
            (.writeMultipleRegisters(address: 10, values: [1, 2, 3]), .writeMultiple(.writeMultipleRegisters, address: 10, quantity: 3)),
            (.writeMultipleCoils(address: 10, values: [true, false]), .writeMultiple(.writeMultipleCoils, address: 10, quantity: 2)),
        ]
        for (request, response) in cases {
            var b = ByteBuffer()
            PDUCodec.encode(response, into: &b)
            #expect(try PDUCodec.decodeResponse(b, to: request) == response)
        }
        #expect(throws: ModbusError.self) { try PDUCodec.decodeResponse(ByteBuffer(bytes: [0x03, 0x04, 0x00]), to: .readHoldingRegisters(address: 0, quantity: 2)) }
    }

    @Test("MBAP frames: nil for partial input, frames for concatenated input, errors for garbage")
    func frames() throws {
        let frame: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0xFF, 0x03, 0x00, 0x64, 0x00, 0x02]
        for cut in 0..<frame.count {
            var partial = ByteBuffer(bytes: frame.prefix(cut))
            #expect(try ModbusTCPFrame.parse(&partial) == nil)
        }
        var two = ByteBuffer(bytes: frame + frame)
        let first = try #require(try ModbusTCPFrame.parse(&two))
        #expect(first.transactionID == 1 && first.unitID == 255 && Array(first.pdu.readableBytesView) == [0x03, 0x00, 0x64, 0x00, 0x02])
        #expect(try ModbusTCPFrame.parse(&two) != nil)
        #expect(two.readableBytes == 0)
        var badProtocol = ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0xFF, 0x03, 0x00, 0x64, 0x00, 0x02])
        #expect(throws: ModbusError.self) { try ModbusTCPFrame.parse(&badProtocol) }
        var badLength = ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0xFF])
        #expect(throws: ModbusError.self) { try ModbusTCPFrame.parse(&badLength) }
        var roundTrip = ByteBuffer()
        first.write(into: &roundTrip)
        #expect(Array(roundTrip.readableBytesView) == frame)
    }

    @Test("a response ADU is written in one buffer: MBAP header with the length of the PDU behind it, as a client decodes it")
    func responseADU() throws {
        let registers = (0..<125).map { UInt16($0 * 0x0101) }
        let cases: [(ModbusRequest, ModbusResponse)] = [
            (.readHoldingRegisters(address: 0, quantity: 125), .registers(.readHoldingRegisters, registers)),
            (.readCoils(address: 0, quantity: 10), .bits(.readCoils, [true, false, true, true, false, false, false, false, true, true])),
            (.writeSingleRegister(address: 1000, value: 16), .writeSingleRegister(address: 1000, value: 16)),
            (.readHoldingRegisters(address: 1001, quantity: 1), .exception(function: 3, .illegalDataAddress)),
            (.readDiscreteInputs(address: 0, quantity: 8), .bits(.readDiscreteInputs, [Bool](repeating: true, count: 8))),
            (.readCoils(address: 0, quantity: 1), .bits(.readCoils, [true])),
            (.writeSingleCoil(address: 3, value: true), .writeSingleCoil(address: 3, value: true)),
            (.writeMultipleRegisters(address: 10, values: [1, 2, 3]), .writeMultiple(.writeMultipleRegisters, address: 10, quantity: 3)),
            (.writeMultipleCoils(address: 10, values: [true, false]), .writeMultiple(.writeMultipleCoils, address: 10, quantity: 2)),
        ]
        for (request, response) in cases {
            var adu = ByteBuffer(bytes: [0xAA])  // a byte before: the header's length is set relative to where the ADU starts
            ModbusTCPFrame.write(transactionID: 0x1234, unitID: 7, response: response, into: &adu)
            adu.moveReaderIndex(forwardBy: 1)
            var pdu = ByteBuffer()
            PDUCodec.encode(response, into: &pdu)
            // The header is written before the PDU, its length taken from pduByteCount: both must agree with the encoder.
            #expect(response.pduByteCount == pdu.readableBytes, "\(response)")
            #expect(adu.getInteger(at: adu.readerIndex + 4, as: UInt16.self) == UInt16(pdu.readableBytes + 1))
            let frame = try #require(try ModbusTCPFrame.parse(&adu))
            #expect(adu.readableBytes == 0)
            #expect(frame.transactionID == 0x1234 && frame.unitID == 7 && frame.pdu == pdu)
            #expect(try PDUCodec.decodeResponse(frame.pdu, to: request) == response)
        }
        var pdu = ByteBuffer()
        PDUCodec.encode(.registers(.readHoldingRegisters, [0x0102, 0xA0B0]), into: &pdu)
        #expect(Array(pdu.readableBytesView) == [0x03, 0x04, 0x01, 0x02, 0xA0, 0xB0], "registers big-endian (§4.2)")
    }

    @Test("the NIO decoder handles every fragmentation (ByteToMessageDecoderVerifier)")
    func verifier() throws {
        func frame(_ tid: UInt16, _ pdu: [UInt8]) -> (ByteBuffer, [ModbusTCPFrame]) {
            let f = ModbusTCPFrame(transactionID: tid, unitID: 1, pdu: ByteBuffer(bytes: pdu))
            var b = ByteBuffer()
            f.write(into: &b)
            return (b, [f])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [frame(1, [0x03, 0x00, 0x64, 0x00, 0x02]), frame(2, [0x06, 0x03, 0xE8, 0x00, 0x10]),
                               frame(3, [0x10, 0x04, 0x56, 0x00, 0x01, 0x02, 0x41, 0x42])],
            decoderFactory: { ModbusTCPFrameDecoder() })
    }

    @Test("RTU CRC-16 (read 10 holding registers from unit 1 → CRC C5 CD)")
    func rtu() throws {
        let frame = RTUFrame.encode(unitID: 1, pdu: [0x03, 0x00, 0x00, 0x00, 0x0A])
        #expect(frame == [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD])
        #expect(try RTUFrame.decode(frame).pdu == [0x03, 0x00, 0x00, 0x00, 0x0A])
        #expect(throws: ModbusError.self) { try RTUFrame.decode([0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCE]) }
        #expect(throws: ModbusError.self) { try RTUFrame.decode([0x01, 0x03]) }
    }

    @Test("register types, word and byte orders", arguments: [
        (RegisterDefinition(200, "e", .uint32), RegisterValue.integer(73536), [0x0001, 0x1F40] as [UInt16]),
        (RegisterDefinition(200, "e", .uint32, wordOrder: .lowFirst), .integer(73536), [0x1F40, 0x0001]),
        (RegisterDefinition(111, "err", .uint32, wordOrder: .lowFirst, byteOrder: .littleEndian), .integer(0x41), [0x4100, 0x0000]),
        (RegisterDefinition(1, "i", .int16), .integer(-2), [0xFFFE]),
        (RegisterDefinition(1, "i", .int32), .integer(-2), [0xFFFF, 0xFFFE]),
        (RegisterDefinition(1, "f", .float32), .float(230.5), [0x4366, 0x8000]),
        (RegisterDefinition(1, "v", .uint16, scale: 0.1), .float(23.4), [234]),
        (RegisterDefinition(100, "fw", .ascii(registers: 2)), .text("5.22"), [0x352E, 0x3232]),
        (RegisterDefinition(100, "fw", .ascii(registers: 3)), .text("0.6"), [0x302E, 0x3600, 0x0000]),
        (RegisterDefinition(707, "t", .bcd(registers: 2)), .integer(123456), [0x0012, 0x3456]),
        (RegisterDefinition(200, "e", .uint32), .unavailable, [0xFFFF, 0xFFFF]),
        (RegisterDefinition(1, "u", .uint16), .integer(70000), [0xFFFF]),
        (RegisterDefinition(1, "q", .uint64), .integer(1 << 40), [0x0000, 0x0100, 0x0000, 0x0000]),
    ])
    func types(def: RegisterDefinition, value: RegisterValue, registers: [UInt16]) {
        #expect(def.encode(value) == registers)
        if case .integer(let v) = value, v < 65536 || def.registerCount > 1 {
            #expect(def.decode(registers) == value)
        }
    }

    @Test("a map answers reads with gaps as 0, and exception 02 outside its blocks or for write-only registers")
    func map() {
        let map = RegisterMap(definitions: [
            RegisterDefinition(100, "a", .uint16), RegisterDefinition(103, "b", .uint32),
            RegisterDefinition(110, "w", .uint16, access: .write), RegisterDefinition(120, "rw", .uint32, access: .readWrite),
        ], blocks: [100...106, 110...110, 120...121])
        let values: (RegisterDefinition) -> RegisterValue = { d in d.name == "a" ? .integer(7) : .integer(0x10002) }
        #expect(map.read(address: 100, quantity: 7, values) == .success([7, 0, 0, 1, 2, 0, 0]))
        #expect(map.read(address: 104, quantity: 1, values) == .success([2]))
        #expect(map.read(address: 100, quantity: 8, values) == .failure(.illegalDataAddress))
        #expect(map.read(address: 110, quantity: 1, values) == .failure(.illegalDataAddress))
        #expect(map.read(address: 5000, quantity: 1, values) == .failure(.illegalDataAddress))
        // By the address of each definition's first register: the same answers.
        let byAddress: (UInt16) -> RegisterValue = { $0 == 100 ? .integer(7) : .integer(0x10002) }
        #expect(map.read(address: 100, quantity: 7, valueAt: byAddress) == .success([7, 0, 0, 1, 2, 0, 0]))
        #expect(map.read(address: 104, quantity: 1, valueAt: byAddress) == .success([2]))
        #expect(map.read(address: 109, quantity: 2, valueAt: byAddress) == .failure(.illegalDataAddress))
        #expect(map.read(address: 110, quantity: 1, valueAt: byAddress) == .failure(.illegalDataAddress))
        #expect(map.read(address: 121, quantity: 1, valueAt: byAddress) == .success([2]))
        // Plain registers: clamped to 0…65535, each at its own offset, the last one of the range included.
        let plain = RegisterMap(definitions: (0..<200).map { RegisterDefinition(UInt16($0), "p\($0)", .uint16) })
        let clamped: (UInt16) -> RegisterValue = { $0 == 50 ? .integer(-1) : $0 == 51 ? .integer(70_000) : .integer(Int64($0) * 3) }
        #expect(plain.read(address: 50, quantity: 3, valueAt: clamped) == .success([0, 65535, 156]))
        #expect(plain.read(address: 75, quantity: 125, valueAt: clamped) == .success((75..<200).map { UInt16($0 * 3) }))
        #expect(plain.read(address: 76, quantity: 125, valueAt: clamped) == .failure(.illegalDataAddress))
        #expect(map.definition(at: 104)?.name == "b" && map.definition(at: 103)?.name == "b")
        #expect(map.definition(at: 102) == nil && map.definition(at: 99) == nil && map.definition(at: 122) == nil)
        #expect(map.writes(address: 110, values: [1]).map { $0.map(\.0.name) } == .success(["w"]))
        #expect(map.writes(address: 100, values: [1]).map { $0.count } == .failure(.illegalDataAddress))
        #expect(map.writes(address: 120, values: [1]).map { $0.count } == .failure(.illegalDataValue))
        #expect(map.writes(address: 121, values: [1]).map { $0.count } == .failure(.illegalDataValue))
        #expect(map.writes(address: 120, values: [0, 5]).map { $0.map(\.1) } == .success([[0, 5]]))
    }
}
