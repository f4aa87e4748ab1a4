#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import Hosting
import SEMP
import WebUI

/// The SEMP listener's calls (issue 25 item 1): each is one call into the controller on the actor; every request of
/// the manager counts as contact for the silence rule.
extension StationRuntime: SEMPSource {
    public func sempDescription(server: String) -> String? {
        let s = controller.settings
        guard s.semp.enabled else { return nil }
        controller.sempHeard(now: clock.now())
        return UPnPDescription(uuid: SEMPIdentity.udn(serial: s.serialNumber), friendlyName: "ChargeKit \(s.chargeBoxIdentity)",
                               modelNumber: ChargeKitVersion.current, serialNumber: s.serialNumber, server: server).document
    }

    public func sempDocument(deviceId: SEMPDeviceId?, part: SEMPPart) -> String? {
        let now = clock.now()
        controller.sempHeard(now: now)
        guard var doc = controller.sempDocument(now: now, deviceId: deviceId, url: nil) else { return nil }
        switch part {
        case .all: break
        case .deviceInfo: doc.statuses = []; doc.requests = []
        case .deviceStatus: doc.infos = []; doc.requests = []
        case .planningRequest: doc.infos = []; doc.statuses = []
        }
        return doc.document
    }

    public func sempControl(_ body: [UInt8]) throws(SEMPControlError) {
        try controller.sempControl(body, now: clock.now())
        carryOut()
    }
}
