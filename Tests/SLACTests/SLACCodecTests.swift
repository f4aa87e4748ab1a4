import Testing
@testable import SLAC

/// Golden frames built by hand from the message tables of ISO 15118-3:2015 Annex A (and HomePlug AV 1.1 §11.5.4/5 for
/// CM_SET_KEY): header `dst src 88E1 01 <MMTYPE little endian> 0000`, then the fields in table order.
let evMAC = MACAddress("02:00:00:00:00:01")!
let evseMAC = MACAddress("02:00:00:00:00:aa")!
let runA = RunID(bytes: [1, 2, 3, 4, 5, 6, 7, 8])!

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: max(0, 60 - bytes.count)) }

let zeros17 = String(repeating: "00", count: 17)
let nmkHex = "00112233445566778899AABBCCDDEEFF"
let nidHex = "0A0B0C0D0E0F01"
let aagHex = (0..<58).map { i -> String in let v = UInt8(20 + i % 7); return String(format2(v)) }.joined()
func format2(_ v: UInt8) -> String { let s = String(v, radix: 16); return s.count == 1 ? "0" + s : s }
let aag = hex(aagHex)

struct Golden {
    var name: String
    var frame: MMEFrame
    var bytes: [UInt8]
}

let goldens: [Golden] = {
    let nmk = NetworkMembershipKey(bytes: hex(nmkHex))!
    let nid = NetworkID(bytes: hex(nidHex))!
    let matchRequest = SlacMatchRequest(pevMAC: evMAC, evseMAC: evseMAC, runID: runA)
    return [
        Golden(name: "CM_SET_KEY.REQ",
               frame: MMEFrame(destination: .localModem, source: evseMAC, message: .setKeyRequest(SetKeyRequest(nid: nid, nmk: nmk))),
               bytes: padded(hex("00B052000001 0200000000AA 88E1 01 0860 0000" + "01 00000000 00000000 04 0000 00 00" + nidHex + "01" + nmkHex))),
        Golden(name: "CM_SET_KEY.CNF",
               frame: MMEFrame(destination: evseMAC, source: .localModem, message: .setKeyConfirm(SetKeyConfirm(result: 0))),
               bytes: padded(hex("0200000000AA 00B052000001 88E1 01 0960 0000" + "00 00000000 00000000 04 0000 00 00"))),
        Golden(name: "CM_SLAC_PARM.REQ",
               frame: MMEFrame(destination: .broadcast, source: evMAC, message: .slacParmRequest(SlacParmRequest(runID: runA))),
               bytes: padded(hex("FFFFFFFFFFFF 020000000001 88E1 01 6460 0000" + "00 00 0102030405060708"))),
        Golden(name: "CM_SLAC_PARM.CNF",
               frame: MMEFrame(destination: evMAC, source: evseMAC,
                               message: .slacParmConfirm(SlacParmConfirm(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: evMAC, runID: runA))),
               bytes: padded(hex("020000000001 0200000000AA 88E1 01 6560 0000" + "FFFFFFFFFFFF 0A 06 01 020000000001 00 00 0102030405060708"))),
        Golden(name: "CM_START_ATTEN_CHAR.IND",
               frame: MMEFrame(destination: .broadcast, source: evMAC, message: .startAttenCharIndication(
                   StartAttenCharIndication(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: evMAC, runID: runA))),
               bytes: padded(hex("FFFFFFFFFFFF 020000000001 88E1 01 6A60 0000" + "00 00 0A 06 01 020000000001 0102030405060708"))),
        Golden(name: "CM_MNBC_SOUND.IND",
               frame: MMEFrame(destination: .broadcast, source: evMAC, message: .mnbcSoundIndication(
                   MNBCSoundIndication(remainingSounds: 9, runID: runA, random: hex(nmkHex)))),
               bytes: hex("FFFFFFFFFFFF 020000000001 88E1 01 7660 0000" + "00 00" + zeros17 + "09 0102030405060708 0000000000000000" + nmkHex)),
        Golden(name: "CM_ATTEN_PROFILE.IND",
               frame: MMEFrame(destination: evseMAC, source: .localModem, message: .attenProfileIndication(AttenProfileIndication(pevMAC: evMAC, groups: aag))),
               bytes: hex("0200000000AA 00B052000001 88E1 01 8660 0000" + "020000000001 3A 00" + aagHex)),
        Golden(name: "CM_ATTEN_CHAR.IND",
               frame: MMEFrame(destination: evMAC, source: evseMAC, message: .attenCharIndication(
                   AttenCharIndication(sourceAddress: evMAC, runID: runA, numberOfSounds: 10, groups: aag))),
               bytes: hex("020000000001 0200000000AA 88E1 01 6E60 0000" + "00 00 020000000001 0102030405060708" + zeros17 + zeros17 + "0A 3A" + aagHex)),
        Golden(name: "CM_ATTEN_CHAR.RSP",
               frame: MMEFrame(destination: evseMAC, source: evMAC, message: .attenCharResponse(AttenCharResponse(sourceAddress: evMAC, runID: runA))),
               bytes: hex("0200000000AA 020000000001 88E1 01 6F60 0000" + "00 00 020000000001 0102030405060708" + zeros17 + zeros17 + "00")),
        Golden(name: "CM_VALIDATE.REQ",
               frame: MMEFrame(destination: evseMAC, source: evMAC, message: .validateRequest(ValidateRequest(timer: 0, result: 1))),
               bytes: padded(hex("0200000000AA 020000000001 88E1 01 7860 0000" + "00 00 01"))),
        Golden(name: "CM_VALIDATE.CNF",
               frame: MMEFrame(destination: evMAC, source: evseMAC, message: .validateConfirm(ValidateConfirm(toggleCount: 0, result: .notRequired))),
               bytes: padded(hex("020000000001 0200000000AA 88E1 01 7960 0000" + "00 00 04"))),
        Golden(name: "CM_SLAC_MATCH.REQ",
               frame: MMEFrame(destination: evseMAC, source: evMAC, message: .slacMatchRequest(matchRequest)),
               bytes: hex("0200000000AA 020000000001 88E1 01 7C60 0000" + "00 00 3E00" + zeros17 + "020000000001" + zeros17
                          + "0200000000AA 0102030405060708 0000000000000000")),
        Golden(name: "CM_SLAC_MATCH.CNF",
               frame: MMEFrame(destination: evMAC, source: evseMAC, message: .slacMatchConfirm(SlacMatchConfirm(answering: matchRequest, nid: nid, nmk: nmk))),
               bytes: hex("020000000001 0200000000AA 88E1 01 7D60 0000" + "00 00 5600" + zeros17 + "020000000001" + zeros17
                          + "0200000000AA 0102030405060708 0000000000000000" + nidHex + "00" + nmkHex)),
    ]
}()

