import Testing
@testable import MustacheTemplates

/// Names looked up in stored properties by their remembered position (``PropertyPositions``) find what a search by
/// label found: in structs and classes, values of the same type with other contents, nested contexts that lack the
/// name, and the types whose children are not fixed (enums by case, custom mirrors).
@Suite struct PropertyLookupTests {
    struct Row { var name: String; var amps: Int; var note: String? }
    struct Page { var title: String; var rows: [Row]; var footer: String }
    final class Box { let label = "boxed"; let count: Int; init(count: Int) { self.count = count } }
    enum Choice { case plain(text: String), numbered(number: Int, text: String) }
    struct Custom: CustomReflectable {
        var hidden = "no"
        let shown: String
        var customMirror: Mirror { Mirror(self, children: ["shown": shown]) }
    }

    func render(_ template: String, _ data: Any) throws -> String {
        try #require(try TemplateLibrary(texts: ["main": template]).render(data, template: "main"))
    }

    @Test("a row's own properties, the page's around it, a nil optional as none; twice, so that the remembered positions are used")
    func structs() throws {
        let template = "{{title}}:{{#rows}}[{{name}} {{amps}} A{{#note}} ({{note}}){{/note}} {{footer}}]{{/rows}}"
        let first = Page(title: "P", rows: [Row(name: "a", amps: 16, note: nil), Row(name: "b", amps: 32, note: "3p")], footer: "f")
        let second = Page(title: "Q", rows: [Row(name: "c", amps: 6, note: "1p")], footer: "g")
        #expect(try render(template, first) == "P:[a 16 A f][b 32 A (3p) f]")
        #expect(try render(template, second) == "Q:[c 6 A (1p) g]")
        #expect(try render(template, first) == "P:[a 16 A f][b 32 A (3p) f]")
    }

    @Test("classes, enums by their case, and a custom mirror's children")
    func otherKinds() throws {
        #expect(try render("{{label}} {{count}}", Box(count: 3)) == "boxed 3")
        #expect(try render("{{label}} {{count}}", Box(count: 4)) == "boxed 4")
        // An enum's children are its case's payload: the same type has a different child at the same position.
        #expect(try render("{{#plain}}{{text}}{{/plain}}{{#numbered}}{{number}}. {{text}}{{/numbered}}", Choice.plain(text: "x")) == "x")
        #expect(try render("{{#plain}}{{text}}{{/plain}}{{#numbered}}{{number}}. {{text}}{{/numbered}}",
                           Choice.numbered(number: 2, text: "y")) == "2. y")
        #expect(try render("[{{shown}}][{{hidden}}]", Custom(shown: "yes")) == "[yes][]")
    }
}
