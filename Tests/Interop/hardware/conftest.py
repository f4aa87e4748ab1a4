"""Fixtures of the hardware suites: an RS-485 bus on a pseudo-terminal pair with the emulated devices on it."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import CentralSystem  # noqa: E402
from pcsc_peer import PCSCService, missing_tools  # noqa: E402
from rtu_bus import Bus  # noqa: E402


@pytest.fixture
def bus(tmp_path):
    b = Bus(tmp_path)
    yield b
    b.close()


@pytest.fixture
def pcsc(tmp_path):
    """pcscd with the virtual reader of vsmartcard-vpcd in a mount namespace of its own (pcsc_peer.py)."""
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    service = PCSCService(tmp_path / "pcsc")
    try:
        yield service.start()
    finally:
        service.close()


@pytest.fixture
def cs():
    """The independent OCPP 1.6J central system of the OCPP suite (the Python `ocpp` library); every frame the station
    sent must have kept its schema."""
    c = CentralSystem().start()
    yield c
    c.shutdown()
    c.check()
