"""Consent per purpose: every recorded choice, its history, and each profile's latest choice.

A person's choices reach personae from several places: CRM consent fields
(``raw_contacts.consent_*``), Segment's ``context.consent.categoryPreferences`` on web and
app events (``raw_events.consent_*``), identify ``traits.consent`` and consent files (the
``consents`` source kind). They disagree over time — a person who ticked "yes" at sign-up
may untick it on a cookie banner a year later — so the rule is simple and stated once: the
latest choice wins. At the same instant, the record ingested later wins (a corrected CRM
export keeps its contacts' creation time), and then a denial beats a grant (when in doubt,
do not use the data). CRM fields are dated by the contact's ``created_at`` (else the time
they were ingested), events by their ``timestamp``, consent files by their ``timestamp``
(else the time they were ingested).

:func:`build_consent` writes two tables:

* ``consent_events`` — the history: one row per *change* of choice per profile and purpose
  (repeated confirmations of the same choice are folded into the first, so a cookie banner
  that re-sends its state on every page does not bury the one row that matters). A denial
  that follows a grant is recorded as ``revoked``.
* ``consent_state`` — one row per profile with any recorded choice: the latest choice per
  purpose (NULL when the person never said) and when it last changed.

:func:`consent_sql` is the one predicate every consumer uses (segmentation, audience
exports, the profile API), so "consents to advertising" means the same thing everywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from personae.config import GovernanceSettings
from personae.engine import DuckDBEngine, quote_ident, quote_literal
from personae.ingest.schema import PURPOSES

__all__ = [
    "PURPOSES",
    "ConsentSummary",
    "build_consent",
    "consent_filter",
    "consent_sql",
]

STATUSES = ("granted", "denied", "revoked")

# Spellings of each purpose inside identify ``traits.consent`` (a plain object such as
# {"analytics": true} or Segment's {"categoryPreferences": {"Analytics": true}}).
_TRAIT_KEYS = {
    "analytics": ("analytics", "Analytics"),
    "personalization": ("personalization", "Personalization", "personalisation", "Personalisation"),
    "advertising": ("advertising", "Advertising"),
}


@dataclass
class ConsentSummary:
    """What :func:`build_consent` found.

    ``choices`` counts every choice read (before folding repeats), ``events`` the rows of
    ``consent_events``, ``unlinked`` the choices whose record belongs to no profile (they
    cannot be applied to anyone). ``state`` gives, per purpose, how many profiles' latest
    choice is a grant and how many a denial; ``no_choice`` the profiles with none.
    ``excluded`` says how many profiles each use leaves out under ``[governance]``
    (``segments``, ``profile_api``, ``audiences``), for the command's output.
    """

    choices: int = 0
    events: int = 0
    profiles: int = 0
    unlinked: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    state: dict[str, dict[str, int]] = field(default_factory=dict)
    no_choice: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(
            f"unknown consent purpose {purpose!r}; use one of: {', '.join(PURPOSES)} "
            '(or "" for no consent check)'
        )


def consent_sql(purpose: str, default: bool, profile_col: str = "profile_id") -> str:
    """A SQL predicate, true when the profile in ``profile_col`` consents to ``purpose``.

    The latest recorded choice decides; with none recorded, ``default`` does. Purpose ""
    means "no consent check" (always true). The predicate reads ``consent_state``, which
    must exist (see :func:`consent_filter` for workspaces that may not have it yet).
    ``EXISTS`` rather than ``IN`` so a NULL id reads as "no choice", and the engine plans
    it as one semi- or anti-join. ``profile_col`` is trusted SQL (a column reference).
    """
    if purpose == "":
        return "TRUE"
    _check_purpose(purpose)
    # the subquery renames its columns so that an unqualified ``profile_id`` in
    # ``profile_col`` still means the caller's row, not consent_state's
    said = "FALSE" if default else "TRUE"
    choices = (
        f"(SELECT profile_id AS _consent_pid, {quote_ident(purpose)} AS _consent_choice "
        "FROM consent_state) _cs"
    )
    test = (
        f"EXISTS (SELECT 1 FROM {choices} "
        f"WHERE _cs._consent_pid = {profile_col} AND _cs._consent_choice = {said})"
    )
    return f"NOT {test}" if default else test


def consent_filter(
    con: duckdb.DuckDBPyConnection, purpose: str, default: bool, profile_col: str = "profile_id"
) -> str:
    """:func:`consent_sql` where ``consent_state`` exists; otherwise the answer for "no
    choice recorded" for everyone (``default``), so steps work before consent is built."""
    if purpose == "":
        return "TRUE"
    _check_purpose(purpose)
    if DuckDBEngine(con).has_table("consent_state"):
        return consent_sql(purpose, default, profile_col)
    return "TRUE" if default else "FALSE"


# -- reading choices ----------------------------------------------------------------------
def _bool_text(expr: str) -> str:
    """A consent value written as text (true/yes/granted/1 …) as BOOLEAN, else NULL."""
    v = f"lower(trim(CAST({expr} AS VARCHAR)))"
    return (
        f"CASE WHEN {v} IN ('true', 'yes', 'y', '1', 'granted', 'opt-in', 'opted in') THEN TRUE "
        f"WHEN {v} IN ('false', 'no', 'n', '0', 'denied', 'opt-out', 'opted out') THEN FALSE END"
    )


