"""Typed Swift message types over the schema-neutral EXINode: a struct per complex type, an enum per enumeration and
per substitution group, and the schema's encode/decode entry points. Field layout: the element particles of a type's
content flattened in schema order; a field is optional when it may be absent (minOccurs 0, or inside a choice or an
optional group) and an array when it may repeat. Wildcards and mixed text have no field (the V2G messages never use
them; the codec rejects wildcard content). Facets are not repeated here: the codec checks them on encode and decode."""
import keyword
import re

XS = "http://www.w3.org/2001/XMLSchema"
SWIFT_KEYWORDS = {"default", "case", "switch", "class", "struct", "enum", "protocol", "extension", "func", "var", "let",
                  "in", "is", "as", "do", "if", "else", "for", "while", "repeat", "return", "throw", "throws", "try",
                  "catch", "where", "self", "Self", "Type", "init", "internal", "public", "private", "static", "true",
                  "false", "nil", "import", "operator", "subscript", "super", "typealias", "associatedtype", "guard",
                  "defer", "break", "continue", "fallthrough", "inout", "deinit", "none"}


def upper_ident(name):
    s = re.sub(r"[^A-Za-z0-9]", "", name)
    return s[0].upper() + s[1:] if s else "X"


def lower_camel(name):
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    m = re.match(r"^([A-Z]+)(?=[A-Z][a-z]|$|[0-9_])", s)
    if m and len(m.group(1)) > 1:
        run = m.group(1)
        s = run.lower() + s[len(run):]
    else:
        s = s[0].lower() + s[1:]
    s = s.replace("_", "") if not s.startswith("_") else s
    if not s or s[0].isdigit():
        s = "v" + s
    return "`%s`" % s if s in SWIFT_KEYWORDS or keyword.iskeyword(s) else s


