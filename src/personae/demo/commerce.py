"""Orders: retail line items with returns, coupons and guest checkout; SaaS invoices.

Timing is where archetypes differ most (clockwork monthly parents, frequent athletes,
seasonal gift buyers), so order dates come from per-person gamma-distributed gaps or from
holiday windows, then get moved to each person's preferred weekday and hour.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np

from personae.demo.archetypes import SCENARIO_ARCHETYPES
from personae.demo.catalog import (
    PAYMENT_METHODS,
    PLAN_SEAT_PRICE,
    RETAIL_CATEGORIES,
    RETAIL_COUPONS,
    RETAIL_PRODUCTS,
    SAAS_ADDONS,
    SAAS_PLANS,
)
from personae.demo.common import (
    DAY,
    END_TS,
    START_TS,
    TS_ISO_Z,
    TS_SPACE,
    TS_US_DT,
    Rows,
    fmt_ts,
    groups_start,
    pick,
    place_in_day,
    rank_in_group,
)
from personae.demo.mess import JUNK_EMAILS, JUNK_IDS, JUNK_PHONE, BadSpec, email_variant, phones
from personae.demo.people import People

ORDER_COLUMNS = [
    "Order ID",
    "Line",
    "Order Date",
    "Customer ID",
    "Email",
    "Phone",
    "SKU",
    "Product Name",
    "Category",
    "Qty",
    "Unit Price",
    "Discount",
    "Currency",
    "Channel",
    "Store ID",
    "Status",
    "Coupon Code",
    "Payment Method",
]
ORDER_BAD = [
    BadSpec("missing_required", "Order ID"),
    BadSpec("bad_timestamp", "Order Date"),
    BadSpec("negative_value", "Qty"),
    BadSpec("bad_number", "Qty", "qty"),
    BadSpec("bad_number", "Unit Price"),
]

PRODUCTS = [p for c in RETAIL_CATEGORIES for p in RETAIL_PRODUCTS[c]]
_CAT_COUNT = np.array([len(RETAIL_PRODUCTS[c]) for c in RETAIL_CATEGORIES])
_CAT_START = groups_start(_CAT_COUNT)
PRICES = np.array([p.price for p in PRODUCTS])


@dataclass
class Orders:
    """Order-level facts that web events must agree with."""

    person: np.ndarray
    ts: np.ndarray
    order_id: list[str]
    channel: np.ndarray  # index into ["online", "store", "app"]
    revenue: np.ndarray
    line_start: np.ndarray
    line_count: np.ndarray
    line_product: np.ndarray
    line_qty: np.ndarray
    line_price: np.ndarray
    status: np.ndarray  # per order: 0 completed, 1 cancelled


def _regular_times(rng, people: People, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gap = people.p("gap_days")[who]
    shape = people.p("gap_shape")[who]
    a0, a1 = people.active_start[who], people.active_end[who]
    span = (a1 - a0) / DAY
    m = np.minimum(np.ceil(span / gap * 1.4).astype("int64") + 2, 90)
    flat = np.repeat(np.arange(len(who)), m)
    gaps = rng.gamma(shape[flat], gap[flat] / shape[flat])
    first = groups_start(m)
    gaps[first] = rng.random(len(who)) * gap
    cs = np.cumsum(gaps)
    base = np.repeat(cs[first] - gaps[first], m)
    t = a0[flat] + ((cs - base) * DAY).astype("int64")
    keep = t <= a1[flat]
    return who[flat[keep]], t[keep]


_SEASONS = [
    ((11, 18), (12, 22), 0.9),
    ((12, 1), (12, 20), 0.45),
    ((2, 1), (2, 13), 0.5),
    ((4, 26), (5, 10), 0.55),
]


def _seasonal_times(rng, people: People, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ps, ts = [], []
    for year in (2024, 2025, 2026):
        for (m0, d0), (m1, d1), p in _SEASONS:
            lo = int(dt.datetime(year, m0, d0, tzinfo=dt.UTC).timestamp())
            hi = int(dt.datetime(year, m1, d1, tzinfo=dt.UTC).timestamp())
            hit = rng.random(len(who)) < p
            t = lo + (rng.random(len(who)) * (hi - lo)).astype("int64")
            ps.append(who[hit])
            ts.append(t[hit])
    k = rng.poisson(0.7, len(who))
    flat = np.repeat(who, k)
    ps.append(flat)
    a0, a1 = people.active_start[flat], people.active_end[flat]
    ts.append(a0 + (rng.random(len(flat)) * (a1 - a0)).astype("int64"))
    p_all, t_all = np.concatenate(ps), np.concatenate(ts)
    keep = (t_all >= people.active_start[p_all]) & (t_all <= people.active_end[p_all])
    return p_all[keep], t_all[keep]


def _price_text(values: list[float], sym: list[str], r: list[float]) -> list[str]:
    out = []
    for v, s, q in zip(values, sym, r, strict=True):
        if q < 0.08:
            t = f"{v:.2f}".rstrip("0").rstrip(".")
            out.append(t)
        elif q < 0.2:
            out.append(f"{s}{v:,.2f}")
        else:
            out.append(f"{v:.2f}")
    return out


def retail_orders(
    people: People, chunk: int, rng: np.random.Generator, rnd: random.Random
) -> tuple[Rows, Orders]:
    """Line items for every order of the chunk's people, sorted by order time."""
    archs = SCENARIO_ARCHETYPES["retail"]
    seasonal = np.array([a.rhythm == "seasonal" for a in archs])[people.arch]
    everyone = np.arange(people.n)
    p1, t1 = _regular_times(rng, people, everyone[~seasonal])
    p2, t2 = _seasonal_times(rng, people, everyone[seasonal])
    who = np.concatenate([p1, p2])
    t = np.concatenate([t1, t2])
    t = place_in_day(rng, t, people.probs["hours"][who], people.probs["weekdays"][who])
    order = np.argsort(t, kind="stable")
    who, t = who[order], t[order]
    no = len(who)
    channel = pick(rng, people.probs["channels"][who])
    nlines = 1 + np.minimum(rng.poisson(people.p("extra_lines")[who]), 5)
    lp = np.repeat(np.arange(no), nlines)
    lwho = who[lp]
    cat = pick(rng, people.probs["categories"][lwho])
    prod = _CAT_START[cat] + (rng.random(len(lp)) * _CAT_COUNT[cat]).astype("int64")
    qty = 1 + np.minimum(rng.poisson(people.p("extra_qty")[lwho]), 4)
    uk = people.uk[lwho]
    price = np.where(uk, np.round(PRICES[prod] * 0.85, 2), PRICES[prod])
    coupon = rng.random(no) < people.p("coupon_rate")[who]
    archs_lo = np.array([a.discount[0] for a in archs])[people.arch[lwho]]
    archs_hi = np.array([a.discount[1] for a in archs])[people.arch[lwho]]
    disc = np.where(
        coupon[lp],
        np.round(price * qty * (archs_lo + rng.random(len(lp)) * (archs_hi - archs_lo)), 2),
        0.0,
    )
    cancelled = rng.random(no) < people.p("cancel_rate")[who]
    returned = rng.random(len(lp)) < people.p("return_rate")[lwho]
    status = np.where(cancelled[lp], 2, np.where(returned, 1, 0))
    revenue = np.bincount(lp, weights=price * qty - disc, minlength=no)
    order_ids = [f"ORD-{chunk + 1:03d}{k:06d}" for k in range(no)]
    # ---- identifiers per order
    guest = t < people.created_ts[who]
    r = rng.random((no, 6))
    has_email = np.where(
        guest, r[:, 0] < 0.85, np.where(channel == 1, r[:, 0] < 0.3, r[:, 0] < 0.85)
    )
    has_phone = np.where(guest & ~has_email, True, r[:, 1] < 0.25)
    phone_txt = phones(people, who, rng, style_bias=0)
    cid, email, phone = [], [], []
    rl = r.tolist()
    for k, (i, g) in enumerate(zip(who.tolist(), guest.tolist(), strict=True)):
        q = rl[k]
        c = "" if g else people.customer_id[i]
        e = email_variant(people.email[i], rnd, 0.15, 0.05) if has_email[k] else ""
        ph = phone_txt[k] if has_phone[k] else ""
        if q[2] < 0.003 and e:
            c = rnd.choice(JUNK_IDS)
        elif q[2] < 0.006 and c:
            e = rnd.choice(JUNK_EMAILS)
        elif q[2] < 0.008 and (c or e):
            ph = JUNK_PHONE
        cid.append(c)
        email.append(e)
        phone.append(ph)
    chan_names = ["online", "store", "app"]
    pay = rng.integers(0, len(PAYMENT_METHODS), no).tolist()
    coupon_code = rng.integers(0, len(RETAIL_COUPONS), no).tolist()
    date_fmt = rng.choice([TS_SPACE, TS_US_DT, TS_ISO_Z], no, p=[0.7, 0.15, 0.15])
    date_txt = fmt_ts(t, date_fmt)
    ukl = uk.tolist()
    sym = ["£" if u else "$" for u in ukl]
    lpl, prodl, qtyl = lp.tolist(), prod.tolist(), qty.tolist()
    rank = (rank_in_group(nlines) + 1).tolist()
    chl = channel.tolist()
    whol = who.tolist()
    statuses = ["completed", "returned", "cancelled"]
    dr = rng.random(len(lp)).tolist()
    cols = [
        [order_ids[o] for o in lpl],
        [str(x) for x in rank],
        [date_txt[o] for o in lpl],
        [cid[o] for o in lpl],
        [email[o] for o in lpl],
        [phone[o] for o in lpl],
        [PRODUCTS[p].sku for p in prodl],
        [PRODUCTS[p].name for p in prodl],
        [PRODUCTS[p].category for p in prodl],
        [str(x) for x in qtyl],
        _price_text(price.tolist(), sym, rng.random(len(lp)).tolist()),
        [f"{d:.2f}" if d > 0 or q > 0.2 else "" for d, q in zip(disc.tolist(), dr, strict=True)],
        ["GBP" if u else "USD" for u in ukl],
        [chan_names[chl[o]] for o in lpl],
        [people.home_store[whol[o]] if chl[o] == 1 else "" for o in lpl],
        [statuses[s] for s in status.tolist()],
        [RETAIL_COUPONS[coupon_code[o]] if coupon[o] else "" for o in lpl],
        [("cash" if chl[o] == 1 and pay[o] == 5 else PAYMENT_METHODS[pay[o]]) for o in lpl],
    ]
    rows = Rows("orders", list(ORDER_COLUMNS), cols, [people.pid[i] for i in lwho.tolist()])
    info = Orders(
        person=who,
        ts=t,
        order_id=order_ids,
        channel=channel,
        revenue=revenue,
        line_start=groups_start(nlines),
        line_count=nlines,
        line_product=prod,
        line_qty=qty,
        line_price=price,
        status=cancelled.astype("int64"),
    )
    return rows, info