@Suite struct SLACCodecTests {
    @Test(arguments: goldens.map(\.name))
    func goldenFrameEncodesAndDecodes(_ name: String) throws {
        let golden = goldens.first { $0.name == name }!
        #expect(golden.frame.encoded() == golden.bytes)
        #expect(try MMEFrame.decode(golden.bytes) == golden.frame)
        #expect(golden.frame.message.mmType.description == name)
    }

    @Test func mmTypeVariants() {
        let type = MMType(rawValue: 0x606F)
        #expect(type.base == 0x606C)
        #expect(type.variant == .response)
        #expect(MMType(base: MMType.slacMatch, .confirm).rawValue == 0x607D)
        #expect(MMType(rawValue: 0xA0B8).description == "MMTYPE 0xA0B8")
    }

    /// The NID of HomePlug AV's default NMK (the key of the password "HomePlugAV") is the well-known B0F2E695666B03.
    @Test func nidDerivedFromNMK() {
        let nmk = NetworkMembershipKey(bytes: hex("50D3E4933F855B7040784DF815AA8DB7"))!
        #expect(NetworkID.derived(from: nmk).bytes == hex("B0F2E695666B03"))
        #expect(NetworkID.derived(from: nmk, securityLevel: 1).bytes.last == 0x13)
        #expect(!"\(nmk)".contains("50"))
    }

