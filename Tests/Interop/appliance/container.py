"""A Debian bookworm root with systemd booted as PID 1 in a systemd-nspawn container, for the tests of the package's
units under real systemd (test_systemd.py). The host has no systemd of its own (no machined, no system bus): the
container is started with --register=no --keep-unit and controlled by entering its namespaces with nsenter through
its PID 1, the child of systemd-nspawn. It has a private network (--private-network: only its own loopback), so the
station keeps the package's ports (80, 8443) without taking any of this machine's; the web page is fetched from the
host inside the container's network namespace."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import debroot

# What a root needs to boot with systemd as PID 1, and polkitd for the package's polkit rule (scripts/bookworm-root.sh
# includes them; an older root gets them from apt-get inside it).
SYSTEMD_PACKAGES = ("systemd", "systemd-sysv", "dbus", "polkitd")


def wait_for(condition, timeout, what, describe=None):
    """`condition()`'s first true value within `timeout` s, polled every 0.1 s; else an AssertionError naming `what`
    (and `describe()`'s text: the state that was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s" + (f":\n{describe()}" if describe else ""))
        time.sleep(0.1)


def systemd_root(base, deb):
    """A copy of the bookworm root (never the original: scripts/test.sh shares it) in `base`, with systemd and `deb`
    installed. Returns its path."""
    source = debroot.bookworm_root()
    root = Path(base) / "root"
    subprocess.run(["cp", "-a", str(source), str(root)], check=True)
    if not (root / "lib/systemd/systemd").exists() or not (root / "usr/lib/polkit-1/polkitd").exists():
        debroot.chroot(root, "apt-get", "update", "-qq")
        debroot.chroot(root, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *SYSTEMD_PACKAGES)
    debroot.install(root, deb)
    return root


class Container:
    """`root` booted by systemd-nspawn (see the module's docstring). Use as a context manager: leaving it powers the
    container off (SIGTERM to systemd-nspawn, SIGKILL after 30 s), whatever happened."""

    def __init__(self, root):
        self.root = Path(root)
        self.log = tempfile.TemporaryFile()
        self.nspawn = subprocess.Popen(["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--private-network",
                                        "-D", str(self.root), "--boot"],
                                       stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            self.pid = wait_for(self._init_pid, 30, "systemd-nspawn started the container's PID 1", self.output)
            # `is-system-running --wait` returns once the boot has finished (running or degraded).
            wait_for(lambda: self.run("systemctl", "is-system-running", "--wait", check=False, timeout=120).stdout.strip()
                     in ("running", "degraded"), 120, "the container's boot", self.output)
        except BaseException:
            self.stop()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _init_pid(self):
        if self.nspawn.poll() is not None:
            raise AssertionError(f"systemd-nspawn exited with {self.nspawn.returncode}:\n{self.output()}")
        # The inner child of systemd-nspawn execs systemd (the container's root's /lib/systemd/systemd) as PID 1.
        for task in Path(f"/proc/{self.nspawn.pid}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except OSError:  # the thread ended
                continue
            for child in children:
                try:
                    if Path(f"/proc/{child}/exe").resolve().name == "systemd":
                        return int(child)
                except OSError:
                    continue
        return None

    def output(self):
        """The console (systemd's boot messages)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-5000:]

    def run(self, *argv, check=True, timeout=120, input=None):
        """argv inside the container (its namespaces and root, as root)."""
        r = subprocess.run(["nsenter", "-t", str(self.pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", *argv],
                           capture_output=True, text=True, timeout=timeout, input=input,
                           env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"})
        if check:
            assert r.returncode == 0, f"{' '.join(argv)} in the container failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        return r

    def systemctl(self, *args, check=True):
        return self.run("systemctl", *args, check=check)

    def show(self, unit, *properties):
        """`systemctl show -p …` as a dict of strings."""
        out = self.systemctl("show", unit, *[f"--property={p}" for p in properties]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit):
        return self.run("journalctl", "--no-pager", "-o", "short-monotonic", "-u", unit).stdout

    def host_python(self, code, *args, timeout=30):
        """This interpreter's `python -c code args…` in the container's network namespace only (its files are the
        host's: paths into the container go through self.root)."""
        return subprocess.run(["nsenter", "-t", str(self.pid), "-n", sys.executable, "-c", code, *args],
                              capture_output=True, text=True, timeout=timeout)

    def stop(self):
        """Powers the container off: SIGTERM to systemd-nspawn (it asks systemd to shut down), SIGKILL to its session
        after 30 s."""
        if self.nspawn.poll() is None:
            self.nspawn.send_signal(signal.SIGTERM)
            try:
                self.nspawn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.nspawn.pid, signal.SIGKILL)
                self.nspawn.wait()
        return self.nspawn.returncode


FETCH = """
import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2])
context.check_hostname = False  # pinned: the certificate is the one the station says it serves
with urllib.request.build_opener(urllib.request.HTTPSHandler(context=context)).open(sys.argv[1], timeout=10) as r:
    sys.stdout.write(str(r.status) + "\\n" + r.read().decode(errors="replace"))
"""


def fetch_https(container, port, certificate, path="/"):
    """GET `path` over HTTPS on the container's 127.0.0.1:`port`, checked against `certificate` (a path inside the
    container). Returns (status, body); (None, error) when it does not answer."""
    r = container.host_python(FETCH, f"https://127.0.0.1:{port}{path}", str(container.root / certificate.lstrip("/")))
    if r.returncode != 0:
        return None, r.stderr[-500:]
    status, _, body = r.stdout.partition("\n")
    return int(status), body


def copy_into(container, source, inside, owner=None):
    """Copies a host file to `inside` (a path in the container), owned by `owner` (a user of the container)."""
    target = container.root / inside.lstrip("/")
    ids = None
    if owner:
        passwd = debroot.lookup(container.root, "passwd", owner)
        ids = int(passwd[2]), int(passwd[3])
    missing = [p for p in reversed(target.parents) if not p.exists()]
    for directory in missing:  # the directories it makes are the owner's too, as the owner would have made them
        directory.mkdir(mode=0o750)
        if ids:
            os.chown(directory, *ids)
    shutil.copy(source, target)
    if ids:
        os.chown(target, *ids)
    return target
