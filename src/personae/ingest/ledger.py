"""Which file an ingest read, and how: the identity of files and the removal of their rows.

A file's identity is its source name, its path and a hash of its content. How it was read
(the column mapping, the format and the reading settings) is part of the ingest run, kept in
the ledger ``ingest_files`` as ``read_hash``. Why both: the same file read again the same way
adds nothing (every record is a duplicate), but the same file read again *differently* — a
mapping corrected after a first try — must replace what the first read wrote, or a wrong
mapping could only be undone by deleting the workspace.

Rows are found through the ledger: every record and quarantine row carries the run and the
file it came from (``_run_id``/``_source_file``, ``run_id``/``source_file``), and the ledger
says which runs read which file as which kind. :func:`remove_ingests` deletes the rows of
chosen ledger entries (and the entries and their reading decisions) in the caller's
transaction; :func:`previous_read` finds the entries of one file identity.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from personae.ingest.archives import is_member, split_archive
from personae.ingest.schema import KINDS

# columns added to the ledger after it was first shipped (workspaces made before lack them)
LEDGER_COLUMNS = (
    ("erased", "BIGINT DEFAULT 0"),
    ("content_hash", "VARCHAR"),
    ("read_hash", "VARCHAR"),
    ("replaced", "BIGINT DEFAULT 0"),
)


def ensure_ledger_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Add the ledger columns a workspace made by an older version lacks (idempotent)."""
    for name, sql_type in LEDGER_COLUMNS:
        con.execute(f"ALTER TABLE ingest_files ADD COLUMN IF NOT EXISTS {name} {sql_type}")


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes as stored (a zip member: its bytes inside the archive).

    A second pass over the file, which the reader has just brought into the page cache
    (about a second per GB).
    """
    if is_member(path):
        found = split_archive(path)
        assert found is not None
        archive, member = found
        with zipfile.ZipFile(archive) as zf, zf.open(member) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_hash(kind: str, mapping: Mapping[str, str], settings: Mapping[str, Any]) -> str:
    """A hash of how a file is read: its kind, field -> column mapping and reading settings.

    Only what the user sets (or what follows from the file itself) belongs here: the phone
    region a workspace infers from the files ingested so far changes as files come in, and
    would make the same read look different on every ingest.
    """
    doc = {
        "kind": kind,
        "mapping": sorted((str(k), str(v)) for k, v in mapping.items()),
        "settings": {k: settings[k] for k in sorted(settings)},
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class PreviousRead:
    """The ledger's entries for one file identity: whether any exist and the latest read."""

    found: bool
    read_hash: str | None = None


def _owner_sql(source: str | None) -> tuple[str, list[Any]]:
    """The ledger rows of a source's reads of one path (the path bound after these).

    A named source also owns what was ingested from the same file on the command line
    (source NULL): declaring a source for a file first tried with ``personae ingest KIND
    FILE`` is the usual way to fix its mapping.
    """
    if source is None:
        return "source IS NULL AND source_file = ?", []
    return "(source = ? OR source IS NULL) AND source_file = ?", [source]


def _identity_sql(source: str | None) -> tuple[str, list[Any]]:
    """The ledger rows of a file identity: source, path and content hash (bound after)."""
    owner, params = _owner_sql(source)
    return f"{owner} AND content_hash = ?", params


def previous_read(
    con: duckdb.DuckDBPyConnection, source: str | None, path: str, digest: str
) -> PreviousRead:
    """How the latest earlier ingest of this file (same source, path and content) read it."""
    where, params = _identity_sql(source)
    got = con.execute(
        f"SELECT read_hash FROM ingest_files WHERE {where} "
        "ORDER BY ingested_at DESC, read_hash NULLS FIRST LIMIT 1",
        [*params, path, digest],
    ).fetchall()
    return PreviousRead(True, got[0][0]) if got else PreviousRead(False)


@dataclass
class Removed:
    """What :func:`remove_ingests` deleted."""

    rows: int = 0  # records, from the raw tables
    quarantined: int = 0  # quarantine rows
    entries: int = 0  # ledger entries (one per file per run)
    files: int = 0  # distinct files


