import Crypto

/// The UPnP device description the SSDP `LOCATION` points at, with SMA's `X_SEMPSERVICE` block that tells the manager
/// where the SEMP interface is.
///
/// Source: UPnP Device Architecture 1.0 §2.1 (root `urn:schemas-upnp-org:device-1-0`, specVersion 1.0, deviceType,
/// friendlyName, manufacturer, modelName, UDN, presentationURL); SMA "SEMP Protocol Specification: Discovery" for the
/// service block in namespace `urn:schemas-simple-energy-management-protocol:service-1-0` (server, basePath,
/// transport HTTP/Pull, exchangeFormat XML, wsVersion).
public struct UPnPDescription: Sendable, Equatable {
    public var uuid: String
    public var friendlyName: String
    public var modelName: String
    public var modelNumber: String
    public var serialNumber: String
    /// `http://address:port` of the SEMP HTTP interface.
    public var server: String
    public var basePath: String
    public var presentationURL: String?

    public init(uuid: String, friendlyName: String, modelName: String = "ChargeKit", modelNumber: String, serialNumber: String,
                server: String, basePath: String = "/semp", presentationURL: String? = nil) {
        self.uuid = uuid; self.friendlyName = friendlyName; self.modelName = modelName; self.modelNumber = modelNumber
        self.serialNumber = serialNumber; self.server = server; self.basePath = basePath; self.presentationURL = presentationURL
    }

    public static let serviceNamespace = "urn:schemas-simple-energy-management-protocol:service-1-0"
    /// The SEMP web-service version ChargeKit speaks (the 1.1 message set, written to the 1.3.0 schema).
    public static let wsVersion = "1.1.0"

    public var document: String {
        var device: [XMLElement] = [
            .leaf("deviceType", SSDP.sempDeviceType), .leaf("friendlyName", friendlyName), .leaf("manufacturer", "ChargeKit"),
            .leaf("modelName", modelName), .leaf("modelNumber", modelNumber), .leaf("serialNumber", serialNumber), .leaf("UDN", "uuid:\(uuid)"),
        ]
        if let presentationURL { device.append(.leaf("presentationURL", presentationURL)) }
        device.append(XMLElement("semp:X_SEMPSERVICE", children: [
            .leaf("semp:server", server), .leaf("semp:basePath", basePath), .leaf("semp:transport", "HTTP/Pull"),
            .leaf("semp:exchangeFormat", "XML"), .leaf("semp:wsVersion", Self.wsVersion),
        ]))
        let root = XMLElement("root", children: [
            XMLElement("specVersion", children: [.leaf("major", "1"), .leaf("minor", "0")]),
            XMLElement("device", children: device),
        ])
        return XMLWriter.document(root, defaultNamespace: "urn:schemas-upnp-org:device-1-0",
                                  extraNamespaces: [(prefix: "semp", uri: Self.serviceNamespace)])
    }
}

/// The identities derived from the station serial, so they stay the same across restarts and reinstallation.
public enum SEMPIdentity {
    /// SHA-256 of the serial (the SEMP device ids' serial part).
    public static func serialDigest(_ serial: String) -> [UInt8] { Array(SHA256.hash(data: Array(serial.utf8))) }

    /// A name-based UUID, version 5 (RFC 4122 §4.3, SHA-1), in ChargeKit's own namespace, of "semp:" + the serial.
    public static func udn(serial: String) -> String {
        let namespace: [UInt8] = [0x6b, 0x1f, 0x7c, 0x2e, 0x93, 0x4a, 0x4d, 0x51, 0x8c, 0x0e, 0x25, 0x61, 0x3d, 0x77, 0xa0, 0x19]
        var bytes = Array(Insecure.SHA1.hash(data: namespace + Array("semp:\(serial)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { hex2($0).lowercased() }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
