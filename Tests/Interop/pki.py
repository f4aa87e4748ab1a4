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
