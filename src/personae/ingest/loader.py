"""Load files of one source kind into ``raw_<kind>``, conserving every row.

For each file, in one transaction:

1. stage the records: a DuckDB view over Parquet, a temp table of text cells filled batch
   by batch from the streaming CSV/JSON readers, or JSON Lines split in Python and parsed
   by DuckDB;
2. check them (``_checks``, see :mod:`personae.ingest.validate`) and move the bad ones, with
   reason, column, detail and raw record, to ``quarantine``;
3. append the good ones that are new (not repeated earlier in the file, not already in the
   table) to ``raw_<kind>``, typed, with derived and lineage columns.

The ledger ``ingest_files`` records, per file, rows in = ingested + rejected + duplicates
+ erased, with the file's content hash and a hash of how it was read (:mod:`ledger`). The
same file read again with another mapping or settings (or with ``replace``) first loses
what its earlier reads wrote — records, quarantine rows, ledger entries — so a corrected
mapping leaves the workspace as if the file had been read right the first time.

*Erased* records carry an identifier of a person erased from the workspace (a
tombstone, see :mod:`personae.governance.tombstones`): they are dropped before anything is
written — quarantine included, which would otherwise keep their data.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
from personae.ingest.archives import archive_members, file_size, is_member, local_copy
from personae.ingest.columns import decide_columns
from personae.ingest.dialect import Decision
from personae.ingest.errors import IngestError
from personae.ingest.fill_down import check_fill_down, fill_down_stage
from personae.ingest.ledger import (
    content_hash,
    ensure_ledger_columns,
    previous_read,
    read_hash,
    remove_file_ingests,
    rows_read_otherwise,
    sources_of,
)
from personae.ingest.locale_evidence import UNDECIDED, locale_decisions
from personae.ingest.mapping import resolve_columns, unmapped_decisions
from personae.ingest.nested import compute_stage, computed_columns, preset_layout
from personae.ingest.parsers import install_phone
from personae.ingest.readers import detect_format, json_error, read_batches, read_json_lines
from personae.ingest.schema import ROW_KEYED, SourceKind
from personae.ingest.tables import raw_columns
from personae.ingest.wide import WideLayout, load_wide
from personae.locale.phones import calling_code_for

if TYPE_CHECKING:
    from personae.governance.pseudonyms import Pseudonymiser
    from personae.governance.tombstones import TombstoneGuard
from personae.ingest.validate import (
    ParseOptions,
    build_checks_sql,
    build_rejected_sql,
    build_rows_sql,
    reason_sql,
)

ProgressFn = Callable[[Path, int, int], None]


@dataclass
class FileReport:
    """What happened to one file."""

    kind: str
    path: str
    format: str
    rows_in: int = 0
    ingested: int = 0
    rejected: int = 0
    duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    bytes: int = 0
    source: str | None = None
    erased: int = 0  # records of erased people (tombstoned identifiers), dropped unread
    # how the file was read: encoding, delimiter, header row, sheet, and per column the
    # date order, decimal separator and Excel serial dates (see ingest/dialect.py, columns.py)
    decisions: list[Decision] = field(default_factory=list)
    # a wide survey export (ingest/wide.py): the rows above are respondents, and this many
    # answer rows were written from them
    answers: int | None = None
    # records (and quarantine rows) of earlier reads of this same file removed before this
    # read, because it is read differently now or ``replace`` was asked for (ingest/ledger.py)
    replaced: int = 0
    replaced_quarantined: int = 0
    # records earlier versions of the file (other content) wrote with another mapping or
    # settings: kept, and named in the command's output (``--replace`` replaces them)
    read_otherwise: int = 0
    # read from the command line, but declared sources ingested the same path: their rows
    # are theirs (fixed through their [sources.NAME.columns]), named in the output
    sources: list[str] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        return self.rows_in == self.ingested + self.rejected + self.duplicates + self.erased


@dataclass
class IngestReport:
    """What happened to every file of one ingest run."""

    run_id: str
    files: list[FileReport] = field(default_factory=list)
    report_path: Path | None = None  # reports/ingest.md, when written

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rows_in(self) -> int:
        return self._sum("rows_in")

    @property
    def ingested(self) -> int:
        return self._sum("ingested")

    @property
    def rejected(self) -> int:
        return self._sum("rejected")

    @property
    def duplicates(self) -> int:
        return self._sum("duplicates")

    @property
    def erased(self) -> int:
        return self._sum("erased")

    @property
    def replaced(self) -> int:
        return self._sum("replaced")

    @property
    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.reasons)
        return total


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, shown: Path | None = None
) -> tuple[list[str], list[str]]:
    """Stage a Parquet file as a view (``path`` a plain file; ``shown`` the name in errors)."""
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})").fetchall()
    except duckdb.Error as exc:
        path = shown or path
        if not path.exists():
            raise IngestError(path, "file not found", "check the path") from None
        first = str(exc).splitlines()[0]
        raise IngestError(
            path,
            f"cannot be read as Parquet ({first})",
            "check that the file is a complete Parquet file, or set its format",
        ) from None
    columns = [r[0] for r in described]
    types = [r[1] for r in described]
    cols = ", ".join(f"{q(c)} AS __s{i}" for i, c in enumerate(columns))
    con.execute(f"""CREATE OR REPLACE TEMP VIEW _stage_view AS
        SELECT file_row_number + 1 AS _source_row, CAST(NULL AS VARCHAR) AS _raw,
               CAST(NULL AS VARCHAR) AS _reject, CAST(NULL AS VARCHAR) AS _reject_detail
               {", " + cols if cols else ""}
        FROM read_parquet({lit(str(path))}, file_row_number = true)""")
    return columns, types


def _stage_batches(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    path: Path,
    fmt: str,
    explicit: Mapping[str, str],
    batch_rows: int,
    delimiter: str | None,
    source_name: str | None,
    on_bytes: Callable[[int], None],
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    notes: list[Decision] | None = None,
    computed: Sequence[str] = (),
) -> list[str]:
    """Append the reader's batches to a temp table ``_stage``; return the file's columns.

    JSON records may bring new keys in later batches: each new key becomes a new ``__s<i>``
    column, so the whole file is typed by one query (one plan) whatever its size.
    """
    columns: list[str] = []
    position: dict[str, int] = {}
    con.execute("""CREATE OR REPLACE TEMP TABLE _stage (_source_row BIGINT, _raw VARCHAR,
                   _reject VARCHAR, _reject_detail VARCHAR)""")
    for batch in read_batches(
        path,
        fmt,
        batch_rows=batch_rows,
        delimiter=delimiter,
        progress=on_bytes,
        encoding=encoding,
        sheet=sheet,
        notes=notes,
    ):
        if not columns and fmt in ("csv", "xlsx"):
            # Fail fast on a CSV whose header cannot provide the required fields.
            # (the preset's computed fields are added after staging, ingest/nested.py)
            resolve_columns(
                kind, [*batch.columns, *computed], explicit, path, source_name=source_name
            )
        renames = {}
        for i, name in enumerate(batch.columns):
            if name not in position:
                position[name] = len(columns)
                columns.append(name)
                con.execute(f"ALTER TABLE _stage ADD COLUMN __s{position[name]} VARCHAR")
            renames[f"__s{i}"] = f"__s{position[name]}"
        table = batch.table.rename_columns([renames.get(c, c) for c in batch.table.column_names])
        con.register("_batch", table)
        con.execute("INSERT INTO _stage BY NAME SELECT * FROM _batch")
        con.unregister("_batch")
    return columns


def _stage_json_lines(
    con: duckdb.DuckDBPyConnection, path: Path, batch_rows: int, on_bytes: Callable[[int], None]
) -> list[str]:
    """Stage a JSON Lines file as ``_stage``: one ``__s<i>`` text column per top-level key.

    Nested objects stay JSON text; strings are unquoted; ``null`` becomes NULL. A line that
    is not a JSON object is marked ``bad_json`` with the parser's own explanation.
    """
    return stage_json_tables(con, read_json_lines(path, batch_rows=batch_rows, progress=on_bytes))


def stage_json_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[pa.Table]) -> list[str]:
    """Stage JSON lines already split (``_source_row``, ``_line``, ``_raw``) as ``_stage``.

    Files come here through :func:`read_json_lines`; the tracking API's event log hands its
    lines over directly, so both are checked by the same rules.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _lines (_source_row BIGINT, _line VARCHAR, _raw VARCHAR)"
    )
    for table in tables:
        con.register("_batch", table)
        con.execute("INSERT INTO _lines SELECT * FROM _batch")
        con.unregister("_batch")
    con.execute("""CREATE OR REPLACE TEMP TABLE _objects AS
        SELECT _source_row, _line, _raw,
               CASE WHEN _line IS NULL THEN 'bad_encoding'
                    WHEN NOT json_valid(_line) THEN 'bad_json'
                    WHEN json_type(_line) <> 'OBJECT' THEN 'bad_json' END AS _reject
        FROM _lines""")
    con.execute("DROP TABLE _lines")
    # An empty key ("": 1) has no JSON path, so it cannot be staged: it is left out (the
    # rest of the record is kept). Keys that differ only in case stay separate columns.
    columns = [
        r[0]
        for r in con.execute("""
        SELECT key FROM (SELECT unnest(json_keys(_line)) AS key, _source_row
                         FROM _objects WHERE _reject IS NULL)
        WHERE key <> ''
        GROUP BY key ORDER BY min(_source_row), key""").fetchall()
    ]
    details = [
        (row, json_error(line))
        for row, line in con.execute(
            "SELECT _source_row, _line FROM _objects WHERE _reject = 'bad_json'"
        ).fetchall()
    ]
    paths = ", ".join(
        lit('$."' + c.replace("\\", "\\\\").replace('"', '\\"') + '"') for c in columns
    )
    unquote = (
        "lambda e: CASE json_type(e) WHEN 'NULL' THEN NULL "
        "WHEN 'VARCHAR' THEN json_extract_string(e, '$') ELSE CAST(e AS VARCHAR) END"
    )
    cells = "".join(f", _cells[{i + 1}] AS __s{i}" for i in range(len(columns)))
    extract = (
        f"CASE WHEN _reject IS NULL THEN list_transform(json_extract(_line, [{paths}]), "
        f"{unquote}) END"
        if columns
        else "NULL"
    )
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _stage AS
        SELECT _source_row, CASE WHEN _reject IS NOT NULL THEN coalesce(_raw, _line) END AS _raw,
               _reject, CASE _reject WHEN 'bad_encoding'
                        THEN 'the line contains bytes that are not UTF-8' END AS _reject_detail
               {cells}
        FROM (SELECT *, {extract} AS _cells FROM _objects)""")
    con.execute("DROP TABLE _objects")
    if details:
        con.register(
            "_details",
            pa.table({"row": [d[0] for d in details], "detail": [d[1] for d in details]}),
        )
        con.execute(
            "UPDATE _stage SET _reject_detail = d.detail FROM _details d "
            "WHERE _stage._source_row = d.row"
        )
        con.unregister("_details")
    return columns


def tally_checks(con: duckdb.DuckDBPyConnection, reason: str, report: FileReport) -> None:
    """Count the rows of ``_checks`` in, and the rejected ones by reason, into ``report``
    (the one place row conservation is counted, for long and wide files alike)."""
    for code, n in con.execute(f"SELECT {reason}, count(*) FROM _checks GROUP BY 1").fetchall():
        report.rows_in += n
        if code is not None:
            report.rejected += n
            report.reasons[code] += n


def load_staged(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    report: FileReport,
    stage: str,
    columns: list[str],
    types: list[str],
    mapping: dict[str, str],
    options: ParseOptions,
    run_id: str,
    now: datetime,
    pseudonyms: Pseudonymiser | None = None,
    *,
    tombstones: TombstoneGuard | None = None,
) -> None:
    """Check every staged record, quarantine the bad ones, append the new good ones.

    With ``pseudonyms`` the personal columns are stored as tokens (see
    governance/pseudonyms.py) by the insert itself.

    Records of erased people are dropped first (never quarantined) and counted in
    ``report.erased``. ``tombstones`` defaults to the workspace's own (found from the
    connection's database file), so every path that loads records honours erasures.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _checks AS "
        + build_checks_sql(kind, stage, columns, types, mapping, options)
    )
    from personae.governance.tombstones import guard_for  # config imports this module

    guard = tombstones if tombstones is not None else guard_for(con)
    if guard is not None:
        erased = guard.mark(con, kind.name, stage, columns, types, mapping)
        con.execute("DELETE FROM _checks WHERE _source_row IN (SELECT _source_row FROM _erased)")
        report.rows_in += erased
        report.erased += erased
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _erased (_source_row BIGINT)")
    reason = reason_sql(kind, mapping, options)
    tally_checks(con, reason, report)
    if report.rejected:
        con.execute(f"""
            INSERT INTO quarantine
            SELECT {lit(run_id)}, {lit(kind.name)}, {lit(report.path)}, _source_row, _reason,
                   _reason_column, _reason_detail, _raw_text, md5(_raw_text), {_timestamp(now)}
            FROM ({build_rejected_sql(kind, "_checks", stage, columns, mapping, options)}) v
            WHERE NOT EXISTS (SELECT 1 FROM quarantine qq
                              WHERE qq.source_file = {lit(report.path)}
                                AND qq.source_row = v._source_row
                                AND qq.raw_hash = md5(v._raw_text))""")
    good = report.rows_in - report.rejected - report.erased
    if not good:
        con.execute("DROP TABLE _erased")
        return
    key = q(kind.dedup_key or "_row_hash")
    # Records not to load: rejected ones, repeats of an earlier record of the same file, and
    # records the table already holds. Repeats are found by grouping 64-bit hashes of the
    # keys (cheap); only the candidates are then ordered by their exact key, so a hash
    # collision between two different keys never drops a record.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _skip AS
        SELECT _source_row FROM _checks WHERE {reason} IS NOT NULL
        UNION ALL
        SELECT _source_row FROM _erased
        UNION ALL
        SELECT _source_row FROM (
            SELECT _source_row, row_number() OVER (PARTITION BY _key ORDER BY _source_row) AS n
            FROM _checks
            WHERE {reason} IS NULL AND hash(_key) IN (
                SELECT hash(_key) FROM _checks WHERE {reason} IS NULL
                GROUP BY 1 HAVING count(*) > 1))
        WHERE n > 1
        UNION ALL
        SELECT c._source_row FROM _checks c
        WHERE {reason} IS NULL
          AND EXISTS (SELECT 1 FROM {kind.table} r WHERE r.{key} = c._key)""")
    con.execute("DROP TABLE _erased")
    names = [n for n, _ in raw_columns(kind)]
    fixed = {
        "_source_file": lit(report.path),
        "_ingested_at": _timestamp(now),
        "_run_id": lit(run_id),
    }

    # columns the file really has (a missing one is a NULL constant, left as it is)
    present = [n for n in names if n in mapping or any(d.name == n for d in kind.derived)]

    def stored(name: str) -> str:
        expr = fixed.get(name, f"v.{q(name)}")
        if pseudonyms is None or name in fixed:
            return expr
        return pseudonyms.column_sql(kind, present, name, expr)

    values = ", ".join(stored(n) for n in names)
    rows = build_rows_sql(kind, stage, columns, types, mapping, options, "_skip")
    if pseudonyms is not None:  # readable values go to the vault, tokens to the table
        vault = pseudonyms.vault_sql(kind, present, rows)
        if vault:
            con.execute(vault)
    inserted = con.execute(f"""
        INSERT INTO {kind.table} ({", ".join(q(n) for n in names)})
        SELECT {values} FROM ({rows}) v""").fetchall()
    con.execute("DROP TABLE _skip")
    n_inserted = inserted[0][0] if inserted else 0
    report.ingested += n_inserted
    report.duplicates += good - n_inserted


def _filled_decision(
    filled: int, group_by: str | None, fill_down: Sequence[str], cols: Mapping[str, str]
) -> Decision:
    """The ingest report's line for the cells filled down (see ingest/fill_down.py)."""
    return Decision(
        "fill_down",
        f"filled {filled} blank cells from the earlier rows of their {group_by} group",
        f"the source's fill_down fields ({', '.join(fill_down)}) are given on a record's "
        "first row only",
        column=cols.get(group_by or ""),
        field=group_by,
    )


