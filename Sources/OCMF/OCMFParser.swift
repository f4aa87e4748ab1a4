#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension OCMFDocument {
    /// Parses a document `OCMF|{payload}|{signature}` (white space inside the sections allowed, OCMF 1.2 "JSON based OCMF
    /// Format"). The payload text is kept byte for byte for the signature check. Reading fields left out after the first
    /// reading take the previous reading's value (OCMF 1.2 "Readings"). Refuses what is not of the format with an error
    /// that says what is wrong; never traps on input.
    public init(parsing text: String) throws(OCMFError) {
        guard text.utf8.count <= OCMF.maximumDocumentBytes else {
            throw OCMFError("document longer than \(OCMF.maximumDocumentBytes) bytes")
        }
        let sections = text.split(separator: "|", omittingEmptySubsequences: false)
        guard sections.count == 3, ocmfTrimmed(sections[0]) == OCMF.header else {
            throw OCMFError("not of the form OCMF|{payload}|{signature}")
        }
        payloadText = String(sections[1])
        let p = try OCMFJSON.parse(payloadText)
        let s = try OCMFJSON.parse(String(sections[2]))
        guard case .object = p else { throw OCMFError("the payload is not a JSON object") }
        guard case .object = s else { throw OCMFError("the signature section is not a JSON object") }

        func string(_ o: OCMFJSON, _ key: String, required: Bool = false) throws(OCMFError) -> String? {
            guard let v = o[key] else {
                if required { throw OCMFError("\(key) is missing") }
                return nil
            }
            switch v {
            case .string(let t): return t
            case .number(let n) where key == "FV": return n
            default: throw OCMFError("\(key) is not a string")
            }
        }
        guard case .array(let rd)? = p["RD"], !rd.isEmpty else { throw OCMFError("RD (readings) is missing or empty") }
        var readings: [OCMFReading] = []
        var last: OCMFReading?
        for (index, item) in rd.enumerated() {
            guard case .object = item else { throw OCMFError("RD[\(index)] is not an object") }
            let tmText = try string(item, "TM") ?? last.map { OCMFTime.format($0.time, status: $0.timeStatus) }
            guard let tmText, let tm = OCMFTime.parse(tmText) else { throw OCMFError("RD[\(index)].TM is missing or not of the form 2018-07-24T13:22:04,000+0200 S") }
            var tx = last?.transaction
            if let t = try string(item, "TX") {
                guard let reason = OCMFTransactionReason(rawValue: t) else { throw OCMFError("RD[\(index)].TX '\(t)' is not a reason of table 7") }
                tx = reason
            }
            guard case .number(let rv)? = item["RV"] else { throw OCMFError("RD[\(index)].RV is missing or not a number") }
            guard let unit = try string(item, "RU") ?? last?.unit else { throw OCMFError("RD[\(index)].RU is missing") }
            guard let status = try string(item, "ST") ?? last?.status else { throw OCMFError("RD[\(index)].ST is missing") }
            let r = OCMFReading(time: tm.date, timeStatus: tm.status, transaction: tx, value: rv,
                                identification: try string(item, "RI") ?? last?.identification, unit: unit,
                                currentType: try string(item, "RT") ?? last?.currentType, errorFlags: try string(item, "EF") ?? last?.errorFlags,
                                status: status)
            readings.append(r)
            last = r
        }
        guard let pg = try string(p, "PG", required: true) else { throw OCMFError("PG is missing") }
        let ms = try string(p, "MS") ?? ""
        let gs = try string(p, "GS")
        guard !ms.isEmpty || gs != nil else { throw OCMFError("neither MS nor GS identifies the signing component") }
        var payload = OCMFPayload(gatewayIdentification: try string(p, "GI"), gatewaySerial: gs,
                                  gatewayVersion: try string(p, "GV"), pagination: pg, meterVendor: try string(p, "MV"),
                                  meterModel: try string(p, "MM"), meterSerial: ms, meterFirmware: try string(p, "MF"),
                                  tariffText: try string(p, "TT"), readings: readings)
        payload.formatVersion = try string(p, "FV")
        if let v = p["IS"] {
            guard case .bool(let b) = v else { throw OCMFError("IS is not a boolean") }
            payload.identificationStatus = b
        }
        payload.identificationLevel = try string(p, "IL")
        if let v = p["IF"] {
            guard case .array(let flags) = v else { throw OCMFError("IF is not an array") }
            payload.identificationFlags = try flags.map { (f: OCMFJSON) throws(OCMFError) -> String in
                guard let t = f.text else { throw OCMFError("IF holds a value that is not a string") }
                return t
            }
        }
        payload.identificationType = try string(p, "IT")
        payload.identificationData = try string(p, "ID")
        self.payload = payload
        guard let sd = try string(s, "SD", required: true) else { throw OCMFError("SD is missing") }
        signature = OCMFSignature(algorithm: try string(s, "SA"), encoding: try string(s, "SE"), mimeType: try string(s, "SM"), data: sd)
    }
}
