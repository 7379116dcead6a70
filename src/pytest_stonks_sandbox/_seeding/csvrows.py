"""Seed CSV files read by PostgreSQL's own CSV rules, in Python.

PostgreSQL's COPY ... (FORMAT csv) tells an unquoted empty field (NULL) from a quoted one (the
empty string), which Python's csv module does not. `data_rows` splits a file the way COPY with
HEADER does: the first line is skipped, fields are separated by commas, quoted with double
quotes (doubled inside), and may span lines when quoted.
"""

from __future__ import annotations


class NotPlain(ValueError):
    """The file is something COPY must judge itself (bad quoting, an end-of-data marker)."""


def data_rows(text: str) -> list[list[str | None]]:
    """The data rows of a seed file (header skipped); None stands for NULL."""
    rows = _rows(text)
    return rows[1:]


def _rows(text: str) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    field: list[str] = []
    quoted = in_quotes = False
    at_line_start = True
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if in_quotes:
            if char == '"':
                if i + 1 < size and text[i + 1] == '"':
                    field.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                field.append(char)
        elif char == '"':
            if field:  # a quote inside an unquoted field: leave it to COPY
                raise NotPlain("a quote inside an unquoted field")
            quoted = in_quotes = True
        elif char == ",":
            row.append(_value(field, quoted))
            field, quoted = [], False
        elif char in "\r\n":
            if char == "\r" and i + 1 < size and text[i + 1] == "\n":
                i += 1
            row.append(_value(field, quoted))
            if at_line_start and row == [None]:
                raise NotPlain("an empty line")
            rows.append(_checked(row))
            row, field, quoted = [], [], False
            at_line_start = True
            i += 1
            continue
        else:
            field.append(char)
        at_line_start = False
        i += 1
    if in_quotes:
        raise NotPlain("an unterminated quoted field")
    if field or quoted or row:
        row.append(_value(field, quoted))
        rows.append(_checked(row))
    return rows


def _value(field: list[str], quoted: bool) -> str | None:
    if not field and not quoted:
        return None
    return "".join(field)


def _checked(row: list[str | None]) -> list[str | None]:
    if row == ["\\."]:  # COPY's end-of-data marker
        raise NotPlain("an end-of-data marker")
    return row
