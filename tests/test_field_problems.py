"""Field-level problems keep the record (issue 21, item 4).

One unreadable optional value (a birth date typed as " 19450493", a consent of "perhaps", a
satisfaction of 11 on a 1-5 scale) used to reject the whole record, so a contact could never
be matched to their orders. Now the record is kept with that field empty, the problem is a
``quarantine`` row of level ``field`` (file, row, column, value, reason), and identity
still links the record. A bad required value, or a bad value in a ``strict`` field (an
order line's quantity or price: read as empty it would change the revenue), still rejects
the row. The fixture is a small CRM export and an order export of another business (a
bike shop), with the bad values planted by hand and listed here.
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app

CONTACTS = [
    ["Client No", "Given Name", "Surname", "E-mail", "Birthday", "Member Since", "Opt-in"],
    ["K-1001", "Margaret", "Ellis", "m.ellis@spokes.test", " 19450493", "2019-03-04", "yes"],
    ["K-1002", "Owen", "Price", "owen.price@spokes.test", "1988-07-14", "someday", "no"],
    ["K-1003", "Priya", "Shah", "priya.s@spokes.test", "1979-11-02", "2021-06-30", "perhaps"],
    ["K-1004", "Tom", "Baker", "tom.b@spokes.test", "1990-01-01", "2020-02-02", "yes"],
    ["", "Ann", "Nobody", "", "1970-01-01", "2020-02-02", "yes"],  # no identifier: rejected
]
# (row, column, reason) of every planted bad optional value
PLANTED_FIELDS = {
    (1, "Birthday", "bad_timestamp"),
    (2, "Member Since", "bad_timestamp"),
    (3, "Opt-in", "bad_boolean"),
}
CONTACT_COLUMNS = {
    "contact_id": "Client No",
    "first_name": "Given Name",
    "last_name": "Surname",
    "email": "E-mail",
    "birth_date": "Birthday",
    "created_at": "Member Since",
    "consent_analytics": "Opt-in",
}
ORDERS = [
    ["Order Ref", "Placed", "Buyer Email", "Item", "Qty", "Price"],
    ["B-501", "2024-05-01 10:00", "m.ellis@spokes.test", "Bell", "1", "12.50"],
    ["B-502", "2024-05-03 11:00", "owen.price@spokes.test", "Helmet", "1", "49.00"],
    ["B-503", "2024-05-04 12:00", "priya.s@spokes.test", "Lights", "two", "19.99"],  # strict
    ["B-504", "2024-05-05 09:30", "priya.s@spokes.test", "Pump", "1", "15.00"],
]
ORDER_COLUMNS = {
    "order_id": "Order Ref",
    "order_date": "Placed",
    "email": "Buyer Email",
    "product_name": "Item",
    "quantity": "Qty",
    "unit_price": "Price",
}
TICKETS = [
    ["Ticket", "Opened", "Requester", "Subject", "CSAT"],
    ["T-1", "2024-05-06 08:00", "m.ellis@spokes.test", "Bell rattles", "11"],
    ["T-2", "2024-05-07 08:00", "owen.price@spokes.test", "Helmet size", "4"],
]
TICKET_COLUMNS = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "email": "Requester",
    "subject": "Subject",
    "satisfaction": "CSAT",
}


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    for name, kind, rows, columns in (
        ("crm", "contacts", CONTACTS, CONTACT_COLUMNS),
        ("shop", "orders", ORDERS, ORDER_COLUMNS),
        ("desk", "tickets", TICKETS, TICKET_COLUMNS),
    ):
        path = _write(tmp_path / f"{name}.csv", rows)
        ws.add_source(name, kind, [str(path)], columns=columns)
    return ws


def _quarantine(ws: Workspace) -> list[dict]:
    return ws.sql(
        "SELECT parse_filename(source_file) AS file, source_row, column_name, reason, detail, "
        "level FROM quarantine ORDER BY 1, 2"
    ).to_pylist()


def test_a_bad_optional_value_empties_the_field_and_keeps_the_record(tmp_path: Path):
    ws = _workspace(tmp_path)
    report = ws.ingest()
    contacts = next(f for f in report.files if f.kind == "contacts")
    assert contacts.conserved
    assert (contacts.rows_in, contacts.ingested, contacts.rejected) == (5, 4, 1)
    assert sum(contacts.emptied.values()) == len(PLANTED_FIELDS)

    q = _quarantine(ws)
    fields = {
        (r["source_row"], r["column_name"], r["reason"])
        for r in q
        if r["file"] == "crm.csv" and r["level"] == "field"
    }
    assert fields == PLANTED_FIELDS
    birthday = next(r for r in q if r["column_name"] == "Birthday")
    assert "19450493" in birthday["detail"]  # the value that could not be read
    rejected = [(r["file"], r["source_row"]) for r in q if r["level"] == "row"]
    assert ("crm.csv", 5) in rejected  # no identifier at all: still a rejected row

    got = {
        r["_source_row"]: r
        for r in ws.sql(
            "SELECT _source_row, first_name, email, birth_date, created_at, consent_analytics "
            "FROM raw_contacts"
        ).to_pylist()
    }
    assert got[1]["birth_date"] is None and got[1]["consent_analytics"] is True
    assert got[1]["first_name"] == "Margaret" and str(got[1]["created_at"])[:10] == "2019-03-04"
    assert got[2]["created_at"] is None and str(got[2]["birth_date"]) == "1988-07-14"
    assert got[3]["consent_analytics"] is None and str(got[3]["birth_date"]) == "1979-11-02"
    assert got[4]["birth_date"] is not None and got[4]["consent_analytics"] is True


def test_a_strict_field_still_rejects_the_row_and_a_bad_score_is_emptied(tmp_path: Path):
    """An order line whose quantity cannot be read would count as one item if emptied:
    the row is rejected. A ticket's satisfaction of 11 on a 1-5 scale is emptied."""
    ws = _workspace(tmp_path)
    ws.ingest()
    q = _quarantine(ws)
    orders = [
        (r["source_row"], r["column_name"], r["reason"], r["level"])
        for r in q
        if r["file"] == "shop.csv"
    ]
    assert orders == [(3, "Qty", "bad_number", "row")]
    tickets = [
        (r["source_row"], r["column_name"], r["level"]) for r in q if r["file"] == "desk.csv"
    ]
    assert tickets == [(1, "CSAT", "field")]
    by_id = {
        r["ticket_id"]: r["satisfaction"]
        for r in ws.sql("SELECT ticket_id, satisfaction FROM raw_tickets").to_pylist()
    }
    assert by_id == {"T-1": None, "T-2": 4}


