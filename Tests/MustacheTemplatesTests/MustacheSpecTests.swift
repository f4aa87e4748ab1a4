import Testing
@testable import MustacheTemplates

/// The rules of the Mustache specification v1.x (`specs/interpolation.yml`, `sections.yml`, `inverted.yml`,
/// `comments.yml`, `partials.yml`) and mustache(5), each as a case of our own; the values are dictionaries, as in the
/// specification's data, and structs, as the web pages' models are.
@Suite struct MustacheSpecTests {
    func render(_ template: String, _ data: Any, partials: [String: String] = [:]) throws -> String {
        var texts = partials
        texts["main"] = template
        return try #require(try TemplateLibrary(texts: texts).render(data, template: "main"))
    }

    @Test("interpolation: text as it is, names replaced, whitespace inside the tag ignored, a missing name is empty")
    func interpolation() throws {
        #expect(try render("Hello from {Mustache}!\n", [String: Any]()) == "Hello from {Mustache}!\n")
        #expect(try render("Hello, {{subject}}!", ["subject": "world"]) == "Hello, world!")
        #expect(try render("|{{ subject }}|{{subject   }}|", ["subject": "x"]) == "|x|x|")
        #expect(try render("I ({{cannot}}) be seen!", [String: Any]()) == "I () be seen!")
        #expect(try render("{{a}} {{b}} {{c}}", ["a": 85, "b": 1.21, "c": true] as [String: Any]) == "85 1.21 true")
    }

    @Test("HTML escaping: & \" < > (and ') escaped by {{name}}, not by {{{name}}} nor {{&name}}")
    func escaping() throws {
        let data = ["forbidden": "& \" < > '"]
        #expect(try render("{{forbidden}}", data) == "&amp; &quot; &lt; &gt; &#39;")
        #expect(try render("{{{forbidden}}}", data) == "& \" < > '")
        #expect(try render("{{&forbidden}}", data) == "& \" < > '")
        #expect(try render("{{x}}", ["x": "grüße €"]) == "grüße €")
    }

    @Test("dotted names: the first part in the context stack, the rest only in what it found; broken chains are empty")
    func dottedNames() throws {
        let person = ["person": ["name": "Joe"]]
        #expect(try render("{{person.name}} == {{#person}}{{name}}{{/person}}", person) == "Joe == Joe")
        #expect(try render("{{a.b.c.d}}", ["a": ["b": ["c": ["d": "deep"]]]]) == "deep")
        #expect(try render("{{a.b.c}}", ["a": ["b": [String: Any]()], "c": "ERROR"] as [String: Any]) == "")
        let chain: [String: Any] = ["a": ["b": [String: Any]()], "b": ["c": "ERROR"]]
        #expect(try render("{{a.b.c}}", chain) == "")
        #expect(try render("{{#a}}{{b.c}}{{/a}}", ["a": ["b": [String: Any]()], "b": ["c": "ERROR"]] as [String: Any]) == "")
        #expect(try render("{{#a}}{{b.c}}{{/a}}", ["a": ["x": 1], "b": ["c": "found"]] as [String: Any]) == "found")
    }

    @Test("implicit iterator: {{.}} is the current item")
    func implicitIterator() throws {
        #expect(try render("{{#list}}({{.}}){{/list}}", ["list": ["a", "<b>"]]) == "(a)(&lt;b&gt;)")
        #expect(try render("{{#list}}({{{.}}}){{/list}}", ["list": [1, 2]]) == "(1)(2)")
    }

