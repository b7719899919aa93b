"""Warehouse and review exports whose fields are nested, implied or written as words
(ingest/nested.py): GA4's BigQuery export, Segment's warehouse tables, Google Business
Profile reviews. Each goes through ``personae init --from``, ingest and build, and the
values are checked against what the fixture itself holds (read here, not by personae)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tests.helpers import init_from

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _first_value(value: dict):
    return next((v for v in value.values() if v is not None), None)


def test_ga4_and_segment_warehouse_exports_land_on_profiles(tmp_path: Path):
    ga4 = EXPORTS / "ga4" / "events_20251104.jsonl"
    seg = [EXPORTS / "segment" / f for f in ("identifies.csv", "tracks.csv", "pages.csv")]
    ws = init_from(tmp_path, [ga4, *seg])
    presets = {s.preset for s in ws.config.sources.values()}
    assert presets == {
        "ga4_bigquery_events",
        "segment_identifies",
        "segment_tracks",
        "segment_pages",
    }
    report = ws.ingest()
    ga4_rows = [json.loads(line) for line in ga4.read_text("utf-8").splitlines()]
    seg_rows = {f.name: list(csv.DictReader(f.open(encoding="utf-8"))) for f in seg}
    assert report.rejected == 0
    assert report.ingested == len(ga4_rows) + sum(len(r) for r in seg_rows.values())

    # GA4: event_params flattened (key -> first non-null value), micros -> timestamp
    got = {
        (r["anonymous_id"], r["event"], r["timestamp"]): r
        for r in ws.sql(
            "SELECT anonymous_id, event, timestamp, type, user_id, properties, context, "
            "page_url, page_path, consent_analytics, consent_advertising "
            "FROM raw_events WHERE _source_file LIKE '%.jsonl'"
        ).to_pylist()
    }
    assert len(got) == len(ga4_rows)
    for row in ga4_rows:
        ts = datetime.fromtimestamp(int(row["event_timestamp"]) / 1e6, UTC).replace(tzinfo=None)
        r = got[(row["user_pseudo_id"], row["event_name"], ts)]
        # a page_view is a page call (it counts as a page view), every other event a track
        assert r["type"] == ("page" if row["event_name"] == "page_view" else "track")
        assert r["user_id"] == row["user_id"]
        props = json.loads(r["properties"])
        assert props == {p["key"]: _first_value(p["value"]) for p in row["event_params"]}
        url = props.get("page_location")
        assert r["page_url"] == url
        assert r["page_path"] == (urlsplit(url).path or None if url else None)
        privacy = row["privacy_info"]
        assert r["consent_analytics"] is (privacy["analytics_storage"] == "Yes")
        assert r["consent_advertising"] is (privacy["ads_storage"] == "Yes")
        ctx = json.loads(r["context"])
        assert ctx["device"]["type"] == row["device"]["category"]
        assert ctx["campaign"]["source"] == row["traffic_source"]["source"]

    # Segment: type from the table, flattened context_* columns back into context
    by_id = {
        r["message_id"]: r
        for r in ws.sql(
            "SELECT message_id, type, page_url, utm_source, traits, properties FROM raw_events"
        ).to_pylist()
    }
    for name, typ in (
        ("identifies.csv", "identify"),
        ("tracks.csv", "track"),
        ("pages.csv", "page"),
    ):
        for row in seg_rows[name]:
            r = by_id[row["id"]]
            assert r["type"] == typ
            assert r["page_url"] == (row["url"] if typ == "page" else row["context_page_url"])
            assert r["utm_source"] == (row["context_campaign_source"] or None)
            if typ == "identify":
                assert json.loads(r["traits"])["email"] == row["email"]
            if typ == "page":
                assert json.loads(r["properties"])["path"] == row["path"]

    # build: each person's tracks and pages join the profile of their identify call
    ws.build()
    prof = {
        (r["source_file"].split("/")[-1], r["source_row"]): r["profile_id"]
        for r in ws.sql(
            "SELECT source_file, source_row, profile_id FROM record_profiles "
            "WHERE source_kind = 'events'"
        ).to_pylist()
    }
    ident = {
        row["anonymous_id"]: prof[("identifies.csv", i)]
        for i, row in enumerate(seg_rows["identifies.csv"], start=1)
    }
    assert len(set(ident.values())) == len(ident)  # one profile per identified person
    for name in ("tracks.csv", "pages.csv"):
        for i, row in enumerate(seg_rows[name], start=1):
            assert prof[(name, i)] == ident[row["anonymous_id"]], (name, i)


def test_google_business_star_rating_words_are_read_as_numbers(tmp_path: Path):
    src = EXPORTS / "google_business" / "reviews.jsonl"
    ws = init_from(tmp_path, [src])
    report = ws.ingest()
    rows = [json.loads(line) for line in src.read_text("utf-8").splitlines()]
    assert report.ingested == len(rows) and report.rejected == 0
    words = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
    got = {
        r["review_id"]: (r["rating"], r["platform"])
        for r in ws.sql("SELECT review_id, rating, platform FROM raw_reviews").to_pylist()
    }
    assert got == {r["reviewId"]: (words[r["starRating"]], "google") for r in rows}


def test_google_play_review_id_is_read_from_the_review_link(tmp_path: Path):
    src = EXPORTS / "google_play" / "reviews_com.example.stridelog_202611.csv"
    ws = init_from(tmp_path, [src])
    ws.ingest()
    with src.open(encoding="utf-16") as fh:
        rows = list(csv.DictReader(fh))
    got = {
        r["review_id"]: r["rating"]
        for r in ws.sql("SELECT review_id, rating FROM raw_reviews").to_pylist()
    }
    want = {
        r["Review Link"].split("reviewId=")[1].split("&")[0]: int(r["Star Rating"]) for r in rows
    }
    assert got == want
