"""Fixtures shared by the package's tests (test_deb.py, test_systemd.py)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import debroot  # noqa: E402


@pytest.fixture(scope="session")
def deb(tmp_path_factory):
    """The package of the binary under test (built once: half a minute for the debug binary)."""
    return debroot.build_deb(tmp_path_factory.mktemp("deb"))
