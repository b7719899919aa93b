"""No model stops the run (issue "Runs through on whatever data you have", item 2).

Two small shops that are not the demo, through the real `personae run`:

* a coffee subscription billed by Stripe on a common billing anchor: every subscriber
  joined in the launch billing run and has paid every monthly box since, so all of them
  share one purchase history. BG/NBD cannot be fitted on one pattern at any penalizer
  (checked here on the workspace's own summary, not forced by a flag); the value step falls
  back to the historical estimate, and every place that shows a lifetime value says so;
* a fitness studio's class bookings, which carry no price: purchase counts only, no money
  anywhere in the persona report.

The Stripe files use the Dashboard export layout documented in
tests/fixtures/exports/stripe/README.md; people are invented (example.com addresses).
"""

from __future__ import annotations

import csv
import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from personae.cli import app
from personae.value.build import PENALIZER_LADDER
from personae.value.clv import BetaGeo, ModelInputError
from personae.value.fallback import historical_estimate
from tests.uk_shop import FIRST
from tests.uk_shop import LAST as UK_LAST

# the UK shop fixture's invented names (the same twelve surnames as before)
LAST = UK_LAST[:12]
# plan, monthly price (GBP)
PLANS = [("Filter box", 12.00), ("Espresso box", 18.50), ("Explorer box", 26.00)]
SUBSCRIBERS = 60
BOXES = 6  # billed on the 1st of January ... June 2024
FALLBACK_WORDS = (
    "Lifetime value estimated from past purchase rates — the statistical model did not fit "
    "this data"
)
MONEY = re.compile(r"[$£€]\s?\d")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _write_subscription_shop(folder: Path) -> None:
    folder.mkdir()
    people = []
    for i in range(SUBSCRIBERS):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        people.append(
            (
                f"cus_Bean{i:04d}",
                f"{first} {last}",
                f"{first.lower()}.{last.lower()}{i}@example.com",
                PLANS[i % 3],
            )
        )
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "Description",
                "Email",
                "Name",
                "Created (UTC)",
                "Delinquent",
                "Plan",
                "Status",
                "Total Spend",
                "Payment Count",
                "Refunded Volume",
                "Dispute Losses",
            ]
        )
        for cus, name, email, (plan, price) in people:
            w.writerow(
                [
                    cus,
                    plan,
                    email,
                    name,
                    "2023-12-28 19:12",
                    "false",
                    f"price_{plan.split()[0].lower()}_monthly",
                    "active",
                    f"{price * BOXES:.2f}",
                    BOXES,
                    "0.00",
                    "0.00",
                ]
            )
    with (folder / "unified_payments.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "Created date (UTC)",
                "Amount",
                "Amount Refunded",
                "Currency",
                "Captured",
                "Description",
                "Status",
                "Customer ID",
                "Customer Email",
            ]
        )
        n = 0
        for month in range(1, BOXES + 1):
            for i, (cus, _, email, (plan, price)) in enumerate(people):
                # the billing run charges everyone on the anchor day, a few seconds apart
                w.writerow(
                    [
                        f"ch_3Bean{n:06d}",
                        f"2024-{month:02d}-01 06:{i // 60:02d}:{i % 60:02d}",
                        f"{price:.2f}",
                        "0.00",
                        "gbp",
                        "true",
                        f"Subscription: {plan}",
                        "Paid",
                        cus,
                        email,
                    ]
                )
                n += 1


