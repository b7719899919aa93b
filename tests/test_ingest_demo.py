"""Ingesting the generated demo data, checked against its planted ground truth."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import ingest_demo, read_truth

SCENARIOS = ["retail", "saas"]


@pytest.fixture(params=SCENARIOS)
def scenario(request, retail_data, retail_ws, saas_data, saas_ws):
    if request.param == "retail":
        return retail_data, *retail_ws
    return saas_data, *saas_ws


def _count_records(path: Path) -> int:
    """Count a file's records independently of personae's readers."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            return sum(1 for row in csv.reader(fh) if row) - 1
    if path.suffix == ".jsonl":
        return sum(1 for line in path.read_bytes().splitlines() if line.strip())
    if path.suffix == ".json":
        return len(json.loads(path.read_text())["batch"])
    raise AssertionError(path)


def test_every_kind_present_and_rows_conserved(scenario):
    _, ws, report = scenario
    kinds = {f.kind for f in report.files}
    expected = {
        "contacts",
        "orders",
        "events",
        "email_events",
        "survey_responses",
        "tickets",
        "reviews",
        "social_posts",
        "marketing_spend",
    }
    assert expected <= kinds
    for f in report.files:
        assert f.rows_in == _count_records(Path(f.path)), f.path
        assert f.rows_in == f.ingested + f.rejected + f.duplicates, f.path
    ledger = ws.sql(
        "SELECT sum(rows_in) AS i, sum(ingested) AS g, sum(rejected) AS r, "
        "sum(duplicates) AS d FROM ingest_files"
    ).to_pylist()[0]
    assert ledger["i"] == ledger["g"] + ledger["r"] + ledger["d"] == report.rows_in
    raw_total = sum(n for t, n in ws.counts().items() if t.startswith("raw_"))
    assert raw_total == report.ingested
    assert ws.counts()["quarantine"] == report.rejected


def test_every_planted_bad_row_is_quarantined_with_its_reason(scenario):
    data, ws, _ = scenario
    planted = {
        (r["source_file"], int(r["source_row"])): r["reason"]
        for r in read_truth(data, "bad_rows.csv")
    }
    assert planted, "the generator planted no bad rows"
    got = {
        (Path(r["source_file"]).name, r["source_row"]): r["reason"]
        for r in ws.sql("SELECT source_file, source_row, reason FROM quarantine").to_pylist()
    }
    missing = {k: v for k, v in planted.items() if k not in got}
    unexpected = {k: v for k, v in got.items() if k not in planted}
    wrong = {k: (planted[k], got[k]) for k in planted.keys() & got.keys() if planted[k] != got[k]}
    assert not missing, f"planted bad rows not quarantined: {list(missing.items())[:5]}"
    assert not unexpected, f"good rows quarantined: {list(unexpected.items())[:5]}"
    assert not wrong, f"wrong reasons (planted, got): {list(wrong.items())[:5]}"
    # about 1% of all rows
    total = ws.sql("SELECT sum(rows_in) AS n FROM ingest_files")["n"][0].as_py()
    assert 0.003 < len(planted) / total < 0.03


def test_planted_duplicate_messages_are_skipped(scenario):
    data, ws, report = scenario
    planted = read_truth(data, "duplicates.csv")
    dup_by_kind = Counter()
    for f in report.files:
        dup_by_kind[f.kind] += f.duplicates
    assert dup_by_kind["events"] == len(planted)
    ids = ws.sql("SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM raw_events")
    assert ids["n"][0].as_py() == ids["d"][0].as_py()


