"""Erasure: remove one person from every table, store, log and file of a workspace.

:func:`erase_subject` finds the person (:func:`personae.governance.subject.find_subject`)
and, in one DuckDB transaction,

1. drops their quotes and evidence from every version of every persona document, keeping
   each document valid (a claim resting only on their words goes; a theme keeps its
   statistics but loses their quote);
2. deletes their rows from every table, chosen by the same filters the subject-access
   export uses: raw records, quarantined rows naming them, identity tables, profiles and
   their sources, scores, segments, text documents and snippets, consent, live links and
   merges, vault entries;
3. gives each theme that quoted them its next-best quote from someone else (the text
   step's own selection rule, over the snippets left), or none;
4. replaces any remaining mention of them in other rows' text (another customer's ticket
   quoting their e-mail, their phone number in any format, their id) by ``[erased]``, with
   their first and last names where both appear in such a row. Records that mention them
   are found by :mod:`personae.governance.mentions`; with ``[governance] erase_mentions =
   "delete"`` (the default) they were already deleted in step 2 as theirs, with
   ``"redact"`` they stay, redacted;
5. writes tombstones (keyed hashes of their identifiers, never the values) so re-ingested
   files cannot bring them back — neither their records nor, through the same search of
   the text, records that mention them.

Then, outside DuckDB: their documents, ids and events in ``serving.sqlite`` (secure
delete, then VACUUM, so freed pages keep nothing); their lines in the tracking API's event
log, overwritten in place by ``{"erased":true}`` padded to the same length (positions are
byte offsets and stay valid); and files under the workspace that hold their data (the
persona report files of changed personas; any other file naming them — line-oriented
exports lose those lines, other files are deleted). Re-rendering reports is the caller's
job: the report lists what was deleted.

**Deleted bytes in the DuckDB file.** A DELETE only marks rows deleted: the values stay in
their row group until it is rewritten, and a rewritten or dropped row group's blocks go to
the free list with their contents intact — ``CHECKPOINT`` does not clear them (tested:
a deleted string is still in the file after DELETE + CHECKPOINT, and after rewriting the
table). Only a copy of the live data into a new file removes them, which needs the
database closed: :func:`compact_database` does that (``COPY FROM DATABASE`` into a fresh
file, then an atomic rename). :func:`erase_workspace_subject` runs the whole sequence —
erase, close, compact, verify.
"""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from personae.config import Config, IdentitySettings
from personae.engine import quote_ident as q
from personae.governance.keys import keyed_hash
from personae.governance.mentions import REDACT, ClearKnown, mask
from personae.governance.redaction import redact_mentions, serving_events, verify_mentions
from personae.governance.subject import (
    DOCUMENT_TABLES,
    NOT_PERSONAL,
    STREAM_DIR,
    Subject,
    columns,
    find_subject,
    has_relation,
    log_lines,
    row_filters,
    tables,
    text_condition,
    word_regex,
    workspace_settings,
)
from personae.governance.tombstones import erased_line, tombstone_text, write_tombstones

if TYPE_CHECKING:
    from personae.workspace import Workspace

ERASED = "[erased]"
SERVING_FILE = "serving.sqlite"
# Files erasure never rewrites: the database (handled through SQL and compaction), the
# stores handled apart, and the workspace's own settings, key and credentials.
OWN_FILES = ("personae.toml", "secret.key", "auth.sqlite", SERVING_FILE)
LINE_FILES = (".csv", ".tsv", ".jsonl", ".ndjson")
TEXT_FILES = (*LINE_FILES, ".json", ".md", ".html", ".htm", ".txt", ".svg", ".xml", ".log")
_CHUNK = 8 * 1024 * 1024


@dataclass
class Finding:
    """A needle found after erasure: where (table or file), in what, how many times.

    ``needle`` says which kind of string matched (not the string itself, so a report can be
    printed or logged without repeating what was erased).
    """

    where: str  # "table" | "file"
    name: str
    detail: str
    needle: str
    count: int = 1


