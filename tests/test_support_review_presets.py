"""Freshdesk tickets, Intercom conversations and App Store Connect reviews, from the vendor
fixtures (tests/fixtures/exports/{freshdesk,intercom,app_store}) through ``personae init
--from`` and ingest: the values that land are checked against the fixture itself (read here
with the standard library, not by personae), and rows planted bad land in quarantine with
every row accounted for. The ingest mechanisms they rely on (``[nested] first``, a JSON
document's ``data`` array, JSON:API attributes) are tested on their own as well.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.ingest.discover.presets import (
    Preset,
    get_preset,
    match_preset,
    preset_columns,
    timezone_of,
)
from personae.ingest.nested import compute_stage
from personae.ingest.readers import read_json

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()


def _only_planted_rows_rejected(ws: Workspace, good: int, planted: list[tuple]) -> None:
    """Ingest: the ``good`` fixture rows kept, exactly the planted rows (appended after them,
    as ``(row, column)`` or ``(row, reason, column)``) in quarantine, every row counted."""
    (f,) = ws.ingest().files
    assert f.conserved and f.rows_in == good + len(planted)
    assert f.ingested == good and f.rejected == len(planted)
    q = ws.quarantine().to_pylist()
    keys = ("source_row", "reason", "column_name") if len(planted[0]) == 3 else (
        "source_row", "column_name")  # fmt: skip
    assert sorted(tuple(r[k] for k in keys) for r in q) == sorted(planted)


def _workspace(tmp_path: Path, files: dict[str, str | bytes | Path]) -> Workspace:
    """A workspace made by ``personae init --from`` over the given files (name -> a fixture
    to copy, or the file's text)."""
    data = tmp_path / "exports"
    data.mkdir()
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, data / name)
        elif isinstance(content, bytes):
            (data / name).write_bytes(content)
        else:
            (data / name).write_text(content, encoding="utf-8")
    res = runner.invoke(app, ["init", str(tmp_path / "ws"), "--from", str(data)])
    assert res.exit_code == 0, res.output
    return Workspace(tmp_path / "ws")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- [nested] first -------------------------------------------------------------------------
def test_nested_first_takes_each_rows_first_column_with_a_value():
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE s AS SELECT * FROM (VALUES "
        "('1', '07700 900001', NULL), ('2', NULL, '01632 960002'), "
        "('3', '  ', '01632 960003'), ('4', NULL, NULL), ('5', '07700 900005', '01632 960005')"
        ") t(__s0, __s1, __s2)"
    )
    preset = Preset(
        name="t", vendor="T", title="T", kind="tickets", required=("id",), optional=(),
        columns={}, nested={"phone": {"first": ["Mobile", "Work", "Not in the file"]}},
    )  # fmt: skip
    explicit: dict[str, str] = {}
    stage, columns, _ = compute_stage(
        con, preset, "s", ["id", "Mobile", "Work"], ["VARCHAR"] * 3, explicit
    )
    col = f"__s{columns.index(explicit['phone'])}"
    got = dict(con.execute(f"SELECT __s0, {col} FROM {stage} ORDER BY 1").fetchall())
    assert got == {
        "1": "07700 900001",
        "2": "01632 960002",
        "3": "01632 960003",  # a blank cell is no value
        "4": None,
        "5": "07700 900005",  # the first listed column wins where both have one
    }


