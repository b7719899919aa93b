"""The live updater: moves logged tracking events into the workspace and keeps identities
and profiles current between batch runs.

Each pass takes the next lines of the event log and, in one DuckDB transaction:

1. checks and appends them to ``raw_events`` through the same staging and checking code
   as ``personae ingest`` (bad messages land in quarantine; a ``message_id`` the table
   already holds is skipped, which makes every event stored exactly once however often it
   was sent or logged);
2. resolves their identifiers against ``identity_map`` (see :func:`resolve_rows`), adding
   new identifiers and profiles, and merging an anonymous visitor into the known profile
   an identify or alias call ties it to;
3. updates the affected ``profiles`` rows: event counts and first/last seen, and the
   traits an identify call sends;
4. records how far in the log it got (``stream_state``).

Then it rewrites those profiles' documents in the serving store. A crash anywhere
replays from the recorded position; step 1's de-duplication makes the replay harmless.

The next ``personae run`` rebuilds everything from ``raw_events`` (live rows included),
so the live rules only need to be right until then, not to match the batch resolver.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from personae.governance.pseudonyms import Pseudonymiser
from personae.governance.tombstones import is_erased_line
from personae.identity.identifiers import Normaliser
from personae.ingest.errors import IngestError
from personae.ingest.loader import FileReport, load_staged, stage_json_tables
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import EVENTS
from personae.ingest.validate import ParseOptions
from personae.web.eventlog import EventLog, Position, segment_name
from personae.web.serving import ServingStore

log = logging.getLogger(__name__)

LIVE_DDL = """
CREATE TABLE IF NOT EXISTS stream_state (
    id INTEGER PRIMARY KEY, segment BIGINT, "offset" BIGINT, line BIGINT,
    applied BIGINT, updated_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS live_event_links (
    source_file VARCHAR, source_row BIGINT, profile_id VARCHAR);
CREATE TABLE IF NOT EXISTS profile_merges (
    from_profile VARCHAR, to_profile VARCHAR, rule VARCHAR, merged_at TIMESTAMP);
"""

# Segment reserved traits (and common spellings) → profile columns.
TRAIT_PATHS: dict[str, tuple[str, ...]] = {
    "email": ("$.email",),
    "first_name": ("$.firstName", "$.first_name"),
    "last_name": ("$.lastName", "$.last_name"),
    "phone": ("$.phone",),
    "gender": ("$.gender",),
    "city": ("$.address.city", "$.city"),
    "region": ("$.address.state", "$.state"),
    "postal_code": ("$.address.postalCode", "$.postal_code"),
    "country": ("$.address.country", "$.country"),
    "company": ("$.company.name", "$.company"),
    "job_title": ("$.title", "$.jobTitle", "$.job_title"),
}


# Profile columns a live merge adds up, and those it keeps the extreme of.
_SUMMED = ("records", "events", "page_views", "screen_views")
_EXTREMES = (("first_seen_at", "least"), ("last_seen_at", "greatest"))


@dataclass
class LiveStats:
    """What the updater has done since start-up (shown by ``/v1/health``)."""

    applied: int = 0
    skipped: int = 0
    rejected: int = 0
    erased: int = 0
    new_profiles: int = 0
    merges: int = 0
    passes: int = 0
    last_error: str | None = None
    isolated: int = 0  # lines that could not be staged at all, quarantined one by one
    last_isolated: str | None = None
    last_pass_at: str | None = None
    seconds: float = 0.0
    profiles_touched: set[str] = field(default_factory=set, repr=False)


@dataclass
class _PassResult:
    """What applying some log lines did (a pass, or part of one being isolated)."""

    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    erased: int = 0
    touched: set[str] = field(default_factory=set)
    merges: dict[str, str] = field(default_factory=dict)
    isolated: int = 0
    last_isolated: str | None = None

    def add(self, other: _PassResult) -> None:
        self.ingested += other.ingested
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.erased += other.erased
        self.touched |= other.touched
        # a later part may merge a profile an earlier part merged into
        for old, new in self.merges.items():
            self.merges[old] = other.merges.get(new, new)
        self.merges.update(other.merges)


# Errors a line's content can cause (a key DuckDB cannot bind, a value it cannot convert).
# Anything else (disk, memory, interrupts) is the machine's problem: the pass is retried
# whole rather than its lines quarantined.
_RESOURCE_ERRORS = (
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
    duckdb.FatalException,
    duckdb.ConnectionException,
    duckdb.PermissionException,
    duckdb.TransactionException,
)


def _is_data_error(exc: Exception) -> bool:
    if isinstance(exc, _RESOURCE_ERRORS):
        return False
    return isinstance(exc, duckdb.Error | IngestError | ValueError | TypeError | KeyError)


def _first_line(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:300]


def profile_id_for(id_type: str, value: str) -> str:
    """A new profile's id, derived from the identifier that created it (stable on replay)."""
    return "p" + hashlib.sha256(f"live:{id_type}:{value}".encode()).hexdigest()[:15]


@dataclass
class _Row:
    source_row: int
    kind: str
    ids: list[tuple[str, str]]  # (type, normalised value), strongest first
    previous: str | None


def resolve_rows(
    rows: list[_Row], known: dict[tuple[str, str], str], named: set[str]
) -> tuple[dict[int, str], dict[tuple[str, str], str], dict[str, str], set[str]]:
    """Assign each row a profile, in log order.

    ``known`` maps identifiers to profiles (from ``identity_map``); ``named`` holds the
    profiles that carry a user id. Rules, close to how Segment's identity works:

    - a row joins the profile of its strongest known identifier (user id, then email,
      then anonymous id); unknown identifiers are added to that profile, and a row with
      no known identifier starts a new profile;
    - another profile that the row's identifiers reach is merged into it only when it is
      anonymous (no user id): a visitor who logs in. Two named profiles are never merged
      here (a shared device must not fuse two customers);
    - ``alias`` merges the ``previousId``'s profile into the ``userId``'s on the same terms.

    Returns the row → profile map, new identifiers, merges (from → to) and new profiles.
    A profile started and merged within these rows never reaches the database: it is
    neither new nor merged (the visitor's first page and their login in one pass).
    """
    assigned: dict[int, str] = {}
    added: dict[tuple[str, str], str] = {}
    merges: dict[str, str] = {}
    created: set[str] = set()

    def final(p: str) -> str:
        while p in merges:
            p = merges[p]
        return p

    for row in rows:
        ids = list(row.ids)
        if row.previous:
            ids.append(("anonymous_id", row.previous))
        found = [final(known[i]) for i in ids if i in known]
        if found:
            target = found[0]
        elif ids:
            target = profile_id_for(*ids[0])
            created.add(target)
        else:
            continue
        has_user = any(t == "user_id" for t, _ in row.ids)
        for other in dict.fromkeys(found[1:]):
            if other != target and other not in named:
                merges[other] = target
        if has_user:
            named.add(target)
        for ident in ids:
            owner = final(known[ident]) if ident in known else None
            if owner is None:
                known[ident] = target
                added[ident] = target
        assigned[row.source_row] = target
    return (
        {r: final(p) for r, p in assigned.items()},
        {i: final(p) for i, p in added.items()},
        {a: final(b) for a, b in merges.items() if a not in created},
        {p for p in created if p not in merges},
    )


class LiveUpdater:
    """A background thread applying the event log to the workspace.

    Each pass takes whatever the log holds beyond the last position, up to ``batch_lines``
    lines: a trickle of events is applied within ``interval``, and a backlog in large
    passes. A pass has a fixed cost (staging, the identity lookups, rewriting the touched
    profiles' serving documents), so under load larger passes apply more events per
    second: 15,000/s with passes of 20,000 lines, 33,200/s with 100,000 (a backlog of
    200,000 demo track events, bench/live_updater.py).
    """

    def __init__(
        self,
        duck: duckdb.DuckDBPyConnection,
        events: EventLog,
        serving: ServingStore,
        normaliser: Normaliser,
        *,
        options: ParseOptions | None = None,
        pseudonyms: Pseudonymiser | None = None,
        interval: float = 0.2,
        batch_lines: int = 100_000,
    ) -> None:
        self.con = duck
        self.events = events
        self.serving = serving
        self.normaliser = normaliser
        self.options = options or ParseOptions()
        self.pseudonyms = pseudonyms
        if pseudonyms is not None:
            pseudonyms.install(duck)
        self.interval = interval
        self.batch_lines = batch_lines
        self.stats = LiveStats()
        self._stop = threading.Event()
        self.lock = threading.Lock()  # held by each pass; an erasure takes it to pause updates
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.con.execute(LIVE_DDL)
        self._position = self._load_position()

    # -- position -------------------------------------------------------------------------
    def position(self) -> Position:
        """How far the log has been applied (kept in memory: other threads ask too, and a
        DuckDB cursor must stay on its own thread)."""
        return self._position

    def _load_position(self) -> Position:
        row = self.con.execute(
            'SELECT segment, "offset", line FROM stream_state WHERE id = 1'
        ).fetchone()
        return Position(*row) if row else Position()

    def lag(self) -> int:
        """Durable log lines not yet applied (within the current segment)."""
        pos, durable = self.position(), self.events.durable
        return durable.line - pos.line if pos.segment == durable.segment else -1

    # -- thread ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-updater", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                did = self.apply_once()
            except Exception as exc:  # keep serving; the error shows in /v1/health
                log.exception("live update failed")
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                did = 0
                time.sleep(1.0)
            if not did:
                self._wake.wait(self.interval)
                self._wake.clear()

    def drain(self, timeout: float = 30.0) -> None:
        """Apply until the log is caught up (for shutdown and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.position() >= self.events.durable and self.lag() <= 0:
                return
            time.sleep(0.05)

    # -- one pass -------------------------------------------------------------------------
    def apply_once(self) -> int:
        """Apply the next batch of log lines; returns how many lines it consumed."""
        with self.lock:
            return self._apply_once()

    def _apply_once(self) -> int:
        start = self.position()
        lines, end = self.events.read(start, self.batch_lines)
        if end == start:
            return 0
        if not lines:  # moved on to the next segment
            self._save(end, 0)
            self._position = end
            return 0
        began = time.perf_counter()
        path = self.events.folder / segment_name(end.segment)
        run_id = f"stream-{end.segment:08d}-{start.line + 1:010d}"
        # lines an erasure overwrote are skipped; the others keep their line numbers
        kept = [(start.line + 1 + i, x) for i, x in enumerate(lines) if not is_erased_line(x)]
        done = _PassResult()
        if kept:
            try:
                done.add(self._apply_lines(kept, path, run_id, save=end))
            except Exception as exc:
                if not _is_data_error(exc):
                    raise
                # Some line cannot be staged at all: find it by halving the pass, apply the
                # rest, quarantine what fails alone. One message never stops the updater.
                log.warning("live pass %s failed (%s); isolating the bad lines", run_id, exc)
                self._isolate(kept, path, run_id, done)
                self.con.execute("BEGIN TRANSACTION")
                self._save(end, done.ingested)
                self.con.execute("COMMIT")
        else:
            self._save(end, 0)
        if done.touched or done.merges:
            self.serving.refresh(self.con, done.touched, merges=done.merges, run_id=run_id)
        self.serving.set_position(end)
        s = self.stats
        s.applied += done.ingested
        s.skipped += done.duplicates
        s.rejected += done.rejected
        s.isolated += done.isolated
        if done.isolated:
            s.last_isolated = done.last_isolated
        s.erased += done.erased + len(lines) - len(kept)
        s.passes += 1
        s.seconds += time.perf_counter() - began
        s.last_pass_at = datetime.now(UTC).isoformat(timespec="seconds")
        s.last_error = None
        # last: once the position moves, readers take the pass as done (lag 0 in /v1/health)
        self._position = end
        return len(lines)

    def _apply_lines(
        self,
        kept: list[tuple[int, bytes]],
        path: Path,
        run_id: str,
        *,
        save: Position | None = None,
    ) -> _PassResult:
        """Stage, check, store and resolve ``kept`` lines in one transaction (and record
        the log position ``save`` in it, when given)."""
        table = pa.table(
            {
                "_source_row": pa.array([n for n, _ in kept], pa.int64()),
                "_line": pa.array([x.decode("utf-8", "replace") for _, x in kept], pa.string()),
                "_raw": pa.array([None] * len(kept), pa.string()),
            }
        )
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            columns = stage_json_tables(con, [table])
            mapping = resolve_columns(EVENTS, columns, {}, path, source_name="tracking API")
            report = FileReport(EVENTS.name, str(path), "jsonl", source="tracking API")
            now = datetime.now(UTC).replace(tzinfo=None)
            load_staged(
                con, EVENTS, report, "_stage", columns, ["VARCHAR"] * len(columns),
                mapping, self.options, run_id, now, self.pseudonyms,
            )  # fmt: skip
            con.execute("DROP TABLE IF EXISTS _checks")
            con.execute("DROP TABLE IF EXISTS _stage")
            resolvable = report.ingested and self._has_identity()
            touched, merges = self._resolve_and_update(run_id, now) if resolvable else (set(), {})
            if save is not None:
                self._save(save, report.ingested)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return _PassResult(
            report.ingested, report.duplicates, report.rejected, report.erased, touched, merges
        )

    def _isolate(
        self, kept: list[tuple[int, bytes]], path: Path, run_id: str, done: _PassResult
    ) -> None:
        """Apply ``kept`` in halves, in log order, until each failing line stands alone;
        a line that fails alone goes to quarantine with the error as its reason."""
        try:
            done.add(self._apply_lines(kept, path, f"{run_id}-{kept[0][0]}"))
            return
        except Exception as exc:
            if not _is_data_error(exc):
                raise
            if len(kept) == 1:
                self._quarantine_line(kept[0], path, run_id, exc)
                done.rejected += 1
                done.isolated += 1
                done.last_isolated = f"line {kept[0][0]}: {_first_line(exc)}"
                return
        mid = len(kept) // 2
        self._isolate(kept[:mid], path, run_id, done)
        self._isolate(kept[mid:], path, run_id, done)

    def _quarantine_line(
        self, line: tuple[int, bytes], path: Path, run_id: str, exc: Exception
    ) -> None:
        row, raw = line
        text = raw.decode("utf-8", "replace").rstrip("\n")
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO quarantine SELECT ?, 'events', ?, ?, 'unstageable', NULL, ?, ?, "
                "md5(?), now() WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE source_file = ? "
                "AND source_row = ? AND raw_hash = md5(?))",
                [run_id, str(path), row, _first_line(exc), text, text, str(path), row, text],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _has_identity(self) -> bool:
        """Identities can be updated once ``personae build`` has made the tables."""
        got = self.con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name IN ('identity_map', 'profiles')"
        ).fetchone()[0]
        return got == 2

    def _save(self, pos: Position, applied: int) -> None:
        self.con.execute(
            "INSERT INTO stream_state VALUES (1, ?, ?, ?, ?, now()) ON CONFLICT (id) DO UPDATE "
            'SET segment = excluded.segment, "offset" = excluded."offset", line = excluded.line, '
            "applied = stream_state.applied + excluded.applied, updated_at = excluded.updated_at",
            [pos.segment, pos.offset, pos.line, applied],
        )

    def _resolve_and_update(self, run_id: str, now: datetime) -> tuple[set[str], dict[str, str]]:
        con = self.con
        n = self.normaliser
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _live AS
            SELECT _source_file, _source_row, type, timestamp, traits, group_id,
                   {n.sql("user_id", "user_id")} AS n_user,
                   {n.sql("email", "email")} AS n_email,
                   {n.sql("anonymous_id", "anonymous_id")} AS n_anon,
                   {n.sql("anonymous_id", "previous_id")} AS n_prev
            FROM raw_events WHERE _run_id = ?
            ORDER BY _source_row""",
            [run_id],
        )
        data = con.execute(
            "SELECT _source_row, type, n_user, n_email, n_anon, n_prev FROM _live"
        ).fetchall()
        rows = []
        wanted: set[tuple[str, str]] = set()
        for src, kind, user, email, anon, prev in data:
            ids = [
                (t, v)
                for t, v in (("user_id", user), ("email", email), ("anonymous_id", anon))
                if v
            ]
            rows.append(_Row(src, kind, ids, prev))
            wanted.update(ids)
            if prev:
                wanted.update({("anonymous_id", prev), ("user_id", prev)})
        con.register(
            "_wanted",
            pa.table(
                {
                    "id_type": pa.array([w[0] for w in wanted], pa.string()),
                    "id_value": pa.array([w[1] for w in wanted], pa.string()),
                }
            ),
        )
        found = con.execute(
            "SELECT m.id_type, m.id_value, m.profile_id FROM identity_map m "
            "JOIN _wanted w USING (id_type, id_value) WHERE m.profile_id IS NOT NULL"
        ).fetchall()
        con.unregister("_wanted")
        known = {(t, v): p for t, v, p in found}
        # an alias's previousId may be an old user id rather than an anonymous id
        for row in rows:
            if row.previous and ("user_id", row.previous) in known:
                known.setdefault(("anonymous_id", row.previous), known[("user_id", row.previous)])
        candidates = {p for p in known.values()}
        named = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT profile_id FROM identity_map WHERE id_type = 'user_id' "
                "AND profile_id IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(candidates)],
            ).fetchall()
        }
        assigned, added, merges, created = resolve_rows(rows, known, named)
        self._write_identity(assigned, added, merges, created, now)
        touched = set(assigned.values()) | set(merges) | set(merges.values())
        self._update_profiles(now)
        con.execute("DROP TABLE _live")
        self.stats.new_profiles += len(created)
        self.stats.merges += len(merges)
        return touched, merges

    def _write_identity(
        self,
        assigned: dict[int, str],
        added: dict[tuple[str, str], str],
        merges: dict[str, str],
        created: set[str],
        now: datetime,
    ) -> None:
        con = self.con
        con.register(
            "_assigned",
            pa.table(
                {
                    "_source_row": pa.array(list(assigned), pa.int64()),
                    "profile_id": pa.array(list(assigned.values()), pa.string()),
                }
            ),
        )
        con.execute("ALTER TABLE _live ADD COLUMN profile_id VARCHAR")
        con.execute(
            "UPDATE _live SET profile_id = a.profile_id FROM _assigned a "
            "WHERE _live._source_row = a._source_row"
        )
        con.unregister("_assigned")
        con.execute(
            "INSERT INTO live_event_links SELECT _source_file, _source_row, profile_id "
            "FROM _live WHERE profile_id IS NOT NULL"
        )
        for old, new in merges.items():
            con.execute("UPDATE identity_map SET profile_id = ? WHERE profile_id = ?", [new, old])
            con.execute(
                "UPDATE live_event_links SET profile_id = ? WHERE profile_id = ?", [new, old]
            )
            con.execute(
                "INSERT INTO profile_merges VALUES (?, ?, 'live identify', ?)", [old, new, now]
            )
        if added:
            con.executemany(
                "INSERT INTO identity_map (id_type, id_value, profile_id, status, n_records) "
                "VALUES (?, ?, ?, 'live', 1)",
                [[t, v, p] for (t, v), p in added.items()],
            )
        have = (
            {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'profiles'"
                ).fetchall()
            }
            if created or merges
            else set()
        )
        if created:
            zeros = [c for c in (*_SUMMED, "identifiers", "sessions") if c in have]
            cols = ", ".join(["profile_id", "anonymous", *zeros])
            marks = ", ".join(["?", "true"] + ["0"] * len(zeros))
            con.executemany(
                f"INSERT INTO profiles ({cols}) VALUES ({marks})", [[p] for p in sorted(created)]
            )
        # A merge adds the old profile's counts to the new one; a workspace built without
        # event sources has no event columns, so only the columns present are combined.
        combined = [
            *(
                f"{c} = coalesce(profiles.{c}, 0) + coalesce(o.{c}, 0)"
                for c in _SUMMED
                if c in have
            ),
            *(f"{c} = {f}(profiles.{c}, o.{c})" for c, f in _EXTREMES if c in have),
        ]
        for old, new in merges.items():
            if combined:
                con.execute(
                    f"UPDATE profiles SET {', '.join(combined)} "
                    "FROM profiles o WHERE profiles.profile_id = ? AND o.profile_id = ?",
                    [new, old],
                )
            con.execute("DELETE FROM profiles WHERE profile_id = ?", [old])

    def _update_profiles(self, now: datetime) -> None:
        """Counts, first/last seen and identify traits of the profiles the rows reached."""
        con = self.con
        have = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'profiles'"
            ).fetchall()
        }
        traits = {c: p for c, p in TRAIT_PATHS.items() if c in have}

        def read(paths: tuple[str, ...]) -> str:
            return (
                "coalesce(" + ", ".join(f"json_extract_string(traits, {q!r})" for q in paths) + ")"
            )

        # the newest value each trait was given (rows without it do not count)
        latest = ", ".join(
            f"arg_max({read(paths)}, CASE WHEN {read(paths)} IS NOT NULL THEN _source_row END)"
            f" AS t_{c}"
            for c, paths in traits.items()
        )
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _agg AS
            SELECT profile_id, count(*) AS n,
                   count(*) FILTER (WHERE type = 'page') AS pages,
                   count(*) FILTER (WHERE type = 'screen') AS screens,
                   min(timestamp) AS first_at, max(timestamp) AS last_at,
                   any_value(n_user) FILTER (WHERE n_user IS NOT NULL) AS user_id
                   {", " + latest if latest else ""}
            FROM _live WHERE profile_id IS NOT NULL GROUP BY profile_id""")
        sets = [
            s
            for s in (
                "records = coalesce(p.records, 0) + a.n",
                "events = coalesce(p.events, 0) + a.n",
                "page_views = coalesce(p.page_views, 0) + a.pages",
                "screen_views = coalesce(p.screen_views, 0) + a.screens",
                "first_seen_at = least(coalesce(p.first_seen_at, a.first_at), a.first_at)",
                "last_seen_at = greatest(coalesce(p.last_seen_at, a.last_at), a.last_at)",
                "user_id = coalesce(p.user_id, a.user_id)",
                "anonymous = p.anonymous AND a.user_id IS NULL",
                "identifiers = (SELECT count(*) FROM identity_map m "
                "WHERE m.profile_id = p.profile_id)",
            )
            if s.split(" = ")[0] in have  # profiles built without events lack some
        ]
        sets += [f"{c} = coalesce(a.t_{c}, p.{c})" for c in traits if c in have]
        if "days_since_last_seen" in have:
            sets.append("days_since_last_seen = 0")
        con.execute(
            f"UPDATE profiles AS p SET {', '.join(sets)} "
            "FROM _agg a WHERE p.profile_id = a.profile_id"
        )
        con.execute("DROP TABLE _agg")
