"""Frontend page checks in a real Chromium: each kind of broken page fails as what it is.

The tiny app (app/item_pages.py) serves one clean page and one page per way to fail; the inner
project's manifest declares them, the plugin collects them as items and checks them in the
frontend stage after the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import Inner

from pytest_stonks_sandbox._pages.manifest import ManifestError, parse_manifest

PAGE = """
[pages.{name}]
path = "/pages/{name}"
calls = ["{call}"]
fields = [{{ selector = "[data-field='name']", text = "beta" }}]
"""
BROKEN = {
    "console-error": "console error: the chart library is missing",
    "failing-call": "call items GET /api/broken answered 500",
    "missing-field": "key field [data-field='name'] is not on the page",
    "axe-critical": "accessibility: critical violation image-alt",
    "never-settles": "did not settle within 3 s",
}
TEST_FILE = """
async def test_items(items_client):
    assert (await items_client.get("/api/items")).status_code == 200
"""


def manifest(*names: str) -> str:
    text = 'service = "items"\ntimeout_s = 3\n'
    for name in names:
        call = "items GET /api/broken" if name == "failing-call" else "items GET /api/items"
        text += PAGE.format(name=name, call=call)
    return text


def pages_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["page"]: entry for entry in document["pages"]}


def test_each_broken_page_fails_as_what_it_is_and_a_clean_page_passes(inner: Inner) -> None:
    inner.configure(pages="pages.toml")
    (inner.path / "pages.toml").write_text(
        manifest("clean", "loads-late", *BROKEN), encoding="utf-8"
    )
    inner.tests(test_items=TEST_FILE)
    result = inner.run("--sandbox", "-rA")
    assert result.ret == 1, result.stdout.str()
    result.assert_outcomes(passed=3, failed=len(BROKEN))
    out = result.stdout.str()
    for name, problem in BROKEN.items():
        assert f"FAILED pages.toml::{name}" in out
        assert problem in out, name
    document = inner.results()
    pages = pages_by_name(document)
    assert list(pages) == ["clean", "loads-late", *BROKEN]  # manifest order
    # a page that starts as "loading" is checked once it says "ready", not before
    assert pages["loads-late"]["status"] == "passed", pages["loads-late"]["problems"]
    clean = pages["clean"]
    assert clean["status"] == "passed" and clean["problems"] == []
    assert [(c["service"], c["method"], c["route"], c["status"], c["nonempty"])
            for c in clean["calls"]] == [("items", "GET", "/api/items", 200, True)]  # fmt: skip
    assert all(clean["navigation"][key] > 0 for key in ("ttfb_ms", "load_ms"))
    assert clean["accessibility"]["critical"] == clean["accessibility"]["serious"] == 0
    assert clean["artifacts"] is None
    for name, problem in BROKEN.items():
        entry = pages[name]
        assert entry["status"] == "failed"
        assert any(problem in text for text in entry["problems"]), entry["problems"]
        for kind in ("screenshot", "console", "trace"):
            assert Path(entry["artifacts"][kind]).is_file(), (name, kind)
    assert pages["console-error"]["console_errors"] == ["the chart library is missing"]
    assert pages["axe-critical"]["accessibility"]["critical"] >= 1
    console_log = Path(pages["console-error"]["artifacts"]["console"]).read_text()
    assert "[error] the chart library is missing" in console_log
    # every request of the pages is timed into the run's histograms, like httpx requests
    routes = {(r["service"], r["method"], r["route"]): r for r in document["endpoints"]}
    assert routes[("items", "GET", "/api/items")]["count"] == 6  # 5 pages + the test
    assert routes[("items", "GET", "/api/broken")]["errors"] == 1
    assert routes[("items", "GET", "/pages/clean")]["count"] == 1
    # the browser's requests carry the page's trace: its failure holds its own server lines
    failures = {f["nodeid"]: f for f in document["failures"]}
    served = [json.loads(e["line"]) for e in failures["pages.toml::failing-call"]["logs"]["lines"]]
    assert {(line["path"], line["status"]) for line in served} == {
        ("/pages/failing-call", 200), ("/gateway/items/api/broken", 500),
    }  # fmt: skip
    stages = document["stages"]
    assert stages["frontend"]["status"] == "failed"
    assert stages["frontend"]["detail"] == f"7 pages, {len(BROKEN)} failed"
    assert stages["tests"]["status"] == "passed"
    inner.assert_clean()


def test_pages_are_selectable_with_k_and_run_under_xdist(inner: Inner) -> None:
    inner.configure(pages="pages.toml")
    (inner.path / "pages.toml").write_text(manifest("clean", "console-error"), encoding="utf-8")
    inner.tests(test_items=TEST_FILE)
    result = inner.run("--sandbox", "-k", "clean or items")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=2, deselected=1)
    assert [p["page"] for p in inner.results()["pages"]] == ["clean"]
    result = inner.run("--sandbox", "-n", "2")
    result.assert_outcomes(passed=2, failed=1)
    document = inner.results()
    assert {p["page"]: p["status"] for p in document["pages"]} == {
        "clean": "passed",
        "console-error": "failed",
    }
    (failure,) = document["failures"]  # a worker checked it; the controller sliced its lines
    served = {json.loads(entry["line"])["path"] for entry in failure["logs"]["lines"]}
    assert served == {"/pages/console-error", "/gateway/items/api/items"}  # checked, re-checked
    assert document["stages"]["frontend"]["status"] == "failed"
    inner.assert_clean()


def test_no_chromium_is_an_infrastructure_error_naming_binary_package_and_option(
    inner: Inner,
) -> None:
    inner.configure(pages="pages.toml")
    (inner.path / "pages.toml").write_text(manifest("clean"), encoding="utf-8")
    result = inner.run("--sandbox", "--sandbox-browser=/nonexistent/chromium")
    assert result.ret == 2
    out = result.stdout.str() + result.stderr.str()
    assert "/nonexistent/chromium" in out
    assert "apt-get install chromium" in out
    assert "--sandbox-browser" in out
    document = inner.results()
    assert document["outcome"] == "infra_error"
    assert document["infra_error"]["component"] == "browser"
    assert document["stages"]["deploy"]["status"] == "not_run"  # checked before deploying
    inner.assert_clean()


def test_a_broken_manifest_is_a_usage_error_naming_file_and_entry(inner: Inner) -> None:
    inner.configure(pages="pages.toml")
    broken = manifest("clean") + 'colour = "red"\n'
    (inner.path / "pages.toml").write_text(broken, encoding="utf-8")
    result = inner.run("--sandbox")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "pages.toml [pages.clean]" in err and "unknown keys: colour" in err


ROOT = Path("/p/pages.toml")
SERVICES = frozenset({"frontend", "query-api"})


def parse(text: str) -> Any:
    import tomllib

    return parse_manifest(tomllib.loads(text), ROOT, {"COMPANY_TSLA": "t-1"}, SERVICES)


def test_manifest_fills_seed_placeholders_and_reads_calls() -> None:
    result = parse(
        """
        [pages.company]
        path = "/companies/{COMPANY_TSLA}"
        calls = ["query-api GET /api/companies/{company_id}"]
        fields = [{ selector = "h1", text = "TSLA {COMPANY_TSLA}" }]
        allow = ["region"]
        """
    )
    page = result.page("company")
    assert (result.service, result.gateway, result.timeout_s) == (
        "frontend",
        "/gateway/{service}",
        15,
    )
    assert page.path == "/companies/t-1"
    assert str(page.calls[0]) == "query-api GET /api/companies/{company_id}"
    assert page.fields[0].text == "TSLA t-1"
    assert page.allow == {"region"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[pages.a]\npath = "/a"\nfields = [{selector = "h1"}]\n', "[pages.a]: has no calls"),
        (
            '[pages.a]\npath = "/a"\ncalls = ["query-api GET /x"]\nfields = [{selector = "h1"}]\n'
            '[pages.b]\npath = "/a"\ncalls = ["query-api GET /x"]\nfields = [{selector = "h1"}]\n',
            "[pages.b]: has the same path '/a' as [pages.a]",
        ),
        (
            '[pages.a]\npath = "/a"\ncalls = ["query-api GET /x"]\nfields = []\nextra = 1\n',
            "[pages.a]: has unknown keys: extra",
        ),
        (
            '[pages.a]\npath = "/a"\ncalls = ["nope GET /x"]\nfields = [{selector = "h1"}]\n',
            "unknown service 'nope'",
        ),
        (
            '[pages.a]\npath = "/a"\ncalls = ["query-api /x"]\nfields = [{selector = "h1"}]\n',
            "is not 'service METHOD /route'",
        ),
        (
            '[pages.a]\npath = "/{NOPE}"\ncalls = ["query-api GET /x"]\n'
            'fields = [{selector = "h1"}]\n',
            "unknown placeholders {NOPE}",
        ),
        ("timeout_s = 3\n", "declares no pages"),
    ],
)
def test_manifest_errors_name_the_file_and_the_entry(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse(text)
    assert message in caught.value.explain()
    assert str(ROOT) in caught.value.explain()
