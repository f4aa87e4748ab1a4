import FoundationEssentials
import Glibc
import HostServices
import Testing

@Suite struct SystemFileTests {
    private func scratch() throws -> String {
        var template = Array("/tmp/systemfile-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw SystemFile.Failure(path: "/tmp", reason: "mkdtemp") }
        return String(cString: dir)
    }

    @Test func atomicWriteReplacesTheFileWithItsModeAndLeavesNoTemporary() throws {
        let dir = try scratch(), path = dir + "/a.conf"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SystemFile.write("old\n", to: path)
        try SystemFile.write("new\n", to: path, mode: 0o600)
        #expect(try SystemFile.readText(path) == "new\n")
        var s = stat()
        #expect(stat(path, &s) == 0 && s.st_mode & 0o777 == 0o600)
        #expect(access(path + ".tmp", F_OK) != 0)
    }

    @Test func aLinkLeftAtTheTemporaryPathIsNotWrittenThrough() throws {
        let dir = try scratch(), victim = dir + "/victim", path = dir + "/a.conf"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SystemFile.write("keep\n", to: victim)
        #expect(symlink(victim, path + ".tmp") == 0)
        try SystemFile.write("new\n", to: path)
        #expect(try SystemFile.readText(victim) == "keep\n")
        #expect(try SystemFile.readText(path) == "new\n")
    }

    @Test func aFailedWriteNamesThePathAndTheSystemsReason() {
        #expect(throws: SystemFile.Failure(path: "/nonexistent-dir/x.tmp", reason: "No such file or directory")) {
            try SystemFile.write("x", to: "/nonexistent-dir/x")
        }
        #expect(throws: SystemFile.Failure(path: "/nonexistent-dir/x", reason: "No such file or directory")) {
            try SystemFile.read("/nonexistent-dir/x")
        }
    }

    @Test func readsAtMostTheBytesAskedForAndInChunks() throws {
        let dir = try scratch(), path = dir + "/big"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = (0..<200_000).map { UInt8($0 % 251) }
        try SystemFile.write(bytes, to: path)
        #expect(try SystemFile.read(path) == bytes)
        #expect(try SystemFile.read(path, maxBytes: 10) == Array(bytes.prefix(10)))
        var seen: [UInt8] = [], pieces = 0
        try SystemFile.forEachChunk(of: path, chunkBytes: 65_536) { seen += $0; pieces += 1 }
        #expect(seen == bytes && pieces == 4)
        #expect(SystemFile.regularFile(path)?.bytes == 200_000)
        #expect(SystemFile.regularFile(dir) == nil)
        #expect(SystemFile.owner(path)?.uid == geteuid())
    }

    @Test func createDirectoryMakesTheParentsAndAcceptsAnExistingOne() throws {
        let dir = try scratch(), nested = dir + "/a/b/c"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SystemFile.createDirectory(nested, mode: 0o700)
        try SystemFile.createDirectory(nested)
        var s = stat()
        #expect(stat(nested, &s) == 0 && s.st_mode & S_IFMT == S_IFDIR && s.st_mode & 0o777 == 0o700)
        try SystemFile.write("x", to: dir + "/file")
        #expect(throws: SystemFile.Failure(path: dir + "/file", reason: "not a directory")) { try SystemFile.createDirectory(dir + "/file") }
        #expect(SystemFile.directory(of: "/a/b") == "/a" && SystemFile.directory(of: "/a") == "/" && SystemFile.directory(of: "a") == ".")
    }

    @Test func aThreadRunsItsBodyAndIsNamed() async {
        let name = await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            OSThread.detach(name: "ck-test-thread-long-name") {
                var buffer = [CChar](repeating: 0, count: 32)
                _ = prctlName(&buffer)
                done.resume(returning: String(cString: buffer))
            }
        }
        #expect(name == "ck-test-thread-")  // the kernel keeps 15 bytes
    }
}

/// The calling thread's name (pthread_getname_np(3), a GNU extension the Glibc module does not import).
@_silgen_name("pthread_getname_np") private func getName(_ thread: pthread_t, _ name: UnsafeMutablePointer<CChar>, _ length: Int) -> Int32
private func prctlName(_ buffer: inout [CChar]) -> Int32 { getName(pthread_self(), &buffer, buffer.count) }
