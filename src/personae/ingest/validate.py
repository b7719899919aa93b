"""Build the SQL that types a staged file and gives every bad row one clear reason.

A file is checked and loaded in two passes over its stage (a DuckDB view over Parquet, or
a temp table of text cells for CSV and JSON), so that wide text such as Segment contexts is
read and written once, never copied through an intermediate table:

1. :func:`build_checks_sql` – a *narrow* table ``_checks``: per record, its number, its
   de-duplication key, the reader's verdict, and only what the rules need (presence flags,
   parsed dates and numbers, a validity flag for JSON). :func:`reason_sql` reads the first
   rule a record breaks from it, in a fixed order: structure, required, type, range, rules.
2. :func:`build_rows_sql` – every canonical field parsed from its column, derived columns,
   the row hash and unmapped columns as ``_extra``, for the records that are kept.

:func:`build_rejected_sql` describes rejected records for ``quarantine`` (column, a readable
detail, the raw record). Only the column-to-field mapping and the source column types differ
between files, so the same functions serve CSV, JSON and Parquet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
from personae.ingest.parsers import sql_in
from personae.ingest.schema import Field, FieldType, SourceKind

_TYPE_REASON = {
    FieldType.TIMESTAMP: ("bad_timestamp", "a date/time"),
    FieldType.DATE: ("bad_timestamp", "a date"),
    FieldType.MONTH: ("bad_timestamp", "a month (YYYY-MM)"),
    FieldType.DECIMAL: ("bad_number", "a number"),
    FieldType.INTEGER: ("bad_number", "a whole number"),
    FieldType.BOOLEAN: ("bad_boolean", "yes/no"),
    FieldType.JSON: ("bad_json", "JSON"),
}

_TEXT_TYPES = ("VARCHAR", "JSON")

# Dates outside [from, to) are typos or placeholders (0001-01-01, 2999-12-31), not facts.
PLAUSIBLE = ("1900-01-01", "2101-01-01")


@dataclass(frozen=True)
class ColumnHint:
    """How one column of one file is read, decided from the whole column
    (:mod:`personae.ingest.columns`): its day/month order, whether it mixes orders (its
    day/month values are quarantined), its decimal separator, Excel serial dates."""

    date_order: str | None = None  # "DMY" or "MDY"
    mixed_dates: str | None = None  # the quarantine detail when the column mixes orders
    decimal: str | None = None  # "comma" or "dot"
    excel_serial: bool = False


@dataclass(frozen=True)
class ParseOptions:
    """How to read ambiguous text: the zone of naive times and the order of day and month.

    ``date_order`` is the setting a date column falls back to when none of its values
    decides; ``date_order_setting`` names where it was set, for the ingest report.
    ``columns`` holds the per-field decisions made for one file (by field name).
    """

    timezone: str = "UTC"
    date_order: str = "MDY"
    date_order_setting: str = "[ingest] date_order"
    columns: Mapping[str, ColumnHint] = field(default_factory=dict)
    # phone numbers without a calling code: "" = the region each file's numbers show
    # (``+44`` prefixes, a country column), else ``region_fallback``; a region code = fixed
    phone_region: str = ""
    region_fallback: str = "US"

    @property
    def dmy(self) -> str:
        return "true" if self.date_order.upper() == "DMY" else "false"

    def hint(self, name: str) -> ColumnHint:
        return self.columns.get(name) or _NO_HINT

    def dmy_of(self, name: str) -> str:
        order = self.hint(name).date_order
        if order is None:
            return self.dmy
        return "true" if order == "DMY" else "false"


_NO_HINT = ColumnHint()

# A day/month date: two numbers of one or two digits, then the year (and maybe a time),
# separated by "/" or "-" (the same both times): 23/04/2026, 4-23-26 14:05. Found by
# character positions rather than a regular expression (three times faster over a
# million values); a part that is not a number makes the value no day/month date.


def day_month_first_sep(v: str) -> str:
    """Position of the first separator of a day/month date in ``v`` (NULL: none)."""
    return (
        f"CASE WHEN substr({v}, 2, 1) IN ('/', '-') THEN 2 "
        f"WHEN substr({v}, 3, 1) IN ('/', '-') THEN 3 END"
    )


def day_month_second_sep(v: str, p: str) -> str:
    """Position of the second separator, given the first at ``p``."""
    return (
        f"CASE WHEN substr({v}, {p} + 2, 1) = substr({v}, {p}, 1) THEN {p} + 2 "
        f"WHEN substr({v}, {p} + 3, 1) = substr({v}, {p}, 1) THEN {p} + 3 END"
    )


def day_month_parts(v: str, p: str, q: str) -> tuple[str, str]:
    """SQL for the first and second numbers of a day/month date (NULL when ``v`` is not
    one), given its separators at ``p`` and ``q``."""
    ends = "('', ' ', 'T', ',')"
    year = (
        f"((TRY_CAST(substr({v}, {q} + 1, 4) AS USMALLINT) >= 1000 "
        f"AND substr({v}, {q} + 5, 1) IN {ends}) "
        f"OR (TRY_CAST(substr({v}, {q} + 1, 2) AS UTINYINT) IS NOT NULL "
        f"AND substr({v}, {q} + 3, 1) IN {ends}))"
    )
    ok = f"{q} IS NOT NULL AND {year}"
    first = f"CASE WHEN {ok} THEN TRY_CAST(substr({v}, 1, {p} - 1) AS UTINYINT) END"
    second = f"CASE WHEN {ok} THEN TRY_CAST(substr({v}, {p} + 1, {q} - {p} - 1) AS UTINYINT) END"
    return first, second


def is_day_month_sql(v: str) -> str:
    """True when ``v`` is a day/month date (both parts numbers): one expression."""
    p = day_month_first_sep(v)
    a, b = day_month_parts(v, p, day_month_second_sep(v, p))
    return f"({a} IS NOT NULL AND {b} IS NOT NULL)"


def _typed_expr(f: Field, src: str, src_type: str, opt: ParseOptions) -> str:
    """SQL turning source column ``src`` (of DuckDB type ``src_type``) into the field's type."""
    t = src_type.upper()
    is_text = t in _TEXT_TYPES
    if f.type is FieldType.STRING:
        expr = f"NULLIF(personae_trim({src}), '')"
        if f.lowercase or f.synonyms or f.choices:
            expr = f"lower({expr})"
        if f.synonyms:
            whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in f.synonyms.items())
            expr = f"(CASE {expr} {whens} ELSE {expr} END)"
        if f.choices:
            expr = f"(CASE WHEN {sql_in(expr, f.choices)} THEN {expr} END)"
        return expr
    hint = opt.hint(f.name)
    if f.type is FieldType.TIMESTAMP:
        if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
            return f"CAST({src} AS TIMESTAMP)"
        if t.startswith("TIMESTAMP"):
            naive = f"CAST({src} AS TIMESTAMP)"
            return (
                naive
                if opt.timezone == "UTC"
                else f"CAST(timezone({lit(opt.timezone)}, {naive}) AS TIMESTAMP)"
            )
        if t == "DATE":
            return f"CAST({src} AS TIMESTAMP)"
        expr = f"personae_timestamp({src}, {lit(opt.timezone)}, {opt.dmy_of(f.name)})"
        if hint.excel_serial:
            serial = f"personae_excel_serial({src})"
            if opt.timezone != "UTC":  # a serial is a wall-clock time, like a naive value
                serial = f"CAST(timezone({lit(opt.timezone)}, {serial}) AS TIMESTAMP)"
            expr = f"COALESCE({serial}, {expr})"
        return expr
    if f.type is FieldType.DATE:
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return f"CAST({src} AS DATE)"
        expr = f"personae_date({src}, {opt.dmy_of(f.name)})"
        if hint.excel_serial:
            expr = f"COALESCE(CAST(personae_excel_serial({src}) AS DATE), {expr})"
        return expr
    if f.type is FieldType.MONTH:
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return f"CAST(date_trunc('month', {src}) AS DATE)"
        return f"personae_month({src})"
    decimal = {"comma": "personae_decimal_comma", "dot": "personae_decimal_point"}.get(
        hint.decimal or ""
    )
    if f.type is FieldType.DECIMAL:
        if not is_text:
            return f"TRY_CAST({src} AS DOUBLE)"
        return f"{decimal}({src})" if decimal else f"personae_decimal({src})"
    if f.type is FieldType.INTEGER:
        if is_text:
            if decimal:
                return f"personae__whole({decimal}({src}))"
            if f.rating:
                return f"COALESCE(personae_integer({src}), personae_rating5({src}))"
            return f"personae_integer({src})"
        return f"personae__whole(TRY_CAST({src} AS DOUBLE))"
    if f.type is FieldType.BOOLEAN:
        return f"TRY_CAST({src} AS BOOLEAN)" if t == "BOOLEAN" else f"personae_boolean({src})"
    if f.type is FieldType.JSON:
        if is_text:
            return f"personae_json({src})"
        return f"CAST(to_json({src}) AS VARCHAR)"
    raise AssertionError(f.type)


