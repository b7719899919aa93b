"""The customer's own words: support tickets, product reviews and social posts."""

from __future__ import annotations

import random
import zlib

import numpy as np

from personae.demo.archetypes import SCENARIO_ARCHETYPES
from personae.demo.catalog import SAAS_PRODUCTS
from personae.demo.commerce import _CAT_COUNT, _CAT_START, PRODUCTS
from personae.demo.common import (
    DAY,
    TS_DATE,
    TS_ISO_MS_Z,
    TS_ISO_OFFSET,
    TS_ISO_Z,
    Rows,
    fmt_ts,
    pick,
    place_in_day,
)
from personae.demo.mess import BadSpec, email_variant, phone_variant
from personae.demo.people import People
from personae.demo.text import TextMaker

TICKET_KEYS = [
    "ticket_id",
    "created_at",
    "requester_email",
    "customer_id",
    "channel",
    "subject",
    "body",
    "category",
    "priority",
    "status",
    "resolved_at",
    "satisfaction",
]
TICKET_BAD = [
    BadSpec("missing_required", "ticket_id"),
    BadSpec("bad_timestamp", "created_at"),
    BadSpec("out_of_range", "satisfaction", "sat"),
]
REVIEW_COLUMNS = [
    "Review ID",
    "Created At",
    "Customer ID",
    "Email",
    "Product ID",
    "Rating",
    "Title",
    "Body",
    "Platform",
    "Verified Purchase",
]
REVIEW_BAD = [
    BadSpec("missing_required", "Review ID"),
    BadSpec("bad_timestamp", "Created At"),
    BadSpec("bad_number", "Rating", "rating"),
    BadSpec("out_of_range", "Rating", "rating"),
]
SOCIAL_KEYS = ["post_id", "created_at", "handle", "platform", "text", "url", "likes"]
SOCIAL_BAD = [
    BadSpec("missing_required", "post_id"),
    BadSpec("bad_timestamp", "created_at"),
    BadSpec("bad_number", "likes"),
]

_SAAS_PRODUCT_NAMES = {p: p.replace("-", " ").title() for p in SAAS_PRODUCTS}


def _times(rng, people: People, who: np.ndarray) -> np.ndarray:
    a0 = np.maximum(people.created_ts[who], people.active_start[who])
    a1 = np.maximum(people.active_end[who], a0 + DAY)
    t = a0 + (rng.random(len(who)) * (a1 - a0)).astype("int64")
    return place_in_day(rng, t, people.probs["hours"][who], people.probs["weekdays"][who])


def _products(rng, people: People, who: np.ndarray) -> tuple[list[str], list[str]]:
    """(product id, display name) each person plausibly bought."""
    if people.scenario == "saas":
        k = rng.integers(0, len(SAAS_PRODUCTS), len(who)).tolist()
        return [SAAS_PRODUCTS[i] for i in k], [_SAAS_PRODUCT_NAMES[SAAS_PRODUCTS[i]] for i in k]
    cat = pick(rng, people.probs["categories"][who])
    prod = (_CAT_START[cat] + rng.random(len(who)) * _CAT_COUNT[cat]).astype("int64").tolist()
    return [PRODUCTS[p].sku for p in prod], [PRODUCTS[p].name for p in prod]


def _arch_key(people: People, i: int, rnd: random.Random) -> str:
    archs = SCENARIO_ARCHETYPES[people.scenario]
    if people.mixw[i] > 0 and rnd.random() < people.mixw[i]:
        return archs[int(people.arch2[i])].key
    return archs[int(people.arch[i])].key


# Customers paste their contact details and name people in what they write; the demo does
# too, so quote selection is tested against real shapes of PII. Decided by a hash of the
# record id (not the shared random streams), so planting changes no other value.
PII_TICKET_PERCENT = 10
PII_REVIEW_PERCENT = 5


