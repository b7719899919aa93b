"""Finding one person: every profile, identifier and record the workspace holds on them.

Erasure and subject-access export must cover the same ground, or an export would show data
that an erasure leaves behind (or the reverse). So both start here: :func:`find_subject`
resolves one identifier to the person's profiles and gathers everything that points at
them, and :func:`row_filters` turns that into one ``WHERE`` clause per workspace table,
which export uses to SELECT and erasure to DELETE.

A record belongs to the person when

* the identity resolver linked it to one of their profiles (the ``record_profiles`` view,
  plus ``live_event_links`` for events the tracking API added since the last build), or
* one of its identifier columns holds one of their identifiers (records ingested after the
  last build, and records the resolver could not link, still carry the identifier).

Records of any kind that *mention* them — their e-mail, phone (in any format) or id written
in free text or in a malformed identifier cell (the rules are in
:mod:`personae.governance.mentions`) — are found too, as :attr:`Subject.mentions`. With
``[governance] erase_mentions = "delete"`` (the default) they count as the person's records
(erased, exported); with ``"redact"`` they are kept apart: erasure redacts the mentions and
keeps the record. Quarantined rows that mention them are always the person's.

Their identifiers are those ``identity_map`` links to their profiles (status ``linked`` or
``live``). An identifier that did *not* link (a shared family tablet, a conflict) is not
theirs alone: the records holding it are found through their other identifiers, and the
value itself is never searched for or tombstoned, so other people's data stays intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from personae.config import CONFIG_FILE, Config, IdentitySettings, load_config
from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
from personae.governance.mentions import DELETE, ClearKnown, scan, scan_texts
from personae.identity.identifiers import ACCOUNT, Normaliser, identifier_columns, parse_phone

PROFILE_ID = "profile_id"
PHONE_TAIL = 7
"""Digits compared before a phone number is parsed (a cheap filter; parsing confirms)."""

# Fields holding the id of a record a customer wrote (persona evidence cites these ids).
TEXT_RECORD_FIELDS = {
    "reviews": "review_id",
    "survey_responses": "response_id",
    "tickets": "ticket_id",
    "social_posts": "post_id",
}
# Identify traits that carry a name (Segment spec and common spellings).
NAME_TRAITS = (("$.firstName", "$.lastName"), ("$.first_name", "$.last_name"))

# Tables that never hold rows about one person (or are handled apart from the filters).
NOT_PERSONAL = ("tombstones", "tombstone_meta", "stream_state", "runs", "ingest_files")
DOCUMENT_TABLES = ("personas", "text_themes")

_TEMP = ("_subj_profiles", "_subj_ids", "_subj_records", "_subj_sigs", "_subj_docs", "_subj_tokens")


@dataclass
class Subject:
    """One person as the workspace knows them (see the module docstring)."""

    id_type: str
    value: str
    normalised: str | None
    profile_ids: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    records: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    raw_values: list[str] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)
    sig_keys: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    snippet_ids: list[str] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    # records that mention them (kind -> (file, row)); "quarantine" for rejected rows
    mentions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    mention_mode: str = DELETE
    known: ClearKnown | None = field(default=None, repr=False)
    identity: IdentitySettings = field(default_factory=IdentitySettings, repr=False)

    @property
    def mention_count(self) -> int:
        return sum(len(v) for v in self.mentions.values())

    @property
    def found(self) -> bool:
        return bool(self.profile_ids or self.record_count)

    @property
    def record_count(self) -> int:
        return sum(len(v) for v in self.records.values())

    def needles(self) -> list[str]:
        """Strings that point at this person alone: identifiers (canonical and as written),
        profile ids and the ids of records they wrote. Erasure replaces or deletes what
        still holds one of them; verification searches for them."""
        out = {v for _, v in self.identifiers}
        out.update(self.raw_values)
        out.update(self.profile_ids)
        out.update(self.record_ids)
        out.update(self.message_ids)
        if self.normalised:
            out.add(self.normalised)
        return sorted(v for v in out if v and len(v) >= 4)

    def distinctive_needles(self) -> list[str]:
        """The needles safe to act on in free text and files: a plain word ("anna") or a
        short number ("1001") may be someone else's word, so only strings with a digit or
        a symbol among letters (emails, phones, ids like "C100592", UUIDs) of six or more
        characters, or numbers of nine or more digits, count."""
        return [n for n in self.needles() if distinctive(n)]

    def name_needles(self) -> list[str]:
        """Their full names, as "First Last" and "Last, First"."""
        out: set[str] = set()
        for first, last in self.names:
            if first and last:
                out.update({f"{first} {last}", f"{last}, {first}"})
        return sorted(out)

    # -- temp tables the row filters refer to ------------------------------------------
    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Write the subject into temp tables ``_subj_*`` (for :func:`row_filters`)."""
        recs = [(k, f, r) for k, rows in self.records.items() for f, r in rows]
        # quarantined rows that mention them are theirs in either mode (a rejected record
        # is nobody's data to keep); other mentions are theirs when they are erased whole
        recs += [("quarantine", f, r) for f, r in self.mentions.get("quarantine", [])]
        tables = {
            "_subj_profiles": pa.table({"profile_id": pa.array(self.profile_ids, pa.string())}),
            "_subj_ids": pa.table(
                {
                    "id_type": pa.array([t for t, _ in self.identifiers], pa.string()),
                    "id_value": pa.array([v for _, v in self.identifiers], pa.string()),
                }
            ),
            "_subj_records": pa.table(
                {
                    "kind": pa.array([r[0] for r in recs], pa.string()),
                    "source_file": pa.array([r[1] for r in recs], pa.string()),
                    "source_row": pa.array([r[2] for r in recs], pa.int64()),
                }
            ),
            "_subj_sigs": pa.table({"sig_key": pa.array(self.sig_keys, pa.string())}),
            "_subj_docs": pa.table({"doc_id": pa.array(self.doc_ids, pa.string())}),
            "_subj_tokens": pa.table({"token": pa.array(self.tokens, pa.string())}),
        }
        for name, table in tables.items():
            _temp_table(con, name, table)

    @staticmethod
    def unregister(con: duckdb.DuckDBPyConnection) -> None:
        for name in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {name}")


