"""A Debian bookworm root (debootstrap), the chargekit package installed into it, and its units run there as systemd
would run them — systemd itself does not run in a chroot, so this module reads the unit and does what it says:
ExecStart with the EnvironmentFile's variables expanded, as User/Group/SupplementaryGroups, with NoNewPrivileges,
AmbientCapabilities and CapabilityBoundingSet (util-linux's setpriv inside the root), in a mount namespace of its own
whose /proc disappears with the process. Used by test_deb.py and scripts/bench-deb.sh."""
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def bookworm_root(timeout=1500):
    """The root scripts/test.sh started in the background ($CHARGEKIT_BOOKWORM: waits for its status file), or a new
    one made now (standalone runs)."""
    base = os.environ.get("CHARGEKIT_BOOKWORM")
    if not base:
        base = tempfile.mkdtemp(prefix="chargekit-bookworm.")
        subprocess.run([str(REPO / "scripts/bookworm-root.sh"), base], check=False)
    status = Path(base) / "status"
    deadline = time.monotonic() + timeout
    while not status.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"debootstrap into {base} did not finish within {timeout} s")
        time.sleep(1)
    code = status.read_text().strip()
    log = (Path(base) / "log").read_text(errors="replace")[-3000:] if (Path(base) / "log").exists() else ""
    assert code == "0", f"debootstrap failed with {code}:\n{log}"
    return Path(base) / "root"


def package_binary():
    """The binary to package: $CHARGEKIT_DEB_BIN, or $CHARGEKIT_BIN when it carries the Swift runtime itself."""
    explicit = os.environ.get("CHARGEKIT_DEB_BIN")
    if explicit:
        return explicit
    candidate = os.environ.get("CHARGEKIT_BIN")
    if candidate:
        dynamic = subprocess.run(["readelf", "-d", candidate], capture_output=True, text=True).stdout
        if "libswift" not in dynamic:
            return candidate
    raise AssertionError("no self-contained binary to package: set CHARGEKIT_DEB_BIN to one linked with the Swift runtime "
                         "statically (`scripts/link-static.sh` after `swift build`; scripts/test.sh does)")


def build_deb(out_dir, binary=None, version=None):
    """scripts/package-deb.sh --bin … --fast (gzip: the debug binary is large): the path of the .deb. `version`: the
    package's version instead of the binary's (a second version to update to)."""
    r = subprocess.run([str(REPO / "scripts/package-deb.sh"), "--bin", binary or package_binary(), "--out", str(out_dir), "--fast",
                        *(["--version", version] if version else [])],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, f"package-deb.sh failed:\n{r.stdout}\n{r.stderr}"
    return Path(r.stdout.strip().splitlines()[-1])


def chroot(root, *args, check=True, env=None, timeout=600):
    r = subprocess.run(["chroot", str(root), *args], capture_output=True, text=True, timeout=timeout,
                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive", **(env or {})})
    if check:
        assert r.returncode == 0, f"chroot {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def chroot_with_proc(root, *args, check=True, timeout=600):
    """`chroot` with /proc mounted (in a mount namespace of its own), as a unit's process has it under systemd: the
    binary reads its arguments through Foundation, which takes them from /proc/self/cmdline."""
    script = 'mount -t proc proc "$1/proc" && root="$1" && shift && exec chroot "$root" "$@"'
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(root), *args],
                       capture_output=True, text=True, timeout=timeout,
                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"})
    if check:
        assert r.returncode == 0, f"chroot {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def install(root, deb):
    """`dpkg -i` inside the root; dependencies the root lacks come from `apt-get -f install`. Returns dpkg's output."""
    target = Path(root) / "tmp" / Path(deb).name
    shutil.copy(deb, target)
    r = chroot(root, "dpkg", "-i", f"/tmp/{target.name}", check=False)
    if r.returncode != 0:
        chroot(root, "apt-get", "update", "-qq")
        chroot(root, "apt-get", "-f", "install", "-y", "-qq")
    target.unlink()
    return r.stdout + r.stderr


def read_unit(root, name):
    """The [Service] settings of an installed unit: {key: [values in order]}."""
    settings = {}
    section = None
    for line in (Path(root) / "lib/systemd/system" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def read_environment_file(path):
    """systemd's EnvironmentFile syntax (systemd.exec(5)): KEY=VALUE lines, # comments, optional quotes."""
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def expand_exec(command, env):
    """ExecStart's variable expansion (systemd.service(5), "Command lines"): `$VAR` alone as a word splits into words,
    `${VAR}` stays one word."""
    argv = []
    for word in shlex.split(command):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            argv += env.get(m.group(1), "").split()
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda g: env.get(g.group(1), ""), word))
    return argv