def case_name(value):
    s = re.sub(r"[^A-Za-z0-9_]", "_", value)
    if not s:
        s = "empty"
    if s[0].isdigit():
        s = "v" + s
    m = re.match(r"^[A-Z]+(?=_|$)", s) or re.match(r"^[A-Z]+(?=[A-Z][a-z])", s)
    s = (m.group(0).lower() + s[m.end():]) if m else s[0].lower() + s[1:]
    return "`%s`" % s if s in SWIFT_KEYWORDS else s


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Typed:
    def __init__(self, prefix, g, schema):
        self.p = prefix
        self.g = g
        self.schema = schema
        self.integer = schema.maps.types["{%s}integer" % XS]
        self.structs = {}   # key -> (swift name, xsd type, element name hint)
        self.enums = {}     # key -> (swift name, values)
        self.groups = {}    # head qname -> (swift name, members)
        self.order = []
        self.names = set()

    def unique(self, base):
        name = self.p + upper_ident(base)
        n, out = 2, name
        while out in self.names:
            out = "%s%d" % (name, n)
            n += 1
        self.names.add(out)
        return out

    def key(self, t):
        return t.name if t.name else ("anon", id(t))

    # --- simple values -----------------------------------------------------------------------------------------
    def scalar(self, t, hint):
        """(swift type, fromNode expression template with {v} = EXIValue?, field text, toValue template with {x})"""
        d = self.g.datatypes[self.g.datatype(t)]
        k = d[0]
        if k == "enum":
            key = self.key(t)
            if key not in self.enums:
                self.enums[key] = (self.unique(t.local_name if t.name else hint + "Enum"), d[1])
                self.order.append(("enum", key))
            name = self.enums[key][0]
            return name, "try %s(exi: {v}, {f})" % name, ".string({x}.rawValue)"
        if k == "string":
            return "String", "try EXITyped.string({v}, {f})", ".string({x})"
        if k == "bool":
            return "Bool", "try EXITyped.bool({v}, {f})", ".boolean({x})"
        if k in ("nbit", "int"):
            return "Int", "try EXITyped.int({v}, {f})", ".integer(Int64({x}))"
        if k == "uint":
            if d[2] is not None and d[2] <= 2 ** 63 - 1:
                return "Int", "try EXITyped.intFromUnsigned({v}, {f})", "EXITyped.unsigned({x})"
            return "UInt64", "try EXITyped.uint64({v}, {f})", ".unsigned({x})"
        if k == "hex":
            return "[UInt8]", "try EXITyped.bytes({v}, {f})", ".binary({x})"
        return "[UInt8]", "try EXITyped.bytes({v}, {f})", ".base64Binary({x})"

    # --- structure -----------------------------------------------------------------------------------------------
    def members(self, e):
        head = e.ref if getattr(e, "ref", None) is not None else e
        out, todo, seen = [], [head], set()
        while todo:
            x = todo.pop()
            if x.name in seen:
                continue
            seen.add(x.name)
            if not x.abstract:
                out.append(x)
            todo.extend(self.schema.maps.substitution_groups.get(x.name, []))
        return sorted(out, key=lambda m: (m.local_name, m.target_namespace or ""))

    def struct_for(self, t, hint):
        key = self.key(t)
        if key not in self.structs:
            self.structs[key] = (self.unique(t.local_name if t.name else hint), t, hint)
            self.order.append(("struct", key))
        return self.structs[key][0]

    def element_type(self, e):
        """Swift type of one element's content (struct or scalar)."""
        t = e.type
        if t.is_simple():
            return self.scalar(t, e.local_name)
        return self.struct_for(t, e.local_name), None, None

    def fields(self, t):
        """[(swift field, kind, swift type, elements [(xsd element, qname)], decode tmpl, encode tmpl, repeat flag)]"""
        out = []
        by_name = {}
        for a in sorted((a for a in t.attributes.values() if a.__class__.__name__ == "XsdAttribute"),
                        key=lambda a: (a.local_name, a.target_namespace or "")):
            st, dec, enc = self.scalar(a.type, a.local_name)
            out.append(dict(field=lower_camel(a.local_name), kind="attr", type=st, name=a.local_name, dec=dec, enc=enc,
                            optional=not a.is_required()))
        if t.has_simple_content():
            st, dec, enc = self.scalar(t.content, "Value")
            out.append(dict(field="value", kind="value", type=st, dec=dec, enc=enc, optional=False))
            return out
        self.walk(t.content, False, False, out, by_name)
        return out

    def walk(self, g, optional, repeated, out, by_name):
        opt = optional or g.min_occurs == 0
        rep = repeated or g.max_occurs is None or g.max_occurs > 1
        for p in g:
            cls = p.__class__.__name__
            if cls == "XsdAnyElement":
                continue
            if cls != "XsdElement":
                self.walk(p, opt or g.model == "choice", rep, out, by_name)
                continue
            o = opt or g.model == "choice" or p.min_occurs == 0
            r = rep or p.max_occurs is None or p.max_occurs > 1
            group = (p.ref is not None or p.parent is None) and (p.abstract or len(self.members(p)) > 1
                                                                or (p.ref is not None and p.ref.abstract))
            if group:
                head = p.ref if p.ref is not None else p
                if head.name not in self.groups:
                    self.groups[head.name] = (self.unique(head.local_name + "Group" if not head.abstract else head.local_name),
                                              self.members(p))
                    self.order.append(("group", head.name))
                f = dict(field=lower_camel(head.local_name), kind="group", type=self.groups[head.name][0],
                         group=head.name, optional=o, repeated=r)
            else:
                e = p.ref if p.ref is not None else p
                st, dec, enc = self.element_type(e)
                f = dict(field=lower_camel(e.local_name), kind="element", type=st, dec=dec, enc=enc, optional=o,
                         repeated=r, name=e.local_name, ns=self.g.qnames[self.g.qname(e)][0])
            if f["field"] in by_name:
                prev = by_name[f["field"]]
                prev["repeated"] = True
                continue
            by_name[f["field"]] = f
            out.append(f)

    # --- emission ----------------------------------------------------------------------------------------------
    def decl_type(self, f):
        if f.get("repeated"):
            return "[%s]" % f["type"]
        return f["type"] + ("?" if f["optional"] else "")

    def emit_struct(self, key):
        name, t, hint = self.structs[key]
        fields = self.fields(t)
        doc = "/// %s (%s)." % (t.local_name if t.name else "The anonymous type of " + hint, "complex type")
        lines = [doc, "public struct %s: Equatable, Sendable {" % name]
        for f in fields:
            lines.append("    public var %s: %s" % (f["field"], self.decl_type(f)))
        params = ", ".join("%s: %s%s" % (f["field"].strip("`"), self.decl_type(f),
                                          " = []" if f.get("repeated") else (" = nil" if f["optional"] else ""))
                           for f in fields)
        lines.append("")
        lines.append("    public init(%s) {" % params)
        for f in fields:
            lines.append("        self.%s = %s" % (f["field"].strip("`"), f["field"].strip("`") if f["field"][0] != "`" else f["field"]))
        lines.append("    }")
        lines.append("}")
        lines.append("")
        # conversion
        lines.append("extension %s: EXITypedElement {" % name)
        lines.append("    public init(node: EXINode) throws {")
        for f in fields:
            if f.get("repeated"):
                lines.append("        var %s: %s = []" % (f["field"], self.decl_type(f)))
            else:
                lines.append("        var %s: %s? = nil" % (f["field"], f["type"]))
        attrs = [f for f in fields if f["kind"] == "attr"]
        if attrs:
            lines.append("        for a in node.attributes {")
            lines.append("            switch a.name {")
            for f in attrs:
                lines.append("            case %s: %s = %s" % (swift_string(f["name"]), f["field"],
                                                           f["dec"].format(v="a.value", f='"%s"' % f["name"])))
            lines.append("            default: throw EXITyped.unexpected(a.name, in: node)")
            lines.append("            }")
            lines.append("        }")
        vals = [f for f in fields if f["kind"] == "value"]
        for f in vals:
            lines.append("        value = %s" % f["dec"].format(v="node.value", f="node.name.localName"))
        elems = [f for f in fields if f["kind"] in ("element", "group")]
        if elems:
            lines.append("        for c in node.children {")
            lines.append("            switch c.name.localName {")
            for f in elems:
                if f["kind"] == "element":
                    if f["dec"] is None:
                        expr = "try %s(node: c)" % f["type"]
                    else:
                        expr = f["dec"].format(v="c.value", f="c.name.localName")
                    target = "%s.append(%s)" % (f["field"], expr) if f.get("repeated") else "%s = %s" % (f["field"], expr)
                    lines.append("            case %s: %s" % (swift_string(f["name"]), target))
                else:
                    gname, members = self.groups[f["group"]]
                    labels = ", ".join(swift_string(m.local_name) for m in members)
                    expr = "try %s(node: c)" % gname
                    target = "%s.append(%s)" % (f["field"], expr) if f.get("repeated") else "%s = %s" % (f["field"], expr)
                    lines.append("            case %s: %s" % (labels, target))
            lines.append("            default: throw EXITyped.unexpected(c.name.localName, in: node)")
            lines.append("            }")
            lines.append("        }")
        for f in fields:
            if not f.get("repeated") and not f["optional"]:
                label = f.get("name", f["field"])
                lines.append("        guard let %s else { throw EXITyped.missing(%s, in: node) }" % (f["field"], swift_string(label)))
        lines.append("        self.init(%s)" % ", ".join("%s: %s" % (f["field"].strip("`"), f["field"]) for f in fields))
        lines.append("    }")
        lines.append("")
        lines.append("    public func node(_ name: EXIQName, repeatable: Bool) -> EXINode {")
        lines.append("        var n = EXINode(name, repeatable: repeatable)")
        for f in fields:
            fv = "self." + f["field"].strip("`")
            if f["kind"] == "attr":
                if f["optional"]:
                    lines.append("        if let x = %s { n.attributes.append(EXIAttribute(%s, %s)) }" % (fv, swift_string(f["name"]), f["enc"].format(x="x")))
                else:
                    lines.append("        n.attributes.append(EXIAttribute(%s, %s))" % (swift_string(f["name"]), f["enc"].format(x=fv)))
            elif f["kind"] == "value":
                lines.append("        n.value = %s" % f["enc"].format(x=fv))
            elif f["kind"] == "element":
                q = "EXIQName(%s, %s)" % (swift_string(f["ns"]), swift_string(f["name"]))
                rep = "true" if f.get("repeated") else "false"
                if f["enc"] is None:
                    mk = "x.node(%s, repeatable: %s)" % (q, rep)
                else:
                    mk = "EXINode(%s, value: %s, repeatable: %s)" % (q, f["enc"].format(x="x"), rep)
                if f.get("repeated"):
                    lines.append("        for x in %s { n.children.append(%s) }" % (fv, mk))
                elif f["optional"]:
                    lines.append("        if let x = %s { n.children.append(%s) }" % (fv, mk))
                else:
                    lines.append("        do { let x = %s; n.children.append(%s) }" % (fv, mk))
            else:
                rep = "true" if f.get("repeated") else "false"
                if f.get("repeated"):
                    lines.append("        for x in %s { n.children.append(x.node(repeatable: %s)) }" % (fv, rep))
                elif f["optional"]:
                    lines.append("        if let x = %s { n.children.append(x.node(repeatable: %s)) }" % (fv, rep))
                else:
                    lines.append("        n.children.append(%s.node(repeatable: %s))" % (fv, rep))
        lines.append("        return n")
        lines.append("    }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def emit_enum(self, key):
        name, values = self.enums[key]
        lines = ["/// The enumeration %s." % (key if isinstance(key, str) else name),
                 "public enum %s: String, Sendable, CaseIterable {" % name]
        for v in values:
            lines.append("    case %s = %s" % (case_name(v), swift_string(v)))
        lines.append("")
        lines.append("    init(exi value: EXIValue?, _ field: String) throws {")
        lines.append("        guard case .string(let s)? = value, let v = Self(rawValue: s) else { throw EXITyped.invalid(value, field) }")
        lines.append("        self = v")
        lines.append("    }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def emit_group(self, head):
        name, members = self.groups[head]
        lines = ["/// The substitution group of %s (EXI §8.5.4.1.6: one SE per member)." % head.split("}")[-1],
                 "public enum %s: Equatable, Sendable {" % name]
        cases = []
        for m in members:
            st, dec, enc = self.element_type(m)
            cases.append((case_name(m.local_name), m, st, dec, enc))
            lines.append("    case %s(%s)" % (cases[-1][0], st))
        lines.append("")
        lines.append("    public init(node c: EXINode) throws {")
        lines.append("        switch c.name.localName {")
        for cn, m, st, dec, enc in cases:
            expr = "try %s(node: c)" % st if dec is None else dec.format(v="c.value", f="c.name.localName")
            lines.append("        case %s: self = .%s(%s)" % (swift_string(m.local_name), cn.strip("`") if False else cn, expr))
        lines.append("        default: throw EXITyped.unexpected(c.name.localName, in: c)")
        lines.append("        }")
        lines.append("    }")
        lines.append("")
        lines.append("    public func node(repeatable: Bool = false) -> EXINode {")
        lines.append("        switch self {")
        for cn, m, st, dec, enc in cases:
            q = "EXIQName(%s, %s)" % (swift_string(self.g.qnames[self.g.qname(m)][0]), swift_string(m.local_name))
            mk = "x.node(%s, repeatable: repeatable)" % q if enc is None else "EXINode(%s, value: %s, repeatable: repeatable)" % (q, enc.format(x="x"))
            lines.append("        case .%s(let x): return %s" % (cn, mk))
        lines.append("        }")
        lines.append("    }")
        lines.append("}")
        return "\n".join(lines) + "\n"


def generate(name, prop, g, schema, head, root_ns):
    T = Typed(name, g, schema)
    main_ns = root_ns
    roots = [e for e in g.global_elements if (e.target_namespace or "") == main_ns and not e.abstract]
    roots = [e for e in roots if e.local_name == "V2G_Message"] or roots  # DIN's MsgDef also declares BodyElement
    for e in g.global_elements:
        if not e.abstract and e.type.is_complex():
            T.struct_for(e.type, e.local_name)
    # emit until closure (emitting discovers more types)
    chunks, done, i = [], set(), 0
    while i < len(T.order):
        kind, key = T.order[i]
        i += 1
        if kind == "struct":
            chunks.append(T.emit_struct(key))
        elif kind == "enum":
            chunks.append(T.emit_enum(key))
        else:
            chunks.append(T.emit_group(key))
    files = {}
    per_file, buf, n = 600, [], 0
    for c in chunks:
        buf.append(c)
        if sum(x.count("\n") for x in buf) > per_file:
            files["%sTypes%d.swift" % (name, n)] = head + "\n" + "\n".join(buf)
            buf, n = [], n + 1
    if buf:
        files["%sTypes%d.swift" % (name, n)] = head + "\n" + "\n".join(buf)
    # entry points
    api = [head, "extension EXI {",
           "    /// Typed entry points of the %s schema (namespace %s): documents and, for signatures, fragments." % (name, main_ns),
           "    public enum %s {" % name]
    if len(roots) == 1:
        r = roots[0]
        st = T.struct_for(r.type, r.local_name)
        q = "EXIQName(%s, %s)" % (swift_string(main_ns), swift_string(r.local_name))
        api += ["        public typealias Message = %s" % st, "",
                "        /// Encodes a %s document (EXI header 0x80 + body)." % r.local_name,
                "        public static func encode(_ message: Message) throws -> [UInt8] {",
                "            try EXICodec.encodeDocument(message.node(%s, repeatable: false), schema: EXI.%s)" % (q, prop),
                "        }", "",
                "        /// Decodes a %s document; a stream that does not match the grammar is an EXIError." % r.local_name,
                "        public static func decode(_ bytes: [UInt8]) throws -> Message {",
                "            let node = try EXICodec.decodeDocument(bytes, schema: EXI.%s)" % prop,
                "            guard node.name == %s else { throw EXITyped.unexpected(node.name.localName, in: node) }" % q,
                "            return try Message(node: node)",
                "        }"]
    else:
        api += ["        /// The document roots of the schema.", "        public enum Message: Equatable, Sendable {"]
        for r in roots:
            api.append("            case %s(%s)" % (case_name(r.local_name), T.struct_for(r.type, r.local_name)))
        api += ["        }", "",
                "        /// The element tree of a message (its root element named as the schema names it).",
                "        public static func node(_ message: Message) -> EXINode {",
                "            switch message {"]
        for r in roots:
            q = "EXIQName(%s, %s)" % (swift_string(main_ns), swift_string(r.local_name))
            api.append("            case .%s(let x): x.node(%s, repeatable: false)" % (case_name(r.local_name), q))
        api += ["            }", "        }", "",
                "        public static func encode(_ message: Message) throws -> [UInt8] {",
                "            try EXICodec.encodeDocument(node(message), schema: EXI.%s)" % prop, "        }", "",
                "        public static func decode(_ bytes: [UInt8]) throws -> Message {",
                "            let node = try EXICodec.decodeDocument(bytes, schema: EXI.%s)" % prop,
                "            switch node.name.localName {"]
        for r in roots:
            api.append("            case %s: return .%s(try %s(node: node))" % (swift_string(r.local_name), case_name(r.local_name),
                                                                          T.struct_for(r.type, r.local_name)))
        api += ["            default: throw EXITyped.unexpected(node.name.localName, in: node)", "            }", "        }"]
    api += ["",
            "        /// Encodes one element as an EXI fragment (W3C EXI §8.5.2; ISO 15118-2:2014 §7.9.2.4 for signatures).",
            "        public static func encodeFragment(_ element: EXINode) throws -> [UInt8] {",
            "            try EXICodec.encodeFragment(element, schema: EXI.%s)" % prop, "        }", "",
            "        public static func decodeFragment(_ bytes: [UInt8]) throws -> EXINode {",
            "            try EXICodec.decodeFragment(bytes, schema: EXI.%s)" % prop, "        }"]
    si = [e for e in g.global_elements if e.local_name == "SignedInfo"]
    if si:
        st = T.struct_for(si[0].type, "SignedInfo")
        api += ["",
                "        /// The EXI fragment of an xmldsig SignedInfo under the xmldsig schema's grammars, the octets an ISO 15118-2",
                "        /// signature covers (§7.9.2.4).",
                "        public static func signedInfoFragment(_ signedInfo: %s) throws -> [UInt8] {" % st,
                "            try EXICodec.encodeFragment(signedInfo.node(EXIQName(%s, \"SignedInfo\"), repeatable: false), schema: EXI.xmldsig)"
                % swift_string(si[0].target_namespace),
                "        }"]
    api += ["    }", "}", ""]
    files["%sAPI.swift" % name] = "\n".join(api)
    return files
