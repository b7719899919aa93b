"""A UK phone shop (tests/fixtures/phone_shop): tickets from the phone line carry only the
caller's number, written differently from the CRM, and name the caller in their text.

Identity resolution must join those tickets to the customer (issue 20, identifiers wherever
the data has them), and erasing the customer must leave nothing of them — neither their own
records nor other records that mention their phone, e-mail or name — in any table or in the
tracking log, and re-ingesting the same files must bring nothing back (issue 19).

The searches here are written independently of the code under test: every row of every
table (and every line of every file) is read as text; phone numbers are found by stripping
all non-digits and looking for the national number's digits.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.governance.export import export_subject
from personae.governance.subject import find_subject
from tests.helpers import stored_records
from tests.test_erasure import send_live

FIXTURE = Path(__file__).parent / "fixtures" / "phone_shop"
SOURCES = {
    "crm": ("contacts", "crm_contacts.csv", {"created_at": "Create Date"}),
    "shop_orders": (
        "orders",
        "orders_export.csv",
        {
            "order_id": "Name",
            "quantity": "Lineitem quantity",
            "product_name": "Lineitem name",
            "unit_price": "Lineitem price",
            "status": "Financial Status",
        },
    ),
    "calls": ("tickets", "call_tickets.csv", {"created_at": "Created time", "channel": "Source"}),
}
EMAIL = "priya.shah@example.co.uk"
DIGITS = "7700900123"  # her national number: any way of writing it holds these digits
OWEN_DIGITS = "7700900456"
WORDS = ("priya", "shah")
TABLES = ("raw_contacts", "raw_orders", "raw_tickets", "raw_events")
LIVE = [
    {"type": "identify", "anonymousId": "web-anon-77", "timestamp": "2024-03-27T10:00:00Z",
     "traits": {"email": EMAIL, "phone": "07700 900123", "firstName": "Priya",
                "lastName": "Shah"}},
    {"type": "track", "anonymousId": "web-anon-88", "event": "Callback Requested",
     "timestamp": "2024-03-27T10:01:00Z", "properties": {"callback_number": "+44 7700 900 123"}},
    {"type": "identify", "anonymousId": "web-anon-99", "timestamp": "2024-03-27T10:02:00Z",
     "traits": {"email": "owen.hughes@example.net", "firstName": "Owen"}},
]  # fmt: skip


def shop(tmp_path: Path, mode: str = "delete") -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    toml = ws.path / "personae.toml"
    text = toml.read_text()
    for old, new in (
        ('default_region = ""', 'default_region = "GB"'),
        ('erase_mentions = "delete"', f'erase_mentions = "{mode}"'),
    ):
        assert old in text
        text = text.replace(old, new)
    toml.write_text(text)
    ws.reload()
    for name, (kind, file, cols) in SOURCES.items():
        ws.add_source(name, kind, [str(FIXTURE / file)], columns=cols)
    report = ws.ingest()
    assert all(f.conserved for f in report.files)
    ws.build()
    return ws


# -- independent searches -----------------------------------------------------------------------
def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, row as text) for every row of every base table."""
    out = []
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall():
        cols = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = 'main'",
                [table],
            ).fetchall()
        ]
        text = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '')" for c in cols)
        out += [
            (table, r[0])
            for r in con.execute(f"SELECT concat_ws(' | ', {text}) FROM \"{table}\"").fetchall()
        ]
    return out


def _hits(text: str) -> set[str]:
    """What of her a text holds: her e-mail, her number's digits, her names as words."""
    low = text.lower()
    found = {w for w in WORDS if re.search(rf"(?<![a-z]){w}(?![a-z])", low)}
    if EMAIL in low:
        found.add("email")
    if DIGITS in re.sub(r"[^0-9]", "", low):
        found.add("phone")
    return found


