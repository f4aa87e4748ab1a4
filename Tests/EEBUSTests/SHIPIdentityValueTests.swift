import EEBUS
import Testing

/// The SKI (RFC 5280 §4.2.1.2 method 1, SHIP TS 1.0.1 §12.2) and the `_ship._tcp` TXT record (SHIP TS 1.0.1 §7.3.2).
@Suite struct SHIPIdentityValueTests {
    @Test func theSKIIsTheSHA1OfThePublicKeyBitsInLowerCaseHex() {
        // SHA-1("abc") (FIPS 180-2 appendix A.1).
        #expect(SHIPSKI(subjectPublicKey: Array("abc".utf8)).hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test(arguments: ["A9993E364706816ABA3E25717850C26C9CD0D89D", "a999 3e36 4706 816a ba3e 2571 7850 c26c 9cd0 d89d",
                      "a9:99:3e:36:47:06:81:6a:ba:3e:25:71:78:50:c2:6c:9c:d0:d8:9d", "  a9993e364706816aba3e25717850c26c9cd0d89d  "])
    func userInputIsNormalised(input: String) throws {
        let ski = try SHIPSKI(userInput: input)
        #expect(ski.hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(ski.bytes.count == 20)
        #expect(SHIPSKI(bytes: ski.bytes) == ski)
        #expect(ski.grouped == "a999 3e36 4706 816a ba3e 2571 7850 c26c 9cd0 d89d")
    }

    @Test(arguments: [
        ("a9993e364706816aba3e25717850c26c9cd0d89", "40 hex digits (20 bytes); 39 were given"),
        ("a9993e364706816aba3e25717850c26c9cd0d89d0", "41 were given"),
        ("g9993e364706816aba3e25717850c26c9cd0d89d", "\"g\" is not one"),
        ("a9993e36.4706816aba3e25717850c26c9cd0d89d", "\".\" is not one"),
        ("", "0 were given"),
    ])
    func anythingElseIsRefusedWithAClearMessage(input: String, message: String) {
        #expect {
            _ = try SHIPSKI(userInput: input)
        } throws: { error in
            (error as? SHIPSKIError)?.description.contains(message) == true
        }
    }

    static let ski = try! SHIPSKI(userInput: "a9993e364706816aba3e25717850c26c9cd0d89d")

    @Test func theTXTRecordIsBuiltInTheOrderOfTheSpecAndReadsBack() throws {
        let info = SHIPServiceInfo(id: "ChargeKit-CK1-0001", ski: Self.ski, register: false, brand: "ChargeKit", type: "ChargingStation",
                                   model: "CK1", serial: "0001", categories: [3])
        let txt = try info.txtRecord()
        #expect(txt == ["txtvers=1", "id=ChargeKit-CK1-0001", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=false",
                        "brand=ChargeKit", "type=ChargingStation", "model=CK1", "serial=0001", "categories=3"])
        #expect(try SHIPServiceInfo(txtRecord: txt) == info)
    }

    @Test func readingIsCaseInsensitiveTakesTheFirstOccurrenceAndIgnoresUnknownKeys() throws {
        let info = try SHIPServiceInfo(txtRecord: ["TXTVERS=1", "ID=EM-1", "Path=/ship/", "SKI=A9993E364706816ABA3E25717850C26C9CD0D89D",
                                                   "register=TRUE", "brand=Acme", "brand=Other", "vendorthing=x", "cat=1,2"])
        #expect(info.id == "EM-1")
        #expect(info.ski == Self.ski)
        #expect(info.register)
        #expect(info.brand == "Acme")
        #expect(info.model == nil)
        #expect(info.categories == [1, 2])
    }

    @Test(arguments: [
        (["id=a", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=false"], "txtvers: required"),
        (["txtvers=2", "id=a", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=false"], "txtvers: \"2\" is not supported"),
        (["txtvers=1", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=false"], "id: required"),
        (["txtvers=1", "id=a", "path=/ship/", "ski=abc", "register=false"], "ski: the SKI has 40 hex digits"),
        (["txtvers=1", "id=a", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=maybe"], "register: \"maybe\" is neither"),
        (["txtvers=1", "id=a", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d"], "register: required"),
        (["txtvers=1", "id=a", "path=/ship/", "ski=a9993e364706816aba3e25717850c26c9cd0d89d", "register=true", "categories=1,x"],
         "categories: \"x\" is not a number"),
    ])
    func aBrokenTXTRecordIsRefusedNamingTheKey(txt: [String], message: String) {
        #expect {
            _ = try SHIPServiceInfo(txtRecord: txt)
        } throws: { error in
            (error as? SHIPServiceInfoError)?.description.contains(message) == true
        }
    }

    @Test func aValueTooLongForOneTXTStringIsRefusedWhenBuilding() {
        let info = SHIPServiceInfo(id: String(repeating: "x", count: 300), ski: Self.ski)
        #expect(throws: SHIPServiceInfoError.self) { _ = try info.txtRecord() }
        #expect(throws: SHIPServiceInfoError.self) { _ = try SHIPServiceInfo(id: "", ski: Self.ski).txtRecord() }
    }
}
