"""The failure bundle's bounds, redaction and modes, and the slices cut out of it (pure parts)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from pytest_stonks_sandbox._backends import bundle as bundle_module
from pytest_stonks_sandbox._backends.bundle import SLICE_LINES, Bundle, Redactor
from pytest_stonks_sandbox._backends.evidence import EvidenceFile, cut, read_tail

SECRET = "0123456789abcdef0123456789abcdef"
TRACE_A, TRACE_B = "a" * 32, "b" * 32


def _line(trace: str, text: str) -> bytes:
    return json.dumps({"trace_id": trace, "msg": text}).encode() + b"\n"


def test_cut_keeps_the_end_from_a_line_start(tmp_path: Path) -> None:
    data = b"".join(f"line {i}\n".encode() for i in range(1000))
    tail, dropped = cut(data, 100)
    assert len(tail) <= 100 and tail.startswith(b"line ") and tail.endswith(b"line 999\n")
    assert dropped == len(data) - len(tail)
    assert cut(b"short\n", 100) == (b"short\n", 0)
    (tmp_path / "x.log").write_bytes(data)
    read = read_tail(tmp_path / "x.log", "x", "logs/x.log", 100)
    assert (read.data, read.cut_bytes) == (tail, dropped)


def test_secrets_are_redacted_and_short_values_left_alone() -> None:
    redactor = Redactor([SECRET, "pg", ""])
    text = f"postgresql://stonks_admin:{SECRET}@127.0.0.1/pg"
    assert redactor.text(text) == "postgresql://stonks_admin:[redacted]@127.0.0.1/pg"
    assert redactor.data(text.encode()) == redactor.text(text).encode()
    assert Redactor([]).text(text) == text


def test_the_bundle_is_private_bounded_and_redacted(tmp_path: Path) -> None:
    root = tmp_path / "artifacts" / "sandbox"
    root.mkdir(parents=True)
    (root / "stale.log").write_text("from an earlier run")
    bundle = Bundle.create(root, [SECRET])
    bundle.max_total_bytes = 100
    bundle.add([
        EvidenceFile("logs/svc.log", "svc", f"key={SECRET}\n".encode()),
        EvidenceFile("kubernetes/pods/p/c.log", "svc", b"x" * 150),  # over the total: omitted
        EvidenceFile("../escape.log", "svc", b"outside"),
        EvidenceFile("logs/svc.log", "svc", b"the same path twice"),
    ])  # fmt: skip
    bundle.finish({"run_id": "r"})
    assert not (root / "stale.log").exists()
    assert not (tmp_path / "artifacts" / "escape.log").exists()
    assert (root / "logs" / "svc.log").read_text() == "key=[redacted]\n"
    index = json.loads((root / "index.json").read_text())
    assert [f["path"] for f in index["files"]] == ["logs/svc.log"]
    assert index["omitted"] == ["kubernetes/pods/p/c.log"] and index["run_id"] == "r"
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_a_slice_holds_only_its_tests_lines_and_is_bounded() -> None:
    bundle = Bundle.create(None, [])
    lines = [_line(TRACE_A, f"a{i}") for i in range(SLICE_LINES + 10)]
    bundle.add([
        EvidenceFile("logs/one.log", "one", _line(TRACE_B, "b0") + lines[0] + _line(TRACE_B, "b1")),
        EvidenceFile("logs/two.log", "two", b"".join(lines[1:]) + b"no trace here\n"),
        EvidenceFile("kubernetes/events.json", "namespace", TRACE_A.encode()),  # not a log
    ])  # fmt: skip
    slices = bundle.slices({"t::a": TRACE_A, "t::b": TRACE_B, "t::c": "c" * 32})
    a, b, c = slices[TRACE_A], slices[TRACE_B], slices["c" * 32]
    assert [json.loads(e["line"])["msg"] for e in b["lines"]] == ["b0", "b1"]
    assert {e["component"] for e in b["lines"]} == {"one"}
    assert len(a["lines"]) == SLICE_LINES and a["omitted_lines"] == 10
    assert a["lines"][0] == {"component": "one", "line": lines[0].decode().strip()}
    assert all(TRACE_B not in e["line"] for e in a["lines"])
    assert c["lines"] == [] and c["full_logs"] is None


def test_a_slice_stays_within_its_byte_limit() -> None:
    bundle = Bundle.create(None, [])
    long_line = _line(TRACE_A, "x" * 5000)
    bundle.add([EvidenceFile("logs/one.log", "one", long_line * 30)])
    (a,) = bundle.slices({"t": TRACE_A}).values()
    size = sum(len(e["line"]) for e in a["lines"])
    assert size <= bundle_module.SLICE_BYTES
    assert all(len(e["line"]) <= bundle_module.SLICE_LINE_CHARS + 6 for e in a["lines"])
    assert a["omitted_lines"] == 30 - len(a["lines"]) > 0
