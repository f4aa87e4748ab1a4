#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16

/// The security log as the file GetLog(SecurityLog) uploads (OCPP 1.6 security whitepaper ed. 3 N01; the whitepaper
/// leaves the format to the charge point): CSV with a header, one event per line, oldest first, times in UTC as OCPP
/// writes them; text cells are quoted and made safe for spreadsheets. The last column says whether an event is local
/// (``LocalSecurityEvent``, never sent to the central system). The diagnostics archive holds the same file.
public enum SecurityLogExport {
    public static func csv(_ entries: [SecurityLogEntry]) -> String {
        var out = "id,timestamp,type,critical,techInfo,local\r\n"
        for e in entries {
            out += "\(e.id),\(OCPPDate.format(e.at)),\(CSVCell.field(e.type)),\(e.critical),\(CSVCell.field(e.techInfo ?? "")),\(e.local)\r\n"
        }
        return out
    }
}
