"""ChargeKit's EXI codec (Sources/EXI, reached through the hidden `chargekit v2g-exi`) against EXIficient 1.55, the
independent codec in Josev's wheel (exi_oracle.py, run with CHARGEKIT_JOSEV_PYTHON):

- for every message type of each finished schema (every member of ISO 15118-2's BodyElement substitution group, the
  SAP request and response, every request and response of ISO 15118-20's common and AC messages) a few random valid messages (exi_samples.py, from the official XSDs): the jar encodes,
  ours decodes to the same JSON as the jar's decode and re-encodes to the same bytes;
- our encodings of those messages decode in the jar to the same JSON;
- the two vectors of the reference (a one-protocol SAP request, a SessionSetupRes).
"""
import json
import os
import subprocess
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

xmlschema = pytest.importorskip("xmlschema")
from exi_samples import Samples  # noqa: E402

JOSEV_PY = os.environ.get("CHARGEKIT_JOSEV_PYTHON", "/work/main/.venv-josev/bin/python")
BIN = os.environ.get("CHARGEKIT_BIN", os.path.join(HERE, "..", "..", "..", ".build", "debug", "chargekit"))

NS = {
    "appHand": "urn:iso:15118:2:2010:AppProtocol",
    "iso2": "urn:iso:15118:2:2013:MsgDef",
    "din": "urn:din:70121:2012:MsgDef",
    "iso20Common": "urn:iso:std:iso:15118:-20:CommonMessages",
    "iso20AC": "urn:iso:std:iso:15118:-20:AC",
}
XSD = {
    "appHand": "V2G_CI_AppProtocol.xsd",
    "iso2": "iso15118_2/V2G_CI_MsgDef.xsd",
    "din": "din_spec/V2G_CI_MsgBody.xsd",
    "iso20Common": "iso15118_20/V2G_CI_CommonMessages.xsd",
    "iso20AC": "iso15118_20/V2G_CI_AC.xsd",
}
SAMPLES_PER_TYPE = int(os.environ.get("CHARGEKIT_EXI_SAMPLES", "4"))


