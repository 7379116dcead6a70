"""risk-engine against the seeded sandbox: health, config, evaluate, approvals, lockouts,
snapshots. Evaluations pass explicit macro/competitive switches, so they never depend on the
global risk config (test_risk_approval_lifecycle flips it briefly)."""

from __future__ import annotations

import uuid

import httpx
import pytest
import seed_ids as S

BOTH_ON = {"macro_enabled": True, "competitive_enabled": True}


class TestRiskHealth:
    async def test_health_and_ready(self, risk_client: httpx.AsyncClient) -> None:
        health = await risk_client.get("/health")
        ready = await risk_client.get("/ready")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "service": "risk-engine"}
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}

    async def test_openapi_lists_risk_routes(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get("/openapi.json")
        assert resp.status_code == 200
        paths = resp.json()["paths"]
        for path in (
            "/api/risk/evaluate",
            "/api/risk/approvals/pending",
            "/api/risk/approvals/{approval_id}/review",
            "/api/risk/lockouts",
            "/api/risk/config",
        ):
            assert path in paths


class TestRiskConfig:
    async def test_config_has_seeded_limits(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get("/api/risk/config")
        assert resp.status_code == 200
        body = resp.json()
        assert body["id"] == S.RISK_CONFIG_01
        assert body["name"] == "default"
        assert body["max_position_size"] == 1000.0
        assert body["max_position_value"] == 50000.0
        assert body["max_order_value"] == 25000.0
        assert body["approval_threshold_value"] == 9000.0
        assert body["min_confidence"] == 0.6
        assert body["approval_ttl_minutes"] == 60
        assert isinstance(body["macro_enabled"], bool)
        assert isinstance(body["competitive_enabled"], bool)


class TestRiskEvaluate:
    async def test_small_aapl_buy_is_approved(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.post(
            "/api/risk/evaluate",
            json={"ticker": "AAPL", "side": "buy", "quantity": 1, "price": 100, **BOTH_ON},
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["decision"] == "approved"
        assert body["approved"] is True
        assert body["company_id"] == S.COMPANY_AAPL
        assert body["order_value"] == 100.0
        assert body["reasons"] == []
        assert body["approval_id"] is None
        assert body["macro_score"] == pytest.approx(-0.02)
        assert body["competitive_score"] == 0.0
        assert {check["outcome"] for check in body["checks"]} == {"pass"}

    async def test_locked_out_tsla_is_rejected(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.post(
            "/api/risk/evaluate",
            json={"ticker": "TSLA", "side": "sell", "quantity": 1, "price": 200, **BOTH_ON},
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["decision"] == "rejected"
        assert body["approved"] is False
        lockout = next(c for c in body["checks"] if c["name"] == "symbol_lockout")
        assert lockout["outcome"] == "reject"
        assert "TSLA is locked out" in body["reasons"][0]

    async def test_order_above_max_order_value_is_rejected(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        resp = await risk_client.post(
            "/api/risk/evaluate",
            json={"ticker": "MSFT", "side": "buy", "quantity": 300, "price": 100, **BOTH_ON},
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["decision"] == "rejected"
        assert body["order_value"] == 30000.0
        assert body["reasons"] == [
            "order value 30000.00 exceeds max_order_value 25000.00",
            "order value 30000.00 exceeds approval threshold 9000.00",
        ]

    async def test_unknown_ticker_is_404_and_bad_side_422(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        missing = await risk_client.post(
            "/api/risk/evaluate", json={"ticker": "NOPE", "side": "buy", "quantity": 1, "price": 1}
        )
        assert missing.status_code == 404
        bad = await risk_client.post(
            "/api/risk/evaluate", json={"ticker": "AAPL", "side": "hold", "quantity": 1, "price": 1}
        )
        assert bad.status_code == 422


class TestRiskApprovals:
    async def test_pending_list_contains_seeded_pending_approval(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        resp = await risk_client.get("/api/risk/approvals/pending", params={"limit": 500})
        assert resp.status_code == 200
        rows = {row["id"]: row for row in resp.json()}
        assert S.APPROVAL_PENDING in rows
        assert S.APPROVAL_APPROVED not in rows
        pending = rows[S.APPROVAL_PENDING]
        assert pending["ticker"] == "NVDA"
        assert pending["order_id"] == S.ORDER_PENDING
        assert pending["quantity"] == 30.0
        assert pending["order_value"] == 14400.0
        assert pending["expires_at"] == S.APPROVAL_PENDING_EXPIRES_AT
        assert all(row["status"] == "pending" for row in resp.json())

    async def test_get_approved_approval(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get(f"/api/risk/approvals/{S.APPROVAL_APPROVED}")
        assert resp.status_code == 200
        body = resp.json()
        assert body["status"] == "approved"
        assert body["reviewer"] == "ops-oncall"
        assert body["decision_note"] == "Within daily budget"
        assert body["company_id"] == S.COMPANY_AAPL
        assert body["expires_at"] == S.APPROVAL_APPROVED_EXPIRES_AT

    async def test_filter_approvals_by_status(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get("/api/risk/approvals", params={"status": "approved"})
        assert resp.status_code == 200
        ids = [row["id"] for row in resp.json()]
        assert S.APPROVAL_APPROVED in ids
        assert S.APPROVAL_PENDING not in ids
        bad = await risk_client.get("/api/risk/approvals", params={"status": "maybe"})
        assert bad.status_code == 422

    async def test_reviewing_decided_approval_is_409(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.post(
            f"/api/risk/approvals/{S.APPROVAL_APPROVED}/review",
            json={"decision": "reject", "reviewer": "tester"},
        )
        assert resp.status_code == 409
        assert "already approved" in resp.json()["detail"]

    async def test_reviewing_unknown_approval_is_404(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.post(
            f"/api/risk/approvals/{uuid.uuid4()}/review",
            json={"decision": "approve", "reviewer": "tester"},
        )
        assert resp.status_code == 404


class TestRiskLockoutsAndSnapshots:
    async def test_active_lockouts_contain_tsla_only_of_seeded(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        resp = await risk_client.get("/api/risk/lockouts/active", params={"limit": 500})
        assert resp.status_code == 200
        ids = [row["id"] for row in resp.json()]
        assert S.LOCKOUT_ACTIVE in ids
        assert S.LOCKOUT_EXPIRED not in ids
        active = next(row for row in resp.json() if row["id"] == S.LOCKOUT_ACTIVE)
        assert (active["ticker"], active["state"]) == ("TSLA", "active")
        assert active["ends_at"] == S.LOCKOUT_ACTIVE_ENDS_AT

    async def test_expired_lockout_state(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get(f"/api/risk/lockouts/{S.LOCKOUT_EXPIRED}")
        assert resp.status_code == 200
        body = resp.json()
        assert (body["ticker"], body["state"]) == ("AMZN", "expired")
        assert body["ends_at"] == S.LOCKOUT_EXPIRED_ENDS_AT

    async def test_daily_risk_snapshot(self, risk_client: httpx.AsyncClient) -> None:
        resp = await risk_client.get("/api/risk/snapshots")
        assert resp.status_code == 200
        rows = resp.json()
        assert [row["id"] for row in rows] == [S.RISK_SNAPSHOT_01]
        snap = rows[0]
        assert snap["snapshot_date"] == S.SEED_RISK_SNAPSHOT_DATE
        assert snap["gross_exposure"] == 17227.0
        assert snap["var_95"] == 412.35
        assert (snap["open_positions"], snap["pending_approvals"], snap["active_lockouts"]) == (
            2,
            1,
            1,
        )
        assert snap["breaches"] == []
        one = await risk_client.get(f"/api/risk/snapshots/{S.RISK_SNAPSHOT_01}")
        assert one.status_code == 200
        assert one.json() == snap
