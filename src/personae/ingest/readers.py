"""Streaming readers: turn a file into batches of text cells, catching structural damage.

A reader only splits records; it does not judge values. Records that cannot even be split
(non-UTF-8 bytes, a broken JSON line, the wrong number of CSV fields) come out marked with a
reason and their raw text so they land in quarantine. Everything else is passed on as
strings (CSV, JSON) and typed by the SQL in :mod:`personae.ingest.validate`.

Record numbers (``_source_row``) are 1-based within the file, header excluded: the CSV
data record (a quoted field may span lines), the JSON Lines line, the index in a Segment
``batch`` array or in a document's ``data`` array. Parquet files are not read here: DuckDB
scans them directly; JSON Lines are split into lines here and parsed by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.ingest.archives import open_binary as _open_binary
from personae.ingest.dialect import CsvDialect, Decision, sniff_csv
from personae.ingest.errors import IngestError

FORMATS = ("csv", "jsonl", "json", "parquet", "xlsx")

ProgressFn = Callable[[int], None]


@dataclass
class Batch:
    """A batch of records: ``table`` holds ``_source_row``, ``_raw``, ``_reject``,
    ``_reject_detail`` and one string column ``__s<i>`` per entry of ``columns``."""

    columns: list[str]
    table: pa.Table


def detect_format(path: Path, declared: str = "auto") -> str:
    """Pick a reader from the declared format or the file name (``.csv.gz`` works too)."""
    if declared != "auto":
        if declared not in FORMATS:
            raise IngestError(
                path, f"unknown format {declared!r}", f"use one of: {', '.join(FORMATS)}"
            )
        return declared
    name = path.name.lower().removesuffix(".gz")
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    by_suffix = {
        "csv": "csv",
        "tsv": "csv",
        "txt": "csv",
        "jsonl": "jsonl",
        "ndjson": "jsonl",
        "json": "json",
        "parquet": "parquet",
        "pq": "parquet",
        # spreadsheets, read by calamine (Excel 2007+, 97-2003, binary, OpenDocument)
        "xlsx": "xlsx",
        "xlsm": "xlsx",
        "xlsb": "xlsx",
        "xls": "xlsx",
        "ods": "xlsx",
    }
    if suffix == "zip":
        raise IngestError(
            path,
            "is a zip archive, not one data file",
            "name the archive in a source's paths (each data file in it is ingested), "
            "or name a member as ARCHIVE.zip/MEMBER.csv",
        )
    if suffix not in by_suffix:
        raise IngestError(
            path,
            f"cannot tell the format from the file name (.{suffix})",
            "name it .csv, .jsonl, .json, .parquet or .xlsx, or set format = ... for the source",
        )
    if by_suffix[suffix] == "json" and _holds_json_lines(path):
        return "jsonl"  # bq extract and many APIs write JSON Lines under a .json name
    return by_suffix[suffix]


def _holds_json_lines(path: Path) -> bool:
    """True when a .json file's first line is a whole JSON object and more lines follow,
    which one JSON document (an array, a Segment batch, pretty-printed) never is."""
    try:
        with _open_binary(path, None) as fh:
            head = fh.read(1 << 20)
    except OSError:
        return False
    lines = [x for x in head.splitlines() if x.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes that were not UTF-8
        return False
    return True


def _visible(text: str) -> str:
    """Show undecodable bytes as ``\\xNN`` so the raw text can be stored and read."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # escapes of a UTF-16 file (see dialect.Encoding.errors)
        return (
            "".join(
                f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC00 <= ord(ch) <= 0xDCFF else ch for ch in text
            )
            .encode("utf-8", "backslashreplace")
            .decode("utf-8")
        )


