"""Apply the application's schema, load seeds/ with COPY in one transaction, upload bucket objects.

A seed table file is `NNN_<table>.csv` (header row = columns, PostgreSQL CSV rules). Each file is
COPY-loaded into a temporary copy of its table, then inserted with ON CONFLICT DO NOTHING, so a
second run changes nothing. Any error rolls the whole load back and names the file and the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from pytest_stonks_sandbox._core.errors import SeedError
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._core.s3 import s3_client
from pytest_stonks_sandbox._settings.project import ProjectConfig

CLOSE_TIMEOUT_S = 2.0

MIGRATIONS_TABLE = "stonks_sandbox_migrations"
SEED_FILE = re.compile(r"^\d+_(?P<table>[a-z_][a-z0-9_]*)\.csv$")
COPY_LINE = re.compile(r"line (\d+)")
FK_DETAIL = re.compile(r"Key \((?P<column>[^)]+)\)=\((?P<value>[^)]*)\)")


@dataclass(frozen=True)
class TableLoad:
    """Rows read from one seed file and rows it actually inserted."""

    rows: int
    inserted: int


@dataclass(frozen=True)
class SeedSummary:
    """What seeding did, for the fixtures and the results contract."""

    seconds: float
    migrations_applied: tuple[str, ...] = ()
    tables: Mapping[str, TableLoad] = field(default_factory=dict)
    objects: int = 0

    def row_counts(self) -> dict[str, int]:
        return {name: load.rows for name, load in self.tables.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 4),
            "migrations_applied": list(self.migrations_applied),
            "tables": {
                name: {"rows": load.rows, "inserted": load.inserted}
                for name, load in self.tables.items()
            },
            "rows_total": sum(load.rows for load in self.tables.values()),
            "objects": self.objects,
        }


def seed_files(directory: Path | None) -> list[tuple[str, Path]]:
    """(table, file) pairs in load order; a misnamed file is an error naming it."""
    if directory is None:
        return []
    if not directory.is_dir():
        raise SeedError(str(directory), "the seeds directory does not exist.", "fix 'seeds'.")
    pairs = []
    for path in sorted(directory.glob("*.csv")):
        match = SEED_FILE.match(path.name)
        if not match:
            raise SeedError(
                str(path), "is not named NNN_<table>.csv.", "rename it, e.g. 010_companies.csv."
            )
        pairs.append((match["table"], path))
    return pairs


def seed(endpoints: Endpoints, project: ProjectConfig) -> SeedSummary:
    """Run the whole seed stage (blocking); raises SeedError naming file and row on bad data."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        uploading = pool.submit(upload_objects, endpoints, project)
        try:
            migrations, tables = asyncio.run(seed_database(endpoints.postgres_dsn, project))
        finally:
            objects = uploading.result()
    return SeedSummary(time.monotonic() - started, migrations, tables, objects)


async def seed_database(
    dsn: str, project: ProjectConfig
) -> tuple[tuple[str, ...], dict[str, TableLoad]]:
    """Apply the migrations, then load every seed table in one transaction."""
    files = seed_files(project.seeds)
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SeedError("postgres", f"could not connect to the sandbox database ({exc}).") from exc
    try:
        applied = await apply_migrations(conn, project.migrations)
        async with conn.transaction():
            columns = await _table_columns(conn)
            loads = {}
            for table, path in files:
                loads[table] = await _load_file(conn, table, path, columns)
        return applied, loads
    finally:
        await close_connection(conn)


