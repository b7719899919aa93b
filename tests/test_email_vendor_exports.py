"""Mailchimp and Klaviyo exports beyond what tests/test_presets.py checks for every preset:
the planted bad rows of each layout land in quarantine (and only they), Mailchimp's audience
zip is read as its three files, and each vendor's activity joins the profiles of its own
contacts export. Expected values are read from the fixtures here, not by personae."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from tests.helpers import init_from, profiles_by_record

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
AUDIENCE = [
    f"{status}_members_export_7d4e1a09c3.csv"
    for status in ("subscribed", "unsubscribed", "cleaned")
]
runner = CliRunner()

# file -> {row number: (reason, column)}: the rows planted in tests/fixtures/exports/*/
# planted_bad_rows (see those folders' README)
PLANTED = {
    "mailchimp/planted_bad_rows/subscribed_members_export_7d4e1a09c3.csv": {
        3: ("missing_required", "EUID"),
        5: ("bad_timestamp", "CONFIRM_TIME"),
    },
    "mailchimp/planted_bad_rows/email_activity.csv": {
        4: ("missing_required", "email_address"),
        6: ("bad_timestamp", "timestamp"),
    },
    "klaviyo/planted_bad_rows/profiles_export.csv": {
        2: ("missing_required", "Klaviyo ID"),
        4: ("bad_timestamp", "Profile Created On"),
    },
    "klaviyo/planted_bad_rows/events.jsonl": {
        3: ("missing_required", None),  # no datetime: the computed timestamp is empty
        5: ("missing_identifier", None),  # no profile: neither userId nor anonymousId
    },
}


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fixture", sorted(PLANTED))
def test_only_the_planted_bad_rows_are_quarantined(fixture: str, tmp_path: Path):
    path = EXPORTS / fixture
    ws = Workspace.init(tmp_path / "ws")
    assert not ws.add_files([path]).blocking
    (f,) = ws.ingest().files
    planted = PLANTED[fixture]
    got = {q["source_row"]: q for q in ws.quarantine().to_pylist()}
    assert set(got) == set(planted)
    for row, (reason, column) in planted.items():
        assert got[row]["reason"] == reason, got[row]
        if column is not None:
            assert got[row]["column_name"] == column, got[row]
    assert f.conserved
    assert f.rows_in == len(_rows(path))
    assert f.ingested == f.rows_in - len(planted)


def test_mailchimp_audience_zip_is_read_as_its_three_files(tmp_path: Path):
    """Export Audience downloads one zip; each CSV in it is a contacts source of its own."""
    data = tmp_path / "exports"
    data.mkdir()
    with zipfile.ZipFile(data / "alder_and_ash_audience_export.zip", "w") as z:
        for name in AUDIENCE:
            z.write(EXPORTS / "mailchimp" / name, name)
    res = runner.invoke(app, ["init", str(tmp_path / "ws"), "--from", str(data)])
    assert res.exit_code == 0, res.output
    ws = Workspace(tmp_path / "ws")
    sources = ws.config.sources.values()
    assert sorted(s.kind for s in sources) == ["contacts"] * 3
    report = ws.ingest()
    rows = {name: _rows(EXPORTS / "mailchimp" / name) for name in AUDIENCE}
    assert report.rejected == 0
    assert report.ingested == sum(len(r) for r in rows.values())
    got = {
        r["contact_id"]: r
        for r in ws.sql(
            "SELECT contact_id, email, created_at, country FROM raw_contacts"
        ).to_pylist()
    }
    for member in (m for r in rows.values() for m in r):
        r = got[member["EUID"]]
        assert r["email"] == member["Email Address"]
        assert r["created_at"] == datetime.fromisoformat(member["CONFIRM_TIME"])
        assert r["country"] == (member["CC"] or None)


def test_mailchimp_email_activity_joins_the_audience_profiles(tmp_path: Path):
    audience = EXPORTS / "mailchimp" / AUDIENCE[0]
    activity = EXPORTS / "mailchimp" / "email_activity.csv"
    ws = init_from(tmp_path, [audience, activity])
    assert ws.ingest().rejected == 0
    ws.build()
    prof = profiles_by_record(ws)
    member = {
        m["Email Address"]: prof[(audience.name, i)] for i, m in enumerate(_rows(audience), start=1)
    }
    joined = 0
    for i, action in enumerate(_rows(activity), start=1):
        if action["email_address"] in member:
            assert prof[(activity.name, i)] == member[action["email_address"]], i
            joined += 1
    assert joined >= 10  # the fixture's actions by subscribed members


def test_klaviyo_events_join_the_profiles_of_the_profiles_export(tmp_path: Path):
    """Events name their profile by id only; the id is the export's Klaviyo ID."""
    profiles = EXPORTS / "klaviyo" / "profiles_export.csv"
    events = EXPORTS / "klaviyo" / "events.jsonl"
    ws = init_from(tmp_path, [profiles, events])
    presets = {s.preset for s in ws.config.sources.values() if s.kind == "events"}
    assert presets == {"klaviyo_events"}
    assert ws.ingest().rejected == 0
    by_id = {
        r["message_id"]: r
        for r in ws.sql(
            "SELECT message_id, type, timestamp, user_id, event, properties FROM raw_events"
        ).to_pylist()
    }
    rows = _rows(events)
    assert len(by_id) == len(rows)
    for e in rows:
        r = by_id[e["id"]]
        when = datetime.fromisoformat(e["attributes"]["datetime"]).replace(tzinfo=None)
        assert (r["type"], r["timestamp"]) == ("track", when)
        assert r["user_id"] == e["relationships"]["profile"]["data"]["id"]
        assert r["event"] == e["relationships"]["metric"]["data"]["id"]
        assert json.loads(r["properties"]) == e["attributes"]["event_properties"]
    ws.build()
    prof = profiles_by_record(ws)
    person = {
        p["Klaviyo ID"]: prof[(profiles.name, i)] for i, p in enumerate(_rows(profiles), start=1)
    }
    for i, e in enumerate(rows, start=1):
        assert prof[(events.name, i)] == person[e["relationships"]["profile"]["data"]["id"]], i
