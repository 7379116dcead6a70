"""trading-engine read paths against the seeded sandbox: status, config, decisions, metrics,
backtest and notifications (exact values from seeds/seed_ids.py and the seed tables).

Other modules create decisions and notifications at the time they run, so exact lists and
counts here are taken over the seeded week (2026-01-05 .. 2026-01-09).
"""

from __future__ import annotations

import httpx
import seed_ids as ids

WEEK = {"start_date": "2026-01-05", "end_date": "2026-01-09"}
DECISION_FIELDS = {
    "id",
    "company_id",
    "ticker",
    "recommendation_id",
    "order_id",
    "action",
    "confidence",
    "quantity",
    "status",
    "reason",
    "mode",
    "created_at",
}


class TestTradingEngineStatus:
    async def test_status_reports_default_config_and_redis(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.get("/api/trading/status")
        assert resp.status_code == 200
        body = resp.json()
        assert {"mode", "enabled", "redis", "halted", "decisions", "open_orders"} <= body.keys()
        assert body["service"] == "trading-engine"
        assert body["mode"] == "paper"
        assert body["enabled"] is True
        assert body["redis"] == "ok"
        assert isinstance(body["halted"], bool)

    async def test_status_counts_seeded_orders_positions_and_decisions(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.get("/api/trading/status")
        assert resp.status_code == 200
        body = resp.json()
        assert body["open_orders"] == 1  # ORDER_PENDING
        assert body["positions"] == 2
        # Executed, skipped and rejected decisions are only seeded (overrides add pending ones).
        assert body["decisions"]["executed"] == 1
        assert body["decisions"]["skipped"] == 1
        assert body["decisions"]["rejected"] == 1
        assert body["decisions"]["total"] >= ids.SEED_ROW_COUNTS["trading_decisions"]
        assert body["notifications"] >= ids.SEED_ROW_COUNTS["notifications"]


class TestTradingEngineConfig:
    async def test_default_config_matches_seed(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/config")
        assert resp.status_code == 200
        config = resp.json()
        assert config["id"] == ids.TRADING_CONFIG_01
        assert config["name"] == "default"
        assert config["mode"] == "paper"
        assert config["enabled"] is True
        assert config["max_daily_orders"] == 20
        assert config["max_position_value"] == 50000.0
        assert config["min_confidence"] == 0.65
        assert config["strategies"] == [
            {"name": "trend_following", "enabled": True, "weight": 0.6},
            {"name": "macro_overlay", "enabled": True, "weight": 0.4},
        ]

    async def test_unknown_config_name_is_404(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/config", params={"name": "no-such-config"})
        assert resp.status_code == 404
        assert "no-such-config" in resp.json()["detail"]


class TestTradingEngineDecisions:
    async def test_seeded_week_lists_four_decisions_newest_first(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.get("/api/trading/decisions", params=WEEK)
        assert resp.status_code == 200
        decisions = resp.json()
        assert all(d.keys() == DECISION_FIELDS for d in decisions)
        assert [d["id"] for d in decisions] == [
            ids.TRADING_DECISION_04,
            ids.TRADING_DECISION_03,
            ids.TRADING_DECISION_02,
            ids.TRADING_DECISION_01,
        ]
        assert [d["ticker"] for d in decisions] == ["NVDA", "TSLA", "AMZN", "AAPL"]

    async def test_executed_decision_detail(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get(f"/api/trading/decisions/{ids.TRADING_DECISION_01}")
        assert resp.status_code == 200
        decision = resp.json()
        assert decision.keys() == DECISION_FIELDS
        assert decision["company_id"] == ids.COMPANY_AAPL
        assert decision["ticker"] == "AAPL"
        assert decision["recommendation_id"] == ids.RECOMMENDATION_AAPL
        assert decision["order_id"] == ids.ORDER_FILLED
        assert decision["action"] == "buy"
        assert decision["confidence"] == 0.78
        assert decision["quantity"] == 50.0
        assert decision["status"] == "executed"
        assert decision["created_at"] == "2026-01-08T14:29:00+00:00"

    async def test_unknown_decision_is_404(self, trading_client: httpx.AsyncClient) -> None:
        missing = "00000000-0000-4000-9400-000000000099"
        resp = await trading_client.get(f"/api/trading/decisions/{missing}")
        assert resp.status_code == 404
        assert resp.json() == {"detail": f"trading decision {missing} not found"}


class TestTradingEngineMetrics:
    async def test_order_metrics_of_seeded_week(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/metrics", params=WEEK)
        assert resp.status_code == 200
        orders = resp.json()["orders"]
        assert orders["total"] == 3
        assert orders["by_status"] == {
            "pending": 1,
            "partially_filled": 0,
            "filled": 1,
            "cancelled": 1,
            "rejected": 0,
        }
        assert orders["fill_rate"] == 0.3333
        assert orders["filled_notional"] == 9260.0  # 50 x 185.20

    async def test_decision_metrics_of_seeded_week(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get("/api/trading/metrics", params=WEEK)
        assert resp.status_code == 200
        body = resp.json()
        assert (body["start_date"], body["end_date"]) == ("2026-01-05", "2026-01-09")
        decisions = body["decisions"]
        assert decisions["total"] == 4
        assert decisions["by_action"] == {"buy": 2, "sell": 1, "hold": 1}
        assert decisions["by_status"] == {"pending": 1, "executed": 1, "skipped": 1, "rejected": 1}
        assert decisions["avg_confidence"] == 0.6675  # (0.78 + 0.55 + 0.70 + 0.64) / 4
        assert decisions["execution_rate"] == 0.25

    async def test_position_metrics_match_portfolio_snapshot(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.get("/api/trading/metrics")
        assert resp.status_code == 200
        positions = resp.json()["positions"]
        assert positions == {
            "count": 2,
            "market_value": 17227.0,  # = PORTFOLIO_SNAPSHOT_01.positions_value
            "cost_basis": 16660.0,  # 50 x 185.20 + 20 x 370.00
            "unrealized_pnl": 567.0,
            "realized_pnl": 125.5,
            "total_pnl": 692.5,
        }


class TestTradingEngineBacktest:
    async def test_trend_following_over_seeded_week(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.post("/api/trading/backtest", json=WEEK)
        assert resp.status_code == 200
        result = resp.json()
        assert result["strategy"] == "trend_following"
        assert result["bars_used"] == ids.SEED_ROW_COUNTS["price_bars"]
        # 20,000 per ticker: AAPL/MSFT/NVDA up -> long, AMZN flat, TSLA down -> short.
        trades = {t["ticker"]: t for t in result["trades"]}
        assert list(trades) == ["AAPL", "AMZN", "MSFT", "NVDA", "TSLA"]
        assert {t: (v["signal"], v["quantity"], v["pnl"]) for t, v in trades.items()} == {
            "AAPL": ("long", 108, 810.0),
            "AMZN": ("flat", 0, 0.0),
            "MSFT": ("long", 53, 508.8),
            "NVDA": ("long", 42, 361.2),
            "TSLA": ("short", 79, 1698.5),
        }
        assert trades["TSLA"]["entry_price"] == 251.3
        assert trades["TSLA"]["exit_price"] == 229.8
        assert result["total_pnl"] == 3378.5
        assert result["final_value"] == 103378.5
        assert result["total_return_pct"] == 3.3785

    async def test_buy_and_hold_is_deterministic(self, trading_client: httpx.AsyncClient) -> None:
        body = {**WEEK, "strategy": "buy_and_hold", "tickers": ["AAPL"]}
        first = await trading_client.post("/api/trading/backtest", json=body)
        second = await trading_client.post("/api/trading/backtest", json=body)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        (trade,) = first.json()["trades"]
        assert trade == {
            "ticker": "AAPL",
            "signal": "long",
            "entry_date": "2026-01-05",
            "entry_price": 185.0,
            "exit_date": "2026-01-09",
            "exit_price": 192.5,
            "quantity": 540,  # floor(100000 / 185.00)
            "pnl": 4050.0,
            "return_pct": 4.0541,
        }

    async def test_end_before_start_is_422(self, trading_client: httpx.AsyncClient) -> None:
        body = {"start_date": "2026-01-09", "end_date": "2026-01-05"}
        resp = await trading_client.post("/api/trading/backtest", json=body)
        assert resp.status_code == 422
        assert "end_date must not be before start_date" in str(resp.json()["detail"])

    async def test_range_without_bars_keeps_the_cash(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        body = {"start_date": "2025-06-01", "end_date": "2025-06-30", "initial_cash": 5000}
        resp = await trading_client.post("/api/trading/backtest", json=body)
        assert resp.status_code == 200
        result = resp.json()
        assert result["bars_used"] == 0
        assert result["final_value"] == 5000.0
        assert result["trades"] == []


class TestTradingEngineNotifications:
    async def test_seeded_notification_detail(self, trading_client: httpx.AsyncClient) -> None:
        resp = await trading_client.get(f"/api/notifications/{ids.NOTIFICATION_01}")
        assert resp.status_code == 200
        assert resp.json() == {
            "id": ids.NOTIFICATION_01,
            "channel": "slack",
            "recipient": "#trading-alerts",
            "subject": "Order filled: AAPL buy 50",
            "body": "Paper order for 50 AAPL filled at 185.2000.",
            "status": "delivered",
            "related_type": "order",
            "related_id": ids.ORDER_FILLED,
            "error": None,
            "created_at": "2026-01-08T14:30:08+00:00",
            "delivered_at": "2026-01-08T14:30:09+00:00",
        }

    async def test_filter_by_related_order(self, trading_client: httpx.AsyncClient) -> None:
        params = {"related_type": "order", "related_id": ids.ORDER_FILLED}
        resp = await trading_client.get("/api/notifications", params=params)
        assert resp.status_code == 200
        assert [n["id"] for n in resp.json()] == [ids.NOTIFICATION_01]