    @Test func errorsNameTheField() {
        func error(_ bytes: [UInt8]) -> SLACFrameError? {
            do { _ = try MMEFrame.decode(bytes); return nil } catch { return error }
        }
        let parm = goldens[2].bytes
        #expect(error(Array(parm.prefix(5)))?.field == "destination address")
        #expect(error(Array(parm.prefix(13)))?.field == "ethertype")
        var wrongType = parm; wrongType[12] = 0x08; wrongType[13] = 0x00
        #expect(error(wrongType)?.field == "ethertype")
        var wrongVersion = parm; wrongVersion[14] = 0x00
        #expect(error(wrongVersion)?.field == "MMV")
        var fragmented = parm; fragmented[17] = 0x10
        #expect(error(fragmented)?.field == "FMI")
        var vendor = parm; vendor[15] = 0xB8; vendor[16] = 0xA0
        #expect(error(vendor)?.field == "MMTYPE")
        #expect(error(Array(parm.prefix(25)))?.field == "RunID")
        let match = goldens[11].bytes
        var badLength = match; badLength[21] = 0x3F
        #expect(error(badLength)?.field == "MVFLength")
        #expect(error(Array(match.prefix(match.count - 1)))?.field == "RSVD")
        #expect(error(match + [0])?.field == "frame length")
        #expect(error(parm + [UInt8](repeating: 0, count: 1500))?.field == "frame length")
        let profile = goldens[6].bytes
        #expect(error(Array(profile.prefix(70)))?.field == "AAG")
        #expect(error(Array(goldens[0].bytes.prefix(36)))?.field == "NID")
        var keyType = goldens[0].bytes; keyType[19] = 0x02
        #expect(error(keyType)?.field == "KeyType")
    }

    /// Every prefix of every golden frame: a complete message (padding may be cut) decodes to the golden; anything
    /// shorter throws. Never a trap.
    @Test func everyPrefixDecodesOrThrows() {
        for golden in goldens {
            let entryEnd = MMEFrame.headerLength + entryLength(golden)
            for length in 0...golden.bytes.count {
                let prefix = Array(golden.bytes.prefix(length))
                let decoded = try? MMEFrame.decode(prefix)
                if length >= entryEnd {
                    #expect(decoded == golden.frame, "\(golden.name) prefix \(length)")
                } else {
                    #expect(decoded == nil, "\(golden.name) prefix \(length)")
                }
            }
        }
    }

    /// Seeded mutations of the golden frames (flipped, replaced, inserted and removed octets): each decodes or throws a
    /// named field; what decodes encodes back to a frame that decodes to the same value.
    @Test func seededMutationsNeverTrap() {
        var random = SplitMix64(seed: 0x15118_3)
        var decodedCount = 0, rejected = 0
        for round in 0..<20_000 {
            var bytes = goldens[round % goldens.count].bytes
            for _ in 0...Int(random.next() % 4) {
                guard !bytes.isEmpty else { break }
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] ^= UInt8(1 << (random.next() % 8))
                case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                default: bytes.remove(at: at)
                }
            }
            let frame: MMEFrame
            do {
                frame = try MMEFrame.decode(bytes)
            } catch {
                rejected += 1
                #expect(!error.field.isEmpty)
                continue
            }
            decodedCount += 1
            #expect((try? MMEFrame.decode(frame.encoded())) == frame)
        }
        #expect(decodedCount > 1000)
        #expect(rejected > 1000)
    }

    private func entryLength(_ golden: Golden) -> Int {
        var w = ByteWriter()
        golden.frame.message.encodeEntry(into: &w)
        return w.bytes.count
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