_CHOICE_COLUMNS = 'source_kind, source_file, source_row, purpose, status, "at", seen'


def _choice_row(kind: str, purpose: str, granted: str, at: str) -> str:
    """The SELECT list of one choice row: lineage, purpose, status and time."""
    return (
        f"SELECT {quote_literal(kind)} AS source_kind, _source_file AS source_file, "
        f"_source_row AS source_row, {quote_literal(purpose)} AS purpose, "
        f"CASE WHEN {granted} THEN 'granted' ELSE 'denied' END AS status, "
        f'CAST({at} AS TIMESTAMP) AS "at", _ingested_at AS seen'
    )


def _choice_selects(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Per source kind, the SELECTs yielding its choices (tables or columns that are absent
    simply contribute nothing)."""
    eng = DuckDBEngine(con)

    def cols(table: str) -> set[str]:
        return set(eng.columns(table)) if eng.has_table(table) else set()

    out: dict[str, list[str]] = {}
    contacts = cols("raw_contacts")
    if "_source_row" in contacts:
        at = "coalesce(created_at, _ingested_at)" if "created_at" in contacts else "_ingested_at"
        out["contacts"] = [
            f"{_choice_row('contacts', p, f'consent_{p}', at)} FROM raw_contacts "
            f"WHERE consent_{p} IS NOT NULL"
            for p in PURPOSES
            if f"consent_{p}" in contacts
        ]
    events = cols("raw_events")
    if "_source_row" in events and "timestamp" in events:
        selects = [
            f"{_choice_row('events', p, f'consent_{p}', 'timestamp')} FROM raw_events "
            f"WHERE consent_{p} IS NOT NULL"
            for p in PURPOSES
            if f"consent_{p}" in events
        ]
        if "traits" in events:
            # identify traits.consent: read only where the word appears at all
            for p in PURPOSES:
                paths = [f"$.consent.{k}" for k in _TRAIT_KEYS[p]]
                paths += [f"$.consent.categoryPreferences.{k}" for k in _TRAIT_KEYS[p]]
                value = _bool_text(
                    "coalesce("
                    + ", ".join(f"json_extract_string(traits, {quote_literal(x)})" for x in paths)
                    + ")"
                )
                selects.append(
                    f"SELECT {_CHOICE_COLUMNS} FROM ("
                    f"{_choice_row('events', p, value, 'timestamp')}, {value} AS _v "
                    "FROM raw_events WHERE traits LIKE '%onsent%') WHERE _v IS NOT NULL"
                )
        out["events"] = selects
    consents = cols("raw_consents")
    if {"_source_row", "purpose", "status"} <= consents:
        at = "coalesce(timestamp, _ingested_at)" if "timestamp" in consents else "_ingested_at"
        out["consents"] = [
            "SELECT 'consents' AS source_kind, _source_file AS source_file, "
            "_source_row AS source_row, purpose, status, "
            f'CAST({at} AS TIMESTAMP) AS "at", _ingested_at AS seen FROM raw_consents '
            f"WHERE purpose IN {_in(PURPOSES)} AND status IN {_in(STATUSES)}"
        ]
    return {k: v for k, v in out.items() if v}


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in values) + ")"


def _links_sql(con: duckdb.DuckDBPyConnection, kinds: list[str]) -> str | None:
    """(source_kind, source_file, source_row) → profile_id for the kinds that hold choices:
    ``record_profiles`` (the last build) plus events linked live since then."""
    eng = DuckDBEngine(con)
    if not eng.has_table("record_profiles"):
        return None
    built = (
        "SELECT source_kind, source_file, source_row, profile_id FROM record_profiles "
        f"WHERE source_kind IN {_in(tuple(kinds))} AND profile_id IS NOT NULL"
    )
    if "events" not in kinds or not eng.has_table("live_event_links"):
        return built
    # a live-linked event that a later build also resolved counts once, as the build says
    return (
        "SELECT source_kind, source_file, source_row, arg_min(profile_id, _pri) AS profile_id "
        f"FROM (SELECT *, 0 AS _pri FROM ({built}) UNION ALL "
        "SELECT 'events', source_file, source_row, profile_id, 1 FROM live_event_links "
        "WHERE profile_id IS NOT NULL) GROUP BY source_kind, source_file, source_row"
    )


# -- writing the tables ---------------------------------------------------------------------
_EVENTS_DDL = (
    "CREATE OR REPLACE TABLE consent_events (profile_id VARCHAR, purpose VARCHAR, "
    'status VARCHAR, "at" TIMESTAMP, source_kind VARCHAR, source_file VARCHAR, '
    "source_row BIGINT)"
)
_STATE_DDL = (
    "CREATE OR REPLACE TABLE consent_state (profile_id VARCHAR, "
    + ", ".join(f"{quote_ident(p)} BOOLEAN" for p in PURPOSES)
    + ", updated_at TIMESTAMP)"
)
# The order of one person's choices for one purpose: time; at the same time, what was
# ingested later (a corrected export), then a denial after a grant; then the record.
_ORDER = (
    "\"at\", seen, CASE WHEN status = 'granted' THEN 0 ELSE 1 END, "
    "source_kind, source_file, source_row"
)


def _write_tables(con: duckdb.DuckDBPyConnection) -> None:
    """``consent_events`` and ``consent_state`` from ``_consent_choices``.

    A choice is kept in the history where it differs from the one before it; a denial
    whose previous choice was a grant becomes ``revoked``. The state is each purpose's
    last choice, ``updated_at`` the time of the profile's last change.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _consent_ordered AS "
        f"SELECT *, row_number() OVER w AS _seq, lag(status = 'granted') OVER w AS _prev "
        "FROM _consent_choices WHERE profile_id IS NOT NULL "
        f"WINDOW w AS (PARTITION BY profile_id, purpose ORDER BY {_ORDER})"
    )
    con.execute(
        """
        INSERT INTO consent_events
        SELECT profile_id, purpose,
               CASE WHEN status = 'granted' THEN 'granted'
                    WHEN _prev THEN 'revoked'
                    ELSE status END,
               "at", source_kind, source_file, source_row
        FROM _consent_ordered
        WHERE _prev IS NULL OR _prev <> (status = 'granted')
        ORDER BY profile_id, purpose, _seq
        """
    )
    latest = ", ".join(
        f"arg_max(status = 'granted', _seq) FILTER (WHERE purpose = {quote_literal(p)})"
        for p in PURPOSES
    )
    con.execute(
        f"INSERT INTO consent_state SELECT profile_id, {latest}, "
        "max(\"at\") FILTER (WHERE _prev IS NULL OR _prev <> (status = 'granted')) "
        "FROM _consent_ordered GROUP BY profile_id ORDER BY profile_id"
    )
    con.execute("DROP TABLE IF EXISTS _consent_ordered")


