"""LatencyRecorder: recording, rows, exact merge and encode/decode round trip."""

from __future__ import annotations

import json
import random
import threading

import pytest

from pytest_stonks_sandbox._measure.histograms import (
    HIGHEST_US,
    LatencyRecorder,
    RouteKey,
    decode_histogram,
    percentile_ms,
)

KEYS = [
    RouteKey("query-api", "GET", "/api/companies/{company_id}"),
    RouteKey("query-api", "GET", "/api/companies"),
    RouteKey("risk-engine", "POST", "/api/evaluate"),
]


def _samples(count: int, seed: int = 7) -> list[tuple[RouteKey, int, bool]]:
    rng = random.Random(seed)
    return [
        (rng.choice(KEYS), int(rng.lognormvariate(15, 1.2)), rng.random() < 0.1)
        for _ in range(count)
    ]


def _recorder(samples: list[tuple[RouteKey, int, bool]]) -> LatencyRecorder:
    recorder = LatencyRecorder()
    for key, elapsed_ns, error in samples:
        recorder.record(key, elapsed_ns, error)
    return recorder


def test_route_keys_sort_by_service_method_route() -> None:
    assert sorted(KEYS) == [KEYS[1], KEYS[0], KEYS[2]]


def test_rows_report_counts_errors_and_milliseconds() -> None:
    recorder = LatencyRecorder()
    key = KEYS[0]
    for _ in range(9):
        recorder.record(key, 1_500_000, error=False)
    recorder.record(key, 10_000_000, error=True)

    (row,) = recorder.endpoint_rows()

    assert row["service"] == "query-api"
    assert row["route"] == "/api/companies/{company_id}"
    assert row["count"] == 10
    assert row["errors"] == 1
    assert row["p50_ms"] == pytest.approx(1.5, rel=1e-3)
    assert row["max_ms"] == pytest.approx(10.0, rel=1e-3)
    assert row["p99_ms"] == row["max_ms"]
    assert row["mean_ms"] == pytest.approx((9 * 1.5 + 10.0) / 10, abs=1e-3)


def test_rows_are_sorted_and_total_counts_every_request() -> None:
    samples = _samples(500)
    recorder = _recorder(samples)

    rows = recorder.endpoint_rows()

    assert [(r["service"], r["method"], r["route"]) for r in rows] == sorted(
        (k.service, k.method, k.route) for k in set(KEYS)
    )
    assert recorder.total_requests() == sum(r["count"] for r in rows) == 500
    assert sum(r["errors"] for r in rows) == sum(1 for *_, error in samples if error)


def test_values_beyond_the_range_are_clamped_not_dropped() -> None:
    recorder = LatencyRecorder()
    recorder.record(KEYS[0], 3600 * 10**9, error=False)

    (row,) = recorder.endpoint_rows()

    assert row["count"] == 1
    assert row["max_ms"] == pytest.approx(HIGHEST_US / 1000, rel=1e-3)


def test_merged_workers_equal_one_recorder_of_all_values() -> None:
    samples = _samples(4000)
    workers = [_recorder(samples[i::4]) for i in range(4)]
    merged = LatencyRecorder()
    for worker in workers:
        merged.merge(worker)

    expected = _recorder(samples)

    assert merged.endpoint_rows() == expected.endpoint_rows()
    assert merged.encode() == expected.encode()
    assert merged.total_requests() == len(samples)


def test_merge_of_decoded_worker_output_is_exact() -> None:
    samples = _samples(3000, seed=11)
    payloads = [json.loads(json.dumps(_recorder(samples[i::3]).encode())) for i in range(3)]
    merged = LatencyRecorder()
    for payload in payloads:
        merged.merge(LatencyRecorder.decode(payload))

    assert merged.endpoint_rows() == _recorder(samples).endpoint_rows()


def test_encode_decode_round_trips_exactly() -> None:
    recorder = _recorder(_samples(1000, seed=3))
    encoded = recorder.encode()

    decoded = LatencyRecorder.decode(encoded)

    assert decoded.endpoint_rows() == recorder.endpoint_rows()
    assert decoded.encode() == encoded
    assert all(isinstance(r["histogram"], str) for r in encoded["routes"])


def test_decode_rejects_an_unknown_version() -> None:
    with pytest.raises(ValueError, match="version"):
        LatencyRecorder.decode({"version": 999, "routes": []})


def test_merging_into_itself_is_refused() -> None:
    recorder = LatencyRecorder()
    with pytest.raises(ValueError):
        recorder.merge(recorder)


def test_concurrent_recording_loses_nothing() -> None:
    recorder = LatencyRecorder()

    def record_many() -> None:
        for i in range(2000):
            recorder.record(KEYS[i % 3], 1000 + i, error=False)

    threads = [threading.Thread(target=record_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert recorder.total_requests() == 8000


def test_errors_while_faulted_are_expected_ones_and_survive_encoding() -> None:
    recorder = LatencyRecorder()
    key = KEYS[0]
    recorder.record(key, 1_000_000, error=True)
    recorder.faulted = True
    recorder.record(key, 1_000_000, error=True)
    recorder.record(key, 1_000_000, error=True)
    recorder.record(key, 1_000_000, error=False)
    recorder.faulted = False

    (row,) = LatencyRecorder.decode(json.loads(json.dumps(recorder.encode()))).endpoint_rows()

    assert (row["count"], row["errors"], row["expected_errors"]) == (4, 1, 2)


def test_a_row_keeps_its_histogram_exactly() -> None:
    samples = _samples(300)
    recorder = _recorder(samples)
    for row in recorder.endpoint_rows():
        histogram = decode_histogram(row["histogram"])
        assert histogram.get_total_count() == row["count"]
        assert percentile_ms(histogram, 95) == pytest.approx(row["p95_ms"], abs=1e-3)
        key = RouteKey(row["service"], row["method"], row["route"])
        assert row["sum_us"] == sum(ns // 1000 for k, ns, _ in samples if k == key)


def test_decoding_junk_names_it() -> None:
    with pytest.raises(ValueError, match="not an encoded HDR histogram"):
        decode_histogram("not a histogram")
