import Boards
import Testing

@Suite struct PCSCCardReadingTests {
    // MARK: GET DATA (PC/SC Part 3 v2.02.00 §3.2.2.1.3)

    @Test func getDataAsksTheReaderForTheWholeUID() {
        #expect(PCSC.getUIDCommand == [0xFF, 0xCA, 0x00, 0x00, 0x00])
    }

    @Test(arguments: [[0x04, 0xA1, 0xB2, 0xC3], [0x04, 0x56, 0x7D, 0xAA, 0x5F, 0x35, 0x80], [0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09]] as [[UInt8]])
    func uidsOfISO14443Lengths(uid: [UInt8]) throws {
        #expect(try PCSC.uid(fromGetDataResponse: uid + [0x90, 0x00]) == uid)
    }

    @Test func otherLengthsAreRefused() {
        #expect(throws: PCSC.UIDError.length(8)) { try PCSC.uid(fromGetDataResponse: [1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00]) }
        #expect(throws: PCSC.UIDError.length(0)) { try PCSC.uid(fromGetDataResponse: [0x90, 0x00]) }
        // FeliCa's 8-byte IDm is no ISO/IEC 14443 UID.
        #expect(throws: PCSC.UIDError.length(5)) { try PCSC.uid(fromGetDataResponse: [1, 2, 3, 4, 5, 0x90, 0x00]) }
    }

    @Test func statusWordsOtherThan9000AreRefusedWithTheirMeaning() {
        #expect(throws: PCSC.UIDError.status(sw1: 0x6A, sw2: 0x81)) { try PCSC.uid(fromGetDataResponse: [0x6A, 0x81]) }
        #expect(throws: PCSC.UIDError.status(sw1: 0x62, sw2: 0x82)) { try PCSC.uid(fromGetDataResponse: [0x04, 0xA1, 0xB2, 0xC3, 0x62, 0x82]) }
        #expect(PCSC.UIDError.status(sw1: 0x6A, sw2: 0x81).description == "the reader answered GET DATA with status 6A 81 (function not supported by this reader)")
        #expect(PCSC.statusMeaning(sw1: 0x6C, sw2: 0x07) == "wrong length, the UID has 7 bytes")
        #expect(PCSC.statusMeaning(sw1: 0x63, sw2: 0x00) == "the operation failed: no card answered")
    }

    @Test func truncatedAnswers() {
        #expect(throws: PCSC.UIDError.truncated(count: 1)) { try PCSC.uid(fromGetDataResponse: [0x90]) }
        #expect(throws: PCSC.UIDError.truncated(count: 0)) { try PCSC.uid(fromGetDataResponse: []) }
    }

    // MARK: readers, states, result codes

    @Test func readerNamesFromTheMultiString() {
        let bytes = Array("ACS ACR122U PICC Interface 00 00\u{0}Virtual PCD 00 01\u{0}\u{0}".utf8)
        #expect(PCSC.readerNames(multiString: bytes) == ["ACS ACR122U PICC Interface 00 00", "Virtual PCD 00 01"])
        #expect(PCSC.readerNames(multiString: [0]) == [])
        #expect(PCSC.readerNames(multiString: Array("no terminator".utf8)) == ["no terminator"])
    }

    @Test func theReaderIsChosenByAPartOfItsName() {
        let names = ["Virtual PCD 00 00", "Virtual PCD 00 01", "ACS ACR122U PICC Interface 01 00"]
        #expect(PCSC.chooseReader(names, containing: "") == "Virtual PCD 00 00")
        #expect(PCSC.chooseReader(names, containing: "acr122") == "ACS ACR122U PICC Interface 01 00")
        #expect(PCSC.chooseReader(names, containing: "00 01") == "Virtual PCD 00 01")
        #expect(PCSC.chooseReader(names, containing: "Omnikey") == nil)
        #expect(PCSC.chooseReader([], containing: "") == nil)
    }

    @Test func readerStateFlags() {
        // The high 16 bits count card events (pcsc-lite); CHANGED is not handed back.
        #expect(PCSCReaderState(0x0003_0022).observation == .present)
        #expect(PCSCReaderState(0x0003_0022).current == 0x0003_0020)
        #expect(PCSCReaderState(0x0004_0012).observation == .empty)
        #expect(PCSCReaderState(0x0220).observation == .present)  // a mute card is on the reader; reading it fails
        #expect(PCSCReaderState(0x000E).observation == .readerMissing("the reader is gone (unplugged, or its driver stopped)"))
        #expect(PCSCReaderState(0x0008).observation != .empty)
    }

