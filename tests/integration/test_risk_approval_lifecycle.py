"""risk-engine lifecycles: evaluation edge cases (limits, lockouts, macro and competitive
switches), the approval lifecycle (request, approve/reject, double review, expiry), lockout
create/lift, and the risk config round trip.

Tests that need their own state use a company inserted for the test and deleted afterwards
(its approvals and lockouts cascade), so seeded rows other modules assert on stay untouched.
The only test that changes the global risk config restores it in a finally block."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import seed_ids as S
from redis.asyncio import Redis
from streams import stream_event

OFF = {"macro_enabled": False, "competitive_enabled": False}
ON = {"macro_enabled": True, "competitive_enabled": True}


@pytest.fixture
async def company(db: asyncpg.Connection) -> AsyncIterator[dict[str, str]]:
    """A fresh company without positions, signals or lockouts; removed with its children."""
    ticker = "Q" + uuid.uuid4().hex[:8].upper()
    company_id = await db.fetchval(
        "INSERT INTO companies (ticker, name) VALUES ($1, 'Risk Lifecycle Co') RETURNING id",
        ticker,
    )
    yield {"id": str(company_id), "ticker": ticker}
    await db.execute("DELETE FROM companies WHERE id = $1", company_id)


async def evaluate(client: httpx.AsyncClient, ticker: str, **fields: Any) -> dict[str, Any]:
    body = {"ticker": ticker, "side": "buy", "quantity": 1, "price": 100, **fields}
    resp = await client.post("/api/risk/evaluate", json=body)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def check(result: dict[str, Any], name: str) -> dict[str, str]:
    return next(c for c in result["checks"] if c["name"] == name)


async def request_approval(client: httpx.AsyncClient, ticker: str) -> str:
    """Evaluate an order above the approval threshold (10,000 > 9,000) and return the approval."""
    result = await evaluate(client, ticker, quantity=100, price=100, **OFF)
    assert result["decision"] == "needs_approval"
    assert result["reasons"] == ["order value 10000.00 exceeds approval threshold 9000.00"]
    approval_id: str = result["approval_id"]
    return approval_id


async def insert_overdue_approval(db: asyncpg.Connection, company_id: str) -> str:
    approval_id = await db.fetchval(
        "INSERT INTO operator_approvals (company_id, side, quantity, order_value, reason, "
        "requested_at, expires_at) VALUES ($1, 'buy', 1, 100, 'test', "
        "now() - interval '2 hours', now() - interval '1 hour') RETURNING id",
        uuid.UUID(company_id),
    )
    return str(approval_id)


class TestRiskEvaluationEdgeCases:
    async def test_macro_switch_decides_nvda_buy(self, risk_client: httpx.AsyncClient) -> None:
        with_macro = await evaluate(risk_client, "NVDA", **ON)
        assert with_macro["decision"] == "rejected"
        assert with_macro["macro_score"] == pytest.approx(-0.3375)
        assert check(with_macro, "macro")["outcome"] == "reject"
        without_macro = await evaluate(
            risk_client,
            "NVDA",
            macro_enabled=False,
            competitive_enabled=True,
            request_approval=False,
        )
        assert without_macro["decision"] == "needs_approval"
        assert without_macro["macro_score"] is None
        assert check(without_macro, "macro")["outcome"] == "skipped"
        assert without_macro["approval_id"] is None

    async def test_competitive_switch_decides_amzn_buy(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        with_signals = await evaluate(risk_client, "AMZN", **ON)
        assert with_signals["decision"] == "rejected"
        assert with_signals["competitive_score"] == pytest.approx(-0.55)
        assert check(with_signals, "competitive")["outcome"] == "reject"
        without = await evaluate(risk_client, "AMZN", macro_enabled=True, competitive_enabled=False)
        assert without["decision"] == "approved"
        assert without["competitive_score"] is None
        assert without["macro_score"] == pytest.approx(0.11)

    async def test_macro_tailwind_on_a_sell_needs_approval(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        result = await evaluate(risk_client, "AMZN", side="sell", request_approval=False, **ON)
        assert result["decision"] == "needs_approval"
        assert check(result, "macro")["outcome"] == "needs_approval"
        assert check(result, "competitive")["outcome"] == "pass"

    async def test_position_size_and_confidence_limits_reject(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        too_big = await evaluate(risk_client, "AAPL", quantity=951, price=1, **OFF)
        assert too_big["decision"] == "rejected"
        assert too_big["reasons"] == ["position shares 1001.00 exceeds max_position_size 1000.00"]
        unsure = await evaluate(risk_client, "AAPL", confidence=0.5, **OFF)
        assert unsure["decision"] == "rejected"
        assert check(unsure, "min_confidence")["outcome"] == "reject"
        sure = await evaluate(risk_client, "AAPL", confidence=0.6, **OFF)
        assert sure["decision"] == "approved"

    @pytest.mark.parametrize(
        "patch",
        [{"quantity": 0}, {"price": -1}, {"ticker": "aapl"}, {"extra": True}],
        ids=["zero-quantity", "negative-price", "lowercase-ticker", "extra-field"],
    )
    async def test_invalid_evaluation_is_422(
        self, risk_client: httpx.AsyncClient, patch: dict[str, Any]
    ) -> None:
        body = {"ticker": "AAPL", "side": "buy", "quantity": 1, "price": 1, **patch}
        resp = await risk_client.post("/api/risk/evaluate", json=body)
        assert resp.status_code == 422

    async def test_unknown_order_reference_is_404(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.post(
            "/api/risk/evaluate",
            json={
                "ticker": "AAPL",
                "side": "buy",
                "quantity": 1,
                "price": 1,
                "order_id": str(uuid.uuid4()),
            },
        )
        assert resp.status_code == 404


class TestRiskLockoutLifecycle:
    async def test_lockout_blocks_until_lifted(
        self, risk_client: httpx.AsyncClient, company: dict[str, str], redis: Redis
    ) -> None:
        assert (await evaluate(risk_client, company["ticker"], **ON))["decision"] == "approved"
        created = await risk_client.post(
            "/api/risk/lockouts", json={"ticker": company["ticker"], "reason": "test halt"}
        )
        assert created.status_code == 201
        lockout = created.json()
        assert (lockout["state"], lockout["company_id"]) == ("active", company["id"])
        blocked = await evaluate(risk_client, company["ticker"], **ON)
        assert blocked["decision"] == "rejected"
        assert blocked["reasons"] == [f"{company['ticker']} is locked out: test halt"]
        active = await risk_client.get("/api/risk/lockouts/active", params={"limit": 500})
        assert lockout["id"] in [row["id"] for row in active.json()]

        lifted = await risk_client.post(f"/api/risk/lockouts/{lockout['id']}/lift")
        assert lifted.status_code == 200
        assert lifted.json()["state"] == "lifted"
        assert lifted.json()["lifted_at"] is not None
        assert (await evaluate(risk_client, company["ticker"], **ON))["decision"] == "approved"
        again = await risk_client.post(f"/api/risk/lockouts/{lockout['id']}/lift")
        assert again.status_code == 409
        event = await stream_event(redis, "stonks.risk.lockout_lifted", "lockout_id", lockout["id"])
        assert event is not None

    async def test_scheduled_lockout_does_not_block_yet(
        self, risk_client: httpx.AsyncClient, company: dict[str, str]
    ) -> None:
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        resp = await risk_client.post(
            "/api/risk/lockouts",
            json={
                "ticker": company["ticker"],
                "reason": "tomorrow",
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            },
        )
        assert resp.status_code == 201
        assert resp.json()["state"] == "scheduled"
        assert (await evaluate(risk_client, company["ticker"], **ON))["decision"] == "approved"
        listed = await risk_client.get(
            "/api/risk/lockouts", params={"ticker": company["ticker"], "state": "scheduled"}
        )
        assert [row["id"] for row in listed.json()] == [resp.json()["id"]]

    async def test_invalid_lockouts_are_rejected(
        self, risk_client: httpx.AsyncClient, company: dict[str, str]
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        backwards = await risk_client.post(
            "/api/risk/lockouts",
            json={
                "ticker": company["ticker"],
                "reason": "x",
                "starts_at": now.isoformat(),
                "ends_at": (now - dt.timedelta(hours=1)).isoformat(),
            },
        )
        assert backwards.status_code == 400
        naive = await risk_client.post(
            "/api/risk/lockouts",
            json={"ticker": company["ticker"], "reason": "x", "starts_at": "2030-01-01T00:00:00"},
        )
        assert naive.status_code == 422
        unknown = await risk_client.post(
            "/api/risk/lockouts", json={"ticker": "NOPE", "reason": "x"}
        )
        assert unknown.status_code == 404
        expired = await risk_client.post(f"/api/risk/lockouts/{S.LOCKOUT_EXPIRED}/lift")
        assert expired.status_code == 409


class TestRiskApprovalLifecycle:
    async def test_needs_approval_creates_pending_approval(
        self, risk_client: httpx.AsyncClient, company: dict[str, str], redis: Redis
    ) -> None:
        approval_id = await request_approval(risk_client, company["ticker"])
        resp = await risk_client.get(f"/api/risk/approvals/{approval_id}")
        assert resp.status_code == 200
        approval = resp.json()
        assert approval["status"] == "pending"
        assert (approval["ticker"], approval["side"]) == (company["ticker"], "buy")
        assert (approval["quantity"], approval["order_value"]) == (100.0, 10000.0)
        assert approval["reviewer"] is None
        requested = dt.datetime.fromisoformat(approval["requested_at"])
        expires = dt.datetime.fromisoformat(approval["expires_at"])
        assert expires - requested == dt.timedelta(minutes=60)
        pending = await risk_client.get("/api/risk/approvals/pending", params={"limit": 500})
        assert approval_id in [row["id"] for row in pending.json()]
        event = await stream_event(
            redis, "stonks.risk.approval_requested", "approval_id", approval_id
        )
        assert event is not None
        assert event["payload"]["ticker"] == company["ticker"]

    async def test_approve_then_second_review_is_409(
        self, risk_client: httpx.AsyncClient, company: dict[str, str], redis: Redis
    ) -> None:
        approval_id = await request_approval(risk_client, company["ticker"])
        resp = await risk_client.post(
            f"/api/risk/approvals/{approval_id}/review",
            json={"decision": "approve", "reviewer": "alice", "note": "looks fine"},
        )
        assert resp.status_code == 200
        body = resp.json()
        assert (body["status"], body["reviewer"], body["decision_note"]) == (
            "approved",
            "alice",
            "looks fine",
        )
        assert body["reviewed_at"] is not None
        pending = await risk_client.get("/api/risk/approvals/pending", params={"limit": 500})
        assert approval_id not in [row["id"] for row in pending.json()]
        again = await risk_client.post(
            f"/api/risk/approvals/{approval_id}/review",
            json={"decision": "reject", "reviewer": "bob"},
        )
        assert again.status_code == 409
        event = await stream_event(
            redis, "stonks.risk.approval_reviewed", "approval_id", approval_id
        )
        assert event is not None
        assert (event["payload"]["status"], event["payload"]["reviewer"]) == ("approved", "alice")

    async def test_reject_is_recorded(
        self, risk_client: httpx.AsyncClient, company: dict[str, str]
    ) -> None:
        approval_id = await request_approval(risk_client, company["ticker"])
        resp = await risk_client.post(
            f"/api/risk/approvals/{approval_id}/review",
            json={"decision": "reject", "reviewer": "carol"},
        )
        assert resp.status_code == 200
        assert (resp.json()["status"], resp.json()["decision_note"]) == ("rejected", None)
        listed = await risk_client.get(
            "/api/risk/approvals", params={"status": "rejected", "ticker": company["ticker"]}
        )
        assert [row["id"] for row in listed.json()] == [approval_id]

    async def test_review_body_is_validated(
        self, risk_client: httpx.AsyncClient, company: dict[str, str]
    ) -> None:
        approval_id = await request_approval(risk_client, company["ticker"])
        url = f"/api/risk/approvals/{approval_id}/review"
        no_reviewer = await risk_client.post(url, json={"decision": "approve"})
        assert no_reviewer.status_code == 422
        bad_decision = await risk_client.post(url, json={"decision": "maybe", "reviewer": "x"})
        assert bad_decision.status_code == 422
        still = await risk_client.get(f"/api/risk/approvals/{approval_id}")
        assert still.json()["status"] == "pending"

    async def test_overdue_approval_reads_expired_and_cannot_be_reviewed(
        self,
        risk_client: httpx.AsyncClient,
        company: dict[str, str],
        db: asyncpg.Connection,
        redis: Redis,
    ) -> None:
        approval_id = await insert_overdue_approval(db, company["id"])
        resp = await risk_client.get(f"/api/risk/approvals/{approval_id}")
        assert resp.status_code == 200
        assert resp.json()["status"] == "expired"
        pending = await risk_client.get("/api/risk/approvals/pending", params={"limit": 500})
        assert approval_id not in [row["id"] for row in pending.json()]
        review = await risk_client.post(
            f"/api/risk/approvals/{approval_id}/review",
            json={"decision": "approve", "reviewer": "late"},
        )
        assert review.status_code == 400
        assert "expired" in review.json()["detail"]
        stored = await db.fetchval(
            "SELECT status FROM operator_approvals WHERE id = $1", uuid.UUID(approval_id)
        )
        assert stored == "expired"
        assert await stream_event(redis, "stonks.risk.approval_expired", "approval_id", approval_id)

    async def test_expire_sweep_stores_expired_status(
        self, risk_client: httpx.AsyncClient, company: dict[str, str], db: asyncpg.Connection
    ) -> None:
        approval_id = await insert_overdue_approval(db, company["id"])
        resp = await risk_client.post("/api/risk/approvals/expire")
        assert resp.status_code == 200
        swept = {row["id"]: row for row in resp.json()}
        assert swept[approval_id]["status"] == "expired"
        assert S.APPROVAL_PENDING not in swept
        stored = await db.fetchval(
            "SELECT status FROM operator_approvals WHERE id = $1", uuid.UUID(approval_id)
        )
        assert stored == "expired"
        seeded = await risk_client.get(f"/api/risk/approvals/{S.APPROVAL_PENDING}")
        assert seeded.json()["status"] == "pending"


class TestRiskConfigRoundTrip:
    async def test_put_config_round_trip_and_switches_drive_evaluation(
        self, risk_client: httpx.AsyncClient, db: asyncpg.Connection
    ) -> None:
        """The one test that changes the global config; it restores every value it touched."""
        original = (await risk_client.get("/api/risk/config")).json()
        editable = {
            key: original[key]
            for key in (
                "max_position_size",
                "max_position_value",
                "max_order_value",
                "approval_threshold_value",
                "max_daily_loss",
                "min_confidence",
                "approval_ttl_minutes",
                "macro_enabled",
                "competitive_enabled",
                "updated_by",
            )
        }
        changed = {**editable, **OFF, "max_daily_loss": 1234.5, "updated_by": "lifecycle-test"}
        try:
            resp = await risk_client.put("/api/risk/config", json=changed)
            assert resp.status_code == 200
            assert {key: resp.json()[key] for key in changed} == changed
            again = await risk_client.get("/api/risk/config")
            assert {key: again.json()[key] for key in changed} == changed
            result = await evaluate(risk_client, "NVDA")
            assert (result["macro_enabled"], result["competitive_enabled"]) == (False, False)
            assert result["decision"] == "approved"
            bad = await risk_client.put(
                "/api/risk/config", json={**changed, "approval_threshold_value": 30000}
            )
            assert bad.status_code == 400
            partial = await risk_client.put("/api/risk/config", json={"macro_enabled": True})
            assert partial.status_code == 422
        finally:
            restored = await risk_client.put("/api/risk/config", json=editable)
            await db.execute(
                "UPDATE risk_config SET updated_at = $1 WHERE name = 'default'",
                dt.datetime.fromisoformat(original["updated_at"]),
            )
        assert restored.status_code == 200
        assert (await risk_client.get("/api/risk/config")).json() == original
