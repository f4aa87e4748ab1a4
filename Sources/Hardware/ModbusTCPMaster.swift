#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import ModbusTCP
import NIOCore

/// A Modbus TCP client for blocking use from one device worker's thread (``DeviceWorker``): the boards and charge
/// meters reached over Ethernet (a Phoenix Contact EV Charge Control, a meter behind a Modbus TCP gateway).
///
/// One request at a time: the request goes out in an MBAP frame with a fresh transaction id, and the answer is the first
/// frame that carries that id. A frame with another id is the late answer of an earlier request that timed out and is
/// dropped; a frame with the right id from another unit is an error (a gateway mixing up its devices). The connection is
/// closed when the stream can no longer be trusted (garbage where a header should be, a partial frame at the timeout,
/// the peer closing or resetting it); the next call then connects again, so a board that was restarted or unplugged is
/// reached again without the driver doing anything. Nothing the peer sends can crash the process: every length is
/// checked by ``ModbusTCPFrame/parse(_:)`` and ``PDUCodec/decodeResponse(_:to:)`` before it is used.
///
/// - SeeAlso: Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 (MBAP header: transaction id, protocol id 0,
///   length, unit id), §4.2 (a client matches answers to requests by the transaction id); Modbus Application Protocol
///   V1.1b3 §4.1 (a PDU of at most 253 bytes).
public final class ModbusTCPMaster: ModbusMaster {
    public let host: String
    public let port: Int
    /// How long a connection attempt may take before the call fails.
    public let connectTimeoutMilliseconds: Int
    /// How long an answer may take from the moment the request was sent.
    public let requestTimeoutMilliseconds: Int
    private var fd: Int32 = -1
    private var nextTransactionID: UInt16 = 1
    private var received = ByteBuffer()

    public init(host: String, port: Int, connectTimeoutMilliseconds: Int = 2000, requestTimeoutMilliseconds: Int = 1000) {
        self.host = host
        self.port = port
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// host:port, an IPv6 address in brackets.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether a connection is open (it may still turn out broken on the next request).
    public var isConnected: Bool { fd >= 0 }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        received.clear()
    }

    /// Opens the connection unless it is open; throws ``ModbusError/connection(_:)`` naming host:port and the reason.
    public func connect() throws(ModbusError) {
        guard fd < 0 else { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(host, String(port), &hints, &list)
        guard gai == 0, let first = list else {
            throw .connection("cannot resolve \(address): \(String(cString: gai_strerror(gai)))")
        }
        defer { freeaddrinfo(list) }
        var lastReason = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            switch Self.openSocket(ai.pointee, timeoutMilliseconds: connectTimeoutMilliseconds) {
            case .success(let socket):
                fd = socket
                received.clear()
                return
            case .failure(let reason):
                lastReason = reason.description
            }
        }
        throw .connection("cannot connect to \(address): \(lastReason)")
    }

    /// A non-blocking connect bounded by poll(2); the socket stays non-blocking (every later read and write waits in
    /// poll with its own deadline).
    private static func openSocket(_ ai: addrinfo, timeoutMilliseconds: Int) -> Result<Int32, ConnectFailure> {
        let s = socket(ai.ai_family, ai.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ai.ai_protocol)
        guard s >= 0 else { return .failure(ConnectFailure(String(cString: strerror(errno)))) }
        var one: Int32 = 1
        _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(s, ai.ai_addr, ai.ai_addrlen) != 0 {
            guard errno == EINPROGRESS || errno == EINTR else {
                let reason = String(cString: strerror(errno))
                Glibc.close(s)
                return .failure(ConnectFailure(reason))
            }
            var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
            let deadline = Deadline(milliseconds: timeoutMilliseconds)
            var r: Int32
            repeat { r = poll(&p, 1, deadline.remainingMilliseconds) } while r < 0 && errno == EINTR
            guard r > 0 else {
                Glibc.close(s)
                return .failure(ConnectFailure(r == 0 ? "no answer within \(timeoutMilliseconds) ms" : String(cString: strerror(errno))))
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                Glibc.close(s)
                return .failure(ConnectFailure(String(cString: strerror(error))))
            }
        }
        return .success(s)
    }

