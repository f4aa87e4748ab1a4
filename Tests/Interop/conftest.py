"""Fixtures of the interop suites."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from station import Station  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """Headless chromium, one per test module (the web suites)."""
    from web_browser import chromium
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def station(data_dir):
    s = Station(data_dir).start()
    yield s
    s.terminate()


@pytest.fixture(scope="module")
def netns_pair():
    """A station and a manager network namespace joined by a veth pair (netns.py); skips unless root."""
    from netns import NamespacePair, can_create
    reason = can_create()
    if reason:
        pytest.skip(reason)
    with NamespacePair() as pair:
        yield pair