def distinctive(text: str) -> bool:
    """True for a string unlikely to occur by chance in someone else's text."""
    if text.isdigit():
        return len(text) >= 9
    return len(text) >= 6 and not text.isalpha()


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register("_subj_arrow", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _subj_arrow")
    finally:
        con.unregister("_subj_arrow")


# -- settings ------------------------------------------------------------------------------
def workspace_settings(workspace_path: str | Path, settings: Config | None = None) -> Config:
    """The workspace's configuration (``settings`` when given)."""
    if settings is not None:
        return settings
    return load_config(Path(workspace_path) / CONFIG_FILE)


def identity_settings(settings: Config | IdentitySettings | None) -> IdentitySettings:
    if settings is None:
        return IdentitySettings()
    if isinstance(settings, IdentitySettings):
        return settings
    return settings.identity


def source_overrides(settings: Config | IdentitySettings | None) -> dict[str, dict[str, str]]:
    """``[sources.NAME.identifiers]`` by kind (which columns hold which identifier)."""
    if not isinstance(settings, Config):
        return {}
    out: dict[str, dict[str, str]] = {}
    for src in settings.sources.values():
        out.setdefault(src.kind, {}).update(src.identifiers)
    return out


# -- catalogue helpers ----------------------------------------------------------------------
def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The workspace's base tables (views such as ``record_profiles`` are not storage)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY 1"
        ).fetchall()
    ]


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → DuckDB type."""
    return {
        r[0]: r[1]
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? AND table_catalog = current_database()"
            " ORDER BY ordinal_position",
            [table],
        ).fetchall()
    }


def has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name = ? AND table_catalog = current_database()",
            [name],
        ).fetchall()[0][0]
    )


# -- normalising the asked identifier -------------------------------------------------------
def normalise(
    con: duckdb.DuckDBPyConnection, id_type: str, value: str, identity: IdentitySettings
) -> str | None:
    """The resolver's canonical form of one identifier (None when it is not one)."""
    value = value.strip()
    if not value:
        return None
    if id_type == PROFILE_ID or value.startswith("ps_"):
        return value
    if id_type == "phone":
        return parse_phone(value, identity.region)
    sql = Normaliser(identity).sql(id_type, "$v")
    return con.execute(f"SELECT {sql}", {"v": value}).fetchall()[0][0]


def phone_tail(number: str) -> str:
    return re.sub(r"[^0-9]", "", number)[-PHONE_TAIL:]


