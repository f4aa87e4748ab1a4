"""Schema-informed EXI grammars (W3C EXI 1.0 Second Edition §8.5) built from an XML schema read by `xmlschema`.

The proto-grammars of §8.5.4.1 (type grammars, attribute uses, particles, element/wildcard/model-group terms and the
concatenation operator) are built as a graph of states with epsilon productions, then normalised (§8.5.4.2: epsilon
elimination, duplicate removal) and ordered for event codes (§8.5.4.3). The default options of ISO 15118-2 §7.9.1 are
assumed (strict=false): every state keeps one escape code for its second-level events, so a state with n first-level
productions uses ceil(log2(n+1)) bits; the second-level productions themselves are not generated (our encoder never
emits them and our decoder rejects them with an error).
"""

XS = "http://www.w3.org/2001/XMLSchema"

# Production kinds (also the runtime's numbering, see Sources/EXI/Runtime/EXIGrammar.swift).
AT, SE, EE, CH, SE_ANY, CH_UNTYPED, EPS = 0, 1, 2, 3, 4, 5, 9


class Builder:
    """A pool of proto-grammar states: a state is a list of [kind, a, b, target] (target None for EE)."""

    def __init__(self):
        self.states = []

    def new(self):
        self.states.append([])
        return len(self.states) - 1

    def grammar(self, start, members):
        return (start, members)

    def concat(self, g1, g2):
        """G1 ⊕ G2 (§8.5.4.1.1): every EE of G1 becomes an epsilon production to the start of G2."""
        s1, m1 = g1
        s2, m2 = g2
        for s in m1:
            prods = self.states[s]
            for i, p in enumerate(prods):
                if p[0] == EE:
                    prods[i] = [EPS, None, None, s2, 0]
        return (s1, m1 + m2)

    def ee_only(self):
        s = self.new()
        self.states[s].append([EE, None, None, None, 0])
        return (s, [s])


def bits_for(n):
    """ceil(log2(n)) for n >= 1, the width of an n-valued code (0 for a single value)."""
    b = 0
    while (1 << b) < n:
        b += 1
    return b


class UnsupportedSchema(Exception):
    pass


