"""Rule-based audiences: named SQL conditions on what personae knows about each person.

An audience is a ``[audiences.NAME]`` table in ``personae.toml`` with a ``where`` condition,
e.g. ``clv_12m > 500 and recency_days > 90``. Conditions are evaluated on one view that
puts everything known about a person in one row (profile attributes, value scores, the
segment and, for B2B, the account), so listing, counting and exporting agree by
construction.

A condition is user input that ends up inside a query, so it is checked before it runs:
it must be a single condition (no ``;``, comments, subqueries or statements) on attributes
the view has. Mistakes are reported with the attribute that is wrong, the closest names
and the fix, rather than DuckDB's message about a query the user never wrote.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from personae.config import AudienceSettings, GovernanceSettings
from personae.engine import DuckDBEngine, quote_ident, quote_literal
from personae.governance.consent import consent_filter

__all__ = [
    "Audience",
    "AudienceError",
    "AudienceExport",
    "audience_columns",
    "audience_view_sql",
    "check_predicate",
    "export_audience",
    "list_audiences",
]

ExportFormat = Literal["auto", "csv", "parquet", "jsonl"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl")
_SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true",
    "parquet": "FORMAT parquet",
    "jsonl": "FORMAT json",  # DuckDB writes newline-delimited JSON by default
}
# segments column -> the name it gets in the view (``segment`` keeps its name).
_SEGMENT_COLUMNS = {
    "segment": "segment",
    "segment_name": "segment_name",
    "role": "segment_role",
    "probability": "segment_probability",
    "outlier": "segment_outlier",
}
_EXAMPLE_TOML = (
    "[audiences.lapsed_vip]\n"
    'where = "clv_12m > 500 and recency_days > 90"\n'
    'description = "High-value customers who have not bought for three months"\n'
    'columns = ["email", "first_name", "clv"]'
)


class AudienceError(Exception):
    """An audience cannot be listed or exported; the message names the fix."""


@dataclass
class Audience:
    """One audience with its size; ``share`` is of all non-anonymous profiles.

    ``members`` counts the people an export would write: those matching ``where`` who
    consent to the audience purpose (``[governance] audience_purpose``); ``excluded`` the
    ones matching ``where`` who do not.
    """

    name: str
    where: str
    description: str
    members: int
    share: float
    excluded: int = 0


class AudienceExport(int):
    """The number of profiles an export wrote (an ``int``), plus ``excluded``: how many
    matched the condition but were left out because they do not consent to ``purpose``.

    An int so that callers that only want the count keep working; the exclusion travels
    with it so that no caller can lose it by accident.
    """

    excluded: int
    purpose: str

    def __new__(cls, rows: int, excluded: int = 0, purpose: str = "") -> AudienceExport:
        obj = super().__new__(cls, rows)
        obj.excluded = excluded
        obj.purpose = purpose
        return obj

    @property
    def rows(self) -> int:
        return int(self)


def _consent(con: duckdb.DuckDBPyConnection, governance: GovernanceSettings | None) -> tuple:
    """The audience purpose and its predicate on the view (``a.profile_id``)."""
    gov = governance or GovernanceSettings()
    purpose = gov.audience_purpose
    return purpose, consent_filter(con, purpose, gov.consent_default, "a.profile_id")


# -- the view ---------------------------------------------------------------------------
def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return DuckDBEngine(con).columns(table)


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})").fetchall()[0][0])


def _build_view(con: duckdb.DuckDBPyConnection, horizon_months: int) -> tuple[str, list[str]]:
    """The view's SELECT and its column names, in order.

    Names are unique ignoring case (DuckDB identifiers are case-insensitive), and the first
    source to claim a name keeps it: profiles, then value_scores, the CLV alias, the
    segment, the account. Profiles win because they are what every other step shows.
    """
    eng = DuckDBEngine(con)
    if not eng.has_table("profiles"):
        raise AudienceError(
            "this workspace has no profiles, so there is nothing to select audiences from. "
            "Fix: run `personae build` first."
        )
    names: list[str] = []
    taken: set[str] = set()
    select: list[str] = []

    def add(expr: str, name: str) -> None:
        if name.lower() in taken:
            return
        taken.add(name.lower())
        names.append(name)
        select.append(f"{expr} AS {quote_ident(name)}")

    profile_cols = _columns(con, "profiles")
    for c in profile_cols:
        add(f"p.{quote_ident(c)}", c)
    joins: list[str] = []

    if eng.has_table("value_scores") and "profile_id" in _columns(con, "value_scores"):
        value_cols = _columns(con, "value_scores")
        joins.append("LEFT JOIN value_scores v ON v.profile_id = p.profile_id")
        for c in value_cols:
            add(f"v.{quote_ident(c)}", c)
        if "clv" in value_cols:
            add("v.clv", f"clv_{int(horizon_months)}m")

    has_account = "account_id" in profile_cols
    if eng.has_table("segments"):
        seg_cols = _columns(con, "segments")
        if {"entity", "entity_id"} <= set(seg_cols):
            # One row per entity even if the table repeats one: the most probable wins.
            wanted = [c for c in _SEGMENT_COLUMNS if c in seg_cols]
            picked = ", ".join(quote_ident(c) for c in ["entity_id", *wanted])
            order = ", ".join(
                ["entity_id"]
                + (["probability DESC NULLS LAST"] if "probability" in seg_cols else [])
                + (["segment"] if "segment" in seg_cols else [])
            )

            def segments_of(entity: str) -> str:
                return (
                    f"(SELECT DISTINCT ON (entity_id) {picked} FROM segments "
                    f"WHERE entity = '{entity}' ORDER BY {order})"
                )

            joins.append(f"LEFT JOIN {segments_of('person')} sp ON sp.entity_id = p.profile_id")
            if has_account:
                joins.append(
                    f"LEFT JOIN {segments_of('account')} sa ON sa.entity_id = p.account_id"
                )
            for c in wanted:
                col = quote_ident(c)
                expr = (
                    f"CASE WHEN sp.entity_id IS NOT NULL THEN sp.{col} ELSE sa.{col} END"
                    if has_account
                    else f"sp.{col}"
                )
                add(expr, _SEGMENT_COLUMNS[c])

    if has_account and eng.has_table("account_profiles") and _has_rows(con, "account_profiles"):
        account_cols = _columns(con, "account_profiles")
        if "account_id" in account_cols:
            joins.append("LEFT JOIN account_profiles ac ON ac.account_id = p.account_id")
            for c in account_cols:
                if c != "account_id":
                    add(f"ac.{quote_ident(c)}", f"account_{c}")

    sql = (
        "SELECT "
        + ", ".join(select)
        + " FROM profiles p "
        + " ".join(joins)
        + " WHERE p.anonymous IS NOT TRUE"
    )
    return sql, names


def audience_view_sql(con: duckdb.DuckDBPyConnection, horizon_months: int) -> str:
    """A SELECT with one row per non-anonymous profile and every attribute an audience can
    use: the profile's columns, the value score columns profiles lacks, ``clv_<h>m`` (the
    predicted CLV over the value horizon, so conditions read like the docs), ``segment``,
    ``segment_name``, ``segment_role``, ``segment_probability``, ``segment_outlier`` and,
    for B2B, the account's columns as ``account_<column>``. Tables that do not exist yet are
    left out, so audiences on profile attributes work right after ``personae build``."""
    return _build_view(con, horizon_months)[0]


def audience_columns(con: duckdb.DuckDBPyConnection, horizon_months: int) -> list[str]:
    """The attributes conditions and exports can name (the view's columns, in order)."""
    return _build_view(con, horizon_months)[1]


# -- checking conditions ----------------------------------------------------------------
def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _unknown_message(
    name: str,
    what: str,
    unknown: list[str],
    known: list[str],
    field: str,
    hint: str = "",
    no_suggest: tuple[str, ...] = (),
) -> str:
    lowered = {k.lower(): k for k in known}
    suggestions = []
    for u in unknown:
        if u in no_suggest:  # a text value in double quotes: a near column name misleads
            continue
        close = difflib.get_close_matches(u.lower(), list(lowered), n=3, cutoff=0.6)
        if close:
            suggestions.append(f"{u} -> {' or '.join(lowered[c] for c in close)}")
    s = "s" if len(unknown) > 1 else ""
    return (
        f"audience {name!r}: unknown {what}{s} {', '.join(unknown)}"
        + (f" (did you mean: {'; '.join(suggestions)})" if suggestions else "")
        + ". "
        + hint
        + f"Known attributes: {', '.join(sorted(known, key=str.lower))}. "
        + f"Fix: edit [audiences.{_toml_key(name)}] {field} in personae.toml."
    )


def _not_a_condition(name: str, where: str, why: str) -> AudienceError:
    return AudienceError(
        f"audience {name!r}: {where!r} is not a single SQL condition: {why}. "
        "Write one condition on profile attributes, e.g. "
        '"clv_12m > 500 and recency_days > 90". '
        f"Fix: edit [audiences.{_toml_key(name)}] where in personae.toml."
    )


def check_predicate(where: str, known: list[str], name: str) -> None:
    """Raise :class:`AudienceError` unless ``where`` is one condition on ``known`` columns.

    The text is pasted into ``WHERE ( ... )`` afterwards, so the checks make sure it cannot
    leave those parentheses (balanced, no ``;``, no comments) and reads nothing but the
    view's own row (no subqueries, ``*`` or parameters).
    """
    if not where.strip():
        raise _not_a_condition(name, where, "it is empty")
    try:
        tokens = sqlglot.tokenize(where, read="duckdb")
    except TokenError as exc:
        raise _not_a_condition(name, where, str(exc).splitlines()[0]) from None
    depth = 0
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            raise _not_a_condition(name, where, "it contains ';'")
        if tok.comments:
            raise _not_a_condition(name, where, "it contains a comment")
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth < 0:
                raise _not_a_condition(name, where, "a ')' closes more than was opened")
    if depth:
        raise _not_a_condition(name, where, "a '(' is never closed")
    try:
        statements = sqlglot.parse(f"SELECT 1 WHERE (\n{where}\n)", read="duckdb")
    except ParseError as exc:
        # sqlglot's own description speaks of its parser's internals; where it stopped
        # is what helps.
        near = next((e.get("highlight") for e in exc.errors if e.get("highlight")), "")
        why = f"it does not parse as SQL near {near!r}" if near else "it does not parse as SQL"
        raise _not_a_condition(name, where, why) from None
    except TokenError as exc:
        raise _not_a_condition(name, where, _first_line(exc)) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise _not_a_condition(name, where, "it is more than one statement")
    root = statements[0]
    condition = root.args.get("where")
    if condition is None or any(
        root.args.get(k) for k in ("from_", "from", "joins", "group", "having", "order", "limit")
    ):
        raise _not_a_condition(name, where, "it is not a condition")
    for node in condition.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.Exists):
            raise _not_a_condition(name, where, "subqueries are not allowed")
        if isinstance(node, exp.Star):
            raise _not_a_condition(name, where, "'*' is not allowed")
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise _not_a_condition(name, where, "parameters ($1, ?) are not allowed")
    known_lower = {k.lower() for k in known}
    unknown: list[str] = []
    quoted: list[str] = []
    for col in condition.find_all(exp.Column):
        # ``a.b`` is a field of a struct column ``a``; any other qualifier names a table
        # the condition cannot see.
        base = col.table or col.name
        label = f"{col.table}.{col.name}" if col.table else col.name
        if base.lower() not in known_lower and label not in unknown:
            unknown.append(label)
            ident = col.this
            if isinstance(ident, exp.Identifier) and ident.quoted and not col.table:
                quoted.append(col.name)
    if unknown:
        hint = _missing_step_hint(unknown, known_lower)
        if quoted:
            q = quoted[0].replace("'", "''")
            hint += (
                f'In SQL "{quoted[0]}" (double quotes) is a column name; text values take '
                f"single quotes: '{q}'. "
            )
        raise AudienceError(
            _unknown_message(name, "attribute", unknown, known, "where", hint, tuple(quoted))
        )


