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
