import Foundation
import Testing
@testable import Gateway

/// A project file whose setting is `null` (found by schemathesis against `PUT /api/project`, issue 30 item 3): it was
/// read as if the setting were left out and imported with the default.
@Suite("Project file: null values")
struct GatewayProjectNullTests {
    @Test("seeds003_2_2 project import: a null setting is refused with its field, not read as its default")
    func seeds003_2_2_projectFileNullValueRefused() throws {
        let good = try GatewayProject.export(GatewaySettings())
        for (key, from) in [("bmsTimeZone", "\"UTC\""), ("heartbeatIntervalSeconds", "300"), ("rtuBaudRate", "19200"), ("mode", "\"BMS\"")] {
            let text = good.replacingOccurrences(of: "\"\(key)\" : \(from)", with: "\"\(key)\" : null")
            #expect(text != good, "\(key) is in the file")
            do {
                _ = try GatewayProject.read(Array(text.utf8), keepingSecretsOf: GatewaySettings())
                Issue.record("\(key): null was imported")
            } catch {
                #expect(error.problems.map(\.field) == [key])
            }
        }
        let secret = good.replacingOccurrences(of: "\"settings\" : {", with: "\"settings\" : {\"externalPassword\": null,")
        #expect(secret != good)
        #expect(throws: ProjectRejected.self) { try GatewayProject.read(Array(secret.utf8), keepingSecretsOf: GatewaySettings()) }
    }
}
