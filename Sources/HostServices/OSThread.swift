#if canImport(Glibc)
import Glibc
#endif

/// A thread of the operating system for blocking work — a serial line's poll loop, a child's output pipe, a raw
/// socket's receive loop — that must never take a thread of the concurrency pool or of Dispatch's shared pool.
///
/// Foundation's `Thread` did this before; it is a thin layer over `pthread_create` (POSIX.1-2017, pthread_create(3)),
/// and using pthreads directly keeps Foundation (and ICU with it) out of the binary. The thread is detached: nothing
/// joins it; whoever needs to know when it ends signals that from `body`.
public enum OSThread {
    /// Starts `body` on a new detached thread named `name` (at most 15 bytes are kept: the kernel's limit for a
    /// thread's name, shown by `top -H` and in core dumps). Fails only when the system has no thread left to give
    /// (EAGAIN), which the callers cannot recover from either.
    public static func detach(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body, name: name)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, osThreadEntry, box)
        precondition(result == 0, "pthread_create failed: \(String(cString: strerror(result)))")
        pthread_detach(thread)
    }

    /// glibc's pthread_setname_np(3) (a GNU extension the Glibc module does not import without _GNU_SOURCE).
    @_silgen_name("pthread_setname_np")
    static func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

    final class Body: Sendable {
        let run: @Sendable () -> Void
        let name: String?
        init(_ run: @escaping @Sendable () -> Void, name: String?) { self.run = run; self.name = name }
    }
}

/// The thread's start routine: takes the body ``OSThread/detach(name:_:)`` retained for it, names the thread, runs it.
private func osThreadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<OSThread.Body>.fromOpaque(raw!).takeRetainedValue()
    if let name = body.name { _ = OSThread.setThreadName(pthread_self(), String(name.utf8.prefix(15))!) }
    body.run()
    return nil
}