def _checked_expr(f: Field, src: str, src_type: str, opt: ParseOptions) -> str:
    """What the checks need of a field: its typed value, or for JSON only whether it parses
    (so the long text is not copied into the narrow checks table)."""
    if f.type is FieldType.JSON and src_type.upper() in _TEXT_TYPES:
        return (
            f"(CASE WHEN personae__missing({src}) THEN NULL WHEN json_valid({src}) THEN true END)"
        )
    return _typed_expr(f, src, src_type, opt)


def _kept_expr(f: Field, src: str, src_type: str, opt: ParseOptions) -> str:
    """The value stored for a kept record (JSON was validated by the checks pass)."""
    if f.type is FieldType.JSON and src_type.upper() in _TEXT_TYPES:
        return f"(CASE WHEN personae__missing({src}) THEN NULL ELSE {src} END)"
    return _typed_expr(f, src, src_type, opt)


def _present_expr(f: Field, src: str, src_type: str) -> str:
    """True when the cell holds something (a typed field treats 'n/a', 'null' … as empty)."""
    if src_type.upper() not in _TEXT_TYPES:
        return f"({src} IS NOT NULL)"
    if f.type is FieldType.STRING:
        return f"(NULLIF(personae_trim({src}), '') IS NOT NULL)"
    return f"(NOT personae__missing({src}))"


