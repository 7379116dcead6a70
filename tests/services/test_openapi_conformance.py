"""Schemathesis against each service's /openapi.json in the sandbox (`pytest --sandbox`).

Every operation of the four services gets a bounded, derandomized set of generated requests
(no shrinking) checked for: no 5xx, responses that match the declared schema, and status
codes the operation declares. Generated writes land in the sandbox database; the singletons
they may change (the default trading and risk configs, trading halts) are restored afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from redis.asyncio import Redis
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok

from pytest_stonks_sandbox import Sandbox

# schemathesis parametrizes operations by their parameters, responses, security and schema.
Operation = schemathesis.APIOperation[Any, Any, Any, Any]

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
SINGLETONS = ("trading_config", "risk_config")  # one row each, name = 'default'
HALTS_KEY = "stonks:trading:halts"
SERVICES = ("query-api", "symbol-registry", "risk-engine", "trading-engine")
EXAMPLES = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest_asyncio.fixture(scope="module")
async def restore_singletons(sandbox: Sandbox) -> AsyncIterator[None]:
    """Snapshot the default configs and halts; put them back after the module."""
    conn = await asyncpg.connect(sandbox.endpoints.postgres_dsn)
    try:
        saved = {
            t: await conn.fetchrow(f"SELECT * FROM {t} WHERE name = 'default'") for t in SINGLETONS
        }
    finally:
        await conn.close()
    yield
    conn = await asyncpg.connect(sandbox.endpoints.postgres_dsn)
    try:
        for table, row in saved.items():
            if row is None:
                continue
            values = dict(row)
            columns = [c for c in values if c not in {"id", "name"}]
            assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
            await conn.execute(
                f"UPDATE {table} SET {assignments} WHERE name = $1",
                "default",
                *(values[c] for c in columns),
            )
    finally:
        await conn.close()
    redis = Redis.from_url(sandbox.endpoints.redis_url)
    try:
        await redis.delete(HALTS_KEY)
    finally:
        await redis.aclose()


def _ok(result: Ok[Operation] | Err[InvalidSchema]) -> Operation:
    """The operation; one the schema cannot describe raises the schema's error."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def _failures(operation: Operation, base_url: str, api_key: str) -> list[str]:
    """Run the generated cases of one operation; the first failure message of each kind."""
    found: dict[str, str] = {}

    @EXAMPLES
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case[Operation]) -> None:
        try:
            case.call_and_validate(base_url=base_url, headers={"X-API-Key": api_key}, checks=CHECKS)
        except (Exception, FailureGroup) as exc:  # recorded, so every operation is exercised
            parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
            kind = ", ".join(sorted({type(part).__name__ for part in parts}))
            found.setdefault(kind, str(exc).strip()[:2000])

    run()
    return [f"{operation.label}: {message}" for message in found.values()]


@pytest.mark.parametrize("service", SERVICES)
def test_service_conforms_to_its_openapi(
    sandbox: Sandbox, restore_singletons: None, service: str
) -> None:
    base_url = sandbox.endpoints.services[service]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [_ok(result) for result in schema.get_all_operations()]
    assert operations, f"{service} declares no operations"
    failures = [
        failure
        for operation in operations
        for failure in _failures(operation, base_url, sandbox.endpoints.api_key)
    ]
    assert not failures, "\n\n".join(failures)
