"""Fixtures of the interop suites."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from station import Station  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    Station.started_in_test.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the end of the log of every station it started (warnings and errors: a
    transfer that failed, a refused connection), which is all CI's output can tell about a failure seen only there."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for s in Station.started_in_test:
            report.sections.append((f"end of the log of the station in {s.data_dir}", s.log_tail() or "(nothing logged)"))


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
