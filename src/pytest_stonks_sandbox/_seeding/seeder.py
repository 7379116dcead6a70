"""Apply the application's schema, load seeds/ with COPY in one transaction, upload bucket objects.

A seed table file is `NNN_<table>.csv` (header row = columns, PostgreSQL CSV rules). Its rows are
inserted with ON CONFLICT DO NOTHING, so a second run changes nothing. Any error rolls the whole
load back and names the file and the row.

Every round trip counts through a port-forward, so the load takes a handful: the pending
migrations go in one message (each still in its own transaction), and the rows of every file in
one binary COPY to a staging table, from which one block inserts them table by table. Should
anything be rejected, the load is rolled back and done again file by file (a COPY each into a
temporary copy of its table), whose errors name the file and the row. The objects are uploaded
in parallel with all of this.
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
from pytest_stonks_sandbox._core.s3write import S3Writer
from pytest_stonks_sandbox._seeding.csvrows import NotPlain, data_rows
from pytest_stonks_sandbox._settings.project import ProjectConfig

# asyncpg waits for the server to close after Terminate; through a port-forward that close may
# never come (kwok's tunnel, containerd 1.6's). The Terminate is written at once: waiting longer
# than a loopback round trip adds nothing but time to every connection's close.
CLOSE_TIMEOUT_S = 0.002
STAGING_TABLE = "_stonks_seed_rows"
# Staged text goes into these as it is: the insert checks their length as COPY does (an explicit
# cast to varchar(n) or char(n) would cut the value short instead).
TEXT_TYPES = frozenset({"text", "character varying", "character", "bpchar"})
# An explicit cast pads or cuts bit strings: their files are loaded by COPY itself.
COPY_ONLY_TYPES = frozenset({"bit", "bit varying"})
COUNTS_TABLE = "_stonks_seed_counts"

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
class PlainFile:
    """A seed file read in Python, ready for the batched load."""

    table: str
    header: list[str]
    casts: list[str]  # per header column, what turns the staged text into its type
    rows: list[list[str | None]]


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
        conn = await asyncpg.connect(dsn, ssl=None if "sslmode=" in dsn else False)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SeedError("postgres", f"could not connect to the sandbox database ({exc}).") from exc
    try:
        applied = await apply_migrations(conn, project.migrations)
        columns = await _table_columns(conn)
        plan = _plan(files, columns)
        if plan is not None:
            try:
                async with conn.transaction():
                    return applied, await _load_batched(conn, plan)
            except asyncpg.PostgresError:
                pass  # rolled back: file by file, whose errors name the file and the row
        async with conn.transaction():
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
    """Apply each *.sql file of `directory` once, in name order, each in its own transaction.

    The pending ones go to the server in one message; after a failure the migrations table
    tells which one failed (those before it are applied and stay).
    """
    if directory is None:
        return ()
    if not directory.is_dir():
        raise SeedError(str(directory), "the migrations directory does not exist.")
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    done = await _applied(conn)
    pending = [path for path in sorted(directory.glob("*.sql")) if path.name not in done]
    if not pending:
        return ()
    parts, starts = [], []
    offset = 0
    for path in pending:
        opening = "BEGIN;\n"
        starts.append(offset + len(opening))
        part = (
            f"{opening}{path.read_text(encoding='utf-8')}\n;\n"
            f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES ({_literal(path.name)});\nCOMMIT;\n"
        )
        parts.append(part)
        offset += len(part)
    try:
        await conn.execute("".join(parts))
    except asyncpg.PostgresError as exc:
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")
        done = await _applied(conn)
        index = next((i for i, p in enumerate(pending) if p.name not in done), len(pending) - 1)
        path = pending[index]
        raise SeedError(
            f"migration {path}",
            f"failed: {exc}{_sql_position(path, exc, starts[index])}",
            "fix the SQL; nothing of this migration was applied.",
        ) from exc
    return tuple(path.name for path in pending)


async def _applied(conn: asyncpg.Connection) -> set[str]:
    return {row["name"] for row in await conn.fetch(f"SELECT name FROM {MIGRATIONS_TABLE}")}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_position(path: Path, exc: asyncpg.PostgresError, start: int = 0) -> str:
    """Where in the file the error is (`start`: where the file begins in the message sent)."""
    position = getattr(exc, "position", None)
    if not position or int(position) <= start:
        return ""
    text = path.read_text(encoding="utf-8")[: int(position) - start]
    return f" (at line {text.count(chr(10)) + 1})"


async def _table_columns(conn: asyncpg.Connection) -> dict[str, dict[str, str]]:
    """Table -> column -> its type (without modifiers: the insert applies those)."""
    rows = await conn.fetch(
        "SELECT c.relname AS table_name, a.attname AS column_name, "
        "format_type(a.atttypid, NULL) AS type "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
    )
    columns: dict[str, dict[str, str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], {})[row["column_name"]] = row["type"]
    return columns


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        try:
            return [name.strip() for name in next(csv.reader(handle))]
        except StopIteration:
            raise SeedError(str(path), "is empty: it needs a header row.") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SeedError(str(path), f"line 1 (header) is not valid CSV: {exc}") from exc


def _checked_header(table: str, path: Path, columns: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The file's header, once its table and every column it names exist."""
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
    return header


