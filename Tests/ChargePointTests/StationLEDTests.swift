import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint

/// Issue 22 item 5: the LEDs follow the station's state as seeds/004 §6 lists it, with seeds/002 §3's blink counts.
@Suite("LED indication")
struct StationLEDTests {
    func leds(_ rig: Rig, _ n: Int = 1) -> LEDIndication? { rig.controller.snapshot(now: rig.clock.now).connectors[n - 1].leds }

    @Test("ready, authorized, charging, finishing, ready again; the ring turns for 2 s after a card")
    func session() throws {
        var rig = Rig()
        rig.run(0.2)
        #expect(leds(rig)?.state == .ready)
        try rig.card()
        rig.run(0.2)
        #expect(leds(rig) == LEDIndication(.authorized, cardRead: true))
        rig.run(2)
        #expect(leds(rig) == LEDIndication(.authorized))
        try rig.plug(1)
        rig.run(5)
        #expect(leds(rig)?.state == .charging)
        #expect(leds(rig, 2)?.state == .ready)
        try rig.card()
        rig.run(1)
        #expect(leds(rig)?.state == .reserved, "finishing: the vehicle is still connected")
        try rig.board.unplug(1)
        rig.run(1)
        #expect(leds(rig)?.state == .ready)
    }

    @Test("an unknown card blinks five times, then the connector shows its state again")
    func rejected() throws {
        var rig = Rig()
        try rig.card("DEADBEEF")
        rig.run(0.2)
        #expect(leds(rig)?.state == .rejected)
        #expect(leds(rig, 2)?.state == .ready, "the refusal shows on the connector the card was presented for")
        rig.run(3)
        #expect(leds(rig)?.state == .ready)
    }

    @Test("an error that stops the connector shows its seeds/002 blink count; one without a count the green-yellow-blue sequence")
    func fault() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        try rig.board.setFault(.meter, connector: 1, active: true)
        rig.run(0.3)
        #expect(leds(rig)?.state == .fault)
        #expect(leds(rig)?.errorBlinks == 6)
        #expect(leds(rig, 2)?.state == .ready, "a connector error shows on its connector only")
        try rig.board.setFault(.diode, connector: 2, active: true)
        try rig.plug(2)
        rig.run(0.3)
        #expect(leds(rig, 2) == LEDIndication(.fault, errorBlinks: nil))
    }

    @Test("the effects carry each change once, to the connector it concerns")
    func effects() throws {
        var rig = Rig()
        rig.run(0.5)
        _ = rig.controller.takeEffects()
        try rig.board.presentRFID("DEADBEEF")
        rig.board.advance(to: rig.clock.now)
        rig.controller.poll(rig.board.readInputs(), now: rig.clock.now)
        let shown = rig.controller.takeEffects().compactMap { e -> Int? in
            if case .hardware(.showLEDs(let n, let i)) = e, i.state == .rejected { return n }
            return nil
        }
        #expect(shown == [1])
        rig.controller.poll(rig.board.readInputs(), now: rig.clock.now)
        #expect(!rig.controller.takeEffects().contains { if case .hardware(.showLEDs) = $0 { true } else { false } })
    }

    @Test("frames: the seed's timings on red, green and blue")
    func frames() {
        #expect(LEDIndication(.ready).frames.frames == [LEDFrame(.green, 1000)])
        #expect(LEDIndication(.authorized).frames.frames.map(\.milliseconds) == [250, 250], "every half second")
        #expect(LEDIndication(.charging).frames.frames.map(\.milliseconds).reduce(0, +) == 2000, "every 2 seconds")
        let rejected = LEDIndication(.rejected).frames
        #expect(!rejected.repeats)
        #expect(rejected.frames.filter { $0.lit == .blue }.count == 5, "five times")
        let code = LEDIndication(.fault, errorBlinks: 3).frames
        #expect(code.frames.filter { $0.lit == .red }.count == 3)
        #expect(code.repeats)
        #expect(LEDIndication(.reserved).frames.frames.first?.lit == .yellow)
    }
}
