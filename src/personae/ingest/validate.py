"""Build the SQL that types a staged file and gives every bad row one clear reason.

Three statements per file, each a function here:

1. :func:`build_typed_sql` – every canonical field parsed from its column (or NULL when the
   file lacks it), a ``__p_<field>`` flag telling whether the cell held anything at all, a
   row hash, unmapped columns as ``_extra``. Materialised as ``_typed``.
2. :func:`build_good_rows_sql` – rows that break no rule, plus helper ``lets`` and
   ``derived`` columns (E.164 phone, line total, fields read from a Segment context).
3. :func:`build_rejected_sql` – rows that break a rule, with the first rule broken, in a
   fixed order (structure, required, type, range, row rules), the column, a readable detail
   and the raw record (joined back from the stage by record number).

Only the column-to-field mapping and the source column types differ between files, so the
same functions serve CSV, JSON and Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
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
class ParseOptions:
    """How to read ambiguous text: the zone of naive times and the order of day and month."""

    timezone: str = "UTC"
    date_order: str = "MDY"

    @property
    def dmy(self) -> str:
        return "true" if self.date_order.upper() == "DMY" else "false"


def _typed_expr(f: Field, src: str, src_type: str, opt: ParseOptions) -> str:
    """SQL turning source column ``src`` (of DuckDB type ``src_type``) into the field's type."""
    t = src_type.upper()
    is_text = t in _TEXT_TYPES
    if f.type is FieldType.STRING:
        expr = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
        if f.lowercase or f.synonyms or f.choices:
            expr = f"lower({expr})"
        if f.synonyms:
            whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in f.synonyms.items())
            expr = f"(CASE {expr} {whens} ELSE {expr} END)"
        if f.choices:
            expr = f"(CASE WHEN {expr} IN ({', '.join(lit(c) for c in f.choices)}) THEN {expr} END)"
        return expr
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
        return f"personae_timestamp({src}, {lit(opt.timezone)}, {opt.dmy})"
    if f.type is FieldType.DATE:
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return f"CAST({src} AS DATE)"
        return f"personae_date({src}, {opt.dmy})"
    if f.type is FieldType.MONTH:
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return f"CAST(date_trunc('month', {src}) AS DATE)"
        return f"personae_month({src})"
    if f.type is FieldType.DECIMAL:
        return f"personae_decimal({src})" if is_text else f"TRY_CAST({src} AS DOUBLE)"
    if f.type is FieldType.INTEGER:
        if is_text:
            return f"personae_integer({src})"
        return f"personae__whole(TRY_CAST({src} AS DOUBLE))"
    if f.type is FieldType.BOOLEAN:
        return f"TRY_CAST({src} AS BOOLEAN)" if t == "BOOLEAN" else f"personae_boolean({src})"
    if f.type is FieldType.JSON:
        if is_text:
            return f"personae_json({src})"
        return f"CAST(to_json({src}) AS VARCHAR)"
    raise AssertionError(f.type)


def _present_expr(f: Field, src: str, src_type: str) -> str:
    """True when the cell holds something (a typed field treats 'n/a', 'null' … as empty)."""
    if src_type.upper() not in _TEXT_TYPES:
        return f"({src} IS NOT NULL)"
    if f.type is FieldType.STRING:
        return f"(NULLIF(trim({src}), '') IS NOT NULL)"
    return f"(personae_clean({src}) IS NOT NULL)"


def _needs_presence(f: Field) -> bool:
    return f.required or f.type in _TYPE_REASON or bool(f.choices)


