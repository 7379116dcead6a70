"""The seed CSV reader: PostgreSQL's COPY CSV rules (NULL vs. empty string, quoting)."""

from __future__ import annotations

import pytest

from pytest_stonks_sandbox._seeding.csvrows import NotPlain, data_rows


def test_header_is_skipped_and_empty_fields_are_null_unless_quoted() -> None:
    assert data_rows('a,b,c\n1,,""\n,x,\n') == [["1", None, ""], [None, "x", None]]


def test_quotes_commas_newlines_and_crlf() -> None:
    text = 'a,b\r\n"x,y","say ""hi""\nagain"\r\nlast,"q"tail'
    assert data_rows(text) == [["x,y", 'say "hi"\nagain'], ["last", "qtail"]]


def test_a_file_without_a_final_newline_keeps_its_last_row() -> None:
    assert data_rows("a\n1\n2") == [["1"], ["2"]]
    assert data_rows("a\n") == []


@pytest.mark.parametrize(
    "text",
    ['a\n"open\n', 'a\nx"y\n', "a,b\n1,2\n\n3,4\n", "a\n\\.\n"],
    ids=["unterminated quote", "quote inside a field", "empty line", "end-of-data marker"],
)
def test_what_copy_must_judge_itself_is_refused(text: str) -> None:
    with pytest.raises(NotPlain):
        data_rows(text)
