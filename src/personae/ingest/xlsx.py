"""Read a spreadsheet (XLSX, and what else calamine reads: XLSM, XLSB, XLS, ODS) as records.

calamine (a maintained Rust reader, through python-calamine) returns typed cells: text,
numbers, booleans, and dates for cells formatted as dates (it applies the workbook's date
system, 1900 or 1904). Each cell becomes the text the rest of ingestion reads:

- a whole number without ``.0`` (``12``), other numbers in Python's shortest exact form
  (``12.5``, ``0.1``): the value Excel stored, not the rounding it displayed;
- a date cell as ISO 8601 (``2024-03-05`` or ``2024-03-05 14:30:00``), never ambiguous;
- a number in a column that is a date field is an *Excel serial* day number (a cell
  formatted "General"); :mod:`personae.ingest.columns` recognises those per column.

The first visible worksheet is read unless the source names one (``sheet = "Orders"``).
Rows above the header (a title, a date range) are skipped as in CSV
(:func:`personae.ingest.dialect.find_header`); blank rows are not records. A value right
of the header's last column sends its row to quarantine (``column_count``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from personae.ingest.archives import local_copy
from personae.ingest.dialect import Decision, find_header
from personae.ingest.errors import IngestError
from personae.ingest.readers import Batch, _BatchBuilder, _unique_headers

_HEAD_ROWS = 30


def cell_text(value: Any) -> str | None:
    """The text of one calamine cell (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds())
    return str(value)


def _open_workbook(path: Path, file: Path) -> Any:
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - a dependency of personae
        raise IngestError(
            path, "spreadsheets need python-calamine", "pip install python-calamine"
        ) from None
    try:
        return python_calamine.CalamineWorkbook.from_path(str(file))
    except python_calamine.PasswordError:
        raise IngestError(
            path, "the workbook is password-protected", "save a copy without a password"
        ) from None
    except Exception as exc:  # calamine's errors differ by format and version
        raise IngestError(
            path,
            f"cannot be read as a spreadsheet ({str(exc).splitlines()[0][:200]})",
            "check that the file is a complete workbook, or export the sheet as CSV",
        ) from None


def _pick_sheet(path: Path, book: Any, sheet: str | None) -> tuple[Any, Decision]:
    names: list[str] = list(book.sheet_names)
    if sheet is not None:
        if sheet not in names:
            raise IngestError(
                path,
                f"the workbook has no sheet {sheet!r} (sheets: {', '.join(map(repr, names))})",
                'correct sheet = "..." for the source',
            )
        return book.get_sheet_by_name(sheet), Decision("sheet", sheet, "set for the source")
    visible = [
        m.name
        for m in book.sheets_metadata
        if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
    ] or names
    if not visible:
        raise IngestError(path, "the workbook has no sheet", "export the data again")
    others = [n for n in names if n != visible[0]]
    why = "the first worksheet" + (
        f"; also in the workbook: {', '.join(map(repr, others[:5]))} "
        '(set sheet = "..." to read another)'
        if others
        else ""
    )
    return book.get_sheet_by_name(visible[0]), Decision("sheet", visible[0], why)


def read_xlsx(
    path: Path,
    *,
    sheet: str | None = None,
    batch_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
    notes: list[Decision] | None = None,
) -> Iterator[Batch]:
    """Yield batches of a worksheet's records (see the module docstring).

    calamine reads a sheet whole, so there is no byte progress to report along the way.
    """
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix or ".xlsx"
    with local_copy(path, suffix) as file:
        book = _open_workbook(path, file)
        try:
            yield from _read_sheet(path, book, sheet, batch_rows, notes)
        finally:
            book.close()


def _read_sheet(
    path: Path,
    book: Any,
    sheet: str | None,
    batch_rows: int,
    notes: list[Decision] | None,
) -> Iterator[Batch]:
    ws, chosen = _pick_sheet(path, book, sheet)
    rows = iter(ws.iter_rows())
    first_row = (ws.start or (0, 0))[0] + 1  # the sheet's row number of the first row read
    head: list[list[str | None]] = []
    numbers: list[int] = []
    for k, cells in enumerate(rows):
        texts = [cell_text(c) for c in cells]
        if any(t is not None and t.strip() for t in texts):
            head.append(texts)
            numbers.append(first_row + k)
        if len(head) >= _HEAD_ROWS:
            break
    if not head:
        raise IngestError(
            path,
            f"the sheet {chosen.decision!r} is empty (no header row, no data)",
            'export the data again, or set sheet = "..." to the sheet that holds it',
        )
    at = find_header(head)
    header_cells = head[at]
    last = max(i for i, t in enumerate(header_cells) if t is not None and t.strip())
    header = _unique_headers([t or "" for t in header_cells[: last + 1]])
    width = len(header)
    found = [chosen]
    if at:
        shown = "; ".join(" ".join(t for t in r if t)[:40] for r in head[:at][:3])
        found.append(
            Decision(
                "header",
                f"sheet row {numbers[at]}",
                f"{at} row(s) above the header skipped ({shown})",
            )
        )
    if notes is not None:
        notes.extend(found)
    builder = _BatchBuilder(header)
    record = 0

    def records() -> Iterator[list[str | None]]:
        yield from head[at + 1 :]
        for cells in rows:
            yield [cell_text(c) for c in cells]

    for texts in records():
        if not any(t is not None and t.strip() for t in texts):
            continue  # a blank row is not a record
        record += 1
        extra = [i for i, t in enumerate(texts[width:], start=width) if t is not None]
        if extra:
            builder.add_reject(
                record,
                "\t".join(t or "" for t in texts),
                "column_count",
                f"a value in column {_column_letter(extra[0])}, right of the header's last "
                f"column ({_column_letter(width - 1)}); give it a header or remove it",
            )
        else:
            values = texts[:width]
            values += [None] * (width - len(values))
            builder.add(record, values)
        if len(builder) >= batch_rows:
            yield builder.build()
    if len(builder) or record == 0:
        yield builder.build()


def _column_letter(index: int) -> str:
    """Excel's name of a 0-based column index (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name
