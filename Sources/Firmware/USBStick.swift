/// What a USB stick asks of the station (seeds/004 §8 "Met USB-stick", "USB-stick functies"): `sw_update.deb` in its
/// root is a firmware package to install, an empty `FIELD_ENGINEER` asks for the log files and status, and
/// `USB_PASSWORD` holds the operator's password in plain text, without which neither is done. Each file is acted on
/// once per insertion: its name, size and modification time are remembered (durably, since an installation restarts
/// the station while the stick is still in) until the stick is taken out.
public enum USBStick {
    public static let updateFile = "sw_update.deb"
    public static let passwordFile = "USB_PASSWORD"
    public static let fieldEngineerFile = "FIELD_ENGINEER"
    /// What the station writes back: one line per file it acted on, with the outcome.
    public static let reportFile = "CHARGEKIT_REPORT.TXT"
    /// Longest USB_PASSWORD read (a password of the login policy is far shorter).
    public static let maximumPasswordBytes = 1024

    /// One file of the stick as it was found.
    public struct Stamp: Sendable, Codable, Hashable {
        public var file: String
        public var bytes: Int64
        /// Modification time, whole seconds since 1970 (FAT keeps two-second steps).
        public var modified: Int64
        public init(file: String, bytes: Int64, modified: Int64) { self.file = file; self.bytes = bytes; self.modified = modified }
    }

    public enum Task: Sendable, Equatable {
        case install(Stamp)
        case writeLogs(Stamp)
    }

    /// The tasks of the files `present` (the stick's ``updateFile`` and ``fieldEngineerFile``) not in `done`; the logs
    /// first, so that a stick with both carries the state before the installation.
    public static func tasks(present: [Stamp], done: [Stamp]) -> [Task] {
        let new = present.filter { !done.contains($0) }
        return new.filter { $0.file == fieldEngineerFile }.map(Task.writeLogs) + new.filter { $0.file == updateFile }.map(Task.install)
    }

    /// USB_PASSWORD's text as the password: without the line end an editor adds (CR LF on Windows, LF), nothing else
    /// trimmed (a password may end in a space).
    public static func password(_ bytes: [UInt8]) -> String {
        var b = bytes[...]
        if b.first == 0xEF, b.dropFirst().first == 0xBB, b.dropFirst(2).first == 0xBF { b = b.dropFirst(3) }  // a UTF-8 BOM (Notepad)
        if b.last == 0x0A { b = b.dropLast() }
        if b.last == 0x0D { b = b.dropLast() }
        return String(decoding: b, as: UTF8.self)
    }
}
