"""trading-engine write paths and edge cases: config round-trips, decision filtering,
notification CRUD and override validation.

Writes use their own rows: configs under fresh names, new notifications, forced decisions
(pending, created now, so outside the seeded week) and halts that are always lifted again.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import seed_ids as ids

WEEK = {"start_date": "2026-01-05", "end_date": "2026-01-09"}
CONFIG: dict[str, Any] = {
    "mode": "paper",
    "enabled": False,
    "max_daily_orders": 7,
    "max_position_value": 12500.5,
    "min_confidence": 0.725,
    "strategies": [{"name": "mean_reversion", "enabled": True, "weight": 0.3}],
    "updated_by": "integration",
}


def fresh_name() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


async def put_config(client: httpx.AsyncClient, name: str, body: dict[str, Any]) -> httpx.Response:
    return await client.put("/api/trading/config", params={"name": name}, json=body)


async def override(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(
        "/api/trading/override", json={"reason": "integration test", "operator": "it", **body}
    )


class TestTradingEngineConfigRoundTrip:
    async def test_put_then_get_returns_the_same_values(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        name = fresh_name()
        put = await put_config(trading_client, name, CONFIG)
        assert put.status_code == 200
        got = await trading_client.get("/api/trading/config", params={"name": name})
        assert got.status_code == 200
        assert got.json() == put.json()
        assert {k: got.json()[k] for k in CONFIG} == CONFIG
        assert got.json()["name"] == name

    async def test_second_put_replaces_and_keeps_identity(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        name = fresh_name()
        first = (await put_config(trading_client, name, CONFIG)).json()
        changed = {**CONFIG, "mode": "live", "min_confidence": 0.9, "strategies": []}
        second = await put_config(trading_client, name, changed)
        assert second.status_code == 200
        body = second.json()
        assert body["id"] == first["id"]
        assert body["created_at"] == first["created_at"]
        assert body["updated_at"] >= first["updated_at"]
        assert (body["mode"], body["min_confidence"], body["strategies"]) == ("live", 0.9, [])

    async def test_out_of_range_values_are_422(self, trading_client: httpx.AsyncClient) -> None:
        name = fresh_name()
        for bad in (
            {"min_confidence": 1.5},
            {"max_daily_orders": -1},
            {"max_position_value": 0},
            {"mode": "yolo"},
        ):
            resp = await put_config(trading_client, name, {**CONFIG, **bad})
            assert resp.status_code == 422, bad
            assert isinstance(resp.json()["detail"], list)
        missing = await trading_client.get("/api/trading/config", params={"name": name})
        assert missing.status_code == 404

    async def test_unknown_field_and_duplicate_strategies_are_422(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        extra = await put_config(trading_client, fresh_name(), {**CONFIG, "leverage": 10})
        assert extra.status_code == 422
        twice = [{"name": "a", "weight": 0.5}, {"name": "a", "weight": 0.5}]
        dup = await put_config(trading_client, fresh_name(), {**CONFIG, "strategies": twice})
        assert dup.status_code == 422
        assert "strategy names must be unique" in str(dup.json()["detail"])


class TestTradingEngineDecisionFiltering:
    async def test_filter_by_ticker(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/decisions", params={**WEEK, "ticker": "TSLA"})
        assert resp.status_code == 200
        assert [(d["id"], d["reason"]) for d in resp.json()] == [
            (ids.TRADING_DECISION_03, "symbol locked out: TSLA")
        ]

    async def test_filter_by_action(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/decisions", params={**WEEK, "action": "buy"})
        assert resp.status_code == 200
        assert [d["id"] for d in resp.json()] == [ids.TRADING_DECISION_04, ids.TRADING_DECISION_01]

    async def test_filter_by_status_and_ticker_together(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        params = {"status": "skipped", "ticker": "AMZN"}
        resp = await trading_client.get("/api/trading/decisions", params=params)
        assert resp.status_code == 200
        assert [d["id"] for d in resp.json()] == [ids.SEED_TRADING_DECISION_IDS["SKIPPED"]]

    async def test_date_range_without_decisions_is_empty(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        params = {"start_date": "2026-01-09", "end_date": "2026-01-09"}
        resp = await trading_client.get("/api/trading/decisions", params=params)
        assert resp.status_code == 200
        assert resp.json() == []

    async def test_pagination_inside_the_seeded_week(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        params: dict[str, str | int] = {**WEEK, "limit": 2, "offset": 1}
        resp = await trading_client.get("/api/trading/decisions", params=params)
        assert resp.status_code == 200
        assert [d["id"] for d in resp.json()] == [ids.TRADING_DECISION_03, ids.TRADING_DECISION_02]

    async def test_bad_filters_are_422(self, trading_client: httpx.AsyncClient) -> None:
        for params in (
            {"action": "short"},
            {"status": "done"},
            {"ticker": "not a ticker"},
            {"start_date": "2026-01-09", "end_date": "2026-01-05"},
            {"limit": 501},
        ):
            resp = await trading_client.get("/api/trading/decisions", params=params)
            assert resp.status_code == 422, params


class TestTradingEngineNotificationCrud:
    async def test_create_get_and_filter(self, trading_client: httpx.AsyncClient) -> None:
        related = str(uuid.uuid4())
        body = {
            "channel": "webhook",
            "recipient": "https://hooks.example.test/it",
            "subject": "Integration notification",
            "body": "created by test_trading_extended",
            "related_type": "integration_test",
            "related_id": related,
        }
        created = await trading_client.post("/api/notifications", json=body)
        assert created.status_code == 201
        note = created.json()
        assert {k: note[k] for k in body} == body
        assert note["status"] == "delivered"
        assert note["delivered_at"] is not None
        got = await trading_client.get(f"/api/notifications/{note['id']}")
        assert got.status_code == 200
        assert got.json() == note
        listed = await trading_client.get("/api/notifications", params={"related_id": related})
        assert listed.status_code == 200
        assert listed.json() == [note]

    async def test_filter_matching_nothing_is_empty(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.get("/api/notifications", params={"status": "failed"})
        assert resp.status_code == 200
        assert resp.json() == []

    async def test_invalid_notifications_are_422(self, trading_client: httpx.AsyncClient) -> None:
        valid = {"channel": "log", "subject": "s", "body": "b"}
        for bad in (
            {"channel": "pigeon"},
            {"subject": ""},
            {"related_id": "not-a-uuid"},
            {"priority": "high"},
        ):
            resp = await trading_client.post("/api/notifications", json={**valid, **bad})
            assert resp.status_code == 422, bad

    async def test_unknown_notification_is_404(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get(f"/api/notifications/{uuid.uuid4()}")
        assert resp.status_code == 404
        assert resp.json()["detail"].startswith("notification ")


class TestTradingEngineOverrideValidation:
    async def test_inconsistent_bodies_are_422(self, trading_client: httpx.AsyncClient) -> None:
        for body in (
            {"action": "force_decision", "ticker": "AAPL"},  # no decision_action
            {"action": "force_decision", "decision_action": "buy"},  # no ticker
            {"action": "halt", "ticker": "AAPL", "decision_action": "buy"},
            {"action": "liquidate"},
            {"action": "halt", "ticker": "aapl"},
            {"action": "force_decision", "ticker": "AAPL", "decision_action": "buy", "quantity": 0},
        ):
            resp = await override(trading_client, **body)
            assert resp.status_code == 422, body
        no_reason = await trading_client.post(
            "/api/trading/override", json={"action": "halt", "operator": "it"}
        )
        assert no_reason.status_code == 422

    async def test_force_decision_on_locked_out_symbol_is_400(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await override(
            trading_client, action="force_decision", ticker="TSLA", decision_action="sell"
        )
        assert resp.status_code == 400
        assert resp.json() == {"detail": "symbol locked out: TSLA"}

    async def test_unknown_ticker_is_404(self, trading_client: httpx.AsyncClient) -> None:
        resp = await override(trading_client, action="halt", ticker="ZZZZ")
        assert resp.status_code == 404
        assert resp.json() == {"detail": "company ZZZZ not found"}

    async def test_forced_decision_is_recorded_as_pending(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        body = {"action": "force_decision", "ticker": "AAPL", "decision_action": "buy"}
        resp = await override(trading_client, **body, quantity=5)
        assert resp.status_code == 200
        body = resp.json()
        assert body["channel"] == "stonks.trading.decision_forced"
        decision = body["decision"]
        got = await trading_client.get(f"/api/trading/decisions/{decision['id']}")
        assert got.status_code == 200
        assert got.json() == decision
        assert decision["company_id"] == ids.COMPANY_AAPL
        assert (decision["action"], decision["status"], decision["quantity"]) == (
            "buy",
            "pending",
            5.0,
        )
        assert decision["reason"] == "manual override by it: integration test"

    async def test_ticker_halt_blocks_forced_decisions_until_resumed(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        try:
            first = await override(trading_client, action="halt", ticker="NVDA")
            assert first.status_code == 200
            assert (first.json()["scope"], first.json()["changed"]) == ("NVDA", True)
            again = await override(trading_client, action="halt", ticker="NVDA")
            assert again.json()["changed"] is False
            halts = (await trading_client.get("/api/trading/overrides")).json()
            assert "NVDA" in [h["scope"] for h in halts]
            blocked = await override(
                trading_client, action="force_decision", ticker="NVDA", decision_action="buy"
            )
            assert blocked.status_code == 400
            assert blocked.json() == {"detail": "trading halted (NVDA)"}
        finally:
            resumed = await override(trading_client, action="resume", ticker="NVDA")
        assert resumed.status_code == 200
        assert resumed.json()["changed"] is True
        status = (await trading_client.get("/api/trading/status")).json()
        assert "NVDA" not in status["halted_tickers"]

    async def test_global_halt_shows_in_status(self, trading_client: httpx.AsyncClient) -> None:
        try:
            halted = await override(trading_client, action="halt")
            assert halted.status_code == 200
            assert (halted.json()["scope"], halted.json()["ticker"]) == ("global", None)
            status = (await trading_client.get("/api/trading/status")).json()
            assert status["halted"] is True
        finally:
            resumed = await override(trading_client, action="resume")
        assert resumed.status_code == 200
        assert (await trading_client.get("/api/trading/status")).json()["halted"] is False