async def close_connection(conn: asyncpg.Connection, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
    """Close politely, but never wait long for the server's end of the connection.

    asyncpg waits for the server to close the socket after Terminate; a tunnel that does not
    pass the end of a stream on (a port-forward can behave so) would make that wait forever.
    """
    with contextlib.suppress(TimeoutError, OSError):  # asyncpg has aborted it by then
        await conn.close(timeout=timeout_s)


async def apply_migrations(conn: asyncpg.Connection, directory: Path | None) -> tuple[str, ...]:
    """Apply each *.sql file of `directory` once, in name order, each in its own transaction."""
    if directory is None:
        return ()
    if not directory.is_dir():
        raise SeedError(str(directory), "the migrations directory does not exist.")
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    done = {row["name"] for row in await conn.fetch(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    applied = []
    for path in sorted(directory.glob("*.sql")):
        if path.name in done:
            continue
        try:
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES ($1)", path.name)
        except asyncpg.PostgresError as exc:
            raise SeedError(
                f"migration {path}",
                f"failed: {exc}{_sql_position(path, exc)}",
                "fix the SQL; nothing of this migration was applied.",
            ) from exc
        applied.append(path.name)
    return tuple(applied)


def _sql_position(path: Path, exc: asyncpg.PostgresError) -> str:
    position = getattr(exc, "position", None)
    if not position:
        return ""
    text = path.read_text(encoding="utf-8")[: int(position)]
    return f" (at line {text.count(chr(10)) + 1})"


async def _table_columns(conn: asyncpg.Connection) -> dict[str, set[str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    )
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    return columns


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        try:
            return [name.strip() for name in next(csv.reader(handle))]
        except StopIteration:
            raise SeedError(str(path), "is empty: it needs a header row.") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SeedError(str(path), f"line 1 (header) is not valid CSV: {exc}") from exc


async def _load_file(
    conn: asyncpg.Connection, table: str, path: Path, columns: Mapping[str, set[str]]
) -> TableLoad:
    if table not in columns:
        raise SeedError(
            str(path), f"table {table!r} does not exist in the schema.", "rename the file."
        )
    header = _header(path)
    unknown = [name for name in header if name not in columns[table]]
    if unknown:
        raise SeedError(
            str(path),
            f"line 1 (header) names columns that {table} does not have: {', '.join(unknown)}.",
            f"use columns of {table}: {', '.join(sorted(columns[table]))}.",
        )
    staging = f"_seed_{table}"
    column_list = ", ".join(f'"{name}"' for name in header)
    await conn.execute(
        f'CREATE TEMP TABLE "{staging}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        " ON COMMIT DROP"
    )
    try:
        status = await conn.copy_to_table(
            staging, source=path, columns=header, format="csv", header=True
        )
    except asyncpg.PostgresError as exc:
        raise _row_error(path, exc) from exc
    rows = int(status.split()[-1])
    try:
        inserted = await conn.execute(
            f'INSERT INTO "{table}" ({column_list}) SELECT {column_list} FROM "{staging}" '
            "ON CONFLICT DO NOTHING"
        )
    except asyncpg.PostgresError as exc:
        raise _row_error(path, exc) from exc
    return TableLoad(rows=rows, inserted=int(inserted.split()[-1]))


def _row_error(path: Path, exc: asyncpg.PostgresError) -> SeedError:
    """Name the file and the row: from COPY's context, or by finding an offending key."""
    context = str(getattr(exc, "context", "") or "")
    detail = str(getattr(exc, "detail", "") or "")
    line = COPY_LINE.search(context)
    if line is None:
        line_number = _line_of_value(path, FK_DETAIL.search(detail))
    else:
        line_number = int(line.group(1))
    where = f"line {line_number} (data row {line_number - 1})" if line_number else "a row"
    message = f"{where} was rejected: {exc}" + (f" ({detail})" if detail else "")
    return SeedError(str(path), message, "correct that row; nothing was seeded.")


def _line_of_value(path: Path, key: re.Match[str] | None) -> int | None:
    if key is None:
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if row.get(key["column"]) == key["value"]:
                return reader.line_num
    return None


def upload_objects(endpoints: Endpoints, project: ProjectConfig) -> int:
    """Put every file under objects/<bucket>/ into that bucket (keys are the relative paths)."""
    root = project.objects
    if root is None:
        return 0
    if not root.is_dir():
        raise SeedError(str(root), "the objects directory does not exist.", "fix 'objects'.")
    files = [path for path in sorted(root.rglob("*")) if path.is_file()]
    if not files:
        return 0
    for path in files:
        bucket = path.relative_to(root).parts[0]
        if len(path.relative_to(root).parts) < 2 or bucket not in project.buckets:
            raise SeedError(
                str(path),
                f"is not inside a declared bucket directory ({', '.join(project.buckets)}).",
                "put objects under objects/<bucket>/ and list the bucket in 'buckets'.",
            )
    client = s3_client(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key)

    def put(path: Path) -> None:
        relative = path.relative_to(root)
        try:
            client.put_object(
                Bucket=relative.parts[0], Key="/".join(relative.parts[1:]), Body=path.read_bytes()
            )
        except Exception as exc:
            raise SeedError("s3", f"object {relative} could not be uploaded ({exc}).") from exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(put, files))
    return len(files)
