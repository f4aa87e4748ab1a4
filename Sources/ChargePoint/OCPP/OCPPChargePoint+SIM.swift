import OCPP16

extension OCPPChargePoint {
    /// The SIM's identifiers for the next BootNotification (OCPP 1.6 §6.2 BootNotification.req `iccid` and `imsi`,
    /// CiString20Type; seeds/002 lists both): the modem service learns them once ModemManager has read the SIM. Empty
    /// strings leave the fields out.
    public mutating func setSIM(iccid: String, imsi: String) {
        link.configuration.bootNotification.iccid = iccid.isEmpty ? nil : String(iccid.prefix(20))
        link.configuration.bootNotification.imsi = imsi.isEmpty ? nil : String(imsi.prefix(20))
    }

    /// The identifiers the next BootNotification carries.
    public var sim: (iccid: String?, imsi: String?) {
        (link.configuration.bootNotification.iccid, link.configuration.bootNotification.imsi)
    }
}