@dataclass
class ErasureReport:
    """What :func:`erase_subject` removed and what verification found."""

    id_type: str
    found: bool = False
    target: str = ""  # keyed hash of the identifier asked for (for the audit log)
    profiles: int = 0
    identifiers: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    mentions: dict[str, int] = field(default_factory=dict)  # records mentioning them, by kind
    mention_mode: str = "delete"
    rows_deleted: dict[str, int] = field(default_factory=dict)
    rows_changed: dict[str, int] = field(default_factory=dict)
    tombstones: int = 0
    serving_rows: int = 0
    log_lines: int = 0
    files_deleted: list[str] = field(default_factory=list)
    files_scrubbed: list[str] = field(default_factory=list)
    compacted: bool = False
    searched: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    needles: list[str | tuple[str, ...]] = field(default_factory=list, repr=False)
    kinds: dict[str, str] = field(default_factory=dict, repr=False)  # needle -> label
    known: ClearKnown | None = field(default=None, repr=False)  # for the mention search
    identity: IdentitySettings = field(default_factory=IdentitySettings, repr=False)

    @property
    def verified(self) -> bool:
        """Nothing of theirs was found, and the database file holds no deleted pages."""
        return not self.findings and self.compacted

    def summary(self) -> str:
        """Plain-text lines for a command's output (no identifier is repeated)."""
        lines = [
            "found the person"
            if self.found
            else "nobody known by this identifier (tombstone written anyway)",
            f"profiles removed: {self.profiles}; identifiers: "
            + (", ".join(f"{t} {n}" for t, n in sorted(self.identifiers.items())) or "none"),
            f"raw records removed: {sum(self.records.values())} ("
            + ", ".join(f"{k} {n}" for k, n in sorted(self.records.items()))
            + ")",
            f"records that mention them: {sum(self.mentions.values())}"
            + (
                f" ({', '.join(f'{k} {n}' for k, n in sorted(self.mentions.items()))}; "
                + ("kept with the mentions redacted" if self.mention_mode == REDACT else "deleted")
                + ", quarantined rows deleted)"
                if self.mentions
                else ""
            ),
            f"rows deleted: {sum(self.rows_deleted.values())} in {len(self.rows_deleted)} tables;"
            f" rows changed: {sum(self.rows_changed.values())}",
            f"tombstones written: {self.tombstones}; serving-store rows: {self.serving_rows}; "
            f"event-log lines overwritten: {self.log_lines}",
        ]
        if self.files_deleted:
            lines.append("files deleted (re-render them): " + ", ".join(self.files_deleted))
        if self.files_scrubbed:
            lines.append("files with lines removed: " + ", ".join(self.files_scrubbed))
        lines.append(
            f"verification: searched every table and file for {self.searched} strings: "
            + (
                "nothing found"
                if not self.findings
                else f"{len(self.findings)} findings: "
                + "; ".join(f"{f.where} {f.name} ({f.detail}): {f.needle}" for f in self.findings)
            )
        )
        lines.append(
            "database file compacted (no deleted bytes left)"
            if self.compacted
            else "database file NOT yet compacted: run compact_database() with it closed"
        )
        lines += self.notes
        return "\n".join(lines)


# -- persona documents ----------------------------------------------------------------------
_DROP = object()


WITHDRAWN = {
    "kind": "records",
    "source": "erasure",
    "note": "evidence withdrawn: it rested only on the records of a customer whose data was erased",
}


def _scrub_node(node: Any, ids: set[str], removed: list[int], required: bool = False) -> Any:
    """The node without what rests on records ``ids``.

    ``_DROP`` when nothing is left of it, unless it is ``required`` (a field, not a list
    item: the title, a naming basis), which keeps a note that its evidence was withdrawn.
    """
    if isinstance(node, list):
        out = []
        for item in node:
            kept = _scrub_node(item, ids, removed)
            if kept is not _DROP:
                out.append(kept)
        return out
    if not isinstance(node, dict):
        return node
    if node.get("record_id") in ids:  # a Quote of theirs
        removed[0] += 1
        return _DROP
    node = dict(node)
    if isinstance(node.get("evidence"), list):
        kept_evidence, dropped_quote = [], False
        for ev in node["evidence"]:
            if isinstance(ev, dict) and ev.get("record_ids"):
                rest = [r for r in ev["record_ids"] if r not in ids]
                if len(rest) < len(ev["record_ids"]):
                    removed[0] += 1
                    if not rest and ev.get("kind") in ("quote", "records"):
                        dropped_quote = dropped_quote or ev.get("kind") == "quote"
                        continue
                    ev = {**ev, "record_ids": rest}
            kept_evidence.append(ev)
        if not kept_evidence and not required:
            return _DROP
        node["evidence"] = kept_evidence or [dict(WITHDRAWN)]
        if dropped_quote and "quote" in node:
            node["quote"] = None
    for key, value in list(node.items()):
        if key == "evidence" or not isinstance(value, dict | list):
            continue
        node[key] = _scrub_node(value, ids, removed, required=isinstance(value, dict))
    return node


