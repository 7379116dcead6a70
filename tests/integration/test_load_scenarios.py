"""Load against the real services (reference 004): N concurrent clients, bounded in time and count.

Targets from 004: error rate < 5 % and P95 < 2 s under load. Each run's figures go to the
contract's `load` section, where the budgets are evaluated too.
"""

from __future__ import annotations

import httpx
import pytest
import seed_ids

from pytest_stonks_sandbox import LoadRunner, MakeRequest

pytestmark = pytest.mark.load

CONCURRENCY = 8
DURATION_S = 3.0
MAX_REQUESTS = 600
P95_LIMIT_MS = 2000.0
ERROR_RATE_LIMIT = 0.05


def _round_robin(paths: list[str]) -> MakeRequest:
    async def make_request(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.get(paths[index % len(paths)])

    return make_request


class TestLoadQueryAPI:
    async def test_frontend_reads_under_concurrent_clients(self, sandbox_load: LoadRunner) -> None:
        paths = [
            "/api/companies",
            f"/api/companies/{seed_ids.COMPANY_AAPL}",
            "/api/documents?limit=10",
            "/api/orders",
            "/api/positions",
            "/api/portfolio",
        ]
        result = await sandbox_load(
            "query-api",
            _round_robin(paths),
            concurrency=CONCURRENCY,
            duration_s=DURATION_S,
            max_requests=MAX_REQUESTS,
            name="query-api frontend reads",
        )
        assert result.requests > 0
        assert result.requests <= MAX_REQUESTS
        assert result.error_rate < ERROR_RATE_LIMIT, result
        assert result.p95_ms < P95_LIMIT_MS, result
        assert result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms


class TestLoadRegistry:
    async def test_company_lookups_under_concurrent_clients(self, sandbox_load: LoadRunner) -> None:
        ids = list(seed_ids.SEED_COMPANY_IDS.values())
        result = await sandbox_load(
            "symbol-registry",
            _round_robin([f"/api/companies/{company_id}" for company_id in ids]),
            concurrency=CONCURRENCY,
            duration_s=DURATION_S,
            max_requests=MAX_REQUESTS,
            name="symbol-registry company lookups",
        )
        assert 0 < result.requests <= MAX_REQUESTS
        assert result.errors == 0, result
        assert result.p95_ms < P95_LIMIT_MS, result
        assert result.throughput_rps > 0
