"""The report's I/O: finding the files a contract points at, writing the page."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pytest_stonks_sandbox._report.render import render_html
from pytest_stonks_sandbox._report.view import Assets

DEFAULT_HTML = "inttest-report.html"
#: Screenshots up to this size are embedded as data URIs; larger ones are linked.
IMAGE_CAP = 256 * 1024
#: Embedded images in all, so that a run with many failed pages still gives a small file.
IMAGES_TOTAL_CAP = 4 * 1024 * 1024
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _referenced(document: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    """Every file path the contract names, with whether it is a screenshot to embed."""
    for page in document.get("pages") or []:
        for kind, path in (page.get("artifacts") or {}).items():
            if path:
                yield str(path), kind == "screenshot"
    for failure in document.get("failures") or []:
        logs = failure.get("logs")
        if isinstance(logs, Mapping) and logs.get("full_logs"):
            yield str(logs["full_logs"]), False
    bundle = (document.get("artifacts") or {}).get("bundle")
    if bundle:
        yield str(bundle), False


def _href(target: Path, out_dir: Path) -> str:
    try:
        return quote(Path(os.path.relpath(target, out_dir)).as_posix())
    except ValueError:  # another drive: no relative path
        return target.as_uri()


def collect_assets(
    document: Mapping[str, Any],
    contract_dir: Path,
    out_dir: Path,
    image_cap: int = IMAGE_CAP,
    images_total_cap: int = IMAGES_TOTAL_CAP,
) -> Assets:
    """Links relative to the page for every file the contract names (relative paths are taken
    from the contract's directory), and small screenshots as data URIs."""
    images: dict[str, str] = {}
    sizes: dict[str, int] = {}
    hrefs: dict[str, str] = {}
    embedded = 0
    for path, is_screenshot in _referenced(document):
        target = Path(path) if Path(path).is_absolute() else contract_dir / path
        hrefs[path] = _href(target.resolve(), out_dir.resolve())
        if not target.is_file():
            continue
        size = sizes[path] = target.stat().st_size
        mime = IMAGE_TYPES.get(target.suffix.lower())
        if is_screenshot and mime and size <= image_cap and embedded + size <= images_total_cap:
            encoded = base64.b64encode(target.read_bytes()).decode("ascii")
            images[path] = f"data:{mime};base64,{encoded}"
            embedded += size
    return Assets(images=images, sizes=sizes, hrefs=hrefs, image_cap=image_cap)


def write_html(document: Mapping[str, Any], out: Path, contract_dir: Path | None = None) -> Path:
    """Render the report of `document` into `out` atomically (temp file + rename)."""
    out = out.resolve()
    assets = collect_assets(document, contract_dir or out.parent, out.parent)
    html = render_html(document, assets)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
