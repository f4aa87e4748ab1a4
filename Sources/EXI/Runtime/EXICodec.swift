/// The EXI body codec driven by a schema's normalised grammars (W3C EXI 1.0 Second Edition §6, §8.5), with the default
/// options that ISO 15118-2:2014 §7.9.1 and DIN SPEC 70121:2014-12 §9 prescribe: bit-packed, strict = false, no
/// compression, no fidelity options, the header without options (one byte, 0x80).
///
/// Strict = false gives every element grammar state one escape to second-level events (xsi:type, xsi:nil, undeclared
/// content): a state with n first-level productions has ceil(log2(n+1))-bit codes. This codec writes only
/// first-level events and rejects the escape with an error, like the V2G codecs do; wildcard content (SE(*), used
/// only by xmldsig extension points) is rejected the same way.
public enum EXICodec {
    /// The deepest element nesting the decoder accepts (the V2G schemas nest about ten levels).
    public static let maximumDepth = 32

    // MARK: Decoding

    /// Decodes an EXI document (header + body) of `schema`.
    public static func decodeDocument(_ bytes: [UInt8], schema: EXISchema) throws -> EXINode {
        var d = Decoder(schema: schema, reader: EXIBitReader(bytes))
        try d.header()
        return try d.root(schema.documentElements, width: exiBitWidth(schema.documentElements.count + 1), fragment: false)
    }

    /// Decodes an EXI fragment (§8.5.2) of one element, as ISO 15118-2:2014 §7.9.2.4 signs them (SignedInfo, the
    /// referenced body element).
    public static func decodeFragment(_ bytes: [UInt8], schema: EXISchema) throws -> EXINode {
        var d = Decoder(schema: schema, reader: EXIBitReader(bytes))
        try d.header()
        return try d.root(schema.fragmentElements, width: exiBitWidth(schema.fragmentElements.count + 2), fragment: true)
    }

    struct Decoder {
        let schema: EXISchema
        var reader: EXIBitReader
        var strings = EXIStringTable()

        mutating func header() throws {
            // §5: distinguishing bits 10, presence of options 0, version: final flag 0 and 4 bits 0000 (version 1).
            let bits = try reader.read(bits: 8)
            guard bits == 0x80 else {
                throw EXIError(bitPosition: 0, "EXI header 0x\(String(bits, radix: 16)), expected 0x80 (EXI 1.0, no options, no cookie)")
            }
        }

        mutating func root(_ elements: [(qname: Int, start: Int)], width: Int, fragment: Bool) throws -> EXINode {
            let at = reader.position
            let code = Int(try reader.read(bits: width))
            guard code < elements.count else {
                throw EXIError(bitPosition: at, code == elements.count
                    ? "SE(*) (an element outside the schema) as the root; expected one of the schema's \(elements.count) elements"
                    : "event code \(code) where the root element's code (0…\(elements.count - 1)) was expected")
            }
            let (q, start) = elements[code]
            guard start >= 0 else {
                throw EXIError(bitPosition: at, "\(schema.qnames[q]) is declared with several types; its fragment grammar is not supported")
            }
            let node = try element(q, start: start, depth: 0, repeatable: false)
            if fragment {
                // FragmentContent again: ED (code count + 1) closes the fragment.
                let end = reader.position
                let next = Int(try reader.read(bits: width))
                guard next == elements.count + 1 else {
                    throw EXIError(bitPosition: end, "event code \(next) where ED (\(elements.count + 1)) of the fragment was expected")
                }
            }
            // DocEnd: ED has the only (0-bit) code. The rest of the last byte is padding.
            guard reader.remainingBits < 8 else {
                throw EXIError(bitPosition: reader.position, "\(reader.remainingBits / 8) octets after the end of the document")
            }
            return node
        }

