"""Acting on mentions of an erased person in the workspace's tables and files.

:mod:`personae.governance.mentions` says what a mention is; this module applies it to the
workspace: erasure redacts the mentions left in other rows (:func:`redact_mentions`), and
its verification searches every table and text file for them (:func:`verify_mentions`);
the serving store's recent events of other profiles lose what is theirs
(:func:`serving_events`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from personae.config import IdentitySettings
from personae.engine import quote_ident as q
from personae.governance.mentions import (
    REDACT,
    ClearKnown,
    name_words,
    redact,
    scan,
    scan_texts,
)
from personae.governance.subject import (
    DOCUMENT_TABLES,
    NOT_PERSONAL,
    Subject,
    concat_sql,
    filled_columns,
    needle_pattern,
    tables,
    text_columns,
)


def redact_mentions(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, int]:
    """Redact what still mentions them (their e-mail, phone in any format, id; their names
    where both appear in such a row) in every remaining row of every table."""
    known = subject.known
    if not known:
        return {}
    out: dict[str, int] = {}
    for table in tables(con):
        if table in NOT_PERSONAL or table in DOCUMENT_TABLES:
            continue
        cols = filled_columns(con, table)
        texts = [c for c in text_columns(cols) if cols[c] in ("VARCHAR", "JSON")]
        if not texts:
            continue
        hits = scan(con, q(table), "t.rowid", concat_sql(texts), known, [subject.identity])
        if not hits:
            continue
        rows = con.execute(
            f"SELECT rowid, {', '.join(q(c) for c in texts)} FROM {q(table)} "
            "WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
            [sorted(int(k) for k in hits)],  # type: ignore[call-overload]
        ).fetchall()
        updates: dict[str, list[tuple[int, str]]] = {}
        for row in rows:
            found = set(hits[row[0]])
            found |= name_words(chr(31).join(v for v in row[1:] if v), subject.names)
            for c, value in zip(texts, row[1:], strict=True):
                if value is None:
                    continue
                new, n = redact(value, found)
                if n:
                    updates.setdefault(c, []).append((row[0], new))
        for c, ups in updates.items():
            con.register(
                "_mention_updates",
                pa.table(
                    {
                        "rid": pa.array([u[0] for u in ups], pa.int64()),
                        "v": pa.array([u[1] for u in ups], pa.string()),
                    }
                ),
            )
            try:
                con.execute(
                    f"UPDATE {q(table)} SET {q(c)} = CAST(u.v AS {cols[c]}) "
                    f"FROM _mention_updates u WHERE {q(table)}.rowid = u.rid"
                )
            finally:
                con.unregister("_mention_updates")
        if updates:
            out[table] = len({rid for ups in updates.values() for rid, _ in ups})
    return out


MENTION = "mention (e-mail, phone in any format, or id)"


def verify_mentions(
    con: duckdb.DuckDBPyConnection,
    workspace: Path,
    known: ClearKnown,
    identity: IdentitySettings,
    suffixes: Iterable[str],
) -> list[tuple[str, str, str, str, int]]:
    """(where, name, detail, label, count) of what still mentions them: table rows, and
    lines of the workspace's text files (``suffixes``)."""
    suffixes = tuple(suffixes)
    out = []
    for table in tables(con):
        cols = filled_columns(con, table)
        texts = text_columns(cols)
        if not texts:
            continue
        hits = scan(con, q(table), "t.rowid", concat_sql(texts), known, [identity])
        if hits:
            out.append(("table", table, "text", MENTION, len(hits)))
    for path in sorted(p for p in workspace.rglob("*") if p.is_file()):
        if path.suffix.lower() not in suffixes:
            continue
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        n = sum(bool(h) for h in scan_texts(con, lines, known, [identity]))
        if n:
            out.append(("file", str(path.relative_to(workspace)), "line", MENTION, n))
    return out


def serving_events(sc: sqlite3.Connection, subject: Subject) -> int:
    """The recent events of *other* profiles in ``serving.sqlite`` that are theirs (one of
    their message ids or identifiers) or mention them: deleted, or with ``"redact"``
    rewritten without the mention. Returns how many rows changed."""
    rows = sc.execute("SELECT rowid, doc FROM events").fetchall()
    if not rows:
        return 0
    texts = [d if isinstance(d, str) else bytes(d).decode("utf-8", "replace") for _, d in rows]
    pattern = needle_pattern(subject.distinctive_needles())
    found: list[dict[str, str]] = [{} for _ in rows]
    if subject.known:
        duck = duckdb.connect()
        try:
            found = scan_texts(duck, texts, subject.known, [subject.identity])
        finally:
            duck.close()
    n = 0
    for (rowid, old), text, hits in zip(rows, texts, found, strict=True):
        theirs = pattern is not None and pattern.search(text.encode("utf-8"))
        if not theirs and not hits:
            continue
        if not theirs and subject.mention_mode == REDACT:
            new, _ = redact(text, set(hits) | name_words(text, subject.names))
            value = new if isinstance(old, str) else new.encode("utf-8")
            sc.execute("UPDATE events SET doc = ? WHERE rowid = ?", [value, rowid])
        else:
            sc.execute("DELETE FROM events WHERE rowid = ?", [rowid])
        n += 1
    return n
