"""pytest start-up stays light: the plugin imports its heavy dependencies only when a run uses
them, and the dev extra's pytest plugins (schemathesis, hypothesis) stay out of every start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Imported only by the Kubernetes backend, the page checks and the S3 paths of a run.
HEAVY = ("kubernetes", "playwright", "boto3", "botocore", "yaml", "schemathesis", "hypothesis")

REPORTER = f"""
import json, sys

def pytest_collection_finish(session):
    heavy = {HEAVY!r}
    loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set(heavy))
    plugins = sorted(name for name, _ in session.config.pluginmanager.list_name_plugin())
    with open("startup.json", "w") as out:
        json.dump({{"loaded": loaded, "plugins": plugins}}, out)
"""


def test_collecting_one_test_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(REPORTER)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    pytester.makeini(
        "[pytest]\naddopts = -p no:schemathesis -p no:hypothesispytest -p no:cacheprovider\n"
    )
    result = pytester.runpytest_subprocess("--co", "-q")
    result.assert_outcomes()
    report = json.loads((pytester.path / "startup.json").read_text())
    assert report["loaded"] == [], report
    assert any("stonks_sandbox" in name for name in report["plugins"])


def test_the_repository_keeps_the_dev_plugins_out_of_start_up() -> None:
    """The repo's own addopts block them; tests/services calls both libraries directly."""
    code = (
        "import pytest, sys\n"
        "class Loaded:\n"
        "    def pytest_collection_finish(self, session):\n"
        "        pm = session.config.pluginmanager\n"
        "        names = [n for n, plugin in pm.list_name_plugin() if plugin is not None]\n"
        "        print('PLUGINS', sorted(str(n) for n in names))\n"
        "        print('MODULES', sorted({n.split('.')[0] for n in sys.modules}))\n"
        "sys.exit(pytest.main(['--co', '-q', 'tests/plugin/test_routes.py'], plugins=[Loaded()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " [" in line)
    assert "stonks_sandbox" in lines["PLUGINS"]
    assert "schemathesis" not in lines["PLUGINS"] and "hypothesis" not in lines["PLUGINS"]
    assert "'schemathesis'" not in lines["MODULES"] and "'hypothesis'" not in lines["MODULES"]
