import Foundation
import Testing
import Mustache
@testable import WebUI

// TEMPORARY (removed with swift-mustache): writes Fixtures/templates/ with the old renderer.
extension SyntheticContext.Object: MustacheParent {
    func child(named name: String) -> Any? { templateValue(named: name) }
}

extension PageContext: @retroactive MustacheParent {
    public func child(named name: String) -> Any? { templateValue(named: name) }
}

@Suite struct TemplateGoldenWriter {
    @Test func write() throws {
        guard ProcessInfo.processInfo.environment["WRITE_TEMPLATE_GOLDEN"] != nil else { return }
        var libraries: [String: MustacheLibrary] = [:]
        for site in ["station", "gateway"] {
            var library = MustacheLibrary()
            for template in WebTemplate.allCases where ["shared", site].contains(template.folder) {
                try library.register(MustacheTemplate(string: template.text), named: template.rawValue)
            }
            libraries[site] = library
        }
        try FileManager.default.createDirectory(at: TemplateGoldenTests.fixtures, withIntermediateDirectories: true)
        for c in try TemplateGoldenTests.cases() {
            let html = try #require(libraries[c.site]!.render(c.context, withTemplate: c.template))
            try html.write(to: TemplateGoldenTests.fixtures.appendingPathComponent(c.file), atomically: true, encoding: .utf8)
        }
    }
}
