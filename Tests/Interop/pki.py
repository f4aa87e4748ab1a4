"""A throw-away PKI made by openssl for the TLS tests: a test CA and server certificates signed by it."""
import subprocess


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d, servers=(("localhost", "DNS:localhost,IP:127.0.0.1", "30"),)):
    """Creates ca.pem/ca.key in `d` and, per (name, subjectAltName, days), name.pem/name.key signed by the CA
    (days -1: expired yesterday). Returns `d`."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", "/CN=ChargeKit Test CA", cwd=d)
    for name, san, days in servers:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem",
                "-days", days, "-extfile", f"{name}.ext", cwd=d)
    return d


# -- the OCPP 1.6 security extension (issue 28 item 2): CPO and manufacturer roots, CSRs signed, OCSP-style hashes --

def make_root(d, name, days="30", issuer=None):
    """A P-256 CA `name`.pem/.key in `d`: self-signed, or signed by CA `issuer` (a cross-certificate, as
    AdditionalRootCertificateCheck wants a new root). days "-1": expired yesterday. Returns the PEM text."""
    (d / f"{name}.ext").write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
    openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/O=ChargeKit Test/CN={name}", cwd=d)
    # `x509 -req` (unlike `req -x509`) takes a negative -days, for an expired root.
    signer = ["-signkey", f"{name}.key"] if issuer is None else ["-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key", "-CAcreateserial"]
    openssl("x509", "-req", "-in", f"{name}.csr", *signer, "-out", f"{name}.pem", "-days", days, "-extfile", f"{name}.ext", cwd=d)
    return (d / f"{name}.pem").read_text()


def sign_csr(d, ca, csr_pem, name, days="30"):
    """Signs `csr_pem` with CA `ca` (its subject kept) into `name`.pem; returns the PEM text."""
    (d / f"{name}.csr").write_text(csr_pem)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial", "-out", f"{name}.pem",
            "-days", days, cwd=d)
    return (d / f"{name}.pem").read_text()


def csr_subject(d, csr_pem):
    """The subject of a CSR in RFC 2253 form, after openssl checked its signature (`-verify`)."""
    (d / "check.csr").write_text(csr_pem)
    r = subprocess.run(["openssl", "req", "-in", "check.csr", "-noout", "-verify", "-subject", "-nameopt", "RFC2253"], cwd=d,
                       check=True, capture_output=True, text=True)
    assert "verify OK" in r.stdout + r.stderr, r.stdout + r.stderr
    return r.stdout.strip().removeprefix("subject=")


def ocsp_hash_data(d, cert, issuer):
    """CertificateHashData of `cert`.pem issued by `issuer`.pem as openssl's OCSP request computes its CertID with SHA-256
    (RFC 6960 §4.1.1, the rule of the whitepaper's edition 3): hashAlgorithm, issuerNameHash, issuerKeyHash (lower-case
    hex) and serialNumber (hex without leading zeroes)."""
    openssl("ocsp", "-sha256", "-issuer", f"{issuer}.pem", "-cert", f"{cert}.pem", "-no_nonce", "-reqout", "ocsp.der", cwd=d)
    text = subprocess.run(["openssl", "ocsp", "-reqin", "ocsp.der", "-req_text"], cwd=d, check=True, capture_output=True, text=True).stdout
    field = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if v}
    return {"hashAlgorithm": "SHA256", "issuerNameHash": field["Issuer Name Hash"].lower(),
            "issuerKeyHash": field["Issuer Key Hash"].lower(), "serialNumber": field["Serial Number"].lower().lstrip("0") or "0"}


def make_firmware_signing(d):
    """The signed-firmware PKI of the security whitepaper's use case L01, with EC P-256 keys: a manufacturer root
    (mfr-root.pem/.key), a firmware signing certificate it issued (fw-sign.pem/.key), and an unrelated root with its own
    signing certificate (other-root.pem, other-sign.pem/.key). Returns `d`."""
    for root, cn in (("mfr-root", "ChargeKit Test Manufacturer Root"), ("other-root", "Some Other Root")):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{root}.key",
                "-out", f"{root}.pem", "-days", "30", "-subj", f"/O=ChargeKit Test/CN={cn}",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    (d / "signing.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    for name, root in (("fw-sign", "mfr-root"), ("other-sign", "other-root")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", "/O=ChargeKit Test/CN=Firmware Signing", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{root}.pem", "-CAkey", f"{root}.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "30", "-extfile", "signing.ext", cwd=d)
    return d


def sign_file(key, path):
    """The base64 ECDSA (SHA-256, DER) signature of the whole file `path` with `key`, as SignedUpdateFirmware carries it."""
    import base64
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key), str(path)], check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()
