"""Fixtures of the hardware suites: an RS-485 bus on a pseudo-terminal pair with the emulated devices on it."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from rtu_bus import Bus  # noqa: E402


@pytest.fixture
def bus(tmp_path):
    b = Bus(tmp_path)
    yield b
    b.close()

