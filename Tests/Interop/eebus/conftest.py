"""Fixtures of the EEBUS interop suite: the station in the station namespace with its EEBUS interface on
(station_eebus.py) and energy managers (energy_manager.py) in the manager namespace."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from energy_manager import EnergyManager  # noqa: E402
from station_eebus import start_station  # noqa: E402


@pytest.fixture
def eebus_station(data_dir, netns_pair):
    """A factory: eebus_station(**EEBUS parameters) starts the station; it is stopped after the test."""
    started = []

    def make(**params):
        s = start_station(data_dir, netns_pair, **params)
        started.append(s)
        return s
    yield make
    for s in started:
        s.terminate()


@pytest.fixture
def managers(netns_pair):
    """A factory of energy managers in the manager namespace: managers(kind="grid-guard"|"cem", **kwargs)."""
    made = []

    def make(kind="grid-guard", **kwargs):
        m = EnergyManager(kind, namespace=netns_pair.manager, address=netns_pair.manager.address, **kwargs).start()
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()