        mutating func element(_ q: Int, start: Int, depth: Int, repeatable: Bool) throws -> EXINode {
            let name = schema.qnames[q]
            guard depth < EXICodec.maximumDepth else {
                throw EXIError(bitPosition: reader.position, "\(name.localName): elements nested deeper than \(EXICodec.maximumDepth)")
            }
            var node = EXINode(name, repeatable: repeatable)
            var state = start
            while true {
                let productions = schema.states[state]
                let at = reader.position
                let code = Int(try reader.read(bits: exiBitWidth(productions.count + 1)))
                if code == productions.count, !productions.contains(where: { $0.kind == .endElement }) {
                    // Second level: EE, the end of an element whose content is empty (an empty string or binary
                    // value) or incomplete; the rest of the second level is refused below.
                    let second = Int(try reader.read(bits: exiBitWidth(schema.secondLevelCounts[state])))
                    if second == 0 {
                        if node.value == nil, let ch = productions.first(where: { $0.kind == .characters }) {
                            switch schema.datatypes[ch.argument] {
                            case .string: node.value = .string("")
                            case .binary(let base64, _, _): node.value = base64 ? .base64Binary([]) : .binary([])
                            default: break
                            }
                        }
                        return node
                    }
                }
                guard code < productions.count else {
                    throw EXIError(bitPosition: at, "\(name.localName): " + (code == productions.count
                        ? "second-level event (xsi:type, xsi:nil or undeclared content), not used by the V2G messages; expected \(expected(productions))"
                        : "event code \(code) beyond the \(productions.count + 1) codes here; expected \(expected(productions))"))
                }
                let p = productions[code]
                switch p.kind {
                case .endElement:
                    return node
                case .attribute:
                    let attr = schema.qnames[p.qname].localName
                    let v = try EXIValueDecoder.decode(
                        schema.datatypes[p.argument], qname: p.qname, field: "\(name.localName)@\(attr)", reader: &reader,
                        strings: &strings)
                    node.attributes.append(EXIAttribute(attr, v))
                case .characters:
                    node.value = try EXIValueDecoder.decode(
                        schema.datatypes[p.argument], qname: q, field: name.localName, reader: &reader, strings: &strings)
                case .untypedCharacters:
                    let text = try EXIValueDecoder.decodeString(qname: q, maxLength: nil, reader: &reader, strings: &strings)
                    if case .string(let before)? = node.value { node.value = .string(before + text) } else { node.value = .string(text) }
                case .startElement:
                    var child = try element(p.qname, start: p.argument, depth: depth + 1, repeatable: p.repeated)
                    child.objectForm = p.objectForm
                    node.children.append(child)
                case .anyElement:
                    throw EXIError(bitPosition: at, "\(name.localName): SE(*) wildcard content (an xmldsig extension point), which the V2G messages leave empty")
                }
                state = p.target
            }
        }

        func expected(_ productions: [EXIProduction]) -> String {
            productions.map { describe($0, schema) }.joined(separator: " | ")
        }
    }

    static func describe(_ p: EXIProduction, _ schema: EXISchema) -> String {
        switch p.kind {
        case .attribute: return "AT(\(schema.qnames[p.qname].localName))"
        case .startElement: return "SE(\(schema.qnames[p.qname].localName))"
        case .endElement: return "EE"
        case .characters: return "CH"
        case .untypedCharacters: return "CH(untyped)"
        case .anyElement: return "SE(*)"
        }
    }

    // MARK: Encoding

    /// Encodes `root` as an EXI document (header + body) of `schema`.
    public static func encodeDocument(_ root: EXINode, schema: EXISchema) throws -> [UInt8] {
        var e = Encoder(schema: schema)
        e.writer.write(0x80, bits: 8)
        try e.root(root, schema.documentElements, width: exiBitWidth(schema.documentElements.count + 1), fragment: false)
        return e.writer.bytes
    }

    /// Encodes `root` as an EXI fragment (§8.5.2), as ISO 15118-2:2014 §7.9.2.4 prescribes for the signed elements.
    public static func encodeFragment(_ root: EXINode, schema: EXISchema) throws -> [UInt8] {
        var e = Encoder(schema: schema)
        e.writer.write(0x80, bits: 8)
        try e.root(root, schema.fragmentElements, width: exiBitWidth(schema.fragmentElements.count + 2), fragment: true)
        return e.writer.bytes
    }

