"""The EEBUS form of JSON, both ways, strictly (EEBUS SHIP TS 1.0.1 §13.4.1, message format "JSON-UTF8").

SHIP writes every JSON object as an array of objects with one member each, in member order:
`{"a": 1, "b": 2}` is sent as `[{"a": 1}, {"b": 2}]`. A list of objects (a SPINE list) therefore becomes an array of
arrays. Only a message's outermost object keeps its form: `{"connectionHello": [{"phase": "ready"}]}`,
`{"data": [...]}`, `{"datagram": [...]}` inside a data payload is a nested object like any other.

`from_eebus` refuses, naming the path, what a peer written to the letter would never send: a plain JSON object below
the outermost one, an array that mixes one-member objects with other elements, a member repeated within one object,
non-finite numbers, and bytes after the text (some devices in the field append NUL bytes; this peer reports that
instead of tolerating it, so a station that did it would fail the tests). An empty object and an empty list are both
`[]`; `from_eebus` reads `[]` back as an empty list and the model checker (spine_model.py) accepts `[]` where it
expects an object, as SPINE TS 1.3.0 §5.2.3 empty elements (read commands, `partial` tags) are sent that way."""
import json


class EEBUSJSONError(ValueError):
    """A text that is not EEBUS JSON; `path` is where (`$` is the message)."""

    def __init__(self, path, message):
        super().__init__(f"{path}: {message}")
        self.path = path


def to_eebus(plain):
    """Plain value → EEBUS form. The outermost object keeps its members (each value becomes EEBUS form)."""
    if isinstance(plain, dict):
        return {k: _nested(v) for k, v in plain.items()}
    return _nested(plain)


def _nested(plain):
    if isinstance(plain, dict):
        return [{k: _nested(v)} for k, v in plain.items()]
    if isinstance(plain, (list, tuple)):
        return [_nested(v) for v in plain]
    return plain


def from_eebus(value, path="$"):
    """EEBUS form → plain value; raises EEBUSJSONError with the path of the first element not in the EEBUS form."""
    if isinstance(value, dict):
        if path != "$":
            raise EEBUSJSONError(path, "a plain JSON object below the outermost one (the EEBUS form writes objects "
                                       "as arrays of one-member objects)")
        return {k: _plain(v, f"{path}.{k}") for k, v in value.items()}
    return _plain(value, path)


def _plain(value, path):
    if isinstance(value, dict):
        raise EEBUSJSONError(path, "a plain JSON object where the EEBUS form needs an array of one-member objects")
    if isinstance(value, list):
        objects = [isinstance(e, dict) for e in value]
        if value and all(objects):
            out = {}
            for i, one in enumerate(value):
                if len(one) != 1:
                    raise EEBUSJSONError(f"{path}[{i}]", f"an object with {len(one)} members in an EEBUS object "
                                                         "(each element carries exactly one member)")
                (key, member), = one.items()
                if key in out:
                    raise EEBUSJSONError(path, f'member "{key}" repeated')
                out[key] = _plain(member, f"{path}.{key}")
            return out
        if any(objects):
            raise EEBUSJSONError(path, "an array mixing one-member objects with other elements")
        return [_plain(e, f"{path}[{i}]") for i, e in enumerate(value)]
    return value


def _pairs(pairs):
    keys = [k for k, _ in pairs]
    repeated = {k for k in keys if keys.count(k) > 1}
    if repeated:  # `{"a":1,"a":2}`: the path is not known here; the message names the member
        raise EEBUSJSONError("$", f'member "{sorted(repeated)[0]}" repeated within one JSON object')
    return dict(pairs)


def _constant(name):
    raise EEBUSJSONError("$", f"{name} is not JSON")


def loads(data):
    """Parses an EEBUS JSON text (bytes, UTF-8) into its plain value."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError as e:
        raise EEBUSJSONError("$", f"not UTF-8 at byte {e.start}") from None
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as e:
        raise EEBUSJSONError("$", f"not JSON at offset {e.pos}: {e.msg}") from None
    return from_eebus(value)


def dumps(plain):
    """The EEBUS JSON text (UTF-8 bytes) of a plain value, compact."""
    return json.dumps(to_eebus(plain), separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