# -- finding ---------------------------------------------------------------------------------
def find_subject(
    con: duckdb.DuckDBPyConnection,
    id_type: str,
    value: str,
    settings: Config | IdentitySettings | None = None,
) -> Subject:
    """The person behind one identifier (``id_type`` may also be ``profile_id``).

    ``settings`` is the workspace's :class:`~personae.config.Config` (its identity rules
    normalise the identifier the way the resolver did; its sources may re-type columns).
    ``normalised`` is None when the value is not a valid identifier of that type. The
    temp tables used while searching are dropped again; :meth:`Subject.register` puts
    them back for :func:`row_filters`.
    """
    identity = identity_settings(settings)
    canonical = normalise(con, id_type, value, identity)
    subject = Subject(id_type, value, canonical, identity=identity)
    if isinstance(settings, Config):
        subject.mention_mode = settings.governance.erase_mentions
    if canonical is None:
        return subject
    canonical = _vault_token(con, id_type, canonical) or canonical
    subject.profile_ids = _profiles(con, id_type, canonical)
    subject.identifiers = _identifiers(con, subject.profile_ids)
    if id_type != PROFILE_ID and (id_type, canonical) not in subject.identifiers:
        subject.identifiers.append((id_type, canonical))
        subject.identifiers.sort()
    subject.sig_keys = _signatures(con, subject.profile_ids)
    records = _linked_records(con, subject.profile_ids)
    raw_values: set[str] = set()
    for kind, found in _records_by_identifier(
        con, subject.identifiers, identity, source_overrides(settings)
    ).items():
        for key, raws in found.items():
            records.setdefault(kind, set()).add(key)
            raw_values.update(raws)
    subject.records = {k: sorted(v) for k, v in sorted(records.items()) if v}
    subject.register(con)
    raw_values.update(_raw_identifier_values(con, subject, identity, settings))
    subject.raw_values = sorted(v for v in raw_values if v)
    subject.names = _names(con, subject)
    subject.known = clear_known(con, subject)
    subject.mentions = find_mentions(con, subject)
    if subject.mention_mode == DELETE and subject.mentions:
        # records that mention them go with theirs: their ids, texts and quotes too
        for kind, rows in subject.mentions.items():
            if kind != "quarantine":
                subject.records[kind] = sorted({*subject.records.get(kind, []), *rows})
    subject.register(con)
    subject.record_ids = _written_record_ids(con)
    subject.message_ids = _message_ids(con)
    subject.tokens = _tokens(con, subject)
    subject.raw_values = sorted({*subject.raw_values, *_vault_values(con, subject)})
    subject.doc_ids, subject.snippet_ids = _documents(con, subject)
    subject.quotes = sorted(set(quoted_texts(con, subject)))
    subject.unregister(con)
    return subject


def _vault_token(con: duckdb.DuckDBPyConnection, id_type: str, value: str) -> str | None:
    """With pseudonymisation on, identifiers are stored as tokens; the vault maps back."""
    if id_type == PROFILE_ID or not has_relation(con, "vault"):
        return None
    got = con.execute(
        "SELECT min(token) FROM vault WHERE value = ? AND value_type = ?", [value, id_type]
    ).fetchall()
    return got[0][0] if got else None


def _profiles(con: duckdb.DuckDBPyConnection, id_type: str, value: str) -> list[str]:
    found: set[str] = set()
    if id_type == PROFILE_ID:
        for table in ("profiles", "identity_map"):
            if has_relation(con, table):
                n = con.execute(
                    f"SELECT count(*) FROM {table} WHERE profile_id = ?", [value]
                ).fetchall()[0][0]
                if n:
                    found.add(value)
    elif has_relation(con, "identity_map"):
        found.update(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT profile_id FROM identity_map WHERE id_type = ? AND id_value = ? "
                "AND profile_id IS NOT NULL",
                [id_type, value],
            ).fetchall()
        )
    return sorted(_with_merges(con, found))


def _with_merges(con: duckdb.DuckDBPyConnection, profiles: set[str]) -> set[str]:
    """Add the profiles merged into (or from) these: live merges and batch merges."""
    edges: list[tuple[str, str]] = []
    if has_relation(con, "profile_merges"):
        edges += con.execute("SELECT from_profile, to_profile FROM profile_merges").fetchall()
    if has_relation(con, "identity_audit"):
        edges += con.execute(
            "SELECT other_value, profile_id FROM identity_audit WHERE rule = 'merged_profile' "
            "AND profile_id IS NOT NULL AND other_value IS NOT NULL"
        ).fetchall()
    out = set(profiles)
    changed = bool(out)
    while changed:
        changed = False
        for a, b in edges:
            if (a in out) != (b in out) and a and b:
                out.update((a, b))
                changed = True
    return out


