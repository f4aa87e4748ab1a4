import Boards
import Dispatch
import EVSECore
import ModbusTCP
import Transport

/// The link to an OpenEVSE board failed during an exchange: no answer in time, or only lines that were rejected.
struct OpenEVSELinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The OpenEVSE controller over RAPI on a serial line (115200 baud 8N1 by default: the board description's `serial`).
///
/// Written from the RAPI description in `firmware/open_evse/rapi_proc.h` of the open_evse firmware
/// (github.com/lincomatic/open_evse, RAPI 5.2.1 of firmware 8.2.1; the framing in ``RAPI``, the answers in
/// ``OpenEVSEStateReport`` and its neighbours, the state table and controls in ``OpenEVSEStateCode`` and
/// ``OpenEVSEControlPlan``). Every command carries a sequence id (RAPI 3.0.0+, firmware 4.x): an answer is taken only
/// with its command's id, so a late answer to a command that timed out is never taken for the next one's.
///
/// - ``open()``: `$GV` (the board must answer, else the start stops naming the device, its speed and what to check),
///   `$GC` (the current range, for clamping), `$GE` (the capacity in force), then `$FS`: charging stays withheld until
///   the controller releases it.
/// - ``exchange(_:)``: takes the asynchronous `$AT`/`$ST`/`$AB` lines that arrived, sends what changed in the controls
///   (``OpenEVSEControlPlan``), then polls `$GS`. An answer that does not come within ``answerTimeoutMilliseconds``
///   (the firmware's own RAPI sender waits as long, `RAPIS_TIMEOUT_MS`) throws; after
///   ``BoardDevice/silentAfterFailures`` in a row the station shows "Connector board not communicating". Garbage and
///   lines with a wrong checksum are dropped (``RAPIFramer``) and only count when no answer comes. A device error
///   (the adapter unplugged) closes the port; the next exchange opens it again.
/// - The meter: the board's `$GG` current and `$GU` energy are not used as the connector's meter. The document does
///   not say whether `$GU`'s total includes the running session (the firmware adds a session to it when the session
///   ends), and a board without the optional voltmeter computes energy from an assumed voltage (`$SV`). A station that
///   reports energy describes a charge meter for the connector (docs/hardware.md); without one the connector reads 0 Wh.
/// - When ChargeKit goes silent: the RAPI document gives the board no watchdog that stops charging. Its heartbeat
///   supervision (`$SY interval amps`, a build option that is off in the firmware's default `open_evse.h`) only lowers
///   the current to a fallback, and `$SC` never sets less than the board's minimum, so it cannot stop a session;
///   ChargeKit does not use it. The board keeps charging at the last current while the station process is gone; a
///   station that stops normally sends `$FS` in ``close()``, and a restarted one sends `$FS` in ``open()``.
public final class OpenEVSEDriver: SupervisedBoardDriver {
    /// How long an answer may take.
    public static let answerTimeoutMilliseconds = 500

    public let settings: SerialSettings
    private var port: SerialPort?
    private var framer = RAPIFramer()
    private var observation = OpenEVSEObservation()
    private var plan = OpenEVSEControlPlan()
    private var sequence: UInt8 = 0
    /// Lines rejected since the last answer, and the last reason (for the error an exchange throws).
    private var rejected = 0
    private var lastRejection: String?

    public init(settings: SerialSettings) { self.settings = settings }

    private var device: String { settings.device }

    public func open() throws(BoardStartError) -> String {
        do { port = try SerialPort(settings) } catch { throw BoardStartError("\(error)") }
        port?.discardInput()
        var version: OpenEVSEVersion?
        var why = ""
        for _ in 0..<2 where version == nil {
            do { version = try OpenEVSEVersion(transact(.getVersion)) } catch { why = "\(error)" }
        }
        guard let version else {
            close(sendingSleep: false)
            throw BoardStartError("no RAPI answer from \(device) at \(settings.baudRate) baud: check the cable, the baud rate and that the OpenEVSE firmware is 4.x or newer (\(why))")
        }
        do {
            plan.range = try? OpenEVSECurrentRange(transact(.getCurrentRange))
            if let stored = try? OpenEVSESettings(transact(.getSettings)) { observation.applyCurrentCapacity(stored.currentCapacityAmps) }
            let answer = try transact(.sleep)
            plan.acknowledged(.sleep, ok: answer.isOK)
            try poll()
        } catch {
            close(sendingSleep: false)
            throw BoardStartError("\(device) answered $GV (\(version.description)) but then: \(error)")
        }
        return version.description
    }

    public func exchange(_ controls: [SupervisedConnectorControl]) throws -> [SupervisedConnectorStatus] {
        do {
            if port == nil { try reopen() }
            try drain()
            for command in plan.commands(for: controls.first ?? SupervisedConnectorControl()) {
                let answer = try transact(command)
                if case .setCurrent = command, let set = try? OpenEVSECurrentAnswer(answer).ampsSet { observation.applyCurrentCapacity(set) }
                plan.acknowledged(command, ok: answer.isOK)
            }
            try poll()
            return [observation.status]
        } catch let error as SerialPortError {
            // The device failed (unplugged, closed): open it again in the next exchange.
            close(sendingSleep: false)
            throw error
        }
    }

    public func close() { close(sendingSleep: true) }

    private func close(sendingSleep: Bool) {
        if sendingSleep && port != nil { _ = try? transact(.sleep, timeoutMilliseconds: 200) }
        port?.close()
        port = nil
    }

    /// `$GS`, folded into the observation and compared with what the board was told.
    private func poll() throws {
        let state = try OpenEVSEStateReport(transact(.getState))
        observation.apply(state)
        plan.observe(evseState: state.evseState, currentCapacityAmps: nil)
    }

    private func reopen() throws {
        let p = try SerialPort(settings)
        p.discardInput()
        port = p
        framer = RAPIFramer()
        plan.forget()
    }

    /// Takes what arrived since the last exchange (asynchronous notifications).
    private func drain() throws {
        guard let port else { return }
        while true {
            let bytes = try port.read(timeoutMilliseconds: 0)
            if bytes.isEmpty { return }
            _ = take(bytes, awaiting: nil)
        }
    }

    /// Sends `command` and waits for the answer with its sequence id; notifications on the way are taken.
    private func transact(_ command: OpenEVSECommand, timeoutMilliseconds: Int = answerTimeoutMilliseconds) throws -> RAPIMessage {
        guard let port else { throw OpenEVSELinkError("\(device) is not open") }
        sequence = sequence == 255 ? 1 : sequence + 1
        let id = sequence
        try port.write(command.bytes(sequenceID: id))
        let deadline = Self.milliseconds() + timeoutMilliseconds
        while true {
            let remaining = deadline - Self.milliseconds()
            guard remaining > 0 else {
                let garbage = rejected > 0 ? "; \(rejected) line(s) rejected, the last: \(lastRejection ?? "")" : ""
                throw OpenEVSELinkError("\(device): no answer to $\(command.rapi.name) within \(timeoutMilliseconds) ms\(garbage)")
            }
            let bytes = try port.read(timeoutMilliseconds: remaining)
            if let answer = take(bytes, awaiting: id) {
                rejected = 0; lastRejection = nil
                return answer
            }
        }
    }

    /// Frames received bytes: notifications update the observation, the answer with sequence id `awaiting` is returned.
    private func take(_ bytes: [UInt8], awaiting id: UInt8?) -> RAPIMessage? {
        var answer: RAPIMessage?
        for output in framer.feed(bytes) {
            switch output {
            case .rejected(let why):
                rejected += 1; lastRejection = why
            case .message(let m) where m.isResponse:
                if let id, m.sequenceID == id { answer = m }  // else a late answer to an earlier command
            case .message(let m):
                notification(m)
            }
        }
        return answer
    }

    private func notification(_ m: RAPIMessage) {
        do {
            if let t = try OpenEVSETransition(m) {
                observation.apply(t)
                plan.observe(evseState: t.evseState, currentCapacityAmps: t.currentCapacityAmps)
            } else if m.name == "AB" {
                plan.forget()  // the board restarted: it knows nothing of what it was told
            }
        } catch {
            rejected += 1; lastRejection = "\(error)"
        }
    }

    private static func milliseconds() -> Int { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
}
