#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Hands the kernel back the pages of the station's own binary that only its start needed (issue 31 item 2: PSS).
///
/// The kernel maps a program's code and constant data from the page cache as they are touched, and in 64 kB windows
/// (fault-around): every function that runs once at start — the command line, the database's migrations, the first
/// start's accounts, the TLS certificate, the listeners' set-up — keeps its window mapped for the life of the process,
/// counted in the station's PSS although nothing touches it again. `MADV_DONTNEED` on those mappings (madvise(2))
/// unmaps them, and what the running station still touches is mapped again at its next touch. With the appliance
/// binary's symbol order (the functions of the steady state first, then those only start runs:
/// scripts/symbol-order.sh) the windows that come back are few.
///
/// Fault-around maps every page of the window that is in the page cache, and the start (with read-ahead) or an
/// installation leaves most of the binary cached: what comes back is the windows around what runs, about twice what
/// runs. So the release also advises `MADV_RANDOM` on the same mappings (a page not in the cache is read alone, without
/// read-ahead; on its own the advice changes nothing, fault-around ignores it) and drops the binary's page cache
/// (posix_fadvise(2), `POSIX_FADV_DONTNEED`; a page another process maps stays). From then on the cache holds the
/// pages the station touches, and its mappings hold only those: PSS 15.5–16.2 → 13.6–13.8 MB on the appliance binary,
/// whether the binary was wholly cached or read after a boot (docs/testing.md, session 30). Kernels since 6.16 keep
/// reading code around a faulting page (up to the device's read-ahead, within the mapping) whatever the advice, so the
/// advice counts for the read-only data; code comes back in the 64 kB windows as before. The price is a read from
/// storage at the first touch of each page after the release: the steady state's once, and later a code path run for
/// the first time, such as the first web page opened (about 250 pages: 4 → 16 ms here).
///
/// Only mappings the process can never have written are released: the `PT_LOAD` segments without `PF_W` (code,
/// read-only data, the ELF headers and Swift's reflection records), without the `PT_GNU_RELRO` range (relocated at
/// start: its pages are the process's own, and dropping them would lose the relocations), and nothing at all when the
/// binary has text relocations (`DT_TEXTREL`). Released from a private file mapping, a page that was never written comes
/// back from the file as it was; that is what makes this safe while other threads run (madvise(2), MADV_DONTNEED).
///
/// The segments come from the program headers the kernel hands every process (`AT_PHDR`, `AT_PHNUM` in
/// `/proc/self/auxv`, getauxval(3)); their layout is the ELF-64 object file format's (System V ABI, gABI 4.1,
/// "Program Header" and "Dynamic Section").
public enum StartupPages {
    /// One ELF-64 program header (`Elf64_Phdr`, 56 bytes), the fields this needs.
    public struct ProgramHeader: Equatable, Sendable {
        public var type: UInt32
        public var flags: UInt32
        public var virtualAddress: UInt64
        public var memorySize: UInt64
    }

    static let programHeaderSize = 56
    static let loadSegment: UInt32 = 1  // PT_LOAD
    static let dynamicSegment: UInt32 = 2  // PT_DYNAMIC
    static let headersSegment: UInt32 = 6  // PT_PHDR
    static let relroSegment: UInt32 = 0x6474_e552  // PT_GNU_RELRO
    static let writableFlag: UInt32 = 2  // PF_W