class _BatchBuilder:
    """Collects records and emits Arrow batches of a bounded size.

    Records are kept row-wise and transposed once per batch (``zip(*rows)``), which is much
    cheaper in Python than appending every cell to its column.
    """

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self._empty: list[str | None] = [None] * len(columns)
        self._reset()

    def _reset(self) -> None:
        self.rows: list[int] = []
        self.raw: list[str | None] = []
        self.reject: list[str | None] = []
        self.detail: list[str | None] = []
        self.records: list[list[str | None]] = []
        self.any_reject = False

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: int, values: list[str | None]) -> None:
        self.rows.append(row)
        self.records.append(values)
        if self.any_reject:
            self.raw.append(None)
            self.reject.append(None)
            self.detail.append(None)

    def add_reject(self, row: int, raw: str, reason: str, detail: str) -> None:
        if not self.any_reject:
            self.any_reject = True
            n = len(self.rows)
            self.raw, self.reject, self.detail = [None] * n, [None] * n, [None] * n
        self.rows.append(row)
        self.records.append(self._empty)
        self.raw.append(raw)
        self.reject.append(reason)
        self.detail.append(detail)

    def build(self) -> Batch:
        n = len(self.rows)
        if not self.any_reject:
            self.raw = self.reject = self.detail = [None] * n
        data: dict[str, pa.Array] = {
            "_source_row": pa.array(self.rows, pa.int64()),
            "_raw": pa.array(self.raw, pa.string()),
            "_reject": pa.array(self.reject, pa.string()),
            "_reject_detail": pa.array(self.detail, pa.string()),
        }
        columns = list(zip(*self.records, strict=True)) if self.records else []
        for i in range(len(self.columns)):
            data[f"__s{i}"] = pa.array(columns[i] if columns else [], pa.string())
        batch = Batch(list(self.columns), pa.table(data))
        self._reset()
        return batch


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header):
        name = _visible(name).strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def read_csv(
    path: Path,
    *,
    batch_rows: int = 50_000,
    delimiter: str | None = None,
    progress: ProgressFn | None = None,
    encoding: str | None = None,
    dialect: CsvDialect | None = None,
    notes: list[Decision] | None = None,
) -> Iterator[Batch]:
    """Yield batches of CSV records; the header is the first non-blank record, or the first
    one under a title block (see :func:`personae.ingest.dialect.find_header`).

    The encoding and the delimiter are decided from the file's head by
    :func:`~personae.ingest.dialect.sniff_csv` unless given; the decisions are appended to
    ``notes``.
    """
    dialect = dialect or sniff_csv(path, encoding=encoding, delimiter=delimiter)
    if notes is not None:
        notes.extend(dialect.decisions())
    enc = dialect.encoding
    not_text = (
        f"the record contains bytes that are not {enc.label}; re-export the file as UTF-8"
        + ("" if enc.declared else ', or set encoding = "..." for the source')
    )
    with _open_binary(path, progress) as raw:
        text = io.TextIOWrapper(raw, encoding=enc.codec, errors=enc.errors, newline="")
        delim = dialect.delimiter
        reader = csv.reader(text, delimiter=delim, strict=False)
        header: list[str] | None = None
        skip = dialect.skip_records
        try:
            for fields in reader:
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # blank lines before the header
                if skip:
                    skip -= 1
                    continue
                header = fields
                break
        except UnicodeDecodeError as exc:
            raise IngestError(
                path,
                f"cannot be decoded as {enc.label} ({exc.reason})",
                "re-export the file as UTF-8",
            ) from None
        if header is None:
            raise IngestError(
                path,
                "the file is empty (no header row, no data)",
                "export the data again, with a header row naming the columns",
            )
        header = _unique_headers(header)
        width = len(header)
        builder = _BatchBuilder(header)
        record = 0
        try:
            for fields in reader:
                if not fields or (len(fields) == 1 and not fields[0].strip() and width > 1):
                    continue  # blank line: not a record
                record += 1
                joined = delim.join(fields)
                if not _is_utf8(joined):
                    builder.add_reject(record, _visible(joined), "bad_encoding", not_text)
                elif len(fields) != width:
                    builder.add_reject(
                        record,
                        joined,
                        "column_count",
                        f"expected {width} fields as in the header, found "
                        f"{len(fields)}; check for an unquoted delimiter",
                    )
                else:
                    builder.add(record, [f if f != "" else None for f in fields])
                if len(builder) >= batch_rows:
                    yield builder.build()
        except csv.Error as exc:
            raise IngestError(
                path,
                f"CSV syntax error near record {record + 1}: {exc}",
                "check the quoting around that record",
            ) from None
        except UnicodeDecodeError as exc:
            raise IngestError(
                path,
                f"cannot be decoded as {enc.label} near record {record + 1} ({exc.reason})",
                "re-export the file as UTF-8",
            ) from None
        if len(builder) or record == 0:
            yield builder.build()


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value)