def schemas_dir():
    try:
        out = subprocess.run([JOSEV_PY, "-c", "import iso15118,os;print(os.path.dirname(iso15118.__file__))"],
                             capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None
    if out.returncode != 0:
        return None
    return os.path.join(out.stdout.strip(), "shared", "schemas")


class LineProcess:
    """A long-lived process answering one line per request line."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline()
        assert answer, "the helper %s ended" % self.p.args
        return answer.rstrip("\n")

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


@pytest.fixture(scope="module")
def root():
    d = schemas_dir()
    if d is None:
        pytest.skip("Josev (PyPI iso15118) is not installed at CHARGEKIT_JOSEV_PYTHON=%s" % JOSEV_PY)
    return d


@pytest.fixture(scope="module")
def oracle(root):
    proc = LineProcess([JOSEV_PY, os.path.join(HERE, "exi_oracle.py")])
    hello = json.loads(proc.p.stdout.readline())
    assert str(hello["ready"]) == "1.55", hello
    yield proc
    proc.close()


@pytest.fixture(scope="module")
def ours():
    procs = {}

    def get(schema, op, fragment=False):
        key = (schema, op, fragment)
        if key not in procs:
            argv = [BIN, "v2g-exi", op, "--schema", schema] + (["--fragment"] if fragment else [])
            procs[key] = LineProcess(argv)
        return procs[key]

    yield get
    for p in procs.values():
        p.close()


def jar_encode(oracle, schema, message):
    a = json.loads(oracle.ask(json.dumps({"op": "encode", "ns": NS[schema], "json": json.dumps(message)})))
    assert "hex" in a, a
    return a["hex"]


def jar_decode(oracle, schema, hexstream):
    a = json.loads(oracle.ask(json.dumps({"op": "decode", "ns": NS[schema], "hex": hexstream})))
    assert "json" in a, a
    return json.loads(a["json"])


def check_both_ways(oracle, ours, schema, message):
    jar_hex = jar_encode(oracle, schema, message)
    jar_json = jar_decode(oracle, schema, jar_hex)
    decoded = ours(schema, "decode").ask(jar_hex)
    assert not decoded.startswith("error"), (decoded, jar_hex, message)
    assert json.loads(decoded) == jar_json, (jar_hex, message)
    ours_hex = ours(schema, "encode").ask(json.dumps(jar_json))
    assert ours_hex == jar_hex.upper(), (message, jar_hex)
    # our encoding of the original message (as the sample generator wrote it) decodes in the jar
    ours_hex2 = ours(schema, "encode").ask(json.dumps(message))
    assert not ours_hex2.startswith("error"), (ours_hex2, message)
    assert jar_decode(oracle, schema, ours_hex2) == jar_json


def message_types(schema_obj, head):
    return sorted(m.local_name for m in schema_obj.maps.substitution_groups_members(head)) \
        if hasattr(schema_obj.maps, "substitution_groups_members") else None


def body_members(s, head_qname):
    out, todo, seen = [], [head_qname], set()
    while todo:
        x = todo.pop()
        for m in s.maps.substitution_groups.get(x, []):
            if m.name not in seen:
                seen.add(m.name)
                if not m.abstract:
                    out.append(m.local_name)
                todo.append(m.name)
    return sorted(out)


def test_reference_vectors(oracle, ours):
    sap = {"supportedAppProtocolReq": {"AppProtocol": [{"ProtocolNamespace": "urn:iso:15118:2:2013:MsgDef",
                                                        "VersionNumberMajor": 2, "VersionNumberMinor": 0,
                                                        "SchemaID": 1, "Priority": 1}]}}
    h = ours("appHand", "encode").ask(json.dumps(sap))
    assert len(h) == 72 and h.startswith("8000EB")
    assert h == jar_encode(oracle, "appHand", sap).upper()
    res = {"V2G_Message": {"Header": {"SessionID": "C08CDF36985A7190"},
                           "Body": {"SessionSetupRes": {"ResponseCode": "OK_NewSessionEstablished",
                                                        "EVSEID": "DE*ABC*E123", "EVSETimeStamp": 1700000000}}}}
    h = ours("iso2", "encode").ask(json.dumps(res))
    assert len(h) == 64 and h.startswith("809802")
    assert h == jar_encode(oracle, "iso2", res).upper()


@pytest.mark.parametrize("root_element", ["supportedAppProtocolReq", "supportedAppProtocolRes"])
def test_app_protocol(root, oracle, ours, root_element):
    s = xmlschema.XMLSchema10(os.path.join(root, XSD["appHand"]))
    for seed in range(SAMPLES_PER_TYPE * 3):
        check_both_ways(oracle, ours, "appHand", Samples(s, seed).message(root_element))


ISO2_TYPES = None


def iso2_types():
    d = schemas_dir()
    if d is None:
        return ["skipped"]
    s = xmlschema.XMLSchema10(os.path.join(d, XSD["iso2"]))
    return body_members(s, "{urn:iso:15118:2:2013:MsgBody}BodyElement")


@pytest.fixture(scope="module")
def iso2_schema(root):
    return xmlschema.XMLSchema10(os.path.join(root, XSD["iso2"]))


@pytest.mark.parametrize("message_type", iso2_types())
def test_iso2_message(iso2_schema, oracle, ours, message_type):
    for seed in range(SAMPLES_PER_TYPE):
        msg = Samples(iso2_schema, zlib.crc32(message_type.encode()) + seed).message(
            "{urn:iso:15118:2:2013:MsgDef}V2G_Message", force=message_type)
        assert message_type in msg["V2G_Message"]["Body"], msg
        check_both_ways(oracle, ours, "iso2", msg)


# EXIficient's DIN SPEC 70121 binding (Josev's jar) fails on xmldsig signatures in the header (NoClassDefFoundError
# javax/mail), so the DIN samples carry none.
DIN_SKIP = {"Signature"}


def din_types():
    d = schemas_dir()
    if d is None:
        return ["skipped"]
    s = xmlschema.XMLSchema10(os.path.join(d, XSD["din"]))
    return body_members(s, "{urn:din:70121:2012:MsgDef}BodyElement")


@pytest.fixture(scope="module")
def din_schema(root):
    return xmlschema.XMLSchema10(os.path.join(root, XSD["din"]))


# Message types whose samples EXIficient's DIN binding itself cannot encode (JAXB descriptor errors for some
# substitution-group members, javax/mail for certificates): the oracle has nothing to compare; ChargeKit's side of
# these is covered only by the typed round trips so far. (PowerDeliveryReq/Res left this list when the samples stopped
# using elements of abstract types, which no valid message contains.)
DIN_JAR_FAILS = {"CertificateInstallationReq", "CertificateInstallationRes", "CertificateUpdateReq",
                 "CertificateUpdateRes", "ChargeParameterDiscoveryRes", "ChargingStatusRes", "ContractAuthenticationReq",
                 "MeteringReceiptReq", "PaymentDetailsReq"}


def din_params():
    return [pytest.param(t, marks=pytest.mark.xfail(reason="EXIficient's DIN binding fails on these samples"))
            if t in DIN_JAR_FAILS else t for t in din_types()]


@pytest.mark.parametrize("message_type", din_params())
def test_din_message(din_schema, oracle, ours, message_type):
    for seed in range(SAMPLES_PER_TYPE):
        msg = Samples(din_schema, zlib.crc32(message_type.encode()) + seed, skip=DIN_SKIP).message(
            "{urn:din:70121:2012:MsgDef}V2G_Message", force=message_type)
        assert message_type in msg["V2G_Message"]["Body"], msg
        check_both_ways(oracle, ours, "din", msg)


@pytest.mark.xfail(strict=True, reason="known gap: EXIficient writes an absent optional SAScheduleTupleID of "
                                       "MeteringReceiptReq as a second-level (xsi:nil) event, which our decoder refuses")
def test_jar_writes_absent_tuple_id_as_nil(oracle, ours):
    msg = {"V2G_Message": {"Header": {"SessionID": "AA"},
                           "Body": {"MeteringReceiptReq": {"SessionID": "AA", "MeterInfo": {"MeterID": "m"}}}}}
    decoded = ours("iso2", "decode").ask(jar_encode(oracle, "iso2", msg))
    assert not decoded.startswith("error"), decoded


def test_signed_info_fragment(oracle, ours):
    """ISO 15118-2 §7.9.2.4: the signature covers the EXI fragment of SignedInfo under the xmldsig schema; the jar
    does that for the xmldsig namespace. Byte-equal both ways."""
    si = {"SignedInfo": {
        "CanonicalizationMethod": {"Algorithm": "http://www.w3.org/TR/canonical-exi/"},
        "SignatureMethod": {"Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
        "Reference": [{"URI": "#id1", "Transforms": {"Transform": [{"Algorithm": "http://www.w3.org/TR/canonical-exi/"}]},
                       "DigestMethod": {"Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"},
                       "DigestValue": "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="}]}}
    a = json.loads(oracle.ask(json.dumps({"op": "encode", "ns": "http://www.w3.org/2000/09/xmldsig#", "json": json.dumps(si)})))
    ours_hex = ours("xmldsig", "encode", fragment=True).ask(json.dumps(si))
    assert ours_hex == a["hex"].upper()
    decoded = ours("xmldsig", "decode", fragment=True).ask(a["hex"])
    assert json.loads(decoded) == si


def test_iso20_pnc_authorization_fragment(oracle, ours):
    """ISO 15118-20 §8.3.4.3: the contract's signature covers the EXI fragment of PnC_AReqAuthorizationMode under the
    CommonMessages schema. The fragment grammar lists every element declaration of the schema set, also the local
    ones of CommonTypes' types that only the AC and DC schemas use (EXI 1.0 §8.5.2), as the jar does: byte-equal
    both ways."""
    cert = "MIIBszCCAVmgAwIBAgICMEQwCgYIKoZIzj0EAwI="
    mode = {"PnC_AReqAuthorizationMode": {"Id": "id1", "GenChallenge": "ICEiIyQlJicoKSorLC0uLw==",
                                          "ContractCertificateChain": {"Certificate": cert,
                                                                       "SubCertificates": {"Certificate": [cert, cert]}}}}
    a = json.loads(oracle.ask(json.dumps({"op": "encode", "ns": NS["iso20Common"], "json": json.dumps(mode)})))
    ours_hex = ours("iso20Common", "encode", fragment=True).ask(json.dumps(mode))
    assert ours_hex == a["hex"].upper()
    decoded = ours("iso20Common", "decode", fragment=True).ask(a["hex"])
    assert json.loads(decoded) == mode


def iso20_types(schema):
    """The messages of an ISO 15118-20 schema: its global elements named …Req or …Res (ISO 15118-20:2022 §8.3: each
    message is a document root of its own, without a V2G_Message around it)."""
    d = schemas_dir()
    if d is None:
        return ["skipped"]
    s = xmlschema.XMLSchema10(os.path.join(d, XSD[schema]))
    return sorted(e.local_name for name, e in s.elements.items()
                  if e.target_namespace == NS[schema] and e.local_name.endswith(("Req", "Res")))


@pytest.fixture(scope="module")
def iso20_schemas(root):
    return {k: xmlschema.XMLSchema10(os.path.join(root, XSD[k])) for k in ("iso20Common", "iso20AC")}


@pytest.mark.parametrize("schema,message_type", [("iso20Common", t) for t in iso20_types("iso20Common")]
                         + [("iso20AC", t) for t in iso20_types("iso20AC")])
def test_iso20_message(iso20_schemas, oracle, ours, schema, message_type):
    for seed in range(SAMPLES_PER_TYPE):
        msg = Samples(iso20_schemas[schema], zlib.crc32(message_type.encode()) + seed).message(
            "{%s}%s" % (NS[schema], message_type))
        check_both_ways(oracle, ours, schema, msg)
