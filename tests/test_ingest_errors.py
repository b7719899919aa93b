"""Input that stops an ingest must say which file, what is wrong and how to fix it, and leave
the workspace untouched; input with a few bad rows must lose nothing."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from personae import Workspace
from personae.config import ConfigError
from personae.ingest import IngestError, MappingError


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def _raw_count(ws: Workspace, table: str) -> int:
    return ws.sql(f"SELECT count(*) AS n FROM {table}")["n"][0].as_py()


def test_missing_column_names_file_column_found_columns_and_setting(ws, tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text("Order Ref,Placed,Qty,Unit Price\nA1,2024-01-01,1,2\n")
    with pytest.raises(MappingError) as err:
        ws.ingest("orders", [f])
    msg = str(err.value)
    assert str(f) in msg
    assert "'order_date'" in msg  # the missing field
    assert "'Order Ref'" in msg and "'Qty'" in msg  # the columns it found
    assert "[sources.<name>.columns] order_date" in msg and "--map order_date=" in msg
    assert _raw_count(ws, "raw_orders") == 0
    # The fix the message proposes works.
    report = ws.ingest("orders", [f], mapping={"order_id": "Order Ref", "order_date": "Placed"})
    assert report.ingested == 1


def test_a_file_without_record_ids_keys_each_row_and_keeps_identical_rows(ws, tmp_path):
    """A purchase list with no order number: each row is an order of its own, so two
    identical purchases (same customer, day and amount) stay two; a re-ingest adds none."""
    f = tmp_path / "purchases.csv"
    f.write_text(
        "Customer,Date,Amount\nann@example.net,2024-01-01,9.50\n"
        "ann@example.net,2024-01-01,9.50\nbob@example.net,2024-01-02,3.00\n"
    )
    mapping = {"email": "Customer", "order_date": "Date", "order_total": "Amount"}
    report = ws.ingest("orders", [f], mapping=mapping)
    assert report.ingested == 3 and report.rejected == 0
    ids = [r["order_id"] for r in ws.sql("SELECT order_id FROM raw_orders ORDER BY 1").to_pylist()]
    assert ids == ["purchases.csv#1", "purchases.csv#2", "purchases.csv#3"]
    again = ws.ingest("orders", [f], mapping=mapping)
    assert again.ingested == 0 and again.duplicates == 3


def test_mapping_to_a_column_that_does_not_exist(ws, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,mail\n1,a@b.c\n")
    with pytest.raises(MappingError, match=r"email = 'Email'.*columns found: 'id', 'mail'"):
        ws.ingest("contacts", [f], mapping={"contact_id": "id", "email": "Email"})


def test_empty_file(ws, tmp_path):
    for name in ("empty.csv", "empty.jsonl", "empty.json"):
        f = tmp_path / name
        f.write_bytes(b"")
        with pytest.raises(IngestError, match="empty") as err:
            ws.ingest("reviews", [f])
        assert str(f) in str(err.value) and "Fix:" in str(err.value)


def test_header_only_csv_ingests_nothing_without_error(ws, tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("Review ID,Rating\n")
    report = ws.ingest("reviews", [f])
    assert (report.rows_in, report.ingested, report.rejected) == (0, 0, 0)


def test_unreadable_files(ws, tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        ws.ingest("orders", [tmp_path / "nope.csv"])
    bad_parquet = tmp_path / "broken.parquet"
    bad_parquet.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(IngestError, match=r"broken\.parquet: cannot be read as Parquet"):
        ws.ingest("orders", [bad_parquet])
    bad_json = tmp_path / "batch.json"
    bad_json.write_text('{"batch": [{"type": "track"')
    with pytest.raises(IngestError, match=r"batch\.json: not valid JSON.*line 1"):
        ws.ingest("events", [bad_json])
    broken_xlsx = tmp_path / "data.xlsx"
    broken_xlsx.write_bytes(b"PK")
    with pytest.raises(IngestError, match=r"data\.xlsx: cannot be read as a spreadsheet"):
        ws.ingest("orders", [broken_xlsx])
    unknown = tmp_path / "data.numbers"
    unknown.write_bytes(b"PK")
    with pytest.raises(IngestError, match="cannot tell the format"):
        ws.ingest("orders", [unknown])
    assert _raw_count(ws, "raw_orders") == 0 and _raw_count(ws, "ingest_files") == 0


def test_cli_reports_errors_with_exit_code_2_and_no_traceback(ws, tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text("Ref,Qty\n1,2\n")
    cli = [sys.executable, "-m", "personae.cli"]
    out = subprocess.run(
        [*cli, "ingest", "orders", str(f), "-w", str(ws.path)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "order_date" in out.stderr and "orders.csv" in out.stderr
    assert "[sources.<name>.columns]" in out.stderr.replace("\n", " ")
    out = subprocess.run(
        [*cli, "ingest", "nonsense", str(f), "-w", str(ws.path)], capture_output=True, text=True
    )
    assert out.returncode == 2 and "unknown source kind 'nonsense'" in out.stderr
    out = subprocess.run(
        [*cli, "status", "-w", str(tmp_path / "not-a-workspace")], capture_output=True, text=True
    )
    assert out.returncode == 2 and "personae init" in out.stderr


def test_strict_makes_rejections_fail(ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("Review ID,Rating,Body\nR1,5,great\nR2,9,too good\n")
    cli = [sys.executable, "-m", "personae.cli", "ingest", "reviews", str(f), "-w", str(ws.path)]
    assert subprocess.run(cli, capture_output=True).returncode == 0
    assert subprocess.run([*cli, "--strict"], capture_output=True).returncode == 1


def test_bad_rows_are_quarantined_with_file_row_column_and_reason(ws, tmp_path):
    f = tmp_path / "orders.csv"
    rows = [
        "Order ID,Order Date,Qty,Unit Price,Email",
        # 1 ok; its UTF-8 "ë" shows the file is UTF-8, so row 8's stray byte is damage
        # (a file whose only non-ASCII bytes are not UTF-8 would be read as cp1252)
        "A1,2024-01-05 10:00:00,1,$12.50,zoë@example.com",
        "A2,31/31/2023,1,3,b@example.com",  # 2 bad date
        "A3,2024-01-05,-2,3,c@example.com",  # 3 negative
        ",2024-01-05,1,3,d@example.com",  # 4 missing key
        "A5,2024-01-05,two,3,e@example.com",  # 5 wrong type
        "A6,2024-01-05,1,3,e@example.com,extra",  # 6 column count
        '"A7","2024-01-05","1","3","multi\nline@example.com"',  # 7 ok, spans two lines
    ]
    data = "\n".join(rows).encode() + b"\nA8,2024-01-05,1,3,caf\xe9@example.com\n"  # 8 latin-1
    f.write_bytes(data)
    report = ws.ingest("orders", [f])
    assert report.rows_in == 8 and report.ingested == 2 and report.rejected == 6
    got = ws.sql(
        "SELECT source_row, reason, column_name, source_file FROM quarantine ORDER BY source_row"
    ).to_pylist()
    assert [(r["source_row"], r["reason"], r["column_name"]) for r in got] == [
        (2, "bad_timestamp", "Order Date"),
        (3, "negative_value", "Qty"),
        (4, "missing_required", "Order ID"),
        (5, "bad_number", "Qty"),
        (6, "column_count", None),
        (8, "bad_encoding", None),
    ]
    assert {r["source_file"] for r in got} == {str(f.resolve())}
    raw = ws.sql("SELECT raw FROM quarantine WHERE source_row = 8")["raw"][0].as_py()
    assert "\\xe9" in raw  # the undecodable byte is shown, not lost
    ok = ws.sql("SELECT _source_row, order_id FROM raw_orders ORDER BY 1").to_pylist()
    assert ok == [{"_source_row": 1, "order_id": "A1"}, {"_source_row": 7, "order_id": "A7"}]


def test_jsonl_broken_lines_and_segment_batch(ws, tmp_path):
    lines = [
        {
            "messageId": "m1",
            "type": "identify",
            "userId": "u1",
            "timestamp": "2024-01-01T10:00:00Z",
            "traits": {"email": "A@b.com"},
        },
        "{broken",
        {
            "messageId": "m2",
            "type": "track",
            "anonymousId": "a1",
            "event": "Product Viewed",
            "timestamp": "2024-01-01T10:01:00Z",
            "context": {
                "page": {"url": "https://shop.example/p/1"},
                "campaign": {"source": "google", "medium": "cpc"},
                "consent": {"categoryPreferences": {"Analytics": True, "Advertising": False}},
            },
        },
        {"messageId": "m3", "type": "track", "timestamp": "2024-01-01T10:01:00Z", "event": "X"},
        {"messageId": "m4", "type": "launch", "userId": "u1", "timestamp": "2024-01-01T10:01:00Z"},
        [1, 2],
        {
            "messageId": "m1",
            "type": "identify",
            "userId": "u1",
            "timestamp": "2024-01-01T10:00:00Z",
        },
    ]
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    report = ws.ingest("events", [f])
    assert (report.rows_in, report.ingested, report.rejected, report.duplicates) == (7, 2, 4, 1)
    reasons = dict(
        ws.sql("SELECT source_row, reason FROM quarantine").to_pylist()
        and [
            (r["source_row"], r["reason"])
            for r in ws.sql("SELECT source_row, reason FROM quarantine").to_pylist()
        ]
    )
    assert reasons == {2: "bad_json", 4: "missing_identifier", 5: "bad_value", 6: "bad_json"}
    ev = ws.sql("SELECT * FROM raw_events WHERE message_id = 'm2'").to_pylist()[0]
    assert ev["page_url"] == "https://shop.example/p/1" and ev["utm_source"] == "google"
    assert ev["consent_analytics"] is True and ev["consent_advertising"] is False
    assert (
        ws.sql("SELECT email FROM raw_events WHERE message_id = 'm1'")["email"][0].as_py()
        == "A@b.com"
    )

    batch = tmp_path / "batch.json.gz"
    with gzip.open(batch, "wt") as fh:
        json.dump(
            {
                "batch": [
                    {
                        "messageId": "b1",
                        "type": "page",
                        "anonymousId": "a9",
                        "name": "Home",
                        "timestamp": "2024-02-01T09:00:00+01:00",
                    },
                    {
                        "messageId": "b2",
                        "type": "alias",
                        "previousId": "a9",
                        "userId": "u9",
                        "timestamp": "2024-02-01T09:05:00Z",
                    },
                ],
                "sentAt": "2024-02-01T09:06:00Z",
            },
            fh,
        )
    report = ws.ingest("events", [batch])
    assert report.ingested == 2
    rows = ws.sql(
        "SELECT message_id, timestamp, sent_at, _source_row FROM raw_events "
        "WHERE message_id LIKE 'b%' ORDER BY 1"
    ).to_pylist()
    assert [r["_source_row"] for r in rows] == [1, 2]
    assert str(rows[0]["timestamp"]) == "2024-02-01 08:00:00"  # converted to UTC
    assert str(rows[0]["sent_at"]) == "2024-02-01 09:06:00"  # batch-level sentAt applied


def test_bad_config_names_the_key(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    cfg = ws.path / "personae.toml"
    text = cfg.read_text()
    cfg.write_text(text.replace('date_order = "MDY"', 'date_ordr = "MDY"'))
    with pytest.raises(ConfigError, match=r"unknown key 'ingest\.date_ordr'.*date_order"):
        Workspace(ws.path)
    cfg.write_text(text.replace('timezone = "UTC"', 'timezone = "Mars/Olympus"'))
    with pytest.raises(ConfigError, match=r"'ingest\.timezone'.*Mars/Olympus.*IANA"):
        Workspace(ws.path)
    cfg.write_text(text + '\n[sources.x]\nkind = "ordres"\npaths = ["a.csv"]\n')
    with pytest.raises(ConfigError, match=r"'sources\.x\.kind'.*unknown kind 'ordres'"):
        Workspace(ws.path)
    cfg.write_text(text + "\n[ingest\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Workspace(ws.path)


def test_unused_columns_are_listed_with_the_closest_field(ws, tmp_path):
    f = tmp_path / "people.csv"
    f.write_text("id,email,suburb,street_number,notes\n1,a@example.net,Fitzroy,12,hi\n")
    out = subprocess.run(
        [sys.executable, "-m", "personae.cli", "ingest", "contacts", str(f), "-w", str(ws.path),
         "--map", "contact_id=id"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())
    assert (
        "not used (kept in _extra): suburb (closest field: city), street_number (closest "
        "field: address), notes" in said
    )
    report = (ws.path / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert (
        "### Columns not used" in report and "| people.csv | suburb | closest field city" in report
    )


def test_a_file_whose_every_row_is_rejected_fails_the_ingest(ws, tmp_path):
    f = tmp_path / "reviews.csv"
    f.write_text("Review ID,Stars,Text\nR1,banana,Lovely\nR2,purple,Bad\n")
    out = subprocess.run(
        [sys.executable, "-m", "personae.cli", "ingest", "reviews", str(f), "-w", str(ws.path),
         "--map", "review_id=Review ID", "--map", "rating=Stars", "--map", "body=Text"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 1
    assert "every one of its 2 rows was rejected" in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr


def test_ratings_written_as_words_stars_or_fractions_are_read_on_one_to_five(ws, tmp_path):
    """A review tool's sentiment labels, Zendesk-style Good/Bad, star symbols and "4/5" are
    ratings (ingest/ratings.toml); a word that is none of them is still rejected."""
    rows = ["positive", "Neutral", "negative", "Good", "Bad", "★★★★☆", "4/5", "8/10", "banana"]
    f = tmp_path / "reviews.csv"
    f.write_text("Date,Sentiment,Review\n" + "".join(
        f"2024-05-{i + 1:02d},{r},Text number {i}\n" for i, r in enumerate(rows)
    ), encoding="utf-8")  # fmt: skip
    mapping = {"created_at": "Date", "rating": "Sentiment", "body": "Review"}
    (got,) = ws.ingest("reviews", [f], mapping=mapping).files
    assert got.conserved and got.rejected == 1
    values = [r["rating"] for r in ws.sql("SELECT rating FROM raw_reviews ORDER BY _source_row")
              .to_pylist()]  # fmt: skip
    assert values == [5, 3, 1, 4, 1, 4, 4, 4]


def test_discovery_maps_a_column_of_rating_words_to_the_rating(tmp_path):
    from personae import Workspace

    words = ["positive", "neutral", "negative", "positive", "positive", "negative"] * 3
    f = tmp_path / "exports" / "app_reviews.csv"
    f.parent.mkdir()
    f.write_text("Review ID,Posted,Sentiment,Review text\n" + "".join(
        f"RV-{i},2024-05-{i + 1:02d},{w},The app is {w} for me because of reason number {i}\n"
        for i, w in enumerate(words)
    ), encoding="utf-8")  # fmt: skip
    ws = Workspace.init(tmp_path / "ws")
    found = ws.add_files([f])
    assert not found.blocking
    assert ws.config.sources["app_reviews"].kind == "reviews"
    (got,) = ws.ingest().files
    assert got.rejected == 0
    assert {r["rating"] for r in ws.sql("SELECT rating FROM raw_reviews").to_pylist()} == {1, 3, 5}
