"""The migrations and the seed files against a real PostgreSQL 16, loaded by the plugin's seeder.

The server is the plugin's own PostgresServer (see conftest.py); each check here uses a database
of its own on it. The seeder loads in one transaction, per file a temporary copy of the table
(LIKE ... INCLUDING DEFAULTS INCLUDING CONSTRAINTS), COPY (csv, header) into it, then
INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest
import seed_ids

from pytest_stonks_sandbox._backends.local.postgres import PostgresServer
from pytest_stonks_sandbox._core.errors import SeedError
from pytest_stonks_sandbox._seeding.seeder import MIGRATIONS_TABLE, seed_database
from pytest_stonks_sandbox._settings.project import load_project

REPO = Path(__file__).resolve().parents[2]
PROJECT = load_project(REPO)
SEED_FILES = sorted((REPO / "seeds" / "tables").glob("*.csv"))


def _table_of(path: Path) -> str:
    return path.stem.split("_", 1)[1]


def database_dsn(server: PostgresServer, database: str) -> str:
    """The server's DSN for another database on it."""
    return server.dsn.rsplit("/", 1)[0] + "/" + database


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_database(server: PostgresServer, name: str) -> str:
    """A fresh database on the server; returns its DSN."""
    conn = await asyncpg.connect(database_dsn(server, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_ident(name)}")
        await conn.execute(f"CREATE DATABASE {_ident(name)}")
    finally:
        await conn.close()
    return database_dsn(server, name)


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
async def seeded(postgres: PostgresServer) -> SeededDatabase:
    dsn = await create_database(postgres, "stonks_schema_check")
    await seed_database(dsn, PROJECT)
    conn = await asyncpg.connect(dsn)
    try:
        first_counts, first_digests = await row_counts(conn), await table_digests(conn)
        await seed_database(dsn, PROJECT)
        return SeededDatabase(
            dsn=dsn,
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
    # every application table, plus the seeder's record of applied migrations
    assert tables == {_table_of(p) for p in SEED_FILES} | {MIGRATIONS_TABLE}


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


async def test_a_bad_seed_row_loads_nothing(postgres: PostgresServer, tmp_path: Path) -> None:
    dsn = await create_database(postgres, "stonks_bad_seed")
    for path in SEED_FILES:
        text = path.read_text(encoding="utf-8")
        if _table_of(path) == "documents":
            text = text.replace(",news,", ",blog,", 1)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        await seed_database(dsn, replace(PROJECT, seeds=tmp_path))
    assert isinstance(caught.value.__cause__, asyncpg.CheckViolationError)
    assert "documents.csv" in caught.value.component
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM companies") == 0
    finally:
        await conn.close()
