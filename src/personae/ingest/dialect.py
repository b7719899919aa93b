"""How a text export is written: its encoding, its delimiter and where its header is.

Decided from the file's own bytes, never from its name or the machine's locale, because the
same shop's exports come from Excel on a German laptop (cp1252, ``;``, decimal commas),
from a web app (UTF-8), or from Excel's "Unicode Text" (UTF-16 with tabs):

- **Encoding**: a byte-order mark settles it (UTF-8, UTF-16 LE/BE, UTF-32). Without one,
  UTF-16 shows as NUL bytes in every other position. Otherwise the first
  :data:`SAMPLE_BYTES` are checked line by line: valid UTF-8 is UTF-8. Lines that are not
  UTF-8 mean a legacy single-byte encoding only when no line has a UTF-8 character and
  they are not a stray few (at least :data:`LEGACY_SHARE` of the lines) — a UTF-8 file with
  a few damaged records keeps its encoding and the damaged records go to quarantine. The
  legacy encoding is cp1252 (Windows' Western European code page, a superset of latin-1's
  printable characters), or latin-1 when a byte that cp1252 leaves undefined occurs.
- **Delimiter**: the candidate (``,`` ``;`` tab ``|``) that splits the sample's records
  into the same number of fields most consistently; a first line ``sep=;`` (Excel's hint)
  settles it. A decimal comma does not fool it: splitting on ``,`` then gives ragged rows.
- **Header row**: exports with a title or a date range above the table (common in XLSX and
  in report-style CSVs) have the header at the first row that is as wide as the rows under
  it. Lines above it are skipped and the decision is reported.

Every decision is a :class:`Decision` with its evidence, stored in ``ingest_decisions`` and
shown in the ingest report.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from personae.ingest.archives import read_head
from personae.ingest.errors import IngestError

SAMPLE_BYTES = 1 << 20  # bytes checked for the encoding (memory stays small: see test_streaming)
SNIFF_BYTES = 64 << 10  # of which the text sampled for the delimiter and the header
LEGACY_SHARE = 0.01  # share of sampled lines with non-UTF-8 bytes that makes a file legacy
DELIMITERS = (",", ";", "\t", "|")
_SNIFF_RECORDS = 200
_HEADER_SEARCH = 10  # the header is looked for among the first rows only
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)

# Python codec → how the report names it
LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32",
    "cp1252": "cp1252 (Windows Western European)",
    "latin-1": "latin-1 (ISO 8859-1)",
}

# What a source's ``encoding`` setting may say, and the codec each means.
ENCODING_NAMES = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-16be": "utf-16-be",
    "utf-32": "utf-32",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
}


ESCAPE_ERRORS = "personae-escape"


def _escape(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(ESCAPE_ERRORS, _escape)


@dataclass(frozen=True)
class Decision:
    """One thing decided about a file or one of its columns, and why.

    ``topic`` is ``encoding``, ``delimiter``, ``header``, ``sheet``, ``date_order``,
    ``decimal`` or ``excel_serial``; ``severity`` is ``info``, ``warning`` or ``error``
    (an error's rows went to quarantine). ``source_row`` is the record the decision rests
    on, when one does (so erasing that record's person also drops the decision).
    """

    topic: str
    decision: str
    evidence: str
    column: str | None = None
    field: str | None = None
    severity: str = "info"
    source_row: int | None = None

    def line(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return f"{where}{self.decision} — {self.evidence}"


@dataclass(frozen=True)
class Encoding:
    codec: str  # a Python codec name
    evidence: str
    declared: bool = False
    shown: str | None = None  # the report's name, when the codec's would mislead

    @property
    def label(self) -> str:
        return self.shown or LABELS.get(self.codec, self.codec)

    @property
    def errors(self) -> str:
        """Undecodable bytes become escapes (and their record goes to quarantine).

        Python's ``surrogateescape`` only escapes bytes above 0x7F, which suffices for the
        8-bit encodings; a damaged UTF-16 pair may hold lower bytes, hence our own handler.
        """
        if self.codec.startswith(("utf-8", "cp", "latin", "iso")):
            return "surrogateescape"
        return ESCAPE_ERRORS

    def decision(self) -> Decision:
        return Decision("encoding", self.label, self.evidence)


def _lines_of(sample: bytes, complete: bool) -> list[bytes]:
    lines = sample.split(b"\n")
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle of a character
    return [line for line in lines if line.strip()]


def detect_encoding(sample: bytes, complete: bool = True) -> Encoding:
    """The encoding of a text file from its first bytes (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "byte-order mark EF BB BF")
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Encoding("utf-32", "UTF-32 byte-order mark")
    if sample.startswith(codecs.BOM_UTF16_LE):
        return Encoding("utf-16", "byte-order mark FF FE (little-endian)")
    if sample.startswith(codecs.BOM_UTF16_BE):
        return Encoding("utf-16", "byte-order mark FE FF (big-endian)")
    head = sample[:4096]
    pairs = len(head) // 2
    if pairs >= 2:
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        if odd >= 0.3 * pairs and even <= 0.02 * pairs:
            return Encoding("utf-16-le", f"no byte-order mark; NUL in {odd} of {pairs} odd bytes")
        if even >= 0.3 * pairs and odd <= 0.02 * pairs:
            return Encoding("utf-16-be", f"no byte-order mark; NUL in {even} of {pairs} even bytes")
    lines = _lines_of(sample, complete)
    utf8 = legacy = 0
    undefined = False
    first_bad = None
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            legacy += 1
            first_bad = first_bad or number
            undefined = undefined or not _CP1252_UNDEFINED.isdisjoint(line)
    scope = "the file" if complete else f"the first {max(1, len(sample) >> 20)} MiB"
    if not legacy:
        if not utf8:
            return Encoding("utf-8", f"only ASCII characters in {scope}")
        return Encoding("utf-8", f"{utf8:,} lines with UTF-8 characters, all valid")
    if utf8 or legacy < LEGACY_SHARE * len(lines):
        return Encoding(
            "utf-8",
            f"{legacy:,} of {len(lines):,} lines in {scope} have bytes that are not UTF-8 "
            f"(first: line {first_bad}), too few for another encoding"
            + (f" and {utf8:,} lines have UTF-8 characters" if utf8 else "")
            + '; those records are quarantined (set encoding = "cp1252" for the source if '
            "the whole file is cp1252)",
        )
    codec = "latin-1" if undefined else "cp1252"
    why = "a byte cp1252 leaves undefined occurs" if undefined else "no line has a UTF-8 character"
    return Encoding(
        codec,
        f"{legacy:,} of {len(lines):,} lines in {scope} have bytes that are not UTF-8 and {why}",
    )


def declared_encoding(path: Path, name: str) -> Encoding:
    codec = ENCODING_NAMES.get(name.strip().lower())
    if codec is None:
        raise IngestError(
            path,
            f"unknown encoding {name!r}",
            "use one of: " + ", ".join(sorted({k for k in ENCODING_NAMES if "_" not in k})),
        )
    shown = "UTF-8" if codec == "utf-8-sig" else None  # a BOM is skipped if there is one
    return Encoding(codec, "set for the source (encoding = ...)", declared=True, shown=shown)


def decode_sample(sample: bytes, encoding: Encoding) -> str:
    """The sample as text; a character cut at the end of the sample is left out."""
    decoder = codecs.getincrementaldecoder(encoding.codec)(encoding.errors)
    return decoder.decode(sample, final=False)


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            out.append(fields)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def sniff_delimiter(text: str, complete: bool = True) -> tuple[str, str]:
    """The delimiter of a CSV sample and why (see the module docstring)."""
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    best: tuple[tuple[bool, float, int], str, str] | None = None
    for d in DELIMITERS:
        records = _records(text, d, _SNIFF_RECORDS)
        if not records:
            continue
        widths = Counter(len(r) for r in records)
        width, n = widths.most_common(1)[0]
        share = n / len(records)
        score = (width > 1, round(share, 3), width)
        name = {"\t": "tab", "|": "'|'"}.get(d, repr(d))
        why = f"{name} splits {n} of {len(records)} sampled records into {width} fields"
        if best is None or score > best[0]:
            best = (score, d, why)
    if best is None or not best[0][0]:
        return ",", "one column only: no delimiter found"
    return best[1], best[2]


_NUMBERISH = re.compile(r"^[\s\d.,:/+-]+$")


def _filled(row: Sequence[str | None]) -> int:
    return sum(1 for c in row if c is not None and c.strip())


def find_header(rows: Sequence[Sequence[str | None]]) -> int:
    """Index of the header among the first rows of a table.

    A row below the first is the header only when every row above it is at most half as
    wide (a title, a date range, an "exported by" line), none of its cells is a number or a
    date, and most of the rows under it have as many fields and at least half as many
    filled. Otherwise the first row is the header, as it is in most exports (rows of another
    width are then quarantined as they always were).
    """
    for i in range(1, min(_HEADER_SEARCH, len(rows))):
        w = _filled(rows[i])
        if w < 2 or any(_filled(rows[j]) * 2 > w for j in range(i)):
            continue
        cells = [c for c in rows[i] if c is not None and c.strip()]
        if any(_NUMBERISH.match(c) for c in cells):
            continue
        below = rows[i + 1 : i + 21]
        like = sum(
            1 for r in below if len(r) == len(rows[i]) and _filled(r) * 2 >= w and _filled(r) >= 2
        )
        if below and like * 2 > len(below):
            return i
    return 0


@dataclass(frozen=True)
class CsvDialect:
    """What the CSV reader needs to know before it reads the first record."""

    encoding: Encoding
    delimiter: str
    delimiter_evidence: str
    skip_records: int = 0  # records above the header (titles, ``sep=;``)
    skipped: tuple[str, ...] = ()

    def decisions(self) -> list[Decision]:
        out = [self.encoding.decision()]
        name = {"\t": "tab", "|": "|"}.get(self.delimiter, self.delimiter)
        out.append(Decision("delimiter", name, self.delimiter_evidence))
        if self.skip_records:
            shown = "; ".join(s[:40] for s in self.skipped[:3])
            out.append(
                Decision(
                    "header",
                    f"record {self.skip_records + 1}",
                    f"{self.skip_records} line(s) above the header skipped ({shown})",
                )
            )
        return out


def sniff_csv(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> CsvDialect:
    """Read the head of a CSV file and decide how to read the rest."""
    sample, complete = read_head(path, SAMPLE_BYTES)
    enc = declared_encoding(path, encoding) if encoding else detect_encoding(sample, complete)
    complete = complete and len(sample) <= SNIFF_BYTES
    text = decode_sample(sample[:SNIFF_BYTES], enc)
    del sample
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0].rstrip("\r")
    sep = _SEP_LINE.match(first)
    preamble = 0
    if delimiter:
        delim, why = delimiter, "set for the source (delimiter = ...)"
    elif sep:
        delim, why = sep.group(1), f"first line {first.strip()!r} (Excel's delimiter hint)"
    else:
        delim, why = sniff_delimiter(text, complete)
    records = _records(text, delim, 40)
    if sep and records:
        preamble = 1
        records = records[1:]
    found = find_header(records) if records else 0
    skipped = ([first.strip()] if sep else []) + [delim.join(r) for r in records[:found]]
    return CsvDialect(enc, delim, why, preamble + found, tuple(skipped))