def _identifiers(con: duckdb.DuckDBPyConnection, profiles: list[str]) -> list[tuple[str, str]]:
    if not profiles or not has_relation(con, "identity_map"):
        return []
    rows = con.execute(
        "SELECT DISTINCT id_type, id_value FROM identity_map "
        "WHERE profile_id IN (SELECT unnest(?::VARCHAR[])) AND id_value IS NOT NULL",
        [profiles],
    ).fetchall()
    return sorted((t, v) for t, v in rows if t != ACCOUNT)


def _signatures(con: duckdb.DuckDBPyConnection, profiles: list[str]) -> list[str]:
    if not profiles or not has_relation(con, "identity_signatures"):
        return []
    return sorted(
        r[0]
        for r in con.execute(
            "SELECT sig_key FROM identity_signatures WHERE profile_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [profiles],
        ).fetchall()
    )


def _linked_records(
    con: duckdb.DuckDBPyConnection, profiles: list[str]
) -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = {}
    if not profiles:
        return out
    parts = []
    if has_relation(con, "record_profiles"):
        parts.append(
            "SELECT source_kind, source_file, source_row FROM record_profiles "
            "WHERE profile_id IN (SELECT unnest($p::VARCHAR[]))"
        )
    if has_relation(con, "live_event_links"):
        parts.append(
            "SELECT 'events', source_file, source_row FROM live_event_links "
            "WHERE profile_id IN (SELECT unnest($p::VARCHAR[]))"
        )
    if not parts:
        return out
    for kind, file, row in con.execute(" UNION ".join(parts), {"p": profiles}).fetchall():
        out.setdefault(kind, set()).add((file, int(row)))
    return out


def _raw_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, table, columns) of every ``raw_<kind>`` table, with only the columns that hold
    a value somewhere.

    DuckDB 2.0 fails to bind some string functions over a column its statistics know to be
    all NULL ("BindBuiltinScalarFunction did not return a BoundFunctionExpression"); such a
    column identifies nobody anyway.
    """
    out = []
    for t in tables(con):
        if not t.startswith("raw_"):
            continue
        present = filled_columns(con, t)
        if present:
            out.append((t.removeprefix("raw_"), t, present))
    return out


def filled_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → type of the columns of ``table`` that hold a value in some row (see
    :func:`_raw_tables` for why all-NULL columns are left out)."""
    cols = columns(con, table)
    if not cols:
        return {}
    counts = con.execute(
        "SELECT " + ", ".join(f"count({q(c)})" for c in cols) + f" FROM {q(table)}"
    ).fetchall()[0]
    return {c: typ for (c, typ), n in zip(cols.items(), counts, strict=True) if n}


def _records_by_identifier(
    con: duckdb.DuckDBPyConnection,
    identifiers: list[tuple[str, str]],
    identity: IdentitySettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[tuple[str, int], set[str]]]:
    """Records whose identifier columns hold one of ``identifiers``, with the raw values.

    Each column is normalised exactly as the resolver does; phones are filtered by their
    last digits in SQL, then parsed (the resolver's ``phonenumbers`` rule) to confirm.
    """
    by_type: dict[str, set[str]] = {}
    for t, v in identifiers:
        by_type.setdefault(t, set()).add(v)
    out: dict[str, dict[tuple[str, int], set[str]]] = {}
    if not by_type:
        return out
    norm = Normaliser(identity)
    tails = {phone_tail(v) for v in by_type.get("phone", set())}
    for kind, table, cols in _raw_tables(con):
        id_cols = [
            c for c in identifier_columns(kind, cols, overrides.get(kind)) if c.id_type in by_type
        ]
        if not id_cols:
            continue
        selects, conds = [], []
        for i, col in enumerate(id_cols):
            raw = f"CAST({col.raw_sql} AS VARCHAR)"
            selects.append(f"{raw} AS r{i}")
            if col.id_type == "phone":
                key = norm.sql("phone", col.raw_sql)
                selects.append(f"{key} AS n{i}")
                tail = f"right(regexp_replace({raw}, '[^0-9]', '', 'g'), {PHONE_TAIL})"
                conds.append(f"{tail} IN ({', '.join(lit(x) for x in sorted(tails))})")
            else:
                selects.append(f"{norm.sql(col.id_type, col.raw_sql)} AS n{i}")
                values = ", ".join(lit(v) for v in sorted(by_type[col.id_type]))
                conds.append(f"{norm.sql(col.id_type, col.raw_sql)} IN ({values})")
        rows = con.execute(
            f"SELECT _source_file, _source_row, {', '.join(selects)} FROM {q(table)} "
            f"WHERE {' OR '.join(conds)}"
        ).fetchall()
        found = out.setdefault(kind, {})
        for row in rows:
            matched: set[str] = set()
            for i, col in enumerate(id_cols):
                raw, normal = row[2 + 2 * i], row[3 + 2 * i]
                if raw is None or normal is None:
                    continue
                if col.id_type == "phone":
                    normal = (
                        normal if normal.startswith("ps_") else parse_phone(normal, identity.region)
                    )
                if normal in by_type[col.id_type]:
                    matched.add(raw.strip())
            if matched:
                found.setdefault((row[0], int(row[1])), set()).update(matched)
    return out


