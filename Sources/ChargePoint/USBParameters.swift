#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import Parameters

private typealias K = StationParameters

/// The USB stick's functions (seeds/004 §8 "Met USB-stick", "USB-stick functies"): a stick with `sw_update.deb`
/// installs it, one with `FIELD_ENGINEER` receives the log files; both need `USB_PASSWORD` with the operator's password.
extension StationParameters {
    public static let usbFirmwareUpdate = "UsbFirmwareUpdate"
    public static let usbMountDirectory = "UsbMountDirectory"

    static let usbDefinitions: [ParameterDefinition] = [
        // Off by default (secure by default, issue 23 item 7): whoever holds a stick and the operator password could
        // otherwise install software or carry the logs away; the installer turns it on for a station that needs it.
        ParameterDefinition(
            key: .usbFirmwareUpdate, label: "USB-Firmware-update", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .system, section: "Firmware",
            help: "On: a USB stick with USB_PASSWORD (the operator password in plain text) in its root is used: sw_update.deb is installed like an upload, FIELD_ENGINEER (an empty file) makes the station write its log files and status to the stick. The result is written to CHARGEKIT_REPORT.TXT on the stick. Off (factory setting): sticks are ignored, except for that report.",
            seeAlso: "seeds/004 §8 Met USB-stick"),
        ParameterDefinition(
            key: .usbMountDirectory, label: "USB stick directory", type: .string(length: 1...200, allowed: usbPathCharacters),
            defaultValue: .string("/media/chargekit-usb"), role: .installer, menu: .system, section: "Firmware",
            help: "Where the USB stick is mounted (the package's udev rule mounts the first USB stick there). The station looks at it every 2 seconds.",
            seeAlso: "seeds/004 §8 Met USB-stick; docs/installer.md USB stick"),
    ]

    /// The letters of an absolute path the station watches.
    static let usbPathCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-"
}

extension ParameterKey {
    public static var usbFirmwareUpdate: ParameterKey<Bool> { .init(K.usbFirmwareUpdate, .bool) }
    public static var usbMountDirectory: ParameterKey<String> { .init(K.usbMountDirectory, .text) }
}