def saas_invoices(people: People, chunk: int, rng: np.random.Generator, rnd: random.Random) -> Rows:
    """Monthly or annual invoices per paying account; Customer ID is the Account ID."""
    acc = people.acc
    paying = np.nonzero(acc.plan > 0)[0]
    first = np.maximum(acc.created_ts[paying], START_TS)
    # align to the account's billing anniversary inside the window
    period = np.where(acc.annual[paying], 365 * DAY, 30 * DAY + 10 * 3600)
    offset = (first - acc.created_ts[paying]) % period
    first = first + np.where(offset > 0, period - offset, 0)
    end = np.minimum(acc.churn_ts[paying], END_TS)
    count = np.where(first <= end, (end - first) // period + 1, 0).astype("int64")
    inv_acc = np.repeat(paying, count)
    k = rank_in_group(count)
    inv_ts = (
        np.repeat(first, count) + k * np.repeat(period, count) + rng.integers(0, 6 * 3600, len(k))
    )
    order = np.argsort(inv_ts, kind="stable")
    inv_acc, inv_ts, k = inv_acc[order], inv_ts[order], k[order]
    last = (k == np.repeat(count, count)[order] - 1) & (acc.churn_ts[inv_acc] <= END_TS)
    n_inv = len(inv_acc)
    addon = rng.random(acc.n) < 0.3
    addon_kind = rng.integers(0, len(SAAS_ADDONS), acc.n)
    nlines = 1 + addon[inv_acc].astype("int64")
    lp = np.repeat(np.arange(n_inv), nlines)
    line_no = rank_in_group(nlines)
    la = inv_acc[lp]
    archs = SCENARIO_ARCHETYPES["saas"]
    startup = np.array([a.key == "scaling_startup" for a in archs])[acc.arch[la]]
    plan = acc.plan[la]
    annual = acc.annual[la]
    frac = np.clip((inv_ts[lp] - START_TS) / (END_TS - START_TS), 0, 1)
    seats = np.where(
        startup, np.maximum(2, np.round(acc.seats[la] * (0.5 + 0.5 * frac))), acc.seats[la]
    ).astype("int64")
    seat_price = np.array([PLAN_SEAT_PRICE[p] for p in SAAS_PLANS])[plan]
    unit = np.where(annual, np.round(seat_price * 12 * 0.85, 2), seat_price)
    addon_price = np.array([a[2] for a in SAAS_ADDONS])[addon_kind[la]]
    is_addon = line_no == 1
    unit = np.where(is_addon, np.where(annual, addon_price * 12, addon_price), unit)
    qty = np.where(is_addon, 1, seats)
    disc = np.where((plan == 3) & ~is_addon, np.round(unit * qty * 0.15, 2), 0.0)
    inv_ids = [f"INV-{chunk + 1:03d}{x:06d}" for x in range(n_inv)]
    status = np.where(
        last[lp] & (rng.random(len(lp)) < 0.4),
        "returned",
        np.where(rng.random(len(lp)) < 0.01, "cancelled", "completed"),
    )
    uk = acc.uk[la]
    billing = acc.billing[la]
    em = [email_variant(people.email[b], rnd, 0.1, 0.03) for b in billing.tolist()]
    date_txt = fmt_ts(inv_ts, rng.choice([TS_SPACE, TS_ISO_Z], n_inv, p=[0.6, 0.4]))
    kinds = addon_kind[la].tolist()
    sales = acc.sales[la].tolist()
    first_k = k[lp].tolist()
    pay = rng.integers(0, 3, len(lp)).tolist()
    lpl = lp.tolist()
    cols = [
        [inv_ids[o] for o in lpl],
        [str(x + 1) for x in line_no.tolist()],
        [date_txt[o] for o in lpl],
        [acc.account_id[a] for a in la.tolist()],
        em,
        [""] * len(lp),
        [
            SAAS_ADDONS[kd][0] if ad else f"plan_{SAAS_PLANS[p]}_{'annual' if an else 'monthly'}"
            for kd, ad, p, an in zip(
                kinds, is_addon.tolist(), plan.tolist(), annual.tolist(), strict=True
            )
        ],
        [
            SAAS_ADDONS[kd][1]
            if ad
            else f"Tallyboard {SAAS_PLANS[p].title()} seats ({'annual' if an else 'monthly'})"
            for kd, ad, p, an in zip(
                kinds, is_addon.tolist(), plan.tolist(), annual.tolist(), strict=True
            )
        ],
        ["add-on" if ad else "subscription" for ad in is_addon.tolist()],
        [str(q) for q in qty.tolist()],
        _price_text(
            unit.tolist(), ["£" if u else "$" for u in uk.tolist()], rng.random(len(lp)).tolist()
        ),
        [f"{d:.2f}" for d in disc.tolist()],
        ["GBP" if u else "USD" for u in uk.tolist()],
        ["sales" if s else "online" for s in sales],
        [""] * len(lp),
        status.tolist(),
        [
            "STARTUP50" if st and fk < 3 else ""
            for st, fk in zip(startup.tolist(), first_k, strict=True)
        ],
        [
            ("invoice", "ach", "wire")[p] if s else ("visa", "mastercard", "amex")[p]
            for p, s in zip(pay, sales, strict=True)
        ],
    ]
    return Rows(
        "orders",
        list(ORDER_COLUMNS),
        cols,
        [people.pid[b] for b in billing.tolist()],
        [acc.account_id[a] for a in la.tolist()],
    )
