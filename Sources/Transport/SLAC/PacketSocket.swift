#if canImport(Glibc)
import Glibc
#endif
import SLAC
import Synchronization

/// The packet socket could not be opened on the powerline modem's interface: the message names the interface and what
/// to check.
public struct PacketSocketError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A raw Ethernet socket (AF_PACKET, SOCK_RAW) bound to one interface and one ethertype — HomePlug AV's 0x88E1 for SLAC.
/// Frames are read whole by a blocking `receive()` on a dedicated thread (poll(2) on the socket and a pipe that
/// `close()` writes to: no busy loop); `send` writes one frame per call. Opening it needs root or CAP_NET_RAW.
///
/// Sendable by hand: every stored property is a constant (the descriptors are closed only in `deinit`, once the reader
/// thread has let go of the socket) or behind a Mutex.
///
/// - SeeAlso: packet(7) (sockaddr_ll, PACKET_OUTGOING, the device address in getsockname's sll_addr).
public final class PacketSocket: @unchecked Sendable {
    public let interface: String
    public let interfaceIndex: Int32
    /// The interface's own MAC address (the host side of the modem link).
    public let address: MACAddress
    private let fd: Int32
    private let wake: Int32
    private let wakeWrite: Int32
    private let closed = Mutex(false)

    public init(interface: String, ethertype: UInt16 = MMEFrame.ethertype) throws(PacketSocketError) {
        guard !interface.isEmpty, interface.utf8.count < Int(IF_NAMESIZE) else {
            throw PacketSocketError("PLC interface '\(interface)': not a valid interface name (1 to 15 characters)")
        }
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw PacketSocketError("PLC interface \(interface) does not exist: check plcInterface in the board description and `ip link` "
                                    + "(the powerline modem's Ethernet or SPI interface, e.g. eth1 or qca0)")
        }
        let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(ethertype.bigEndian))
        guard s >= 0 else {
            let e = errno
            let hint = e == EPERM || e == EACCES
                ? "the station needs root or the capability CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW)" : "check the kernel's packet socket support"
            throw PacketSocketError("cannot open a raw packet socket for PLC interface \(interface): \(String(cString: strerror(e))); \(hint)")
        }
        let sll = LinkAddress(family: UInt16(AF_PACKET), protocolBigEndian: ethertype.bigEndian, interfaceIndex: Int32(index))
        let bound = sll.bytes.withUnsafeBytes {
            bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(LinkAddress.size))
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(s)
            throw PacketSocketError("cannot bind the packet socket to PLC interface \(interface): \(reason); check that the interface is up")
        }
        var name = LinkAddress()
        var length = socklen_t(LinkAddress.size)
        let named = name.bytes.withUnsafeMutableBytes { getsockname(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }
        let mac = name.address
        guard named == 0, name.addressLength == 6, let address = MACAddress(bytes: mac) else {
            Glibc.close(s)
            throw PacketSocketError("PLC interface \(interface) has no Ethernet (6-octet) hardware address: it is not a powerline modem's interface")
        }
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(s)
            throw PacketSocketError("PLC interface \(interface): pipe failed: \(reason)")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.interface = interface; interfaceIndex = Int32(index); self.address = address; fd = s; wake = ends[0]; wakeWrite = ends[1]
    }

    deinit {
        Glibc.close(fd)
        Glibc.close(wake)
        Glibc.close(wakeWrite)
    }

    /// Sends one Ethernet frame (destination, source and ethertype included).
    public func send(_ frame: [UInt8]) throws(PacketSocketError) {
        guard !closed.withLock({ $0 }) else { throw PacketSocketError("PLC interface \(interface): the socket is closed") }
        let sent = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == frame.count else {
            throw PacketSocketError("PLC interface \(interface): sending a frame failed: \(sent < 0 ? String(cString: strerror(errno)) : "short write")")
        }
    }

    /// Blocks until a frame arrives (returned whole, as received) or `close()` was called (nil). Frames this host sent
    /// itself are skipped.
    public func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !closed.withLock({ $0 }) {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if fds[1].revents != 0 || closed.withLock({ $0 }) { return nil }
            guard fds[0].revents & Int16(POLLIN) != 0 else {
                if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return nil }
                continue
            }
            var from = LinkAddress()
            var length = socklen_t(LinkAddress.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                from.bytes.withUnsafeMutableBytes {
                    recvfrom(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_TRUNC), $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
                }
            }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return nil
            }
            if from.packetType == LinkAddress.outgoing { continue }
            // A frame longer than the buffer arrives cut at 2048 octets, which the decoder rejects as too long.
            return Array(buffer.prefix(min(count, buffer.count)))
        }
        return nil
    }

    /// Wakes a blocked `receive()` (which then returns nil) and refuses further sends. The descriptor closes with the
    /// object, after the reader let go of it.
    public func close() {
        guard closed.withLock({ was in defer { was = true }; return !was }) else { return }
        var one: UInt8 = 1
        _ = Glibc.write(wakeWrite, &one, 1)
    }
}

/// `struct sockaddr_ll` of <linux/if_packet.h> (packet(7)), which Glibc's Swift module does not export, as its 20 bytes:
/// family (u16, host order) at 0, protocol (network order) at 2, interface index (i32, host order) at 4, hardware type
/// at 8, packet type at 10, address length at 11, address (8 octets) at 12.
struct LinkAddress {
    static let size = 20
    /// PACKET_OUTGOING: a frame this host sent, seen by another packet socket.
    static let outgoing: UInt8 = 4
    var bytes = [UInt8](repeating: 0, count: size)

    init() {}

    init(family: UInt16, protocolBigEndian: UInt16, interfaceIndex: Int32) {
        withUnsafeBytes(of: family) { bytes.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: protocolBigEndian) { bytes.replaceSubrange(2..<4, with: $0) }
        withUnsafeBytes(of: interfaceIndex) { bytes.replaceSubrange(4..<8, with: $0) }
    }

    var packetType: UInt8 { bytes[10] }
    var addressLength: UInt8 { bytes[11] }
    var address: [UInt8] { Array(bytes[12..<18]) }
}