    struct Encoder {
        let schema: EXISchema
        var writer = EXIBitWriter()
        var strings = EXIStringTable()

        mutating func root(_ node: EXINode, _ elements: [(qname: Int, start: Int)], width: Int, fragment: Bool) throws {
            guard let q = schema.qnameID(node.name), let code = elements.firstIndex(where: { $0.qname == q }),
                elements[code].start >= 0
            else {
                throw EXIError(bitPosition: 0, "\(node.name) is not a \(fragment ? "fragment" : "document") root of the \(schema.name) schema")
            }
            writer.write(UInt64(code), bits: width)
            try element(node, q, start: elements[code].start, depth: 0)
            if fragment { writer.write(UInt64(elements.count + 1), bits: width) }
        }

        mutating func element(_ node: EXINode, _ q: Int, start: Int, depth: Int) throws {
            let name = node.name.localName
            guard depth < EXICodec.maximumDepth else {
                throw EXIError(bitPosition: 0, "\(name): elements nested deeper than \(EXICodec.maximumDepth)")
            }
            let attributes = node.attributes.sorted { $0.name < $1.name }
            var nextAttribute = 0
            var valueDone = node.value == nil
            var nextChild = 0
            var state = start
            while true {
                let productions = schema.states[state]
                var chosen: Int?
                var what = "the end of the element"
                if nextAttribute < attributes.count {
                    let a = attributes[nextAttribute].name
                    what = "attribute \(a)"
                    chosen = productions.firstIndex { $0.kind == .attribute && schema.qnames[$0.qname].localName == a }
                } else if !valueDone {
                    what = "a value"
                    chosen = productions.firstIndex { $0.kind == .characters || $0.kind == .untypedCharacters }
                    if let c = chosen, productions[c].kind == .characters, node.value!.isEmpty, node.children.isEmpty,
                        !productions.contains(where: { $0.kind == .endElement })
                    {
                        // An empty value ends the element with the second-level EE, as EXIficient (and an XML
                        // source: <a></a> has no characters event) writes it.
                        writer.write(UInt64(productions.count), bits: exiBitWidth(productions.count + 1))
                        writer.write(0, bits: exiBitWidth(schema.secondLevelCounts[state]))
                        return
                    }
                } else if nextChild < node.children.count {
                    let c = node.children[nextChild].name
                    what = "element \(c.localName)"
                    if let cq = schema.qnameID(c) {
                        chosen = productions.firstIndex { $0.kind == .startElement && $0.qname == cq }
                    }
                } else {
                    chosen = productions.firstIndex { $0.kind == .endElement }
                }
                guard let code = chosen else {
                    throw EXIError(bitPosition: 0, "\(name): \(what) is not allowed here; expected \(productions.map { describe($0, schema) }.joined(separator: " | "))")
                }
                writer.write(UInt64(code), bits: exiBitWidth(productions.count + 1))
                let p = productions[code]
                switch p.kind {
                case .endElement:
                    return
                case .attribute:
                    let a = attributes[nextAttribute]
                    try EXIValueEncoder.encode(
                        a.value, as: schema.datatypes[p.argument], qname: p.qname, field: "\(name)@\(a.name)", writer: &writer,
                        strings: &strings)
                    nextAttribute += 1
                case .characters:
                    try EXIValueEncoder.encode(
                        node.value!, as: schema.datatypes[p.argument], qname: q, field: name, writer: &writer, strings: &strings)
                    valueDone = true
                case .untypedCharacters:
                    guard case .string(let text)? = node.value else {
                        throw EXIError(bitPosition: 0, "\(name): mixed content takes text, not \(node.value!)")
                    }
                    EXIValueEncoder.encodeString(text, qname: q, writer: &writer, strings: &strings)
                    valueDone = true
                case .startElement:
                    try element(node.children[nextChild], p.qname, start: p.argument, depth: depth + 1)
                    nextChild += 1
                case .anyElement:
                    throw EXIError(bitPosition: 0, "\(name): wildcard content is not encoded")
                }
                state = p.target
            }
        }
    }
}
