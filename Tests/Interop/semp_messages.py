"""What goes over the wire between a Sunny Home Manager and a SEMP gateway, for semp_home_manager.py (whose
docstring cites the documents): the SSDP datagrams (UPnP Device Architecture 1.0 §1), the EM2Device document, the
SEMP XSD 1.3.0 of the installed pysma-plus and validation against it, and the records the peer keeps."""
import dataclasses
import functools
import re

GATEWAY_URN = "urn:schemas-simple-energy-management-protocol:device:Gateway:1"
SSDP_GROUP, SSDP_PORT = "239.255.255.250", 1900
SEMP_NS = "http://www.sma.de/communication/schema/SEMP/v1"
UPNP_DEVICE_NS = "urn:schemas-upnp-org:device-1-0"
SEMP_SERVICE_NS = "urn:schemas-simple-energy-management-protocol:service-1-0"
RESPONSE_HEADERS = ("cache-control", "ext", "location", "server", "st", "usn")  # UDA 1.0 §1.2.3
ALIVE_HEADERS = ("host", "cache-control", "location", "nt", "nts", "server", "usn")  # UDA 1.0 §1.1.2
BYEBYE_HEADERS = ("host", "nt", "nts", "usn")  # UDA 1.0 §1.1.3


class SempSchemaError(AssertionError):
    """A document that does not validate against the SEMP 1.3.0 XSD."""


@functools.lru_cache(maxsize=1)
def semp_schema():
    """The SEMP XSD of the installed pysma-plus (Tests/Interop/requirements.txt), compiled once per process."""
    import xmlschema
    from pysmaplus.semp.sempxsd import sempxsd
    return xmlschema.XMLSchema(sempxsd)


def validate(xml, what="document"):
    """Validates `xml` (str or bytes) against the SEMP XSD; returns it decoded (typed values, lists where repeatable)."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    try:
        return semp_schema().to_dict(text)
    except Exception as e:  # xmlschema's validation and parse errors, and ElementTree's
        raise SempSchemaError(f"{what} does not validate against the SEMP XSD: {e}\n{text}") from e


def em2device(controls):
    """An EM2Device document; `controls` are (device_id, on, power_w or None, timestamp_s) in XSD sequence order."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<EM2Device xmlns="{SEMP_NS}">']
    for device_id, on, power_w, timestamp_s in controls:
        parts.append(f"<DeviceControl><DeviceId>{device_id}</DeviceId><On>{'true' if on else 'false'}</On>")
        if power_w is not None:
            parts.append(f"<RecommendedPowerConsumption>{_number(power_w)}</RecommendedPowerConsumption>")
        parts.append(f"<Timestamp>{int(timestamp_s)}</Timestamp></DeviceControl>")
    parts.append("</EM2Device>\n")
    return "".join(parts)


def _number(x):
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def msearch(target=GATEWAY_URN, mx=1):
    """The standard M-SEARCH (UDA 1.0 §1.2.2), with `MAN: "ssdp:discover"` spelled exactly so."""
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: {SSDP_GROUP}:{SSDP_PORT}\r\nMAN: \"ssdp:discover\"\r\nMX: {mx}\r\n"
            f"ST: {target}\r\n\r\n").encode()


def parse_ssdp(datagram):
    """(start line, {lower-case header: value}); names case-insensitive, whitespace around values dropped."""
    lines = datagram.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip().lower()] = value.strip()
    return lines[0].strip(), headers


@dataclasses.dataclass
class Announcement:
    kind: str  # "response" (answer to our M-SEARCH), "alive" or "byebye" (NOTIFY)
    target: str  # ST of a response, NT of a NOTIFY
    usn: str
    location: str | None
    source: tuple
    headers: dict
    quirks: list
    at: float


@dataclasses.dataclass
class Gateway:
    key: str  # the uuid part of the USN ("uuid:…")
    location: str
    udn: str
    friendly_name: str
    device_type: str
    server: str
    base_path: str
    ws_version: str
    description: str
    quirks: list

    @property
    def base_url(self):
        return self.server.rstrip("/") + "/" + self.base_path.strip("/")

    def url(self, resource="", device_id=None):
        query = f"?DeviceId={device_id}" if device_id else ""
        return f"{self.base_url}/{resource}{query}"


@dataclasses.dataclass
class Exchange:
    kind: str  # description, poll (timed), get (poll(), get()), control, resend (timed), raw
    method: str
    url: str
    status: int | None  # None: no HTTP answer (see error)
    sent: str | None
    received: str
    content_type: str | None
    document: dict | None  # the decoded SEMP document of a valid 2xx answer
    invalid: str | None  # why the 2xx answer failed the XSD (or had the wrong root element)
    error: str | None  # why there was no HTTP answer
    at: float  # monotonic time the request was sent


def announcement_quirks(kind, target, headers):
    """What in an SSDP datagram deviates from UDA 1.0 (the SEMP gateway's announcements must have none)."""
    required = {"response": RESPONSE_HEADERS, "alive": ALIVE_HEADERS, "byebye": BYEBYE_HEADERS}[kind]
    quirks = [f"{kind} without {h.upper()}" for h in required if h not in headers]
    usn = headers.get("usn", "")
    if target.startswith("urn:") or target == "upnp:rootdevice":
        if not (usn.startswith("uuid:") and usn.endswith("::" + target)):
            quirks.append(f"USN {usn!r} is not uuid:…::{target}")
    if kind != "byebye" and not re.search(r"max-age\s*=\s*\d+", headers.get("cache-control", "")):
        quirks.append(f"CACHE-CONTROL {headers.get('cache-control')!r} has no max-age")
    return quirks