def lookup(root, database, name):
    for line in (Path(root) / "etc" / database).read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields
    raise AssertionError(f"{name} is not in {database} of {root}")


def set_options(root, env_file, variable, **ports):
    """Changes `--http-port N` (and any other `--NAME N` given as name=value) in the root's EnvironmentFile, as an
    installer edits /etc/chargekit/station.env: the test's station must not take port 80 of this machine."""
    path = Path(root) / env_file.lstrip("/")
    text = path.read_text()
    for option, value in ports.items():
        flag = "--" + option.replace("_", "-")
        line = re.search(rf"^{variable}=(.*)$", text, re.M)
        assert line, f"{variable} is not set in {env_file}"
        options = line.group(1)
        options = re.sub(rf"{flag} \S+", f"{flag} {value}", options) if flag in options.split() else f"{options} {flag} {value}"
        text = text[:line.start(1)] + options + text[line.end(1):]
    path.write_text(text)


class UnitProcess:
    """A unit's ExecStart run inside the root the way systemd would start it (see the module's docstring)."""

    def __init__(self, root, unit, notify=None, extra_env=None):
        """`notify`: a NotifySocket, handed over as NOTIFY_SOCKET when the unit is Type=notify, with WATCHDOG_USEC
        from its WatchdogSec, as systemd does."""
        self.root = Path(root)
        s = read_unit(root, unit)
        self.settings = s
        env = {}
        for f in s.get("EnvironmentFile", []):
            env.update(read_environment_file(self.root / f.lstrip("-").lstrip("/")))
        argv = expand_exec(s["ExecStart"][-1], env)
        user = lookup(root, "passwd", s["User"][-1])
        group = lookup(root, "group", s.get("Group", s["User"])[-1])
        groups = [lookup(root, "group", g)[2] for value in s.get("SupplementaryGroups", []) for g in value.split()]
        caps = [c.lower().removeprefix("cap_") for value in s.get("AmbientCapabilities", []) for c in value.split()]
        bounding = [c.lower().removeprefix("cap_") for value in s.get("CapabilityBoundingSet", []) for c in value.split()]
        setpriv = ["/usr/bin/setpriv", f"--reuid={user[2]}", f"--regid={group[2]}",
                   f"--groups={','.join(groups)}" if groups else "--clear-groups"]
        if s.get("NoNewPrivileges", ["no"])[-1] in ("yes", "true", "1", "on"):
            setpriv.append("--no-new-privs")
        if caps:
            setpriv += ["--inh-caps=" + ",".join("+" + c for c in caps), "--ambient-caps=" + ",".join("+" + c for c in caps)]
        setpriv.append("--bounding-set=-all" + "".join(",+" + c for c in bounding))
        self.argv = argv
        self.environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **env, **(extra_env or {})}
        if notify is not None and s.get("Type", ["simple"])[-1] == "notify":
            self.environment["NOTIFY_SOCKET"] = notify.inside
            if "WatchdogSec" in s:
                self.environment["WATCHDOG_USEC"] = str(int(seconds(s["WatchdogSec"][-1]) * 1_000_000))
        script = 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"'
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(self.root),
                                         *setpriv, "--", *argv],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=self.environment)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, as `systemctl stop` sends (unshare, sh, chroot and setpriv exec one another: the pid is the
        station's)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class NotifySocket:
    """systemd's NOTIFY_SOCKET inside the root: a datagram socket the unit's process (user chargekit) may write to."""

    def __init__(self, root, name="chargekit-test-notify"):
        self.path = Path(root) / "run" / name
        self.path.parent.mkdir(exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(str(self.path))
        os.chmod(self.path, 0o666)
        self.inside = f"/run/{name}"

    def receive(self, timeout):
        self.socket.settimeout(timeout)
        try:
            return self.socket.recv(4096).decode()
        except socket.timeout:
            return None

    def close(self):
        self.socket.close()
        self.path.unlink(missing_ok=True)


def seconds(span):
    """A systemd time span (systemd.time(5)) such as `30s`, `1min 30s`, `500ms` or `30`, in seconds."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"([0-9.]+)\s*([a-z]*)", span)
    assert parts, f"not a time span: {span}"
    return sum(float(n) * units[u or "s"] for n, u in parts)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
