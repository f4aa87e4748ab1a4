import Testing
@testable import HostConfig

@Suite("Time: NTP server files and the OS clock decisions (issue 24 item 4, seeds/002 §1.6)")
struct OSClockPlanTests {
    let ntpOn = OSClockPlan.Observed(timezone: "Etc/UTC", ntp: true, canNTP: true, ntpSynchronized: false)
    let ntpOff = OSClockPlan.Observed(timezone: "Etc/UTC", ntp: false, canNTP: true, ntpSynchronized: false)

    @Test("NTPServers: host names and addresses, spaces or commas, duplicates once; anything else named")
    func seeds002_1_6_ntpServersParse() {
        #expect(NTPConfiguration.servers("0.debian.pool.ntp.org, ptbtime1.ptb.de 192.0.2.1 2001:db8::1").servers
                == ["0.debian.pool.ntp.org", "ptbtime1.ptb.de", "192.0.2.1", "2001:db8::1"])
        #expect(NTPConfiguration.servers("a.example a.EXAMPLE").servers == ["a.example"])
        #expect(NTPConfiguration.servers("").servers == [] && NTPConfiguration.servers("").problem == nil)
        #expect(NTPConfiguration.servers("ntp..example").problem == "\"ntp..example\" is neither a host name nor an IP address")
        #expect(NTPConfiguration.servers("-bad.example").problem != nil)
        #expect(NTPConfiguration.servers("1.2.3").problem != nil)
        #expect(NTPConfiguration.servers("a b c d e f g h i").problem == "at most 8 servers")
    }

    @Test("timesyncd drop-in and chrony sources file; no servers: no file")
    func seeds002_1_6_ntpFiles() {
        #expect(NTPConfiguration.file(for: .timesyncd, servers: ["a.example", "192.0.2.1"])
                == "# Written by ChargeKit from its parameter NTPServers; change the parameter, not this file.\n[Time]\nNTP=a.example 192.0.2.1\n")
        #expect(NTPConfiguration.file(for: .chrony, servers: ["a.example", "192.0.2.1"])
                == "# Written by ChargeKit from its parameter NTPServers; change the parameter, not this file.\nserver a.example iburst\nserver 192.0.2.1 iburst\n")
        #expect(NTPConfiguration.file(for: .timesyncd, servers: []) == nil)
        #expect(NTPConfiguration.Service.timesyncd.relativePath == "etc/systemd/timesyncd.conf.d/chargekit.conf")
        #expect(NTPConfiguration.Service.chrony.relativePath == "etc/chrony/sources.d/chargekit.sources")
    }

    @Test("reconcile: a changed Timezone is set, the factory UTC is not forced; TimeSource NTP switches NTP on; servers written once")
    func seeds002_1_6_reconcile() {
        let berlin = OSClockPlan.Desired(timezone: "Europe/Berlin", timezoneIsDefault: false, followsNTP: false, ntpServers: [])
        #expect(OSClockPlan.reconcile(berlin, ntpOff, writtenServers: nil) == [.setTimezone("Europe/Berlin"), .writeNTPServers([])])
        #expect(OSClockPlan.reconcile(berlin, ntpOff, writtenServers: []) == [.setTimezone("Europe/Berlin")])
        var same = ntpOff
        same.timezone = "Europe/Berlin"
        #expect(OSClockPlan.reconcile(berlin, same, writtenServers: []) == [])
        let factory = OSClockPlan.Desired(timezone: "UTC", timezoneIsDefault: true, followsNTP: false, ntpServers: [])
        #expect(OSClockPlan.reconcile(factory, ntpOff, writtenServers: []) == [])
        let ntp = OSClockPlan.Desired(timezone: "UTC", timezoneIsDefault: true, followsNTP: true, ntpServers: ["a.example"])
        #expect(OSClockPlan.reconcile(ntp, ntpOff, writtenServers: []) == [.setNTP(true), .writeNTPServers(["a.example"])])
        #expect(OSClockPlan.reconcile(ntp, ntpOn, writtenServers: ["a.example"]) == [])
        var cannot = ntpOff
        cannot.canNTP = false
        #expect(OSClockPlan.reconcile(ntp, cannot, writtenServers: ["a.example"]) == [])
    }

    @Test("the OS clock follows a station clock set from the backend or browser; NTP off first for the backend, for the browser only while NTP is not synchronised; left alone under TimeSource NTP")
    func seeds002_1_6_clockSetDecision() {
        var synchronized = ntpOn
        synchronized.ntpSynchronized = true
        #expect(OSClockPlan.clockSet(fromBackend: true, followsNTP: false, synchronized) == .set(disableNTP: true))
        #expect(OSClockPlan.clockSet(fromBackend: false, followsNTP: false, ntpOn) == .set(disableNTP: true))
        #expect(OSClockPlan.clockSet(fromBackend: false, followsNTP: false, synchronized) == .leave("NTP keeps the operating system's clock synchronised"))
        #expect(OSClockPlan.clockSet(fromBackend: false, followsNTP: false, ntpOff) == .set(disableNTP: false))
        #expect(OSClockPlan.clockSet(fromBackend: false, followsNTP: true, ntpOn) == .leave("NTP sets the operating system's clock (TimeSource NTP)"))
        #expect(OSClockPlan.clockSet(fromBackend: false, followsNTP: true, ntpOff) == .set(disableNTP: false))
        #expect(OSClockPlan.microseconds(sinceEpoch: 1_764_950_400.25) == 1_764_950_400_250_000)
    }
}
