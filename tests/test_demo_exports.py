"""`personae demo-data --format exports`: the demo as the vendors' own exports.

The same people, written as a Shopify orders export, a HubSpot contacts export, a
Zendesk tickets export, GA4's BigQuery events export and others (the remaining kinds in
their native files), must come out of
`personae init WS --from DIR/exports` + `personae run`, with no edit to personae.toml, as
well as the native demo does: identity precision and recall within 0.005 and archetype ARI
within 0.05 of the native files run through the same steps, scored against the generator's
ground truth with the helpers the ground-truth tests use.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.demo.exports import FORMS, convert_wide, planted_rows
from personae.identity.evaluate import PairMetrics, pairwise_metrics
from personae.ingest.discover import discover
from personae.ingest.discover.presets import get_preset
from tests.conftest import RETAIL_CUSTOMERS, SAAS_ACCOUNTS
from tests.helpers import ingest_demo, read_truth
from tests.test_segments import _segments, _truth

runner = CliRunner()
SEEDS = {"retail": 11, "saas": 12}  # the seeds of conftest's retail_data / saas_data
SIZES = {"retail": RETAIL_CUSTOMERS, "saas": SAAS_ACCOUNTS}
# The vendor files each scenario writes (file -> preset); every other kind stays native.
VENDOR = {
    "retail": {
        "hubspot-contacts.csv": "hubspot_contacts",
        "orders_export_1.csv": "shopify_orders",
        "zendesk-tickets.csv": "zendesk_tickets",
        "trustpilot-reviews.csv": "trustpilot_reviews",
        "reports_email_activity.csv": "mailchimp_email_activity",
        "events-000000000000.json": "ga4_bigquery_events",
    },
    "saas": {
        "hubspot-contacts.csv": "hubspot_contacts",
        "unified_payments.csv": "stripe_payments",
        "zendesk-tickets.csv": "zendesk_tickets",
        "trustpilot-reviews.csv": "trustpilot_reviews",
        "reports_email_activity.csv": "mailchimp_email_activity",
    },
}
# The native files the vendor files replace (per scenario: saas keeps its native events).
_REPLACED = {
    "crm_contacts.csv",
    "orders.csv",
    "support_tickets.jsonl",
    "reviews.csv",
    "email_activity.csv",
}
NATIVE_REPLACED = {"retail": _REPLACED | {"events.jsonl"}, "saas": _REPLACED}


@dataclass
class Scored:
    metrics: PairMetrics
    ari: float


@dataclass
class Pair:
    scenario: str
    exports: Path  # demo-data --format exports output (truth in exports/truth)
    exports_ws: Workspace
    init_output: str
    native: Scored
    vendor: Scored


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, args, terminal_width=240)
    assert res.exit_code == 0, f"{args}: {res.output[-3000:]}"
    return res.output


def _score(ws: Workspace, data: Path) -> Scored:
    """Pairwise identity metrics and the archetype ARI, as test_identity / test_segments."""
    with ws.connect() as con:
        metrics = pairwise_metrics(con, data / "truth" / "records.csv")
    truth, seg = _truth(ws, data), _segments(ws)
    ids = sorted(set(seg) & set(truth))
    assert len(ids) >= 0.95 * len(seg)
    ari = adjusted_rand_score([truth[i][0] for i in ids], [seg[i]["segment"] for i in ids])
    return Scored(metrics, ari)


def _pair(scenario: str, native_data: Path, folder: Path) -> Pair:
    out = folder / "exports"
    _ok(
        [
            "demo-data",
            "--scenario",
            scenario,
            "--customers",
            str(SIZES[scenario]),
            "--seed",
            str(SEEDS[scenario]),
            "--format",
            "exports",
            "--out",
            str(out),
        ]
    )
    ws_path = folder / "ws"
    init_output = _ok(["init", str(ws_path), "--from", str(out / "exports")])
    _ok(["run", "-w", str(ws_path)])
    native_ws, _ = ingest_demo(native_data, folder / "native")
    _ok(["run", "-w", str(native_ws.path)])
    native_ws.reload()
    vendor_ws = Workspace(ws_path)
    return Pair(
        scenario,
        out,
        vendor_ws,
        init_output,
        _score(native_ws, native_data),
        _score(vendor_ws, out),
    )


@pytest.fixture(scope="module")
def retail_pair(retail_data, tmp_path_factory) -> Pair:
    return _pair("retail", retail_data, tmp_path_factory.mktemp("exports-retail"))


@pytest.fixture(scope="module")
def saas_pair(saas_data, tmp_path_factory) -> Pair:
    return _pair("saas", saas_data, tmp_path_factory.mktemp("exports-saas"))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_exports_resolve_and_segment_as_well_as_the_native_demo(request, scenario):
    pair: Pair = request.getfixturevalue(f"{scenario}_pair")
    n, v = pair.native, pair.vendor
    print(
        f"\n{scenario}: native P={n.metrics.precision:.5f} R={n.metrics.recall:.5f} "
        f"ARI={n.ari:.3f} · exports P={v.metrics.precision:.5f} R={v.metrics.recall:.5f} "
        f"ARI={v.ari:.3f}"
    )
    assert v.metrics.records > 1000
    assert abs(v.metrics.precision - n.metrics.precision) <= 0.005
    assert abs(v.metrics.recall - n.metrics.recall) <= 0.005
    assert abs(v.ari - n.ari) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_each_vendor_file_is_recognised_as_its_vendors_layout(request, scenario):
    pair: Pair = request.getfixturevalue(f"{scenario}_pair")
    names = {p.name for p in (pair.exports / "exports").iterdir()}
    assert set(VENDOR[scenario]) <= names
    assert not names & NATIVE_REPLACED[scenario]
    for name, preset in VENDOR[scenario].items():
        (d,) = discover([pair.exports / "exports" / name]).sources[0].files
        assert d.preset is not None and d.preset.name == preset, (name, d.evidence)
        assert not [q for q in d.questions if q.blocking], (name, d.questions)


def _bad_rows(pair: Pair, name: str) -> tuple[dict, dict]:
    planted = {
        int(r["source_row"]): r["reason"]
        for r in read_truth(pair.exports, "bad_rows.csv")
        if r["source_file"] == name
    }
    got = {
        int(r["source_row"]): r["reason"]
        for r in pair.exports_ws.sql(
            "SELECT source_row, reason FROM quarantine WHERE parse_filename(source_file) = ?",
            params=[name],
        ).to_pylist()
    }
    return planted, got


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "name"),
    [
        ("retail", "hubspot-contacts.csv"),
        ("retail", "zendesk-tickets.csv"),
        ("retail", "orders_export_1.csv"),
        ("retail", "trustpilot-reviews.csv"),
        ("retail", "reports_email_activity.csv"),
        ("retail", "events-000000000000.json"),
        ("saas", "hubspot-contacts.csv"),
        ("saas", "unified_payments.csv"),
        ("saas", "zendesk-tickets.csv"),
        ("saas", "reports_email_activity.csv"),
    ],
)
def test_only_the_planted_bad_rows_of_a_vendor_file_are_quarantined(request, scenario, name):
    pair: Pair = request.getfixturevalue(f"{scenario}_pair")
    planted, got = _bad_rows(pair, name)
    assert planted, f"no bad rows planted in {name}"
    assert {r: got.get(r) for r in planted} == planted, "planted bad rows not quarantined"
    unexpected = sorted(set(got) - set(planted))
    assert not unexpected, f"{len(unexpected)} good rows quarantined, e.g. {unexpected[:5]}"


@pytest.mark.slow
def test_the_orders_truth_names_the_later_lines_a_bad_first_line_takes_down(retail_pair):
    """Shopify writes an order's own fields on its first line only: when that line is a
    planted bad row, its order's later lines are quarantined too, and the truth lists them
    as caused by it (the same order, a later line, a planted first line)."""
    rows = [r for r in read_truth(retail_pair.exports, "bad_rows.csv")]
    orders = [r for r in rows if r["source_file"] == "orders_export_1.csv"]
    caused = [r for r in orders if r["caused_by"]]
    assert caused, "no later line is listed as a consequence"
    planted = {r["source_row"]: r for r in orders if not r["caused_by"]}
    with open(
        retail_pair.exports / "exports" / "orders_export_1.csv",
        encoding="utf-8",
        errors="surrogateescape",
        newline="",
    ) as fh:
        lines = list(csv.reader(fh))
    name = lines[0].index("Name")
    for r in caused:
        cause = planted[r["caused_by"]]
        first, later = lines[int(cause["source_row"])], lines[int(r["source_row"])]
        assert int(r["source_row"]) > int(cause["source_row"])
        assert first[name] == later[name] and later[lines[0].index("Created at")] == ""
        assert r["reason"] == cause["reason"] or r["reason"] == "missing_required"


@pytest.mark.slow
def test_a_long_survey_written_as_a_google_forms_export(saas_data, tmp_path):
    """The exporter's wide shape (driven by the preset's layout = "wide"): the long survey
    file, one row per answer, becomes one row per respondent with a column per question;
    discovery reads it as Google Forms, ingest reshapes it back, and exactly the
    respondent rows the truth plants are quarantined."""
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(saas_data / "crm_contacts.csv", folder)
    planted = planted_rows(saas_data / "truth", FORMS.native)
    count, lay = convert_wide(
        FORMS, get_preset(FORMS.preset), saas_data / FORMS.native, folder / FORMS.name, planted
    )
    with open(saas_data / FORMS.native, encoding="utf-8", errors="replace", newline="") as fh:
        native = list(csv.DictReader(fh))
    assert count == len(native)
    keys = {r["Response ID"] for r in native if r["Response ID"]}
    blank = sum(1 for r in native if not r["Response ID"])
    assert len(set(lay.row_map.values())) == len(keys) + blank
    assert lay.header[: len(lay.header) - 9][:2] == ["Timestamp", "Email Address"]
    ws_path = tmp_path / "ws"
    _ok(["init", str(ws_path), "--from", str(folder)])
    ws = Workspace(ws_path)
    (src,) = [s for s in ws.config.sources.values() if s.kind == "survey_responses"]
    assert src.layout == "wide"
    (d,) = discover([folder / FORMS.name]).sources[0].files
    assert d.preset is not None and d.preset.name == FORMS.preset
    report = ws.ingest()
    (survey,) = [f for f in report.files if f.path.endswith(FORMS.name)]
    assert survey.conserved and survey.rejected == len(lay.bad_rows)
    got = {
        r["source_row"]: r["reason"]
        for r in ws.sql(
            "SELECT source_row, reason FROM quarantine WHERE parse_filename(source_file) = ?",
            params=[FORMS.name],
        ).to_pylist()
    }
    assert got == {row: reason for row, reason, _ in lay.bad_rows}
    questions = {
        r["question"]
        for r in ws.sql("SELECT DISTINCT question FROM raw_survey_responses").to_pylist()
    }
    assert questions == {r["Question"] for r in native if r["Question"]}


def _utc(text: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return (t.astimezone(UTC) if t.tzinfo else t).replace(tzinfo=None)


@pytest.mark.slow
def test_the_ga4_export_carries_each_native_message(retail_pair, retail_data):
    """Read back through the GA4 preset, each line of the GA4 file is the native Segment
    message of the same line: its time (micros since the epoch = the message's UTC time),
    user, call type (page_view a page, screen_view a screen, the rest tracks), page URL and
    device. The native file is read here with json, not by personae."""
    name = "events-000000000000.json"
    got = {
        r["_source_row"]: r
        for r in retail_pair.exports_ws.sql(
            "SELECT _source_row, timestamp, user_id, type, page_url, device_type "
            "FROM raw_events WHERE parse_filename(_source_file) = ?",
            params=[name],
        ).to_pylist()
    }
    lines = (retail_data / "events.jsonl").read_text("utf-8", "surrogateescape").splitlines()
    checked = 0
    for row, line in enumerate(lines, start=1):
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        when = _utc(msg.get("timestamp"))
        if when is None or "messageId" not in msg or row not in got:
            continue  # planted bad rows (checked above) and copies of a message
        r = got[row]
        assert r["timestamp"] == when, row
        assert r["user_id"] == msg.get("userId"), row
        assert r["type"] == (msg["type"] if msg["type"] in ("page", "screen") else "track")
        page = (msg.get("context") or {}).get("page") or {}
        url = (msg.get("properties") or {}).get("url") if msg["type"] == "page" else None
        assert r["page_url"] == (url or page.get("url")), row
        assert r["device_type"] == msg["context"]["device"]["type"], row
        checked += 1
    assert checked > 0.9 * len(lines)


def _money(text: str) -> Decimal:
    return Decimal(text.strip().lstrip("$£").replace(",", "") or "0")


@pytest.mark.slow
def test_the_saas_invoices_as_stripe_payments_hold_one_charge_per_invoice(saas_pair, saas_data):
    """Read back through the Stripe payments preset, the payments file holds one row per
    native invoice (a line without its invoice number is a payment of its own): charged on
    the invoice's date (UTC), by its billing e-mail, for the total of its charged lines
    (quantity × unit price − discount; a cancelled line is not charged), in its currency,
    refunded when every charged line was returned and failed when every line was
    cancelled (Stripe writes the currency in lower case). The native file is read here
    with csv, not by personae."""
    name = "unified_payments.csv"
    planted = {
        int(r["source_row"]) for r in read_truth(saas_data, "bad_rows.csv")
        if r["source_file"] == "orders.csv"
    }  # fmt: skip
    with open(saas_data / "orders.csv", encoding="utf-8", errors="replace", newline="") as fh:
        lines = list(enumerate(csv.DictReader(fh), start=1))
    invoices: dict[str, list[tuple[int, dict]]] = {}
    for row, line in lines:
        invoices.setdefault(line["Order ID"].strip() or f"row {row}", []).append((row, line))
    expected = {}
    for members in invoices.values():
        if any(row in planted for row, _ in members):
            continue
        charged = [line for _, line in members if line["Status"] != "cancelled"]
        total = sum(
            int(line["Qty"]) * _money(line["Unit Price"]) - _money(line["Discount"])
            for line in charged or [line for _, line in members]
        )
        status = (
            "cancelled"
            if not charged
            else "returned"
            if all(line["Status"] == "returned" for line in charged)
            else "completed"
        )
        first = members[0][1]
        key = (first["Email"].strip().lower(), _utc(first["Order Date"]))
        assert key not in expected, key
        expected[key] = (total, first["Currency"], status)
    assert len(expected) > 0.95 * len(invoices)
    got = saas_pair.exports_ws.sql(
        "SELECT order_date, email, unit_price, currency, status, quantity FROM raw_orders "
        "WHERE parse_filename(_source_file) = ?",
        params=[name],
    ).to_pylist()
    assert len(got) == len(invoices) - len(
        {k for k, m in invoices.items() if any(row in planted for row, _ in m)}
    ), "not one row per invoice"
    for r in got:
        total, currency, status = expected[(r["email"].strip().lower(), r["order_date"])]
        got_row = (Decimal(str(r["unit_price"])), r["currency"].upper(), r["status"])
        assert got_row == (total, currency, status), r
        assert r["quantity"] is None
