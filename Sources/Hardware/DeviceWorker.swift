#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import HostServices
import Synchronization

/// One device a worker polls in turn: a board, a meter. Its `poll()` does one blocking exchange and leaves the result
/// in the ``BoardLink``; it must not throw away what it could not deliver (a failure is a result too).
protocol PolledDevice: AnyObject {
    /// One exchange with the device.
    func poll()
    /// Releases the device (closes the descriptor).
    func close()
}

/// A thread of its own per link (a serial bus, a TCP connection, the card reader): it polls its devices one after the
/// other every interval, so that devices sharing a serial bus never talk at once, and a slow or silent device never
/// blocks the station's control loop or the concurrency pool.
final class DeviceWorker: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// Signalled by ``stop()``: the thread leaves its wait between two polls at once.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by the thread once its devices are closed.
    private let finished = DispatchSemaphore(value: 0)
    private let name: String

    /// Starts a thread that polls `devices` every `intervalMilliseconds` until ``stop()``.
    init(name: String, intervalMilliseconds: Int, devices: [any PolledDevice]) {
        self.name = name
        let box = UncheckedBox(devices)
        OSThread.detach(name: name) { [self] in
            let devices = box.value
            while !self.stopped.load(ordering: .acquiring) {
                let start = DispatchTime.now().uptimeNanoseconds
                for d in devices where !self.stopped.load(ordering: .acquiring) { d.poll() }
                let elapsedMs = Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                let remaining = intervalMilliseconds - elapsedMs
                if remaining > 0 { _ = self.wake.wait(timeout: .now() + .milliseconds(remaining)) }
            }
            for d in devices { d.close() }
            self.finished.signal()
        }
    }

    /// Stops the thread after its current exchange and waits (at most 3 s) until its devices are closed.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        _ = finished.wait(timeout: .now() + .seconds(3))
    }
}

/// Hands the devices, which only the worker's thread touches after start, to that thread.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
