"""The HTML report: its view of 1.0 and 2.0 contracts, the files it embeds or links, the
`report` command, the page in a real Chromium (offline, no errors, every chart drawn, the
endpoint table sorted and filtered), and the report a run writes with --sandbox-html."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hdrh.histogram import HdrHistogram
from report_documents import png, scaled, schema_2, suite_contract
from sandbox_helpers import Inner

from pytest_stonks_sandbox._contract.reader import ContractError, read_contract
from pytest_stonks_sandbox._pages.browser import LAUNCH_ARGS, find_browser, playwright_api
from pytest_stonks_sandbox._report.distribution import CURVE_PERCENTILES, distribution
from pytest_stonks_sandbox._report.files import collect_assets, write_html
from pytest_stonks_sandbox._report.render import render_html
from pytest_stonks_sandbox._report.view import prepare
from pytest_stonks_sandbox._settings.config import resolve
from pytest_stonks_sandbox._settings.project import ProjectConfig

ROOT = Path(__file__).resolve().parents[2]
TWO_SECTIONS = ("The gate", "A baseline comparison", "Counts per test module", "Memory over time")


# --- the view and the page text -----------------------------------------------------------
def test_distribution_from_a_histogram_is_hdrh_exact() -> None:
    histogram = HdrHistogram(1, 60_000_000, 3)
    for value in [120, 450, 450, 900, 2_000, 2_050, 15_000, 80_000]:
        histogram.record_value(value)
    dist = distribution({"histogram": histogram.encode().decode("ascii")})
    assert dist["source"] == "histogram" and dist["count"] == 8
    assert sum(bucket[2] for bucket in dist["buckets"]) == 8
    assert dist["buckets"][0][0] <= 0.12 and dist["buckets"][-1][1] >= 80.0
    expected = histogram.get_percentile_to_value_dict(list(CURVE_PERCENTILES))
    assert dist["curve"] == [[p, round(expected[p] / 1000, 3)] for p in CURVE_PERCENTILES]
    single = HdrHistogram(1, 60_000_000, 3)
    single.record_value(15_370)
    [bucket] = distribution({"histogram": single.encode().decode("ascii")})["buckets"]
    assert bucket[2] == 1 and bucket[0] <= 15.37 <= bucket[1]


def test_distribution_falls_back_to_the_percentiles_kept() -> None:
    row = {"count": 3, "p50_ms": 1.5, "p95_ms": 2.5, "p99_ms": 2.5, "max_ms": 3.0}
    assert distribution(row) == {
        "source": "percentiles", "count": 3, "buckets": [],
        "curve": [[50.0, 1.5], [95.0, 2.5], [99.0, 2.5], [100.0, 3.0]],
    }  # fmt: skip
    broken = distribution({**row, "histogram": "HISTFAAAAnot-base64!"})
    assert broken["source"] == "percentiles"
    assert "not an encoded HDR histogram" in broken["note"]


def test_a_2_0_contract_shows_every_section(tmp_path: Path) -> None:
    document = schema_2(suite_contract(), tmp_path / "evidence")
    view = prepare(document)
    assert view["endpoints"]["from_histograms"] and view["endpoints"]["has_expected"]
    assert len(view["endpoints"]["distributions"]) == len(document["endpoints"])
    for row, dist in zip(document["endpoints"], view["endpoints"]["distributions"], strict=True):
        assert dist["count"] == row["count"]
        assert dist["curve"][-1][1] == pytest.approx(row["max_ms"], abs=0.001)
    deploy = document["stages"]["deploy"]
    assert view["timeline"]["labels"][: 1 + len(deploy["components"])] == [
        "deploy",
        *(f"deploy · {name}" for name in deploy["components"]),
    ]
    seed_start = view["timeline"]["bars"][1 + len(deploy["components"])][0]
    assert seed_start == pytest.approx(deploy["seconds"])
    assert {s["name"] for s in view["memory"]["series"]} == set(document["memory"])
    html = render_html(document)
    assert html == render_html(document)  # pure
    assert "not in this contract" not in html
    assert "Decision: <b>not_ready</b>" in html
    assert "1</b> regressions" in html and "p95 &lt; 1ms" in html
    assert document["failures"][0]["nodeid"] in html
    assert "<script src" not in html and '<link rel="stylesheet"' not in html
    version = (ROOT / "src/pytest_stonks_sandbox/_report/vendor/chart.js.VERSION").read_text()
    assert f"charts by Chart.js {version.strip()} (MIT licence)" in html


def test_a_1_0_contract_says_what_it_does_not_hold() -> None:
    document = suite_contract()
    assert document["schema_version"] == "1.0"
    html = render_html(document)
    for section in TWO_SECTIONS:
        assert f"{section}: not in this contract (schema 1.0)." in html
    assert "Histograms: not in this contract (schema 1.0)" in html
    assert html.count("<tr data-index=") == len(document["endpoints"])
    assert 'data-chart="route-buckets"' not in html  # no histogram, no bucket chart
    assert 'data-chart="route-curve"' in html and 'data-chart="timeline"' in html


def test_port_forward_counters_are_shown_beside_the_stages() -> None:
    document = schema_2(suite_contract())
    assert "port-forward" not in render_html(document)
    document["schema_version"] = "2.1"
    document["forwards"] = {
        "postgres": {"connections": 9, "reconnects": 2, "failures": 1, "last_error": "no <pod>"},
    }
    html = render_html(document)
    row = html[html.index("<td>postgres</td>") :]
    assert '<td class="num">9</td><td class="num">2</td><td class="num">1</td>' in row
    assert "no &lt;pod&gt;" in row


def test_text_of_the_contract_is_escaped() -> None:
    document = suite_contract()
    document["failures"] = [{"nodeid": "t.py::test_x", "when": "call",
                             "message": "<script>alert(1)</script></script>"}]  # fmt: skip
    document["endpoints"][0]["route"] = "/api/</script><b>"
    html = render_html(document)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "/api/</script>" not in html  # the chart data in the page is escaped too


def test_screenshots_are_embedded_up_to_the_cap_and_linked_above(tmp_path: Path) -> None:
    document = schema_2(suite_contract(), tmp_path / "evidence")
    small, large = (page["artifacts"]["screenshot"] for page in document["pages"][:2])
    document["pages"][2]["artifacts"] = {"screenshot": "missing/screenshot.png"}
    out_dir = tmp_path / "out"
    assets = collect_assets(document, tmp_path, out_dir, image_cap=64 * 1024)
    assert assets.images[small].startswith("data:image/png;base64,")
    assert large not in assets.images and assets.sizes[large] > 64 * 1024
    assert assets.href(large) == "../evidence/pages/" + document["pages"][1]["page"] + (
        "/screenshot.png"
    )
    assert assets.href("missing/screenshot.png") == "../missing/screenshot.png"  # contract dir
    pages = prepare(document, assets)["pages"]
    assert pages[0]["thumbnail"] == assets.images[small]
    assert pages[1]["thumbnail"] is None and "over the 64 KiB cap" in pages[1]["screenshot"]["note"]
    assert pages[2]["screenshot"]["note"] == "file not found"
    html = render_html(document, assets)
    assert html.count('<img class="thumb"') == 1
    assert 'href="../evidence/query-api.log"' in html and 'href="../evidence/bundle.tar.gz"' in html
    # the failure shows its own server lines (escaped), links its full logs and the bundle
    assert "Server log lines of this test" in html and "3 more in the full logs" in html
    assert "query-api | {&#34;msg&#34;:&#34;request&#34;,&#34;status&#34;:503}" in html


# --- reading contracts and the report command --------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("not json", "is not JSON (line 1, column 1"),
        ("[1, 2]", "holds a JSON list, not a results contract"),
        ('{"run_id": "x"}', "is not a results contract: it has no schema_version, outcome"),
        (json.dumps({**suite_contract(), "schema_version": "3.0"}), "schema_version '3.0'"),
    ],
)
def test_read_contract_names_what_is_wrong(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "inttest-results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ContractError) as caught:
        read_contract(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "inttest-results.json" in str(caught.value)  # says what to give instead


def _report_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_stonks_sandbox", "report", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_report_command(tmp_path: Path) -> None:
    contract = tmp_path / "ci" / "inttest-results.json"
    contract.parent.mkdir()
    contract.write_text(json.dumps(schema_2(suite_contract())), encoding="utf-8")
    done = _report_command(str(contract))
    assert done.returncode == 0, done.stderr
    default = contract.parent / "inttest-report.html"
    assert done.stdout.strip() == f"report: {default}"
    assert "<!DOCTYPE html>" in default.read_text(encoding="utf-8")
    done = _report_command(str(contract), "-o", str(tmp_path / "elsewhere" / "r.html"))
    assert done.returncode == 0 and (tmp_path / "elsewhere" / "r.html").is_file()


def test_report_command_errors(tmp_path: Path) -> None:
    missing = _report_command(str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json: no such file" in missing.stderr
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    not_json = _report_command(str(tmp_path / "notes.txt"))
    assert not_json.returncode == 2 and "notes.txt is not JSON" in not_json.stderr
    usage = _report_command()
    assert usage.returncode == 2 and "usage: python -m pytest_stonks_sandbox report" in usage.stderr
    assert not list(tmp_path.glob("*.html"))


def test_run_pipeline_renders_the_report_of_its_fallback_contract(tmp_path: Path) -> None:
    results = tmp_path / "out" / "results.json"
    done = subprocess.run(
        [str(ROOT / "run_pipeline.sh"), "--results", str(results), "--", "--sandbox-timeout=x"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHON": sys.executable},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    html = (results.parent / "inttest-report.html").read_text(encoding="utf-8")
    assert "pytest exited with status 4 before the sandbox session started" in html
    assert f"report in {results.parent / 'inttest-report.html'}" in done.stdout


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("cli", "", "out/inttest-report.html"),  # --sandbox-html alone: beside the contract
        ("cli", "r.html", "r.html"),
        ("env", "1", "out/inttest-report.html"),
        ("env", "0", None),
        ("env", "ci/r.html", "ci/r.html"),
        ("ini", "true", "out/inttest-report.html"),
        ("table", True, "out/inttest-report.html"),
        ("table", "t.html", "t.html"),
        (None, None, None),
    ],
)
def test_where_the_option_puts_the_report(
    source: str | None, value: Any, expected: str | None
) -> None:
    root = Path("/srv/project")
    cli: dict[str, Any] = {"results": "out/inttest-results.json"}
    env: dict[str, str] = {}
    ini: dict[str, Any] = {}
    table: dict[str, Any] = {}
    if source == "cli":
        cli["html"] = value
    elif source == "env":
        env["STONKS_SANDBOX_HTML"] = value
    elif source == "ini":
        ini["html"] = value
    elif source == "table":
        table["html"] = value
    cfg = resolve(cli, env, ini, ProjectConfig(root=root, options=table), root)
    assert cfg.html_path == (None if expected is None else root / expected)


# --- the page in a real browser -----------------------------------------------------------
@pytest.fixture
async def browser_page() -> AsyncIterator[tuple[Any, list[str], list[str]]]:
    """A Chromium tab that lets only file:// and data: through: (page, problems, blocked)."""
    api = playwright_api()
    problems: list[str] = []
    blocked: list[str] = []
    async with api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=find_browser(), args=list(LAUNCH_ARGS)
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})

        async def only_local(route: Any) -> None:
            url = route.request.url
            if url.startswith(("file://", "data:")):
                await route.continue_()
            else:
                blocked.append(url)
                await route.abort()

        await context.route("**/*", only_local)
        page = await context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)  # fmt: skip
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        try:
            yield page, problems, blocked
        finally:
            await browser.close()


