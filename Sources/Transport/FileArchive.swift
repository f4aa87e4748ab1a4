import CZlib
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An archive of in-memory files written as gzip-compressed tar (POSIX ustar, RFC 1952 gzip through zlib) or as ZIP: the
/// diagnostics file GetDiagnostics uploads (tar.gz) and the web interface's log download (ZIP).
public struct FileArchive: Sendable {
    public struct Entry: Sendable {
        public var path: String
        public var contents: [UInt8]
        public var modified: Date
        public init(path: String, contents: [UInt8], modified: Date) { self.path = path; self.contents = contents; self.modified = modified }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func add(_ path: String, _ text: String, modified: Date) {
        entries.append(Entry(path: path, contents: Array(text.utf8), modified: modified))
    }

    /// The uncompressed tar stream.
    public func tar() -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            out += Self.header(e)
            out += e.contents
            out += [UInt8](repeating: 0, count: (512 - e.contents.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }

    /// The gzip-compressed archive.
    public func gzipped() throws -> [UInt8] { try Self.gzip(tar()) }

    /// One ustar header block (paths up to 100 bytes; longer ones use the 155-byte prefix field).
    static func header(_ e: Entry) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ length: Int) {
            for (i, b) in s.utf8.prefix(length).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int, _ offset: Int, _ length: Int) {
            put(String(String(v, radix: 8).suffix(length - 1)).leftPadded(length - 1), offset, length - 1)
        }
        var name = e.path, prefix = ""
        if name.utf8.count > 100, let slash = name.lastIndex(of: "/") {
            prefix = String(name[..<slash]); name = String(name[name.index(after: slash)...])
        }
        put(name, 0, 100)
        octal(0o644, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(e.contents.count, 124, 12)
        octal(Int(e.modified.timeIntervalSince1970), 136, 12)
        for i in 148..<156 { h[i] = 0x20 }
        h[156] = UInt8(ascii: "0")
        put("ustar", 257, 6)
        put("00", 263, 2)
        put("chargekit", 265, 32)
        put("chargekit", 297, 32)
        put(prefix, 345, 155)
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(String(sum, radix: 8).leftPadded(6)) + "\0 ", 148, 8)
        return h
    }

    /// gzip (RFC 1952) of `input` with zlib's default compression.
    public static func gzip(_ input: [UInt8]) throws -> [UInt8] { try deflate(input, windowBits: 15 + 16) }

    /// zlib deflate of `input`: windowBits 15 + 16 selects the gzip wrapper, -15 raw deflate (ZIP entries).
    static func deflate(_ input: [UInt8], windowBits: Int32) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FileTransferError("zlib could not start compressing")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var source = input
        let status = source.withUnsafeMutableBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                stream.next_in = src.baseAddress
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw FileTransferError("zlib could not compress (status \(status))") }
        return Array(output.prefix(Int(stream.total_out)))
    }

    /// The entries as a ZIP file (PKWARE APPNOTE 6.3: local headers, deflated data, central directory, end record;
    /// UTF-8 names, no ZIP64 — a diagnostics file stays far below 4 GiB), for browsers and desktop tools that open
    /// ZIP but not tar.gz (the web interface's log download).
    public func zipped() throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ into: inout [UInt8]) { into += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: Int, _ into: inout [UInt8]) { for shift in stride(from: 0, to: 32, by: 8) { into.append(UInt8((v >> shift) & 0xFF)) } }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        for e in entries {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: e.modified)
            let dosTime = (c.hour! << 11) | (c.minute! << 5) | (c.second! / 2)
            let dosDate = ((max(1980, c.year!) - 1980) << 9) | (c.month! << 5) | c.day!
            let data = try Self.deflate(e.contents, windowBits: -15)
            let crc = e.contents.withUnsafeBufferPointer { Int(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
            let name = Array(e.path.utf8)
            let offset = out.count
            // Fields shared by the local header and the central directory entry: version needed 2.0, UTF-8 names,
            // deflate, time, date, CRC-32, sizes, name length.
            var common: [UInt8] = []
            u16(20, &common); u16(0x0800, &common); u16(8, &common); u16(dosTime, &common); u16(dosDate, &common)
            u32(crc, &common); u32(data.count, &common); u32(e.contents.count, &common); u16(name.count, &common)
            u32(0x0403_4B50, &out); out += common; u16(0, &out); out += name; out += data
            u32(0x0201_4B50, &central); u16(0x031E, &central); central += common
            u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)  // extra, comment, disk, internal attributes
            u32(0o100644 << 16, &central); u32(offset, &central); central += name
        }
        let centralOffset = out.count
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(central.count, &out); u32(centralOffset, &out); u16(0, &out)
        return out
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