# -- Freshdesk ------------------------------------------------------------------------------
def test_freshdesk_phone_line_tickets_carry_the_callers_number(tmp_path: Path):
    src = EXPORTS / "freshdesk" / "tickets_phone_view.csv"
    ws = _workspace(tmp_path, {src.name: src})
    report = ws.ingest()
    rows = _csv_rows(src)
    assert report.ingested == len(rows) and report.rejected == 0
    got = {
        r["ticket_id"]: (r["phone"], r["email"], r["channel"], r["body"])
        for r in ws.sql(
            "SELECT ticket_id, phone, email, channel, body FROM raw_tickets"
        ).to_pylist()
    }
    want = {
        r["Ticket ID"]: (
            r["Mobile phone"] or r["Work phone"] or None,
            r["Email"] or None,
            r["Source"].lower(),
            r["Description"],
        )
        for r in rows
    }
    assert got == want
    # the ticket whose contact has only a work number is attributed by it
    assert any(not r["Mobile phone"] and r["Work phone"] for r in rows)
    # the review says phone is computed, not that the layout leaves the phone columns unused
    text = (ws.path / "personae.toml").read_text("utf-8")
    block = text.split("[sources.tickets_phone_view.columns]")[1].split("\n[")[0]
    (line,) = [x for x in block.splitlines() if x.startswith("phone =")]
    assert line.startswith('phone = ""') and "computed at ingest" in line


def test_freshdesk_planted_bad_rows_land_in_quarantine(tmp_path: Path):
    src = EXPORTS / "freshdesk" / "tickets.csv"
    text = src.read_text("utf-8")
    header = next(csv.reader([text.splitlines()[0]]))
    n = len(_csv_rows(src))

    def row(**cells: str) -> str:
        out = [cells.get(h, "") for h in header]
        return ",".join(f'"{c}"' if "," in c else c for c in out)

    bad = [
        # no ticket id
        row(**{"Subject": "Lost parcel", "Status": "Open", "Priority": "Low",
               "Source": "Email", "Created time": "2025-03-15 10:00:00"}),
        # a created time that is no time
        row(**{"Ticket ID": "3199", "Subject": "Spokes", "Status": "Open",
               "Priority": "Low", "Source": "Phone", "Created time": "last Tuesday"}),
    ]  # fmt: skip
    ws = _workspace(tmp_path, {"tickets.csv": text.rstrip("\n") + "\n" + "\n".join(bad) + "\n"})
    _only_planted_rows_rejected(ws, n, [(n + 1, "Ticket ID"), (n + 2, "Created time")])


# -- headers with a variable part: "(*)" -------------------------------------------------
def test_a_preset_header_ending_in_any_suffix_matches_the_header_with_or_without_one():
    preset = get_preset("intercom_conversations")
    for zone in ("Europe/London", "UTC", "America/New_York"):
        columns = ["Conversation ID", f"Conversation started at ({zone})", "User email"]
        matched = match_preset(columns)
        assert matched is not None and matched[0].name == "intercom_conversations"
        got = preset_columns(preset, columns)
        assert got["created_at"] == f"Conversation started at ({zone})"
    # no suffix at all is the same layout; another header with the same start is not
    assert preset_columns(preset, ["Conversation started at"])["created_at"] == (
        "Conversation started at"
    )
    assert "created_at" not in preset_columns(preset, ["Conversation started at by bot"])
    assert match_preset(["Conversation ID", "Conversation started"]) is None


def test_the_time_zone_a_header_names_becomes_the_sources_timezone(tmp_path: Path):
    preset = get_preset("intercom_conversations")
    assert timezone_of(preset, ["Conversation ID", "Conversation started at (UTC)"]) == "UTC"
    # no zone, or a suffix that is no zone: nothing is decided from the header
    assert timezone_of(preset, ["Conversation ID", "Conversation started at"]) is None
    assert timezone_of(preset, ["Conversation started at (local time)"]) is None
    header = "Conversation ID,Conversation started at (America/New_York),User email\n"
    rows = "".join(
        f"21547000000000{i},2025-07-0{i} 09:30:00,ana{i}@example.com\n" for i in range(1, 4)
    )
    ws = _workspace(tmp_path, {"conversations.csv": header + rows})
    assert ws.config.sources["conversations"].timezone == "America/New_York"
    ws.ingest()
    got = sorted(r["created_at"] for r in ws.sql("SELECT created_at FROM raw_tickets").to_pylist())
    # 09:30 in New York in July (EDT, UTC-4) is 13:30 UTC
    assert got == [datetime(2025, 7, i, 13, 30) for i in range(1, 4)]