class _JsonBatcher:
    """Collects JSON objects whose keys may differ from record to record."""

    def __init__(self) -> None:
        self.items: list[tuple[int, dict[str, Any] | None, str | None, str | None, str | None]] = []

    def __len__(self) -> int:
        return len(self.items)

    def add(self, row: int, obj: dict[str, Any]) -> None:
        self.items.append((row, obj, None, None, None))

    def add_reject(self, row: int, raw: str, reason: str, detail: str) -> None:
        self.items.append((row, None, raw, reason, detail))

    def build(self) -> Batch:
        columns: dict[str, None] = {}
        for _, obj, *_ in self.items:
            if obj:
                columns.update(dict.fromkeys(obj))
        builder = _BatchBuilder(list(columns))
        names = list(columns)
        for row, obj, raw, reason, detail in self.items:
            if obj is None:
                builder.add_reject(row, raw or "", reason or "bad_json", detail or "")
            else:
                builder.add(row, [_cell(obj.get(k)) for k in names])
        self.items = []
        return builder.build()


def read_json_lines(
    path: Path, *, batch_rows: int = 50_000, progress: ProgressFn | None = None
) -> Iterator[pa.Table]:
    """Yield batches of JSON Lines as text: ``_source_row``, ``_line``, ``_raw``, ``_reject``.

    Only the split into lines and the UTF-8 check happen in Python; parsing the JSON and
    flattening its top-level keys is done by DuckDB (see ``loader._stage_json_lines``), which
    is many times faster than ``json.loads`` plus re-encoding nested objects.
    """
    rows: list[int] = []
    lines: list[str | None] = []
    raw: list[str | None] = []
    seen_any = False

    def batch() -> pa.Table:
        return pa.table(
            {
                "_source_row": pa.array(rows, pa.int64()),
                "_line": pa.array(lines, pa.string()),
                "_raw": pa.array(raw, pa.string()),
            }
        )

    with _open_binary(path, progress) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
            if not line.strip():
                continue
            seen_any = True
            rows.append(line_no)
            try:
                lines.append(line.decode("utf-8").strip())
                raw.append(None)
            except UnicodeDecodeError:
                lines.append(None)
                raw.append(line.decode("utf-8", "backslashreplace").strip())
            if len(rows) >= batch_rows:
                yield batch()
                rows, lines, raw = [], [], []
    if not seen_any:
        raise IngestError(
            path,
            "the file is empty (no JSON lines)",
            "export the data again; each line should be one JSON object",
        )
    if rows:
        yield batch()


def json_error(text: str) -> str:
    """A readable reason why ``text`` is not one JSON object (for the few rejected lines)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            f"not valid JSON ({exc.msg}, column {exc.colno}); each line must be one "
            "complete JSON object"
        )
    return f"expected a JSON object, found {type(value).__name__}"


def _json_codec(data: bytes) -> str:
    """JSON is UTF-8 (RFC 8259); Windows tools still write a BOM, or UTF-16 with one."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


# the members of a JSON:API resource object (jsonapi.org, "Resource Objects")
_RESOURCE_MEMBERS = frozenset({"type", "id", "attributes", "relationships", "links", "meta"})


