"""`{placeholder}` templates: names with a colon (service URLs), literal braces, unknown names."""

from __future__ import annotations

import pytest

from pytest_stonks_sandbox import ConfigError
from pytest_stonks_sandbox._settings.placeholders import render, render_table

VALUES = {"port": "8123", "url:query-api": "http://127.0.0.1:9001", "python": "/usr/bin/python3"}


def test_service_url_placeholders_and_literal_braces() -> None:
    assert render("{url:query-api}/api", VALUES, "w") == "http://127.0.0.1:9001/api"
    assert render("{python} -c 'print({{1: 2}})' {port}", VALUES, "w") == (
        "/usr/bin/python3 -c 'print({1: 2})' 8123"
    )
    assert render_table({"A": "{port}", "B": "plain"}, VALUES, "w") == {"A": "8123", "B": "plain"}


def test_an_unknown_placeholder_names_itself_the_place_and_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        render("{url:nope}", VALUES, "[tool.stonks-sandbox.services.frontend.env]")
    text = caught.value.explain()
    assert "[tool.stonks-sandbox.services.frontend.env]" in text
    assert "unknown placeholder {url:nope}" in text
    assert "{url:query-api}" in text and "{port}" in text