def traces(ws: Workspace) -> dict[str, set[str]]:
    """Where anything of her is: table name -> what, and file (under the workspace) -> what.
    Files are read line by line (the DuckDB file is read through SQL, the serving store's
    tables through sqlite)."""
    out: dict[str, set[str]] = {}
    with ws.connect(read_only=True) as con:
        for table, text in _rows(con):
            if got := _hits(text):
                out.setdefault(table, set()).update(got)
    serving = ws.path / "serving.sqlite"
    if serving.exists():
        with sqlite3.connect(serving) as sc:
            for (name,) in sc.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                for row in sc.execute(f'SELECT * FROM "{name}"'):
                    if got := _hits(" | ".join(str(v) for v in row)):
                        out.setdefault(f"serving:{name}", set()).update(got)
    for path in sorted(p for p in ws.path.rglob("*") if p.is_file()):
        if path.suffix in (".duckdb", ".wal", ".sqlite", ".key") or "-wal" in path.name:
            continue
        for line in path.read_bytes().decode("utf-8", "replace").splitlines():
            if got := _hits(line):
                out.setdefault(str(path.relative_to(ws.path)), set()).update(got)
    return out


def rows_of(ws: Workspace, pattern: str) -> set[tuple]:
    """Every row of the record tables whose text matches ``pattern`` (any case), whole."""
    out = set()
    with ws.connect(read_only=True) as con:
        for table in TABLES:
            for row in con.execute(f"SELECT * FROM {table}").fetchall():
                text = " | ".join(str(v) for v in row)
                if re.search(pattern, re.sub(r"[^0-9]", "", text)) or re.search(
                    pattern, text, re.IGNORECASE
                ):
                    out.add((table, *row))
    return out


def ticket(ws: Workspace, ticket_id: str) -> tuple | None:
    with ws.connect(read_only=True) as con:
        got = con.execute(
            "SELECT subject, body, _extra FROM raw_tickets WHERE ticket_id = ?", [ticket_id]
        ).fetchall()
    return got[0] if got else None


# -- part A: the phone-only tickets join the customer --------------------------------------------
def test_phone_only_tickets_and_orders_join_the_customers_profile(tmp_path: Path) -> None:
    ws = shop(tmp_path)
    stored, linked = stored_records(ws, ["raw_contacts", "raw_orders", "raw_tickets"])
    crm, orders, calls = "crm_contacts.csv", "orders_export.csv", "call_tickets.csv"
    priya, owen, tom = linked[(crm, 1)], linked[(crm, 2)], linked[(crm, 3)]
    assert len({priya, owen, tom}) == 3
    # tickets 5001/5002 carry only her number (07700 900123, +44 (0)7700 900 123)
    assert linked[(calls, 1)] == linked[(calls, 2)] == priya
    assert linked[(calls, 4)] == owen and linked[(calls, 3)] == owen  # phone, e-mail
    assert linked[(calls, 5)] == tom
    assert linked.get((calls, 6)) is None  # no identifier: a mention, not a record of hers
    assert (calls, 7) not in stored  # the unreadable date went to quarantine
    # orders with only a billing phone, in national format
    assert linked[(orders, 1)] == linked[(orders, 2)] == priya
    assert linked[(orders, 3)] == owen
    with ws.connect(read_only=True) as con:
        phones = dict(
            con.execute("SELECT ticket_id, phone_e164 FROM raw_tickets WHERE phone IS NOT NULL")
            .fetchall()
        )  # fmt: skip
        # normalised like the CRM's (5002's "+44 (0)…" is read by identity resolution below)
        assert phones["5001"] == "+447700900123" and phones["5004"] == "+447700900456"
        got = con.execute(
            "SELECT count(*) FROM identity_map WHERE id_type = 'phone' AND id_value = ? "
            "AND profile_id = ?",
            ["+447700900123", priya],
        ).fetchall()[0][0]
        assert got == 1
        subject = find_subject(con, "phone", "07700 900123", ws.config)
    assert subject.profile_ids == [priya]
    assert {r for _, r in subject.records["tickets"]} == {1, 2, 5, 6}  # own 1, 2; mentions 5, 6
    assert subject.mentions["tickets"] == [(str((FIXTURE / calls).resolve()), 5),
                                           (str((FIXTURE / calls).resolve()), 6)]  # fmt: skip
    assert [r for _, r in subject.mentions["quarantine"]] == [7]