def test_identity_links_records_whose_optional_fields_were_emptied(tmp_path: Path):
    ws = _workspace(tmp_path)
    ws.ingest()
    ws.build()
    owner = {
        (r["file"], r["source_row"]): r["profile_id"]
        for r in ws.sql(
            "SELECT parse_filename(source_file) AS file, source_row, profile_id "
            "FROM record_profiles"
        ).to_pylist()
    }
    # each contact with a planted bad value is one profile with their order and ticket
    assert owner[("crm.csv", 1)] == owner[("shop.csv", 1)] == owner[("desk.csv", 1)]
    assert owner[("crm.csv", 2)] == owner[("shop.csv", 2)] == owner[("desk.csv", 2)]
    assert owner[("crm.csv", 3)] == owner[("shop.csv", 4)]
    assert len({owner[("crm.csv", r)] for r in (1, 2, 3, 4)}) == 4


def test_the_ingest_report_and_commands_show_both_counts(tmp_path: Path):
    ws = _workspace(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", "-w", str(ws.path)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Kept with a field left empty: 4 values" in res.output
    report = (ws.path / "reports" / "ingest.md").read_text("utf-8")
    rejected, emptied = report.split("## Values emptied in kept records")
    assert "bad_number" in rejected.split("## Rejected rows")[1]
    assert "bad_boolean" in emptied and "bad_timestamp" in emptied
    assert "bad_boolean" not in rejected.split("## Rejected rows")[1]

    res = runner.invoke(app, ["quarantine", "-w", str(ws.path), "--level", "field"])
    assert res.exit_code == 0, res.output
    assert "record kept, field emptied" in res.output and "Birthday" in res.output
    assert "Qty" not in res.output
    res = runner.invoke(app, ["quarantine", "-w", str(ws.path), "--level", "nope"])
    assert res.exit_code == 2 and "use row" in res.output

    # the same files again: nothing new, no problem recorded twice
    before = len(_quarantine(ws))
    res = runner.invoke(app, ["ingest", "-w", str(ws.path)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert len(_quarantine(ws)) == before
