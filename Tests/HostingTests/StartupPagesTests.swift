#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Hosting

@Suite("Start-up pages of the binary")
struct StartupPagesTests {
    typealias Header = StartupPages.ProgramHeader
    static let page: UInt64 = 4096

    /// The appliance binary's layout (readelf -l): headers and Swift's reflection records (R), code (R E), the
    /// relocated read-only data (RW, all of it PT_GNU_RELRO), then .data, .rodata and .bss (RW).
    static let applianceLayout: [Header] = [
        Header(type: 6, flags: 4, virtualAddress: 0x40, memorySize: 0x268),
        Header(type: 1, flags: 4, virtualAddress: 0, memorySize: 0x113d14),
        Header(type: 1, flags: 5, virtualAddress: 0x114d40, memorySize: 0x150c2d0),
        Header(type: 1, flags: 6, virtualAddress: 0x1622010, memorySize: 0xf9ff0),
        Header(type: 1, flags: 6, virtualAddress: 0x171cb30, memorySize: 0x652320),
        Header(type: 2, flags: 6, virtualAddress: 0x171b690, memorySize: 0x230),
        Header(type: 0x6474_e552, flags: 4, virtualAddress: 0x1622010, memorySize: 0xf9ff0),
    ]

    @Test("program headers are read from their 56-byte ELF-64 entries")
    func parsesProgramHeaders() {
        var bytes = [UInt8](repeating: 0xAA, count: 56 * 2 + 20)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { bytes[offset + i] = byte } }
        }
        put(UInt32(1), at: 0); put(UInt32(5), at: 4); put(UInt64(0x1000), at: 16); put(UInt64(0x2345), at: 40)
        put(UInt32(0x6474_e552), at: 56); put(UInt32(4), at: 60); put(UInt64(0x9000), at: 72); put(UInt64(0x10), at: 96)
        let headers = bytes.withUnsafeBytes { StartupPages.programHeaders($0, count: 3) }
        // The third entry is cut short by the buffer's end: not read.
        #expect(headers == [Header(type: 1, flags: 5, virtualAddress: 0x1000, memorySize: 0x2345),
                            Header(type: 0x6474_e552, flags: 4, virtualAddress: 0x9000, memorySize: 0x10)])
    }

    @Test("only the read-only segments are released, in whole pages, at the load bias")
    func releasesReadOnlySegmentsOnly() {
        let bias: UInt64 = 0x5555_e70a_9000
        let ranges = StartupPages.releasableRanges(Self.applianceLayout, loadBias: bias, pageSize: Self.page)
        // Headers + reflection: pages 0 … 0x113000 (0x113d14 ends inside the last one, which is kept). Code: from the
        // first whole page after 0x114d40 to the last whole page before 0x1621010. Nothing of the RW segments.
        #expect(ranges == [bias..<(bias + 0x113000), (bias + 0x115000)..<(bias + 0x1621000)])
    }

    @Test("a relocated range inside a read-only segment stays, with the pages it touches")
    func keepsRelocatedRange() {
        let layout = [Header(type: 1, flags: 4, virtualAddress: 0, memorySize: 0x10000),
                      Header(type: 0x6474_e552, flags: 4, virtualAddress: 0x4010, memorySize: 0x2000)]
        #expect(StartupPages.releasableRanges(layout, loadBias: 0, pageSize: Self.page) == [0..<0x4000, 0x7000..<0x10000])
        let writableOnly = [Header(type: 1, flags: 6, virtualAddress: 0, memorySize: 0x10000)]
        #expect(StartupPages.releasableRanges(writableOnly, loadBias: 0, pageSize: Self.page).isEmpty)
    }

    #if os(Linux)
    /// Pages of `ranges` this process has mapped (/proc/self/pagemap: one 64-bit entry per page, bit 63 "present").
    static func presentPages(_ ranges: [Range<UInt64>]) -> Int {
        let descriptor = open("/proc/self/pagemap", O_RDONLY)
        guard descriptor >= 0 else { return -1 }
        defer { close(descriptor) }
        var present = 0
        for range in ranges {
            var entries = [UInt64](repeating: 0, count: range.count / Int(Self.page))
            let bytes = entries.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(range.lowerBound / Self.page * 8)) }
            guard bytes == entries.count * 8 else { return -1 }
            present += entries.filter { $0 & (1 << 63) != 0 }.count
        }
        return present
    }

    @Test("the test process's own start-up pages are released and it runs on")
    func releasesThisProcessPages() throws {
        let (headers, bias) = try #require(StartupPages.ownProgramHeaders())
        #expect(!StartupPages.hasTextRelocations(headers, loadBias: bias))
        let ranges = StartupPages.releasableRanges(headers, loadBias: bias, pageSize: Self.page)
        let before = Self.presentPages(ranges)
        #expect(before > 16)
        let release = StartupPages.release()
        let after = Self.presentPages(ranges)
        #expect(release.releasedBytes == ranges.reduce(0) { $0 + $1.count })
        #expect(release.pageCacheDropped)
        // The code that runs from here on (this test, the other tests' threads) maps its pages again as it goes.
        #expect(after < before)
        #expect(after >= 0)
    }

    /// Pages of the file at `path` in the page cache (mincore(2) on a mapping of it that is never touched).
    static func cachedPages(path: String, bytes: Int) -> Int {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return -1 }
        defer { close(descriptor) }
        guard let mapping = mmap(nil, bytes, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else { return -1 }
        defer { munmap(mapping, bytes) }
        var resident = [UInt8](repeating: 0, count: bytes / Int(Self.page))
        guard mincore(mapping, bytes, &resident) == 0 else { return -1 }
        return resident.filter { $0 & 1 != 0 }.count
    }

    @Test("a file's page cache is dropped, and the file is unchanged")
    func dropsPageCache() throws {
        // Beside the test binary: a disk file system (a tmpfs /tmp keeps its pages, it has no other copy).
        var executable = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &executable, executable.count - 1)
        try #require(length > 0)
        let directory = String(decoding: executable[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = directory + "/startup-pages-\(getpid()).bin"
        defer { unlink(path) }
        let bytes = 64 * Int(Self.page)
        let content = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        #expect(content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes)
        #expect(fsync(descriptor) == 0)  // clean pages: dirty ones stay until written back
        close(descriptor)
        #expect(Self.cachedPages(path: path, bytes: bytes) == 64)
        #expect(StartupPages.dropPageCache(path: path))
        #expect(Self.cachedPages(path: path, bytes: bytes) == 0)
        var readBack = [UInt8](repeating: 0, count: bytes)
        let reader = open(path, O_RDONLY)
        #expect(readBack.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) } == bytes)
        close(reader)
        #expect(readBack == content)
        #expect(!StartupPages.dropPageCache(path: directory + "/no-such-file"))
    }
    #endif
}
