#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import ModbusTCP
import Transport

/// The master of a Modbus RTU serial line (RS-485 through a USB adapter): one request at a time, each after the line's
/// inter-frame silence, its answer framed by its expected length and checked (unit id, function, CRC), a timeout per
/// request. Used only from the bus's worker thread (``DeviceWorker``); every device on the bus (an EVSE-DIN board per
/// connector, the charge meters beside them) shares the one master, so their requests never overlap.
///
/// What goes wrong never crashes and never leaves the line confused:
/// - a late answer to an earlier request, an answer from another unit or to another function, noise: skipped while
///   looking for this request's answer, and what is left in the driver's buffer is discarded before the next request;
/// - no whole answer within the timeout: ``ModbusError/timeout`` (nothing came) or ``ModbusError/malformed(_:)``
///   (bytes came, but no answer that checks);
/// - the device failing (adapter unplugged): ``ModbusError/connection(_:)``; the port is closed and the next request
///   opens it again.
///
/// - SeeAlso: Modbus over Serial Line V1.02 §2.5.1.1 (the 3.5-character silence between frames, 1.75 ms above 19200
///   baud), §2.4.1 (one request at a time: the master waits for the answer or the response timeout before the next).
public final class ModbusRTUMaster: ModbusMaster {
    public let settings: SerialSettings
    /// How long to wait for an answer beyond the time its bytes take on the line.
    public let timeoutMilliseconds: Int
    private var port: SerialPort?
    private var lastActivity = DispatchTime.now()

    /// A master for the line `settings`; the device is opened by ``openPort()`` or the first request.
    public init(_ settings: SerialSettings, timeoutMilliseconds: Int = 300) {
        self.settings = settings
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public var address: String { settings.device }

    /// Opens the device now (at start, so that a missing adapter is named before any unit is asked).
    public func openPort() throws(ModbusError) {
        if port != nil { return }
        do { port = try SerialPort(settings) } catch { throw .connection(error.description) }
        lastActivity = DispatchTime.now()
    }

    public func send(_ request: ModbusRequest, unitID: UInt8) throws(ModbusError) -> ModbusResponse {
        try openPort()
        guard let port else { throw .connection("\(settings.device) is not open") }
        let frame = RTUFrame.request(request, unitID: unitID)
        waitForSilence()
        port.discardInput()
        do {
            try port.write(frame)
            // The request's own bytes take this long on the line before the slave can start its answer.
            let txMs = Int((Double(frame.count) * settings.characterSeconds * 1000).rounded(.up))
            // The longest answer to this request, for the deadline (a register read: 5 + 2 × quantity bytes).
            let rxMs = Int((Double(Self.longestAnswer(request)) * settings.characterSeconds * 1000).rounded(.up))
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(txMs + rxMs + timeoutMilliseconds) * 1_000_000
            var received: [UInt8] = []
            while true {
                if case .answer(let pdu) = RTUResponseFinder.find(in: received, unitID: unitID, function: request.function) {
                    lastActivity = DispatchTime.now()
                    return try RTUFrame.response(pdu, to: request)
                }
                let now = DispatchTime.now().uptimeNanoseconds
                guard now < deadline else { break }
                let chunk = try port.read(maximum: 256, timeoutMilliseconds: max(1, Int((deadline - now) / 1_000_000)))
                received += chunk
                if received.count > 4096 { received.removeFirst(received.count - 4096) }
            }
            lastActivity = DispatchTime.now()
            if received.isEmpty { throw ModbusError.timeout }
            throw ModbusError.malformed("\(settings.device): no valid answer from unit \(unitID) to function \(request.function.rawValue) "
                                        + "(\(received.count) byte(s) received: wrong unit, wrong function or bad CRC)")
        } catch let e as ModbusError {
            throw e
        } catch let e as SerialPortError {
            close()
            throw .connection(e.description)
        } catch {
            close()
            throw .connection("\(settings.device): \(error)")
        }
    }

    public func close() {
        port?.close()
        port = nil
    }

    /// Waits until the line has been silent for the inter-frame time since the last frame.
    private func waitForSilence() {
        let gapNs = UInt64(RTUResponseFinder.interFrameSeconds(settings) * 1e9)
        let since = DispatchTime.now().uptimeNanoseconds &- lastActivity.uptimeNanoseconds
        if since < gapNs { usleep(UInt32((gapNs - since) / 1000) + 1) }
    }

    /// The byte count of the longest well-formed answer to `request`.
    static func longestAnswer(_ request: ModbusRequest) -> Int {
        switch request {
        case .readHoldingRegisters(_, let q), .readInputRegisters(_, let q): 5 + 2 * Int(q)
        case .readCoils(_, let q), .readDiscreteInputs(_, let q): 5 + (Int(q) + 7) / 8
        default: 8
        }
    }
}

extension ModbusMaster {
    /// Writes registers from `address` with function 16 (Write Multiple Registers; boards that take no function 6, such
    /// as the EVSE-DIN, are written this way); an exception answer throws.
    public func writeRegisters(address: UInt16, values: [UInt16], unitID: UInt8) throws(ModbusError) {
        switch try send(.writeMultipleRegisters(address: address, values: values), unitID: unitID) {
        case .writeMultiple(_, let a, let q) where a == address && Int(q) == values.count: return
        case .exception(_, let code): throw .exception(code)
        default: throw .malformed("unit \(unitID) did not confirm the write of \(values.count) register(s) at \(address)")
        }
    }
}