def scrub_persona(document: dict[str, Any], record_ids: Iterable[str]) -> tuple[dict, int]:
    """A persona document without the quotes and evidence records of ``record_ids``.

    Returns the new document (validated against the persona schema) and how many quotes
    or evidence references were removed.
    """
    from personae.personas.schema import Persona

    removed = [0]
    ids = set(record_ids)
    if not ids:
        return document, 0
    out = _scrub_node(document, ids, removed)
    if removed[0]:
        out = json.loads(Persona.model_validate(out).model_dump_json())
    return out, removed[0]


def _scrub_personas(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Rewrite every persona version that quotes them; returns the changed persona ids."""
    if not has_relation(con, "personas") or not subject.record_ids:
        return []
    changed: set[str] = set()
    for pid, version, doc in con.execute(
        "SELECT id, version, document FROM personas ORDER BY id, version"
    ).fetchall():
        new, removed = scrub_persona(json.loads(doc), subject.record_ids)
        if removed:
            from personae.personas.schema import Persona

            text = Persona.model_validate(new).model_dump_json()
            con.execute(
                "UPDATE personas SET document = ? WHERE id = ? AND version = ?",
                [text, pid, version],
            )
            changed.add(pid)
    return sorted(changed)


# -- theme quotes ------------------------------------------------------------------------------
def _requote_themes(
    con: duckdb.DuckDBPyConnection, subject: Subject, settings: Config, theirs: list[tuple]
) -> int:
    """Give each theme that quoted them its next-best quote (the text step's own rule)."""
    if not theirs:
        return 0
    from personae.text.build import scrubber_for
    from personae.text.voice import safe_quotes

    scrubber = scrubber_for(con, settings.text.allow, settings.identity.region)
    for facet, theme in theirs:
        rows = con.execute(
            "SELECT snippet_id, record_id, text, theme_weights, theme_fit, profile_id "
            "FROM text_snippets WHERE facet = ? AND theme_id = ? ORDER BY snippet_id",
            [facet, theme],
        ).fetchall()
        quote = None
        if rows:
            fits = np.array([r[4] if r[4] is not None else 0.0 for r in rows])
            keep = (
                np.flatnonzero(fits >= np.median(fits)) if len(rows) >= 4 else np.arange(len(rows))
            )
            rows = [rows[i] for i in keep]
            width = max(len(r[3] or []) for r in rows)
            if width > theme:
                w = np.array([list(r[3] or [0.0] * width) for r in rows], dtype=np.float64)
                centroid = np.zeros(width)
                centroid[theme] = 1.0
                found = safe_quotes(
                    [r[0] for r in rows],
                    [r[2] for r in rows],
                    w,
                    centroid,
                    1,
                    scrubber=scrubber,
                    profile_ids=[r[5] for r in rows],
                    min_chars=settings.text.quote_min_chars,
                    max_chars=settings.text.quote_max_chars,
                )
                if found:
                    record = {r[0]: r[1] for r in rows}
                    quote = (found[0].text, record[found[0].record_id], found[0].record_id)
        con.execute(
            "UPDATE text_themes SET quote = ?, quote_record_id = ?, quote_snippet_id = ? "
            "WHERE facet = ? AND theme_id = ?",
            [*(quote or (None, None, None)), facet, theme],
        )
    return len(theirs)


def _themes_quoting(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[tuple]:
    if not has_relation(con, "text_themes"):
        return []
    return con.execute(
        "SELECT facet, theme_id FROM text_themes WHERE "
        "quote_snippet_id IN (SELECT unnest($s::VARCHAR[])) "
        "OR quote_record_id IN (SELECT unnest($r::VARCHAR[])) ORDER BY ALL",
        {"s": subject.snippet_ids, "r": subject.record_ids},
    ).fetchall()


def _erase_vault(con: duckdb.DuckDBPyConnection, subject: Subject) -> int:
    """Delete the vault entries of their pseudonyms that no remaining row uses.

    A pseudonym stands for a normalised value, so "lee" has one token for every Lee: their
    last name's entry stays while another Lee's record still needs it. Entries naming one
    of their identifiers go whatever else refers to them.
    """
    tokens = set(subject.tokens)
    used: set[str] = set()
    if tokens:
        for table in tables(con):
            if table == "vault" or table in NOT_PERSONAL:
                continue
            for col in _text_columns(con, table):
                used.update(
                    r[0]
                    for r in con.execute(
                        f"SELECT DISTINCT {q(col)} FROM {q(table)} "
                        f"WHERE {q(col)} IN (SELECT unnest(?::VARCHAR[]))",
                        [sorted(tokens)],
                    ).fetchall()
                )
    conds = ["token IN (SELECT unnest($t::VARCHAR[]))"]
    named = text_condition(subject, "value")
    if named:
        conds.append(named)
    got = con.execute(
        f"DELETE FROM vault WHERE {' OR '.join(conds)}", {"t": sorted(tokens - used)}
    ).fetchall()
    return got[0][0] if got else 0


# -- what is left: mentions in other rows -------------------------------------------------------
def _text_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [c for c, t in columns(con, table).items() if t in ("VARCHAR", "JSON")]


def _replace_mentions(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, int]:
    """Replace their identifiers wherever they are still written (other people's text)."""
    needles = subject.distinctive_needles()
    if not needles:
        return {}
    pattern = word_regex(needles)
    out: dict[str, int] = {}
    for table in tables(con):
        if table in NOT_PERSONAL or table in DOCUMENT_TABLES:
            continue
        for col in _text_columns(con, table):
            c = q(col)
            got = con.execute(
                f"UPDATE {q(table)} SET {c} = regexp_replace({c}, $p, '\\1{ERASED}\\3', 'gi') "
                f"WHERE regexp_matches({c}, $p, 'i')",
                {"p": pattern},
            ).fetchall()
            n = got[0][0] if got else 0
            if n:
                out[table] = out.get(table, 0) + n
    return out


# -- serving store, event log, files --------------------------------------------------------------
def _erase_serving(workspace: Path, subject: Subject) -> int:
    """Delete their documents, ids and events from ``serving.sqlite``; VACUUM after."""
    path = workspace / SERVING_FILE
    if not path.exists() or not subject.found:
        return 0
    keys = [f"{t}:{v}" for t, v in subject.identifiers]
    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete = ON")
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        n = 0
        con.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(subject.profile_ids))
        for table in ("docs", "ids", "events"):
            if table not in have or not subject.profile_ids:
                continue
            n += con.execute(
                f"DELETE FROM {table} WHERE profile_id IN ({marks})", subject.profile_ids
            ).rowcount
        if "ids" in have and keys:
            n += con.execute(
                f"DELETE FROM ids WHERE key IN ({','.join('?' * len(keys))})", keys
            ).rowcount
        if "events" in have:
            n += serving_events(con, subject)
        con.execute("COMMIT")
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return n


def _erase_log_lines(workspace: Path, subject: Subject) -> int:
    """Overwrite their event-log lines in place (same length, so offsets stay valid).

    In place rather than by rename: a running server keeps the newest segment open for
    appending, and a renamed file would lose what it writes next.
    """
    by_file: dict[Path, list] = {}
    for line in log_lines(workspace, subject):
        by_file.setdefault(line.path, []).append(line)
    n = 0
    for path, lines in by_file.items():
        with open(path, "r+b") as fh:
            for line in lines:
                fh.seek(line.offset)
                if line.mentions and subject.mention_mode == REDACT:
                    fh.write(mask(line.data, line.mentions))  # same length, mention gone
                else:
                    fh.write(erased_line(len(line.data)))
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
    return n


def _persona_report_files(workspace: Path, changed: Sequence[str]) -> list[Path]:
    """The report files a changed persona document was rendered into."""
    if not changed:
        return []
    from personae.reports.persona_report import HTML_NAME, JSON_NAME, MARKDOWN_NAME, slug

    reports = workspace / "reports"
    out = [reports / n for n in (HTML_NAME, MARKDOWN_NAME, JSON_NAME)]
    for pid in changed:
        out += [reports / "personas" / f"{slug(pid)}.{ext}" for ext in ("json", "pdf", "svg")]
    return [p for p in out if p.exists()]


def _skipped(workspace: Path, path: Path, database: Path | None) -> bool:
    rel = path.relative_to(workspace)
    if rel.parts and rel.parts[0] == STREAM_DIR:
        return True
    if database is not None and path.name.startswith(database.name):
        return True
    return any(path.name == f or path.name.startswith(f + "-") for f in OWN_FILES)


def _variants(needle: str) -> set[bytes]:
    """How a string may be written in a file (lower-cased): as is, HTML- or JSON-escaped."""
    out = {needle, html.escape(needle), html.escape(needle, quote=False)}
    out.add(json.dumps(needle)[1:-1])
    out.add(json.dumps(needle, ensure_ascii=False)[1:-1])
    out.add(html.escape(needle).replace("&#x27;", "&#39;"))
    return {v.lower().encode("utf-8") for v in out if v}


class _Finder:
    """Counts whole-token occurrences of many strings in bytes, case-insensitively.

    ``bytes.find`` per variant beats one big regular expression by an order of magnitude
    on a database-sized file (Python's ``re`` backtracks through every alternative).
    """

    def __init__(self, needles: Iterable[str]) -> None:
        self.variants: dict[bytes, str] = {}
        for n in needles:
            for v in _variants(n):
                self.variants.setdefault(v, n)

    def __bool__(self) -> bool:
        return bool(self.variants)

    @staticmethod
    def _token(data: bytes, start: int, end: int) -> bool:
        before = data[start - 1 : start] if start else b""
        after = data[end : end + 1]
        return not (before.isalnum() and before.isascii()) and not (
            after.isalnum() and after.isascii()
        )

    def counts(self, data: bytes) -> dict[str, int]:
        """Needle → whole-token occurrences in ``data`` (already lower-cased)."""
        out: dict[str, int] = {}
        for v, needle in self.variants.items():
            i = data.find(v)
            while i >= 0:
                if self._token(data, i, i + len(v)):
                    out[needle] = out.get(needle, 0) + 1
                i = data.find(v, i + 1)
        return out

    def file_counts(self, path: Path) -> dict[str, int]:
        total: dict[str, int] = {}
        for chunk in _chunks(path, 4096):
            for n, c in self.counts(chunk.lower()).items():
                total[n] = total.get(n, 0) + c
        return total

    def found(self, data: bytes) -> bool:
        low = data.lower()
        return any(
            self._token(low, i, i + len(v)) for v in self.variants for i in _positions(low, v)
        )


def _positions(data: bytes, v: bytes) -> Iterator[int]:
    i = data.find(v)
    while i >= 0:
        yield i
        i = data.find(v, i + 1)


def _scrub_files(
    workspace: Path, subject: Subject, changed_personas: Sequence[str], database: Path | None
) -> tuple[list[str], list[str]]:
    """Delete (or, for line-oriented exports, remove lines from) files that hold their data."""
    deleted, scrubbed = [], []
    for path in _persona_report_files(workspace, changed_personas):
        path.unlink()
        deleted.append(str(path.relative_to(workspace)))
    finder = _Finder([*subject.distinctive_needles(), *subject.quotes])
    if not finder:
        return deleted, scrubbed
    for path in sorted(p for p in workspace.rglob("*") if p.is_file()):
        if _skipped(workspace, path, database) or not finder.file_counts(path):
            continue
        rel = str(path.relative_to(workspace))
        if path.suffix.lower() in LINE_FILES and _drop_lines(path, finder):
            scrubbed.append(rel)
        else:
            path.unlink()
            deleted.append(rel)
    return deleted, scrubbed


def _drop_lines(path: Path, finder: _Finder) -> bool:
    """Rewrite a line-oriented file without the matching lines; False if nothing would be
    left but a header (then the file is better deleted)."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = lines[:1] if path.suffix.lower() in (".csv", ".tsv") else []
    body = lines[len(header) :]
    kept = [x for x in body if not finder.found(x)]
    if not kept or finder.found(b"".join(header)):
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(header + kept))
    os.replace(tmp, path)
    return True


def _chunks(path: Path, overlap: int) -> Iterator[bytes]:
    """The file in chunks (each repeating the previous one's last ``overlap`` bytes, so a
    string across a boundary is seen); for a PDF also its inflated streams."""
    with open(path, "rb") as fh:
        tail = b""
        while True:
            block = fh.read(_CHUNK)
            if not block:
                break
            yield tail + block
            tail = block[-overlap:] if overlap else b""
    if path.suffix.lower() == ".pdf":
        data = path.read_bytes()
        for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
            try:
                yield zlib.decompress(m.group(1))
            except zlib.error:
                continue


# -- verification ------------------------------------------------------------------------------
def _label(needle: str | tuple[str, ...], kinds: dict[str, str]) -> str:
    if isinstance(needle, tuple):
        return kinds.get(" + ".join(needle), "name (parts on one row)")
    return kinds.get(needle, "string")


def verify_erased(
    con: duckdb.DuckDBPyConnection,
    workspace_path: str | Path,
    needles: Sequence[str | tuple[str, ...]],
    *,
    kinds: dict[str, str] | None = None,
    known: ClearKnown | None = None,
    identity: IdentitySettings | None = None,
) -> list[Finding]:
    """Search every table (all columns as text) and every file of the workspace for each
    needle, case-insensitively, as a whole token (not inside a longer word or number: user
    id "C1" is not found in "C12" nor in a hex hash). A tuple needle matches where all its
    parts are on one row (tables) or one line (text files). ``kinds`` labels needles in
    findings (default "string") so a report never has to print the strings themselves.

    With ``known`` (the person's identifiers) every table and text file is also searched
    for mentions of them by :mod:`personae.governance.mentions`' rules: their phone number
    in any format, an e-mail that normalises to theirs, an id inside a longer token.

    Files are searched as bytes (text and binary alike, PDFs also inflated), for the
    needle as written and HTML- or JSON-escaped. DuckDB compresses what it stores, so a
    byte search of its file proves little: the tables are searched through SQL, and
    :func:`compact_database` is what removes deleted values from the file.
    """
    kinds = kinds or {}
    findings: list[Finding] = []
    plain = sorted({n for n in needles if isinstance(n, str) and n})
    groups = [n for n in needles if isinstance(n, tuple) and n]
    for table in tables(con):
        findings += _verify_table(con, table, plain, groups, kinds)
    workspace = Path(workspace_path)
    finder = _Finder(plain)
    part_finders = [(g, [_Finder([p]) for p in g]) for g in groups]
    for path in sorted(p for p in workspace.rglob("*") if p.is_file()):
        rel = str(path.relative_to(workspace))
        if finder:
            for n, count in sorted(finder.file_counts(path).items()):
                findings.append(Finding("file", rel, "bytes", _label(n, kinds), count))
        if groups and path.suffix.lower() in TEXT_FILES:
            findings += _verify_lines(path, rel, part_finders, kinds)
    if known:
        findings += [
            Finding(*f)
            for f in verify_mentions(
                con, workspace, known, identity or IdentitySettings(), TEXT_FILES
            )
        ]
    return findings


def _verify_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    plain: list[str],
    groups: list[tuple[str, ...]],
    kinds: dict[str, str],
) -> list[Finding]:
    """One pass of RE2 over each row's text finds candidate rows; Python counts them."""
    cols = [c for c, t in columns(con, table).items() if not _numeric(t)]
    words = sorted({*plain, *(p for g in groups for p in g)})
    if not cols or not words:
        return []
    text = "concat_ws(chr(31), " + ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in cols) + ")"
    rows = con.execute(
        f"SELECT s FROM (SELECT {text} AS s FROM {q(table)}) WHERE regexp_matches(s, $p, 'i')",
        {"p": word_regex(words)},
    ).fetchall()
    if not rows:
        return []
    finders = {w: _Finder([w]) for w in words}
    present = [{w for w in words if finders[w].found(r[0].encode("utf-8"))} for r in rows]
    out = []
    for needle in [*plain, *groups]:
        parts = needle if isinstance(needle, tuple) else (needle,)
        n = sum(all(p in found for p in parts) for found in present)
        if n:
            where = _columns_with(con, table, cols, parts)
            out.append(Finding("table", table, ", ".join(where) or "row", _label(needle, kinds), n))
    return out


def _columns_with(
    con: duckdb.DuckDBPyConnection, table: str, cols: list[str], parts: tuple[str, ...]
) -> list[str]:
    pattern = word_regex(parts)
    return [
        c
        for c in cols
        if con.execute(
            f"SELECT count(*) FROM {q(table)} "
            f"WHERE regexp_matches(CAST({q(c)} AS VARCHAR), $p, 'i')",
            {"p": pattern},
        ).fetchall()[0][0]
    ]


def _verify_lines(
    path: Path,
    rel: str,
    groups: list[tuple[tuple[str, ...], list[_Finder]]],
    kinds: dict[str, str],
) -> list[Finding]:
    counts = [0] * len(groups)
    with open(path, "rb") as fh:
        for line in fh:
            for i, (_, finders) in enumerate(groups):
                if all(f.found(line) for f in finders):
                    counts[i] += 1
    return [
        Finding("file", rel, "line", _label(g, kinds), n)
        for (g, _), n in zip(groups, counts, strict=True)
        if n
    ]


def _numeric(data_type: str) -> bool:
    t = data_type.upper()
    return t in (
        "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
        "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DATE", "TIME",
        "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "INTERVAL", "UUID",
    ) or t.startswith("DECIMAL")  # fmt: skip


def _sql_lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def subject_needles(subject: Subject) -> tuple[list[str | tuple[str, ...]], dict[str, str]]:
    """What verification searches for after erasing ``subject``, with a label per needle:
    identifiers (canonical and as written), profile and record ids, full names, both name
    parts on one row, and the texts of theirs that were quoted."""
    kinds: dict[str, str] = {}
    for t, v in subject.identifiers:
        kinds.setdefault(v, f"identifier ({t})")
    for v in subject.raw_values:
        kinds.setdefault(v, "identifier as written")
    for v in subject.profile_ids:
        kinds.setdefault(v, "profile id")
    for v in subject.record_ids:
        kinds.setdefault(v, "record id")
    for v in subject.message_ids:
        kinds.setdefault(v, "message id")
    for v in subject.name_needles():
        kinds.setdefault(v, "full name")
    for v in subject.quotes:
        kinds.setdefault(v, "quote")
    needles: list[str | tuple[str, ...]] = sorted(kinds)
    for first, last in subject.names:
        if first and last:
            needles.append((first, last))
            kinds[f"{first} + {last}"] = "first and last name on one row"
    return needles, kinds


# -- the erasure --------------------------------------------------------------------------------
def erase_subject(
    con: duckdb.DuckDBPyConnection,
    workspace_path: str | Path,
    id_type: str,
    value: str,
    *,
    key: bytes,
    settings: Config | None = None,
    verify: bool = True,
) -> ErasureReport:
    """Remove the person behind ``id_type:value`` from the workspace (see the module doc).

    Stop the live updater first (``personae serve`` applies events on its own thread).
    ``verify`` searches every table and file afterwards; the database file itself still
    holds the deleted bytes until :func:`compact_database` has run with it closed
    (:func:`erase_workspace_subject` does both).
    """
    workspace = Path(workspace_path).resolve()
    settings = workspace_settings(workspace, settings)
    subject = find_subject(con, id_type, value, settings)
    if subject.normalised is None:
        raise ValueError(
            f"{value!r} is not a valid {id_type} (nothing was erased). Fix: check the "
            "identifier, or erase by another one of the person's identifiers"
        )
    report = ErasureReport(id_type, found=subject.found, profiles=len(subject.profile_ids))
    report.target = keyed_hash(key, tombstone_text(id_type, subject.normalised))
    for t, _ in subject.identifiers:
        report.identifiers[t] = report.identifiers.get(t, 0) + 1
    mentioned = {k: len(v) for k, v in subject.mentions.items()}
    report.records = {
        k: len(v) - (mentioned.get(k, 0) if subject.mention_mode != REDACT else 0)
        for k, v in subject.records.items()
    }
    report.records = {k: n for k, n in report.records.items() if n}
    report.mentions, report.mention_mode = mentioned, subject.mention_mode
    report.known, report.identity = subject.known, subject.identity
    report.needles, report.kinds = subject_needles(subject)
    tombstoned = _real_values(con, subject)
    subject.register(con)
    con.execute("BEGIN TRANSACTION")
    try:
        changed = _scrub_personas(con, subject)
        if changed:
            report.rows_changed["personas"] = len(changed)
        theirs = _themes_quoting(con, subject)
        for table, cond in row_filters(con, subject).items():
            if table == "vault":
                continue  # after the others: a pseudonym may be someone else's too
            got = con.execute(f"DELETE FROM {q(table)} t WHERE {cond}").fetchall()
            if got and got[0][0]:
                report.rows_deleted[table] = got[0][0]
        if has_relation(con, "vault") and (n := _erase_vault(con, subject)):
            report.rows_deleted["vault"] = n
        if theirs:
            report.rows_changed["text_themes"] = _requote_themes(con, subject, settings, theirs)
        for table, n in redact_mentions(con, subject).items():
            report.rows_changed[table] = report.rows_changed.get(table, 0) + n
        for table, n in _replace_mentions(con, subject).items():
            report.rows_changed[table] = report.rows_changed.get(table, 0) + n
        report.tombstones = write_tombstones(
            con,
            key,
            tombstoned,
            settings.identity,
            settings.governance.key_env,
            names=subject.names,
            mentions=subject.mention_mode,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        subject.unregister(con)
    try:
        con.execute("CHECKPOINT")  # the WAL held their rows' new versions
    except duckdb.Error as exc:  # another cursor (a server's) is mid-transaction
        report.notes.append(f"CHECKPOINT deferred ({str(exc).splitlines()[0]})")
    report.serving_rows = _erase_serving(workspace, subject)
    report.log_lines = _erase_log_lines(workspace, subject)
    database = _database_path(con)
    report.files_deleted, report.files_scrubbed = _scrub_files(
        workspace, subject, changed, database
    )
    if verify:
        report.searched = len(report.needles)
        report.findings = verify_erased(
            con, workspace, report.needles, kinds=report.kinds, known=report.known,
            identity=report.identity,
        )  # fmt: skip
    return report


def _real_values(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[tuple[str, str]]:
    """Their identifiers as canonical values (pseudonyms looked up in the vault): the loader
    hashes what files hold, which is never a pseudonym."""
    out = []
    vault = has_relation(con, "vault")
    for t, v in subject.identifiers:
        if v.startswith("ps_") and vault:
            got = con.execute("SELECT min(value) FROM vault WHERE token = ?", [v]).fetchall()
            if got and got[0][0]:
                out.append((t, got[0][0]))
                continue
        out.append((t, v))
    return out


def _database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    got = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(got[0][0]).resolve() if got and got[0][0] else None


# -- compaction ----------------------------------------------------------------------------------
def compact_database(db_path: str | Path) -> tuple[int, int]:
    """Rewrite the DuckDB file from its live data, so no deleted value survives in it.

    Needs the database closed (no other connection, no server): it copies every table,
    view, macro and sequence into a fresh file (``COPY FROM DATABASE``) and renames it over
    the old one. Returns the file size before and after.
    """
    path = Path(db_path).resolve()
    before = path.stat().st_size
    fresh = path.with_name(path.name + ".compact")
    for stale in (fresh, fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"ATTACH {_sql_lit(str(fresh))} AS _compact")
        con.execute(f"COPY FROM DATABASE {q(name)} TO _compact")
        con.execute("DETACH _compact")
    finally:
        con.close()
    with open(fresh, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return before, path.stat().st_size


def erase_workspace_subject(ws: Workspace, id_type: str, value: str) -> ErasureReport:
    """The whole erasure of one person from a workspace nobody else has open: erase,
    close, compact the database file, then verify every table and file."""
    with ws.connect() as con:
        report = erase_subject(
            con, ws.path, id_type, value, key=ws.secret_key(), settings=ws.config, verify=False
        )
    compact_database(ws.database_path)
    report.compacted = True
    with ws.connect(read_only=True) as con:
        report.searched = len(report.needles)
        report.findings = verify_erased(
            con, ws.path, report.needles, kinds=report.kinds, known=report.known,
            identity=report.identity,
        )  # fmt: skip
    return report
