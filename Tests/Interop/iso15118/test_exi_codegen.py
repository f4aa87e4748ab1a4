"""The committed EXI tables and message types (Sources/EXI/Generated) must be what scripts/exi-codegen writes from the
official XSDs today: a stale or hand-edited generated file fails here. Skipped only when Josev's wheel (which ships
the XSDs) is not installed at CHARGEKIT_JOSEV_PYTHON."""
import filecmp
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
JOSEV_PY = os.environ.get("CHARGEKIT_JOSEV_PYTHON", "/work/main/.venv-josev/bin/python")
pytest.importorskip("xmlschema")


def schemas_dir():
    try:
        out = subprocess.run([JOSEV_PY, "-c", "import iso15118,os;print(os.path.dirname(iso15118.__file__))"],
                             capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None
    return os.path.join(out.stdout.strip(), "shared", "schemas") if out.returncode == 0 else None


def test_generated_code_is_current(tmp_path):
    schemas = schemas_dir()
    if schemas is None:
        pytest.skip("Josev (PyPI iso15118, which ships the XSDs) is not installed at %s" % JOSEV_PY)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "exi-codegen", "exi_codegen.py"),
                    "--schemas", schemas, "--out", str(tmp_path)], check=True, timeout=900)
    committed = os.path.join(ROOT, "Sources", "EXI", "Generated")
    fresh = sorted(os.listdir(tmp_path))
    assert fresh == sorted(os.listdir(committed))
    for schema in fresh:
        a, b = os.path.join(committed, schema), os.path.join(tmp_path, schema)
        assert sorted(os.listdir(a)) == sorted(os.listdir(b)), schema
        match, mismatch, errors = filecmp.cmpfiles(a, b, os.listdir(b), shallow=False)
        assert not mismatch and not errors, "stale generated files in %s: %s (regenerate, CONTRIBUTING.md)" % (schema, mismatch + errors)