    @Test func resultCodes() {
        #expect(PCSCResult(code: 0) == .success)
        #expect(PCSCResult(code: 0x8010_001D) == .noService)
        #expect(PCSCResult(code: 0x8010_001D).serviceLost)
        #expect(PCSCResult(code: 0x8010_001E).serviceLost)
        #expect(PCSCResult(code: 0x8010_0009).readerLost)
        #expect(PCSCResult(code: 0x8010_002E).readerLost)
        #expect(PCSCResult(code: 0x8010_000A) == .timeout)
        #expect(PCSCResult(code: 0x8010_0069) == .removedCard)
        #expect(PCSCResult(code: 0x8010_0099) == .other(0x8010_0099))
        #expect("\(PCSCResult(code: 0x8010_0099))" == "PC/SC error 0x80100099")
        #expect("\(PCSCResult.noService)" == "the PC/SC service (pcscd) is not running")
    }

    // MARK: one read per presentation

    @Test func aCardIsReadOncePerPresentation() {
        var p = CardPresence()
        #expect(p.healthy)
        #expect(p.observe(.empty) == [])
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.success([4, 0xA1, 0xB2, 0xC3])) == [.deliver([4, 0xA1, 0xB2, 0xC3])])
        // Left on the reader: not read again.
        #expect(p.observe(.present) == [])
        #expect(p.observe(.present) == [])
        #expect(p.state == .done)
        // Taken away and presented again: read again.
        #expect(p.observe(.empty) == [])
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.success([4, 0xA1, 0xB2, 0xC3])) == [.deliver([4, 0xA1, 0xB2, 0xC3])])
    }

    @Test func aCardThatCannotBeReadIsTriedThreeTimesThenRefusedOnce() {
        var p = CardPresence()
        let bad = CardPresence.ReadFailure(PCSC.UIDError.length(8).description)
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.failure(bad)) == [])
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.failure(bad)) == [])
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.failure(bad)) == [.log(.warning, "card refused after 3 attempts: the card's UID has 8 byte(s); ISO/IEC 14443 UIDs have 4, 7 or 10; take it away and present it again")])
        #expect(p.observe(.present) == [])
        #expect(p.healthy)
        #expect(p.observe(.empty) == [])
        #expect(p.observe(.present) == [.readCard])
    }

    @Test func aCardTakenAwayDuringTheReadIsNoFailure() {
        var p = CardPresence()
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.failure(.init("the card was removed", cardGone: true))) == [])
        #expect(p.state == .empty)
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.success([1, 2, 3, 4])) == [.deliver([1, 2, 3, 4])])
    }

    @Test func aMissingReaderIsUnhealthyAndLoggedOnceThenReadsAgain() {
        var p = CardPresence()
        #expect(p.observe(.present) == [.readCard])
        #expect(p.read(.success([1, 2, 3, 4])) == [.deliver([1, 2, 3, 4])])
        #expect(p.observe(.readerMissing("the PC/SC service (pcscd) stopped")) == [.log(.error, "RFID reader not communicating: the PC/SC service (pcscd) stopped")])
        #expect(!p.healthy)
        #expect(p.observe(.readerMissing("no reader")) == [])
        #expect(!p.healthy)
        // A read in flight when the reader went away changes nothing.
        #expect(p.read(.success([9, 9, 9, 9])) == [])
        // Back, with a card on it: healthy, and the card is read.
        #expect(p.observe(.present) == [.log(.notice, "RFID reader communicating again"), .readCard])
        #expect(p.healthy)
        #expect(p.read(.success([1, 2, 3, 4])) == [.deliver([1, 2, 3, 4])])
    }

    @Test func aReaderMissingAtFirstIsUnhealthyUntilFound() {
        var p = CardPresence(readerFound: false)
        #expect(!p.healthy)
        #expect(p.observe(.empty) == [.log(.notice, "RFID reader communicating again")])
        #expect(p.healthy)
    }
}