def build_consent(con: duckdb.DuckDBPyConnection, settings: GovernanceSettings) -> ConsentSummary:
    """Rebuild ``consent_events`` and ``consent_state`` from every source of consent.

    Idempotent (both tables are replaced) and safe on any workspace: with no profiles yet,
    or no source holding a choice, both tables exist and are empty. The tables record what
    people said, never the default; ``settings`` only shape the summary (how many profiles
    each configured use leaves out).
    """
    started = time.perf_counter()
    summary = ConsentSummary()
    selects = _choice_selects(con)
    links = _links_sql(con, list(selects)) if selects else None
    con.execute(_EVENTS_DDL)
    con.execute(_STATE_DDL)
    if selects and links is not None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _consent_choices AS "
            "SELECT c.*, l.profile_id FROM ("
            + " UNION ALL ".join(s for parts in selects.values() for s in parts)
            + f") c LEFT JOIN ({links}) l ON l.source_kind = c.source_kind "
            "AND l.source_file = c.source_file AND l.source_row = c.source_row "
            'WHERE c."at" IS NOT NULL'
        )
        for kind, n in con.execute(
            "SELECT source_kind, count(*) FROM _consent_choices GROUP BY 1 ORDER BY 1"
        ).fetchall():
            summary.by_source[kind] = int(n)
        summary.choices = sum(summary.by_source.values())
        summary.unlinked = int(
            con.execute(
                "SELECT count(*) FROM _consent_choices WHERE profile_id IS NULL"
            ).fetchall()[0][0]
        )
        _write_tables(con)
        con.execute("DROP TABLE IF EXISTS _consent_choices")
    summary.events = int(con.execute("SELECT count(*) FROM consent_events").fetchall()[0][0])
    summary.profiles = int(con.execute("SELECT count(*) FROM consent_state").fetchall()[0][0])
    total = (
        int(con.execute("SELECT count(*) FROM profiles").fetchall()[0][0])
        if DuckDBEngine(con).has_table("profiles")
        else summary.profiles
    )
    for p in PURPOSES:
        granted, denied = con.execute(
            f"SELECT count(*) FILTER (WHERE {quote_ident(p)}), "
            f"count(*) FILTER (WHERE NOT {quote_ident(p)}) FROM consent_state"
        ).fetchall()[0]
        summary.state[p] = {"granted": int(granted), "denied": int(denied)}
        summary.no_choice[p] = max(total - int(granted) - int(denied), 0)
    if DuckDBEngine(con).has_table("profiles"):
        uses = {
            "segments": settings.segment_purpose,
            "profile_api": settings.profile_api_purpose,
            "audiences": settings.audience_purpose,
        }
        for use, purpose in uses.items():
            allowed = consent_sql(purpose, settings.consent_default, "p.profile_id")
            summary.excluded[use] = int(
                con.execute(f"SELECT count(*) FROM profiles p WHERE NOT ({allowed})").fetchall()[0][
                    0
                ]
            )
    summary.seconds = time.perf_counter() - started
    return summary