ROW_KEY_HEADER = "(row key)"  # never a real header: the stage column of generated record ids


def _row_keys(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    stage: str,
    columns: list[str],
    types: list[str],
    explicit: dict[str, str],
    path: Path,
    report: FileReport,
) -> tuple[str, list[str], list[str], dict[str, str]]:
    """A file without the kind's own record id (schema.ROW_KEYED) gets one per row,
    "<file name>#<row>", so its rows are records of their own: identical purchases on one
    day stay two purchases, and a re-ingest of the same file finds the same ids."""
    own = next((f.name for f in kind.fields if f.required), "")
    if own not in ROW_KEYED or explicit.get(own):
        return stage, columns, types, explicit
    found = resolve_columns(kind, columns, explicit, path, require=False)
    if own in found:
        return stage, columns, types, explicit
    i = len(columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage_keyed AS SELECT *, "
        f"{lit(path.name + '#')} || CAST(_source_row AS VARCHAR) AS __s{i} FROM {stage}"
    )
    con.execute(f"DROP {'VIEW' if stage == '_stage_view' else 'TABLE'} {stage}")
    report.decisions.append(
        Decision(
            "row_key",
            f"{own} = file name#row",
            f"the file has no {own} column: each row is a record of its own",
            field=own,
        )
    )
    return (
        "_stage_keyed",
        [*columns, ROW_KEY_HEADER],
        [*types, "VARCHAR"],
        {
            **explicit,
            own: ROW_KEY_HEADER,
        },
    )