def _resource_record(obj: dict[str, Any]) -> dict[str, Any]:
    """A JSON:API resource object as one record: its ``attributes`` beside its ``type`` and
    ``id``, so the columns are the resource's own fields (App Store Connect's
    ``customerReviews`` give ``rating``, ``title``, ``body`` ...). Nothing is lost: the
    specification forbids attributes named type, id, relationships or links. Any other
    object is returned as it is."""
    attrs = obj.get("attributes")
    if not (
        isinstance(attrs, dict)
        and isinstance(obj.get("type"), str)
        and "id" in obj
        and obj.keys() <= _RESOURCE_MEMBERS
    ):
        return obj
    out = {"type": obj["type"], "id": obj["id"]}
    for key, value in attrs.items():
        out.setdefault(key, value)
    out.update((k, v) for k, v in obj.items() if k not in out and k != "attributes")
    return out


def read_json(
    path: Path, *, batch_rows: int = 50_000, progress: ProgressFn | None = None
) -> Iterator[Batch]:
    """Yield a Segment batch file (``{"batch": [...]}``), a document whose records are its
    ``data`` (a JSON:API document, an API's list page: ``{"data": [...], "links": ...,
    "meta": ...}``), or a JSON array of objects.

    Batch-level ``sentAt`` and ``context`` apply to every message that lacks its own, as in
    Segment's batch API. A document's paging ``links`` and ``meta`` describe the page, not
    a record, and are left out, as is JSON:API's ``included`` (related resources, not
    the records asked for). JSON:API resource objects are read with their attributes as
    columns (:func:`_resource_record`).
    """
    with _open_binary(path, progress) as raw:
        data = raw.read()
    if not data.strip():
        raise IngestError(path, "the file is empty", "export the data again")
    try:
        doc = json.loads(data.decode(_json_codec(data)))
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"not UTF-8 (byte {exc.start})", "re-export the file as UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise IngestError(
            path,
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "fix the file or export it as JSON Lines (one object per line)",
        ) from None
    defaults: dict[str, Any] = {}
    if isinstance(doc, dict) and isinstance(doc.get("batch"), list):
        messages = doc["batch"]
        defaults = {k: doc[k] for k in ("sentAt", "context") if k in doc}
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        messages = doc["data"]
    elif (
        isinstance(doc, dict) and isinstance(doc.get("data"), dict) and "attributes" in doc["data"]
    ):
        messages = [doc["data"]]  # a JSON:API document of one resource
    elif isinstance(doc, list):
        messages = doc
    elif isinstance(doc, dict):
        messages = [doc]
    else:
        raise IngestError(
            path,
            'expected a JSON object, an array of objects, a {"data": [...]} document or a '
            "Segment batch",
            'wrap records as {"batch": [...]} or use JSON Lines',
        )
    batcher = _JsonBatcher()
    for i, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            batcher.add_reject(
                i,
                _cell(message) or "",
                "bad_json",
                f"expected a JSON object, found {type(message).__name__}",
            )
        else:
            for key, value in defaults.items():
                message.setdefault(key, value)
            batcher.add(i, _resource_record(message))
        if len(batcher) >= batch_rows:
            yield batcher.build()
    if len(batcher) or not messages:
        yield batcher.build()


def read_batches(
    path: Path,
    fmt: str,
    *,
    batch_rows: int,
    delimiter: str | None = None,
    progress: ProgressFn | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    notes: list[Decision] | None = None,
) -> Iterator[Batch]:
    """Dispatch to the reader for ``fmt`` (JSON Lines and Parquet are staged by DuckDB).

    ``notes`` collects what the reader decided about the file (encoding, delimiter, header
    row, sheet) for the ingest report.
    """
    if fmt == "csv":
        return read_csv(
            path,
            batch_rows=batch_rows,
            delimiter=delimiter,
            progress=progress,
            encoding=encoding,
            notes=notes,
        )
    if fmt == "xlsx":
        from personae.ingest.xlsx import read_xlsx

        return read_xlsx(path, sheet=sheet, batch_rows=batch_rows, progress=progress, notes=notes)
    if fmt == "json":
        return read_json(path, batch_rows=batch_rows, progress=progress)
    raise ValueError(f"no batch reader for {fmt}")
