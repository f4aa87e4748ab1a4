import Testing
@testable import SEMP

/// The strict XML parser the SEMP interface reads `EM2Device` with (XML 1.0 fifth edition, Namespaces in XML 1.0).
@Suite("XML parser")
struct XMLParserTests {
    @Test("elements, attributes, namespaces by prefix and default, references, CDATA and comments")
    func xml10_wellFormed() throws {
        let doc = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <s:EM2Device xmlns:s="urn:x" a='1 &amp; 2'><s:Leaf>&lt;&#65;&#x42;&quot;&apos;&gt;</s:Leaf><Plain xmlns="urn:y"><![CDATA[<raw>]]></Plain><s:Empty/></s:EM2Device>
            """
        let root = try XMLParser.parse(doc)
        #expect(root.name == "EM2Device" && root.namespace == "urn:x" && root.attributes["a"] == "1 & 2")
        #expect(root.value("Leaf") == "<AB\"'>")
        #expect(root.child("Plain")?.namespace == "urn:y" && root.child("Plain")?.text == "<raw>")
        #expect(root.child("Empty")?.children.isEmpty == true)
    }

    @Test("what XML 1.0 forbids or ChargeKit refuses is an error naming the place", arguments: [
        "<a><b></a></b>", "<a>", "<a x=1/>", "<a x='1' x='2'/>", "<a>&unknown;</a>", "<a/><b/>", "<p:a/>",
        "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "<a><!DOCTYPE a></a>", "", "text", "<a>&#0;</a>",
    ])
    func xml10_malformedRefused(_ doc: String) {
        #expect(throws: XMLError.self) { try XMLParser.parse(doc) }
    }

    @Test("bounds: size, depth and element count are checked while parsing")
    func bounds() {
        var limits = XMLParser.Limits()
        limits.maxDepth = 3
        #expect(throws: XMLError.self) { try XMLParser.parse("<a><b><c><d/></c></b></a>", limits: limits) }
        #expect((try? XMLParser.parse("<a><b><c/></b></a>", limits: limits)) != nil)
        limits = XMLParser.Limits()
        limits.maxElements = 3
        #expect(throws: XMLError.self) { try XMLParser.parse("<a><b/><b/><b/></a>", limits: limits) }
        limits = XMLParser.Limits()
        limits.maxBytes = 10
        #expect(throws: XMLError.self) { try XMLParser.parse("<a>0123456789</a>", limits: limits) }
    }

    @Test("the writer escapes what the parser reads back")
    func roundTrip() throws {
        let text = "a<b>&\"c' \u{00FC}"
        let xml = XMLWriter.document(XMLElement("r", attributes: ["k": text + "\n"], children: [.leaf("t", text)]), defaultNamespace: "urn:z")
        let back = try XMLParser.parse(xml)
        #expect(back.namespace == "urn:z" && back.value("t") == text && back.attributes["k"] == text + "\n")
    }
}