def _raw_identifier_values(
    con: duckdb.DuckDBPyConnection,
    subject: Subject,
    identity: IdentitySettings,
    settings: Config | IdentitySettings | None,
) -> set[str]:
    """Their identifiers as written in their linked records (spelling, case, plus-tags)."""
    mine = set(subject.identifiers)
    norm = Normaliser(identity)
    overrides = source_overrides(settings)
    out: set[str] = set()
    for kind, table, cols in _raw_tables(con):
        if kind not in subject.records:
            continue
        for col in identifier_columns(kind, cols, overrides.get(kind)):
            if col.id_type == ACCOUNT:
                continue
            normal = (
                norm.sql("phone", col.raw_sql)
                if col.id_type == "phone"
                else norm.sql(col.id_type, col.raw_sql)
            )
            rows = con.execute(
                f"SELECT DISTINCT CAST({col.raw_sql} AS VARCHAR), {normal} FROM {q(table)} t "
                "WHERE EXISTS (SELECT 1 FROM _subj_records r WHERE r.kind = ? "
                "AND r.source_file = t._source_file AND r.source_row = t._source_row)",
                [kind],
            ).fetchall()
            for raw, normal_value in rows:
                if raw is None or normal_value is None:
                    continue
                if col.id_type == "phone" and not normal_value.startswith("ps_"):
                    normal_value = parse_phone(normal_value, identity.region)
                if (col.id_type, normal_value) in mine:
                    out.add(raw.strip())
    return out


# -- records that mention them -------------------------------------------------------------
LINEAGE = ("_source_file", "_run_id", "_row_hash")


def clear_known(con: duckdb.DuckDBPyConnection, subject: Subject) -> ClearKnown:
    """Their identifiers as written in text (pseudonyms read back from the vault): e-mails
    and phones by type, other identifiers as lower-case ids."""
    readable: dict[str, str] = {}
    tokens = [v for _, v in subject.identifiers if v.startswith("ps_")]
    if tokens and has_relation(con, "vault"):
        readable = dict(
            con.execute(
                "SELECT token, min(value) FROM vault WHERE token IN (SELECT unnest(?::VARCHAR[]))"
                " GROUP BY token",
                [tokens],
            ).fetchall()
        )
    emails, phones, ids = set(), set(), set()
    for t, v in subject.identifiers:
        v = readable.get(v, v)
        if v.startswith("ps_") or t == ACCOUNT:
            continue
        if t == "email":
            emails.add(v)
        elif t == "phone":
            phones.add(v)
        else:
            ids.add(v.lower())
    return ClearKnown(emails, phones, ids, [subject.identity.region], subject.mention_mode)


def text_columns(cols: Mapping[str, str]) -> list[str]:
    """The columns of a table that can hold text (lineage and numbers left out)."""
    return [
        c
        for c, t in cols.items()
        if c not in LINEAGE and (t in ("VARCHAR", "JSON") or t.startswith("STRUCT") or "[]" in t)
    ]


def concat_sql(cols: Iterable[str], alias: str = "t") -> str:
    """One text per row: the columns cast to text, joined by a separator no candidate holds."""
    parts = [f"CAST({alias}.{q(c)} AS VARCHAR)" for c in cols]
    return f"concat_ws(chr(31), {', '.join(parts)})" if parts else "NULL"