def _needs_check(f: Field, kind: SourceKind) -> bool:
    """Fields the rules look at: typed, required, enumerated, bounded, or used by a row rule."""
    if f.required or f.type in _TYPE_REASON or f.choices:
        return True
    if f.minimum is not None or f.maximum is not None:
        return True
    return _in_rules(f, kind)


def _in_rules(f: Field, kind: SourceKind) -> bool:
    return any(re.search(rf"\b{re.escape(f.name)}\b", r.invalid_sql) for r in kind.rules)


def key_sql(
    kind: SourceKind,
    columns: list[str],
    mapping: dict[str, str],
    types: list[str],
    opt: ParseOptions,
) -> str:
    """The de-duplication key of a record: its declared key, or a hash of all its cells."""
    if kind.dedup_key is not None:
        index = {c: i for i, c in enumerate(columns)}
        f = kind.field(kind.dedup_key)
        col = mapping[f.name]
        return _typed_expr(f, f"__s{index[col]}", types[index[col]], opt)
    return row_hash_sql(kind, columns)


def row_hash_sql(kind: SourceKind, columns: list[str]) -> str:
    """md5 of every cell of the record (stable across DuckDB versions and machines)."""
    if kind.dedup_key is not None or not columns:
        return "CAST(NULL AS VARCHAR)"
    parts = ", ".join(f"coalesce(CAST(__s{i} AS VARCHAR), chr(0))" for i in range(len(columns)))
    return f"md5(concat_ws(chr(31), {parts}))"


def build_checks_sql(
    kind: SourceKind,
    stage: str,
    columns: list[str],
    types: list[str],
    mapping: dict[str, str],
    opt: ParseOptions,
) -> str:
    """Pass 1: the narrow ``_checks`` table (one row per record)."""
    index = {c: i for i, c in enumerate(columns)}
    cols = []
    for f in kind.fields:
        if f.name not in mapping or not _needs_check(f, kind):
            continue
        i = index[mapping[f.name]]
        present = _present_expr(f, f"__s{i}", types[i])
        if f.type is not FieldType.STRING or f.choices:
            cols.append(f"{_checked_expr(f, f'__s{i}', types[i], opt)} AS {q(f.name)}")
        elif _in_rules(f, kind):
            # Row rules only ask whether free text is there: keep a flag, not the text.
            cols.append(f"(CASE WHEN {present} THEN true END) AS {q(f.name)}")
        cols.append(f"{present} AS {q('__p_' + f.name)}")
        if opt.hint(f.name).mixed_dates and types[i].upper() in _TEXT_TYPES:
            day_month = is_day_month_sql(f"personae_clean(__s{i})")
            cols.append(f"coalesce({day_month}, false) AS {q('__m_' + f.name)}")
    for f in kind.fields:  # fields a row rule names but the file lacks
        if f.name not in mapping and _in_rules(f, kind):
            cols.append(f"CAST(NULL AS {f.sql_type}) AS {q(f.name)}")
    key = key_sql(kind, columns, mapping, types, opt)
    return (
        f"SELECT _source_row, _reject, _reject_detail, {key} AS _key"
        f"{''.join(', ' + c for c in cols)} FROM {stage}"
    )


