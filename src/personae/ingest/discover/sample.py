"""Read the first rows of a file as text cells, the way ingest will read the whole of it.

Discovery judges a file from a sample: its header and up to ``limit`` records. The CSV and
JSON readers are the ingest's own (same delimiter sniffing, same header clean-up, same
record splitting), so a column discovery sees is a column ingest finds. JSON Lines and
Parquet are read here (ingest hands them to DuckDB whole); nested values become JSON
text, as ingest stores them.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from personae.engine import quote_ident, quote_literal
from personae.ingest.errors import IngestError
from personae.ingest.readers import detect_format, read_batches

DATA_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".jsonl",
    ".ndjson",
    ".json",
    ".parquet",
    ".pq",
    ".xlsx",
    ".xls",
    ".zip",
)


class SampleError(Exception):
    """The file cannot be read for discovery (unsupported, empty, damaged)."""


@dataclass
class Sample:
    """The header and the first records of a file, column by column, as text."""

    path: Path
    fmt: str
    columns: list[str]
    values: list[list[str | None]]  # one list per column, one cell per sampled record
    complete: bool  # the sample is the whole file
    rows_total: int | None = None  # when known cheaply (Parquet metadata, a whole file)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.values[0]) if self.values else 0

    def column(self, name: str) -> list[str | None]:
        return self.values[self.columns.index(name)]


def is_data_file(path: Path) -> bool:
    """A file whose name says it holds records (README.md and images are not looked at)."""
    name = path.name.lower().removesuffix(".gz")
    return not path.name.startswith(".") and name.endswith(DATA_SUFFIXES)


def _cell(value: Any) -> str | None:
    """A JSON value as ingest stores it: strings as they are, objects as JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value)


def _from_records(path: Path, fmt: str, records: list[dict[str, Any]], complete: bool) -> Sample:
    columns: dict[str, None] = {}
    for rec in records:
        columns.update(dict.fromkeys(k for k in rec if k != ""))
    names = list(columns)
    values = [[_cell(rec.get(k)) for rec in records] for k in names]
    total = len(records) if complete else None
    return Sample(path, fmt, names, values, complete, total)


def _sample_batches(path: Path, fmt: str, limit: int, delimiter: str | None) -> Sample:
    """CSV, JSON and spreadsheets through the ingest's own readers."""
    kwargs = {"delimiter": delimiter} if fmt == "csv" else {}
    batches = read_batches(path, fmt, batch_rows=limit, **kwargs)
    try:
        first = next(batches)
        complete = next(batches, None) is None
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    table = first.table
    good = [r is None for r in table.column("_reject").to_pylist()]
    values = []
    for i in range(len(first.columns)):
        cells = table.column(f"__s{i}").to_pylist()
        values.append([c for c, ok in zip(cells, good, strict=True) if ok])
    sample = Sample(path, fmt, first.columns, values, complete)
    bad = good.count(False)
    if bad:
        sample.notes.append(f"{bad} of the first {len(good)} records could not be split")
    if complete:
        sample.rows_total = len(good)
    return sample


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed (.gz; zip members where this version reads them)."""
    try:
        from personae.ingest.archives import open_binary
    except ImportError:  # pragma: no cover - older ingest without archive support
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        return opener(path, "rb")  # type: ignore[return-value]
    return open_binary(path)


def expand_archive(path: Path) -> list[Path]:
    """The data files inside a zip archive (as ``ARCHIVE.zip/MEMBER`` paths), or the path
    itself where archives are not read."""
    try:
        from personae.ingest.archives import archive_members
    except ImportError:  # pragma: no cover
        return [path]
    try:
        return archive_members(path)
    except IngestError:
        return [path]


def _sample_jsonl(path: Path, limit: int) -> Sample:
    records: list[dict[str, Any]] = []
    complete = True
    with _open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            if len(records) >= limit:
                complete = False
                break
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(obj, dict):
                records.append(obj)
    if not records:
        raise SampleError("no JSON object found in the first lines")
    return _from_records(path, "jsonl", records, complete)


def _sample_parquet(path: Path, limit: int) -> Sample:
    from personae.engine import connect

    con = connect()
    try:
        src = f"read_parquet({quote_literal(str(path))})"
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        names = [r[0] for r in described]
        # nested values (GA4's event_params) as JSON text, like ingest's JSON fields
        exprs = [
            f"CAST(to_json({quote_ident(n)}) AS VARCHAR)"
            if any(t in str(r[1]) for t in ("STRUCT", "[]", "MAP"))
            else f"CAST({quote_ident(n)} AS VARCHAR)"
            for n, r in zip(names, described, strict=True)
        ]
        rows = con.execute(f"SELECT {', '.join(exprs)} FROM {src} LIMIT {int(limit)}").fetchall()
        total = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
    except Exception as exc:
        raise SampleError(f"cannot be read as Parquet ({str(exc).splitlines()[0]})") from None
    finally:
        con.close()
    values = [[r[i] for r in rows] for i in range(len(names))]
    return Sample(path, "parquet", names, values, total <= limit, total)


def _sample_xlsx(path: Path, limit: int) -> Sample:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise SampleError("reading spreadsheets needs python-calamine") from None
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        grid = sheet.to_python(nrows=limit + 1)
    except Exception as exc:
        raise SampleError(f"cannot be read as a spreadsheet ({exc})") from None
    if not grid:
        raise SampleError("the first sheet is empty")
    header = [str(h).strip() or f"column_{i + 1}" for i, h in enumerate(grid[0])]
    body = grid[1:]
    values = [[_xlsx_cell(r[i]) if i < len(r) else None for r in body] for i in range(len(header))]
    return Sample(path, "xlsx", header, values, len(body) < limit)


def _xlsx_cell(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_sample(path: Path, *, limit: int = 2000, delimiter: str | None = None) -> Sample:
    """The header and first ``limit`` good records of ``path``; :class:`SampleError` when
    the file cannot be read (with the reason, for the review table)."""
    try:
        fmt = detect_format(path)
    except IngestError as exc:
        suffix = path.name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
        if suffix == "xlsx":
            fmt = "xlsx"  # readable here even where this version's ingest has no reader
        else:
            raise SampleError(exc.problem) from None
    try:
        if fmt == "jsonl":
            return _sample_jsonl(path, limit)
        if fmt == "parquet":
            return _sample_parquet(path, limit)
        try:
            return _sample_batches(path, fmt, limit, delimiter)
        except ValueError:  # no ingest reader for it in this version
            if fmt == "xlsx":
                return _sample_xlsx(path, limit)
            raise
    except IngestError as exc:
        raise SampleError(exc.problem) from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise SampleError(f"cannot be read ({exc})") from None
    raise SampleError(f"no sampler for the {fmt} format")
