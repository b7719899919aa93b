"""Tombstones: what stops an erased person coming back when old files are ingested again.

An erasure cannot keep the person's identifiers (that would keep the data it removed), but
it must still recognise them: a CRM export from last year holds the same rows. So it keeps
a *keyed* hash of each identifier — ``keyed_hash(key, "email:ann@example.com")`` — in the
``tombstones`` table. Without the workspace key the hashes cannot be tested against
guessed emails; with it, the loader hashes each incoming record's identifiers (normalised
by the same rules) and drops the records that match, before anything is written, quarantine
included. The drop is counted (``erased`` in the ingest report), so rows in still equal
ingested + rejected + duplicates + erased.

Phones are parsed by ``phonenumbers`` (slow, pure Python), so each tombstoned phone also
gets a hash of its last digits: only incoming numbers whose tail matches are parsed.

The loader also searches the *text* of each incoming record for mentions of an erased person
— the search erasure itself ran (:mod:`personae.governance.mentions`): e-mails, phone numbers
in any format, ids. So every identifier gets the hashes that search needs: a phone its
national significant number (``phone_nsn``), an id its lower-case form (``text_id``). Each
tombstone remembers what erasure did to records that mentioned the person
(``[governance] erase_mentions``): a record mentioning someone erased with ``"delete"`` is
dropped like theirs; with ``"redact"`` it is loaded with the mention replaced by
``[erased]`` — and then also their first and last names where both appear in it, which is
why a ``"redact"`` erasure also keeps keyed hashes of their name (``name``, ``name_part``).

The tracking API's event log cannot drop lines (positions are byte offsets), so erasure
overwrites a person's lines with :data:`ERASED_LINE` padded to the same length; the loader
counts such a line as erased.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from personae.config import IdentitySettings
from personae.engine import quote_ident as q
from personae.governance import mentions as mention
from personae.governance.keys import KEY_FILE, keyed_hash
from personae.identity.identifiers import ACCOUNT, Normaliser, identifier_columns, parse_phone

TABLE = "tombstones"
META = "tombstone_meta"
PHONE_TAIL_TYPE = "phone_tail"
PHONE_NSN_TYPE = "phone_nsn"
TEXT_ID_TYPE = "text_id"
NAME_TYPE = "name"
NAME_PART_TYPE = "name_part"
# hashes that only the text search uses (never an identifier column's type)
TEXT_TYPES = (PHONE_TAIL_TYPE, PHONE_NSN_TYPE, TEXT_ID_TYPE, NAME_TYPE, NAME_PART_TYPE)
TAIL_DIGITS = 7
KEY_CHECK = "personae:tombstone-key-check"

ERASED_LINE = b'{"erased":true}'
"""What an erased event-log line becomes (padded with spaces to its old length)."""

_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (hash VARCHAR, id_type VARCHAR, erased_at TIMESTAMP)",
    # what erasure did to records mentioning the person (workspaces from before: delete)
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS mentions VARCHAR DEFAULT 'delete'",
    f"CREATE TABLE IF NOT EXISTS {META} (key_check VARCHAR, key_env VARCHAR, identity VARCHAR, "
    "updated_at TIMESTAMP)",
)
_EMAIL_RX = r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}"


class TombstoneKeyError(RuntimeError):
    """Tombstones exist but the key they were written with is not available."""


def tombstone_text(id_type: str, value: str) -> str:
    """What is hashed for one identifier (type and canonical value)."""
    return f"{id_type}:{value}"


def tail_of(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())[-TAIL_DIGITS:]


def name_key(name: str) -> str:
    """A name as the text search compares it: lower case, single spaces."""
    return " ".join(name.lower().split())


def tombstone_rows(
    key: bytes,
    identifiers: Iterable[tuple[str, str]],
    names: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """(hash, id_type) rows for canonical identifiers; phones also get a tail hash and a
    national-number hash, other ids a lower-case hash for the text search; ``names``
    (first, last) get hashes of the full name and of each part."""
    out: set[tuple[str, str]] = set()

    def add(id_type: str, value: str) -> None:
        out.add((keyed_hash(key, tombstone_text(id_type, value)), id_type))

    for id_type, value in identifiers:
        if not value or id_type == ACCOUNT:
            continue
        add(id_type, value)
        if id_type == "phone":
            if len(tail_of(value)) == TAIL_DIGITS:
                add(PHONE_TAIL_TYPE, tail_of(value))
            forms = mention.phone_forms(value)
            if forms:
                add(PHONE_NSN_TYPE, forms[1])
        elif id_type != "email" and mention.distinctive_id(value):
            add(TEXT_ID_TYPE, value.lower())
    for first, last in names:
        if first and last:
            add(NAME_TYPE, f"{name_key(first)} {name_key(last)}")
            add(NAME_PART_TYPE, name_key(first))
            add(NAME_PART_TYPE, name_key(last))
    return sorted(out)


def write_tombstones(
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    identifiers: Iterable[tuple[str, str]],
    identity: IdentitySettings,
    key_env: str = "PERSONAE_KEY",
    now: datetime | None = None,
    *,
    names: Iterable[tuple[str, str]] = (),
    mentions: str = mention.DELETE,
) -> int:
    """Add tombstones for canonical identifiers; returns how many new hashes were written.

    ``mentions`` is what erasure did to records that mention the person (``"delete"`` or
    ``"redact"``); the loader does the same. Names are hashed only for ``"redact"`` (with
    ``"delete"`` a record mentioning them is dropped whole, names and all).

    Also records how to check the key and which identity rules normalised the values, so
    the loader can find both on its own (see :func:`guard_for`).
    """
    for ddl in _DDL:
        con.execute(ddl)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = tombstone_rows(key, identifiers, names if mentions == mention.REDACT else ())
    known = {r[0] for r in con.execute(f"SELECT hash FROM {TABLE}").fetchall()}
    new = [(h, t, now, mentions) for h, t in rows if h not in known]
    if new:
        con.executemany(
            f"INSERT INTO {TABLE} (hash, id_type, erased_at, mentions) VALUES (?, ?, ?, ?)", new
        )
    if mentions == mention.DELETE and rows:  # a later "delete" erasure of the same person
        con.execute(
            f"UPDATE {TABLE} SET mentions = 'delete' WHERE hash IN (SELECT unnest(?::VARCHAR[]))",
            [[h for h, _ in rows]],
        )
    settings_json = identity.model_dump_json()
    check = keyed_hash(key, KEY_CHECK)
    seen = con.execute(
        f"SELECT count(*) FROM {META} WHERE key_check = ? AND identity = ?", [check, settings_json]
    ).fetchall()[0][0]
    if not seen:
        con.execute(f"INSERT INTO {META} VALUES (?, ?, ?, ?)", [check, key_env, settings_json, now])
    return len(new)


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = 'main' AND table_catalog = current_database()",
            [table],
        ).fetchall()[0][0]
    )


@dataclass
class TombstoneGuard:
    """Tells which staged records carry a tombstoned identifier."""

    key: bytes
    hashes: set[str]
    identities: list[IdentitySettings] = field(default_factory=lambda: [IdentitySettings()])
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)  # hash -> erase_mentions at erasure

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        key: bytes,
        overrides: dict[str, dict[str, str]] | None = None,
    ) -> TombstoneGuard | None:
        """The guard for this database (None when nobody was ever erased)."""
        if not _has(con, TABLE):
            return None
        has_mode = bool(
            con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
                "AND column_name = 'mentions' AND table_schema = 'main' "
                "AND table_catalog = current_database()",
                [TABLE],
            ).fetchall()[0][0]
        )
        mode_sql = "coalesce(mentions, 'delete')" if has_mode else "'delete'"
        modes = dict(con.execute(f"SELECT hash, {mode_sql} FROM {TABLE}").fetchall())
        hashes = set(modes)
        if not hashes:
            return None
        identities: list[IdentitySettings] = []
        if _has(con, META):
            check = keyed_hash(key, KEY_CHECK)
            meta = con.execute(f"SELECT DISTINCT key_check, identity FROM {META}").fetchall()
            if meta and not any(c == check for c, _ in meta):
                raise TombstoneKeyError(
                    "the workspace key differs from the one erasures were recorded with, so "
                    "erased people could not be recognised. Fix: set the environment variable "
                    "named by [governance] key_env to the original key (or restore secret.key)"
                )
            for c, text in meta:
                if c == check:
                    settings = IdentitySettings.model_validate_json(text)
                    if settings not in identities:
                        identities.append(settings)
        return cls(key, hashes, identities or [IdentitySettings()], dict(overrides or {}), modes)

    def matches(self, id_type: str, values: Iterable[str]) -> set[str]:
        """The values (canonical, of one type) whose tombstone exists."""
        return {
            v for v in values if keyed_hash(self.key, tombstone_text(id_type, v)) in self.hashes
        }

    # -- the loader's hook ----------------------------------------------------------------
    def mark(
        self,
        con: duckdb.DuckDBPyConnection,
        kind: str,
        stage: str,
        columns: list[str],
        types: list[str],
        mapping: dict[str, str],
    ) -> int:
        """Create temp table ``_erased(_source_row)``: staged records of erased people.

        Looks at every identifier column the kind has (and, for lines the reader could not
        parse, any email in the raw text), normalised as identity resolution does; and at
        event-log lines an erasure overwrote. Returns how many records it marked.
        """
        index = {c: i for i, c in enumerate(columns)}
        wanted = [
            c
            for c in identifier_columns(kind, list(mapping), self.overrides.get(kind))
            if c.id_type != ACCOUNT
        ]
        fields = sorted({c.label.split()[0] for c in wanted})
        # an all-NULL column trips DuckDB 2.0's binder (see subject._raw_tables)
        counts = con.execute(
            "SELECT count(_raw) FILTER (WHERE _reject IS NOT NULL)"
            + "".join(f", count(__s{index[mapping[f]]})" for f in fields)
            + f" FROM {stage}"
        ).fetchall()[0]
        filled = {f for f, n in zip(fields, counts[1:], strict=True) if n}
        cells = []
        for name in sorted(filled):
            i = index[mapping[name]]
            cell = f"__s{i}"
            if name in ("traits", "context") and types[i].upper() not in ("VARCHAR", "JSON"):
                cell = f"CAST(to_json(__s{i}) AS VARCHAR)"
            cells.append(f"{cell} AS {q(name)}")
        view = f"SELECT _source_row, _reject, _raw{''.join(', ' + c for c in cells)} FROM {stage}"
        parts = []
        for identity in self.identities:
            norm = Normaliser(identity)
            for col in wanted:
                if col.label.split()[0] not in filled:
                    continue
                value = norm.sql(col.id_type, col.raw_sql)
                parts.append(
                    f"SELECT _source_row, '{col.id_type}' AS id_type, {value} AS v FROM ({view}) s"
                )
            if not counts[0]:
                continue
            email = "unnest(regexp_extract_all(lower(_raw), '" + _EMAIL_RX + "'))"
            parts.append(
                f"SELECT _source_row, 'email' AS id_type, {norm.sql('email', 'e')} AS v FROM "
                f"(SELECT _source_row, {email} AS e FROM {stage} "
                "WHERE _reject IS NOT NULL AND _raw IS NOT NULL) x"
            )
        empty = "SELECT CAST(NULL AS BIGINT) AS _source_row, '' AS id_type, '' AS v WHERE false"
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _tomb_ids AS SELECT * FROM ("
            + " UNION ALL ".join(parts or [empty])
            + ") WHERE v IS NOT NULL"
        )
        hit: list[tuple[str, str]] = []
        distinct = con.execute("SELECT DISTINCT id_type, v FROM _tomb_ids").fetchall()
        by_type: dict[str, set[str]] = {}
        for t, v in distinct:
            by_type.setdefault(t, set()).add(v)
        for t, values in by_type.items():
            if t == "phone":
                hit += [("phone", v) for v in self._phones(values)]
            else:
                hit += [(t, v) for v in self.matches(t, values)]
        con.register(
            "_tomb_hits",
            pa.table(
                {
                    "id_type": pa.array([h[0] for h in hit], pa.string()),
                    "v": pa.array([h[1] for h in hit], pa.string()),
                }
            ),
        )
        markers = _marker_sql(stage, columns)
        dropped = self._text_search(con, stage, columns, types)
        con.register("_tomb_text", pa.table({"_source_row": pa.array(sorted(dropped), pa.int64())}))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _erased AS SELECT DISTINCT _source_row FROM ("
            "SELECT i._source_row FROM _tomb_ids i JOIN _tomb_hits h USING (id_type, v)"
            + (f" UNION ALL {markers}" if markers else "")
            + " UNION ALL SELECT _source_row FROM _tomb_text)"
        )
        con.unregister("_tomb_hits")
        con.unregister("_tomb_text")
        con.execute("DROP TABLE _tomb_ids")
        return con.execute("SELECT count(*) FROM _erased").fetchall()[0][0]

    # -- the text search (records that mention an erased person) ------------------------------
    def _text_search(
        self, con: duckdb.DuckDBPyConnection, stage: str, columns: list[str], types: list[str]
    ) -> set[int]:
        """Search every cell of the staged records (and the raw text of unparsed lines) for
        mentions of an erased person. Returns the records to drop ("delete" erasures); the
        records of "redact" erasures are rewritten in the stage, mentions replaced."""
        counts = con.execute(
            "SELECT count(_raw)"
            + "".join(f", count(__s{i})" for i in range(len(columns)))
            + f" FROM {stage}"
        ).fetchall()[0]
        cells = [f"__s{i}" for i, n in enumerate(counts[1:]) if n]
        if counts[0]:
            cells.append("_raw")
        if not cells:
            return set()
        text = "concat_ws(chr(31), " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in cells) + ")"
        hits = mention.scan(con, stage, "t._source_row", text, _HashedKnown(self), self.identities)
        if not hits:
            return set()
        drop = {int(r) for r, found in hits.items() if mention.DELETE in found.values()}
        keep = {int(r): found for r, found in hits.items() if int(r) not in drop}
        if keep:
            drop |= self._redact_stage(con, stage, cells, types, keep)
        return drop

    def _redact_stage(
        self,
        con: duckdb.DuckDBPyConnection,
        stage: str,
        cells: list[str],
        types: list[str],
        rows: dict[int, dict[str, str]],
    ) -> set[int]:
        """Replace the mentions (and the person's names beside them) in the staged cells of
        ``rows``; returns rows whose mention sits in a typed cell, to drop instead."""
        typed = {f"__s{i}" for i, t in enumerate(types) if t.upper() not in ("VARCHAR", "JSON")}
        got = con.execute(
            f"SELECT _source_row, {', '.join(cells)} FROM {stage} "
            "WHERE _source_row IN (SELECT unnest(?::BIGINT[]))",
            [sorted(rows)],
        ).fetchall()
        drop: set[int] = set()
        updates: dict[str, list[tuple[int, str]]] = {}
        for row in got:
            found = set(rows[row[0]])
            values = [v if isinstance(v, str) or v is None else str(v) for v in row[1:]]
            found |= self._names(chr(31).join(v for v in values if v))
            changed = {}
            for c, value in zip(cells, values, strict=True):
                if value is None:
                    continue
                new, n = mention.redact(value, found)
                if n:
                    changed[c] = new
            if any(c in typed for c in changed):
                drop.add(row[0])
                continue
            for c, new in changed.items():
                updates.setdefault(c, []).append((row[0], new))
        if not updates:
            return drop
        target = _writable(con, stage)
        for c, ups in updates.items():
            con.register(
                "_tomb_updates",
                pa.table(
                    {
                        "r": pa.array([u[0] for u in ups], pa.int64()),
                        "v": pa.array([u[1] for u in ups], pa.string()),
                    }
                ),
            )
            try:
                con.execute(
                    f"UPDATE {target} SET {c} = u.v FROM _tomb_updates u "
                    f"WHERE {target}._source_row = u.r"
                )
            finally:
                con.unregister("_tomb_updates")
        return drop

    def _hit(self, id_type: str, value: str) -> str | None:
        """The mode of the tombstone of one value, None when there is none."""
        return self.modes.get(keyed_hash(self.key, tombstone_text(id_type, value)))

    def _names(self, text: str) -> set[str]:
        """Erased people's first and last names in ``text`` (both present), from the name
        hashes "redact" erasures keep: every run of one to three words is tried."""
        ws = mention.words(text)
        parts: dict[str, str] = {}
        for i in range(len(ws)):
            for n in range(1, 4):
                gram = " ".join(ws[i : i + n])
                if i + n <= len(ws) and self._hit(NAME_PART_TYPE, name_key(gram)):
                    parts.setdefault(name_key(gram), gram)
        out: set[str] = set()
        for a in parts:
            for b in parts:
                if a != b and self._hit(NAME_TYPE, f"{a} {b}"):
                    out.update((parts[a], parts[b]))
        return out

    def _phones(self, keys: set[str]) -> set[str]:
        """Phone keys (digits as written) whose parsed number is tombstoned."""
        tails = {tail_of(k) for k in keys if len(tail_of(k)) == TAIL_DIGITS}
        hot = self.matches(PHONE_TAIL_TYPE, tails)
        out = set()
        for k in keys:
            if k.startswith("ps_"):
                if self.matches("phone", [k]):
                    out.add(k)
                continue
            if tail_of(k) not in hot:
                continue
            for identity in self.identities:
                number = parse_phone(k, identity.region)
                if number and self.matches("phone", [number]):
                    out.add(k)
        return out


@dataclass
class _HashedKnown:
    """The mention search's :class:`~personae.governance.mentions.Known`, by keyed hash."""

    guard: TombstoneGuard

    def emails(self, canonical: Iterable[str]) -> dict[str, str]:
        out = {}
        for e in canonical:
            if mode := self.guard._hit("email", e):
                out[e] = mode
        return out

    def phones(self, numbers: Iterable[str]) -> dict[str, str]:
        out = {}
        tails: dict[str, str | None] = {}
        for n in numbers:
            t = tail_of(n)
            if t not in tails:
                tails[t] = self.guard._hit(PHONE_TAIL_TYPE, t) if len(t) == TAIL_DIGITS else None
            if not tails[t]:
                continue
            digits = n.lstrip("+")
            mode = None
            if not n.startswith("+"):
                mode = self.guard._hit(PHONE_NSN_TYPE, digits) or (
                    self.guard._hit(PHONE_NSN_TYPE, digits[1:]) if digits.startswith("0") else None
                )
            for identity in self.guard.identities:
                if mode:
                    break
                e164 = parse_phone(n, identity.region)
                mode = self.guard._hit("phone", e164) if e164 else None
            if mode:
                out[n] = mode
        return out

    def ids(self, tokens: Iterable[str]) -> dict[str, str]:
        out = {}
        for t in tokens:
            if mode := self.guard._hit(TEXT_ID_TYPE, t.lower()):
                out[t] = mode
        return out

    def prefilter_sql(self, text_sql: str) -> str | None:
        return None  # nothing is known in clear


def _writable(con: duckdb.DuckDBPyConnection, stage: str) -> str:
    """A table the staged cells can be rewritten in: the stage itself, or (a view over a
    Parquet file) a temp copy the view then reads."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [stage]
    ).fetchall()
    if not any(k[0] == "VIEW" for k in kind):
        return stage
    copy = f"{stage}_redacted"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {copy} AS SELECT * FROM {stage}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT * FROM {copy}")
    return copy


def _marker_sql(stage: str, columns: list[str]) -> str | None:
    """Event-log lines an erasure overwrote: ``{"erased":true}`` and nothing else."""
    if "erased" not in columns:
        return None
    i = columns.index("erased")
    others = " AND ".join(f"__s{j} IS NULL" for j in range(len(columns)) if j != i)
    return f"SELECT _source_row FROM {stage} WHERE lower(CAST(__s{i} AS VARCHAR)) = 'true'" + (
        f" AND {others}" if others else ""
    )


def database_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The folder of the connection's database file (None in memory)."""
    got = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not got or not got[0][0]:
        return None
    return Path(got[0][0]).resolve().parent


def guard_for(
    con: duckdb.DuckDBPyConnection, overrides: dict[str, dict[str, str]] | None = None
) -> TombstoneGuard | None:
    """The guard of the workspace this connection opened, finding the key on its own.

    The key is looked up the way :func:`personae.governance.keys.workspace_key` does (the
    environment variable recorded at erasure, else ``secret.key`` beside the database), but
    never created: tombstones written with a key that is now missing stop the ingest.
    """
    if not _has(con, TABLE):
        return None
    if not con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]:
        return None
    envs = (
        [r[0] for r in con.execute(f"SELECT DISTINCT key_env FROM {META}").fetchall()]
        if _has(con, META)
        else []
    )
    key: bytes | None = None
    for env in [*envs, "PERSONAE_KEY"]:
        if env and os.environ.get(env):
            key = os.environ[env].encode("utf-8")
            break
    folder = database_folder(con)
    if key is None and folder is not None and (folder / KEY_FILE).exists():
        key = (folder / KEY_FILE).read_text().strip().encode("utf-8")
    if key is None:
        raise TombstoneKeyError(
            "this workspace holds erasure tombstones but its key was not found. Fix: set the "
            f"environment variable named by [governance] key_env, or restore {KEY_FILE}"
        )
    return TombstoneGuard.load(con, key, overrides)


def is_erased_line(line: bytes) -> bool:
    """True for an event-log line an erasure overwrote."""
    return line.rstrip(b" \r\n") == ERASED_LINE


def erased_line(length: int) -> bytes:
    """The replacement for a log line of ``length`` bytes (newline excluded)."""
    if length >= len(ERASED_LINE):
        return ERASED_LINE + b" " * (length - len(ERASED_LINE))
    return (b"{}" + b" " * max(0, length - 2))[:length] if length >= 2 else b" " * length


def describe(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many tombstones of each identifier type the workspace holds (no values)."""
    if not _has(con, TABLE):
        return {}
    return dict(
        con.execute(f"SELECT id_type, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 1").fetchall()
    )


__all__ = [
    "ERASED_LINE",
    "TombstoneGuard",
    "TombstoneKeyError",
    "describe",
    "erased_line",
    "guard_for",
    "is_erased_line",
    "tombstone_rows",
    "write_tombstones",
]
