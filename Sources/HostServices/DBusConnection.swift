import DBus
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix

/// The station's connection to the system message bus, through which it calls NetworkManager, ModemManager and
/// timedated (``DBusBus``). The address comes from `DBUS_SYSTEM_BUS_ADDRESS` (the first `unix:path=` or
/// `unix:abstract=` entry), else the well-known system bus socket. The connection is opened on the first call:
/// SASL EXTERNAL with the process's uid (D-Bus Specification 0.41, "Authentication Protocol"), then
/// `org.freedesktop.DBus.Hello`, as every client must. Replies are matched to calls by serial; each call has a time
/// limit (`chargekit.Bus.Timeout`); when the bus goes away, the calls waiting fail with `chargekit.Bus.Disconnected`
/// and the next call connects again. Signals are read and ignored (it subscribes to nothing); a method call addressed
/// to the station gets the error `org.freedesktop.DBus.Error.UnknownMethod`, as the specification asks of a peer that
/// does not implement it (D-Bus Specification 0.41, "Message Types"). Messages are read by DBus's strict codec: a malformed one closes the connection, never the process.
public actor DBusConnection: DBusBus {
    public static let timeoutErrorName = "chargekit.Bus.Timeout"
    public static let disconnectedErrorName = "chargekit.Bus.Disconnected"

    /// The address used: as given, else `DBUS_SYSTEM_BUS_ADDRESS`, else the system bus socket.
    public nonisolated let address: String
    public nonisolated let timeoutSeconds: Double
    let logger: Logger

    struct Link {
        let channel: any Channel
        let generation: Int
        var auth: DBusAuthClient?
        var framer = DBusFramer()
        var ready = false
    }

    struct Pending {
        let continuation: CheckedContinuation<DBusMessage, any Error>
        let timer: Task<Void, Never>
        let what: String
    }

    private var link: Link?
    private var connecting: Task<Void, any Error>?
    private var authWaiter: CheckedContinuation<Void, any Error>?
    private var pending: [UInt32: Pending] = [:]
    private var lastSerial: UInt32 = 0
    private var generation = 0
    /// The unique name the bus gave this connection (`:1.42`), once connected.
    public private(set) var uniqueName: String?
    /// Calls waiting for their reply.
    public var pendingCallCount: Int { pending.count }
    /// Whether method calls addressed to this connection are answered (with UnknownMethod); tests switch it off to make
    /// a peer that never answers.
    var answersIncomingCalls = true

    public init(address: String? = nil, timeoutSeconds: Double = 10, logger: Logger = Logger(label: "chargekit.dbus")) {
        self.address = address ?? Self.systemBusAddress()
        self.timeoutSeconds = timeoutSeconds
        self.logger = logger
    }

    /// `DBUS_SYSTEM_BUS_ADDRESS` when set and not empty, else the well-known system bus socket.
    public static func systemBusAddress(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let a = environment["DBUS_SYSTEM_BUS_ADDRESS"], !a.isEmpty { return a }
        return DBusAddress.defaultSystemBus
    }

    public func call(_ call: DBusMethodCall) async throws -> [DBusValue] {
        try await self.call(call, timeoutSeconds: timeoutSeconds)
    }

    /// A call with its own time limit.
    public func call(_ call: DBusMethodCall, timeoutSeconds: Double) async throws -> [DBusValue] {
        try await ensureConnected()
        let reply = try await send(.methodCall(call, serial: nextSerial()), timeoutSeconds: timeoutSeconds,
                                   what: "\(call.interface).\(call.member) on \(call.destination)")
        if let error = reply.error { throw error }
        return reply.body
    }

    /// Closes the connection; calls waiting fail with `chargekit.Bus.Disconnected`, the next call connects again.
    public func close() {
        if let link { lost(generation: link.generation, reason: "closed by the station") }
    }

    // MARK: connecting

    private func ensureConnected() async throws {
        if link?.ready == true { return }
        if let connecting { return try await connecting.value }
        let task = Task { try await self.connect() }
        connecting = task
        defer { connecting = nil }
        try await task.value
    }

    private func connect() async throws {
        guard let target = DBusAddress.parse(address) else {
            throw DBusError(name: Self.disconnectedErrorName, message: "no usable unix: entry in the bus address \"\(address)\"")
        }
        let fd = try Self.connectSocket(target, address: address)
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(InboundBridge(continuation: continuation)) }
                }
                .withConnectedSocket(fd).get()
        } catch {
            throw DBusError(name: Self.disconnectedErrorName, message: "the bus socket of \(address) could not be used: \(error)")
        }
        generation += 1
        let gen = generation
        let auth = DBusAuthClient(uid: getuid())
        link = Link(channel: channel, generation: gen, auth: auth)
        Task { await self.consume(stream, generation: gen) }
        do {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                authWaiter = waiter
                write(auth.start(), on: channel)
                let limit = timeoutSeconds
                Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(Int(limit * 1000)))
                    await self?.authTimedOut(generation: gen)
                }
            }
            let hello = try await send(.methodCall(DBusMethodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                                                                  interface: "org.freedesktop.DBus", member: "Hello"), serial: nextSerial()),
                                       timeoutSeconds: timeoutSeconds, what: "org.freedesktop.DBus.Hello")
            if let error = hello.error { throw error }
            guard link?.generation == gen else { throw DBusError(name: Self.disconnectedErrorName, message: "the bus closed the connection") }
            uniqueName = hello.body.first?.string
            link?.ready = true
            logger.info("D-Bus: connected to \(address) as \(uniqueName ?? "?")")
        } catch {
            lost(generation: gen, reason: "\(error)")
            throw error
        }
    }

    /// A connected unix socket, by path or in the abstract namespace (whose name is not NUL-terminated).
    static func connectSocket(_ target: DBusAddress, address: String) throws -> CInt {
        let nameBytes: [UInt8]
        switch target {
        case .unixPath(let path): nameBytes = Array(path.utf8) + [0]
        case .unixAbstract(let name): nameBytes = [0] + Array(name.utf8)
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        guard nameBytes.count <= MemoryLayout.size(ofValue: addr.sun_path) else {
            throw DBusError(name: disconnectedErrorName, message: "the bus socket name in \"\(address)\" is too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: nameBytes) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DBusError(name: disconnectedErrorName, message: "socket(): \(String(cString: strerror(errno)))") }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + nameBytes.count)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw DBusError(name: disconnectedErrorName, message: "cannot connect to the bus at \(address): \(reason)")
        }
        return fd
    }

    // MARK: messages

    private func nextSerial() -> UInt32 {
        lastSerial = lastSerial == UInt32.max ? 1 : lastSerial + 1
        return lastSerial
    }

    private func write(_ bytes: [UInt8], on channel: any Channel) {
        channel.writeAndFlush(ByteBuffer(bytes: bytes)).whenFailure { _ in channel.close(promise: nil) }
    }

    private func send(_ message: DBusMessage, timeoutSeconds: Double, what: String) async throws -> DBusMessage {
        let bytes: [UInt8]
        do { bytes = try message.encoded() } catch {
            throw DBusError(name: "chargekit.Bus.InvalidArguments", message: "\(what): \(error)")
        }
        guard let channel = link?.channel else { throw DBusError(name: Self.disconnectedErrorName, message: "not connected to the bus") }
        let serial = message.serial
        return try await withCheckedThrowingContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(Int(timeoutSeconds * 1000)))
                if Task.isCancelled { return }
                await self?.expire(serial: serial, afterSeconds: timeoutSeconds)
            }
            pending[serial] = Pending(continuation: continuation, timer: timer, what: what)
            write(bytes, on: channel)
        }
    }

    private func expire(serial: UInt32, afterSeconds: Double) {
        guard let p = pending.removeValue(forKey: serial) else { return }
        p.continuation.resume(throwing: DBusError(name: Self.timeoutErrorName, message: "no reply to \(p.what) within \(afterSeconds) s"))
    }

    private func authTimedOut(generation gen: Int) {
        guard link?.generation == gen, link?.auth != nil else { return }
        lost(generation: gen, reason: "the bus did not finish authentication within \(timeoutSeconds) s")
    }

    private func consume(_ stream: AsyncThrowingStream<[UInt8], any Error>, generation gen: Int) async {
        do {
            for try await chunk in stream {
                try received(chunk, generation: gen)
            }
            lost(generation: gen, reason: "the bus closed the connection")
        } catch {
            lost(generation: gen, reason: "\(error)")
        }
    }

    private func received(_ chunk: [UInt8], generation gen: Int) throws {
        guard var current = link, current.generation == gen else { return }
        var bytes = chunk
        if var auth = current.auth {
            bytes = []
            for event in try auth.receive(chunk) {
                switch event {
                case .send(let out): write(out, on: current.channel)
                case .authenticated(_, let leftover):
                    current.auth = nil
                    bytes = leftover
                    authWaiter?.resume()
                    authWaiter = nil
                }
            }
            if current.auth != nil { current.auth = auth }
        }
        current.framer.append(bytes)
        var messages: [DBusMessage] = []
        while let m = try current.framer.next() { messages.append(m) }
        link = current
        for m in messages { dispatch(m) }
    }

    private func dispatch(_ message: DBusMessage) {
        if message.type == .methodCall, answersIncomingCalls, !message.flags.contains(.noReplyExpected), let sender = message.sender,
           let channel = link?.channel {
            let refusal = DBusMessage(type: .error, serial: nextSerial(), errorName: "org.freedesktop.DBus.Error.UnknownMethod",
                                      replySerial: message.serial, destination: sender,
                                      body: [.string("ChargeKit serves no methods (\(message.interface ?? "").\(message.member ?? ""))")])
            if let bytes = try? refusal.encoded() { write(bytes, on: channel) }
            return
        }
        guard message.type == .methodReturn || message.type == .error, let replySerial = message.replySerial,
              let p = pending.removeValue(forKey: replySerial) else { return }
        p.timer.cancel()
        p.continuation.resume(returning: message)
    }

    private func lost(generation gen: Int, reason: String) {
        guard let current = link, current.generation == gen else { return }
        let wasReady = current.ready
        link = nil
        uniqueName = nil
        current.channel.close(promise: nil)
        let error = DBusError(name: Self.disconnectedErrorName, message: "connection to the bus at \(address) lost: \(reason)")
        authWaiter?.resume(throwing: error)
        authWaiter = nil
        let waiting = pending
        pending = [:]
        for p in waiting.values {
            p.timer.cancel()
            p.continuation.resume(throwing: error)
        }
        if wasReady { logger.warning("D-Bus: \(error.message)") }
    }
}

/// Hands the bytes read from the socket to the connection's actor, in order, and tells it when the socket closed.
private final class InboundBridge: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation

    init(continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        continuation.yield(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
