"""Erasure: a demo person known by several identifiers across several sources is removed
from every table, store, log and file of a workspace, and re-ingesting the original files
does not bring them back.

The searches here are written independently of ``verify_erased`` (plain SQL and byte
scans), and every needle is shown to be present before the erasure, so each check can
fail.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from personae import Workspace
from personae.governance.erase import (
    compact_database,
    erase_subject,
    erase_workspace_subject,
    scrub_persona,
    verify_erased,
)
from personae.governance.subject import find_subject
from personae.governance.tombstones import ERASED_LINE, TombstoneKeyError
from personae.identity.identifiers import Normaliser
from personae.personas.schema import Persona
from personae.web.eventlog import EventLog, segment_name
from personae.web.live import LiveUpdater
from personae.web.segment_spec import encode, messages_from_request
from personae.web.serving import ServingStore
from tests.helpers import read_truth, stored_records
from tests.web_support import copy_workspace

# identifier columns of each raw table (what a person is known by, as written)
ID_COLUMNS = {
    "raw_contacts": ("customer_id", "contact_id", "email", "phone", "social_handle"),
    "raw_orders": ("customer_id", "email", "phone"),
    "raw_events": ("user_id", "anonymous_id", "email"),
    "raw_email_events": ("email",),
    "raw_survey_responses": ("customer_id", "email", "response_id"),
    "raw_tickets": ("customer_id", "email"),
    "raw_reviews": ("customer_id", "email"),
    "raw_social_posts": ("handle", "email"),
}
TEXT_IDS = {
    "raw_reviews": "review_id",
    "raw_survey_responses": "response_id",
    "raw_tickets": "ticket_id",
    "raw_social_posts": "post_id",
}


# -- independent searches ---------------------------------------------------------------------
def _word(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole token of lower-cased text."""
    return re.compile(r"(?<![a-z0-9])" + re.escape(needle.lower()) + r"(?![a-z0-9])")


def _rx(needle: str) -> str:
    """RE2 pattern: ``needle`` as a whole token of lower-cased text."""
    body = "".join("\\" + c if c in "\\.^$|?*+()[]{}" else c for c in needle.lower())
    return f"(^|[^a-z0-9])({body})($|[^a-z0-9])"