def _write_studio(folder: Path, members: int = 80, seed: int = 5) -> None:
    """Class bookings without a price: regulars book every week or two, workshop-goers a few
    times a year; some stop booking."""
    rnd = random.Random(seed)
    folder.mkdir()
    end = datetime(2024, 6, 28)
    towns = ["Leeds", "Bristol", "Cardiff", "York"]
    with (folder / "members.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Member ID", "First name", "Last name", "Email", "Town", "Joined"])
        for i in range(members):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 5) % len(LAST)]
            w.writerow(
                [
                    f"M{1000 + i}",
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}{i}@example.com",
                    towns[i % 4],
                    "2023-01-05",
                ]
            )
    with (folder / "bookings.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Booking Ref", "Member ID", "Booked On", "Class"])
        n = 0
        for i in range(members):
            regular = i % 2 == 0
            day = datetime(2023, 1, 10, 7, 30) + timedelta(days=rnd.randint(0, 200))
            while day < end:
                w.writerow(
                    [
                        f"B{n:05d}",
                        f"M{1000 + i}",
                        day.strftime("%Y-%m-%d %H:%M"),
                        "Spin" if regular else "Yoga workshop",
                    ]
                )
                n += 1
                day += timedelta(days=rnd.randint(5, 20) if regular else rnd.randint(60, 200))
                if rnd.random() < 0.05:
                    break


def _workspace(tmp_path: Path, files: list[tuple[Path, str | None]]) -> Path:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for file, kind in files:
        added = runner.invoke(
            app, ["add", str(file), "-w", str(ws)] + (["--kind", kind] if kind else [])
        )
        assert added.exit_code == 0, added.output
    return ws