def reason_sql(kind: SourceKind, mapping: dict[str, str], opt: ParseOptions | None = None) -> str:
    """The reason code of a ``_checks`` row (NULL for a good row)."""
    return _case([(cond, code) for cond, code, _, _ in _checks(kind, mapping, {}, opt)])


def build_rows_sql(
    kind: SourceKind,
    stage: str,
    columns: list[str],
    types: list[str],
    mapping: dict[str, str],
    opt: ParseOptions,
    skip: str,
    checks: str = "_checks",
) -> str:
    """Pass 2: kept records (not in table ``skip``), typed, with derived columns.

    A record keyed by its row hash takes the hash the checks pass already computed (a join
    on the record number is cheaper than hashing every cell again).
    """
    index = {c: i for i, c in enumerate(columns)}
    typed = []
    for f in kind.fields:
        if f.name in mapping:
            i = index[mapping[f.name]]
            typed.append(f"{_kept_expr(f, f'__s{i}', types[i], opt)} AS {q(f.name)}")
        else:
            typed.append(f"CAST(NULL AS {f.sql_type}) AS {q(f.name)}")
    unmapped = [c for c in columns if c not in set(mapping.values())]
    if unmapped:
        typed.append(f"{json_object_sql((c, f'__s{index[c]}') for c in unmapped)} AS _extra")
    else:
        typed.append("CAST(NULL AS VARCHAR) AS _extra")
    lets = "".join(f", {sql} AS {q(name)}" for name, sql in kind.lets)
    types_of = {f.name: f.sql_type for f in kind.fields}
    completed = ", ".join(
        f"CAST({sql} AS {types_of[name]}) AS {q(name)}" for name, sql in kind.completions
    )
    replace = f" REPLACE ({completed})" if completed else ""
    derived = "".join(f", CAST({d.sql} AS {d.sql_type}) AS {q(d.name)}" for d in kind.derived)
    if kind.dedup_key is None and columns:
        row_hash = "k.__hash"
        source = (
            f"{stage} JOIN (SELECT _source_row AS __row, _key AS __hash FROM {checks} "
            f"WHERE _source_row NOT IN (SELECT _source_row FROM {skip})) k "
            "ON k.__row = _source_row"
        )
    else:
        row_hash = row_hash_sql(kind, columns)
        source = f"{stage} WHERE _source_row NOT IN (SELECT _source_row FROM {skip})"
    return f"""
SELECT *{derived} FROM (
  SELECT *{replace}{lets} FROM (
    SELECT _source_row, {row_hash} AS _row_hash, {", ".join(typed)}
    FROM {source}
  )
)"""


def build_rejected_sql(
    kind: SourceKind,
    checks: str,
    stage: str,
    columns: list[str],
    mapping: dict[str, str],
    opt: ParseOptions | None = None,
) -> str:
    """Rejected records: reason, column, detail and the raw record (cells from the stage)."""
    index = {c: i for i, c in enumerate(columns)}
    src_of = {name: f"s.__s{index[col]}" for name, col in mapping.items()}
    if columns:
        raw_json = json_object_sql((c, f"s.__s{i}") for i, c in enumerate(columns))
    else:
        raw_json = "'{}'"
    cells = (
        "".join(f", _raw AS __raw, __s{i}" if i == 0 else f", __s{i}" for i in range(len(columns)))
        or ", _raw AS __raw"
    )
    found = _checks(kind, mapping, src_of, opt)
    reason = _case([(cond, code) for cond, code, _, _ in found])
    reason_col = _case([(cond, col) for cond, _, col, _ in found])
    detail = _case([(cond, det) for cond, _, _, det in found])
    return f"""
SELECT t._source_row, {reason} AS _reason, {reason_col} AS _reason_column,
       {detail} AS _reason_detail, coalesce(s.__raw, {raw_json}) AS _raw_text
FROM (SELECT * FROM {checks} WHERE {reason_sql(kind, mapping, opt)} IS NOT NULL) t
JOIN (SELECT _source_row AS __row{cells} FROM {stage}) s ON s.__row = t._source_row"""


