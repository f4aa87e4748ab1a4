"""The gateway's local API against its OpenAPI document (issue 30 items 3 and 4): schemathesis (a real OpenAPI fuzzer)
reads the document the running gateway serves at /api/openapi.json and sends generated valid and invalid requests with
the API token of gateway.json. It must find no 5xx, no answer outside the documented statuses, content types and
schemas, no invalid request accepted, and no crash. Valid changes are really applied (the gateway services restart with
them; a port or serial device that cannot be opened is a failure the gateway reports and retries), so the gateway must
still answer at the end. Bounded (fixed seed, few examples per operation): about 20 s.
"""
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets

from peers import BMS, Charger, Gateway, api_call, charger_base, wait_for

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, chargers=("CP1:2", "CP2:1")).start()
    yield g
    assert g.terminate() == 0


def call(gateway, method, path, token=None, body=None):
    return api_call(gateway, method, path, token, body, timeout=10)


def get(gateway, path, token=None):
    return call(gateway, "GET", path, token)


def scan(gateway, loop, *ids):
    """Chargers with ChargerIDs the gateway does not know try to connect: refused, they are listed in the OCPP scan."""
    async def try_connect(cp_id):
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(gateway.url(cp_id), subprotocols=["ocpp1.6"]):
                pass
    for cp_id in ids:
        loop.run(try_connect(cp_id))
    wait_for(lambda: {c["id"] for c in get(gateway, "/api/scanned-chargers", gateway.token)[1]} >= set(ids), what="scanned")


def test_issue30_3_gateway_api_token_in_gateway_json(gateway):
    runtime = gateway.data_dir / "gateway.json"
    assert stat.S_IMODE(os.stat(runtime).st_mode) == 0o600, "only the owner may read the token"
    assert gateway.token and len(gateway.token) >= 16
    status, body = get(gateway, "/api/status")
    assert status == 401 and "gateway.json" in body["error"]
    status, body = get(gateway, "/api/status", gateway.token)
    assert status == 200 and body["running"] is True and body["mode"] == "BMS" and body["chargersConfigured"] == 2
    status, body = get(gateway, "/api/chargers", gateway.token)
    assert [c["id"] for c in body["chargers"]] == ["CP1", "CP2"]


def test_seeds003_2_2_4b_scan_accept_by_api_then_the_charger_is_served(gateway, loop):
    """The Chargers page's OCPP scan through the API on the real gateway: the refused ChargerID is listed, accepted into
    the first free slot (the gateway services restart with it), and the charger then connects and its registers fill."""
    scan(gateway, loop, "NEW-CP", "STRAY-CP")
    status, body = call(gateway, "DELETE", "/api/scanned-chargers/STRAY-CP", gateway.token)
    assert status == 200 and body == {"dismissed": "STRAY-CP"}
    status, body = call(gateway, "POST", "/api/scanned-chargers/NEW-CP/accept", gateway.token, {"connectors": 8})
    assert status == 400 and "chargers" in body["fields"], "connectors out of range: refused as on the page"
    status, body = call(gateway, "POST", "/api/scanned-chargers/NEW-CP/accept", gateway.token, {"connectors": 3})
    assert status == 200 and {"id": "NEW-CP", "slot": 2, "connectors": 3, "passwordSet": False} in body["chargers"] and body["changed"] is True
    gateway.wait_restarted()
    assert get(gateway, "/api/scanned-chargers", gateway.token) == (200, [])
    new = Charger(loop, gateway, "NEW-CP").connect()
    new.boot()
    bms = BMS(gateway)
    assert bms.read(charger_base(2)) == [0], "slot 2's communication status: connected"
    bms.close()
    charger = next(c for c in get(gateway, "/api/diagnostics", gateway.token)[1]["chargers"] if c["id"] == "NEW-CP")
    assert charger["connected"] is True and charger["slot"] == 2 and charger["connectors"] == 3
    status, frames = get(gateway, "/api/chargers/NEW-CP/frames", gateway.token)
    assert status == 200 and any('"BootNotification"' in f["text"] and f["direction"] == "fromCharger" for f in frames)
    new.close()


def test_issue30_3_schemathesis_finds_no_defect_in_the_gateway_api(gateway, loop, tmp_path):
    scan(gateway, loop, "NEW-CP", "STRAY-CP")  # the document's examples: accepted and dismissed by the fuzzer
    status, doc = get(gateway, "/api/openapi.json")
    assert status == 200 and doc["openapi"] == "3.1.0" and "/api/settings" in doc["paths"], "the document is public"
    started = time.monotonic()
    run = subprocess.run(
        [SCHEMATHESIS, "run", gateway.base + "/api/openapi.json", "--url", gateway.base,
         "-H", f"Authorization: Bearer {gateway.token}",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
                   "response_headers_conformance,negative_data_rejection",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "10", "--seed", "30",
         "--generation-database", "none", "--workers", "1", "--request-timeout", "10",
         "--no-color", "--output-truncate", "false"],
        cwd=tmp_path, capture_output=True, text=True, timeout=180)
    elapsed = time.monotonic() - started
    assert gateway.proc.poll() is None, "the gateway did not crash"
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout, run.stdout[-3000:]
    assert get(gateway, "/api/status", gateway.token)[0] == 200, "the gateway still answers"
    print(run.stdout[-6000:])
    print(f"schemathesis took {elapsed:.1f} s")