# -- part B: erasure reaches what mentions her ----------------------------------------------------
def _prepare(tmp_path: Path, mode: str) -> tuple[Workspace, set[tuple], dict[str, set[str]]]:
    ws = shop(tmp_path, mode)
    send_live(ws, LIVE)
    before = traces(ws)
    # every check below could fail: each kind of trace is there before the erasure
    assert {"priya", "shah", "email", "phone"} <= before["raw_tickets"]
    assert {"priya", "shah", "email", "phone"} <= before["raw_contacts"]
    assert {"phone"} <= before["quarantine"]
    assert {"email", "phone", "priya"} <= before["raw_events"]
    stream = [k for k in before if k.startswith("stream/")]
    assert stream and {"email", "phone"} <= set().union(*(before[k] for k in stream))
    assert "priya" in before["profiles"]
    owen = rows_of(ws, OWEN_DIGITS + "|owen")
    assert len([r for r in owen if r[0] == "raw_tickets"]) == 2
    return ws, owen, before


@pytest.mark.slow
def test_erase_by_email_leaves_nothing_of_her_and_reingest_brings_nothing_back(
    tmp_path: Path,
) -> None:
    ws, owen, _ = _prepare(tmp_path, "delete")
    out = tmp_path / "export"
    with ws.connect() as con:
        exported = export_subject(con, ws.path, "email", EMAIL, out)
    doc = json.loads((out / "subject.json").read_text())
    rows = {r["ticket_id"] for r in doc["records"]["raw_tickets"]}
    assert rows == {"5001", "5002", "5005", "5006"}  # hers, and the two that mention her
    assert {r["ticket_id"] for r in doc["mentions"]["raw_tickets"]} == {"5005", "5006"}
    assert [r["source_row"] for r in doc["other"]["quarantine"]] == [7]
    assert {"mentions_raw_tickets", "mentions_raw_events"} <= set(exported.counts)
    # her identify call, and the visitor's callback request that gives her number
    assert [e["line"] for e in doc["tracking_log"]] == [1, 2]

    result = CliRunner().invoke(app, ["erase", f"email:{EMAIL.upper()}", "-w", str(ws.path),
                                      "--yes"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nothing found" in result.output
    assert traces(ws) == {}
    assert rows_of(ws, OWEN_DIGITS + "|owen") == owen  # the unrelated customer is untouched
    assert ticket(ws, "5005") is None and ticket(ws, "5006") is None  # mentions deleted
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw_contacts").fetchall()[0][0] == 2
        hashes = " ".join(h for (h,) in con.execute("SELECT hash FROM tombstones").fetchall())
    assert "priya" not in hashes and DIGITS not in hashes  # keyed hashes only

    again = ws.ingest()
    assert all(f.conserved for f in again.files)
    assert again.ingested == 0
    erased = {Path(f.path).name: f.erased for f in again.files}
    # CRM 7001; orders #1001, #1002; tickets 5001, 5002 (her number), 5005, 5006 (mentions),
    # 5007 (her number, unreadable date: dropped before it could be quarantined)
    assert erased == {"crm_contacts.csv": 1, "orders_export.csv": 2, "call_tickets.csv": 5}
    ws.build()
    assert traces(ws) == {}
    assert rows_of(ws, OWEN_DIGITS + "|owen") == owen
    with ws.connect(read_only=True) as con:
        for id_type, value in (("email", EMAIL), ("phone", "+44 7700 900123")):
            assert not find_subject(con, id_type, value, ws.config).found


@pytest.mark.slow
def test_redact_mode_keeps_other_records_with_the_mentions_replaced(tmp_path: Path) -> None:
    ws, owen, _ = _prepare(tmp_path, "redact")
    result = CliRunner().invoke(app, ["erase", f"email:{EMAIL}", "-w", str(ws.path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "kept with the mentions redacted" in " ".join(result.output.split())
    assert traces(ws) == {}
    assert rows_of(ws, OWEN_DIGITS + "|owen") == owen
    # Tom's ticket and the voicemail note stay, without her name, number or e-mail
    assert ticket(ws, "5001") is None and ticket(ws, "5002") is None  # hers: deleted
    _, body, _ = ticket(ws, "5005")
    assert (
        body
        == "My neighbour [erased] [erased] asked me to chase her repair, her mobile is [erased]."
    )
    assert ticket(ws, "5006")[1] == (
        "Voicemail from a customer: call back on [erased] or write to [erased] about the repair"
        " quote."
    )
    with ws.connect(read_only=True) as con:
        kept = con.execute(
            "SELECT json_extract_string(properties, '$.callback_number') FROM raw_events "
            "WHERE anonymous_id = 'web-anon-88'"
        ).fetchall()
        assert kept == [("[erased]",)]
        modes = {m for (m,) in con.execute("SELECT DISTINCT mentions FROM tombstones").fetchall()}
        assert modes == {"redact"}
    line = next(
        x for p in (ws.path / "stream").glob("events-*.jsonl")
        for x in p.read_bytes().splitlines() if b"web-anon-88" in x
    )  # fmt: skip
    assert json.loads(line)["properties"]["callback_number"].strip() == "[erased]"

    again = ws.ingest()
    assert all(f.conserved for f in again.files) and again.ingested == 0
    erased = {Path(f.path).name: f.erased for f in again.files}
    # her own records go; 5005 and 5006 arrive redacted and are the rows already kept
    assert erased == {"crm_contacts.csv": 1, "orders_export.csv": 2, "call_tickets.csv": 3}
    assert traces(ws) == {}
    assert ticket(ws, "5005")[1].endswith("her mobile is [erased].")


@pytest.mark.slow
def test_redact_mode_at_reingest_into_a_fresh_table(tmp_path: Path) -> None:
    """A mention arriving in a file the workspace never saw is redacted on the way in,
    her name with it — using only the tombstones' keyed hashes."""
    ws, _, _ = _prepare(tmp_path, "redact")
    result = CliRunner().invoke(app, ["erase", "phone:07700 900123", "-w", str(ws.path), "--yes"])
    assert result.exit_code == 0, result.output
    later = tmp_path / "later_tickets.csv"
    later.write_text(
        "Ticket ID,Subject,Description,Created time,Email\n"
        "6001,Repair,Tom says Priya Shah (+44 7700 900123) is happy now,2024-04-02 10:00:00,"
        "tom.barker@example.net\n"
        "6002,Quote,Owen Hughes wants a quote,2024-04-02 11:00:00,owen.hughes@example.net\n"
    )
    got = ws.ingest("tickets", [str(later)], mapping={"created_at": "Created time"})
    assert got.ingested == 2 and got.erased == 0
    assert ticket(ws, "6001")[1] == "Tom says [erased] [erased] ([erased]) is happy now"
    assert ticket(ws, "6002")[1] == "Owen Hughes wants a quote"
    assert traces(ws) == {}


def test_erase_by_phone_in_any_format_finds_the_same_person(tmp_path: Path) -> None:
    ws = shop(tmp_path)
    with ws.connect(read_only=True) as con:
        by_email = find_subject(con, "email", EMAIL, ws.config)
        for written in ("07700 900123", "+44 (0)7700-900-123", "00447700900123"):
            by_phone = find_subject(con, "phone", written, ws.config)
            assert by_phone.profile_ids == by_email.profile_ids, written
            assert by_phone.records == by_email.records, written
            assert by_phone.mentions == by_email.mentions, written