def json_object_sql(pairs: Iterable[tuple[str, str]]) -> str:
    """A JSON object of (key, SQL expression) pairs, as text.

    ``json_object`` rather than ``struct_pack``: a struct cannot hold two keys that differ
    only in case (``plan`` and ``Plan``) or an empty key, and a file or a tracking client
    may send both; the JSON object keeps every key exactly as it was written.
    """
    args = ", ".join(f"{lit(key)}, {expr}" for key, expr in pairs)
    return f"CAST(json_object({args}) AS VARCHAR)"


def _case(branches: list[tuple[str, str]]) -> str:
    whens = " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    return f"(CASE {whens} END)" if whens else "CAST(NULL AS VARCHAR)"


def _checks(
    kind: SourceKind,
    mapping: dict[str, str],
    src_of: dict[str, str],
    opt: ParseOptions | None = None,
) -> list[tuple[str, str, str, str]]:
    """(condition, reason SQL, column SQL, detail SQL) in the order they are tried.

    Conditions use ``_typed`` columns only; detail messages may quote the source cell
    (``src_of``), which only the rejected-rows query joins in.
    """
    checks: list[tuple[str, str, str, str]] = [
        # Damage the reader found (bad bytes, broken JSON, wrong field count) comes first.
        ("_reject IS NOT NULL", "_reject", "CAST(NULL AS VARCHAR)", "_reject_detail"),
    ]
    for f in kind.fields:
        if f.name not in mapping:
            continue  # absent from the file: nothing to check (required ones stop earlier)
        column = mapping[f.name]
        col = lit(column)
        p, v = q("__p_" + f.name), q(f.name)
        if f.required:
            checks.append(
                (
                    f"NOT {p}",
                    lit("missing_required"),
                    col,
                    lit(
                        f"the required field {f.name!r} (column {column!r}) is empty; "
                        "fill it in or remove the row"
                    ),
                )
            )
        mixed = opt.hint(f.name).mixed_dates if opt is not None else None
        if mixed:  # the column mixes day/month orders: none of its day/month dates is read
            checks.append((q("__m_" + f.name), lit("mixed_date_order"), col, lit(mixed)))
        if f.type in _TYPE_REASON:
            code, what = _TYPE_REASON[f.type]
            src = src_of.get(f.name)
            shown = (
                (f"'cannot read \"' || coalesce(CAST({src} AS VARCHAR), '?') || '\" as {what}'")
                if src
                else lit("")
            )
            checks.append((f"{p} AND {v} IS NULL", lit(code), col, shown))
            if f.type in (FieldType.TIMESTAMP, FieldType.DATE, FieldType.MONTH):
                checks.append(
                    (
                        f"({v} < DATE '{PLAUSIBLE[0]}' OR {v} >= DATE '{PLAUSIBLE[1]}')",
                        lit(code),
                        col,
                        f"'the date ' || CAST({v} AS VARCHAR) || ' is implausible "
                        f"(outside {PLAUSIBLE[0][:4]}-{int(PLAUSIBLE[1][:4]) - 1})'",
                    )
                )
        elif f.choices:
            checks.append(
                (
                    f"{p} AND {v} IS NULL",
                    lit("bad_value"),
                    col,
                    lit(f"must be one of: {', '.join(f.choices)}"),
                )
            )
        if f.minimum is not None:
            below = f"'value ' || CAST({v} AS VARCHAR) || ' is below the minimum {_num(f.minimum)}'"
            if f.minimum >= 0:
                checks.append((f"{v} < 0", lit("negative_value"), col, below))
            if f.minimum != 0:
                checks.append((f"{v} < {f.minimum}", lit("out_of_range"), col, below))
        if f.maximum is not None:
            checks.append(
                (
                    f"{v} > {f.maximum}",
                    lit("out_of_range"),
                    col,
                    f"'value ' || CAST({v} AS VARCHAR) || ' is above the maximum "
                    f"{_num(f.maximum)}'",
                )
            )
    for rule in kind.rules:
        checks.append(
            (f"({rule.invalid_sql})", lit(rule.code), "CAST(NULL AS VARCHAR)", lit(rule.message))
        )
    return checks


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