def _row_texts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, SQL of one row as text) for every base table."""
    out = []
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall():
        cols = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
        text = ", ".join(f'CAST("{c}" AS VARCHAR)' for (c,) in cols)
        out.append((table, f"concat_ws(' | ', {text})"))
    return out


def _matching_rows(con, table: str, text: str, words: list[str]) -> list[str]:
    """Lower-cased texts of the rows holding any of ``words`` (RE2 prefilter, then Python)."""
    alts = "|".join(_rx(w)[len("(^|[^a-z0-9])(") : -len(")($|[^a-z0-9])")] for w in words)
    rows = con.execute(
        f"SELECT s FROM (SELECT {text} AS s FROM \"{table}\") WHERE regexp_matches(s, $p, 'i')",
        {"p": f"(^|[^a-z0-9])({alts})($|[^a-z0-9])"},
    ).fetchall()
    return [r[0].lower() for r in rows]


def table_hits(con: duckdb.DuckDBPyConnection, needles: list[str]) -> dict[str, list[str]]:
    """needle -> tables where some row holds it (any column, as text, whole token)."""
    hits: dict[str, list[str]] = {}
    for table, text in _row_texts(con):
        rows = _matching_rows(con, table, text, needles)
        for needle in needles:
            if any(_word(needle).search(r) for r in rows):
                hits.setdefault(needle, []).append(table)
    return hits


def rows_with_both(con: duckdb.DuckDBPyConnection, first: str, last: str) -> list[str]:
    """Tables with a row naming both ``first`` and ``last`` (whole words)."""
    return [
        table
        for table, text in _row_texts(con)
        if any(
            _word(first).search(r) and _word(last).search(r)
            for r in _matching_rows(con, table, text, [first])
        )
    ]


def file_hits(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    """needle -> files (under ``folder``) holding it as bytes, case-insensitively."""
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        for needle in needles:
            variants = {needle, needle.replace("'", "&#x27;"), needle.replace("'", "&#39;")}
            variants |= {json.dumps(needle)[1:-1]}
            pattern = re.compile(
                rb"(?<![a-z0-9])(?:"
                + b"|".join(re.escape(v.lower().encode()) for v in variants)
                + rb")(?![a-z0-9])"
            )
            if pattern.search(data):
                hits.setdefault(needle, []).append(str(path.relative_to(folder)))
    return hits


def lines_with_both(folder: Path, first: str, last: str) -> list[str]:
    """Text files with a line naming both ``first`` and ``last`` (whole words, any case);
    binary files have no lines (the database and serving store are searched by row)."""
    a, b = (re.compile(rb"(?<![a-z0-9])" + re.escape(w.lower().encode()) + rb"(?![a-z0-9])")
            for w in (first, last))  # fmt: skip
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in (".duckdb", ".sqlite", ".wal", ".pdf", ".key") or "." not in path.name:
            continue
        if any(
            a.search(line) and b.search(line) for line in path.read_bytes().lower().split(b"\n")
        ):
            out.append(str(path.relative_to(folder)))
    return out


# -- the planted person --------------------------------------------------------------------------
@dataclass
class Person:
    person_id: str
    profile_id: str
    rows: list[tuple[str, int]]  # (file name, row) of their stored records
    kinds: set[str]
    identifiers: list[str]  # as written, found only in their rows
    canonical: list[str]  # identity_map values of their profile
    first: str
    last: str
    email: str
    user_id: str
    quotes: list[str] = field(default_factory=list)


def _their_words(doc, ids: set[str]) -> list[str]:
    """Quotes in a persona document from records ``ids`` (Quote, theme quote, says)."""
    out: list[str] = []
    if isinstance(doc, dict):
        evidence = [e for e in doc.get("evidence") or [] if isinstance(e, dict)]
        quoting = [e for e in evidence if e.get("kind") == "quote" and set(e["record_ids"]) & ids]
        if doc.get("record_id") in ids or (quoting and len(quoting) == len(evidence)):
            out.append(doc["text"].strip("\u201c\u201d"))
        elif quoting and doc.get("quote"):
            out.append(doc["quote"])
        for v in doc.values():
            out += _their_words(v, ids)
    elif isinstance(doc, list):
        for v in doc:
            out += _their_words(v, ids)
    return out


def pick_person(ws: Workspace, data: Path) -> Person:
    """A planted person with >= 3 identifiers, records in >= 5 source kinds, every stored
    record resolved to one profile, a full name nobody else has, and (preferably) words
    of theirs quoted in the personas or themes that nobody else wrote."""
    truth: dict[str, list[tuple[str, int]]] = {}
    for r in read_truth(data, "records.csv"):
        truth.setdefault(r["person_id"], []).append((r["source_file"], int(r["source_row"])))
    stored, owner = stored_records(ws, ID_COLUMNS)
    with ws.connect(read_only=True) as con:
        ids_of: dict[str, list[str]] = {}
        for v, p in con.execute(
            "SELECT id_value, profile_id FROM identity_map WHERE profile_id IS NOT NULL"
        ).fetchall():
            ids_of.setdefault(p, []).append(v)
        names: dict[tuple[str, str], int] = {}
        for f, la in con.execute(
            "SELECT lower(first_name), lower(last_name) FROM raw_contacts"
        ).fetchall():
            names[(f, la)] = names.get((f, la), 0) + 1
        docs = [json.loads(d) for (d,) in con.execute("SELECT document FROM personas").fetchall()]
        themes = con.execute(
            "SELECT quote_record_id, quote FROM text_themes WHERE quote IS NOT NULL"
        ).fetchall()
        snippets = con.execute("SELECT profile_id, lower(text) FROM text_snippets").fetchall()
        text_ids: dict[tuple[str, int], str] = {}
        for table, col in TEXT_IDS.items():
            rows = con.execute(f"SELECT _source_file, _source_row, {col} FROM {table}").fetchall()
            for f, r, i in rows:
                text_ids[(Path(f).name, r)] = i
        candidates = []
        for person, rows in sorted(truth.items()):
            mine = [r for r in rows if r in stored]
            owners = {owner.get(r) for r in mine}
            if len(owners) != 1 or None in owners:
                continue
            pid = owners.pop()
            kinds = {stored[r] for r in mine}
            if len(kinds) < 5 or len(ids_of.get(pid, [])) < 3:
                continue
            got = con.execute(
                "SELECT first_name, last_name, email, user_id FROM profiles WHERE profile_id = ?",
                [pid],
            ).fetchall()[0]
            if not all(got) or names.get((got[0].lower(), got[1].lower())) != 1:
                continue
            record_ids = {text_ids[r] for r in mine if r in text_ids}
            in_personas = {w for d in docs for w in _their_words(d, record_ids)}
            in_themes = {q for rid, q in themes if rid in record_ids}
            unique = sorted(
                w
                for w in in_personas | in_themes
                if not any(p != pid and w.lower() in t for p, t in snippets)
            )
            places = bool(set(unique) & in_personas) + bool(set(unique) & in_themes)
            rank = (-places, -len(unique), person)
            candidates.append((rank, person, pid, mine, kinds, got, unique))
        assert candidates, "no planted person fits"
        _, person, pid, mine, kinds, (first, last, email, user_id), unique = min(candidates)
        written: set[str] = set()
        key = "split_part(_source_file, '/', -1) || '#' || _source_row"
        for table, cols in ID_COLUMNS.items():
            keys = [(f, r) for f, r in mine if stored[(f, r)] == table]
            if not keys:
                continue
            for col in cols:
                for (v,) in con.execute(
                    f"SELECT DISTINCT trim({col}) FROM {table} t WHERE {col} IS NOT NULL AND "
                    f"list_contains($k, {key})",
                    {"k": [f"{f}#{r}" for f, r in keys]},
                ).fetchall():
                    others = con.execute(
                        f"SELECT count(*) FROM {table} WHERE trim({col}) = $v AND NOT "
                        f"list_contains($k, {key})",
                        {"v": v, "k": [f"{f}#{r}" for f, r in keys]},
                    ).fetchall()[0][0]
                    if others == 0 and len(v) >= 5:
                        written.add(v)
        return Person(
            person, pid, mine, kinds, sorted(written), sorted(ids_of[pid]), first, last,
            email, user_id, unique,
        )  # fmt: skip


# -- live events through the tracking API's log ---------------------------------------------------
def send_live(ws: Workspace, messages: list[dict]) -> None:
    """Log Segment messages as the tracking API does and apply them (serving store too)."""
    stream = ws.path / "stream"
    stream.mkdir(exist_ok=True)
    lines = [
        encode(m, "")
        for _, m in messages_from_request({"batch": messages}, "batch", datetime.now(UTC))
    ]
    segment = stream / segment_name(1)
    with open(segment, "ab") as fh:
        fh.write(b"".join(lines))
    log = EventLog(stream).open()
    try:
        with ws.connect() as con:
            serving = ServingStore(ws.path)
            serving.rebuild(con, "test")
            live = LiveUpdater(con.cursor(), log, serving, Normaliser(ws.config.identity))
            while live.apply_once():
                pass
            assert live.stats.last_error is None
    finally:
        log.close()


# -- the must-show test ---------------------------------------------------------------------------
def test_erased_person_is_gone_everywhere_and_stays_gone(retail_5k, tmp_path: Path) -> None:
    source, data = retail_5k
    ws = Workspace(copy_workspace(source.path, tmp_path / "ws"))
    ws.personas()
    ws.report()
    person = pick_person(ws, data)
    assert len(person.canonical) >= 3 and len(person.kinds) >= 5
    send_live(
        ws,
        [
            {
                "type": "identify",
                "userId": person.user_id,
                "traits": {"email": person.email, "firstName": person.first,
                           "lastName": person.last},
                "timestamp": "2026-10-30T10:00:00Z",
            },
            {"type": "track", "userId": person.user_id, "event": "Order Completed",
             "timestamp": "2026-10-30T10:05:00Z"},
            {"type": "track", "anonymousId": "visitor-who-stays", "event": "Viewed",
             "timestamp": "2026-10-30T10:06:00Z"},
        ],
    )  # fmt: skip
    serving = ws.path / "serving.sqlite"
    with sqlite3.connect(serving) as sc:
        assert sc.execute("SELECT count(*) FROM docs WHERE profile_id = ?",
                          [person.profile_id]).fetchone()[0] == 1  # fmt: skip
    segment = ws.path / "stream" / segment_name(1)
    log_before = segment.read_bytes()

    needles = sorted({*person.identifiers, *person.canonical, person.profile_id, *person.quotes})
    with ws.connect(read_only=True) as con:
        before = table_hits(con, needles)
        assert rows_with_both(con, person.first, person.last)
    assert lines_with_both(ws.path, person.first, person.last)  # the identify call's line
    before_files = file_hits(ws.path, needles)
    missing = [n for n in needles if n not in before and n not in before_files]
    assert not missing, f"not present before erasure (the search could not fail): {missing}"
    assert person.quotes, "the chosen person should have words of theirs quoted"

    # erase by one identifier, written differently from every record
    report = erase_workspace_subject(ws, "email", f"  {person.email.upper()} ")
    assert report.found and report.profiles >= 1
    assert report.compacted and report.findings == [], report.summary()
    assert report.log_lines == 2 and report.tombstones >= len(person.canonical)
    assert {"personas", "text_themes"} <= set(report.rows_changed)  # both quoted them
    assert any(f.startswith("reports/personas") for f in report.files_deleted)

    with ws.connect(read_only=True) as con:
        assert table_hits(con, needles) == {}
        assert rows_with_both(con, person.first, person.last) == []
        stored = {
            (Path(f).name, r)
            for table in ID_COLUMNS
            for f, r in con.execute(f"SELECT _source_file, _source_row FROM {table}").fetchall()
        }
        assert not stored & set(person.rows)
        for (doc,) in con.execute("SELECT document FROM personas").fetchall():
            Persona.model_validate_json(doc)  # still valid documents
        assert not con.execute(  # a theme's new quote is someone else's snippet (or none)
            "SELECT count(*) FROM text_themes t WHERE quote_snippet_id IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM text_snippets s WHERE s.snippet_id = t.quote_snippet_id "
            "AND s.text LIKE '%' || t.quote || '%')"
        ).fetchall()[0][0]
        assert (
            con.execute(
                "SELECT count(*) FROM raw_events WHERE anonymous_id = 'visitor-who-stays'"
            ).fetchall()[0][0]
            == 1
        )
    assert file_hits(ws.path, needles) == {}
    assert lines_with_both(ws.path, person.first, person.last) == []
    # the log keeps its length and the other visitor's line; theirs became erased markers
    log_after = segment.read_bytes()
    assert len(log_after) == len(log_before)
    lines = log_after.splitlines()
    assert sum(line.startswith(ERASED_LINE) for line in lines) == 2
    assert b"visitor-who-stays" in lines[-1] and lines[-1] == log_before.splitlines()[-1]
    with sqlite3.connect(serving) as sc:
        assert sc.execute("SELECT count(*) FROM docs WHERE profile_id = ?",
                          [person.profile_id]).fetchone()[0] == 0  # fmt: skip
        docs = [str(d).lower() for (d,) in sc.execute("SELECT CAST(doc AS TEXT) FROM docs")]
    assert not [d for d in docs if _word(person.first).search(d) and _word(person.last).search(d)]

    # the reports re-rendered from the erased workspace do not mention them
    ws.report()
    assert (ws.path / "reports" / "personas.html").exists()
    assert file_hits(ws.path / "reports", needles) == {}
    assert lines_with_both(ws.path / "reports", person.first, person.last) == []

    # re-ingesting the original files does not bring them back
    again = ws.ingest()
    assert all(f.conserved for f in again.files)
    assert again.ingested == 0
    from_files = {f for f, _ in person.rows}
    assert again.erased >= len(person.rows)
    assert {Path(f.path).name for f in again.files if f.erased} >= from_files
    with ws.connect(read_only=True) as con:
        ledger = con.execute(
            "SELECT sum(rows_in), sum(ingested + rejected + duplicates + erased), sum(erased) "
            "FROM ingest_files WHERE run_id = ?",
            [again.run_id],
        ).fetchall()[0]
        assert ledger[0] == ledger[1] and ledger[2] == again.erased
        assert table_hits(con, needles) == {}
    ws.build()
    with ws.connect() as con:
        assert table_hits(con, needles) == {}
        for value in person.identifiers:
            for id_type in ("email", "user_id", "crm_id", "phone", "anonymous_id"):
                assert not find_subject(con, id_type, value, ws.config).profile_ids


# -- the database file keeps deleted values until it is compacted -------------------------------
def test_deleted_values_survive_checkpoint_until_the_file_is_compacted(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    con = duckdb.connect(str(path))
    con.execute("PRAGMA force_compression = 'uncompressed'")  # so bytes can be searched
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR, note VARCHAR)")
    con.execute(
        "INSERT INTO people SELECT i, 'person' || i || '@mailbox.test', 'wrote ' || i "
        "FROM range(20000) t(i)"
    )
    con.execute("CREATE VIEW few AS SELECT * FROM people WHERE id < 10")
    con.execute("CREATE MACRO doubled(x) AS x * 2")
    con.execute("CHECKPOINT")
    target = b"person12345@mailbox.test"
    assert target in path.read_bytes()
    con.execute("DELETE FROM people WHERE id = 12345")
    con.execute("CHECKPOINT")
    con.close()
    assert target in path.read_bytes(), "DuckDB now clears deleted values: update erase.py"
    before, after = compact_database(path)
    assert target not in path.read_bytes()
    assert before > 0 and after > 0
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM people").fetchall()[0][0] == 19999
    assert con.execute("SELECT count(*) FROM few").fetchall()[0][0] == 10
    assert con.execute("SELECT doubled(21)").fetchall()[0][0] == 42
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO people VALUES (1, 'x', 'y')")
    con.close()


# -- tombstones on a small hand-made workspace ------------------------------------------------
CONTACTS = (
    "Contact ID,Customer ID,First Name,Last Name,Email Address,Phone Number,Date of Birth\n"
    "CT1,C1001,Ann,Lee,Ann.Lee@gmail.com,(415) 555-0134,1980-01-02\n"
    "CT2,C1002,Bob,Marsh,bob.marsh@mailbox.test,(415) 555-0177,1975-05-06\n"
)
OLD_CONTACTS = (
    "Contact ID,Customer ID,First Name,Last Name,Email Address,Phone Number,Date of Birth\n"
    # the erased person, spelled differently: plus-tag and case, phone alone, bad date
    "CT9,,Annie,Lee,ANN.LEE+promo@GMail.com,,1980-01-02\n"
    "CT8,,A.,Lee,,+1 415 555 0134,\n"
    "CT7,,Ann,Lee,annlee@gmail.com,,not a date\n"
    # someone new, and someone else's bad row
    "CT3,C1003,Cleo,Park,cleo.park@mailbox.test,,1990-03-04\n"
    "CT4,C1004,Dan,Roe,dan.roe@mailbox.test,,not a date\n"
)
EVENT = {"messageId": "m0", "type": "track", "userId": "C1002", "event": "Signed Up",
         "timestamp": "2023-12-01T00:00:00Z"}  # fmt: skip


@pytest.fixture
def small(tmp_path: Path) -> Workspace:
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    (tmp_path / "events.jsonl").write_text(json.dumps(EVENT) + "\n")
    ws = Workspace.init(tmp_path / "ws")
    ws.ingest("contacts", [str(tmp_path / "contacts.csv")])
    ws.ingest("events", [str(tmp_path / "events.jsonl")])
    ws.build()
    return ws


def test_tombstones_drop_old_rows_however_spelled_and_never_quarantine_them(
    small: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PERSONAE_KEY", raising=False)
    with small.connect() as con:
        report = erase_subject(
            con, small.path, "phone", "415.555.0134", key=small.secret_key(),
            settings=small.config,
        )  # fmt: skip
        assert report.found and report.records == {"contacts": 1}
        tombs = con.execute("SELECT hash, id_type FROM tombstones").fetchall()
        assert {t for _, t in tombs} >= {"email", "phone", "user_id", "crm_id"}
        stored = " ".join(h for h, _ in tombs)
        assert "gmail" not in stored and "C1001" not in stored  # hashes, not values
    old = tmp_path / "old_contacts.csv"
    old.write_text(OLD_CONTACTS)
    got = small.ingest("contacts", [str(old)])
    f = got.files[0]
    assert (f.rows_in, f.erased, f.ingested, f.rejected) == (5, 3, 1, 1)
    assert f.conserved and got.erased == 3
    with small.connect(read_only=True) as con:
        raw = con.execute("SELECT string_agg(raw, ' ') FROM quarantine").fetchall()[0][0]
        assert "Roe" in raw and "Lee" not in raw
        assert (
            con.execute("SELECT count(*) FROM raw_contacts WHERE last_name = 'Lee'").fetchall()[0][
                0
            ]
            == 0
        )
        assert con.execute(
            "SELECT erased FROM ingest_files WHERE source_file = ?", [str(old.resolve())]
        ).fetchall() == [(3,)]
    # without the key the workspace refuses to ingest rather than let the person back
    (small.path / "secret.key").rename(tmp_path / "kept.key")
    with pytest.raises(TombstoneKeyError):
        small.ingest("contacts", [str(old)])


def test_erased_log_lines_keep_offsets_and_replay_cleanly(small: Workspace) -> None:
    send_live(
        small,
        [
            {"type": "identify", "userId": "C1001", "traits": {"email": "ann.lee@gmail.com"},
             "timestamp": "2024-01-01T00:00:00Z"},
            {"type": "track", "userId": "C1002", "event": "Viewed",
             "timestamp": "2024-01-01T00:00:01Z"},
        ],
    )  # fmt: skip
    segment = small.path / "stream" / segment_name(1)
    size = segment.stat().st_size
    with small.connect() as con:
        report = erase_subject(
            con, small.path, "user_id", "C1001", key=small.secret_key(), settings=small.config
        )
        assert report.log_lines == 1
        con.execute("DELETE FROM stream_state")  # replay the whole log from the start
    assert segment.stat().st_size == size
    first, second = segment.read_bytes().splitlines()
    assert first.startswith(ERASED_LINE) and b"C1002" in second
    send_live(small, [])  # the updater re-reads both lines
    with small.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
        assert (
            con.execute("SELECT count(*) FROM raw_events WHERE user_id = 'C1001'").fetchall()[0][0]
            == 0
        )


def test_a_log_batch_of_only_erased_lines_is_skipped(small: Workspace) -> None:
    stream = small.path / "stream"
    stream.mkdir()
    (stream / segment_name(1)).write_bytes(ERASED_LINE + b"     \n")
    send_live(small, [])


def test_persona_scrub_drops_their_quotes_and_keeps_other_evidence() -> None:
    stat = {"kind": "statistic", "source": "profiles", "n": 40}
    quote = {"kind": "quote", "source": "text_snippets (review)", "record_ids": ["RV-1"]}
    other = {"kind": "quote", "source": "text_snippets (review)", "record_ids": ["RV-2"]}
    doc = {
        "quotes": [
            {"text": "mine", "record_id": "RV-1", "evidence": [quote]},
            {"text": "theirs", "record_id": "RV-2", "evidence": [other]},
        ],
        "goals": [{"text": "Sleep", "quote": "mine", "evidence": [stat, quote]}],
        "empathy_map": {"says": [{"text": "\u201cmine\u201d", "evidence": [quote]}]},
        "guidance": {"messaging": [{"text": "Lead with sleep", "evidence": [stat, quote]}]},
        "title": {"text": "Sam, the Sleeper", "evidence": [quote]},
    }
    from personae.governance import erase

    removed = [0]
    out = erase._scrub_node(doc, {"RV-1"}, removed)
    assert [q["record_id"] for q in out["quotes"]] == ["RV-2"]
    assert out["goals"][0]["quote"] is None and out["goals"][0]["evidence"] == [stat]
    assert out["empathy_map"]["says"] == []
    assert out["guidance"]["messaging"][0]["evidence"] == [stat]
    assert out["title"]["text"] == "Sam, the Sleeper"  # a required claim keeps a note
    assert [e["source"] for e in out["title"]["evidence"]] == ["erasure"]
    assert "RV-1" not in json.dumps(out) and removed[0] == 5
    assert scrub_persona(doc, []) == (doc, 0)


def test_verify_finds_whole_tokens_only(small: Workspace) -> None:
    with small.connect(read_only=True) as con:
        found = verify_erased(con, small.path, ["C1001", "C100", ("Ann", "Lee")])
    tables = {f.name for f in found if f.where == "table" and f.needle == "string"}
    assert {"raw_contacts", "profiles", "identity_map"} <= tables
    assert any(f.needle == "name (parts on one row)" and f.name == "raw_contacts" for f in found)
    with small.connect(read_only=True) as con:  # "C100" is only ever part of a longer id
        assert [f for f in verify_erased(con, small.path, ["C100"]) if f.where == "table"] == []


def test_unknown_person_is_still_tombstoned_and_a_bad_identifier_is_refused(
    small: Workspace,
) -> None:
    with small.connect() as con:
        with pytest.raises(ValueError, match="not a valid email"):
            erase_subject(
                con, small.path, "email", "not-an-email", key=small.secret_key(),
                settings=small.config,
            )  # fmt: skip
        got = erase_subject(
            con, small.path, "email", " Zed@Mailbox.test", key=small.secret_key(),
            settings=small.config, verify=False,
        )  # fmt: skip
        assert not got.found and got.tombstones == 1
        assert "zed" not in got.target and len(got.target) == 64
        assert con.execute("SELECT count(*) FROM profiles").fetchall()[0][0] == 2


def test_pseudonymised_workspace_loses_their_vault_entries_but_not_shared_ones(
    tmp_path: Path,
) -> None:
    (tmp_path / "contacts.csv").write_text(CONTACTS + "CT3,C1003,Cat,Lee,cat.lee@mailbox.test,,\n")
    ws = Workspace.init(tmp_path / "ws")
    toml = ws.path / "personae.toml"
    toml.write_text(toml.read_text().replace("pseudonymise = false", "pseudonymise = true"))
    ws.reload()
    assert ws.config.governance.pseudonymise
    ws.ingest("contacts", [str(tmp_path / "contacts.csv")])
    ws.build()
    report = erase_workspace_subject(ws, "email", "ann.lee@gmail.com")
    assert report.found and report.rows_deleted.get("vault", 0) >= 4
    assert report.findings == [] and "annlee@gmail.com" in report.needles  # canonical
    with ws.connect(read_only=True) as con:
        values = {v for (v,) in con.execute("SELECT lower(value) FROM vault").fetchall()}
    assert "lee" in values  # Cat Lee's last name is still readable
    assert not {"ann", "annlee@gmail.com", "c1001", "+14155550134"} & values
    again = ws.ingest("contacts", [str(tmp_path / "contacts.csv")])
    assert again.erased == 1 and again.files[0].conserved
