"""Fixtures of the OCPP 1.6J conformance suite: an independent central system and a simulated station
configured to connect to it."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from central_system import CentralSystem  # noqa: E402
from harness import OCPPStation  # noqa: E402

@pytest.fixture
def cs():
    c = CentralSystem().start()
    yield c
    c.shutdown()
    assert not c.violations, c.violations


@pytest.fixture
def make_station(data_dir, cs):
    started = []

    def make(config=(), connectors=2, boot=True):
        s = OCPPStation(data_dir, cs, config=config, connectors=connectors).start()
        started.append(s)
        if boot:
            cs.wait_connected()
            for n in range(0, connectors + 1):
                cs.wait_status(n, "Available")
        return s

    yield make
    for s in started:
        s.terminate()


