"""Firmware files for the tests of issue 23: Debian packages built by the real `dpkg-deb` (as scripts/package-deb.sh
builds a release) and signed with `chargekit firmware sign` (the keys and certificates come from pki.py)."""
import subprocess

from station import cli


def architecture():
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def build_deb(tmp, version, payload_bytes=0):
    """A Debian package built by dpkg-deb: a control file, one file naming the release, and `payload_bytes` of filler
    (stored uncompressed so that the package has about that size, for an upload that takes a moment)."""
    root = tmp / f"pkg-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: chargekit\nVersion: {version}\nArchitecture: {architecture()}\nMaintainer: ChargeKit Test <test@example.org>\n"
        f"Description: ChargeKit test release {version}\n")
    (root / "usr" / "share" / "chargekit").mkdir(parents=True)
    (root / "usr" / "share" / "chargekit" / "release").write_text(version + "\n")
    if payload_bytes:
        (root / "usr" / "share" / "chargekit" / "filler").write_bytes(bytes(range(256)) * (payload_bytes // 256))
    out = tmp / f"chargekit_{version}_{architecture()}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Znone", "--build", str(root), str(out)], check=True, capture_output=True)
    return out


def sign(deb, signing):
    """Signs `deb` in place with the firmware signing certificate of pki.make_firmware_signing."""
    r = cli("firmware", "sign", str(deb), "--key", str(signing / "fw-sign.key"), "--cert", str(signing / "fw-sign.pem"))
    assert r.returncode == 0, r.stderr
