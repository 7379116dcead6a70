"""Pure checks of the schema and the seed data (no server).

The migrations are parsed just enough to know each table's columns, their types, NOT NULL,
DEFAULT, foreign keys and `CHECK (col IN (...))` enumerations; the seed CSVs are read with COPY's
rule that an empty field is NULL. tests/services/test_schema_loads.py loads the same files into
a real PostgreSQL 16.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import seed_ids

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO / "services" / "migrations"
SEEDS_DIR = REPO / "seeds"
TABLES_DIR = SEEDS_DIR / "tables"
OBJECTS_DIR = SEEDS_DIR / "objects"
SEED_IDS_PATH = SEEDS_DIR / "seed_ids.py"

ID_PATTERN = re.compile(r"^00000000-0000-4000-([0-9a-f]{2})00-0000000000(\d\d)$")
SEED_FILE_PATTERN = re.compile(r"^(\d{3})_([a-z_]+)\.csv$")
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "UNIQUE", "PRIMARY", "CHECK", "FOREIGN", "EXCLUDE"}


@dataclass
class Column:
    name: str
    type: str
    not_null: bool
    has_default: bool
    references: str | None
    enum: tuple[str, ...] | None


@dataclass
class Table:
    name: str
    migration: str
    columns: dict[str, Column] = field(default_factory=dict)


def _split_top_level(body: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    in_quote = False
    current: list[str] = []
    for char in body:
        if char == "'":
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
        if char == "," and depth == 0 and not in_quote:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def _create_table_bodies(sql: str) -> list[tuple[str, str]]:
    """(table name, text between the outer parentheses) of each CREATE TABLE."""
    found: list[tuple[str, str]] = []
    for match in re.finditer(r"CREATE TABLE\s+(\w+)\s*\(", sql, flags=re.IGNORECASE):
        depth, start = 1, match.end()
        pos = start
        while depth:
            if sql[pos] == "(":
                depth += 1
            elif sql[pos] == ")":
                depth -= 1
            pos += 1
        found.append((match.group(1), sql[start : pos - 1]))
    return found


def parse_schema() -> dict[str, Table]:
    """Every table created by services/migrations/*.sql, in the order they are created."""
    tables: dict[str, Table] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        sql = _strip_comments(path.read_text())
        for name, body in _create_table_bodies(sql):
            table = Table(name=name, migration=path.name)
            for element in _split_top_level(body):
                words = element.split()
                if words[0].upper() in _TABLE_CONSTRAINT_WORDS:
                    continue
                upper = element.upper()
                ref = re.search(r"REFERENCES\s+(\w+)", element, flags=re.IGNORECASE)
                enum = re.search(r"CHECK\s*\(\s*\w+\s+IN\s*\(([^)]*)\)", element, re.IGNORECASE)
                table.columns[words[0]] = Column(
                    name=words[0],
                    type=words[1].lower(),
                    not_null="NOT NULL" in upper or "PRIMARY KEY" in upper,
                    has_default=" DEFAULT " in f" {upper} ",
                    references=ref.group(1) if ref else None,
                    enum=tuple(re.findall(r"'([^']*)'", enum.group(1))) if enum else None,
                )
            tables[name] = table
    return tables


@dataclass
class SeedFile:
    path: Path
    number: int
    table: str
    header: list[str]
    rows: list[dict[str, str | None]]


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str | None]]]:
    """Read a seed CSV the way COPY does for these files: an empty field is NULL (None). (The
    seeds never use the quoted empty string, which COPY would load as ''.) Raises ValueError
    naming the file and line when a row is malformed."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader)
            rows: list[dict[str, str | None]] = []
            for values in reader:
                if len(values) != len(header):
                    raise ValueError(
                        f"{path.name}:{reader.line_num}: {len(values)} fields, "
                        f"header has {len(header)}"
                    )
                rows.append(
                    {c: (v if v != "" else None) for c, v in zip(header, values, strict=True)}
                )
        except StopIteration:
            raise ValueError(f"{path.name}: empty file") from None
        except csv.Error as exc:
            raise ValueError(f"{path.name}:{reader.line_num}: {exc}") from exc
    return header, rows


def load_seed_files() -> list[SeedFile]:
    files: list[SeedFile] = []
    for path in sorted(TABLES_DIR.iterdir()):
        match = SEED_FILE_PATTERN.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: not NNN_<table>.csv")
        header, rows = _read_csv(path)
        files.append(SeedFile(path, int(match.group(1)), match.group(2), header, rows))
    return files


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------
SeedRows = dict[str, list[dict[str, str | None]]]


@pytest.fixture(scope="module")
def schema() -> dict[str, Table]:
    return parse_schema()


@pytest.fixture(scope="module")
def seed_files() -> list[SeedFile]:
    return load_seed_files()


@pytest.fixture(scope="module")
def rows(seed_files: list[SeedFile]) -> SeedRows:
    return {f.table: f.rows for f in seed_files}


@pytest.fixture(scope="module")
def uuid_constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(seed_ids).items()
        if name.isupper() and isinstance(value, str) and ID_PATTERN.match(value)
    }


def _ids(rows: SeedRows, table: str) -> set[str]:
    return {row["id"] for row in rows[table] if row["id"] is not None}


def _by_id(rows: SeedRows, table: str) -> dict[str, dict[str, str | None]]:
    return {str(row["id"]): row for row in rows[table]}


# ------------------------------------------------------------------------------------------------
# The files themselves
# ------------------------------------------------------------------------------------------------
def test_every_seed_file_parses_and_is_numbered_in_sequence(seed_files: list[SeedFile]) -> None:
    assert [f.number for f in seed_files] == list(range(1, len(seed_files) + 1))
    for seed_file in seed_files:
        assert seed_file.rows, f"{seed_file.path.name}: no data rows"
        assert len(set(seed_file.header)) == len(seed_file.header), seed_file.path.name


def test_each_table_has_exactly_one_seed_file(seed_files: list[SeedFile]) -> None:
    tables = [f.table for f in seed_files]
    assert len(tables) == len(set(tables))


def test_bad_csv_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "001_companies.csv"
    bad.write_text('id,ticker\n"00000000-0000-4000-a100-000000000001",AAPL,extra\n')
    with pytest.raises(ValueError, match=r"001_companies\.csv:2"):
        _read_csv(bad)


def test_every_schema_table_is_seeded(schema: dict[str, Table], rows: SeedRows) -> None:
    assert set(rows) == set(schema)


def test_header_columns_exist_in_the_table(
    schema: dict[str, Table], seed_files: list[SeedFile]
) -> None:
    for seed_file in seed_files:
        assert seed_file.table in schema, f"{seed_file.path.name}: no CREATE TABLE"
        unknown = set(seed_file.header) - set(schema[seed_file.table].columns)
        assert not unknown, f"{seed_file.path.name}: unknown columns {sorted(unknown)}"


def test_required_columns_without_default_are_present(
    schema: dict[str, Table], seed_files: list[SeedFile]
) -> None:
    for seed_file in seed_files:
        required = {
            c.name
            for c in schema[seed_file.table].columns.values()
            if c.not_null and not c.has_default
        }
        missing = required - set(seed_file.header)
        assert not missing, f"{seed_file.path.name}: missing {sorted(missing)}"


def test_not_null_columns_have_values(schema: dict[str, Table], seed_files: list[SeedFile]) -> None:
    for seed_file in seed_files:
        columns = schema[seed_file.table].columns
        for line, row in enumerate(seed_file.rows, start=2):
            for name, value in row.items():
                assert not (value is None and columns[name].not_null), (
                    f"{seed_file.path.name}:{line}: {name} is NULL"
                )


def test_enumerated_values_satisfy_their_check(
    schema: dict[str, Table], seed_files: list[SeedFile]
) -> None:
    for seed_file in seed_files:
        columns = schema[seed_file.table].columns
        for line, row in enumerate(seed_file.rows, start=2):
            for name, value in row.items():
                allowed = columns[name].enum
                if allowed is not None and value is not None:
                    assert value in allowed, f"{seed_file.path.name}:{line}: {name}={value!r}"


def test_typed_values_parse(schema: dict[str, Table], seed_files: list[SeedFile]) -> None:
    for seed_file in seed_files:
        columns = schema[seed_file.table].columns
        for line, row in enumerate(seed_file.rows, start=2):
            where = f"{seed_file.path.name}:{line}"
            for name, value in row.items():
                if value is None:
                    continue
                kind = columns[name].type
                if kind == "timestamptz":
                    parsed = datetime.fromisoformat(value)
                    assert parsed.utcoffset() is not None, f"{where}: {name} has no offset"
                elif kind == "date":
                    date.fromisoformat(value)
                elif kind == "jsonb":
                    json.loads(value)
                elif kind == "uuid":
                    uuid.UUID(value)
                elif kind == "boolean":
                    assert value in {"true", "false"}, f"{where}: {name}={value!r}"
                elif kind in {"integer", "bigint"}:
                    int(value)
                elif kind.startswith("numeric"):
                    Decimal(value)


def test_load_order_respects_foreign_keys(
    schema: dict[str, Table], seed_files: list[SeedFile]
) -> None:
    position = {f.table: f.number for f in seed_files}
    for table in schema.values():
        for column in table.columns.values():
            if column.references and column.references != table.name:
                assert position[column.references] < position[table.name], (
                    f"{table.name}.{column.name} -> {column.references} loads later"
                )


# ------------------------------------------------------------------------------------------------
# Ids
# ------------------------------------------------------------------------------------------------
def test_ids_follow_the_pattern_and_their_table_block(seed_files: list[SeedFile]) -> None:
    blocks = seed_ids.SEED_UUID_BLOCKS
    assert len(set(blocks.values())) == len(blocks), "two tables share a block"
    for seed_file in seed_files:
        seen: set[str] = set()
        for line, row in enumerate(seed_file.rows, start=2):
            value = row["id"]
            assert value is not None, f"{seed_file.path.name}:{line}: no id"
            match = ID_PATTERN.match(value)
            assert match, f"{seed_file.path.name}:{line}: {value} does not follow the pattern"
            assert match.group(1) == blocks[seed_file.table], f"{seed_file.path.name}:{line}"
            assert uuid.UUID(value).version == 4, f"{seed_file.path.name}:{line}: not a UUID4"
            assert value not in seen, f"{seed_file.path.name}:{line}: duplicate id"
            seen.add(value)


def test_001_fixed_blocks() -> None:
    assert {
        table: seed_ids.SEED_UUID_BLOCKS[table]
        for table in (
            "watchlists",
            "operator_approvals",
            "symbol_lockouts",
            "notifications",
            "ingestion_runs",
            "saved_queries",
            "daily_risk_snapshots",
        )
    } == {
        "watchlists": "ac",
        "operator_approvals": "ad",
        "symbol_lockouts": "ae",
        "notifications": "af",
        "ingestion_runs": "b3",
        "saved_queries": "b4",
        "daily_risk_snapshots": "b5",
    }
    assert seed_ids.WATCHLIST_01 == "00000000-0000-4000-ac00-000000000001"
    assert seed_ids.APPROVAL_PENDING == "00000000-0000-4000-ad00-000000000001"
    assert seed_ids.APPROVAL_APPROVED == "00000000-0000-4000-ad00-000000000002"
    assert seed_ids.LOCKOUT_ACTIVE == "00000000-0000-4000-ae00-000000000001"
    assert seed_ids.LOCKOUT_EXPIRED == "00000000-0000-4000-ae00-000000000002"
    assert seed_ids.NOTIFICATION_01 == "00000000-0000-4000-af00-000000000001"
    assert seed_ids.INGESTION_RUN_02 == "00000000-0000-4000-b300-000000000002"
    assert seed_ids.SAVED_QUERY_01 == "00000000-0000-4000-b400-000000000001"
    assert seed_ids.RISK_SNAPSHOT_01 == "00000000-0000-4000-b500-000000000001"


def test_every_uuid_constant_is_a_seeded_row_of_its_table(
    rows: SeedRows, uuid_constants: dict[str, str]
) -> None:
    table_of_block = {block: table for table, block in seed_ids.SEED_UUID_BLOCKS.items()}
    for name, value in uuid_constants.items():
        match = ID_PATTERN.match(value)
        assert match
        table = table_of_block[match.group(1)]
        assert value in _ids(rows, table), f"{name}={value} is not in {table}"


def test_every_seeded_row_has_exactly_one_constant(
    rows: SeedRows, uuid_constants: dict[str, str]
) -> None:
    seeded = {row_id for table in rows for row_id in _ids(rows, table)}
    assert set(uuid_constants.values()) == seeded
    assert len(uuid_constants) == len(seeded), "two constants name the same id"


def test_grouping_dicts_only_hold_seeded_ids(rows: SeedRows) -> None:
    seeded = {row_id for table in rows for row_id in _ids(rows, table)}
    groups = [
        value
        for name, value in vars(seed_ids).items()
        if name.startswith("SEED_") and name.endswith("_IDS")
    ]
    assert len(groups) >= 15
    for group in groups:
        assert set(group.values()) <= seeded


def test_row_counts_and_order_constants_match_the_files(seed_files: list[SeedFile]) -> None:
    assert {f.table: len(f.rows) for f in seed_files} == seed_ids.SEED_ROW_COUNTS
    assert tuple(f.table for f in seed_files) == seed_ids.SEED_TABLE_ORDER


def test_foreign_keys_resolve_to_seeded_rows(schema: dict[str, Table], rows: SeedRows) -> None:
    for table in schema.values():
        for column in table.columns.values():
            if column.references is None:
                continue
            targets = _ids(rows, column.references)
            for line, row in enumerate(rows[table.name], start=2):
                value = row.get(column.name)
                if value is not None:
                    assert value in targets, (
                        f"{table.name}.csv:{line}: {column.name}={value} not in {column.references}"
                    )


def test_soft_references_resolve(rows: SeedRows) -> None:
    # Not FKs in the schema, but they must point at seeded rows too.
    for row in rows["notifications"]:
        if row["related_type"] == "order":
            assert row["related_id"] in _ids(rows, "orders")
    for row in rows["order_audit_log"]:
        details = json.loads(str(row["details"]))
        if "approval_id" in details:
            assert details["approval_id"] in _ids(rows, "operator_approvals")
        if "decision_id" in details:
            assert details["decision_id"] in _ids(rows, "trading_decisions")


# ------------------------------------------------------------------------------------------------
# seed_ids.py is a plain constants module
# ------------------------------------------------------------------------------------------------
def test_seed_ids_is_literal_constants_only() -> None:
    tree = ast.parse(SEED_IDS_PATH.read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        assert isinstance(node, ast.Assign | ast.AnnAssign), ast.dump(node)[:80]
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        assert isinstance(target, ast.Name) and target.id.isupper(), ast.dump(target)
        assert node.value is not None
        value = ast.literal_eval(node.value)
        assert _is_allowed_value(value), target.id


def _is_allowed_value(value: object) -> bool:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return True
    if isinstance(value, tuple):
        return all(isinstance(item, str) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_allowed_value(v) for k, v in value.items())
    return False


# ------------------------------------------------------------------------------------------------
# FR-3 and 001 coverage
# ------------------------------------------------------------------------------------------------
FR3_MINIMUM_ROWS = {
    "companies": 5,
    "company_sources": 5,
    "company_aliases": 5,
    "competitor_relationships": 2,
    "documents": 10,
    "extraction_records": 10,
    "trend_windows": 5,
    "trend_projections": 5,
    "trend_evidence": 5,
    "recommendations": 5,
    "recommendation_citations": 5,
    "orders": 3,
    "order_events": 3,
    "order_audit_log": 3,
    "positions": 2,
    "global_events": 2,
    "macro_impacts": 2,
    "competitive_signals": 2,
    "historical_patterns": 2,
    "trading_config": 1,
    "trading_decisions": 1,
    "portfolio_snapshots": 1,
    "ai_agents": 3,
    "agent_variants": 3,
    "agent_performance_logs": 3,
    "risk_config": 1,
    # 001's extension
    "watchlists": 2,
    "watchlist_members": 3,
    "operator_approvals": 2,
    "symbol_lockouts": 2,
    "notifications": 1,
    "ingestion_runs": 2,
    "saved_queries": 1,
    "daily_risk_snapshots": 1,
}


def test_fr3_minimum_counts(rows: SeedRows) -> None:
    short = {t: len(rows[t]) for t, n in FR3_MINIMUM_ROWS.items() if len(rows[t]) < n}
    assert not short


def _values(rows: SeedRows, table: str, column: str) -> list[str | None]:
    return [row[column] for row in rows[table]]


def test_every_company_has_sources_aliases_and_competitors(rows: SeedRows) -> None:
    for company in _ids(rows, "companies"):
        assert company in _values(rows, "company_sources", "company_id")
        assert company in _values(rows, "company_aliases", "company_id")
        assert company in _values(rows, "exposure_profiles", "company_id")
        related = _values(rows, "competitor_relationships", "company_id") + _values(
            rows, "competitor_relationships", "competitor_id"
        )
        assert company in related


def test_documents_mix_types_and_all_have_extractions(rows: SeedRows) -> None:
    kinds = Counter(_values(rows, "documents", "doc_type"))
    assert set(kinds) == {"news", "filing", "macro_event"}
    assert dict(kinds) == seed_ids.SEED_DOC_TYPE_COUNTS
    assert _ids(rows, "documents") == set(_values(rows, "extraction_records", "document_id"))


def test_trends_have_projections_and_evidence(rows: SeedRows) -> None:
    trends = _ids(rows, "trend_windows")
    assert set(_values(rows, "trend_projections", "trend_id")) == trends
    assert set(_values(rows, "trend_evidence", "trend_id")) == trends
    assert {r["direction"] for r in rows["trend_windows"]} == {"up", "down", "flat"}


def test_recommendations_have_citations(rows: SeedRows) -> None:
    assert set(_values(rows, "recommendation_citations", "recommendation_id")) == _ids(
        rows, "recommendations"
    )
    assert {r["action"] for r in rows["recommendations"]} == {"buy", "sell", "hold"}


def test_orders_cover_filled_pending_cancelled_with_events_and_audit(rows: SeedRows) -> None:
    orders = _by_id(rows, "orders")
    assert {o["status"] for o in orders.values()} == {"filled", "pending", "cancelled"}
    for key, order_id in seed_ids.SEED_ORDER_IDS.items():
        assert orders[order_id]["status"] == seed_ids.SEED_ORDER_STATUSES[key]
    events = Counter(_values(rows, "order_events", "order_id"))
    audit = Counter(_values(rows, "order_audit_log", "order_id"))
    assert {k: events[v] for k, v in seed_ids.SEED_ORDER_IDS.items()} == (
        seed_ids.SEED_ORDER_EVENT_COUNTS
    )
    assert {k: audit[v] for k, v in seed_ids.SEED_ORDER_IDS.items()} == (
        seed_ids.SEED_ORDER_AUDIT_COUNTS
    )
    filled = orders[seed_ids.ORDER_FILLED]
    assert filled["filled_avg_price"] == seed_ids.ORDER_FILLED_PRICE
    assert filled["filled_quantity"] == filled["quantity"] == seed_ids.ORDER_FILLED_QUANTITY


def test_positions_pnl_is_consistent(rows: SeedRows) -> None:
    tickers = {v: k for k, v in seed_ids.SEED_COMPANY_IDS.items()}
    total_value = Decimal(0)
    total_unrealized = Decimal(0)
    for position in rows["positions"]:
        ticker = tickers[str(position["company_id"])]
        quantity = Decimal(str(position["quantity"]))
        price = Decimal(str(position["market_price"]))
        cost = Decimal(str(position["avg_cost"]))
        assert Decimal(str(position["market_value"])) == quantity * price
        assert Decimal(str(position["unrealized_pnl"])) == (price - cost) * quantity
        assert position["unrealized_pnl"] == seed_ids.SEED_POSITION_UNREALIZED_PNL[ticker]
        assert position["realized_pnl"] == seed_ids.SEED_POSITION_REALIZED_PNL[ticker]
        assert position["market_price"] == seed_ids.SEED_LAST_CLOSES[ticker]
        total_value += quantity * price
        total_unrealized += (price - cost) * quantity
    (snapshot,) = rows["portfolio_snapshots"]
    assert Decimal(str(snapshot["positions_value"])) == total_value
    assert Decimal(str(snapshot["unrealized_pnl"])) == total_unrealized
    assert Decimal(str(snapshot["cash"])) + total_value == Decimal(str(snapshot["total_value"]))
    assert snapshot["total_value"] == seed_ids.SEED_PORTFOLIO_TOTAL_VALUE


def test_global_events_impact_several_companies(rows: SeedRows) -> None:
    tickers = {v: k for k, v in seed_ids.SEED_COMPANY_IDS.items()}
    for key, event_id in seed_ids.SEED_GLOBAL_EVENT_IDS.items():
        impacted = tuple(
            tickers[str(r["company_id"])]
            for r in rows["macro_impacts"]
            if r["event_id"] == event_id
        )
        assert len(impacted) >= 2
        assert impacted == seed_ids.SEED_MACRO_IMPACT_TICKERS[key]


def test_agents_have_variants_and_performance_logs(rows: SeedRows) -> None:
    agents = _ids(rows, "ai_agents")
    assert set(_values(rows, "agent_variants", "agent_id")) == agents
    assert set(_values(rows, "agent_performance_logs", "agent_id")) == agents


def test_risk_config_enables_macro_and_competitive(rows: SeedRows) -> None:
    (config,) = rows["risk_config"]
    assert config["macro_enabled"] == "true"
    assert config["competitive_enabled"] == "true"
    assert config["max_order_value"] == seed_ids.RISK_MAX_ORDER_VALUE


def test_time_dependent_states_hold_whenever_tests_run(rows: SeedRows) -> None:
    far = datetime(2090, 1, 1, tzinfo=UTC)
    past = datetime(2026, 2, 1, tzinfo=UTC)
    approvals = _by_id(rows, "operator_approvals")
    pending = approvals[seed_ids.APPROVAL_PENDING]
    approved = approvals[seed_ids.APPROVAL_APPROVED]
    assert pending["status"] == "pending"
    assert datetime.fromisoformat(str(pending["expires_at"])) > far
    assert approved["status"] == "approved" and approved["reviewer"] is not None
    assert datetime.fromisoformat(str(approved["expires_at"])) < past
    lockouts = _by_id(rows, "symbol_lockouts")
    active = lockouts[seed_ids.LOCKOUT_ACTIVE]
    expired = lockouts[seed_ids.LOCKOUT_EXPIRED]
    assert datetime.fromisoformat(str(active["ends_at"])) > far and active["lifted_at"] is None
    assert datetime.fromisoformat(str(expired["ends_at"])) < past
    assert active["ends_at"] == seed_ids.LOCKOUT_ACTIVE_ENDS_AT
    assert pending["expires_at"] == seed_ids.APPROVAL_PENDING_EXPIRES_AT


def test_001_extension_statuses(rows: SeedRows) -> None:
    runs = _by_id(rows, "ingestion_runs")
    assert {k: runs[v]["status"] for k, v in seed_ids.SEED_INGESTION_RUN_IDS.items()} == (
        seed_ids.SEED_INGESTION_RUN_STATUSES
    )
    assert runs[seed_ids.INGESTION_RUN_02]["error_message"]
    (notification,) = rows["notifications"]
    assert notification["status"] == seed_ids.NOTIFICATION_01_STATUS == "delivered"
    members = Counter(_values(rows, "watchlist_members", "watchlist_id"))
    assert {k: members[v] for k, v in seed_ids.SEED_WATCHLIST_IDS.items()} == {
        k: len(v) for k, v in seed_ids.SEED_WATCHLIST_MEMBERS.items()
    }


def test_trading_decisions_cover_each_status(rows: SeedRows) -> None:
    decisions = _by_id(rows, "trading_decisions")
    assert {k: decisions[v]["status"] for k, v in seed_ids.SEED_TRADING_DECISION_IDS.items()} == (
        seed_ids.SEED_TRADING_DECISION_STATUSES
    )


def test_seeded_timestamps_never_depend_on_now(schema: dict[str, Table], rows: SeedRows) -> None:
    lower = datetime(2025, 1, 1, tzinfo=UTC)
    upper = datetime(2026, 1, 10, tzinfo=UTC)
    far_future = {seed_ids.SEED_FAR_FUTURE}
    for table in schema.values():
        for column in table.columns.values():
            if column.type != "timestamptz":
                continue
            for row in rows[table.name]:
                value = row.get(column.name)
                if value is None or value in far_future:
                    continue
                moment = datetime.fromisoformat(value)
                assert lower <= moment < upper, f"{table.name}.{column.name}={value}"


def test_tickers_and_company_constants(rows: SeedRows) -> None:
    companies = {str(r["ticker"]): r for r in rows["companies"]}
    assert tuple(companies) == seed_ids.SEED_TICKERS
    assert {t: r["id"] for t, r in companies.items()} == seed_ids.SEED_COMPANY_IDS
    assert {t: r["name"] for t, r in companies.items()} == seed_ids.SEED_COMPANY_NAMES


# ------------------------------------------------------------------------------------------------
# Objects in the stonks-normalized bucket
# ------------------------------------------------------------------------------------------------
def test_documents_bodies_exist_and_match(rows: SeedRows) -> None:
    bucket = OBJECTS_DIR / seed_ids.SEED_S3_BUCKET
    documents = _by_id(rows, "documents")
    assert {
        name: documents[doc_id]["s3_key"] for name, doc_id in seed_ids.SEED_DOCUMENT_IDS.items()
    } == seed_ids.SEED_DOCUMENT_S3_KEYS
    for document in documents.values():
        key = document["s3_key"]
        assert key is not None
        path = bucket / key
        assert path.is_file(), f"missing object {key}"
        data = path.read_bytes()
        assert document["content_hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        body = json.loads(data)
        assert body["document_id"] == document["id"]
        assert body["title"] == document["title"]
        assert len(body["body"].split()) == int(str(document["word_count"]))


def test_no_stray_objects() -> None:
    for bucket in OBJECTS_DIR.iterdir():
        assert bucket.name in {"stonks-normalized", "stonks-raw"}, bucket.name
