"""Fixtures of the gateway suites; each module defines its own `gateway` fixture (the gateway's options differ)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import BMS, Loop  # noqa: E402


@pytest.fixture
def loop():
    """An asyncio loop in a background thread for the charge points."""
    l = Loop()
    yield l
    l.stop()
    for charger in l.chargers:
        charger.check()


@pytest.fixture
def bms(gateway):
    """A pymodbus BMS connected to the module's gateway."""
    b = BMS(gateway)
    yield b
    b.close()
