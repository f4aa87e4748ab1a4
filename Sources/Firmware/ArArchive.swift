/// The `ar` container a Debian binary package is (deb(5); the common ar format of ar(5) with the 60-byte member header):
/// the 8-byte magic `!<arch>\n`, then each member as a header and its data, padded to an even offset with `\n`.
///
/// ```
/// name[16] mtime[12] uid[6] gid[6] mode[8] size[10] "`\n"   — ASCII, space-padded; GNU ar ends a name with '/'
/// ```
/// Parsed with strict bounds: every header must lie inside the file, every size be decimal digits and the member's data
/// end inside the file; anything else is an ``Invalid`` naming the member and the field, never a crash (the file comes
/// from a download, an upload or a USB stick).
public struct ArArchive: Sendable, Equatable {
    public static let magic: [UInt8] = Array("!<arch>\n".utf8)
    static let headerSize = 60
    /// More members than a Debian package (3 required, a few optional) can sensibly have.
    public static let maxMembers = 16

    public struct Member: Sendable, Equatable {
        /// The member's name without GNU's trailing '/'.
        public var name: String
        /// Where its 60-byte header starts.
        public var headerOffset: Int
        /// Its data's bytes in the archive.
        public var data: Range<Int>
    }

    /// Why bytes are not a well-formed ar archive.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public var members: [Member]

    /// Parses the member headers of `bytes` (the data is not copied).
    public init(_ bytes: [UInt8]) throws(Invalid) {
        guard bytes.count >= Self.magic.count, bytes[0..<Self.magic.count].elementsEqual(Self.magic) else {
            throw Invalid("not an ar archive (a Debian package starts with '!<arch>')")
        }
        var offset = Self.magic.count
        var members: [Member] = []
        while offset < bytes.count {
            let index = members.count + 1
            guard members.count < Self.maxMembers else { throw Invalid("more than \(Self.maxMembers) members") }
            guard bytes.count - offset >= Self.headerSize else {
                throw Invalid("member \(index): the header is cut off at byte \(bytes.count) (60 bytes needed from \(offset))")
            }
            let header = bytes[offset..<(offset + Self.headerSize)]
            guard header[header.startIndex + 58] == 0x60, header[header.startIndex + 59] == 0x0A else {
                throw Invalid("member \(index): the header at byte \(offset) does not end with '`\\n'")
            }
            let name = Self.field(header, 0, 16)
            let sizeText = Self.field(header, 48, 10)
            guard !sizeText.isEmpty, sizeText.utf8.count <= 10, sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let size = Int(sizeText) else {
                throw Invalid("member \(index) ('\(name)'): the size '\(sizeText)' is not a decimal number")
            }
            let start = offset + Self.headerSize
            guard size <= bytes.count - start else {
                throw Invalid("member \(index) ('\(name)'): \(size) bytes of data, but the file ends \(bytes.count - start) bytes after its header")
            }
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Invalid("member \(index): the name is empty or not printable ASCII")
            }
            members.append(Member(name: name.hasSuffix("/") ? String(name.dropLast()) : name, headerOffset: offset, data: start..<(start + size)))
            offset = start + size + (size % 2)
        }
        self.members = members
    }

    /// A space-padded ASCII field of a member header.
    private static func field(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> String {
        let start = header.startIndex + at
        var bytes = Array(header[start..<(start + length)])
        while bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of one member to append to an archive: its header (mode 0644, owner 0, `mtime` in seconds since 1970)
    /// and its data, padded to an even length. `name` is at most 15 ASCII characters (GNU's '/' is added).
    public static func member(name: String, data: [UInt8], mtime: Int = 0) -> [UInt8] {
        precondition(name.utf8.count <= 15 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "ar member names are short ASCII")
        func pad(_ s: String, _ n: Int) -> [UInt8] { Array(s.utf8) + Array(repeating: 0x20, count: n - s.utf8.count) }
        var out = pad(name + "/", 16) + pad(String(max(0, mtime)), 12) + pad("0", 6) + pad("0", 6) + pad("100644", 8)
            + pad(String(data.count), 10) + [0x60, 0x0A]
        out += data
        if data.count % 2 == 1 { out.append(0x0A) }
        return out
    }
}
