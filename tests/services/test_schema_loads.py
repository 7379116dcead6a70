"""The migrations and the seed files against a real PostgreSQL 16 (the pgserver binaries).

A throwaway server is started for this module: loopback only, a private directory under
/var/tmp, run as uid 65534 when the tests run as root (postgres refuses root), stopped by pid
and removed afterwards. The seeds are loaded the way the plugin's seeder does it: one
transaction, per file a temporary copy of the table (LIKE ... INCLUDING DEFAULTS INCLUDING
CONSTRAINTS), COPY (csv, header) into it, then INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import seed_ids

asyncpg = pytest.importorskip("asyncpg")

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((REPO / "services" / "migrations").glob("*.sql"))
SEED_FILES = sorted((REPO / "seeds" / "tables").glob("*.csv"))
UNPRIVILEGED_UID = 65534


# ------------------------------------------------------------------------------------------------
# A private PostgreSQL 16 server
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PgServer:
    port: int

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _pg_bin() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "postgres").is_file() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("pgserver (PostgreSQL 16 binaries) is not installed")
    as_root = os.geteuid() == 0
    run_dir = Path(tempfile.mkdtemp(prefix="stonks-schema-", dir="/var/tmp" if as_root else None))
    drop: dict[str, object] = {}
    if as_root:
        os.chmod(run_dir, 0o755)
        os.chown(run_dir, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        drop = {"user": UNPRIVILEGED_UID, "group": UNPRIVILEGED_UID, "extra_groups": []}
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(run_dir / "data"), "-U", "postgres",
             "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=60, **drop,  # type: ignore[call-overload]
        )  # fmt: skip
        port = _free_port()
        with (run_dir / "postgres.log").open("wb") as log:
            proc = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(run_dir / "data"), "-h", "127.0.0.1",
                 "-p", str(port), "-k", str(run_dir), "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT, **drop,  # type: ignore[call-overload]
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log_text = (run_dir / "postgres.log").read_text(errors="replace")
                pytest.fail(f"PostgreSQL did not start:\n{log_text[-2000:]}")
            time.sleep(0.05)
        yield PgServer(port=port)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(run_dir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# Migrations and the seeder's loading procedure
# ------------------------------------------------------------------------------------------------
def _table_of(path: Path) -> str:
    return path.stem.split("_", 1)[1]


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_database(server: PgServer, name: str) -> None:
    conn = await asyncpg.connect(server.dsn("postgres"))
    try:
        await conn.execute(f"CREATE DATABASE {_ident(name)}")
    finally:
        await conn.close()


async def apply_migrations(conn: asyncpg.Connection) -> None:
    for path in MIGRATIONS:
        await conn.execute(path.read_text())


async def load_seeds(conn: asyncpg.Connection, files: list[Path]) -> None:
    async with conn.transaction():
        for path in files:
            table = _ident(_table_of(path))
            header = _header(path)
            cols = ", ".join(_ident(c) for c in header)
            await conn.execute(
                f"CREATE TEMP TABLE _seed (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                " ON COMMIT DROP"
            )
            await conn.copy_to_table(
                "_seed", source=path, columns=header, format="csv", header=True
            )
            await conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _seed ON CONFLICT DO NOTHING"
            )
            await conn.execute("DROP TABLE _seed")


async def row_counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {
        _table_of(path): int(await conn.fetchval(f"SELECT count(*) FROM {_ident(_table_of(path))}"))
        for path in SEED_FILES
    }


async def table_digests(conn: asyncpg.Connection) -> dict[str, str]:
    digests: dict[str, str] = {}
    for path in SEED_FILES:
        table = _ident(_table_of(path))
        digests[_table_of(path)] = await conn.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} AS t"
        )
    return digests


@dataclass(frozen=True)
class SeededDatabase:
    dsn: str
    first_counts: dict[str, int]
    first_digests: dict[str, str]
    second_counts: dict[str, int]
    second_digests: dict[str, str]


@pytest.fixture(scope="module")
async def seeded(pg_server: PgServer) -> SeededDatabase:
    await create_database(pg_server, "stonks")
    conn = await asyncpg.connect(pg_server.dsn("stonks"))
    try:
        await apply_migrations(conn)
        await load_seeds(conn, SEED_FILES)
        first_counts, first_digests = await row_counts(conn), await table_digests(conn)
        await load_seeds(conn, SEED_FILES)
        return SeededDatabase(
            dsn=pg_server.dsn("stonks"),
            first_counts=first_counts,
            first_digests=first_digests,
            second_counts=await row_counts(conn),
            second_digests=await table_digests(conn),
        )
    finally:
        await conn.close()


@pytest.fixture
async def conn(seeded: SeededDatabase) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(seeded.dsn)
    try:
        yield connection
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------
async def test_every_table_is_created_and_seeded(conn: asyncpg.Connection) -> None:
    tables = {
        r["table_name"]
        for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    }
    assert tables == {_table_of(p) for p in SEED_FILES}


async def test_first_load_inserts_every_row(seeded: SeededDatabase) -> None:
    assert seeded.first_counts == seed_ids.SEED_ROW_COUNTS


async def test_second_load_changes_nothing(seeded: SeededDatabase) -> None:
    assert seeded.second_counts == seeded.first_counts
    assert seeded.second_digests == seeded.first_digests


async def test_null_and_json_semantics(conn: asyncpg.Connection) -> None:
    assert await conn.fetchval("SELECT count(*) FROM documents WHERE company_id IS NULL") == 2
    assert await conn.fetchval("SELECT count(*) FROM exposure_profiles WHERE notes IS NULL") == 10
    kinds = await conn.fetch("SELECT DISTINCT jsonb_typeof(entities) AS k FROM extraction_records")
    assert [r["k"] for r in kinds] == ["array"]
    strategies = await conn.fetchval(
        "SELECT jsonb_path_query_array(strategies, '$[*].name') FROM trading_config"
    )
    assert strategies == '["trend_following", "macro_overlay"]'


async def test_seeded_values_round_trip(conn: asyncpg.Connection) -> None:
    row = await conn.fetchrow(
        "SELECT p.unrealized_pnl, c.ticker FROM positions AS p JOIN companies AS c "
        "ON c.id = p.company_id WHERE p.id = $1",
        seed_ids.POSITION_AAPL,
    )
    assert row is not None
    assert (row["ticker"], str(row["unrealized_pnl"])) == (
        "AAPL",
        seed_ids.SEED_POSITION_UNREALIZED_PNL["AAPL"],
    )
    published = await conn.fetchval(
        "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM documents "
        "WHERE id = $1",
        seed_ids.DOCUMENT_01,
    )
    assert published == "2026-01-05 13:30"


async def test_lockout_states_do_not_depend_on_the_date(conn: asyncpg.Connection) -> None:
    states = {
        str(r["id"]): r["state"]
        for r in await conn.fetch("SELECT id, state FROM symbol_lockout_states")
    }
    assert states == {seed_ids.LOCKOUT_ACTIVE: "active", seed_ids.LOCKOUT_EXPIRED: "expired"}
    pending = await conn.fetchval(
        "SELECT count(*) FROM operator_approvals WHERE status = 'pending' AND expires_at > now()"
    )
    assert pending == 1


async def test_constraints_reject_bad_writes(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO competitor_relationships (company_id, competitor_id) VALUES ($1, $1)",
            seed_ids.COMPANY_AAPL,
        )
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(
            "INSERT INTO company_aliases (company_id, alias) VALUES ($1, 'Apple')",
            seed_ids.COMPANY_AAPL,
        )
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute("INSERT INTO companies (ticker, name) VALUES ('AAPL', 'Duplicate')")
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO documents (doc_type, title, source, published_at) "
            "VALUES ('blog', 'x', 'y', now())"
        )


async def test_deletes_cascade_or_restrict(conn: asyncpg.Connection) -> None:
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute("DELETE FROM documents WHERE id = $1", seed_ids.DOCUMENT_01)
        left = await conn.fetchval(
            "SELECT count(*) FROM extraction_records WHERE document_id = $1", seed_ids.DOCUMENT_01
        )
        assert left == 0
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute("DELETE FROM companies WHERE id = $1", seed_ids.COMPANY_AAPL)
    finally:
        await tx.rollback()
    assert await conn.fetchval("SELECT count(*) FROM documents") == 10


async def test_a_bad_seed_row_loads_nothing(pg_server: PgServer, tmp_path: Path) -> None:
    await create_database(pg_server, "stonks_bad_seed")
    files = []
    for path in SEED_FILES:
        copy = tmp_path / path.name
        text = path.read_text(encoding="utf-8")
        if _table_of(path) == "documents":
            text = text.replace(",news,", ",blog,", 1)
        copy.write_text(text, encoding="utf-8")
        files.append(copy)
    conn = await asyncpg.connect(pg_server.dsn("stonks_bad_seed"))
    try:
        await apply_migrations(conn)
        with pytest.raises(asyncpg.CheckViolationError):
            await load_seeds(conn, files)
        assert await conn.fetchval("SELECT count(*) FROM companies") == 0
    finally:
        await conn.close()
