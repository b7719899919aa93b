"""Build the SQL that types a staged batch and gives every bad row one clear reason.

The query is layered so each layer reads like a step of the rules:

1. ``stage``  – source columns renamed ``__s<i>`` next to ``_source_row``/``_raw``/``_reject``.
2. ``typed``  – each canonical field parsed from its column (or NULL when the file lacks it),
   plus a ``__p_<field>`` flag telling whether the cell held anything at all.
3. ``lets``   – helper values shared by derived columns (e.g. a parsed Segment context).
4. ``derived``– columns computed from the typed fields (E.164 phone, line total, …).
5. ``checked``– ``_reason``/``_reason_column``/``_reason_detail``: the first rule the row breaks,
   in a fixed order (structure, required, type, range, row rules).

Layers 1-2 (:func:`build_typed_sql`) and 3-5 (:func:`build_checked_sql`) are two statements
with a temp table between them; see the note on the first.

Only the column-to-field mapping and the source column types differ between files, so the
same function serves CSV, JSON and Parquet.
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
            return naive if opt.timezone == "UTC" else \
                f"CAST(timezone({lit(opt.timezone)}, {naive}) AS TIMESTAMP)"
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


def build_typed_sql(kind: SourceKind, stage: str, columns: list[str], types: list[str],
                    mapping: dict[str, str], opt: ParseOptions) -> str:
    """Layers 1-2: the staged cells, a row hash, and every field parsed to its type.

    Materialise this before :func:`build_checked_sql`: the checks refer to each typed field
    several times, and DuckDB would otherwise inline (and re-plan) every parse expression.
    """
    index = {c: i for i, c in enumerate(columns)}
    src_of = {name: f"__s{index[col]}" for name, col in mapping.items()}
    type_of = {name: types[index[col]] for name, col in mapping.items()}

    typed_cols = []
    for f in kind.fields:
        if f.name in src_of:
            typed_cols.append(f"{_typed_expr(f, src_of[f.name], type_of[f.name], opt)} "
                              f"AS {q(f.name)}")
            typed_cols.append(f"{_present_expr(f, src_of[f.name], type_of[f.name])} "
                              f"AS {q('__p_' + f.name)}")
        else:
            typed_cols.append(f"CAST(NULL AS {f.sql_type}) AS {q(f.name)}")
            typed_cols.append(f"false AS {q('__p_' + f.name)}")

    unmapped = [c for c in columns if c not in set(mapping.values())]
    if unmapped:
        pairs = ", ".join(f"{q(c)} := __s{index[c]}" for c in unmapped)
        typed_cols.append(f"CAST(to_json(struct_pack({pairs})) AS VARCHAR) AS _extra")
    else:
        typed_cols.append("CAST(NULL AS VARCHAR) AS _extra")

    if kind.dedup_key is None and columns:
        hash_parts = ", ".join(f"coalesce(CAST(__s{i} AS VARCHAR), chr(0))"
                               for i in range(len(columns)))
        row_hash = f"md5(concat_ws(chr(31), {hash_parts}))"
    else:  # records are identified by their key (Segment messageId), no hash needed
        row_hash = "CAST(NULL AS VARCHAR)"
    return f"SELECT *, {row_hash} AS _row_hash, {', '.join(typed_cols)} FROM {stage}"


def build_checked_sql(kind: SourceKind, typed: str, columns: list[str],
                      mapping: dict[str, str]) -> str:
    """Layers 3-5 over the materialised typed rows: lets, derived columns, the reason."""
    index = {c: i for i, c in enumerate(columns)}
    src_of = {name: f"__s{index[col]}" for name, col in mapping.items()}
    if columns:
        raw_pairs = ", ".join(f"{q(c)} := __s{i}" for i, c in enumerate(columns))
        raw_json = f"CAST(to_json(struct_pack({raw_pairs})) AS VARCHAR)"
    else:
        raw_json = "'{}'"
    lets = ", ".join(f"{sql} AS {q(name)}" for name, sql in kind.lets) or "1 AS __nolets"
    derived = ", ".join(f"CAST({d.sql} AS {d.sql_type}) AS {q(d.name)}" for d in kind.derived) \
        or "1 AS __noderived"
    checks = _checks(kind, mapping, src_of)
    reason = _case([(cond, code) for cond, code, _, _ in checks])
    reason_col = _case([(cond, col) for cond, _, col, _ in checks])
    detail = _case([(cond, det) for cond, _, _, det in checks])
    return f"""
WITH lets AS (SELECT *, {lets} FROM {typed}),
derived AS (SELECT *, {derived} FROM lets),
checked AS (
  SELECT *, {reason} AS _reason, {reason_col} AS _reason_column, {detail} AS _reason_detail
  FROM derived
)
SELECT *, CASE WHEN _reason IS NOT NULL THEN coalesce(_raw, {raw_json}) END AS _raw_text
FROM checked"""


def _case(branches: list[tuple[str, str]]) -> str:
    whens = " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    return f"(CASE {whens} END)" if whens else "CAST(NULL AS VARCHAR)"


def _checks(kind: SourceKind, mapping: dict[str, str],
            src_of: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(condition, reason SQL, column SQL, detail SQL) in the order they are tried."""
    checks: list[tuple[str, str, str, str]] = [
        # Damage the reader found (bad bytes, broken JSON, wrong field count) comes first.
        ("_reject IS NOT NULL", "_reject", "CAST(NULL AS VARCHAR)", "_reject_detail"),
    ]
    for f in kind.fields:
        col = lit(mapping.get(f.name, f.name))
        p, v = q("__p_" + f.name), q(f.name)
        if f.required:
            checks.append((f"NOT {p}", lit("missing_required"), col,
                           lit(f"the required field {f.name!r} (column {mapping.get(f.name, f.name)!r})"
                               " is empty; fill it in or remove the row")))
        if f.type in _TYPE_REASON:
            code, what = _TYPE_REASON[f.type]
            src = src_of.get(f.name)
            shown = (f"'cannot read \"' || coalesce(CAST({src} AS VARCHAR), '?') || "
                     f"'\" as {what}'") if src else lit("")
            checks.append((f"{p} AND {v} IS NULL", lit(code), col, shown))
        elif f.choices:
            checks.append((f"{p} AND {v} IS NULL", lit("bad_value"), col,
                           lit(f"must be one of: {', '.join(f.choices)}")))
        if f.minimum is not None:
            code = "negative_value" if f.minimum >= 0 else "out_of_range"
            checks.append((f"{v} < 0" if f.minimum >= 0 else f"{v} < {f.minimum}", lit(code), col,
                           f"'value ' || CAST({v} AS VARCHAR) || ' is below the minimum "
                           f"{_num(f.minimum)}'"))
            if f.minimum > 0:
                checks.append((f"{v} < {f.minimum}", lit("out_of_range"), col,
                               f"'value ' || CAST({v} AS VARCHAR) || ' is below the minimum "
                               f"{_num(f.minimum)}'"))
        if f.maximum is not None:
            checks.append((f"{v} > {f.maximum}", lit("out_of_range"), col,
                           f"'value ' || CAST({v} AS VARCHAR) || ' is above the maximum "
                           f"{_num(f.maximum)}'"))
    for rule in kind.rules:
        checks.append((f"({rule.invalid_sql})", lit(rule.code), "CAST(NULL AS VARCHAR)",
                       lit(rule.message)))
    return checks


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
