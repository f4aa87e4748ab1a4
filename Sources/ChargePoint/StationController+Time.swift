#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement

extension StationController {
    /// The wall clock was stepped by `seconds` (the backend's time, the browser's): every timer of the station keeps
    /// its remaining duration — lock and wake-up pulses, the 5 s hold-off of a current increase, the vehicle connection
    /// timeout, learning mode, Authorize requests waiting for the backend, the persistence interval, the Modbus
    /// watchdog, DLM link silences and grant validity. Timestamps of what happened (sessions, events, errors) and times
    /// of day (reservations, charging profiles, scheduler windows) stay as they are (issue 21 item 6).
    public mutating func wallClockStepped(by seconds: Double) {
        func shift(_ d: Date?) -> Date? { d?.addingTimeInterval(seconds) }
        for i in connectors.indices {
            connectors[i].lockCommandedAt = shift(connectors[i].lockCommandedAt)
            connectors[i].unlockCommandedAt = shift(connectors[i].unlockCommandedAt)
            connectors[i].limitChangedAt = shift(connectors[i].limitChangedAt)
            connectors[i].resumedAt = shift(connectors[i].resumedAt)
            connectors[i].wakeUpUntil = shift(connectors[i].wakeUpUntil)
            connectors[i].unpluggedSince = shift(connectors[i].unpluggedSince)
            connectors[i].encouragementUntil = shift(connectors[i].encouragementUntil)
            connectors[i].session.shiftTimers(by: seconds)
        }
        modbus.shiftTimers(by: seconds)
        authorizationFlow.shiftTimers(by: seconds)
        unlockRequests = unlockRequests.mapValues { $0.addingTimeInterval(seconds) }
        dlmWarnings = dlmWarnings.mapValues { $0.addingTimeInterval(seconds) }
        lastPersistAt.addTimeInterval(seconds)
        for (n, limits) in externalLimits {
            externalLimits[n] = limits.mapValues { var l = $0; l.validUntil = l.validUntil?.addingTimeInterval(seconds); return l }
        }
        dlmMaster?.shiftTimers(by: seconds)
        dlmSlave?.shiftTimers(by: seconds)
        meterLoadManagement?.shiftTimers(by: seconds)
    }
}
