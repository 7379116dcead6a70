"""Seeding against a real sandbox database (a LocalBackend started from Python, infra only)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sandbox_helpers import APP, make_base

from pytest_stonks_sandbox._backends.local.backend import LocalBackend
from pytest_stonks_sandbox._core.errors import SeedError
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._core.s3 import S3_REGION, s3_client
from pytest_stonks_sandbox._core.s3write import S3RequestError, S3Writer
from pytest_stonks_sandbox._seeding.seeder import seed
from pytest_stonks_sandbox._settings.config import new_run_id
from pytest_stonks_sandbox._settings.project import ProjectConfig, parse_project

OWNER = "00000000-0000-4000-b100-000000000001"


def _project(seeds: Path | None = None, objects: bool = True) -> ProjectConfig:
    table: dict[str, Any] = {
        "database": "items",
        "buckets": ["items-bucket"],
        "migrations": str(APP / "migrations"),
        "seeds": str(seeds or APP / "seeds"),
    }
    if objects:
        table["objects"] = str(APP / "objects")
    return parse_project(table, root=APP)


@pytest.fixture(scope="module")
def endpoints() -> Iterator[Endpoints]:
    base = make_base()
    run_dir = base / new_run_id()
    backend = LocalBackend(_project(), run_dir, timeout_s=60)
    try:
        yield backend.start()
    finally:
        backend.stop()
        assert not run_dir.exists()
        shutil.rmtree(base)


def _fetch(dsn: str, query: str, *args: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _seeds(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "seeds"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text.lstrip(), encoding="utf-8")
    return directory


def test_seeding_twice_inserts_once(endpoints: Endpoints) -> None:
    first = seed(endpoints, _project())
    assert first.migrations_applied == ("0001_items.sql",)
    assert {t: (load.rows, load.inserted) for t, load in first.tables.items()} == {
        "owners": (1, 1),
        "items": (3, 3),
    }
    assert first.objects == 1
    second = seed(endpoints, _project())
    assert second.migrations_applied == ()
    assert {t: (load.rows, load.inserted) for t, load in second.tables.items()} == {
        "owners": (1, 0),
        "items": (3, 0),
    }
    assert second.to_dict()["rows_total"] == 4
    assert _fetch(endpoints.postgres_dsn, "SELECT count(*) FROM items") == 3


def test_unknown_header_column_names_file_and_line_1(endpoints: Endpoints, tmp_path: Path) -> None:
    seeds = _seeds(tmp_path, **{"010_owners.csv": "id,nickname\n" + OWNER + ",ada\n"})
    with pytest.raises(SeedError) as caught:
        seed(endpoints, _project(seeds, objects=False))
    error = caught.value
    assert error.component == str(seeds / "010_owners.csv")
    assert "line 1 (header)" in error.message and "nickname" in error.message
    assert error.explain().startswith(f"seeding failed for {seeds / '010_owners.csv'}: line 1")


def test_foreign_key_violation_names_the_row_and_seeds_nothing(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    seeds = _seeds(
        tmp_path,
        **{
            "010_owners.csv": "id,name\n00000000-0000-4000-b100-000000000002,bob\n",
            "020_items.csv": (
                "id,owner_id,name,quantity\n"
                f"00000000-0000-4000-c100-000000000011,{OWNER},delta,4\n"
                "00000000-0000-4000-c100-000000000012,00000000-0000-4000-b100-00000000dead,x,5\n"
                f"00000000-0000-4000-c100-000000000013,{OWNER},epsilon,6\n"
            ),
        },
    )
    with pytest.raises(SeedError) as caught:
        seed(endpoints, _project(seeds, objects=False))
    error = caught.value
    assert error.component == str(seeds / "020_items.csv")
    assert "line 3 (data row 2) was rejected" in error.message
    assert "00000000-0000-4000-b100-00000000dead" in error.message
    dsn = endpoints.postgres_dsn
    assert _fetch(dsn, "SELECT count(*) FROM items") == 3  # the good rows were rolled back too
    assert _fetch(dsn, "SELECT count(*) FROM owners") == 1  # and so was the earlier file


def test_bad_value_names_the_line(endpoints: Endpoints, tmp_path: Path) -> None:
    good = (APP / "seeds" / "020_items.csv").read_text()
    seeds = _seeds(tmp_path, **{"020_items.csv": good.replace(",3\n", ",three\n")})
    with pytest.raises(SeedError) as caught:
        seed(endpoints, _project(seeds, objects=False))
    assert caught.value.component == str(seeds / "020_items.csv")
    assert "line 4 (data row 3)" in caught.value.message


def test_misnamed_seed_file(endpoints: Endpoints, tmp_path: Path) -> None:
    seeds = _seeds(tmp_path, **{"items.csv": "id\n"})
    shutil.copy(APP / "seeds" / "010_owners.csv", seeds)
    with pytest.raises(SeedError, match=r"is not named NNN_<table>\.csv"):
        seed(endpoints, _project(seeds, objects=False))


def test_quoted_empty_is_an_empty_string_and_unquoted_empty_is_null_as_with_copy(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    """The batched load reads the CSV itself: it must keep COPY's NULL and quoting rules."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_notes.sql").write_text(
        "CREATE TABLE notes (id integer PRIMARY KEY, body text, tag varchar(8));", encoding="utf-8"
    )
    seeds = _seeds(
        tmp_path,
        **{"010_notes.csv": 'id,body,tag\n1,"",x\n2,,"a,b"\n3,"two\nlines ""q""",\r\n'},
    )
    project = dataclasses.replace(_project(seeds, objects=False), migrations=migrations)
    summary = seed(endpoints, project)
    assert {t: (load.rows, load.inserted) for t, load in summary.tables.items()} == {
        "notes": (3, 3)
    }
    dsn = endpoints.postgres_dsn
    query = (
        "SELECT coalesce(body, '<null>') || '|' || coalesce(tag, '<null>') FROM notes WHERE id = $1"
    )
    assert _fetch(dsn, query, 1) == "|x"
    assert _fetch(dsn, query, 2) == "<null>|a,b"
    assert _fetch(dsn, query, 3) == 'two\nlines "q"|<null>'
    _fetch(dsn, "DROP TABLE notes")
    _fetch(dsn, "DELETE FROM stonks_sandbox_migrations WHERE name = '0001_notes.sql'")