# -- Intercom -------------------------------------------------------------------------------
def test_intercom_conversations_land_with_the_times_and_ratings_of_the_export(tmp_path: Path):
    src = EXPORTS / "intercom" / "conversations.csv"
    ws = _workspace(tmp_path, {src.name: src})
    report = ws.ingest()
    rows = _csv_rows(src)
    assert report.ingested == len(rows) and report.rejected == 0
    # the headers name the zone; discovery writes it as the source's timezone
    assert ws.config.sources["conversations"].timezone == "Europe/London"
    zone = "(Europe/London)"
    london = ZoneInfo("Europe/London")

    def utc(text: str) -> datetime | None:  # a wall-clock time in London, as UTC
        if not text:
            return None
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=london)
        return local.astimezone(UTC).replace(tzinfo=None)

    got = {
        r["ticket_id"]: (
            r["created_at"],
            r["resolved_at"],
            r["satisfaction"],
            r["status"],
            r["email"],
            r["customer_id"],
            r["account_id"],
        )
        for r in ws.sql(
            "SELECT ticket_id, created_at, resolved_at, satisfaction, status, email, "
            "customer_id, account_id FROM raw_tickets"
        ).to_pylist()
    }
    want = {
        r["Conversation ID"]: (
            utc(r[f"Conversation started at {zone}"]),
            utc(r[f"Conversation last closed at {zone}"]),
            int(r["Last teammate rating"]) if r["Last teammate rating"] else None,
            r["Current conversation state"].lower(),
            r["User email"] or None,
            r["User ID"] or None,
            r["Company ID"] or None,
        )
        for r in rows
    }
    assert got == want


def test_intercom_planted_bad_rows_land_in_quarantine(tmp_path: Path):
    src = EXPORTS / "intercom" / "conversations_utc_few_attributes.csv"
    text = src.read_text("utf-8").rstrip("\n")
    n = len(_csv_rows(src))
    bad = [
        # a rating of 7 on a 1-5 scale
        "215470233900199,2025-09-05 10:00:00,Chat,Closed,7,,"
        "mia.khan@example.com,Mia Khan,cust-88160",
        # no start time
        "215470233900198,,Email,Open,,,leo.martin@example.com,Leo Martin,cust-88161",
    ]
    ws = _workspace(tmp_path, {src.name: text + "\n" + "\n".join(bad) + "\n"})
    _only_planted_rows_rejected(
        ws, n, [(n + 1, "Last teammate rating"), (n + 2, "Conversation started at (UTC)")]
    )


# -- JSON documents: a data array, JSON:API resources ------------------------------------
def _read_json_records(path: Path) -> tuple[list[str], list[dict]]:
    (batch,) = list(read_json(path))
    rows = batch.table.to_pylist()
    return batch.columns, [
        {c: r[f"__s{i}"] for i, c in enumerate(batch.columns)} | {"_row": r["_source_row"]}
        for r in rows
    ]