_VALUE_NAMES = re.compile(r"(clv|churn|rfm|p_alive|expected_|upsell|[rfm]_score)", re.I)


def _missing_step_hint(unknown: list[str], known_lower: set[str]) -> str:
    """Say which step makes an attribute that is missing only because it has not run."""
    hints = []
    if "clv" not in known_lower and any(_VALUE_NAMES.match(u) for u in unknown):
        hints.append("Value scores (clv, churn_risk, ...) appear once `personae value` has run. ")
    if "segment" not in known_lower and any(u.lower().startswith("segment") for u in unknown):
        hints.append("Segment attributes appear once `personae segment` has run. ")
    return "".join(hints)


def _check_columns(columns: list[str], known: list[str], name: str) -> None:
    known_lower = {k.lower() for k in known}
    unknown = [c for c in columns if c.lower() not in known_lower]
    if unknown:
        hint = _missing_step_hint(unknown, known_lower)
        raise AudienceError(_unknown_message(name, "column", unknown, known, "columns", hint))


def _first_line(exc: BaseException) -> str:
    # DuckDB appends the query text (the whole view) after the first line; it would only
    # bury the part that matters.
    return str(exc).strip().splitlines()[0]


def _runtime_error(name: str, where: str, exc: duckdb.Error) -> AudienceError:
    return AudienceError(
        f"audience {name!r}: the condition {where!r} does not run: {_first_line(exc)}. "
        "Compare like with like: text values in single quotes, numbers without, or cast "
        "(e.g. age::INTEGER). "
        f"Fix: edit [audiences.{_toml_key(name)}] where in personae.toml."
    )