def test_lineage_matches_the_truth(scenario):
    """Every ingested record's (file, record number) is one the generator wrote for a person."""
    data, ws, _ = scenario
    truth = {
        (r["source_file"], int(r["source_row"])): r["person_id"]
        for r in read_truth(data, "records.csv")
    }
    for table in (
        "raw_contacts",
        "raw_orders",
        "raw_events",
        "raw_email_events",
        "raw_survey_responses",
        "raw_tickets",
        "raw_reviews",
        "raw_social_posts",
    ):
        rows = ws.sql(f"SELECT _source_file, _source_row FROM {table}").to_pylist()
        assert rows, table
        keys = [(Path(r["_source_file"]).name, r["_source_row"]) for r in rows]
        unknown = [k for k in keys if k not in truth]
        assert not unknown, f"{table}: records the truth does not know: {unknown[:5]}"


def test_values_are_typed_and_normalised(retail_ws):
    ws, _ = retail_ws
    orders = ws.sql("""SELECT min(order_date) AS first, max(order_date) AS last,
                              min(quantity) AS min_q, min(unit_price) AS min_p,
                              count(*) FILTER (WHERE status = 'returned') AS returned,
                              count(*) FILTER (WHERE customer_id IS NULL) AS guests
                       FROM raw_orders""").to_pylist()[0]
    assert orders["first"].year >= 2024 and orders["last"].year <= 2026
    assert orders["min_q"] >= 1 and orders["min_p"] >= 0
    assert orders["returned"] > 0 and orders["guests"] > 0
    phones = ws.sql(
        "SELECT phone, phone_e164 FROM raw_contacts WHERE phone IS NOT NULL "
        "AND phone <> '0000000000'"
    ).to_pylist()
    readable = [p for p in phones if p["phone_e164"]]
    assert len(readable) / len(phones) > 0.95
    assert all(p["phone_e164"].startswith("+") for p in readable)
    consent = ws.sql("SELECT count(consent_analytics) AS n FROM raw_contacts")["n"][0].as_py()
    assert consent > 0
    ev = ws.sql("""SELECT count(*) FILTER (WHERE type = 'identify') AS identifies,
                          count(*) FILTER (WHERE user_id IS NULL) AS anonymous,
                          count(email) AS emails, count(page_url) AS urls,
                          count(utm_source) AS utm
                   FROM raw_events""").to_pylist()[0]
    assert all(v > 0 for v in ev.values()), ev
    surveys = ws.sql("SELECT count(DISTINCT question) AS q FROM raw_survey_responses")
    assert surveys["q"][0].as_py() >= 4


def test_saas_accounts_and_contacts(saas_ws):
    ws, _ = saas_ws
    acc = ws.sql(
        "SELECT count(*) AS n, count(employees) AS e, count(plan) AS p, "
        "count(renewal_date) AS r FROM raw_accounts"
    ).to_pylist()[0]
    assert acc["n"] > 0 and acc["e"] > 0 and acc["p"] > 0 and acc["r"] > 0
    linked = ws.sql(
        "SELECT count(*) AS n FROM raw_contacts c JOIN raw_accounts a USING (account_id)"
    )["n"][0].as_py()
    assert linked > 0
    groups = ws.sql("SELECT count(*) AS n FROM raw_events WHERE type = 'group'")["n"][0].as_py()
    assert groups > 0


def test_reingest_is_idempotent(retail_data, tmp_path):
    ws, first = ingest_demo(retail_data, tmp_path / "ws")
    before = ws.counts()
    second = ws.ingest()
    after = ws.counts()
    assert second.ingested == 0
    assert second.rows_in == first.rows_in
    assert second.duplicates == first.ingested + first.duplicates
    assert second.rejected == first.rejected
    for table in before:
        if table.startswith("raw_") or table == "quarantine":
            assert after[table] == before[table], table


def test_intake_report_accounts_for_every_source_and_reason(retail_ws):
    ws, report = retail_ws
    text = ws.write_ingest_report().read_text()
    for f in report.files:
        assert f"| {f.kind} |" in text
    quarantined = ws.sql("SELECT kind, reason, count(*) AS n FROM quarantine GROUP BY 1, 2")
    for row in quarantined.to_pylist():
        assert f"| {row['kind']} | {row['reason']} | {row['n']:,} |" in text
    assert "### orders" in text and "`order_date`" in text
