"""Planted value truth and a prospect list whose later conversion is known.

Two things the value step is judged against:

* per person (retail) the planted *expected* revenue of the next twelve months and whether
  the person is still active at the end of the history — what CLV and churn risk should
  recover;
* a lead list of prospects drawn from the same archetypes (plus people who fit none),
  with a planted ``converted`` flag: prospects that look like the valuable archetypes
  convert far more often, which is what an ideal-customer-profile fit score should see.

Everything here uses its own random stream, so adding it changed no other demo file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from personae.demo.archetypes import SCENARIO_ARCHETYPES, Archetype, Matrices
from personae.demo.catalog import INDUSTRIES, PLAN_SEAT_PRICE, RETAIL_CATEGORIES, SAAS_PLANS
from personae.demo.commerce import _CAT_COUNT, _CAT_START, PRICES
from personae.demo.common import END_TS, pick
from personae.demo.people import People
from personae.demo.pools import LocalePool

_SEASONAL_ORDERS_PER_YEAR = 0.9 + 0.45 + 0.5 + 0.55 + 0.35  # holiday windows + off-season
_CATEGORY_PRICE = np.array(
    [PRICES[s : s + c].mean() for s, c in zip(_CAT_START, _CAT_COUNT, strict=True)]
)
RETURN_COST_SHARE = 0.5  # the default [value] return_cost_share
PROSPECT_SHARE = {"retail": 1.0, "saas": 2.0}
NO_FIT_SHARE = 0.3  # prospects who resemble no customer archetype


def expected_order_value(
    categories: np.ndarray,
    extra_lines: np.ndarray,
    extra_qty: np.ndarray,
    coupon_rate: np.ndarray,
    discount_mid: np.ndarray,
    return_rate: np.ndarray,
    cancel_rate: np.ndarray,
    uk: np.ndarray,
) -> np.ndarray:
    """Planted value of one order: lines x quantity x price, less discounts, returns (and
    a handling cost of ``RETURN_COST_SHARE`` of the returned value) and cancellations —
    the generator's own model, in expectation, valued the way ``personae value`` does by
    default."""
    price = categories @ _CATEGORY_PRICE * np.where(uk, 0.85, 1.0)
    gross = (1 + extra_lines) * (1 + extra_qty) * price * (1 - coupon_rate * discount_mid)
    kept = 1 - return_rate * (1 + RETURN_COST_SHARE)
    return gross * kept * (1 - cancel_rate)


def retail_value_truth(people: People, scenario_archetypes: list[Archetype]) -> dict[str, list]:
    """``alive`` and ``expected_revenue_12m`` per person for ``truth/people.csv``."""
    seasonal = np.array([a.rhythm == "seasonal" for a in scenario_archetypes])[people.arch]
    disc = np.array([(a.discount[0] + a.discount[1]) / 2 for a in scenario_archetypes])
    disc_mid = (1 - people.mixw) * disc[people.arch] + people.mixw * disc[people.arch2]
    per_year = np.where(seasonal, _SEASONAL_ORDERS_PER_YEAR, 365.0 / people.p("gap_days"))
    value = expected_order_value(
        people.probs["categories"],
        people.p("extra_lines"),
        people.p("extra_qty"),
        people.p("coupon_rate"),
        disc_mid,
        people.p("return_rate"),
        people.p("cancel_rate"),
        people.uk,
    )
    alive = people.active_end >= END_TS
    revenue = np.where(alive, per_year * value, 0.0)
    return {
        "alive": ["true" if a else "false" for a in alive.tolist()],
        "expected_revenue_12m": [f"{v:.2f}" for v in revenue.tolist()],
    }


def archetype_annual_value(scenario: str) -> dict[str, float]:
    """Planted yearly value of a typical active member of each archetype."""
    out = {}
    for a in SCENARIO_ARCHETYPES[scenario]:
        if scenario == "saas":
            plans = np.array([a.plans.get(p, 0.0) for p in SAAS_PLANS])
            price = plans @ np.array([PLAN_SEAT_PRICE[p] for p in SAAS_PLANS]) / plans.sum()
            seats = np.sqrt(a.employees[0] * a.employees[1]) * 0.5
            out[a.key] = float(12 * price * seats * (1 - a.churn))
            continue
        cats = np.array([a.categories.get(c, 0.0) for c in RETAIL_CATEGORIES])
        cats = cats / cats.sum()
        value = expected_order_value(
            cats[None, :],
            np.array([a.extra_lines]),
            np.array([a.extra_qty]),
            np.array([a.coupon_rate]),
            np.array([(a.discount[0] + a.discount[1]) / 2]),
            np.array([a.return_rate]),
            np.array([a.cancel_rate]),
            np.array([False]),
        )[0]
        per_year = _SEASONAL_ORDERS_PER_YEAR if a.rhythm == "seasonal" else 365.0 / a.gap_days
        out[a.key] = float(per_year * value)
    return out


def _conversion_rates(scenario: str) -> dict[str, float]:
    """Prospects who look like the most valuable archetypes convert far more often (the
    planted story an ICP fit score should recover)."""
    values = archetype_annual_value(scenario)
    ranked = sorted(SCENARIO_ARCHETYPES[scenario], key=lambda a: -values[a.key])
    return {a.key: 0.6 if i < 2 else (0.06 if i < 4 else 0.02) for i, a in enumerate(ranked)}


RETAIL_COLUMNS = [
    "Prospect ID",
    "First Name",
    "Last Name",
    "Email",
    "Gender",
    "Age",
    "Country",
    "Heard About Us",
    "Interest",
]
SAAS_COLUMNS = [
    "Lead ID",
    "Company",
    "Industry",
    "Employees",
    "Annual Revenue",
    "Country",
    "Contact Name",
    "Contact Email",
    "Role",
]


def prospects(
    scenario: str,
    customers: int,
    rng: np.random.Generator,
    mats: Matrices,
    name_pools: dict[str, LocalePool],
    out: Path,
) -> int:
    """Write ``prospects.csv`` (the lead list) and ``truth/prospects.csv``; returns rows."""
    archs = SCENARIO_ARCHETYPES[scenario]
    n = max(20, int(customers * PROSPECT_SHARE[scenario]))
    arch = rng.choice(len(archs), size=n, p=mats.share)
    no_fit = rng.random(n) < NO_FIT_SHARE
    rates = _conversion_rates(scenario)
    rate = np.array([rates[a.key] for a in archs])[arch]
    rate = np.where(no_fit, 0.01, rate)
    converted = rng.random(n) < rate
    if scenario == "retail":
        header, rows = RETAIL_COLUMNS, _retail_rows(n, arch, no_fit, rng, mats, name_pools)
    else:
        header, rows = SAAS_COLUMNS, _saas_rows(n, arch, no_fit, rng, mats, name_pools)
    with open(out / "prospects.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    with open(out / "truth" / "prospects.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["prospect_id", "archetype", "fits_archetype", "converted"])
        for row, a, nf, c in zip(
            rows, arch.tolist(), no_fit.tolist(), converted.tolist(), strict=True
        ):
            w.writerow([row[0], "" if nf else archs[a].key, str(not nf).lower(), str(c).lower()])
    return n


def _names(n: int, female: np.ndarray, rng: np.random.Generator, pool: LocalePool):
    first = [
        str(pool.female[rng.integers(len(pool.female))])
        if f
        else str(pool.male[rng.integers(len(pool.male))])
        for f in female.tolist()
    ]
    last = [str(pool.last[i]) for i in rng.integers(0, len(pool.last), n).tolist()]
    return first, last


def _retail_rows(n, arch, no_fit, rng, mats: Matrices, name_pools) -> list[list[str]]:
    archs = SCENARIO_ARCHETYPES["retail"]
    female_p = np.where(no_fit, 0.5, np.array([a.female for a in archs])[arch])
    female = rng.random(n) < female_p
    lo = np.where(no_fit, 18, np.array([a.age[0] for a in archs])[arch])
    hi = np.where(no_fit, 80, np.array([a.age[1] for a in archs])[arch])
    age = (lo + rng.random(n) * (hi - lo + 1)).astype(int)
    uk = rng.random(n) < np.where(no_fit, 0.15, np.array([a.uk_share for a in archs])[arch])
    heard_opts = next(q.options for q in _questions("retail") if q.qid == "hear_about")
    uniform_h = np.full((n, len(heard_opts)), 1.0 / len(heard_opts))
    heard = pick(rng, np.where(no_fit[:, None], uniform_h, mats.answers["hear_about"][arch]))
    uniform_c = np.full((n, len(RETAIL_CATEGORIES)), 1.0 / len(RETAIL_CATEGORIES))
    interest = pick(rng, np.where(no_fit[:, None], uniform_c, mats.categories[arch]))
    first, last = _names(n, female, rng, name_pools["en_US"])
    rows = []
    for i in range(n):
        email = (
            f"{first[i].lower()}.{last[i].lower()}{100 + i}@{'mail.co.uk' if uk[i] else 'mail.com'}"
        )
        gender = "F" if female[i] else "M"
        if rng.random() < 0.08:  # a lead form leaves fields blank now and then
            gender = ""
        rows.append(
            [
                f"L{i + 1:07d}",
                first[i],
                last[i],
                email,
                gender,
                str(age[i]) if rng.random() > 0.05 else "",
                "GB" if uk[i] else "US",
                heard_opts[heard[i]],
                RETAIL_CATEGORIES[interest[i]],
            ]
        )
    return rows


def _saas_rows(n, arch, no_fit, rng, mats: Matrices, name_pools) -> list[list[str]]:
    archs = SCENARIO_ARCHETYPES["saas"]
    uniform_i = np.full((n, len(INDUSTRIES)), 1.0 / len(INDUSTRIES))
    industry = pick(rng, np.where(no_fit[:, None], uniform_i, mats.industries[arch]))
    lo_e = np.where(no_fit, 1, np.array([a.employees[0] for a in archs])[arch])
    hi_e = np.where(no_fit, 50_000, np.array([a.employees[1] for a in archs])[arch])
    employees = np.exp(np.log(lo_e) + rng.random(n) * (np.log(hi_e) - np.log(lo_e)))
    employees = np.maximum(1, employees.round()).astype(int)
    revenue = np.round(employees * rng.uniform(60_000, 260_000, n), -3)
    uk = rng.random(n) < np.where(no_fit, 0.15, np.array([a.uk_share for a in archs])[arch])
    roles = ["decision_maker", "champion", "user", "finance", "it_security"]
    role = rng.integers(0, len(roles), n)
    female = rng.random(n) < 0.5
    first, last = _names(n, female, rng, name_pools["en_US"])
    rows = []
    for i in range(n):
        company = f"{last[(i * 7 + 3) % n]} {('Labs', 'Group', 'Partners', 'Systems', 'Co')[i % 5]}"
        domain = company.lower().replace(" ", "") + ".example.net"
        rows.append(
            [
                f"LD{i + 1:06d}",
                company,
                INDUSTRIES[industry[i]],
                str(employees[i]),
                f"{revenue[i]:.0f}" if rng.random() > 0.1 else "",
                "GB" if uk[i] else "US",
                f"{first[i]} {last[i]}",
                f"{first[i].lower()}@{domain}",
                roles[role[i]],
            ]
        )
    return rows


def _questions(scenario: str):
    from personae.demo.archetypes import SCENARIO_QUESTIONS

    return SCENARIO_QUESTIONS[scenario]