def find_mentions(
    con: duckdb.DuckDBPyConnection, subject: Subject
) -> dict[str, list[tuple[str, int]]]:
    """Records of other people, or of nobody, that mention them (see the module doc):
    ``kind -> [(file, row)]``, with ``quarantine`` for rejected rows."""
    known = subject.known
    if known is None or not known:
        return {}
    identities = [subject.identity]
    theirs = {k: set(v) for k, v in subject.records.items()}
    out: dict[str, list[tuple[str, int]]] = {}
    key = "t._source_file || chr(31) || CAST(t._source_row AS VARCHAR)"
    for kind, table, cols in _raw_tables(con):
        texts = text_columns(cols)
        if not texts:
            continue
        hits = scan(con, q(table), key, concat_sql(texts), known, identities)
        rows = sorted(_split_key(k) for k in hits)
        rows = [r for r in rows if r not in theirs.get(kind, set())]
        if rows:
            out[kind] = rows
    if has_relation(con, "quarantine"):
        hits = scan(
            con,
            "quarantine",
            "t.source_file || chr(31) || CAST(t.source_row AS VARCHAR)",
            "t.raw",
            known,
            identities,
        )
        if hits:
            out["quarantine"] = sorted(_split_key(k) for k in hits)
    return out


def _split_key(key: object) -> tuple[str, int]:
    file, _, row = str(key).rpartition(chr(31))
    return file, int(row)


def _in_records(kind: str, alias: str = "t") -> str:
    return (
        f"EXISTS (SELECT 1 FROM _subj_records r WHERE r.kind = {lit(kind)} "
        f"AND r.source_file = {alias}._source_file AND r.source_row = {alias}._source_row)"
    )


def _names(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def add(rows: Iterable[tuple[Any, Any]]) -> None:
        for first, last in rows:
            if first or last:
                found.add(((first or "").strip(), (last or "").strip()))

    if subject.profile_ids and has_relation(con, "profiles"):
        cols = columns(con, "profiles")
        if "first_name" in cols and "last_name" in cols:
            add(
                con.execute(
                    "SELECT first_name, last_name FROM profiles "
                    "WHERE profile_id IN (SELECT profile_id FROM _subj_profiles)"
                ).fetchall()
            )
    for kind, table, cols in _raw_tables(con):
        if kind not in subject.records:
            continue
        if "first_name" in cols and "last_name" in cols:
            add(
                con.execute(
                    f"SELECT DISTINCT first_name, last_name FROM {q(table)} t "
                    f"WHERE {_in_records(kind)}"
                ).fetchall()
            )
        if "traits" in cols:
            for first, last in NAME_TRAITS:
                add(
                    con.execute(
                        f"SELECT DISTINCT json_extract_string(traits, '{first}'), "
                        f"json_extract_string(traits, '{last}') FROM {q(table)} t "
                        f"WHERE traits IS NOT NULL AND {_in_records(kind)}"
                    ).fetchall()
                )
    return sorted(found)


def _written_record_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    out: set[str] = set()
    for kind, field_name in TEXT_RECORD_FIELDS.items():
        table = f"raw_{kind}"
        if not has_relation(con, table) or field_name not in columns(con, table):
            continue
        out.update(
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {q(field_name)} FROM {table} t "
                f"WHERE {q(field_name)} IS NOT NULL AND {_in_records(kind)}"
            ).fetchall()
        )
    return sorted(out)


def _message_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_relation(con, "raw_events") or "message_id" not in columns(con, "raw_events"):
        return []
    return sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT message_id FROM raw_events t "
            f"WHERE message_id IS NOT NULL AND {_in_records('events')}"
        ).fetchall()
    )


