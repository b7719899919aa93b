"""The profile serving store: one ready-made JSON document per profile, in SQLite.

A profile answer joins half a dozen workspace tables. In DuckDB each point query costs
about 0.4 ms of planning before it reads a row, so one answer would cost ~3 ms of CPU and
32 concurrent clients would queue far past the 20 ms budget. SQLite answers a primary-key
lookup in ~20 µs, so the documents are materialised here (``serving.sqlite`` in the
workspace) from DuckDB, which stays the system of record:

- at start-up, in full, when the workspace's tables changed since the last build;
- after every live update, for just the profiles it touched (same query, filtered).

Tables: ``ids`` (``type:value`` → profile id, for every identifier), ``docs`` (profile
id → document without events), ``events`` (recent events per profile) and ``meta``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

SERVING_FILE = "serving.sqlite"
RECENT_EVENTS = 20

# Profile columns shown as traits (who the person is); every other column is computed.
TRAIT_COLUMNS = (
    "user_id", "email", "phone", "first_name", "last_name", "gender", "birth_date", "age",
    "age_band", "city", "region", "postal_code", "country", "loyalty_tier", "company",
    "job_title", "buying_role", "seniority", "buying_committee_role", "social_handle",
    "stated_age", "income_band", "marital_status", "education", "household", "children",
    "account_id", "account_name", "industry", "employee_band", "revenue_band", "account_plan",
)  # fmt: skip
VALUE_COLUMNS = (
    "clv", "clv_decile", "churn_risk", "churn_band", "churn_drivers", "p_alive",
    "expected_purchases", "expected_spend", "rfm_cell", "rfm_group", "r_score", "f_score",
    "m_score", "upsell_score", "upsell_suggestions", "acquisition_channel",
    "acquisition_campaign", "as_of",
)  # fmt: skip

_DDL = """
CREATE TABLE IF NOT EXISTS ids (key TEXT PRIMARY KEY, profile_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (profile_id TEXT PRIMARY KEY, doc BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (profile_id TEXT NOT NULL, ts TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_profile ON events (profile_id, ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(_columns(con, table))


def _struct(alias: str, columns: Iterable[str]) -> str:
    cols = list(columns)
    if not cols:
        return "NULL"
    return "struct_pack(" + ", ".join(f'"{c}" := {alias}."{c}"' for c in cols) + ")"


def documents_sql(con: duckdb.DuckDBPyConnection, only: str | None = None) -> str:
    """One row per profile: ``profile_id, doc`` (JSON text), optionally ``WHERE only``.

    Every join is an equality join (a person's own row, else their account's), so the
    whole store builds in one pass of hash joins at any size.
    """
    cols = _columns(con, "profiles")
    traits = [c for c in cols if c in TRAIT_COLUMNS]
    computed = [
        c
        for c in cols
        if c not in TRAIT_COLUMNS and c != "profile_id" and not c.startswith("theme_")
    ]
    account = "p.account_id" if "account_id" in cols else "CAST(NULL AS VARCHAR)"
    id_only = f"AND {only.replace('p.profile_id', 'm.profile_id')}" if only else ""
    joins = [
        "LEFT JOIN (SELECT m.profile_id, list({'type': m.id_type, 'value': m.id_value} "
        "ORDER BY m.id_type, m.id_value) AS identifiers FROM identity_map m "
        f"WHERE m.profile_id IS NOT NULL {id_only} GROUP BY m.profile_id) ids "
        "ON ids.profile_id = p.profile_id"
    ]
    parts = [
        "'profile_id', p.profile_id",
        f"'traits', {_struct('p', traits)}",
        f"'computed', {_struct('p', computed)}",
        "'identifiers', ids.identifiers",
    ]
    if _has(con, "value_scores"):
        have = set(_columns(con, "value_scores"))
        parts.append(f"'value', {_struct('v', [c for c in VALUE_COLUMNS if c in have])}")
        joins.append("LEFT JOIN value_scores v ON v.profile_id = p.profile_id")
    if _has(con, "segments"):
        seg = "(SELECT entity_id, segment, segment_name, role, probability, outlier FROM segments)"
        joins.append(f"LEFT JOIN {seg} sp ON sp.entity_id = p.profile_id")
        joins.append(f"LEFT JOIN {seg} sa ON sa.entity_id = {account}")
        pick = "CASE WHEN sp.segment IS NOT NULL THEN sp.{0} ELSE sa.{0} END"
        fields = ("segment", "segment_name", "role", "probability", "outlier")
        s_ = {f: pick.format(f) for f in fields}
        parts.append(
            f"'segment', CASE WHEN {s_['segment']} IS NOT NULL THEN {{'segment': {s_['segment']}, "
            f"'name': {s_['segment_name']}, 'role': {s_['role']}, "
            f"'probability': {s_['probability']}, 'outlier': {s_['outlier']}}} END"
        )
        if _has(con, "personas"):
            joins.append(
                "LEFT JOIN (SELECT segment, id, title, name FROM personas WHERE current) pe "
                f"ON pe.segment = {s_['segment']}"
            )
            parts.append(
                "'persona', CASE WHEN pe.id IS NOT NULL THEN "
                "{'id': pe.id, 'title': pe.title, 'name': pe.name} END"
            )
    if _has(con, "icp_scores"):
        icp = "(SELECT entity, entity_id, fit_score, fit_tier, fit_reasons FROM icp_scores)"
        joins.append(
            f"LEFT JOIN {icp} ip ON ip.entity_id = p.profile_id AND ip.entity <> 'account'"
        )
        joins.append(f"LEFT JOIN {icp} ia ON ia.entity_id = {account} AND ia.entity = 'account'")
        parts.append(
            "'icp', CASE WHEN coalesce(ip.fit_score, ia.fit_score) IS NOT NULL THEN "
            "{'fit_score': coalesce(ip.fit_score, ia.fit_score), "
            "'fit_tier': coalesce(ip.fit_tier, ia.fit_tier), "
            "'fit_reasons': coalesce(ip.fit_reasons, ia.fit_reasons)} END"
        )
    if _has(con, "consent_state"):
        joins.append("LEFT JOIN consent_state c ON c.profile_id = p.profile_id")
        parts.append(
            "'consent', {'analytics': c.analytics, 'personalization': c.personalization, "
            "'advertising': c.advertising}"
        )
    where = f"WHERE {only}" if only else ""
    return (
        f"SELECT p.profile_id, to_json(json_object({', '.join(parts)}))::VARCHAR AS doc "
        f"FROM profiles p {' '.join(joins)} {where}"
    )


def events_sql(
    con: duckdb.DuckDBPyConnection, only: str | None, limit: int, run_id: str | None = None
) -> str:
    """The ``limit`` latest events per profile (batch-resolved and live-linked), or only
    the events one live update (``run_id``) added."""
    links = (
        "SELECT source_file, source_row, profile_id FROM record_profiles "
        "WHERE source_kind = 'events' AND profile_id IS NOT NULL"
    )
    if run_id is not None:
        links = "SELECT source_file, source_row, profile_id FROM live_event_links"
    elif _has(con, "live_event_links"):
        links += " UNION ALL SELECT source_file, source_row, profile_id FROM live_event_links"
    where = f"AND {only.replace('p.profile_id', 'l.profile_id')}" if only else ""
    if run_id is not None:
        # a pass that isolated a bad line stored its parts as ``<run_id>-<first row>``
        rid = run_id.replace(chr(39), "")
        where += f" AND (e._run_id = '{rid}' OR e._run_id LIKE '{rid}-%')"
    return f"""
        SELECT profile_id, strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts,
               to_json({{'type': type, 'event': event, 'name': name,
                        'timestamp': strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%gZ'),
                        'message_id': message_id, 'properties': json(properties),
                        'page_path': page_path}})::VARCHAR AS doc
        FROM (SELECT l.profile_id, e.*,
                     row_number() OVER (PARTITION BY l.profile_id
                                        ORDER BY e.timestamp DESC) AS n
              FROM ({links}) l
              JOIN raw_events e ON e._source_file = l.source_file
                               AND e._source_row = l.source_row
              WHERE true {where})
        WHERE n <= {limit}"""


class ServingStore:
    """Read side for the profile API; written by the builder and the live updater."""

    def __init__(self, folder: str | Path, *, recent_events: int = RECENT_EVENTS) -> None:
        self.path = Path(folder) / SERVING_FILE
        self.recent_events = recent_events
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self.con().executescript(_DDL)

    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    # -- reading --------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.con().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def profile_id(self, id_type: str, value: str) -> str | None:
        if id_type == "profile_id":
            row = (
                self.con()
                .execute("SELECT profile_id FROM docs WHERE profile_id = ?", (value,))
                .fetchone()
            )
        else:
            row = (
                self.con()
                .execute("SELECT profile_id FROM ids WHERE key = ?", (f"{id_type}:{value}",))
                .fetchone()
            )
        return row[0] if row else None

    def document(self, profile_id: str) -> dict[str, Any] | None:
        con = self.con()
        row = con.execute("SELECT doc FROM docs WHERE profile_id = ?", (profile_id,)).fetchone()
        if row is None:
            return None
        doc = orjson.loads(row[0])
        events = con.execute(
            "SELECT doc FROM events WHERE profile_id = ? ORDER BY ts DESC LIMIT ?",
            (profile_id, self.recent_events),
        ).fetchall()
        doc["recent_events"] = [orjson.loads(e[0]) for e in events]
        return doc

    def position(self) -> str | None:
        """The event log position the documents reflect (``segment:line``)."""
        return self.meta("position")

    def set_position(self, pos: Any) -> None:
        self.con().execute(
            "INSERT OR REPLACE INTO meta VALUES ('position', ?)", (f"{pos.segment}:{pos.line}",)
        )

    def count(self) -> int:
        return self.con().execute("SELECT count(*) FROM docs").fetchone()[0]

    # -- writing --------------------------------------------------------------------------
    def rebuild(self, duck: duckdb.DuckDBPyConnection, version: str) -> int:
        """Replace every document from the workspace tables; returns the profile count."""
        with self._write_lock:
            con = self.con()
            con.execute("BEGIN")
            try:
                for table in ("ids", "docs", "events"):
                    con.execute(f"DELETE FROM {table}")
                n = self._write(duck, con, None)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return n

    def refresh(
        self,
        duck: duckdb.DuckDBPyConnection,
        profile_ids: Iterable[str],
        *,
        merges: dict[str, str] | None = None,
        run_id: str | None = None,
    ) -> int:
        """Rewrite the documents and ids of some profiles after a live update.

        Events are not recomputed (that would scan ``raw_events``): the run's new events
        are added, merged profiles' events move to the profile they joined, and each
        touched profile keeps its latest ``recent_events``.
        """
        ids = sorted(set(profile_ids))
        if not ids:
            return 0
        with self._write_lock:
            con = self.con()
            duck.register("_refresh_ids", pa.table({"profile_id": pa.array(ids, pa.string())}))
            try:
                con.execute("BEGIN")
                con.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS _touched (profile_id TEXT PRIMARY KEY)"
                )
                con.execute("DELETE FROM _touched")
                con.executemany("INSERT INTO _touched VALUES (?)", [(x,) for x in ids])
                for table in ("ids", "docs"):
                    con.execute(
                        f"DELETE FROM {table} WHERE profile_id IN (SELECT profile_id FROM _touched)"
                    )
                for old, new in (merges or {}).items():
                    con.execute("UPDATE events SET profile_id = ? WHERE profile_id = ?", (new, old))
                n = self._write(
                    duck, con, "p.profile_id IN (SELECT profile_id FROM _refresh_ids)", run_id
                )
                con.execute(
                    """DELETE FROM events WHERE profile_id IN (SELECT profile_id FROM _touched)
                       AND rowid NOT IN (
                           SELECT rowid FROM (
                               SELECT rowid, row_number() OVER (
                                   PARTITION BY profile_id ORDER BY ts DESC) AS n
                               FROM events
                               WHERE profile_id IN (SELECT profile_id FROM _touched))
                           WHERE n <= ?)""",
                    (self.recent_events,),
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                duck.unregister("_refresh_ids")
        return n

    def _write(
        self,
        duck: duckdb.DuckDBPyConnection,
        con: sqlite3.Connection,
        only: str | None,
        run_id: str | None = None,
    ) -> int:
        n = 0
        reader = duck.sql(documents_sql(duck, only)).to_arrow_reader(50_000)
        for batch in reader:
            rows = list(zip(*(batch.column(i).to_pylist() for i in range(2)), strict=True))
            con.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)", rows)
            n += len(rows)
        id_only = f"AND {only.replace('p.profile_id', 'm.profile_id')}" if only else ""
        reader = duck.sql(
            "SELECT m.id_type || ':' || m.id_value, m.profile_id FROM identity_map m "
            f"WHERE m.profile_id IS NOT NULL {id_only}"
        ).to_arrow_reader(200_000)
        for batch in reader:
            con.executemany(
                "INSERT OR REPLACE INTO ids VALUES (?, ?)",
                zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True),
            )
        if _has(duck, "raw_events") and self.recent_events:
            reader = duck.sql(events_sql(duck, only, self.recent_events, run_id)).to_arrow_reader(
                200_000
            )
            for batch in reader:
                con.executemany(
                    "INSERT INTO events VALUES (?, ?, ?)",
                    zip(*(batch.column(i).to_pylist() for i in range(3)), strict=True),
                )
        return n