    @Test("sections: true renders once in the same context, false and nil and an empty list not at all, a list per item, a value once with it on top")
    func sections() throws {
        #expect(try render("\"{{#b}}yes {{x}}{{/b}}\"", ["b": true, "x": 1] as [String: Any]) == "\"yes 1\"")
        #expect(try render("\"{{#b}}yes{{/b}}\"", ["b": false]) == "\"\"")
        #expect(try render("\"{{#b}}yes{{/b}}\"", [String: Any]()) == "\"\"")
        #expect(try render("\"{{#l}}yes{{/l}}\"", ["l": [Int]()]) == "\"\"")
        #expect(try render("{{#l}}{{n}},{{/l}}", ["l": [["n": 1], ["n": 2], ["n": 3]]]) == "1,2,3,")
        #expect(try render("{{#c}}{{name}}{{/c}}", ["c": ["name": "inner"], "name": "outer"] as [String: Any]) == "inner")
        // An item without the name: the enclosing contexts are searched (sections.yml "Deeply Nested Contexts").
        #expect(try render("{{#l}}{{n}}{{x}};{{/l}}", ["l": [["n": 1], ["n": 2, "x": "own"]], "x": "top"] as [String: Any]) == "1top;2own;")
        #expect(try render("{{#a}}{{#b}}{{#c}}{{one}}{{two}}{{three}}{{/c}}{{/b}}{{/a}}",
                           ["a": ["one": 1], "b": ["two": 2], "c": ["three": 3]] as [String: Any]) == "123")
        #expect(try render("{{#s}}[{{.}}]{{/s}}", ["s": "text"]) == "[text]")
    }

    @Test("inverted sections: rendered for false, nil and an empty list; not for true, a value or a non-empty list")
    func inverted() throws {
        for falsey: [String: Any] in [["b": false], [:], ["b": [Int]()]] {
            #expect(try render("\"{{^b}}no{{/b}}\"", falsey) == "\"no\"")
        }
        for truthy: [String: Any] in [["b": true], ["b": "x"], ["b": [1]], ["b": ["k": 1]]] {
            #expect(try render("\"{{^b}}no{{/b}}\"", truthy) == "\"\"")
        }
    }

    @Test("comments: removed, also over several lines")
    func comments() throws {
        #expect(try render("12345{{! Comment Block! }}67890", [String: Any]()) == "1234567890")
        #expect(try render("12345{{!\n  This is a\n  multi-line comment...\n}}67890\n", [String: Any]()) == "1234567890\n")
    }

    @Test("standalone lines: a line holding only a section, inverted, closing, comment or partial tag and whitespace is removed")
    func standaloneLines() throws {
        let data: [String: Any] = ["b": true]
        #expect(try render("| This Is\n{{#b}}\n|\n{{/b}}\n| A Line\n", data) == "| This Is\n|\n| A Line\n")
        #expect(try render("| This Is\n  {{#b}}\n|\n  {{/b}}\n| A Line\n", data) == "| This Is\n|\n| A Line\n")
        #expect(try render("| This Is\n  {{^x}}\n|\n  {{/x}}\n| A Line\n", data) == "| This Is\n|\n| A Line\n")
        #expect(try render("Begin.\n{{! Comment Block! }}\nEnd.\n", data) == "Begin.\nEnd.\n")
        #expect(try render("Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", data) == "Begin.\nEnd.\n")
        #expect(try render("Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n", data) == "Begin.\nEnd.\n")
        // Line ends of \r\n, no previous line, no line end after.
        #expect(try render("|\r\n{{#b}}\r\n{{/b}}\r\n|", data) == "|\r\n|")
        #expect(try render("  {{#b}}\n#{{/b}}\n/", data) == "#\n/")
        #expect(try render("#{{#b}}\n/\n  {{/b}}", data) == "#\n/\n")
        // Interpolation never stands alone; two tags on a line do not either.
        #expect(try render("  {{x}}\n", ["x": "v"]) == "  v\n")
        #expect(try render(" {{#b}}{{/b}}\n", data) == " \n")
        #expect(try render(" {{#b}}YES{{/b}}\n {{#b}}GOOD{{/b}}\n", data) == " YES\n GOOD\n")
        // Text around the tag keeps the line.
        #expect(try render("x {{#b}}\ny\n{{/b}}", data) == "x \ny\n")
    }

    @Test("partials: rendered in the current context; inline ones as they are, standalone ones indented line by line")
    func partials() throws {
        #expect(try render("\"{{>text}}\"", [String: Any](), partials: ["text": "from partial"]) == "\"from partial\"")
        #expect(try render("\"{{>p}}\"", ["text": "content"], partials: ["p": "*{{text}}*"]) == "\"*content*\"")
        #expect(try render("{{#l}}{{>p}}{{/l}}", ["l": [["n": 1], ["n": 2]]], partials: ["p": "<{{n}}>"]) == "<1><2>")
        #expect(try render("| {{>p}} |", [String: Any](), partials: ["p": "\t|\t"]) == "| \t|\t |")
        #expect(try render("  {{data}}  {{> p}}\n", ["data": "|"], partials: ["p": ">\n>"]) == "  |  >\n>\n")
        #expect(try render("|\n{{>p}}\n|", [String: Any](), partials: ["p": ">"]) == "|\n>|")
        #expect(try render("  {{>p}}\n>", [String: Any](), partials: ["p": ">\n>"]) == "  >\n  >>")
        // partials.yml "Standalone Indentation": every line of the partial, but not the line breaks of a value.
        #expect(try render("\\\n {{>p}}\n/\n", ["content": "<\n->"], partials: ["p": "|\n{{{content}}}\n|\n"])
            == "\\\n |\n <\n->\n |\n/\n")
        // Each item of a list in an indented partial, and a partial in a partial.
        #expect(try render("<ul>\n  {{>items}}\n</ul>\n", ["l": ["a", "b"]], partials: ["items": "{{#l}}\n<li>{{.}}</li>\n{{/l}}\n"])
            == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
        #expect(try render("a\n  {{>outer}}\n", [String: Any](), partials: ["outer": "o\n  {{>inner}}\n", "inner": "i\n"])
            == "a\n  o\n    i\n")
        // The indentation is in front of the partial's first line even when the line before did not end (a partial
        // without a final line end), and of the line after a standalone comment it begins with; empty lines keep none.
        #expect(try render("a\n  {{>p}}\n  {{>p}}\n", [String: Any](), partials: ["p": "{{! c }}\n  <x>\n\n</x>"])
            == "a\n    <x>\n\n  </x>    <x>\n\n  </x>")
    }

    struct Row { var name: String; var note: String? }
    struct Page { var rows: [Row]; var note: String; var flag: Bool; var count: Int; var missing: String? }

    @Test("structs: stored properties by name, a nil optional is looked up further out, Bool and Int as sections and text")
    func structs() throws {
        let page = Page(rows: [Row(name: "a", note: "own"), Row(name: "b", note: nil)], note: "page", flag: true, count: 2, missing: nil)
        #expect(try render("{{#rows}}{{name}}={{note}};{{/rows}}|{{#flag}}on{{/flag}}|{{count}}|{{^missing}}none{{/missing}}", page)
            == "a=own;b=page;|on|2|none")
    }

    @Test("a template that cannot be parsed names the template, the line and the column")
    func errors() throws {
        func error(_ text: String, partials: [String: String] = [:]) -> TemplateError? {
            var texts = partials
            texts["page"] = text
            do { _ = try TemplateLibrary(texts: texts); return nil } catch { return error }
        }
        #expect(error("a\n  {{#rows}}\n{{name}}") == TemplateError(template: "page", line: 2, column: 3, message: "the section {{#rows}} is not closed"))
        #expect(error("{{#a}}\n{{/b}}") == TemplateError(template: "page", line: 2, column: 1,
                                                          message: "{{/b}} closes the section {{#a}} of line 1"))
        #expect(error("x{{/a}}") == TemplateError(template: "page", line: 1, column: 2, message: "{{/a}} closes no section"))
        #expect(error("é {{name") == TemplateError(template: "page", line: 1, column: 3, message: "a tag is not closed with }}"))
        #expect(error("{{{name}}") == TemplateError(template: "page", line: 1, column: 1, message: "a tag is not closed with }}}"))
        #expect(error("{{=<% %>=}}")?.message == "Set Delimiter tags are not supported")
        #expect(error("{{a b}}")?.message == "\"a b\" is not a valid tag name")
        #expect(error("{{}}")?.message == "\"\" is not a valid tag name")
        #expect(error("a\n {{>missing}}") == TemplateError(template: "page", line: 2, column: 2, message: "the partial missing is not a template of the set"))
        #expect(error("{{>p}}", partials: ["p": "ok"]) == nil)
        #expect(String(describing: error("{{#a}}")!) == "template page, line 1, column 1: the section {{#a}} is not closed")
    }
}
