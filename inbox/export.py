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

Times are ISO 8601 in UTC, as the database holds them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The staff's names for the stored columns; a column not listed keeps its own name.
HEADINGS = {
    "created_at": "Mottatt", "kind": "Type", "status": "Status", "name": "Navn", "company": "Firma",
    "email": "E-post", "phone": "Telefon", "message": "Melding", "article": "Artikkel", "page": "Side",
    "confirmed_at": "Bekreftet",
}
FORMULA = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # = + - @ and fullwidth ＝ ＋ － ＠
_LEADING = frozenset("\t\r\n")
_CELL_BREAKS = frozenset(';,\t\r\n"')  # where a reader that splits otherwise may start a new cell


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A whole file: headings, then one line per row with the *columns* in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(HEADINGS.get(column, column)) for column in columns])
    writer.writerows([cell(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def cell(value: Any) -> str:
    """The text of one cell: a time in ISO UTC, nothing for None, else the value made inert."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)  # SQLite's naive UTC
        return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
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
