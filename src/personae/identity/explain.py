"""``personae identity explain TYPE:VALUE``: the story of one identifier's profile.

Everything shown comes from the tables identity resolution wrote (``identity_map``,
``identity_audit``, ``identity_signatures``), so the explanation is exactly what the build
decided, not a re-computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from personae.config import IDENTIFIER_TYPES, IdentitySettings
from personae.identity.identifiers import Normaliser, parse_phone


class ExplainError(ValueError):
    """The identifier asked about is malformed or the workspace has no identity yet."""


@dataclass
class Explanation:
    id_type: str
    raw_value: str
    value: str | None  # normalised; None when blocked or malformed
    status: str  # linked | conflict | split | not_found | blocked
    profile_id: str | None = None
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    guards: list[dict[str, Any]] = field(default_factory=list)
    records_by_kind: list[dict[str, Any]] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)


def parse_identifier(text: str) -> tuple[str, str]:
    """``'email:Ann@x.com'`` → ``('email', 'Ann@x.com')``, with a clear error otherwise."""
    id_type, sep, value = text.partition(":")
    id_type = id_type.strip().lower()
    if not sep or not value.strip():
        raise ExplainError(
            f"{text!r} is not TYPE:VALUE. Fix: write e.g. email:ann@example.com "
            f"(types: {', '.join(IDENTIFIER_TYPES)})"
        )
    if id_type not in IDENTIFIER_TYPES:
        raise ExplainError(
            f"unknown identifier type {id_type!r}. Known types: {', '.join(IDENTIFIER_TYPES)}"
        )
    return id_type, value


def normalise(
    con: duckdb.DuckDBPyConnection, settings: IdentitySettings, id_type: str, raw: str
) -> str | None:
    """The canonical form identity resolution would give ``raw`` (None: never links)."""
    norm = Normaliser(settings)
    value = con.execute(f"SELECT {norm.sql(id_type, '$v')}", {"v": raw}).fetchall()[0][0]
    if id_type == "phone" and value is not None:
        return parse_phone(value, settings.region)
    return value


def explain(
    con: duckdb.DuckDBPyConnection, settings: IdentitySettings, identifier: str
) -> Explanation:
    id_type, raw = parse_identifier(identifier)
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if "identity_map" not in tables:
        raise ExplainError("no identity has been resolved yet. Fix: run `personae build` first.")
    value = normalise(con, settings, id_type, raw)
    if value is None:
        return Explanation(id_type, raw, None, "blocked")
    row = con.execute(
        "SELECT profile_id, status FROM identity_map WHERE id_type = ? AND id_value = ?",
        [id_type, value],
    ).fetchall()
    if not row:
        return Explanation(id_type, raw, value, "not_found")
    profile_id, status = row[0]
    out = Explanation(id_type, raw, value, status, profile_id)
    out.guards = _rows(
        con,
        """
        SELECT rule, id_type, id_value, other_type, other_value, detail, example_kind,
               example_file, example_row
        FROM identity_audit
        WHERE rule IN ('conflict', 'split_cut', 'split_tie', 'split_unreached')
          AND ((id_type = ? AND id_value = ?) OR profile_id = ?
               OR other_value IN (SELECT id_value FROM identity_map WHERE profile_id = ?))
        ORDER BY rule, id_type, id_value
        """,
        [id_type, value, profile_id, profile_id],
    )
    if profile_id is None:
        return out
    out.identifiers = _rows(
        con,
        """
        SELECT m.id_type, m.id_value, m.n_records AS records, m.status
        FROM identity_map m WHERE m.profile_id = ?
        ORDER BY m.priority, m.n_records DESC, m.id_value
        """,
        [profile_id],
    )
    out.links = _rows(
        con,
        """
        SELECT rule, id_type, id_value, other_type, other_value, n_records AS records,
               example_kind, example_file, example_row, match_probability
        FROM identity_audit
        WHERE profile_id = ? AND rule IN ('same_record', 'fuzzy_match')
        ORDER BY rule DESC, n_records DESC, id_type, id_value, other_type, other_value
        """,
        [profile_id],
    )
    out.records_by_kind = _rows(
        con,
        """
        SELECT kind, CAST(sum(n_records) AS BIGINT) AS records FROM identity_signatures
        WHERE profile_id = ? GROUP BY kind ORDER BY records DESC, kind
        """,
        [profile_id],
    )
    out.merges = [
        r["other_value"]
        for r in _rows(
            con,
            "SELECT other_value FROM identity_audit WHERE profile_id = ? "
            "AND rule = 'merged_profile'",
            [profile_id],
        )
    ]
    if "account_links" in tables:
        out.accounts = _rows(
            con,
            "SELECT account_id, rule, CAST(n_records AS BIGINT) AS records FROM account_links "
            "WHERE profile_id = ? ORDER BY n_records DESC, account_id, rule",
            [profile_id],
        )
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


RULE_WORDS = {
    "same_record": "appear together in",
    "fuzzy_match": "matched by name/birth date/address",
}


def story(e: Explanation) -> list[str]:
    """The explanation as plain sentences (the CLI adds tables around them)."""
    lines = [f"{e.id_type}:{e.raw_value}"]
    if e.value is None:
        lines.append(
            "This value is blocked or malformed: it never links anything "
            "(see [identity] blocked_values and the email rules in personae.toml)."
        )
        return lines
    if e.value != e.raw_value:
        lines.append(f"Normalised to {e.value!r}.")
    if e.status == "not_found":
        lines.append("No ingested record holds this identifier.")
        return lines
    if e.status == "conflict":
        lines.append(
            "This identifier does NOT link records: a merge guard stopped it "
            "(it appears with more identifiers of a higher-priority type than allowed)."
        )
    elif e.status == "split":
        lines.append(
            "This identifier does NOT link records: its group broke a limit and was split, "
            "and it was equally close to two of the identifiers it was split around."
        )
    if e.profile_id:
        n = sum(r["records"] for r in e.records_by_kind)
        kinds = ", ".join(f"{r['kind']} {r['records']:,}" for r in e.records_by_kind)
        lines.append(
            f"Profile {e.profile_id}: {len(e.identifiers)} identifiers, {n:,} records ({kinds})."
        )
        for m in e.merges:
            lines.append(f"Profile {m} was merged into it when new data arrived.")
    return lines