def _tokens(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Pseudonyms (``ps_…``) in their records and among their identifiers."""
    if not has_relation(con, "vault"):
        return []
    out = {v for _, v in subject.identifiers if v.startswith("ps_")}
    for kind, table, cols in _raw_tables(con):
        if kind not in subject.records:
            continue
        text_cols = [c for c, t in cols.items() if t == "VARCHAR" and not c.startswith("_")]
        for c in text_cols:
            out.update(
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT {q(c)} FROM {q(table)} t WHERE starts_with({q(c)}, 'ps_') "
                    f"AND {_in_records(kind)}"
                ).fetchall()
            )
    return sorted(out)


def _vault_values(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """The readable values behind their identifier pseudonyms (what a search must not find
    after erasure). Names and addresses stay out: they are not theirs alone."""
    mine = [v for _, v in subject.identifiers if v.startswith("ps_")]
    if not mine or not has_relation(con, "vault"):
        return []
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT value FROM vault WHERE token IN (SELECT unnest(?::VARCHAR[])) "
            "AND value IS NOT NULL",
            [mine],
        ).fetchall()
    ]


def _documents(con: duckdb.DuckDBPyConnection, subject: Subject) -> tuple[list[str], list[str]]:
    """Their text documents (by profile, or by the record they came from) and snippets."""
    if not has_relation(con, "text_docs"):
        return [], []
    docs = sorted(
        r[0]
        for r in con.execute(
            "SELECT doc_id FROM text_docs d "
            "WHERE d.profile_id IN (SELECT profile_id FROM _subj_profiles) "
            "OR EXISTS (SELECT 1 FROM _subj_records r WHERE r.source_file = d.source_file "
            "AND r.source_row = d.source_row)"
        ).fetchall()
    )
    snippets: list[str] = []
    if has_relation(con, "text_snippets"):
        snippets = sorted(
            r[0]
            for r in con.execute(
                "SELECT snippet_id FROM text_snippets WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))"
                " OR profile_id IN (SELECT profile_id FROM _subj_profiles)",
                [docs],
            ).fetchall()
        )
    return docs, snippets


# -- their words quoted elsewhere -----------------------------------------------------------
def quoted_texts(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Texts of theirs that themes or persona documents quote."""
    out: list[str] = []
    if has_relation(con, "text_themes"):
        out += [
            r[0]
            for r in con.execute(
                "SELECT quote FROM text_themes WHERE quote IS NOT NULL AND "
                "(quote_snippet_id IN (SELECT unnest($s::VARCHAR[])) "
                "OR quote_record_id IN (SELECT unnest($r::VARCHAR[])))",
                {"s": subject.snippet_ids, "r": subject.record_ids},
            ).fetchall()
        ]
    if has_relation(con, "personas"):
        ids = set(subject.record_ids)
        for (doc,) in con.execute("SELECT document FROM personas").fetchall():
            out += persona_quotes(json.loads(doc), ids)
    return out


def _quote_evidence(item: Mapping[str, Any], ids: set[str]) -> bool:
    return item.get("kind") == "quote" and bool(set(item.get("record_ids") or []) & ids)


def persona_quotes(doc: Any, ids: set[str]) -> list[str]:
    """Their words in a persona document: quotes from one of the records ``ids``.

    A quote (``record_id``), a theme's ``quote`` resting on their record, and a claim
    whose only evidence is their quote (an empathy-map "says"). A claim that merely cites
    their quote beside other evidence ("Lead with ‘day training’") is not their words.
    """
    out: list[str] = []
    if isinstance(doc, dict):
        evidence = doc.get("evidence") if isinstance(doc.get("evidence"), list) else []
        quoting = [e for e in evidence if isinstance(e, dict) and _quote_evidence(e, ids)]
        text = doc.get("text")
        if doc.get("record_id") in ids or (quoting and len(quoting) == len(evidence)):
            if isinstance(text, str) and text:
                out.append(text.strip('\u201c\u201d" '))
        elif quoting and isinstance(doc.get("quote"), str) and doc["quote"]:
            out.append(doc["quote"])
        for value in doc.values():
            out += persona_quotes(value, ids)
    elif isinstance(doc, list):
        for value in doc:
            out += persona_quotes(value, ids)
    return out


# -- matching their strings in free text -----------------------------------------------------
_RE2_SPECIAL = set("\\.^$|?*+()[]{}")


def re2_escape(text: str) -> str:
    """Escape for DuckDB's RE2 (which rejects some of Python's ``re.escape`` output)."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in text)


def word_regex(needles: Iterable[str]) -> str:
    """An RE2 pattern (use with the ``i`` flag) matching any needle as a whole token."""
    alts = "|".join(re2_escape(n.lower()) for n in sorted(set(needles), key=len, reverse=True))
    return f"(^|[^a-z0-9])({alts})($|[^a-z0-9])"


def needle_pattern(needles: Iterable[str]) -> re.Pattern[bytes] | None:
    """The same, for bytes in Python (case-insensitive); None without needles."""
    words = sorted({n for n in needles if n}, key=len, reverse=True)
    if not words:
        return None
    alts = b"|".join(re.escape(w.encode("utf-8")) for w in words)
    return re.compile(rb"(?<![A-Za-z0-9])(?:" + alts + rb")(?![A-Za-z0-9])", re.IGNORECASE)


def text_condition(subject: Subject, column: str, *, names: bool = False) -> str | None:
    """SQL: ``column`` holds one of the subject's needles (or, with ``names``, both a first
    and a last name of theirs as whole words)."""
    conds = []
    needles = subject.distinctive_needles()
    if needles:
        conds.append(f"regexp_matches({column}, {lit(word_regex(needles))}, 'i')")
    if names:
        for first, last in subject.names:
            if first and last:
                conds.append(
                    f"(regexp_matches({column}, {lit(word_regex([first]))}, 'i') AND "
                    f"regexp_matches({column}, {lit(word_regex([last]))}, 'i'))"
                )
    return " OR ".join(conds) if conds else None


# -- their lines in the tracking API's event log ----------------------------------------------
STREAM_DIR = "stream"


@dataclass(frozen=True)
class LogLine:
    """One line of an event-log segment: file, line number (from 1), byte offset, bytes.

    ``mentions`` holds what matched in a line that is not theirs but mentions them (see
    :mod:`personae.governance.mentions`); it is empty for their own lines."""

    path: Path
    number: int
    offset: int
    data: bytes
    mentions: frozenset[str] = frozenset()


def log_lines(workspace_path: str | Path, subject: Subject) -> list[LogLine]:
    """The subject's lines in ``stream/events-*.jsonl``: the lines their stored events came
    from, lines with one of their message ids, lines naming one of their needles, and lines
    that mention them (a phone in another format, a plus-tagged e-mail)."""
    folder = Path(workspace_path) / STREAM_DIR
    if not folder.is_dir():
        return []
    pattern = needle_pattern(subject.distinctive_needles())
    linked = {(f, r) for f, r in subject.records.get("events", [])}
    out = []
    others: list[LogLine] = []
    for path in sorted(folder.glob("events-*.jsonl")):
        offset = 0
        resolved = str(path.resolve())
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                body = line.rstrip(b"\n")
                if body and (
                    (resolved, number) in linked
                    or (str(path), number) in linked
                    or (pattern is not None and pattern.search(body))
                ):
                    out.append(LogLine(path, number, offset, body))
                elif body:
                    others.append(LogLine(path, number, offset, body))
                offset += len(line)
    if others and subject.known:
        con = duckdb.connect()  # e-mail normalisation is SQL; nothing is stored
        try:
            texts = [x.data.decode("utf-8", "replace") for x in others]
            found = scan_texts(con, texts, subject.known, [subject.identity])
        finally:
            con.close()
        for line, hits in zip(others, found, strict=True):
            if hits:
                out.append(LogLine(line.path, line.number, line.offset, line.data, frozenset(hits)))
    return sorted(out, key=lambda x: (str(x.path), x.number))


# -- one WHERE clause per table ---------------------------------------------------------------
def row_filters(con: duckdb.DuckDBPyConnection, subject: Subject | None = None) -> dict[str, str]:
    """``table → condition`` (on alias ``t``) selecting the registered subject's rows.

    Derived from column names, so a table added later (consent, vault, …) is covered as
    long as it keys its rows the way every workspace table does: a profile id, an
    identifier pair, a signature, a document, or a source record. With ``subject``, rows
    of ``quarantine`` (rejected raw text) and ``vault`` (readable values of pseudonyms)
    that name them count too.
    """
    out: dict[str, str] = {}
    for table in tables(con):
        if table in NOT_PERSONAL or table in DOCUMENT_TABLES:
            continue
        cols = columns(con, table)
        conds: list[str] = []
        if table.startswith("raw_"):
            conds.append(_in_records(table.removeprefix("raw_")))
        for col in ("profile_id", "entity_id", "from_profile", "to_profile"):
            if col in cols:
                conds.append(f"t.{col} IN (SELECT profile_id FROM _subj_profiles)")
        for type_col, value_col in (("id_type", "id_value"), ("other_type", "other_value")):
            if type_col in cols and value_col in cols:
                conds.append(
                    f"EXISTS (SELECT 1 FROM _subj_ids i WHERE i.id_type = t.{type_col} "
                    f"AND i.id_value = t.{value_col})"
                )
        if "sig_key" in cols:
            conds.append("t.sig_key IN (SELECT sig_key FROM _subj_sigs)")
        if "doc_id" in cols:
            conds.append("t.doc_id IN (SELECT doc_id FROM _subj_docs)")
        if "source_file" in cols and "source_row" in cols:
            conds.append(
                "EXISTS (SELECT 1 FROM _subj_records r WHERE r.source_file = t.source_file "
                "AND r.source_row = t.source_row)"
            )
        if "token" in cols:
            conds.append("t.token IN (SELECT token FROM _subj_tokens)")
        if subject is not None and table == "quarantine" and "raw" in cols:
            found = text_condition(subject, "t.raw", names=True)
            if found:
                conds.append(found)
        if subject is not None and table == "vault" and "value" in cols:
            found = text_condition(subject, "t.value")
            if found:
                conds.append(found)
        if conds:
            out[table] = " OR ".join(f"({c})" for c in conds)
    return out
