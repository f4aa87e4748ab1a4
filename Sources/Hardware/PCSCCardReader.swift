import Boards
import CPCSC
import EVSECore
import Logging

/// The RFID reader through PC/SC: any reader pcscd drives (a CCID USB reader, a serial reader with its pcsc-lite
/// driver). On its own worker thread it waits for a card with `SCardGetStatusChange` (at most ``waitMilliseconds``, so
/// that the worker can stop), reads the UID of a card placed on the reader with GET DATA (PC/SC Part 3 v2.02.00
/// §3.2.2.1.3, ``PCSC/getUIDCommand``) and leaves it in the ``BoardLink`` once per presentation; what to do when is the
/// pure ``CardPresence`` machine's. A reader that is unplugged, or a pcscd that stops, makes the reader "not
/// communicating" (``BoardLink/State/rfidHealthy``); the reader is looked for again in every poll, and reads again when it
/// is back.
///
/// - SeeAlso: pcsc-lite's winscard.h (SCardEstablishContext, SCardListReaders, SCardGetStatusChange, SCardConnect,
///   SCardTransmit), the WinSCard API of PC/SC Part 5.
final class PCSCCardReader: PolledDevice {
    /// How long one poll waits for a change of the reader: short enough for the worker to stop within its 3 s.
    static let waitMilliseconds = 250
    /// The description's `rfid.pcsc.reader`: a part of the reader's name (empty: the first reader).
    let wanted: String
    private let link: BoardLink
    private let logger = Logger(label: "chargekit.rfid")
    private var context: SCARDCONTEXT?
    /// The reader in use, and its state as last reported (0: SCARD_STATE_UNAWARE, i.e. report at once).
    private var reader: String?
    private var readerState: UInt32 = 0
    private var presence = CardPresence(readerFound: false)

    init(reader wanted: String, link: BoardLink) {
        self.wanted = wanted
        self.link = link
    }

