"""Tiny frontend pages of the plugin tests' app, one per way a page check can fail.

`/pages/<name>` is a page; `/gateway/items/...` is its same-origin gateway (served by the app
itself: the items are in this process). Every page fetches the items, renders them with
`data-field="name"`, then sets `<html data-state="ready">`.
"""

from __future__ import annotations

import json

ITEMS = ["alpha", "beta", "gamma"]
SHELL = """<!doctype html>
<html lang="en" data-state="{state}"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>{title}</h1><ul id="items"></ul>{extra}</main>
<script type="module">
{script}
</script></body></html>
"""
RENDER = """
{before}
const answer = await fetch("{url}");
const items = await answer.json();
const list = document.getElementById("items");
for (const item of items) {{
  const li = document.createElement("li");
  li.dataset.field = "{field}";
  li.textContent = item.name;
  list.append(li);
}}
{after}
document.documentElement.dataset.state = "ready";
"""
PAGES = {
    "clean": {},
    # starts as "loading" and fetches after a pause: settled only once it says "ready"
    "loads-late": {"state": "loading", "before": "await new Promise(r => setTimeout(r, 400));"},
    "console-error": {"after": 'console.error("the chart library is missing");'},
    "failing-call": {"url": "/gateway/items/api/broken"},
    "missing-field": {"field": "label"},
    "axe-critical": {"extra": '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'},
    "never-settles": {"script": "/* never marks itself ready */"},
}


def page(name: str) -> tuple[int, str, bytes] | None:
    """(status, content type, body) of a page, or None when there is no such page."""
    spec = PAGES.get(name)
    if spec is None:
        return None
    script = spec.get("script") or RENDER.format(
        url=spec.get("url", "/gateway/items/api/items"),
        field=spec.get("field", "name"),
        after=spec.get("after", ""),
        before=spec.get("before", ""),
    )
    html = SHELL.format(
        title=f"page {name}", extra=spec.get("extra", ""), script=script,
        state=spec.get("state", ""),
    )  # fmt: skip
    return 200, "text/html; charset=utf-8", html.encode()


def gateway(path: str) -> tuple[int, str, bytes]:
    """The gateway's answer for `/gateway/items/<path>`."""
    if path == "/api/items":
        body = json.dumps([{"id": str(i), "name": name} for i, name in enumerate(ITEMS)])
        return 200, "application/json", body.encode()
    return 500, "application/json", b'{"detail": "the items store is down"}'
