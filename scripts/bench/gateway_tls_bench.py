"""TLS benchmark of the gateway's charger listener on security profile 3 (issue 28; scripts/bench-gateway-tls.sh).

Makes a CA, the gateway's server certificate and one client certificate per charger (CN = its ChargerID) with openssl,
then, one server at a time on this machine:
  1. the reference: `openssl s_server` requiring a client certificate of the same CA (-Verify) answers N TLS handshakes
     of the same clients with the same certificates, one after the other — OpenSSL's own cost of a handshake;
  2. `chargekit gateway` on security profile 3 (--accept-unconfigured on, Modbus off): the N chargers open their wss
     WebSocket (TLS with the client certificate, HTTP upgrade, the gateway's certificate check and admission) and stay
     connected.
  3. for attribution, the gateway on profile 0 with the same wss certificate (no client certificate asked for).
Per server: CPU seconds (utime + stime from /proc) over the N handshakes, per handshake; for the gateway also the PSS
and RSS growth with N open connections, per connection. The gateway's handshake beyond OpenSSL's is the difference.
Goals (issue 28): ≤ 1 ms CPU per handshake beyond OpenSSL's own cost, ≤ 60 kB per connection. Printed, not asserted.
"""
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import websockets

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def memory_kb(pid):
    pss = rss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
        elif line.startswith("Rss:"):
            rss = int(line.split()[1])
    return pss, rss


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d, ids):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", cwd=d)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "server.key", "-out", "server.pem", "-days", "30", "-subj", "/CN=localhost",
            "-CA", "ca.pem", "-CAkey", "ca.key", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    # One key for the chargers (a key pair per charger would only cost openssl time here: the server never caches a
    # client's key), one certificate each, CN = ChargerID.
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "client.key", cwd=d)

    def one(cp_id):
        openssl("req", "-x509", "-new", "-key", "client.key", "-out", f"{cp_id}.pem", "-days", "30", "-subj", f"/O=Bench/CN={cp_id}",
                "-CA", "ca.pem", "-CAkey", "ca.key", cwd=d)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(one, ids))


def client_context(d, cp_id):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(d / "ca.pem")
    ctx.load_cert_chain(d / f"{cp_id}.pem", d / "client.key")
    return ctx


def wait_port(port, timeout=60):
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def reference(d, ids, port=19443):
    """openssl s_server, one handshake after the other (it serves one connection at a time)."""
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", "server.pem", "-key", "server.key", "-CAfile", "ca.pem",
                               "-Verify", "1", "-verify_return_error", "-www", "-naccept", str(len(ids) + 1), "-quiet"],
                              cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)  # the probe is the +1 of -naccept
        contexts = [client_context(d, i) for i in ids]

        async def run():
            failures = 0
            for ctx in contexts:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
                    writer.write(b"GET / HTTP/1.0\r\n\r\n")
                    await writer.drain()
                    await reader.read()
                    writer.close()
                except (OSError, ssl.SSLError):
                    failures += 1
            return failures
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        failures = asyncio.run(run())
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid) - cpu0
        return {"cpuSeconds": cpu, "perHandshakeMs": cpu / len(ids) * 1000, "seconds": elapsed, "failures": failures}
    finally:
        server.kill()
        server.wait()