DRAWN = """() => Array.from(document.querySelectorAll("canvas.chart")).map((c) => {
  const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {chart: c.dataset.chart, visible: c.offsetParent !== null, drawn: !!Chart.getChart(c),
          width: c.width, height: c.height, painted: painted};
})"""
COLUMN = """(index) => Array.from(document.querySelectorAll("#route-table tbody tr"))
  .filter((tr) => !tr.hidden).map((tr) => tr.cells[index].textContent)"""


async def _open(page: Any, path: Path) -> list[dict[str, Any]]:
    await page.goto(path.as_uri())
    await page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    charts: list[dict[str, Any]] = await page.evaluate(DRAWN)
    for chart in charts:
        assert chart["visible"] and chart["drawn"], chart
        assert chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["painted"] > 500, chart  # the chart put pixels on its canvas
    return charts


def _numbers(cells: list[str]) -> list[float]:
    return [float(cell) for cell in cells]


async def test_the_2_0_report_in_chromium(
    browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    page, problems, blocked = browser_page
    document = schema_2(suite_contract(), tmp_path / "evidence")
    for row in document["endpoints"][5:8]:
        row["errors"] = 2
    report = write_html(document, tmp_path / "report.html", tmp_path)
    charts = await _open(page, report)
    await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    (ROOT / "inttest-artifacts" / "report").mkdir(parents=True, exist_ok=True)
    await page.screenshot(
        path=str(ROOT / "inttest-artifacts" / "report" / "report.png"), full_page=True
    )
    assert (tmp_path / "report.png").stat().st_size > 50_000
    kinds = sorted(chart["chart"] for chart in charts)
    assert kinds == sorted(
        ["gate", "timeline", "route-buckets", "route-curve", "memory", "load", "load"]
    )
    rows = len(document["endpoints"])
    # The slowest route by p95 is drawn first; a click draws another.
    p95 = _numbers(await page.evaluate(COLUMN, 7))
    slowest = document["endpoints"][p95.index(max(p95))]
    assert (await page.text_content("#route-title")).startswith(
        f"{slowest['service']} {slowest['method']} {slowest['route']}: {slowest['count']} requests"
    )
    await page.click("#route-table tbody tr[data-index='3']")
    third = document["endpoints"][3]
    assert (await page.text_content("#route-title")).startswith(f"{third['service']} GET")
    assert "from its HDR histogram" in await page.text_content("#route-note")
    # Sort: numbers descending first, then ascending; text ascending first.
    await page.click("#route-table th:nth-child(8)")
    descending = _numbers(await page.evaluate(COLUMN, 7))
    assert descending == sorted(descending, reverse=True) and len(descending) == rows
    await page.click("#route-table th:nth-child(8)")
    assert _numbers(await page.evaluate(COLUMN, 7)) == sorted(descending)
    await page.click("#route-table th:nth-child(3)")
    routes = await page.evaluate(COLUMN, 2)
    assert routes == sorted(routes, key=str.lower)
    # Filter: every word must match; "with errors only" keeps the rows with errors.
    await page.fill("#route-filter", "query-api companies")
    shown = await page.evaluate(COLUMN, 0)
    expected = [r for r in document["endpoints"]
                if r["service"] == "query-api" and "companies" in r["route"]]  # fmt: skip
    assert len(shown) == len(expected) > 0 and set(shown) == {"query-api"}
    assert await page.text_content("#route-shown") == f"{len(expected)} shown"
    await page.fill("#route-filter", "")
    await page.check("#route-errors")
    errors = _numbers(await page.evaluate(COLUMN, 4))
    assert len(errors) == sum(1 for r in document["endpoints"] if r["errors"])
    assert all(errors)
    await page.uncheck("#route-errors")
    assert len(await page.evaluate(COLUMN, 0)) == rows
    # The small screenshot is embedded and shows; the large one is a link.
    assert await page.evaluate(
        "() => Array.from(document.images).map((i) => i.naturalWidth)"
    ) == [160]  # fmt: skip
    assert await page.text_content("#outcome") == "failed"
    assert problems == [] and blocked == []


async def test_the_1_0_report_in_chromium(
    browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    page, problems, blocked = browser_page
    report = write_html(suite_contract(), tmp_path / "report-1.0.html", tmp_path)
    charts = await _open(page, report)
    assert sorted(chart["chart"] for chart in charts) == ["route-curve", "timeline"]
    assert "percentiles the contract kept" in await page.text_content("#route-note")
    await page.click("#route-table th:nth-child(4)")
    counts = _numbers(await page.evaluate(COLUMN, 3))
    assert counts == sorted(counts, reverse=True)
    assert problems == [] and blocked == []
    await page.screenshot(path=str(tmp_path / "report-1.0.png"))


async def test_a_request_outside_file_urls_would_be_caught(
    browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    """The guard of the browser tests works: a page that reaches out is seen doing it."""
    page, problems, blocked = browser_page
    reaching = tmp_path / "reaching.html"
    reaching.write_text('<img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    await page.goto(reaching.as_uri())
    await page.wait_for_load_state("load")
    assert blocked == ["http://127.0.0.1:9/x.png"]
    assert any("request failed" in problem for problem in problems)


# --- the report of a real run -------------------------------------------------------------
RUN_TESTS = """
async def test_items(items_client):
    assert (await items_client.get("/api/items")).status_code == 200

async def test_missing_item(items_client):
    response = await items_client.get("/api/items/00000000-0000-4000-c100-000000000009")
    assert response.status_code == 200, "item 9 is missing"
"""


def test_a_passing_and_a_failing_run_write_the_report(inner: Inner) -> None:
    inner.tests(test_inner=RUN_TESTS)
    passing = inner.run("--sandbox", "--sandbox-html", "-k", "test_items")
    assert passing.ret == 0
    report = inner.path / "inttest-report.html"
    html = report.read_text(encoding="utf-8")
    doc = inner.results()
    assert f"<code>{doc['run_id']}</code>" in html and 'id="outcome">passed<' in html
    assert "/api/items" in html
    passing.stdout.fnmatch_lines(
        [f"results: {inner.results_path}", f"report: {report}"], consecutive=True
    )
    failing = inner.run("--sandbox", "--sandbox-html=out/run.html")
    assert failing.ret == 1
    html = (inner.path / "out" / "run.html").read_text(encoding="utf-8")
    assert 'id="outcome">failed<' in html
    assert "test_inner.py::test_missing_item" in html and "item 9 is missing" in html
    failing.stdout.fnmatch_lines(
        [f"results: {inner.results_path}", "report: */out/run.html"], consecutive=True
    )
    inner.assert_clean()


def test_an_infrastructure_error_writes_the_report(inner: Inner) -> None:
    inner.configure(binaries={"postgres": str(inner.path / "none" / "postgres")}, html=True)
    inner.tests(test_inner=RUN_TESTS)
    result = inner.run("--sandbox")
    assert result.ret == 2
    html = (inner.path / "inttest-report.html").read_text(encoding="utf-8")
    assert 'id="outcome">infra_error<' in html and "Infrastructure error in provisioning" in html
    inner.assert_clean()


def test_reports_are_quick_to_render_at_the_size_of_this_suite() -> None:
    """Not a timing: the benchmark measures that. The page of 150 routes stays small."""
    html = render_html(scaled(schema_2(suite_contract()), 150))
    assert html.count("<tr data-index=") == 150
    assert len(html.encode()) < 1_500_000


def test_an_empty_histogram_and_no_sections_at_all_render() -> None:
    empty = HdrHistogram(1, 60_000_000, 3).encode().decode("ascii")
    document = {
        "schema_version": "2.0", "run_id": "none", "outcome": "infra_error",
        "tests": {}, "stages": {"deploy": {"status": "not_run", "seconds": None}},
        "endpoints": [{"service": "s", "method": "GET", "route": "/", "count": 0, "errors": 0,
                       "histogram": empty}],
    }  # fmt: skip
    html = render_html(document)
    assert "No memory was sampled" in html and "No load scenario ran" in html
    assert prepare(document)["endpoints"]["distributions"][0]["count"] == 0
    assert png(2, 2).startswith(b"\x89PNG")
