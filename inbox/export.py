"""CSV for the staff's spreadsheets: the dialect Norwegian Excel opens, and no cell that runs as a formula. Pure.

Excel in a Norwegian locale splits a CSV at ``;`` and reads UTF-8 only after
a byte order mark; lines end in CRLF and every field is quoted. Quoting keeps
``Ola;=1+1`` in one cell for a reader that honours it, but the file may meet
one that does not: a naive split, LibreOffice's import with ``,`` ticked, an
Excel set to another list separator. So every place where some reader could
start a new cell is checked — the value's start, and after each ``;``, ``,``,
tab, quote, CR or LF — and when, past spaces (which LibreOffice may trim), a
formula character follows (``= + - @`` or their fullwidth forms, which
Japanese Excel takes as well), a ``'`` goes in front of it. A value that starts
with a tab, CR or LF also gets a leading ``'`` (OWASP's list).

Times are ISO 8601 in Norwegian time with their offset (``2026-11-27T11:05:00+01:00``), as the staff page
shows them; coded values (a lead's kind and status) are written as the staff page names them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from .messages import CSV_HEADINGS, CSV_LABELS

OSLO = ZoneInfo("Europe/Oslo")  # staff read times in Norwegian time (tzdata is pinned for machines without it)
FORMULA = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # = + - @ and fullwidth ＝ ＋ － ＠
_LEADING = frozenset("\t\r\n")
_CELL_BREAKS = frozenset(';,\t\r\n"')  # where a reader that splits otherwise may start a new cell


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A whole file: headings (messages.CSV_HEADINGS), then one line per row with the *columns* in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(CSV_HEADINGS.get(column, column)) for column in columns])
    writer.writerows([cell(_label(column, row.get(column))) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _label(column: str, value: Any) -> Any:
    """A coded value as staff read it («booking» is «Møte»); an unknown code stays as stored."""
    return CSV_LABELS.get(column, {}).get(value, value) if isinstance(value, str) else value


def cell(value: Any) -> str:
    """The text of one cell: a time in ISO Oslo time with its offset, nothing for None, else the value made inert."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)  # SQLite's naive UTC
        return moment.astimezone(OSLO).isoformat(timespec="seconds")
    return neutralise("" if value is None else str(value))


def neutralise(text: str) -> str:
    """*text* with a ``'`` before every formula character that could begin a cell, however the line is split."""
    out = ["'"] if text[:1] and text[0] in _LEADING else []
    starting = True  # at the start of a possible cell, before anything but spaces
    for char in text:
        if starting and char in FORMULA:
            out.append("'")
            starting = False
        elif char in _CELL_BREAKS:
            starting = True
        elif not char.isspace():
            starting = False
        out.append(char)
    return "".join(out)
