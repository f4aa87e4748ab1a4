import Foundation
import Testing
@testable import MustacheTemplates
@testable import WebUI

/// Every page template rendered as the web interface renders it, compared byte for byte with `Fixtures/templates/`.
/// The fixtures were written by the earlier renderer (swift-mustache 2.x) before our own replaced it (issue 31), so
/// that the pages stay what they were; only `system.full` and `gatewaySystem.full` were written again since: a section
/// repeated inside an indented partial, which swift-mustache left unindented from its second item on (partials.yml
/// wants every line indented; the real pages' sections there are Bools, never repeated). A new or changed template's
/// fixtures are written with `WRITE_TEMPLATE_GOLDEN=1`; look at their difference before committing them.
///
/// Each template is rendered with values made from its own tags (`SyntheticContext`): `full` gives every name a value
/// (a section a list of two, the second item without every other name, so that those are looked up further out; text
/// with `& " < > '` and line breaks), `alternate` gives the other answers (one item, false, empty lists, numbers),
/// `empty` none. The shared pages are also rendered with their real models (`Login`, `Password`, `Message`, the layout
/// and a settings form with one field of each kind), which reach their values through `Mirror` as every page does.
@Suite struct TemplateGoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/templates")

    /// The cases: the file's name, the site whose templates render it, the template and its context.
    static func cases() throws -> [(file: String, site: String, template: String, context: Any)] {
        var out: [(String, String, String, Any)] = []
        for site in ["station", "gateway"] {
            let library = try WebResources.library(folders: ["shared", site])
            for template in WebTemplate.allCases where template.folder == site || (template.folder == "shared" && site == "station") {
                for variant in SyntheticContext.Variant.allCases {
                    let context = SyntheticContext.context(for: template.rawValue, in: library, variant)
                    out.append(("\(template.rawValue).\(variant).html", site, template.rawValue, context))
                }
            }
        }
        for (name, model) in RealModels.pages() {
            let context = PageContext(model: model, t: WebShell.nested(WebText.table("de")), identity: "CK <1> & 'A'")
            out.append(("\(name).model.html", model.template.folder == "gateway" ? "gateway" : "station", model.template.rawValue, context))
        }
        return out
    }

    @Test("every template renders byte for byte as the earlier renderer rendered it")
    func goldenPages() throws {
        let libraries = try ["station", "gateway"].reduce(into: [String: TemplateLibrary]()) {
            $0[$1] = try WebResources.library(folders: ["shared", $1])
        }
        var compared = 0
        let write = ProcessInfo.processInfo.environment["WRITE_TEMPLATE_GOLDEN"] != nil
        for c in try Self.cases() {
            let rendered = try #require(libraries[c.site]?.render(c.context, template: c.template))
            let url = Self.fixtures.appendingPathComponent(c.file)
            if write { try rendered.write(to: url, atomically: true, encoding: .utf8) }
            let expected = try String(contentsOf: url, encoding: .utf8)
            #expect(rendered == expected, "\(c.file): first difference at UTF-8 offset \(Self.firstDifference(rendered, expected))")
            // TEMPLATE_GOLDEN_ACTUAL=<directory>: what differs is written there, to compare with `diff`.
            if rendered != expected, let dir = ProcessInfo.processInfo.environment["TEMPLATE_GOLDEN_ACTUAL"] {
                try rendered.write(toFile: dir + "/" + c.file, atomically: true, encoding: .utf8)
            }
            compared += 1
        }
        #expect(compared == 26 * SyntheticContext.Variant.allCases.count + RealModels.pages().count)
    }

    static func firstDifference(_ a: String, _ b: String) -> Int {
        zip(a.utf8, b.utf8).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.utf8.count, b.utf8.count)
    }
}

/// Values for a template made from its tags, followed into its partials.
enum SyntheticContext {
    enum Variant: String, CaseIterable { case full, alternate, empty }

    /// What a name is used as: text, a section (and what its body names), the subject of an inverted section, `{{.}}`.
    final class Shape {
        var variable = false, section = false, inverted = false, iterated = false
        var children: [String: Shape] = [:]
        var order: [String] = []

        func child(_ name: String) -> Shape {
            if let shape = children[name] { return shape }
            let shape = Shape()
            children[name] = shape
            order.append(name)
            return shape
        }

        func path(_ name: Name) -> Shape { name.parts.reduce(self) { $0.child($1) } }
    }

    static func context(for template: String, in library: TemplateLibrary, _ variant: Variant) -> Any {
        let root = Shape()
        collect(library.templates[template]!.nodes, into: root, library: library, depth: 0)
        guard variant != .empty else { return Object(path: "root", values: [:]) }
        var counter = 0
        return dictionary(root, path: "", variant: variant, partial: false, counter: &counter)
    }

    static func collect(_ nodes: [Node], into shape: Shape, library: TemplateLibrary, depth: Int) {
        for node in nodes {
            switch node {
            case .text: break
            case .variable(let name, _):
                if name.isImplicitIterator { shape.iterated = true } else { shape.path(name).variable = true }
            case .section(let name, let body):
                let s = shape.path(name)
                s.section = true
                collect(body, into: s, library: library, depth: depth)
            case .inverted(let name, let body):
                shape.path(name).inverted = true
                collect(body, into: shape, library: library, depth: depth)
            case .partial(let name, _):
                if depth < 4, let partial = library.templates[name] { collect(partial.nodes, into: shape, library: library, depth: depth + 1) }
            }
        }
    }