def test_a_json_documents_data_array_is_its_records(tmp_path: Path):
    path = tmp_path / "page.json"
    doc = {
        "object": "list",
        "data": [{"id": "a1", "amount": 5}, {"id": "a2", "amount": 7, "note": "x"}],
        "has_more": False,
        "links": {"next": "https://api.example.com/items?cursor=2"},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    columns, rows = _read_json_records(path)
    assert columns == ["id", "amount", "note"]  # the page's own members are no columns
    assert [(r["_row"], r["id"], r["amount"], r["note"]) for r in rows] == [
        (1, "a1", "5", None),
        (2, "a2", "7", "x"),
    ]


def test_json_api_resources_are_read_with_their_attributes_as_columns(tmp_path: Path):
    path = tmp_path / "doc.json"
    doc = {
        "data": [
            {"type": "widgets", "id": "1", "attributes": {"size": 3, "label": "big"},
             "relationships": {"owner": {"data": {"type": "people", "id": "9"}}},
             "links": {"self": "https://api.example.com/widgets/1"}},
            {"type": "widgets", "id": "2", "attributes": {"size": 1}},
            # not a resource (no attributes object): read as it is
            {"id": "3", "attributes": "plain text"},
        ],
        "included": [{"type": "people", "id": "9", "attributes": {"name": "Not a widget"}}],
        "meta": {"paging": {"total": 3}},
    }  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    columns, rows = _read_json_records(path)
    assert columns == ["type", "id", "size", "label", "relationships", "links", "attributes"]
    assert [(r["id"], r["size"], r["label"], r["attributes"]) for r in rows] == [
        ("1", "3", "big", None),
        ("2", "1", None, None),
        ("3", None, None, "plain text"),
    ]
    assert json.loads(rows[0]["relationships"]) == doc["data"][0]["relationships"]
    # one resource alone (GET /widgets/1) is a document of one record
    path.write_text(json.dumps({"data": doc["data"][0]}), encoding="utf-8")
    _, (only,) = _read_json_records(path)
    assert (only["id"], only["size"]) == ("1", "3")


# -- App Store Connect ----------------------------------------------------------------------
def test_app_store_reviews_land_with_the_attributes_of_each_resource(tmp_path: Path):
    names = ("customer_reviews.json", "customer_reviews_with_responses.json")
    files = [EXPORTS / "app_store" / n for n in names]
    ws = _workspace(tmp_path, {f.name: f for f in files})
    report = ws.ingest()
    want = {}
    for f in files:
        for r in json.loads(f.read_text("utf-8"))["data"]:
            a = r["attributes"]
            when = datetime.fromisoformat(a["createdDate"]).astimezone(UTC).replace(tzinfo=None)
            want[r["id"]] = (when, a["rating"], a["title"], a["body"], "app_store")
    assert report.ingested == len(want) and report.rejected == 0
    got = {
        r["review_id"]: (r["created_at"], r["rating"], r["title"], r["body"], r["platform"])
        for r in ws.sql(
            "SELECT review_id, created_at, rating, title, body, platform FROM raw_reviews"
        ).to_pylist()
    }
    assert got == want  # the included developer responses are not reviews


def test_app_store_planted_bad_rows_land_in_quarantine(tmp_path: Path):
    src = EXPORTS / "app_store" / "customer_reviews.json"
    doc = json.loads(src.read_text("utf-8"))
    n = len(doc["data"])
    good = doc["data"][0]
    zero = json.loads(json.dumps(good))
    zero["id"], zero["attributes"]["rating"] = "00000083-5c1a-0021-4b7e-a1f2000000ff", 0
    no_id = json.loads(json.dumps(good))
    del no_id["id"]  # no longer a resource either: read as it is, and lacks a review id
    doc["data"] += [zero, no_id, "not an object"]
    ws = _workspace(tmp_path, {src.name: json.dumps(doc)})
    _only_planted_rows_rejected(
        ws,
        n,
        [
            (n + 1, "out_of_range", "rating"),
            (n + 2, "missing_required", "id"),
            (n + 3, "bad_json", None),
        ],
    )


def test_a_signature_value_tells_generic_api_shapes_apart():
    """Every JSON:API resource has type, id, attributes and relationships; only a file whose
    type is "event" is the Klaviyo events layout ([signature] values)."""
    from personae.ingest.discover.presets import match_preset

    cols = ["type", "id", "attributes", "relationships", "links"]
    events = match_preset(cols, {"type": {"event": 40}})
    assert events is not None and events[0].name == "klaviyo_events"
    other = match_preset(cols, {"type": {"profile": 40}})
    assert other is None or other[0].name != "klaviyo_events"
