"""Redis flows of the trading-engine (reference 002): envelope and channel names, delivery
latency, ordering, Streams catch-up for offline consumers, 1000+ message bursts, and a
subscriber that reconnects after a Redis restart.

Events come from the real service (overrides on MSFT, which are always resumed, and new
notifications); other modules publish at the same time, so consumers filter on their own ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from streams import STREAM, xrange, xread, xrevrange

from pytest_stonks_sandbox import SandboxFaults

CHANNEL_RE = re.compile(r"^stonks\.[a-z_]+\.[a-z_]+$")
ENVELOPE_KEYS = {
    "event_id",
    "channel",
    "domain",
    "event",
    "occurred_at",
    "correlation_id",
    "payload",
}
DELIVERY_TARGET_S = 0.100
RECOVERY_TARGET_S = 5.0
HIGH_VOLUME = 1200


async def subscribed(redis: Redis, *channels: str, pattern: bool = False) -> PubSub:
    """A PubSub whose subscriptions are confirmed (so no later message can be missed)."""
    pubsub = redis.pubsub()
    if pattern:
        await pubsub.psubscribe(*channels)
    else:
        await pubsub.subscribe(*channels)
    for _ in channels:
        confirmation = await pubsub.get_message(timeout=2.0)
        assert confirmation is not None and confirmation["type"] in {"subscribe", "psubscribe"}
    return pubsub


async def collect(
    pubsub: PubSub,
    wanted: int,
    timeout: float,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Up to ``wanted`` decoded envelopes (those ``keep`` accepts) within ``timeout`` seconds."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < wanted and time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None:
            continue
        envelope = json.loads(message["data"])
        envelope["_received"] = time.time()
        if keep is None or keep(envelope):
            found.append(envelope)
    return found


async def override(client: httpx.AsyncClient, action: str, **extra: Any) -> httpx.Response:
    body = {"action": action, "ticker": "MSFT", "reason": "signal flow", "operator": "it"}
    return await client.post("/api/trading/override", json=body | extra)


async def notify(client: httpx.AsyncClient, subject: str, related_id: str) -> dict[str, Any]:
    body = {
        "channel": "log",
        "subject": subject,
        "body": "signal flow test",
        "related_type": "signal_flow",
        "related_id": related_id,
    }
    resp = await client.post("/api/notifications", json=body)
    assert resp.status_code == 201
    created: dict[str, Any] = resp.json()
    return created


async def last_stream_id(redis: Redis) -> str:
    newest = await xrevrange(redis, STREAM, count=1)
    return newest[0][0] if newest else "0-0"


class TestTradingSignalEnvelope:
    async def test_halt_override_publishes_documented_envelope(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        pubsub = await subscribed(redis, "stonks.trading.halted")
        try:
            resp = await override(trading_client, "halt")
            assert resp.status_code == 200
            event_id = resp.json()["event_id"]
            (envelope,) = await collect(pubsub, 1, 3.0, lambda e: e["event_id"] == event_id)
        finally:
            await override(trading_client, "resume")
            await pubsub.aclose()
        assert set(envelope) - {"_received"} == ENVELOPE_KEYS
        assert envelope["channel"] == "stonks.trading.halted"
        assert (envelope["domain"], envelope["event"]) == ("trading", "halted")
        assert envelope["payload"]["ticker"] == "MSFT"
        assert envelope["payload"]["scope"] == "MSFT"
        assert envelope["payload"]["operator"] == "it"
        assert dt.datetime.fromisoformat(envelope["occurred_at"]).tzinfo is not None

    async def test_correlation_id_travels_into_the_event(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        correlation = f"signal-flow-{uuid.uuid4().hex}"
        pubsub = await subscribed(redis, "stonks.trading.notification_created")
        try:
            resp = await trading_client.post(
                "/api/notifications",
                json={"channel": "log", "subject": "correlated", "body": "x"},
                headers={"X-Correlation-ID": correlation},
            )
            assert resp.status_code == 201
            assert resp.headers["X-Correlation-ID"] == correlation
            note_id = resp.json()["id"]
            (envelope,) = await collect(pubsub, 1, 3.0, lambda e: e["payload"]["id"] == note_id)
        finally:
            await pubsub.aclose()
        assert envelope["correlation_id"] == correlation

    async def test_created_notification_is_delivered_on_redis(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        pubsub = await subscribed(redis, "stonks.trading.notification_created")
        try:
            note = await notify(trading_client, "delivered on redis", str(uuid.uuid4()))
            (envelope,) = await collect(pubsub, 1, 3.0, lambda e: e["payload"]["id"] == note["id"])
        finally:
            await pubsub.aclose()
        assert envelope["channel"] == "stonks.trading.notification_created"
        assert envelope["payload"] == note

    async def test_config_update_is_published(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        name = f"sf-{uuid.uuid4().hex[:12]}"
        body = {
            "mode": "paper",
            "enabled": True,
            "max_daily_orders": 1,
            "max_position_value": 100.0,
            "min_confidence": 0.5,
        }
        pubsub = await subscribed(redis, "stonks.trading.config_updated")
        try:
            resp = await trading_client.put("/api/trading/config", params={"name": name}, json=body)
            assert resp.status_code == 200
            (envelope,) = await collect(pubsub, 1, 3.0, lambda e: e["payload"]["name"] == name)
        finally:
            await pubsub.aclose()
        assert envelope["payload"]["id"] == resp.json()["id"]
        assert envelope["payload"]["max_daily_orders"] == 1

    async def test_channel_names_follow_the_convention(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        start = await last_stream_id(redis)
        pubsub = await subscribed(redis, "stonks.*", pattern=True)
        try:
            halted = (await override(trading_client, "halt")).json()["event_id"]
            resumed = (await override(trading_client, "resume")).json()["event_id"]
            note = await notify(trading_client, "channel names", str(uuid.uuid4()))
            ours = {halted, resumed}
            received = await collect(
                pubsub,
                3,
                3.0,
                lambda e: e["event_id"] in ours or e["payload"].get("id") == note["id"],
            )
        finally:
            await override(trading_client, "resume")
            await pubsub.aclose()
        channels = [e["channel"] for e in received]
        assert channels == [
            "stonks.trading.halted",
            "stonks.trading.resumed",
            "stonks.trading.notification_created",
        ]
        entries = await xrange(redis, STREAM, min=f"({start}")
        assert entries, "the events are in the stream too"
        assert all(CHANNEL_RE.match(fields["channel"]) for _, fields in entries)


class TestTradingSignalDelivery:
    async def test_service_event_delivery_latency(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        pubsub = await subscribed(redis, "stonks.trading.halted", "stonks.trading.resumed")
        ids: list[str] = []
        reason = f"latency {uuid.uuid4().hex}"
        # A concurrent reader stamps each message as it arrives, while the requests go out.
        reader = asyncio.create_task(
            collect(pubsub, 10, 8.0, lambda e: e["payload"]["reason"] == reason)
        )
        try:
            for i in range(10):
                action = "halt" if i % 2 == 0 else "resume"
                resp = await override(trading_client, action, reason=reason)
                assert resp.status_code == 200
                ids.append(resp.json()["event_id"])
            received = await reader
        finally:
            reader.cancel()
            await override(trading_client, "resume")
            await pubsub.aclose()
        assert [e["event_id"] for e in received] == ids
        latencies = [
            e["_received"] - dt.datetime.fromisoformat(e["occurred_at"]).timestamp()
            for e in received
        ]
        assert statistics.median(latencies) < DELIVERY_TARGET_S, latencies
        assert max(latencies) < 5 * DELIVERY_TARGET_S, latencies

    async def test_direct_pubsub_latency_p95(self, redis: Redis) -> None:
        channel = "stonks.signal_test.latency"
        pubsub = await subscribed(redis, channel)
        latencies: list[float] = []
        try:
            for i in range(100):
                sent = time.perf_counter()
                await redis.publish(channel, json.dumps({"i": i}))
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                assert message is not None and json.loads(message["data"]) == {"i": i}
                latencies.append(time.perf_counter() - sent)
        finally:
            await pubsub.aclose()
        p95 = statistics.quantiles(latencies, n=20)[-1]
        assert p95 < DELIVERY_TARGET_S, p95

    async def test_burst_of_service_events_keeps_order(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        related = str(uuid.uuid4())
        pubsub = await subscribed(redis, "stonks.trading.notification_created")
        try:
            created = [await notify(trading_client, f"burst {i:02d}", related) for i in range(25)]
            received = await collect(
                pubsub, 25, 5.0, lambda e: e["payload"]["related_id"] == related
            )
        finally:
            await pubsub.aclose()
        assert [e["payload"]["id"] for e in received] == [n["id"] for n in created]
        assert [e["payload"]["subject"] for e in received] == [f"burst {i:02d}" for i in range(25)]


class TestTradingSignalStreams:
    async def test_offline_consumer_catches_up_with_xread(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        last_seen = await last_stream_id(redis)  # the consumer goes offline here
        related = str(uuid.uuid4())
        created = [await notify(trading_client, f"missed {i}", related) for i in range(3)]
        replies = await xread(redis, {STREAM: last_seen}, count=10_000)
        assert replies, "the stream has entries after the consumer's last id"
        (stream, entries) = replies[0]
        assert stream == STREAM
        mine = [
            json.loads(fields["data"])
            for _, fields in entries
            if fields["channel"] == "stonks.trading.notification_created"
            and json.loads(fields["data"])["payload"]["related_id"] == related
        ]
        assert [e["payload"]["id"] for e in mine] == [n["id"] for n in created]

    async def test_xrange_from_last_id_matches_xread(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        last_seen = await last_stream_id(redis)
        await notify(trading_client, "xrange", str(uuid.uuid4()))
        await notify(trading_client, "xrange", str(uuid.uuid4()))
        (_, read) = (await xread(redis, {STREAM: last_seen}, count=10_000))[0]
        ranged = await xrange(redis, STREAM, min=f"({last_seen}", max=read[-1][0])
        assert ranged == read
        assert len(ranged) >= 2
        ids = [entry_id for entry_id, _ in ranged]
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))

    async def test_every_published_event_is_in_the_stream(
        self, trading_client: httpx.AsyncClient, redis: Redis
    ) -> None:
        last_seen = await last_stream_id(redis)
        try:
            resp = await override(trading_client, "halt")
            assert resp.status_code == 200
        finally:
            await override(trading_client, "resume")
        event_id = resp.json()["event_id"]
        entries = await xrange(redis, STREAM, min=f"({last_seen}")
        matching = [f for _, f in entries if json.loads(f["data"])["event_id"] == event_id]
        assert len(matching) == 1
        assert matching[0]["channel"] == "stonks.trading.halted"


class TestTradingSignalHighVolume:
    async def test_pubsub_burst_of_1200_is_delivered_in_order(self, redis: Redis) -> None:
        channel = "stonks.signal_test.burst"
        run = uuid.uuid4().hex
        pubsub = await subscribed(redis, channel)
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for i in range(HIGH_VOLUME):
                    pipe.publish(channel, json.dumps({"run": run, "seq": i}))
                receivers = await pipe.execute()
            assert all(n >= 1 for n in receivers)
            seqs: list[int] = []
            deadline = time.monotonic() + 10
            while len(seqs) < HIGH_VOLUME and time.monotonic() < deadline:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if message is not None and json.loads(message["data"])["run"] == run:
                    seqs.append(json.loads(message["data"])["seq"])
        finally:
            await pubsub.aclose()
        assert seqs == list(range(HIGH_VOLUME))

    async def test_stream_of_1200_entries_is_read_back_in_order(self, redis: Redis) -> None:
        stream = f"stonks.signal_test.{uuid.uuid4().hex}"
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for i in range(HIGH_VOLUME):
                    pipe.xadd(stream, {"seq": str(i)})
                await pipe.execute()
            seqs: list[int] = []
            cursor = "0-0"
            for _ in range(HIGH_VOLUME // 100 + 2):  # bounded pages of 100
                replies = await xread(redis, {stream: cursor}, count=100)
                if not replies:
                    break
                entries = replies[0][1]
                seqs.extend(int(fields["seq"]) for _, fields in entries)
                cursor = entries[-1][0]
        finally:
            await redis.delete(stream)
        assert seqs == list(range(HIGH_VOLUME))


class TestTradingSignalReconnect:
    async def test_subscriber_reconnects_after_redis_restart(
        self, trading_client: httpx.AsyncClient, redis: Redis, sandbox_faults: SandboxFaults
    ) -> None:
        channel = "stonks.trading.halted"
        pubsub: PubSub | None
        pubsub = await subscribed(redis, channel)
        try:
            await asyncio.to_thread(sandbox_faults.restart, "redis")
            restarted = time.monotonic()
            await pubsub.aclose()
            pubsub = None
            while pubsub is None and time.monotonic() - restarted < 10:
                try:
                    pubsub = await subscribed(redis, channel)
                except (RedisConnectionError, OSError):
                    await asyncio.sleep(0.1)
            assert pubsub is not None, "subscriber could not reconnect within 10 s"
            resp = await override(trading_client, "halt")
            while resp.status_code == 503 and time.monotonic() - restarted < RECOVERY_TARGET_S:
                await asyncio.sleep(0.1)
                resp = await override(trading_client, "halt")
            assert resp.status_code == 200, resp.text
            event_id = resp.json()["event_id"]
            received = await collect(pubsub, 1, 3.0, lambda e: e["event_id"] == event_id)
            assert len(received) == 1
            assert received[0]["payload"]["ticker"] == "MSFT"
        finally:
            if pubsub is not None:
                await pubsub.aclose()
            await override(trading_client, "resume")