class SchemaGrammars:
    """All normalised element grammars of one schema set, the document and fragment grammars' element lists, the
    qualified names and the datatypes the productions refer to."""

    def __init__(self, schema):
        self.schema = schema
        self.qnames = []          # [(uri, local)]
        self._qname_index = {}
        self.datatypes = []       # [tuple]
        self._datatype_index = {}
        self.states = []          # [[(kind, qname, arg, target, flags)]], the normalised states of all grammars
        self.second = []          # per state: the number of its second-level productions (strict=false, §8.5.4.4.1)
        self._grammar_start = {}  # type key -> start state
        self._pending = []        # (type key, xsd type) to build
        self.type_names = {}      # type key -> readable name (for the typed layer and error texts)
        self.grammar_types = {}   # start state -> xsd type
        xsd = schema.maps
        self.global_elements = []
        for sc in xsd.iter_schemas():
            if sc.target_namespace in (XS,):
                continue
            for e in sc.elements.values():
                self.global_elements.append(e)
        self.global_elements.sort(key=lambda e: (e.local_name, e.target_namespace or ""))
        self.document = [(self.qname(e), self.grammar_for_element(e)) for e in self.global_elements]
        # Fragment grammar (§8.5.2): every element declaration, global and local, once per qualified name.
        seen = {}
        for e in self._all_element_declarations():
            key = (e.local_name, e.target_namespace or "")
            seen.setdefault(key, []).append(e)
        self.fragment = []
        for key in sorted(seen):
            decls = seen[key]
            types = {self._type_key(d.type) for d in decls}
            start = self.grammar_for_element(decls[0]) if len(types) == 1 else -1
            self.fragment.append((self.qname(decls[0]), start))
        while self._pending:
            key, t = self._pending.pop(0)
            self._build(key, t)
        self._resolve()

    # --- names and datatypes -------------------------------------------------------------------------------------

    def qname(self, e):
        # Unqualified attributes and local elements (form="unqualified") have no namespace (xmlschema still reports
        # the schema's); the string table's local partitions are keyed by this name (EXI §7.3.1).
        glob = getattr(e, "parent", None) is None or getattr(e, "ref", None) is not None
        ns = (e.target_namespace or "") if (glob or getattr(e, "qualified", True)) else ""
        key = (ns, e.local_name)
        if key not in self._qname_index:
            self._qname_index[key] = len(self.qnames)
            self.qnames.append(key)
        return self._qname_index[key]

    def datatype(self, t):
        key = self._datatype_key(t)
        if key not in self._datatype_index:
            self._datatype_index[key] = len(self.datatypes)
            self.datatypes.append(key)
        return self._datatype_index[key]

    def _facet(self, t, name):
        tag = "{%s}%s" % (XS, name)
        while t is not None and hasattr(t, "facets"):
            f = t.facets.get(tag)
            if f is not None:
                return f.value
            t = getattr(t, "base_type", None)
        return None

    def _datatype_key(self, t):
        if t.is_list() or t.is_union():
            raise UnsupportedSchema("list/union type %s" % t)
        enum = getattr(t, "enumeration", None)
        prim = t.primitive_type.local_name
        if enum:
            return ("enum", tuple(str(v) if not isinstance(v, bytes) else v.decode() for v in enum))
        for ex in ("minExclusive", "maxExclusive", "pattern", "totalDigits", "fractionDigits"):
            if self._facet(t, ex) is not None and ex in ("minExclusive", "maxExclusive"):
                raise UnsupportedSchema("%s facet on %s" % (ex, t))
        if prim == "boolean":
            return ("bool",)
        integer = self.schema.maps.types["{%s}integer" % XS]
        if t is integer or t.is_derived(integer):
            lo, hi = t.min_value, t.max_value
            if lo is not None and hi is not None and hi - lo < 4096:
                return ("nbit", int(lo), int(hi))
            if lo is not None and lo >= 0:
                return ("uint", int(lo), None if hi is None else int(hi))
            return ("int", None if lo is None else int(lo), None if hi is None else int(hi))
        if prim in ("string", "anyURI"):
            n = self._facet(t, "length")
            lo = n if n is not None else self._facet(t, "minLength")
            hi = n if n is not None else self._facet(t, "maxLength")
            return ("string", lo, hi)
        if prim in ("hexBinary", "base64Binary"):
            n = self._facet(t, "length")
            lo = n if n is not None else self._facet(t, "minLength")
            hi = n if n is not None else self._facet(t, "maxLength")
            return ("hex" if prim == "hexBinary" else "base64", lo, hi)
        raise UnsupportedSchema("datatype %s (primitive %s)" % (t, prim))

    # --- grammars -------------------------------------------------------------------------------------------------

    def _type_key(self, t):
        return t.name if t.name else ("anon", id(t))

    def _all_element_declarations(self):
        out, seen_types = [], set()

        def walk_type(t):
            k = self._type_key(t)
            if k in seen_types or not t.is_complex():
                return
            seen_types.add(k)
            if t.has_simple_content():
                return
            walk_group(t.content)

        def walk_group(g):
            for p in g:
                if hasattr(p, "model") and not hasattr(p, "type"):
                    walk_group(p)
                elif hasattr(p, "type") and p.__class__.__name__ == "XsdElement":
                    out.append(p)
                    for m in self._substitutes(p):
                        out.append(m)
                        walk_type(m.type)
                    walk_type(p.type)

        for e in self.global_elements:
            out.append(e)
            walk_type(e.type)
        # EXIficient (the oracle) counts the local elements of every named complex type of the schema set too, also of
        # types no element of this schema uses (ISO 15118-20's CommonTypes declares types for the AC and DC schemas):
        # the fragment grammar lists "all element declarations in the schema" (§8.5.2), not only the reachable ones.
        for sc in self.schema.maps.iter_schemas():
            if sc.target_namespace in (XS,):
                continue
            for t in sc.types.values():
                walk_type(t)
        return out

    def grammar_for_element(self, e):
        return self.grammar_for_type(e.type)

    def grammar_for_type(self, t):
        key = self._type_key(t)
        if key not in self._grammar_start:
            self._grammar_start[key] = None
            self._pending.append((key, t))
        return ("type", key)

    def _substitutes(self, e):
        """The members of e's substitution group (e included), transitively (§8.5.4.1.6). Abstract members stay in,
        as EXIficient keeps them (ISO 15118-2's abstract BodyElement has a code in Body's grammar)."""
        head = e.ref if getattr(e, "ref", None) is not None else e
        out, todo = [], [head]
        groups = self.schema.maps.substitution_groups
        seen = set()
        while todo:
            x = todo.pop()
            if x.name in seen:
                continue
            seen.add(x.name)
            out.append(x)
            todo.extend(groups.get(x.name, []))
        out.sort(key=lambda m: (m.local_name, m.target_namespace or ""))
        return out

    def _build(self, key, t):
        B = Builder()
        if t.is_simple():
            s0, s1 = B.new(), B.new()
            B.states[s0].append([CH, None, self.datatype(t), s1, 0])
            B.states[s1].append([EE, None, None, None, 0])
            g = (s0, [s0, s1])
        else:
            g = self._complex(B, t)
        nattrs = 0 if t.is_simple() else len(t.attributes)
        start = self._normalise(B, g[0], nattrs)
        self._grammar_start[key] = start
        self.grammar_types[start] = t
        self.type_names[key] = t.local_name if t.name else None

    def _complex(self, B, t):
        parts = []
        attrs = [a for a in t.attributes.values() if a.__class__.__name__ == "XsdAttribute"]
        if len(attrs) != len(t.attributes):
            raise UnsupportedSchema("attribute wildcard in %s" % t)
        attrs.sort(key=lambda a: (a.local_name, a.target_namespace or ""))
        for a in attrs:
            s0, s1 = B.new(), B.new()
            B.states[s0].append([AT, self.qname(a), self.datatype(a.type), s1, 0])
            if not a.is_required():
                B.states[s0].append([EE, None, None, None, 0])
            B.states[s1].append([EE, None, None, None, 0])
            parts.append((s0, [s0, s1]))
        if t.has_simple_content():
            s0, s1 = B.new(), B.new()
            B.states[s0].append([CH, None, self.datatype(t.content), s1, 0])
            B.states[s1].append([EE, None, None, None, 0])
            parts.append((s0, [s0, s1]))
        else:
            # In mixed content EXIficient's JSON form lists every child (JAXB's mixed list): flag them repeated.
            c = self._particle(B, t.content, bool(t.mixed))
            if t.mixed:
                for s in c[1]:
                    B.states[s].append([CH_UNTYPED, None, None, s, 0])
            parts.append(c)
        g = parts[0]
        for p in parts[1:]:
            g = B.concat(g, p)
        return g

    def _particle(self, B, p, repeated):
        lo, hi = p.min_occurs, p.max_occurs
        rep = repeated or hi is None or hi > 1
        copies = [self._term(B, p, rep) for _ in range(lo)]
        if hi is not None:
            for _ in range(hi - lo):
                g = self._term(B, p, rep)
                if not any(x[0] == EE for x in B.states[g[0]]):
                    B.states[g[0]].append([EE, None, None, None, 0])
                copies.append(g)
        else:
            g = self._term(B, p, rep)
            for s in g[1]:
                B.states[s] = [[EPS, None, None, g[0], 0] if x[0] == EE else x for x in B.states[s]]
            if not any(x[0] == EE for x in B.states[g[0]]):
                B.states[g[0]].append([EE, None, None, None, 0])
            copies.append(g)
        if not copies:
            return B.ee_only()
        g = copies[0]
        for c in copies[1:]:
            g = B.concat(g, c)
        return g

    def _term(self, B, p, rep):
        kind = p.__class__.__name__
        if kind == "XsdElement":
            s0, s1 = B.new(), B.new()
            for m in self._substitutes(p) if (p.ref is not None or p.parent is None) else [p]:
                obj = m.type.is_complex() and m.type.has_simple_content()
                B.states[s0].append([SE, self.qname(m), self.grammar_for_element(m), s1, (1 if rep else 0) | (2 if obj else 0)])
            B.states[s1].append([EE, None, None, None, 0])
            return (s0, [s0, s1])
        if kind == "XsdAnyElement":
            ns = list(p.namespace) if not isinstance(p.namespace, str) else [p.namespace]
            if not (ns == ["##any"] or ns == ["##other"] or getattr(p, "not_namespace", None)):
                raise UnsupportedSchema("wildcard with namespaces %s" % ns)
            s0, s1 = B.new(), B.new()
            B.states[s0].append([SE_ANY, None, None, s1, 1 if rep else 0])
            B.states[s1].append([EE, None, None, None, 0])
            return (s0, [s0, s1])
        # model group
        if p.model == "sequence":
            parts = [self._particle(B, c, rep) for c in p]
            if not parts:
                return B.ee_only()
            g = parts[0]
            for c in parts[1:]:
                g = B.concat(g, c)
            return g
        if p.model == "choice":
            parts = [self._particle(B, c, rep) for c in p]
            if not parts:
                return B.ee_only()
            s0 = B.new()
            members = [s0]
            for c in parts:
                B.states[s0].append([EPS, None, None, c[0], 0])
                members += c[1]
            return (s0, members)
        raise UnsupportedSchema("model group %s" % p.model)

    def _normalise(self, B, start, nattrs=0):
        """Epsilon elimination and duplicate removal (§8.5.4.2), event-code order (§8.5.4.3); appends the states.

        Productions with the same event and different right-hand sides (a bounded maxOccurs repeats its term, and each
        optional copy may be skipped) are replaced by one production to the union of their right-hand sides, as
        §8.5.4.2.2 prescribes; the union states are built on demand (a subset construction)."""

        def closure(s, seen, out):
            stack = [iter(B.states[s])]
            while stack:
                x = next(stack[-1], None)
                if x is None:
                    stack.pop()
                elif x[0] == EPS:
                    if x[3] not in seen:
                        seen.add(x[3])
                        stack.append(iter(B.states[x[3]]))
                else:
                    out.append(x)

        first = (start,)
        order, index, result = [first], {frozenset(first): 0}, []
        i = 0
        while i < len(order):
            group = order[i]
            i += 1
            raw, seen = [], set(group)
            for s in group:
                closure(s, seen, raw)
            events, targets = [], {}
            for x in raw:
                ev = (x[0], x[1])
                if ev not in targets:
                    events.append(x)
                    targets[ev] = []
                if x[3] is not None and x[3] not in targets[ev]:
                    targets[ev].append(x[3])
            prods = []
            for x in events:
                ts = targets[(x[0], x[1])]
                if ts:
                    key = frozenset(ts)
                    if key not in index:
                        index[key] = len(order)
                        order.append(tuple(ts))
                    prods.append((x[0], x[1], x[2], index[key], x[4]))
                else:
                    prods.append((x[0], x[1], x[2], None, x[4]))
            result.append(prods)
        base = len(self.states)
        rank = {AT: 0, SE: 3, SE_ANY: 5, EE: 6, CH: 7, CH_UNTYPED: 7}
        for prods in result:
            keyed = []
            for n, x in enumerate(prods):
                if x[0] == AT:
                    k = (0, self.qnames[x[1]][1], self.qnames[x[1]][0], n)
                else:
                    k = (rank[x[0]], "", "", n)
                keyed.append((k, x))
            keyed.sort(key=lambda kx: kx[0])
            self.states.append([(x[0], x[1], x[2], None if x[3] is None else base + x[3], x[4]) for _, x in keyed])
        # Second-level productions when strict is false (§8.5.4.4.1), in this order: EE (where no first-level EE),
        # AT(xsi:type) and AT(xsi:nil) (start state), AT(*) and AT(qname)[untyped] per attribute (states up to the
        # content state), SE(*) and CH[untyped] (the content state and after). The codec uses only the EE (an empty
        # value) and rejects the others; the count gives the width of the second-level code.
        at_targets = {x[3] for prods in result for x in prods if x[0] == AT}
        for n, prods in enumerate(result):
            has_at = any(x[0] == AT for x in prods)
            is_content = (n == 0 and nattrs == 0) or (not has_at and n in at_targets)
            before = n == 0 or has_at or is_content
            after = is_content or not (n == 0 or has_at)
            count = 0 if any(x[0] == EE for x in prods) else 1
            count += 2 if n == 0 else 0
            count += (1 + nattrs) if before else 0
            count += 2 if after else 0
            self.second.append(count)
        return base

    def _resolve(self):
        def res(a):
            if isinstance(a, tuple) and a and a[0] == "type":
                return self._grammar_start[a[1]]
            return a
        self.states = [[(k, q, res(a), t, f) for (k, q, a, t, f) in st] for st in self.states]
        self.document = [(q, res(a)) for q, a in self.document]
        self.fragment = [(q, res(a) if a != -1 else -1) for q, a in self.fragment]