def _pii_sentence(people: People, i: int, key: str, review: bool) -> str:
    """A sentence with personal data for some records (by hash of ``key``), else ""."""
    h = zlib.crc32(key.encode())
    if h % 100 >= (PII_REVIEW_PERCENT if review else PII_TICKET_PERCENT):
        return ""
    phone = phone_variant(people.phone_area[i], people.phone_line[i], bool(people.uk[i]), 0)
    first, last, email = people.first[i], people.last[i], people.email[i]
    other = people.first[(i + 1 + h % 97) % people.n]
    if review:
        return [
            f" {other} at the store was so helpful.",
            f" Ask for {other}, she knows everything!",
            f" - {first} {last}",
        ][(h // 100) % 3]
    return [
        f" You can reach me at {email} or {phone}.",
        f" This is {first} {last}, please call me back on {phone}.",
        f" My email is {email} if you need it.",
        f" {other} on the phone promised a call back. {first}",
        f" Paid with card {4000_0000_0000_0000 + h % 10**12:016d}, please check.",
    ][(h // 100) % 5]


def _account(people: People, idx: list[int]) -> list[str] | None:
    if people.scenario != "saas":
        return None
    return [people.acc.account_id[int(people.account[i])] for i in idx]


def tickets(
    people: People, chunk: int, rng: np.random.Generator, rnd: random.Random, text: TextMaker
) -> Rows:
    archs = SCENARIO_ARCHETYPES[people.scenario]
    rate = people.p("ticket_rate")
    if people.scenario == "saas":  # tickets are an account-level burden spread over contacts
        rate = rate / np.sqrt(people.acc.n_contacts[people.account])
    has = rng.random(people.n) < rate
    k = np.where(has, 1 + rng.poisson(np.maximum(people.p("tickets_mean") - 1, 0)), 0)
    who = np.repeat(np.arange(people.n), k)
    t = _times(rng, people, who)
    order = np.argsort(t, kind="stable")
    who, t = who[order], t[order]
    m = len(who)
    _, pnames = _products(rng, people, who)
    offs = np.where(people.uk[who], rng.choice([0, 1], m), rng.choice([-8, -7, -5, -4], m))
    created = fmt_ts(t, rng.choice([TS_ISO_OFFSET, TS_ISO_Z], m, p=[0.7, 0.3]), rng, offs)
    resolve = t + rng.integers(600, 5 * DAY, m)
    resolved = fmt_ts(resolve, TS_ISO_Z)
    nps = np.array([a.nps[0] for a in archs])[people.arch[who]]
    sat = np.clip(np.round(nps / 2 + rng.normal(0, 0.8, m)), 1, 5).astype(int).tolist()
    age = ((t - people.birth_ts[who]) / (365.25 * DAY)).tolist()
    cols: list[list] = [[] for _ in TICKET_KEYS]
    for j, i in enumerate(who.tolist()):
        ak = _arch_key(people, i, rnd)
        cat = text.ticket_category(ak)
        subject, body = text.ticket(ak, cat, pnames[j])
        body += _pii_sentence(people, i, f"TCK-{chunk + 1:03d}{j:05d}", review=False)
        r = rnd.random()
        channel = (
            ("phone" if r < 0.6 else "email")
            if age[j] > 60
            else ("chat" if r < 0.45 else ("email" if r < 0.9 else "phone"))
        )
        status = rnd.choices(["solved", "closed", "open", "pending"], [0.55, 0.3, 0.1, 0.05])[0]
        done = status in ("solved", "closed")
        vals = (
            f"TCK-{chunk + 1:03d}{j:05d}",
            created[j],
            email_variant(people.email[i], rnd, 0.15, 0.05),
            people.customer_id[i] if rnd.random() < 0.6 else None,
            channel,
            subject,
            body,
            cat,
            rnd.choices(["low", "normal", "high", "urgent"], [0.25, 0.5, 0.2, 0.05])[0],
            status,
            resolved[j] if done else None,
            sat[j] if done and rnd.random() < 0.6 else None,
        )
        for c, v in zip(cols, vals, strict=True):
            c.append(v)
    wl = who.tolist()
    return Rows(
        "support_tickets",
        list(TICKET_KEYS),
        cols,
        [people.pid[i] for i in wl],
        _account(people, wl),
    )


def reviews(
    people: People, chunk: int, rng: np.random.Generator, rnd: random.Random, text: TextMaker
) -> Rows:
    archs = SCENARIO_ARCHETYPES[people.scenario]
    has = rng.random(people.n) < people.p("review_rate")
    k = np.where(has, 1 + rng.poisson(0.5, people.n), 0)
    who = np.repeat(np.arange(people.n), k)
    t = _times(rng, people, who)
    order = np.argsort(t, kind="stable")
    who, t = who[order], t[order]
    m = len(who)
    pids, pnames = _products(rng, people, who)
    mu = np.array([a.rating[0] for a in archs])[people.arch[who]]
    sd = np.array([a.rating[1] for a in archs])[people.arch[who]]
    rating = np.clip(np.round(rng.normal(mu, sd)), 1, 5).astype(int).tolist()
    created = fmt_ts(t, rng.choice([TS_DATE, TS_ISO_Z], m, p=[0.6, 0.4]))
    platforms = (
        ["website", "trustpilot", "google", "app_store"]
        if people.scenario == "retail"
        else ["G2", "Capterra", "TrustRadius"]
    )
    cols: list[list] = [[] for _ in REVIEW_COLUMNS]
    for j, i in enumerate(who.tolist()):
        title, body = text.review(_arch_key(people, i, rnd), rating[j], pnames[j])
        body += _pii_sentence(people, i, f"RV-{chunk + 1:03d}{j:05d}", review=True)
        vals = (
            f"RV-{chunk + 1:03d}{j:05d}",
            created[j],
            people.customer_id[i] if rnd.random() < 0.5 else "",
            email_variant(people.email[i], rnd, 0.2, 0.03) if rnd.random() < 0.6 else "",
            pids[j],
            str(rating[j]),
            title,
            body,
            rnd.choice(platforms),
            rnd.choice(["yes", "no", "Y", "true"]) if rnd.random() < 0.9 else "no",
        )
        for c, v in zip(cols, vals, strict=True):
            c.append(v)
    wl = who.tolist()
    return Rows(
        "reviews", list(REVIEW_COLUMNS), cols, [people.pid[i] for i in wl], _account(people, wl)
    )


def social(
    people: People, chunk: int, rng: np.random.Generator, rnd: random.Random, text: TextMaker
) -> Rows:
    k = np.where(people.poster, 1 + rng.poisson(1.5, people.n), 0)
    who = np.repeat(np.arange(people.n), k)
    t = _times(rng, people, who)
    order = np.argsort(t, kind="stable")
    who, t = who[order], t[order]
    m = len(who)
    created = fmt_ts(t, rng.choice([TS_ISO_Z, TS_ISO_MS_Z], m))
    likes = np.round(rng.lognormal(2.5, 1.2, m)).astype(int).tolist()
    platforms = (
        ["instagram", "tiktok", "x", "facebook"]
        if people.scenario == "retail"
        else ["linkedin", "x"]
    )
    hosts = {
        "instagram": "www.instagram.com/p/",
        "tiktok": "www.tiktok.com/@{h}/video/",
        "x": "x.com/{h}/status/",
        "facebook": "www.facebook.com/posts/",
        "linkedin": "www.linkedin.com/posts/",
    }
    codes = rng.integers(10**9, 10**10, m).tolist()
    unlinked: dict[int, str] = {}
    cols: list[list] = [[] for _ in SOCIAL_KEYS]
    for j, i in enumerate(who.tolist()):
        h = people.handle[i]
        if not h:
            h = unlinked.setdefault(
                i, f"{people.first[i].lower()}{rnd.randrange(10, 99)}_{people.pid[i][-5:]}"
            )
        plat = rnd.choice(platforms)
        url = "https://" + hosts[plat].format(h=h) + str(codes[j])
        vals = (
            f"SP-{chunk + 1:03d}{j:05d}",
            created[j],
            "@" + h,
            plat,
            text.social(_arch_key(people, i, rnd)),
            url,
            likes[j],
        )
        for c, v in zip(cols, vals, strict=True):
            c.append(v)
    wl = who.tolist()
    return Rows(
        "social_posts", list(SOCIAL_KEYS), cols, [people.pid[i] for i in wl], _account(people, wl)
    )