def _run(ws: Path) -> str:
    result = CliRunner().invoke(app, ["run", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Finished in" in result.output
    return result.output


def _summary(con: duckdb.DuckDBPyConnection) -> dict:
    row = con.execute("SELECT document FROM value_models WHERE name = 'summary'").fetchall()
    return json.loads(row[0][0])


@pytest.fixture(scope="module")
def subscription_run(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("subscription")
    _write_subscription_shop(tmp / "exports")
    ws = _workspace(
        tmp,
        [
            (tmp / "exports" / "customers.csv", None),
            (tmp / "exports" / "unified_payments.csv", None),
        ],
    )
    return ws, _run(ws)


def test_bgnbd_genuinely_fails_every_rung_on_the_subscription_shop(subscription_run) -> None:
    ws, _ = subscription_run
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    f, r, t = (
        np.array(col, dtype=float)
        for col in zip(
            *con.execute(
                "SELECT frequency, recency, customer_age_days FROM value_scores"
            ).fetchall(),
            strict=True,
        )
    )
    con.close()
    assert len(f) == SUBSCRIBERS
    for penalizer in (0.0, *PENALIZER_LADDER):
        with pytest.raises(ModelInputError):
            BetaGeo(penalizer=penalizer).fit(f, r, t)


def test_no_fit_ends_with_a_complete_persona_report_and_the_fallback_note(
    subscription_run,
) -> None:
    ws, output = subscription_run
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    runs = dict(con.execute("SELECT step, status FROM runs WHERE step <> 'ingest'").fetchall())
    summary = _summary(con)
    scores = con.execute(
        """SELECT any_value(o.customer_id), any_value(v.expected_purchases), any_value(v.clv),
                  any_value(v.churn_risk)
           FROM value_scores v JOIN record_profiles rp USING (profile_id)
           JOIN raw_orders o ON rp.source_kind = 'orders' AND o._source_file = rp.source_file
                AND o._source_row = rp.source_row
           GROUP BY v.profile_id"""
    ).fetchall()
    con.close()
    assert all(runs[s] == "ok" for s in ("value", "segment", "personas", "report")), runs
    assert summary["estimate"] == "rfm_fallback"
    assert "same purchase history" in summary["estimate_note"]
    assert len(summary["checks"]["fit_failures"]) == 1 + len(PENALIZER_LADDER)
    assert FALLBACK_WORDS in _flat(output)
    # the figures follow the documented formula: each subscriber bought on 5 repeat days in
    # the 152 days from 1 January to 1 June and nothing is overdue, so the rate is 5/152 a
    # day and the risk 0; CLV = 12 months of that rate times their box price, discounted 1%
    rate = 5 / 152
    discount = sum(1.01**-m for m in range(1, 13))
    plan_price = {f"cus_Bean{i:04d}": PLANS[i % 3][1] for i in range(SUBSCRIBERS)}
    assert len(scores) == SUBSCRIBERS
    for customer, expected, clv, risk in scores:
        assert expected == pytest.approx(rate * 12 * 30.4375, abs=1e-3)
        assert risk == pytest.approx(0.0)
        assert clv == pytest.approx(rate * 30.4375 * plan_price[customer] * discount, abs=0.01)
    # the persona report is complete and says on what its lifetime values rest
    md = _flat((ws / "reports" / "personas.md").read_text(encoding="utf-8"))
    html = _flat((ws / "reports" / "personas.html").read_text(encoding="utf-8"))
    personas = json.loads((ws / "reports" / "personas.json").read_text(encoding="utf-8"))
    assert personas and len(re.findall(r"\*\*Primary persona\*\*", md)) >= 1
    assert FALLBACK_WORDS in md and FALLBACK_WORDS in html
    for p in personas:
        assert p["size"]["mean_clv"] is not None
        assert p["size"]["value_note"].startswith(FALLBACK_WORDS)
    # everyone paid on the last billing day: an average RFM cell, not "lost"
    assert "| need attention |" in md
    assert "There is no fitted model to check" in md  # no holdout of a model that was not used
    value_md = _flat((ws / "reports" / "value.md").read_text(encoding="utf-8"))
    assert FALLBACK_WORDS in value_md and "churn risk = 1 − exp(" in value_md


@pytest.fixture(scope="module")
def studio_run(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("studio")
    _write_studio(tmp / "exports")
    ws = _workspace(
        tmp, [(tmp / "exports" / "members.csv", None), (tmp / "exports" / "bookings.csv", "orders")]
    )
    return ws, _run(ws)


def test_orders_without_amounts_give_purchase_counts_and_no_money(studio_run) -> None:
    ws, output = studio_run
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    runs = dict(con.execute("SELECT step, status FROM runs WHERE step <> 'ingest'").fetchall())
    summary = _summary(con)
    valued = con.execute(
        "SELECT count(*), count(clv), count(expected_spend), count(expected_purchases), "
        "count(churn_risk) FROM value_scores"
    ).fetchall()[0]
    con.close()
    assert all(runs[s] == "ok" for s in ("value", "segment", "personas", "report")), runs
    assert summary["monetary"] is False and "gamma_gamma" not in summary["estimate"]
    assert summary["total_clv"] is None
    n, clv, spend, purchases, risk = valued
    assert n > 50 and clv == 0 and spend == 0 and purchases == n and risk == n
    flat = _flat(output)
    assert "Purchase counts only — no order amounts in the data" in flat
    assert "Gamma-Gamma" not in flat and "total predicted CLV" not in flat
    reports = ws / "reports"
    md = (reports / "personas.md").read_text(encoding="utf-8")
    html = (reports / "personas.html").read_text(encoding="utf-8")
    doc = (reports / "personas.json").read_text(encoding="utf-8")
    segments_md = (reports / "segments.md").read_text(encoding="utf-8")
    for text in (md, html, doc, segments_md, output):
        assert not MONEY.findall(text), MONEY.findall(text)[:5]
    assert "purchase counts only — no order amounts in the data" in _flat(md).lower()
    personas = json.loads(doc)
    assert personas
    for p in personas:
        assert p["size"]["mean_clv"] is None and p["size"]["revenue_share"] is None
        assert p["size"]["value_note"].startswith("Purchase counts only")
        facts = [f["label"] for f in p["buying_behaviour"]]
        assert "Order value" not in facts
    value_md = _flat((reports / "value.md").read_text(encoding="utf-8"))
    assert "Purchase counts only — no order amounts in the data" in value_md
    assert not MONEY.findall(value_md) and "Total predicted CLV" not in value_md


def test_historical_estimate_shrinks_short_histories_and_reads_lateness() -> None:
    # A: one purchase 10 days ago; B: 10 repeat purchase days in 100 days, last 50 days ago
    x = np.array([0.0, 10.0])
    tx = np.array([0.0, 100.0])
    age = np.array([10.0, 150.0])
    est = historical_estimate(
        x,
        tx,
        age,
        np.array([20.0, 220.0]),
        horizon_months=1,
        period_length=30.0,
        discount_rate=0.0,
    )
    pop = 10 / 160
    rate_a = (0 + 90 * pop) / (10 + 90)
    rate_b = (10 + 90 * pop) / (150 + 90)
    risk_a = 1 - np.exp(-10 / (1 / pop))  # A has no gap of their own: everyone's
    risk_b = 1 - np.exp(-50 / 10)  # B usually buys every 10 days and is 50 days late
    assert est.churn_risk == pytest.approx([risk_a, risk_b])
    assert est.expected_purchases == pytest.approx(
        [(1 - risk_a) * rate_a * 30, (1 - risk_b) * rate_b * 30]
    )
    assert est.clv == pytest.approx(
        [(1 - risk_a) * rate_a * 30 * 20, (1 - risk_b) * rate_b * 30 * 220 / 11]
    )
    counts = historical_estimate(
        x, tx, age, None, horizon_months=1, period_length=30.0, discount_rate=0.0
    )
    assert counts.clv is None and counts.expected_spend is None


def test_a_converged_fit_with_impossible_predictions_is_refused() -> None:
    from personae.value.clv import GammaGamma
    from personae.value.estimate import check_fit

    x = np.array([0.0, 3.0, 8.0])
    tx = np.array([0.0, 60.0, 200.0])
    age = np.array([30.0, 90.0, 210.0])
    mon = np.array([0.0, 20.0, 35.0])
    sane = BetaGeo.from_params(r=0.5, alpha=20.0, a=0.8, b=2.5)
    check_fit(sane, GammaGamma.from_params(p=6.0, q=4.0, v=15.0), x, tx, age, mon, 365.0)
    # a purchase rate of r/α = 50 purchase days a day: more purchase days than days
    with pytest.raises(ModelInputError, match="impossible"):
        check_fit(BetaGeo.from_params(50.0, 1.0, 0.01, 100.0), None, x, tx, age, mon, 365.0)
    # q ≤ 1: a new customer's expected spend is infinite
    with pytest.raises(ModelInputError, match=r"q = 0\.9 "):
        check_fit(sane, GammaGamma.from_params(p=6.0, q=0.9, v=15.0), x, tx, age, mon, 365.0)
    # q just above 1: a new customer's expected spend p·γ/(q−1) = 9,000 against 35 at most
    with pytest.raises(ModelInputError, match="over ten times"):
        check_fit(sane, GammaGamma.from_params(p=6.0, q=1.01, v=15.0), x, tx, age, mon, 365.0)


def test_one_price_for_every_subscriber_falls_back_with_the_reason(tmp_path: Path) -> None:
    """Subscribers who joined in different months (so BG/NBD has patterns to learn from)
    but all pay the same £15: Gamma-Gamma has no spread of spend to fit at any penalizer."""
    folder = tmp_path / "exports"
    folder.mkdir()
    with (folder / "unified_payments.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency",
                    "Status", "Customer ID", "Customer Email"])  # fmt: skip
        n = 0
        for i in range(60):
            joined, stopped = 1 + i % 5, 6 - (i % 7 == 0) * (i % 3)
            for month in range(joined, stopped + 1):
                w.writerow([f"ch_3Flat{n:06d}", f"2024-{month:02d}-{1 + i % 20:02d} 09:00",
                            "15.00", "0.00", "gbp", "Paid", f"cus_Flat{i:04d}",
                            f"subscriber{i}@example.com"])  # fmt: skip
                n += 1
    ws = _workspace(tmp_path, [(folder / "unified_payments.csv", None)])
    res = CliRunner().invoke(app, ["ingest", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["build", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["value", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    summary = _summary(con)
    con.close()
    assert summary["estimate"] == "rfm_fallback"
    failures = summary["checks"]["fit_failures"]
    assert len(failures) == 1 + len(PENALIZER_LADDER)
    # BG/NBD fits from the first penalizer on; Gamma-Gamma cannot on any rung
    assert sum("same monetary_value" in f for f in failures) >= len(PENALIZER_LADDER)
    assert summary["estimate_note"].startswith("every repeat buyer spends the same amount")
    assert "every repeat buyer spends the same amount" in _flat(res.output)