@pytest.mark.parametrize(
    "rows", ["1,abc,ab\n2,abcd,ab\n", "1,abc,ab\n2,abc,abc\n"], ids=["varchar(3)", "char(2)"]
)
def test_a_value_too_long_for_its_column_is_rejected_naming_the_row(
    endpoints: Endpoints, tmp_path: Path, rows: str
) -> None:
    """Casting the staged text must not truncate as an explicit cast to varchar(n) would."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_tags.sql").write_text(
        "CREATE TABLE tags (id integer PRIMARY KEY, tag varchar(3), code char(2));",
        encoding="utf-8",
    )
    seeds = _seeds(tmp_path, **{"010_tags.csv": "id,tag,code\n" + rows})
    project = dataclasses.replace(_project(seeds, objects=False), migrations=migrations)
    try:
        with pytest.raises(SeedError) as caught:
            seed(endpoints, project)
        assert caught.value.component == str(seeds / "010_tags.csv")
        assert "line 3 (data row 2) was rejected" in caught.value.message
        assert _fetch(endpoints.postgres_dsn, "SELECT count(*) FROM tags") == 0
    finally:
        _fetch(endpoints.postgres_dsn, "DROP TABLE tags")
        _fetch(
            endpoints.postgres_dsn,
            "DELETE FROM stonks_sandbox_migrations WHERE name = '0001_tags.sql'",
        )


def test_a_broken_migration_among_several_is_named_and_the_ones_before_it_stay(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_a.sql").write_text("CREATE TABLE mig_a (id int);\n", encoding="utf-8")
    (migrations / "0002_b.sql").write_text(
        "CREATE TABLE mig_b (id int);\nCREATE TABLE mig_c (id nosuchtype);\n", encoding="utf-8"
    )
    (migrations / "0003_d.sql").write_text("CREATE TABLE mig_d (id int);\n", encoding="utf-8")
    project = dataclasses.replace(_project(_seeds(tmp_path), objects=False), migrations=migrations)
    dsn = endpoints.postgres_dsn
    try:
        with pytest.raises(SeedError) as caught:
            seed(endpoints, project)
        assert caught.value.component == f"migration {migrations / '0002_b.sql'}"
        assert "nosuchtype" in caught.value.message
        assert "(at line 2)" in caught.value.message
        assert _fetch(dsn, "SELECT to_regclass('mig_a') IS NOT NULL") is True
        assert _fetch(dsn, "SELECT to_regclass('mig_b') IS NULL") is True  # rolled back whole
        assert _fetch(dsn, "SELECT to_regclass('mig_d') IS NULL") is True  # never reached
        applied = "SELECT count(*) FROM stonks_sandbox_migrations WHERE name LIKE '000%\\_%.sql'"
        assert _fetch(dsn, applied + " AND name IN ('0001_a.sql')") == 1
    finally:
        _fetch(dsn, "DROP TABLE IF EXISTS mig_a")
        _fetch(dsn, "DELETE FROM stonks_sandbox_migrations WHERE name = '0001_a.sql'")


def test_the_sandboxs_own_s3_calls_reach_the_store_and_wrong_keys_do_not(
    endpoints: Endpoints,
) -> None:
    writer = S3Writer(
        endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key, S3_REGION
    )
    writer.create_bucket("items-bucket")  # created by the deploy: owned already, no error
    writer.put_object("items-bucket", "dir/a b~c.txt", b"written")
    client = s3_client(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key)
    got = client.get_object(Bucket="items-bucket", Key="dir/a b~c.txt")["Body"].read()
    assert got == b"written"
    writer.delete_object("items-bucket", "dir/a b~c.txt")
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket="items-bucket", Key="dir/a b~c.txt")
    wrong = S3Writer(endpoints.s3_endpoint, endpoints.s3_access_key, "not-the-secret", S3_REGION)
    with pytest.raises(S3RequestError) as refused:
        wrong.put_object("items-bucket", "intruder.txt", b"x")
    assert refused.value.status == 403
    assert refused.value.code == "SignatureDoesNotMatch"


def test_postgres_keeps_its_shared_memory_segments_in_the_run_directory(
    endpoints: Endpoints,
) -> None:
    """Not /dev/shm/PostgreSQL.*, which a killed server would leave behind for good."""
    assert _fetch(endpoints.postgres_dsn, "SHOW dynamic_shared_memory_type") == "mmap"