# -- listing and exporting --------------------------------------------------------------
def list_audiences(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, AudienceSettings],
    horizon_months: int,
    *,
    governance: GovernanceSettings | None = None,
) -> list[Audience]:
    """Every configured audience with its member count and share, in config order.

    Each condition is checked, then counted with one COUNT on the view; the first audience
    that fails stops the listing with its error, since a count next to a broken rule would
    be misleading. Members are counted as an export would write them (consenting people
    only, ``governance`` defaulting to the shipped ``[governance]``), the rest as excluded.
    """
    if not settings:
        return []
    view, known = _build_view(con, horizon_months)
    _, consent = _consent(con, governance)
    total = con.execute(f"SELECT count(*) FROM ({view}) AS a").fetchall()[0][0]
    out = []
    for name, s in settings.items():
        check_predicate(s.where, known, name)
        try:
            members, excluded = con.execute(
                f"SELECT count(*) FILTER (WHERE _ok), count(*) FILTER (WHERE NOT _ok) "
                f"FROM (SELECT {consent} AS _ok FROM ({view}) AS a WHERE (\n{s.where}\n))"
            ).fetchall()[0]
        except duckdb.Error as exc:
            raise _runtime_error(name, s.where, exc) from None
        share = members / total if total else 0.0
        out.append(Audience(name, s.where, s.description, members, share, excluded))
    return out