    /// Named values, which describe themselves by their path when a template prints a list of them (a dictionary
    /// would print its entries in an order that differs from run to run).
    struct Object: TemplateLookup, CustomStringConvertible {
        var path: String
        var values: [String: Any]
        func templateValue(named name: String) -> Any? { values[name] }
        var description: String { "object \(path)" }
    }

    static func dictionary(_ shape: Shape, path: String, variant: Variant, partial: Bool, counter: inout Int) -> Object {
        var out: [String: Any] = [:]
        for (i, name) in shape.order.enumerated() where !partial || i % 2 == 0 {
            out[name] = value(shape.children[name]!, path: path + "." + name, variant: variant, counter: &counter)
        }
        return Object(path: path, values: out)
    }

    static func value(_ s: Shape, path: String, variant: Variant, counter: inout Int) -> Any {
        counter += 1
        let text = "\(path)<&\"'>" + (counter % 5 == 0 ? "\nnext line" : "")
        if s.section {
            if s.variable { return text }
            if !s.children.isEmpty {
                let first = dictionary(s, path: path + "[0]", variant: variant, partial: false, counter: &counter)
                if variant == .alternate { return counter % 3 == 0 ? [Object]() : [first] }
                return [first, dictionary(s, path: path + "[1]", variant: variant, partial: true, counter: &counter)]
            }
            if s.iterated { return variant == .full ? [text, text + "#2"] : [String]() }
            return variant == .full || counter % 2 == 0
        }
        if !s.children.isEmpty { return dictionary(s, path: path, variant: variant, partial: false, counter: &counter) }
        if s.variable { return variant == .full ? text : counter as Any }
        return variant == .full ? true : (counter % 2 == 0 ? false as Any : [Int]() as Any)
    }
}

/// The shared pages with their real models.
enum RealModels {
    static func pages() -> [(String, any PageModel)] {
        let choices = [SelectOption(value: "a", label: "A <1>", selected: false), SelectOption(value: "b", label: "B & 'b'", selected: true)]
        var secret = ParameterField(key: "Password", label: "Password", help: "The \"secret\".", allowed: "", seeAlso: "§4", defaultValue: "")
        secret.isSecret = true
        secret.secretState = "set"
        secret.readonly = "only the installer"
        var bool = ParameterField(key: "On", label: "On", help: "", allowed: "on/off", seeAlso: "", defaultValue: "off", restartRequired: true)
        bool.isBool = true
        bool.on = true
        var choice = ParameterField(key: "Mode", label: "Mode", help: "A <b>mode</b>", allowed: "a, b", seeAlso: "", defaultValue: "a")
        choice.isChoice = true
        choice.choices = choices
        choice.preset = true
        choice.dependsOn = "On"
        choice.dependsValue = "!off"
        var triple = ParameterField(key: "Limit", label: "Limit", help: "", allowed: "6–32 A", seeAlso: "", defaultValue: "16")
        triple.isTriple = true
        triple.phases = [.init(phase: "L1", value: "16"), .init(phase: "L2", value: "")]
        triple.error = "L2 must be 6–32"
        var text = ParameterField(key: "Name", label: "Name", help: "", allowed: "", seeAlso: "", defaultValue: "")
        text.isText = true
        text.value = "x\"y"
        text.hidden = true
        let sections = [ParameterSection(name: "General", anchor: "s-general", parameters: [secret, bool, choice]),
                        ParameterSection(name: "Limits & more", anchor: "s-limits", parameters: [triple, text])]
        var layout = LayoutPage(lang: "de", pageTitle: "Title <x>", content: "<main>\n  <p>content & more</p>\n</main>")
        layout.session = true
        layout.account = "installer"
        layout.roleLabel = "Installateur"
        layout.csrf = "token'1"
        layout.restartActions = true
        layout.languages = [.init(code: "en", name: "English", selected: false), .init(code: "de", name: "Deutsch", selected: true)]
        layout.menus = [.init(href: "/", label: "Home", active: true, id: "nav-home", sections: [.init(name: "A", anchor: "s-a")], hasSections: true),
                        .init(href: "/menu/system", label: "System", active: false, id: "nav-system", sections: [], hasSections: false)]
        return [
            ("login", LoginPage(csrf: "c<1>", accounts: choices, error: "Wrong & 'locked'")),
            ("login-plain", LoginPage(csrf: "c", accounts: [], error: nil)),
            ("password", PasswordPage(forced: true, changed: false, fields: [
                .init(name: "old", label: "Old", autocomplete: "current-password", error: "wrong"),
                .init(name: "new", label: "New", autocomplete: "new-password", error: nil)], csrf: "c")),
            ("message", MessagePage(heading: "404", message: "Not <found>", back: "/", backLabel: "Home")),
            ("layout", layout),
            ("layout-login", LayoutPage(lang: "en", pageTitle: "Login", content: "<form></form>")),
            ("settings", GatewaySettingsPage(menuLabel: "General", action: "/settings/general", csrf: "c", sections: sections, saved: true,
                                             hasErrors: true, otherErrors: ["one", "two <2>"], readonlyNote: "read only")),
        ]
    }
}
