"""`render_html`: the report page of a contract, one self-contained HTML text (a pure function).

Chart.js (vendored, see `vendor/`) and the page's own script and style are inlined, the chart
data travels as JSON in the page: the file opens offline and makes no request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from pytest_stonks_sandbox._report.view import Assets, prepare

TEMPLATE = "report.html.j2"


@cache
def _package_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ms"] = lambda v: "-" if v is None else f"{float(v):.2f}"
    env.filters["seconds"] = lambda v: "-" if v is None else f"{float(v):.2f}"
    env.filters["pct"] = lambda v: "-" if v is None else f"{float(v):.1%}"
    env.filters["num"] = lambda v, d=2: "-" if v is None else f"{float(v):.{d}f}"
    return env


def _script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element (no "</" and no HTML comment openers)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_data(view: Mapping[str, Any]) -> dict[str, Any]:
    """What the page's script draws: the timeline, each route's distribution, memory, load, gate."""
    endpoints = view["endpoints"]
    return {
        "timeline": view["timeline"],
        "routes": [
            {"name": f"{r['service']} {r['method']} {r['route']}", **d}
            for r, d in zip(endpoints["rows"], endpoints["distributions"], strict=True)
        ],
        "memory": view["memory"]["series"],
        "load": [
            {
                "name": s.get("name", ""),
                "interval_s": s.get("interval_s"),
                "intervals": s["intervals"],
            }
            for s in view["load"]
            if s.get("intervals")
        ],
        "gate": view["gate"]["chart"] if view["gate"] else None,
    }


def render_html(document: Mapping[str, Any], assets: Assets | None = None) -> str:
    """The report of `document` (schema 1.0 or 2.0): every 2.0 section optional."""
    view = prepare(document, assets)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            view=view,
            data=_script_json(chart_data(view)),
            chartjs=_package_text("vendor/chart.umd.min.js"),
            chartjs_version=_package_text("vendor/chart.js.VERSION").strip(),
            script=_package_text("static/report.js"),
            style=_package_text("static/report.css"),
        )
    )