    public func send(_ request: ModbusRequest, unitID: UInt8) throws(ModbusError) -> ModbusResponse {
        try connect()
        // A connection the peer closed while idle (a restart, its idle time-out), or one holding bytes that are no whole
        // late answer, is replaced before the request goes out.
        if !discardStale() {
            close()
            try connect()
        }
        do throws(ModbusError) {
            return try exchange(request, unitID: unitID)
        } catch {
            if case .connection = error { close() }
            throw error
        }
    }

    private func exchange(_ request: ModbusRequest, unitID: UInt8) throws(ModbusError) -> ModbusResponse {
        let transactionID = nextTransactionID
        nextTransactionID = nextTransactionID == .max ? 1 : nextTransactionID + 1
        var pdu = ByteBuffer()
        PDUCodec.encode(request, into: &pdu)
        var frame = ByteBuffer()
        ModbusTCPFrame(transactionID: transactionID, unitID: unitID, pdu: pdu).write(into: &frame)
        let deadline = Deadline(milliseconds: requestTimeoutMilliseconds)
        try write(Array(frame.readableBytesView), deadline: deadline)
        while true {
            let parsed: ModbusTCPFrame?
            do throws(ModbusError) {
                parsed = try ModbusTCPFrame.parse(&received)
            } catch {
                close()
                throw error
            }
            if let answer = parsed {
                // An earlier request's late answer: not this one's.
                guard answer.transactionID == transactionID else { continue }
                guard answer.unitID == unitID else {
                    throw .malformed("\(address): the answer to unit \(unitID) came from unit \(answer.unitID)")
                }
                return try PDUCodec.decodeResponse(answer.pdu, to: request)
            }
            guard try readSome(deadline: deadline) else {
                // A partial frame at the timeout leaves the stream's position unknown: start afresh.
                if received.readableBytes > 0 { close() }
                throw .timeout
            }
        }
    }

    /// Drops what arrived between requests (whole late answers); false when the connection cannot be used as it is: the
    /// peer closed it, or what is there is not whole frames (a partial frame, garbage), so the stream cannot be trusted.
    private func discardStale() -> Bool {
        do throws(ModbusError) {
            while try readSome(deadline: Deadline(milliseconds: 0)) {}
        } catch {
            return false
        }
        while (try? ModbusTCPFrame.parse(&received)) != nil {}
        return received.readableBytes == 0
    }

    private func write(_ bytes: [UInt8], deadline: Deadline) throws(ModbusError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno != EAGAIN && errno != EINTR {
                throw .connection("\(address): sending failed: \(String(cString: strerror(errno)))")
            }
            guard try wait(events: Int16(POLLOUT), deadline: deadline) else { throw .timeout }
        }
    }

    /// Reads what is there, waiting until the deadline; false when nothing came in time.
    private func readSome(deadline: Deadline) throws(ModbusError) -> Bool {
        guard try wait(events: Int16(POLLIN), deadline: deadline) else { return false }
        var chunk = [UInt8](repeating: 0, count: 512)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 512, 0) }
        if n > 0 {
            received.writeBytes(chunk[0..<n])
            return true
        }
        if n == 0 { throw .connection("\(address) closed the connection") }
        if errno == EAGAIN || errno == EINTR { return false }
        throw .connection("\(address): receiving failed: \(String(cString: strerror(errno)))")
    }

    private func wait(events: Int16, deadline: Deadline) throws(ModbusError) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let r = poll(&p, 1, deadline.remainingMilliseconds)
            if r > 0 {
                if p.revents & Int16(POLLNVAL) != 0 { throw .connection("\(address): the socket is closed") }
                // POLLERR / POLLHUP: the read or write that follows reports the reason (or the remaining bytes).
                return true
            }
            if r == 0 { return false }
            if errno != EINTR { throw .connection("\(address): poll failed: \(String(cString: strerror(errno)))") }
        }
    }
}

/// Why one address of a host could not be connected to.
private struct ConnectFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A point on the monotonic clock a blocking call must finish by.
struct Deadline {
    let uptimeNanoseconds: UInt64

    init(milliseconds: Int) {
        uptimeNanoseconds = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, milliseconds)) * 1_000_000
    }

    /// What is left, for poll(2): 0 once passed.
    var remainingMilliseconds: Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard uptimeNanoseconds > now else { return 0 }
        return Int32(min(UInt64(Int32.max), (uptimeNanoseconds - now + 999_999) / 1_000_000))
    }
}