def remove_file_ingests(
    con: duckdb.DuckDBPyConnection,
    source: str | None,
    path: str,
    digest: str,
    *,
    every_version: bool = False,
) -> Removed:
    """Remove what earlier ingests of one file identity wrote (see :func:`_identity_sql`).

    ``every_version`` (``--replace``): what every earlier read of the path wrote, whatever
    the file held then — the user says the file as it is now is the truth.
    """
    if every_version:
        where, params = _owner_sql(source)
        return remove_ingests(con, where, [*params, path])
    where, params = _identity_sql(source)
    return remove_ingests(con, where, [*params, path, digest])


def rows_read_otherwise(
    con: duckdb.DuckDBPyConnection, source: str | None, path: str, digest: str, how: str
) -> int:
    """Records that earlier versions of this file (other content) put in the workspace
    with another mapping or settings than ``how``: kept, as they may be records the file
    no longer holds, but the user should hear of them (``--replace`` replaces them)."""
    owner, params = _owner_sql(source)
    entries = con.execute(
        f"SELECT DISTINCT kind, run_id FROM ingest_files WHERE {owner} "
        "AND content_hash IS DISTINCT FROM ? AND read_hash IS DISTINCT FROM ?",
        [*params, path, digest, how],
    ).fetchall()
    total = 0
    for name in {k for k, _ in entries}:
        kind = KINDS.get(name)
        if kind is None:
            continue
        runs = [r for k, r in entries if k == name]
        total += con.execute(
            f"SELECT count(*) FROM {kind.table} WHERE _source_file = ? "
            "AND list_contains(?, _run_id)",
            [path, runs],
        ).fetchall()[0][0]
    return total


def remove_source_ingests(con: duckdb.DuckDBPyConnection, source: str) -> Removed:
    """Remove what every ingest of a declared source wrote (``personae sources remove``)."""
    return remove_ingests(con, "source = ?", [source])


def sources_of(con: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    """The declared sources that ingested this path (a command-line read of it does not
    replace their rows: the user is told to fix the source's mapping instead)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT source FROM ingest_files WHERE source_file = ? "
            "AND source IS NOT NULL ORDER BY 1",
            [path],
        ).fetchall()
    ]


def ledger_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The source names the ledger holds entries for."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT source FROM ingest_files WHERE source IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]


def remove_ingests(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]) -> Removed:
    """Delete the records, quarantine rows, reading decisions and ledger entries of the
    ledger entries matching ``where`` (SQL over ``ingest_files``), in the caller's
    transaction.

    Derived tables (profiles, segments, personas …) are not touched: they are rebuilt from
    the raw tables by ``personae run``.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _gone AS SELECT DISTINCT run_id, kind, source, "
        f"source_file FROM ingest_files WHERE {where}",
        list(params),
    )
    removed = Removed()
    kinds = [r[0] for r in con.execute("SELECT DISTINCT kind FROM _gone").fetchall()]
    for name in kinds:
        kind = KINDS.get(name)
        if kind is None:
            continue
        got = con.execute(
            f"DELETE FROM {kind.table} t WHERE EXISTS (SELECT 1 FROM _gone g "
            "WHERE g.kind = ? AND g.run_id = t._run_id AND g.source_file = t._source_file)",
            [name],
        ).fetchall()
        removed.rows += got[0][0] if got else 0
    match = "g.kind = x.kind AND g.run_id = x.run_id AND g.source_file = x.source_file"
    got = con.execute(
        f"DELETE FROM quarantine x WHERE EXISTS (SELECT 1 FROM _gone g WHERE {match})"
    ).fetchall()
    removed.quarantined = got[0][0] if got else 0
    con.execute(
        "DELETE FROM ingest_decisions x WHERE EXISTS (SELECT 1 FROM _gone g "
        f"WHERE {match} AND g.source IS NOT DISTINCT FROM x.source)"
    )
    removed.files = con.execute("SELECT count(DISTINCT source_file) FROM _gone").fetchall()[0][0]
    got = con.execute(
        "DELETE FROM ingest_files x WHERE EXISTS (SELECT 1 FROM _gone g "
        f"WHERE {match} AND g.source IS NOT DISTINCT FROM x.source)"
    ).fetchall()
    removed.entries = got[0][0] if got else 0
    con.execute("DROP TABLE _gone")
    return removed