def _plan(
    files: list[tuple[str, Path]], columns: Mapping[str, Mapping[str, str]]
) -> list[PlainFile] | None:
    """Every file read for the batched load, or None when one needs COPY's own judgement."""
    plan = []
    for table, path in files:
        header = _checked_header(table, path, columns)
        try:
            rows = data_rows(path.read_text(encoding="utf-8"))
        except (NotPlain, UnicodeDecodeError):
            return None
        if any(len(row) != len(header) for row in rows):
            return None
        types = [columns[table][name] for name in header]
        if COPY_ONLY_TYPES.intersection(types):
            return None
        casts = ["" if kind in TEXT_TYPES else f"::{kind}" for kind in types]
        plan.append(PlainFile(table, header, casts, rows))
    return plan


async def _load_batched(conn: asyncpg.Connection, plan: list[PlainFile]) -> dict[str, TableLoad]:
    """All files in one COPY to a staging table, then one block inserting table by table."""
    if not plan:
        return {}
    await conn.execute(
        f"CREATE TEMP TABLE {STAGING_TABLE} (file int, line int, fields text[]) ON COMMIT DROP;"
        f"CREATE TEMP TABLE {COUNTS_TABLE} (file int, inserted bigint) ON COMMIT DROP"
    )
    records = [
        (index, line, fields)
        for index, entry in enumerate(plan)
        for line, fields in enumerate(entry.rows)
    ]
    await conn.copy_records_to_table(
        STAGING_TABLE, records=records, columns=["file", "line", "fields"]
    )
    inserts = []
    for index, entry in enumerate(plan):
        column_list = ", ".join(f'"{name}"' for name in entry.header)
        values = ", ".join(f"fields[{n + 1}]{cast}" for n, cast in enumerate(entry.casts))
        inserts.append(
            f'INSERT INTO "{entry.table}" ({column_list}) SELECT {values} FROM {STAGING_TABLE} '
            f"WHERE file = {index} ORDER BY line ON CONFLICT DO NOTHING; "
            f"GET DIAGNOSTICS n = ROW_COUNT; INSERT INTO {COUNTS_TABLE} VALUES ({index}, n);"
        )
    await conn.execute("DO $seed$ DECLARE n bigint; BEGIN " + " ".join(inserts) + " END $seed$")
    inserted = {row["file"]: row["inserted"] for row in await conn.fetch(
        f"SELECT file, inserted FROM {COUNTS_TABLE}"
    )}  # fmt: skip
    return {
        entry.table: TableLoad(rows=len(entry.rows), inserted=int(inserted[index]))
        for index, entry in enumerate(plan)
    }


async def _load_file(
    conn: asyncpg.Connection, table: str, path: Path, columns: Mapping[str, Mapping[str, str]]
) -> TableLoad:
    header = _checked_header(table, path, columns)
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
    client = S3Writer(
        endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
        endpoints.s3_region,
    )  # fmt: skip

    def put(path: Path) -> None:
        relative = path.relative_to(root)
        try:
            client.put_object(relative.parts[0], "/".join(relative.parts[1:]), path.read_bytes())
        except Exception as exc:
            raise SeedError("s3", f"object {relative} could not be uploaded ({exc}).") from exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(put, files))
    return len(files)