def build_typed_sql(
    kind: SourceKind,
    stage: str,
    columns: list[str],
    types: list[str],
    mapping: dict[str, str],
    opt: ParseOptions,
) -> str:
    """Layers 1-2: lineage, a row hash, every field parsed to its type, presence flags.

    The result is materialised (``_typed``) before anything refers to it: the checks use
    each typed field several times, and DuckDB would otherwise inline (and re-plan and
    re-run) every parse expression. Source cells are not copied; a rejected row's raw text
    is fetched back from the stage by record number.
    """
    index = {c: i for i, c in enumerate(columns)}
    src_of = {name: f"__s{index[col]}" for name, col in mapping.items()}
    type_of = {name: types[index[col]] for name, col in mapping.items()}

    typed_cols = []
    for f in kind.fields:
        if f.name in src_of:
            typed_cols.append(
                f"{_typed_expr(f, src_of[f.name], type_of[f.name], opt)} AS {q(f.name)}"
            )
            if _needs_presence(f):
                typed_cols.append(
                    f"{_present_expr(f, src_of[f.name], type_of[f.name])} AS {q('__p_' + f.name)}"
                )
        else:
            typed_cols.append(f"CAST(NULL AS {f.sql_type}) AS {q(f.name)}")

    unmapped = [c for c in columns if c not in set(mapping.values())]
    if unmapped:
        pairs = ", ".join(f"{q(c)} := __s{index[c]}" for c in unmapped)
        typed_cols.append(f"CAST(to_json(struct_pack({pairs})) AS VARCHAR) AS _extra")
    else:
        typed_cols.append("CAST(NULL AS VARCHAR) AS _extra")

    if kind.dedup_key is None and columns:
        hash_parts = ", ".join(
            f"coalesce(CAST(__s{i} AS VARCHAR), chr(0))" for i in range(len(columns))
        )
        row_hash = f"md5(concat_ws(chr(31), {hash_parts}))"
    else:  # records are identified by their key (Segment messageId), no hash needed
        row_hash = "CAST(NULL AS VARCHAR)"
    return (
        f"SELECT _source_row, _raw, _reject, _reject_detail, {row_hash} AS _row_hash, "
        f"{', '.join(typed_cols)} FROM {stage}"
    )


def reason_sql(kind: SourceKind, mapping: dict[str, str]) -> str:
    """The reason code of a ``_typed`` row (NULL for a good row)."""
    return _case([(cond, code) for cond, code, _, _ in _checks(kind, mapping, {})])


def build_good_rows_sql(kind: SourceKind, typed: str, mapping: dict[str, str]) -> str:
    """Good rows of ``typed`` with their derived columns (lets first, then derived)."""
    lets = "".join(f", {sql} AS {q(name)}" for name, sql in kind.lets)
    derived = "".join(f", CAST({d.sql} AS {d.sql_type}) AS {q(d.name)}" for d in kind.derived)
    return f"""
SELECT *{derived} FROM (
  SELECT *{lets} FROM {typed} WHERE {reason_sql(kind, mapping)} IS NULL
)"""


def build_rejected_sql(
    kind: SourceKind, typed: str, stage: str, columns: list[str], mapping: dict[str, str]
) -> str:
    """Rejected rows of ``typed``: reason, column, detail and raw text (from the stage)."""
    index = {c: i for i, c in enumerate(columns)}
    src_of = {name: f"s.__s{index[col]}" for name, col in mapping.items()}
    if columns:
        raw_pairs = ", ".join(f"{q(c)} := s.__s{i}" for i, c in enumerate(columns))
        raw_json = f"CAST(to_json(struct_pack({raw_pairs})) AS VARCHAR)"
    else:
        raw_json = "'{}'"
    cells = "".join(f", __s{i}" for i in range(len(columns)))
    checks = _checks(kind, mapping, src_of)
    reason = _case([(cond, code) for cond, code, _, _ in checks])
    reason_col = _case([(cond, col) for cond, _, col, _ in checks])
    detail = _case([(cond, det) for cond, _, _, det in checks])
    return f"""
SELECT t._source_row, {reason} AS _reason, {reason_col} AS _reason_column,
       {detail} AS _reason_detail, coalesce(t._raw, {raw_json}) AS _raw_text
FROM (SELECT * FROM {typed} WHERE {reason_sql(kind, mapping)} IS NOT NULL) t
JOIN (SELECT _source_row AS __row{cells} FROM {stage}) s ON s.__row = t._source_row"""


def _case(branches: list[tuple[str, str]]) -> str:
    whens = " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    return f"(CASE {whens} END)" if whens else "CAST(NULL AS VARCHAR)"


def _checks(
    kind: SourceKind, mapping: dict[str, str], src_of: dict[str, str]
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