def _read_locale(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    report: FileReport,
    stage: str,
    columns: Sequence[str],
    mapping: Mapping[str, str],
    options: ParseOptions,
) -> None:
    """Record the file's currency and phone region; read its national phone numbers in the
    region the file shows (else the workspace's) unless a region is set."""
    if options.phone_region:
        found = locale_decisions(
            con, kind, stage, {k: v for k, v in mapping.items() if k != "phone"}, columns
        )
        report.decisions += found
        return
    found = locale_decisions(con, kind, stage, mapping, columns, options.region_fallback)
    report.decisions += found
    shown = [d.decision for d in found if d.topic == "phone_region" and d.decision != UNDECIDED]
    if "phone" in mapping:
        install_phone(con, calling_code_for(shown[0] if shown else options.region_fallback))


def _timestamp(now: datetime) -> str:
    return f"TIMESTAMP {lit(now.strftime('%Y-%m-%d %H:%M:%S.%f'))}"


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    path: Path,
    *,
    run_id: str,
    mapping: Mapping[str, str] | None = None,
    fmt: str = "auto",
    options: ParseOptions | None = None,
    batch_rows: int = 50_000,
    delimiter: str | None = None,
    source_name: str | None = None,
    progress: ProgressFn | None = None,
    pseudonyms: Pseudonymiser | None = None,
    tombstones: TombstoneGuard | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    wide: WideLayout | None = None,
    group_by: str | None = None,
    fill_down: Sequence[str] = (),
    preset: str | None = None,
    replace: bool = False,
) -> FileReport:
    """Ingest one file in one transaction and return its report.

    ``path`` may name a member of a zip archive (``export.zip/orders.csv``, see
    :mod:`personae.ingest.archives`). ``encoding`` and ``delimiter`` override what is
    detected for CSV; ``sheet`` picks a worksheet of a spreadsheet. ``fill_down`` fields
    blank on the later rows of a ``group_by`` group take the group's earlier value
    (:mod:`personae.ingest.fill_down`) before anything is checked. ``wide``: the file is
    a wide survey export (one row per respondent), reshaped by :mod:`personae.ingest.wide`.

    When this source ingested the same file (same path and content) before and read it
    differently (another mapping or setting), the records and quarantine rows of those
    earlier reads are removed first (``report.replaced``); ``replace`` removes what every
    earlier read of the path wrote, whatever the file held then.
    """
    options = options or ParseOptions()
    explicit = dict(mapping or {})
    check_fill_down(kind, group_by, fill_down, path, source_name)
    # fields the source's vendor layout computes (constants, value maps, nested records)
    layout = preset_layout(preset, path, source_name)
    computed = computed_columns(layout) if layout else {}
    explicit.update(computed)
    path = path.resolve()
    fmt = detect_format(path, fmt)
    size = file_size(path)
    report = FileReport(kind.name, str(path), fmt, bytes=size, source=source_name)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(path, min(done, size), size)

    # the ledger's later columns (workspaces made before them lack them)
    ensure_ledger_columns(con)
    settings = {
        "format": fmt,
        "delimiter": delimiter,
        "encoding": encoding,
        "sheet": sheet,
        "group_by": group_by,
        "fill_down": list(fill_down),
        "preset": preset,
        "wide": None if wide is None else [wide.header_rows, list(wide.metadata)],
        "timezone": options.timezone,
        "date_order": options.date_order,
        "phone_region": options.phone_region,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        stage = "_stage_view" if fmt == "parquet" else "_stage"
        if fmt == "parquet":
            # DuckDB scans Parquet in place; a compressed or archived one is copied out first
            # (and materialised, as its temporary copy is gone once the block ends)
            with local_copy(path, ".parquet") as plain:
                columns, types = _stage_parquet(con, plain, path)
                if plain != path:
                    con.execute("CREATE OR REPLACE TEMP TABLE _stage AS FROM _stage_view")
                    con.execute("DROP VIEW _stage_view")
                    stage = "_stage"
        elif fmt == "jsonl":
            columns = _stage_json_lines(con, path, batch_rows, on_bytes)
            types = ["VARCHAR"] * len(columns)
        else:
            columns = _stage_batches(
                con,
                kind,
                path,
                fmt,
                explicit,
                batch_rows,
                delimiter,
                source_name,
                on_bytes,
                encoding=encoding,
                sheet=sheet,
                notes=report.decisions,
                computed=list(computed.values()),
            )
            types = ["VARCHAR"] * len(columns)
        if layout is not None:
            stage, columns, types = compute_stage(con, layout, stage, columns, types, explicit)
        if wide is not None:
            digest = _replace_earlier(con, kind, report, explicit, settings, replace)
            load_wide(
                con, kind, report, stage, columns, types, explicit, options, wide, run_id, now,
                pseudonyms, tombstones=tombstones, source_name=source_name,
            )  # fmt: skip
        else:
            stage, columns, types, explicit = _row_keys(
                con, kind, stage, columns, types, explicit, path, report
            )
            cols = resolve_columns(kind, columns, explicit, path, source_name=source_name)
            stage, filled = fill_down_stage(con, stage, columns, types, cols, group_by, fill_down)
            if filled:
                report.decisions.append(_filled_decision(filled, group_by, fill_down, cols))
            options, found = decide_columns(con, kind, stage, columns, types, cols, options)
            report.decisions += found
            _read_locale(con, kind, report, stage, columns, cols, options)
            report.decisions += unmapped_decisions(kind, columns, cols, explicit)
            digest = _replace_earlier(con, kind, report, cols, settings, replace)
            load_staged(
                con, kind, report, stage, columns, types, cols, options, run_id, now,
                pseudonyms, tombstones=tombstones,
            )  # fmt: skip
        con.execute("DROP TABLE IF EXISTS _checks")
        report.seconds = time.perf_counter() - started
        con.execute(
            "INSERT INTO ingest_files (run_id, kind, source, source_file, format, bytes, "
            "rows_in, ingested, rejected, duplicates, seconds, ingested_at, erased, "
            "content_hash, read_hash, replaced) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                kind.name,
                source_name,
                report.path,
                fmt,
                size,
                report.rows_in,
                report.ingested,
                report.rejected,
                report.duplicates,
                report.seconds,
                now,
                report.erased,
                digest[0],
                digest[1],
                report.replaced,
            ],
        )
        _record_decisions(con, report, run_id, now)
        con.execute(f"DROP {'VIEW' if stage == '_stage_view' else 'TABLE'} {stage}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if progress:
        progress(path, size, size)
    return report


def _replace_earlier(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    report: FileReport,
    mapping: Mapping[str, str],
    settings: Mapping[str, object],
    replace: bool,
) -> tuple[str, str]:
    """Remove what earlier reads of this file wrote when it is read differently now (or
    ``replace``); return the file's (content hash, read hash) for the ledger.

    The same read of the same file removes nothing: its records are found again as
    duplicates, as before. The mapping here is the one the read uses (the columns each
    field was resolved to), so naming the column a field already found changes nothing.
    """
    path = Path(report.path)
    digest = content_hash(path)
    how = read_hash(kind.name, mapping, settings)
    earlier = previous_read(con, report.source, report.path, digest)
    if replace or (earlier.found and earlier.read_hash != how):
        removed = remove_file_ingests(
            con, report.source, report.path, digest, every_version=replace
        )
        report.replaced = removed.rows
        report.replaced_quarantined = removed.quarantined
    if not replace:
        report.read_otherwise = rows_read_otherwise(con, report.source, report.path, digest, how)
    if report.source is None:
        report.sources = sources_of(con, report.path)
    return digest, how


def _record_decisions(
    con: duckdb.DuckDBPyConnection, report: FileReport, run_id: str, now: datetime
) -> None:
    """Keep how the file was read in ``ingest_decisions`` (the ingest report shows it)."""
    if not report.decisions:
        return
    con.executemany(
        "INSERT INTO ingest_decisions (run_id, kind, source, source_file, topic, column_name, "
        "field, decision, evidence, severity, source_row, decided_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                report.kind,
                report.source,
                report.path,
                d.topic,
                d.column,
                d.field,
                d.decision,
                d.evidence,
                d.severity,
                d.source_row,
                now,
            ]
            for d in report.decisions
        ],
    )


def expand_paths(patterns: Sequence[str | Path], base: Path | None = None) -> list[Path]:
    """Expand globs (relative to ``base``) into a sorted, de-duplicated file list.

    A zip archive stands for the data files inside it (``export.zip/orders.csv``, …).
    """
    out: list[Path] = []
    for pattern in patterns:
        p = Path(pattern).expanduser()
        if not p.is_absolute() and base is not None:
            p = base / p
        if any(ch in str(pattern) for ch in "*?["):
            matches = sorted(m for m in p.parent.glob(p.name) if m.is_file())
            if not matches:
                raise IngestError(
                    p, "no files match this pattern", "check the folder and the pattern"
                )
            out.extend(matches)
        else:
            if not p.exists() and not is_member(p):
                raise IngestError(
                    p,
                    "file not found",
                    "check the path (relative paths in "
                    "personae.toml start at the workspace folder)",
                )
            out.append(p)
    seen: set[Path] = set()
    unique = []
    for p in out:
        members = archive_members(p) if p.suffix.lower() == ".zip" and p.is_file() else [p]
        for m in members:
            if m.resolve() not in seen:
                seen.add(m.resolve())
                unique.append(m)
    return unique