def gateway(chargekit, d, ids, concurrency, profile=3):
    data = d / f"gateway-data-{profile}"
    data.mkdir(exist_ok=True)
    argv = [chargekit, "gateway", "--data-dir", str(data), "--host", "127.0.0.1", "--ocpp-port", "19000", "--modbus-tcp", "off",
            "--http-port", "0", "--https-port", "0", "--accept-unconfigured", "on", "--log-level", "error",
            "--ocpp-tls-cert", str(d / "server.pem"), "--ocpp-tls-key", str(d / "server.key"),
            "--ocpp-security-profile", str(profile)] + (["--ocpp-client-ca", str(d / "ca.pem")] if profile == 3 else [])
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(d / "gateway.log", "ab"))
    try:
        wait_port(19000)
        contexts = {i: client_context(d, i) for i in ids}
        # Warm: one charger connects and leaves, so that one-time costs (the first TLS context use, thread start-up)
        # are not counted per handshake.
        warm = ids[0]

        async def open_one(cp_id, gate, sockets, failures):
            async with gate:
                try:
                    ws = await websockets.connect(f"wss://localhost:19000/{cp_id}", subprotocols=["ocpp1.6"], ssl=contexts[cp_id],
                                                  open_timeout=60, ping_interval=None)
                    sockets.append(ws)
                except Exception as e:  # noqa: BLE001
                    failures.append(repr(e))

        async def run():
            sockets, failures = [], []
            gate = asyncio.Semaphore(concurrency)
            await open_one(warm, gate, sockets, failures)
            await sockets.pop().close()
            await asyncio.sleep(0.5)
            pss0, rss0 = memory_kb(server.pid)
            cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
            await asyncio.gather(*(open_one(i, gate, sockets, failures) for i in ids))
            elapsed = time.perf_counter() - t0
            cpu = cpu_seconds(server.pid) - cpu0
            await asyncio.sleep(1)  # settle: freed handshake buffers
            pss1, rss1 = memory_kb(server.pid)
            opened = len(sockets)
            for ws in sockets:
                await ws.close()
            return {"connected": opened, "failures": len(failures), "lastError": failures[-1] if failures else None,
                    "cpuSeconds": cpu, "perHandshakeMs": cpu / max(1, len(ids)) * 1000, "seconds": elapsed,
                    "pssKBPerConnection": (pss1 - pss0) / max(1, opened), "rssKBPerConnection": (rss1 - rss0) / max(1, opened),
                    "pssMB": pss1 / 1024}
        return asyncio.run(run())
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    chargekit, n, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ids = [f"BENCH-{i:05d}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        make_pki(d, ids)
        print(f"PKI: CA, server and {n} client certificates (P-256) made by openssl in {time.perf_counter() - t0:.1f} s")
        ref = reference(d, ids)
        gw = gateway(chargekit, d, ids, concurrency)
        # For attribution: the same wss without client certificates (profile 0: the server does not ask for one).
        plain = gateway(chargekit, d, ids, concurrency, profile=0)
    beyond = gw["perHandshakeMs"] - ref["perHandshakeMs"]
    print(f"TLS handshakes with client certificates (security profile 3), {n} chargers, {os.cpu_count()} cores, clients on the same machine")
    print(f"{'server':<34}{'CPU s':>8}{'ms/handshake':>14}{'wall s':>8}{'failures':>10}")
    print(f"{'openssl s_server (reference)':<34}{ref['cpuSeconds']:>8.2f}{ref['perHandshakeMs']:>14.3f}{ref['seconds']:>8.1f}{ref['failures']:>10}")
    print(f"{'chargekit gateway (wss + upgrade)':<34}{gw['cpuSeconds']:>8.2f}{gw['perHandshakeMs']:>14.3f}{gw['seconds']:>8.1f}{gw['failures']:>10}")
    print(f"{'chargekit gateway, profile 0 (wss)':<34}{plain['cpuSeconds']:>8.2f}{plain['perHandshakeMs']:>14.3f}{plain['seconds']:>8.1f}{plain['failures']:>10}")
    print(f"gateway beyond OpenSSL's own cost: {beyond:.3f} ms CPU per handshake (goal ≤ 1 ms): {'OK' if beyond <= 1 else 'ABOVE GOAL'}")
    print(f"gateway memory with {gw['connected']} open connections: PSS {gw['pssMB']:.0f} MB; per connection PSS "
          f"{gw['pssKBPerConnection']:.1f} kB, RSS {gw['rssKBPerConnection']:.1f} kB (goal ≤ 60 kB): "
          f"{'OK' if gw['pssKBPerConnection'] <= 60 else 'ABOVE GOAL'}")
    print(f"profile 0 (wss, no client certificate) for comparison: per connection PSS {plain['pssKBPerConnection']:.1f} kB")
    if gw["failures"]:
        print(f"  gateway: {gw['failures']} failures ({gw['lastError']})")
    print(json.dumps({"reference": ref, "gateway": gw, "gatewayProfile0": plain}))


if __name__ == "__main__":
    main()
