"""WHO ICTRP CSV export: one row per trial, the search-portal fields as columns.

Column names are the XML export's element names with spaces for underscores
(``Last Refreshed on``, ``Date enrollement``); rows are mapped by
:func:`kg.readers.ictrp_common.trial_from_fields`.  A row with the wrong
number of cells is kept, with the reason, as its own record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..model import RawRecord
from .ictrp_common import clean, trial_from_fields

FORMAT = "ictrp-csv"
MAPPING = "ictrp"


def detect(head: bytes, name: str) -> bool:
    """A CSV whose header starts with ``TrialID`` and names ICTRP columns."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return first.lstrip(b'"').startswith(b"TrialID") and (b"Public title" in first or b"Public_title" in first)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older exports were written in the Windows code page


def _row_bytes(header: list[str], row: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield every row of the file as a RawRecord carrying its Trial, or its error."""
    try:
        rows = csv.reader(io.StringIO(_decode(data), newline=""))
        header = next(rows, None)
    except csv.Error as exc:
        yield RawRecord(source, 0, data, error=f"not readable as CSV: {exc}")
        return
    if not header or clean(header[0]) != "TrialID":
        yield RawRecord(source, 0, data, error="CSV header does not start with TrialID")
        return
    names = [clean(h).replace(" ", "_") for h in header]
    index = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader goes on with the next line
            yield RawRecord(source, index, b"", error=f"row cannot be read as CSV: {exc}")
            index += 1
            continue
        if not any(cell.strip() for cell in row):
            continue
        raw = _row_bytes(header, row)
        record_id = clean(row[0])
        if len(row) != len(header):
            yield RawRecord(source, index, raw, record_id,
                            error=f"row has {len(row)} cells, the header names {len(header)}")
        elif not record_id:
            yield RawRecord(source, index, raw, error="record has no TrialID", field="TrialID")
        else:
            try:
                yield RawRecord(source, index, raw, record_id, trial_from_fields(dict(zip(names, row)), FORMAT, source))
            except ValueError as exc:
                yield RawRecord(source, index, raw, record_id, error=str(exc), field="TrialID")
        index += 1


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty column of the rows in a file (the header's own names), for coverage."""
    try:
        rows = csv.reader(io.StringIO(_decode(data), newline=""))
        header = [clean(h) for h in next(rows, [])]
        for row in rows:
            yield from (name for name, cell in zip(header, row) if cell.strip())
    except csv.Error as exc:
        raise ValueError(f"not readable as CSV: {exc}") from exc