    /// Program headers from their bytes (`count` entries of 56 bytes, little-endian as the machine; fewer when the
    /// bytes end early).
    public static func programHeaders(_ bytes: UnsafeRawBufferPointer, count: Int) -> [ProgramHeader] {
        (0..<min(count, bytes.count / programHeaderSize)).map { index in
            let base = index * programHeaderSize
            return ProgramHeader(type: bytes.loadUnaligned(fromByteOffset: base, as: UInt32.self),
                                 flags: bytes.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self),
                                 virtualAddress: bytes.loadUnaligned(fromByteOffset: base + 16, as: UInt64.self),
                                 memorySize: bytes.loadUnaligned(fromByteOffset: base + 40, as: UInt64.self))
        }
    }

    /// The address ranges that may be released: every `PT_LOAD` segment without `PF_W`, less the `PT_GNU_RELRO` range,
    /// shrunk to whole pages (a page the segment shares with a neighbour stays), at `loadBias` (where the binary's
    /// address 0 lies in memory). Sorted, none empty.
    public static func releasableRanges(_ headers: [ProgramHeader], loadBias: UInt64, pageSize: UInt64) -> [Range<UInt64>] {
        let relro = headers.filter { $0.type == relroSegment }.map { $0.virtualAddress..<($0.virtualAddress + $0.memorySize) }
        var ranges: [Range<UInt64>] = []
        for header in headers where header.type == loadSegment && header.flags & writableFlag == 0 {
            var pieces = [header.virtualAddress..<(header.virtualAddress + header.memorySize)]
            for hole in relro {
                // Every page the relocated range touches stays, also the ones it shares with the rest of the segment.
                let low = hole.lowerBound / pageSize * pageSize
                let high = (hole.upperBound + pageSize - 1) / pageSize * pageSize
                pieces = pieces.flatMap { piece -> [Range<UInt64>] in
                    guard piece.overlaps(low..<high) else { return [piece] }
                    return [piece.lowerBound..<max(piece.lowerBound, low), min(piece.upperBound, high)..<piece.upperBound]
                }
            }
            for piece in pieces {
                let start = (piece.lowerBound + pageSize - 1) / pageSize * pageSize
                let end = piece.upperBound / pageSize * pageSize
                if start < end { ranges.append((start + loadBias)..<(end + loadBias)) }
            }
        }
        return ranges.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// What a release did.
    public struct Release: Equatable, Sendable {
        /// Bytes of address space unmapped (0 when nothing could be: no `/proc`, no `PT_PHDR`, text relocations, or
        /// madvise refused).
        public var releasedBytes: Int
        /// Whether the kernel took the advice to drop the binary's page cache (not when the binary cannot be opened for
        /// reading, or nothing was released).
        public var pageCacheDropped: Bool
    }

    /// Releases this process's start-up pages of its own binary, from then on reads them a page at a time and drops the
    /// binary's page cache (see the type's documentation).
    @discardableResult
    public static func release() -> Release {
        #if os(Linux)
        guard let (headers, loadBias) = ownProgramHeaders(), !hasTextRelocations(headers, loadBias: loadBias) else {
            return Release(releasedBytes: 0, pageCacheDropped: false)
        }
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        var released = 0
        for range in releasableRanges(headers, loadBias: loadBias, pageSize: pageSize) {
            guard let start = UnsafeMutableRawPointer(bitPattern: UInt(range.lowerBound)) else { continue }
            // Advice only: a kernel that refuses it reads ahead as before.
            _ = madvise(start, range.count, Int32(MADV_RANDOM))
            if madvise(start, range.count, Int32(MADV_DONTNEED)) == 0 { released += range.count }
        }
        let dropped = released > 0 && dropPageCache(path: "/proc/self/exe")
        return Release(releasedBytes: released, pageCacheDropped: dropped)
        #else
        return Release(releasedBytes: 0, pageCacheDropped: false)
        #endif
    }

    /// Advises the kernel to drop the file's pages from the page cache (posix_fadvise(2), `POSIX_FADV_DONTNEED`): the
    /// clean pages no process maps go; the file is unchanged. Returns whether the file could be opened and the advice
    /// was taken (a file system without a page cache of its own, like tmpfs, takes it and keeps its pages).
    public static func dropPageCache(path: String) -> Bool {
        #if os(Linux)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED)) == 0
        #else
        return false
        #endif
    }

    #if os(Linux)
    /// The main program's headers and load bias, from the auxiliary vector (`AT_PHDR` = 3, `AT_PHNUM` = 5: pairs of
    /// 64-bit words in `/proc/self/auxv`) and the `PT_PHDR` entry, which says where the headers lie in the binary.
    static func ownProgramHeaders() -> ([ProgramHeader], UInt64)? {
        let descriptor = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var words = [UInt64](repeating: 0, count: 128)
        let bytesRead = words.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard bytesRead > 0 else { return nil }
        var address: UInt64 = 0
        var count: UInt64 = 0
        for pair in stride(from: 0, to: bytesRead / 8 - 1, by: 2) {
            if words[pair] == 3 { address = words[pair + 1] }
            if words[pair] == 5 { count = words[pair + 1] }
        }
        guard address != 0, count > 0, count < 256, let pointer = UnsafeRawPointer(bitPattern: UInt(address)) else { return nil }
        let headers = programHeaders(UnsafeRawBufferPointer(start: pointer, count: Int(count) * programHeaderSize), count: Int(count))
        guard let own = headers.first(where: { $0.type == headersSegment }), address >= own.virtualAddress else { return nil }
        return (headers, address - own.virtualAddress)
    }

    /// Whether the dynamic section (`Elf64_Dyn`: tag, value; ends at `DT_NULL`) asks for text relocations: `DT_TEXTREL`
    /// (22), or `DF_TEXTREL` (4) in `DT_FLAGS` (30). Then code pages were written at load and must stay.
    static func hasTextRelocations(_ headers: [ProgramHeader], loadBias: UInt64) -> Bool {
        guard let dynamic = headers.first(where: { $0.type == dynamicSegment }),
              let pointer = UnsafeRawPointer(bitPattern: UInt(dynamic.virtualAddress + loadBias)) else { return false }
        for entry in 0..<Int(dynamic.memorySize / 16) {
            let tag = pointer.loadUnaligned(fromByteOffset: entry * 16, as: Int64.self)
            let value = pointer.loadUnaligned(fromByteOffset: entry * 16 + 8, as: UInt64.self)
            if tag == 0 { return false }
            if tag == 22 || (tag == 30 && value & 4 != 0) { return true }
        }
        return false
    }
    #endif
}
