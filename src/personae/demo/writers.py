"""Streaming writers: every output file is appended chunk by chunk and never re-read.

Each sink counts its records so the truth can name ``(file, 1-based record number)``
without a second pass. CSV text is encoded with ``surrogateescape`` so a planted
``\\udce9`` becomes the raw latin-1 byte 0xE9 (the ``bad_encoding`` rows) while everything
else stays valid UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from json.encoder import encode_basestring  # the C-accelerated string quoter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from personae.demo.common import Rows

BATCH_LIMIT = 480_000  # bytes; Segment's batch endpoint rejects payloads over 500 KB


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class CsvSink:
    """A CSV file with a header; QUOTE_MINIMAL like most exports."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.name = path.name
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.count = 0
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(columns)
        self.fh.write(_encode(buf.getvalue()))

    def write(self, rows: Rows) -> list[tuple[str, int]]:
        faults = rows.faults

        def records():
            for i, row in enumerate(zip(*rows.data, strict=True)):
                f = faults.get(i)
                if f == "column_count+":
                    yield (*row, "EXTRA")
                elif f == "column_count-":
                    yield row[:-1]
                else:
                    yield row

        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(records())
        self.fh.write(_encode(buf.getvalue()))
        start = self.count
        self.count += len(rows)
        return [(self.name, start + i + 1) for i in range(len(rows))]

    def close(self) -> dict[str, int]:
        self.fh.close()
        return {self.name: self.count}


def _json_line(
    keys: list[str],
    raw: list[bool],
    row: tuple,
    fault: str | None,
    omit_none: bool,
    keep_null: frozenset[str],
) -> str:
    parts = []
    for k, r, v in zip(keys, raw, row, strict=True):
        if v is None and (r or omit_none) and k not in keep_null:
            continue
        if r:
            parts.append(f'"{k}":{v}')
        elif isinstance(v, str):
            parts.append(f'"{k}":{encode_basestring(v)}')
        else:
            parts.append(f'"{k}":{json.dumps(v)}')
    line = "{" + ",".join(parts) + "}"
    if fault == "bad_json":
        line = line[: max(5, len(line) // 2)]
    return line


class JsonlSink:
    """JSON Lines. ``keys`` are the JSON names; ``raw`` marks columns that already hold JSON
    text (nested objects), spliced in verbatim. With ``omit_none`` absent values are left
    out (Segment style) except the keys in ``keep_null``; otherwise they are ``null``."""

    def __init__(
        self,
        path: Path,
        keys: list[str],
        raw: list[bool] | None = None,
        omit_none: bool = False,
        keep_null: frozenset[str] = frozenset(),
    ) -> None:
        self.name = path.name
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.keys = keys
        self.raw = raw or [False] * len(keys)
        self.omit_none = omit_none
        self.keep_null = keep_null
        self.count = 0

    def lines(self, rows: Rows) -> list[str]:
        return [
            _json_line(self.keys, self.raw, row, rows.faults.get(i), self.omit_none, self.keep_null)
            for i, row in enumerate(zip(*rows.data, strict=True))
        ]

    def write(self, rows: Rows, lines: list[str] | None = None) -> list[tuple[str, int]]:
        if lines is None:
            lines = self.lines(rows)
        if lines:
            self.fh.write(_encode("\n".join(lines) + "\n"))
        start = self.count
        self.count += len(lines)
        return [(self.name, start + i + 1) for i in range(len(lines))]

    def close(self) -> dict[str, int]:
        self.fh.close()
        return {self.name: self.count}


class BatchSink:
    """Segment batch files ``events_batch_NNNN.json``, each ``{"batch": [...], "sentAt"}``
    and kept under 500 KB; a new file starts when the current one would overflow."""

    def __init__(self, out: Path, prefix: str = "events_batch_") -> None:
        self.out = out
        self.prefix = prefix
        self.index = 0
        self.fh = None
        self.size = 0
        self.count = 0
        self.sent = ""
        self.counts: dict[str, int] = {}

    def _open(self) -> None:
        self._close_current()
        self.index += 1
        self.name = f"{self.prefix}{self.index:04d}.json"
        self.fh = open(self.out / self.name, "wb")  # noqa: SIM115 - closed in _close_current
        self.fh.write(b'{"batch": [\n')
        self.size = 12
        self.count = 0
        self.sent = ""

    def _close_current(self) -> None:
        if self.fh is not None:
            self.fh.write(_encode(f'\n], "sentAt": "{self.sent}"}}\n'))
            self.fh.close()
            self.counts[self.name] = self.count
            self.fh = None

    def write_one(self, line: str, sent_at: str) -> tuple[str, int]:
        data = _encode(line)
        if self.fh is None or self.size + len(data) + 2 > BATCH_LIMIT:
            self._open()
        if self.count:
            self.fh.write(b",\n")
        self.fh.write(data)
        self.size += len(data) + 2
        self.count += 1
        self.sent = max(self.sent, sent_at or "")
        return self.name, self.count

    def close(self) -> dict[str, int]:
        self._close_current()
        return dict(self.counts)


class ParquetSink:
    """A Parquet file whose columns are all nullable strings.

    Dirty values (``two`` in a quantity) must survive, so Parquet carries text exactly as
    the CSV would; the ingester types it.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.name = path.name
        self.columns = columns
        self.schema = pa.schema([(c, pa.string()) for c in columns])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.count = 0

    def write(self, rows: Rows) -> list[tuple[str, int]]:
        arrays = []
        for col in rows.data:
            try:
                arr = pa.array(col, type=pa.string())
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                arr = pa.array([None if v is None else str(v) for v in col], type=pa.string())
            arrays.append(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        start = self.count
        self.count += len(rows)
        return [(self.name, start + i + 1) for i in range(len(rows))]

    def close(self) -> dict[str, int]:
        self.writer.close()
        return {self.name: self.count}


class TruthTable:
    """A truth table written as CSV or Parquet (rows appended per chunk)."""

    def __init__(
        self, path: Path, columns: list[str], parquet: bool, int_columns: tuple[str, ...] = ()
    ) -> None:
        self.parquet = parquet
        self.columns = columns
        if parquet:
            self.schema = pa.schema(
                [(c, pa.int64() if c in int_columns else pa.string()) for c in columns]
            )
            self.writer = pq.ParquetWriter(
                path.with_suffix(".parquet"), self.schema, compression="zstd"
            )
        else:
            self.fh = open(  # noqa: SIM115 - kept open across chunks, closed in close()
                path.with_suffix(".csv"), "w", encoding="utf-8", newline=""
            )
            self.csv = csv.writer(self.fh, lineterminator="\n")
            self.csv.writerow(columns)

    def write_columns(self, cols: list[list]) -> None:
        if not cols or not cols[0]:
            return
        if self.parquet:
            self.writer.write_table(
                pa.Table.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(cols, self.schema, strict=True)],
                    schema=self.schema,
                )
            )
        else:
            self.csv.writerows(zip(*cols, strict=True))

    def close(self) -> None:
        if self.parquet:
            self.writer.close()
        else:
            self.fh.close()