def export_format(path: Path, fmt: str = "auto") -> str:
    """The file format: ``fmt`` itself, or (``auto``) from the file name; csv otherwise."""
    if fmt != "auto":
        if fmt not in FORMATS:
            raise AudienceError(
                f"unknown export format {fmt!r}. Fix: use one of {', '.join(FORMATS)}."
            )
        return fmt
    return _SUFFIXES.get(path.suffix.lower(), "csv")


def _pick(name: str, settings: dict[str, AudienceSettings]) -> AudienceSettings:
    if not settings:
        raise AudienceError(
            "no audiences are defined in personae.toml. Fix: add one table per audience, "
            "e.g.\n\n" + _EXAMPLE_TOML + "\n\nthen run `personae audiences` to see its size."
        )
    if name not in settings:
        close = difflib.get_close_matches(name, list(settings), n=1)
        raise AudienceError(
            f"no audience named {name!r}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f". Defined: {', '.join(settings)}. "
            f"Fix: use one of those, or add [audiences.{_toml_key(name)}] to personae.toml."
        )
    return settings[name]


def export_audience(
    con: duckdb.DuckDBPyConnection,
    name: str,
    settings: dict[str, AudienceSettings],
    path: Path,
    horizon_months: int,
    fmt: ExportFormat | str = "auto",
    *,
    governance: GovernanceSettings | None = None,
) -> AudienceExport:
    """Write the members of audience ``name`` to ``path``; returns the row count.

    The file holds ``profile_id`` and the audience's ``columns``, ordered by profile_id so
    the same data gives the same file. Formats: csv (with a header), parquet, or jsonl
    (one JSON object per line); ``auto`` goes by the file name and falls back to csv.

    Only people who consent to the audience purpose (``governance``, default the shipped
    ``[governance]``: advertising, no recorded choice counts as consent) are written; the
    count of those left out comes back as ``.excluded`` on the returned count.
    """
    audience = _pick(name, settings)
    kind = export_format(path, fmt)
    view, known = _build_view(con, horizon_months)
    check_predicate(audience.where, known, name)
    _check_columns(audience.columns, known, name)
    canonical = {k.lower(): k for k in known}
    columns = ["profile_id"]
    for c in audience.columns:
        if canonical[c.lower()] not in columns:
            columns.append(canonical[c.lower()])
    picked = ", ".join(quote_ident(c) for c in columns)
    purpose, consent = _consent(con, governance)
    path.parent.mkdir(parents=True, exist_ok=True)
    query = (
        f"COPY (SELECT {picked} FROM ({view}) AS a WHERE (\n{audience.where}\n) "
        f"AND ({consent}) ORDER BY profile_id) TO {quote_literal(str(path))} "
        f"({_COPY_OPTIONS[kind]})"
    )
    try:
        excluded = 0
        if consent != "TRUE":
            excluded = con.execute(
                f"SELECT count(*) FROM ({view}) AS a WHERE (\n{audience.where}\n) "
                f"AND NOT ({consent})"
            ).fetchall()[0][0]
        rows = con.execute(query).fetchall()[0][0]
        return AudienceExport(int(rows), int(excluded), purpose)
    except duckdb.IOException as exc:
        raise AudienceError(
            f"audience {name!r}: cannot write {path}: {_first_line(exc)}. "
            "Fix: pass a writable file with -o."
        ) from None
    except duckdb.Error as exc:
        raise _runtime_error(name, audience.where, exc) from None