    /// The reader at start: the PC/SC service must answer and a reader must match, or the station does not start.
    /// Returns the reader's name (for the log).
    func open() throws(BoardStartError) -> String {
        let named = wanted.isEmpty ? "PC/SC card reader" : "PC/SC card reader whose name contains \"\(wanted)\""
        if case .failure(let r) = establish() {
            throw BoardStartError("RFID reader: cannot reach the PC/SC service to look for a \(named): \(r); check that pcscd is running (systemctl status pcscd.socket), the reader is plugged in and `pcsc_scan` lists it")
        }
        switch listReaders() {
        case .failure(let r):
            throw BoardStartError("RFID reader: no \(named) (\(r)); check that the reader is plugged in, pcscd is running and `pcsc_scan` lists it")
        case .success(let names):
            guard let name = PCSC.chooseReader(names, containing: wanted) else {
                throw BoardStartError("RFID reader: no \(named); pcscd has \(names.map { "\"\($0)\"" }.joined(separator: ", ")); check rfid.pcsc.reader in the board description and `pcsc_scan`")
            }
            reader = name
            readerState = 0
            presence = CardPresence(readerFound: true)
            link.withState { $0.rfidHealthy = true }
            return name
        }
    }

    func poll() {
        let observation = look()
        var actions = presence.observe(observation)
        if actions.contains(.readCard) { actions += presence.read(readCard()) }
        var reads: [RFIDRead] = []
        for action in actions {
            switch action {
            case .readCard: break
            case .deliver(let uid):
                logger.debug("card read: UID of \(uid.count) bytes")
                reads.append(RFIDRead(uid: uid))
            case .log(.notice, let text): logger.notice("\(text)")
            case .log(.warning, let text): logger.warning("\(text)")
            case .log(.error, let text): logger.error("\(text)")
            }
        }
        let healthy = presence.healthy
        link.withState { s in
            s.rfidHealthy = healthy
            s.rfidReads += reads
        }
    }

    func close() {
        if let context { SCardReleaseContext(context) }
        context = nil
    }

    // MARK: the calls

    /// What the reader shows now: waits up to ``waitMilliseconds`` for a change.
    private func look() -> CardPresence.Observation {
        if context == nil, case .failure(let r) = establish() { return .readerMissing(r.description) }
        guard let context else { return .readerMissing("no PC/SC service") }
        if reader == nil {
            switch listReaders() {
            case .failure(let r):
                if r.serviceLost { dropContext() }
                return .readerMissing(r.description)
            case .success(let names):
                guard let name = PCSC.chooseReader(names, containing: wanted) else {
                    return .readerMissing(wanted.isEmpty ? "no reader" : "no reader whose name contains \"\(wanted)\"")
                }
                logger.notice("RFID reader: using \"\(name)\"")
                reader = name
                readerState = 0
            }
        }
        guard let reader else { return .readerMissing("no reader") }
        var eventState: UInt32 = 0
        let r: PCSCResult = reader.withCString { name in
            var state = SCARD_READERSTATE()
            state.szReader = name
            state.dwCurrentState = DWORD(readerState)
            let code = SCardGetStatusChange(context, DWORD(Self.waitMilliseconds), &state, 1)
            eventState = UInt32(truncatingIfNeeded: state.dwEventState)
            return PCSCResult(code: UInt32(truncatingIfNeeded: code))
        }
        switch r {
        case .success:
            let state = PCSCReaderState(eventState)
            readerState = state.current
            let observation = state.observation
            if case .readerMissing = observation { self.reader = nil }
            return observation
        case .timeout:
            return PCSCReaderState(readerState).observation
        default:
            if r.serviceLost { dropContext() } else { self.reader = nil }
            return .readerMissing(r.description)
        }
    }

    /// Connects to the card on the reader and asks for its UID.
    private func readCard() -> Result<[UInt8], CardPresence.ReadFailure> {
        guard let context, let reader else { return .failure(.init("no reader", cardGone: true)) }
        var card: SCARDHANDLE = 0
        var protocolInUse: DWORD = 0
        let connected = PCSCResult(code: UInt32(truncatingIfNeeded: SCardConnect(
            context, reader, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), &card, &protocolInUse)))
        guard connected == .success else { return .failure(failure(connected)) }
        defer { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        var pci = protocolInUse == DWORD(SCARD_PROTOCOL_T1) ? g_rgSCardT1Pci : g_rgSCardT0Pci
        var command = PCSC.getUIDCommand
        var answer = [UInt8](repeating: 0, count: 258)
        var length = DWORD(answer.count)
        let sent = PCSCResult(code: UInt32(truncatingIfNeeded: SCardTransmit(card, &pci, &command, DWORD(command.count), nil, &answer, &length)))
        guard sent == .success else { return .failure(failure(sent)) }
        do {
            return .success(try PCSC.uid(fromGetDataResponse: Array(answer.prefix(Int(length)))))
        } catch {
            return .failure(.init(error.description))
        }
    }

    private func failure(_ r: PCSCResult) -> CardPresence.ReadFailure {
        if r.serviceLost { dropContext() }
        return .init(r.description, cardGone: r == .noSmartcard || r == .removedCard || r.serviceLost || r.readerLost)
    }

    private func establish() -> Result<Void, PCSCResult> {
        var c: SCARDCONTEXT = 0
        let r = PCSCResult(code: UInt32(truncatingIfNeeded: SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &c)))
        guard r == .success else { return .failure(r) }
        context = c
        return .success(())
    }

    private func listReaders() -> Result<[String], PCSCResult> {
        guard let context else { return .failure(.noService) }
        var length: DWORD = 0
        var r = PCSCResult(code: UInt32(truncatingIfNeeded: SCardListReaders(context, nil, nil, &length)))
        guard r == .success else { return .failure(r) }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        r = PCSCResult(code: UInt32(truncatingIfNeeded: SCardListReaders(context, nil, &buffer, &length)))
        guard r == .success else { return .failure(r) }
        return .success(PCSC.readerNames(multiString: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }))
    }

    private func dropContext() {
        if let context { SCardReleaseContext(context) }
        context = nil
        reader = nil
    }
}
