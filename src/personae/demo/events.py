"""Segment Spec web/app events: anonymous browsing, identify on login, commerce tracking,
product usage for SaaS, plus shared household/office devices and exact re-sends.

Nested objects (properties, traits, context) are assembled as JSON text from pre-built
fragments; values are our own safe strings, and anything user-typed goes through
``json.dumps``. That keeps ten-plus million events affordable.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import numpy as np

from personae.demo.archetypes import DEVICES
from personae.demo.catalog import (
    RETAIL_DOMAIN,
    SAAS_DOMAIN,
    SAAS_FEATURES,
    SAAS_PLANS,
    SAAS_SITE,
)
from personae.demo.commerce import _CAT_COUNT, _CAT_START, PRODUCTS, Orders
from personae.demo.common import (
    DAY,
    START_TS,
    TS_ISO_MS_Z,
    TS_ISO_OFFSET,
    Rows,
    fmt_ts,
    pick,
    place_in_day,
    uuids,
)
from personae.demo.mess import BadSpec, email_variant, phone_variant
from personae.demo.people import People

EVENT_COLUMNS = [
    "message_id",
    "type",
    "user_id",
    "anonymous_id",
    "event",
    "name",
    "properties",
    "traits",
    "context",
    "timestamp",
    "sent_at",
    "received_at",
    "previous_id",
    "group_id",
]
JSON_KEYS = [
    "messageId",
    "type",
    "userId",
    "anonymousId",
    "event",
    "name",
    "properties",
    "traits",
    "context",
    "timestamp",
    "sentAt",
    "receivedAt",
    "previousId",
    "groupId",
]
RAW = [c in ("properties", "traits", "context") for c in EVENT_COLUMNS]
BAD_JSONL = [BadSpec("missing_required", "messageId"), BadSpec("bad_timestamp", "timestamp")]
BAD_PARQUET = [BadSpec("missing_required", "message_id"), BadSpec("bad_timestamp", "timestamp")]

_UA = {
    ("mobile", 0): (
        "iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
        "Safari/604.1",
    ),
    ("mobile", 1): (
        "Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    ),
    ("desktop", 0): (
        "Mac OS X",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
        "Safari/605.1.15",
    ),
    ("desktop", 1): (
        "Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ),
    ("tablet", 0): (
        "iPadOS",
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ),
    ("tablet", 1): (
        "Android",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ),
}
_REFERRERS = {
    "google": "https://www.google.com/",
    "bing": "https://www.bing.com/",
    "facebook": "https://l.facebook.com/",
    "instagram": "https://l.instagram.com/",
    "tiktok": "https://www.tiktok.com/",
    "linkedin": "https://www.linkedin.com/",
    "producthunt": "https://www.producthunt.com/",
}
_PRODUCT_BODY = [
    f'"product_id":"{p.sku}","sku":"{p.sku}","name":{json.dumps(p.name)},'
    f'"category":"{p.category}","price":{p.price}'
    for p in PRODUCTS
]


@dataclass
class EventBuf:
    """Column lists for events plus the truth and a numeric clock for sorting."""

    cols: list[list] = field(default_factory=lambda: [[] for _ in EVENT_COLUMNS])
    ts: list[int] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    account: list[str] = field(default_factory=list)

    def add(
        self,
        kind: str,
        uid,
        anon,
        event,
        name,
        props,
        traits,
        ctx,
        ts: int,
        pid: str,
        acc: str = "",
        previous=None,
        group=None,
    ) -> None:
        c = self.cols
        c[1].append(kind)
        c[2].append(uid)
        c[3].append(anon)
        c[4].append(event)
        c[5].append(name)
        c[6].append(props)
        c[7].append(traits)
        c[8].append(ctx)
        c[12].append(previous)
        c[13].append(group)
        self.ts.append(ts)
        self.person.append(pid)
        self.account.append(acc)


@dataclass
class Click:
    person: int
    ts: int
    campaign: str
    url: str


def _device_tail(rng, people: People) -> tuple[list[str], list[str], list[str], list[str]]:
    """Per person: context tails for the primary and secondary device, and device names."""
    n = people.n
    os_pick = rng.integers(0, 2, (n, 2)).tolist()
    ip = rng.integers(1, 255, (n, 2)).tolist()
    nets = ["203.0.113", "198.51.100", "192.0.2"]
    tails, tails2, names, names2 = [], [], [], []
    for i in range(n):
        for slot, (dev, out, nm) in enumerate(
            ((people.dev[i], tails, names), (people.dev2[i], tails2, names2))
        ):
            if dev < 0:
                out.append("")
                nm.append("")
                continue
            dname = DEVICES[dev]
            os_name, ua = _UA[(dname, os_pick[i][slot])]
            out.append(
                f'"device":{{"type":"{dname}"}},"os":{{"name":"{os_name}"}},'
                f'"userAgent":"{ua}","ip":"{nets[ip[i][slot] % 3]}.{ip[i][slot]}"'
            )
            nm.append(dname)
    # Shared devices keep the owner's context so the fingerprint matches too.
    for i in range(1, n):
        if people.anon[i] == people.anon[i - 1]:
            tails[i], names[i] = tails[i - 1], names[i - 1]
    return tails, tails2, names, names2


def _consent_json(people: People, i: int) -> str:
    a, p, d = (people.consent[k][i] for k in range(3))
    if not (a and p and d):
        return ""
    t = {"yes": "true", "no": "false"}
    return (
        f',"consent":{{"categoryPreferences":{{"Analytics":{t[a]},'
        f'"Advertising":{t[d]},"Personalization":{t[p]}}}}}'
    )


class _Ctx:
    """Builds context JSON for one chunk."""

    def __init__(self, people: People, rng, host: str) -> None:
        self.tails, self.tails2, self.names, self.names2 = _device_tail(rng, people)
        self.consent = [_consent_json(people, i) for i in range(people.n)]
        self.host = host

    def page(
        self,
        i: int,
        slot: int,
        path: str,
        title: str,
        referrer: str = "",
        campaign: tuple | None = None,
        consent: bool = False,
        host: str | None = None,
    ) -> tuple[str, str]:
        url = f"https://{host or self.host}{path}"
        camp = ""
        if campaign is not None:
            _, src, med, name = campaign
            url += f"?utm_source={src}&utm_medium={med}&utm_campaign={name}"
            camp = f',"campaign":{{"source":"{src}","medium":"{med}","name":"{name}"}}'
            referrer = referrer or _REFERRERS.get(src, "")
        tail = self.tails2[i] if slot else self.tails[i]
        ctx = (
            f'{{"page":{{"url":"{url}","path":"{path}","referrer":"{referrer}",'
            f'"title":{json.dumps(title)}}}{camp},{tail}'
            f"{self.consent[i] if consent else ''}}}"
        )
        props = f'{{"path":"{path}","url":"{url}","title":{json.dumps(title)}}}'
        return ctx, props

    def bare(self, i: int, slot: int, consent: bool = False) -> str:
        tail = self.tails2[i] if slot else self.tails[i]
        return f"{{{tail}{self.consent[i] if consent else ''}}}"


def _sessions(rng, people: People, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Browse sessions at each person's usual hours, plus visits before signing up."""
    k = rng.poisson(rate)
    who = np.repeat(np.arange(people.n), k)
    a0, a1 = people.active_start[who], people.active_end[who]
    t = a0 + (rng.random(len(who)) * (a1 - a0)).astype("int64")
    t = place_in_day(rng, t, people.probs["hours"][who], people.probs["weekdays"][who])
    created = people.created_ts
    fresh = created > START_TS + 3 * DAY
    kp = np.where(fresh, 1 + rng.poisson(0.4, people.n), 0)
    wp = np.repeat(np.arange(people.n), kp)
    tp = created[wp] - (rng.random(len(wp)) * 20 * DAY).astype("int64") - 600
    tp = place_in_day(rng, tp, people.probs["hours"][wp])
    early = (tp >= created[wp]) | (tp < START_TS)
    tp = np.where(
        early, START_TS + (rng.random(len(wp)) * (created[wp] - START_TS - 600)).astype("int64"), tp
    )
    return np.concatenate([who, wp]), np.concatenate([t, tp])


def _identity(people: People, rnd: random.Random, i: int, saas: bool) -> str:
    e = email_variant(people.email[i], rnd, 0.1, 0.0)
    d = {"email": e, "firstName": people.first[i], "lastName": people.last[i]}
    if saas:
        acc = people.acc
        a = int(people.account[i])
        d["company"] = acc.name[a]
        d["title"] = people.title[i]
    elif rnd.random() < 0.5:
        d["phone"] = phone_variant(
            people.phone_area[i], people.phone_line[i], bool(people.uk[i]), 0
        )
    return json.dumps(d, separators=(",", ":"))


def build_events(
    people: People,
    rng: np.random.Generator,
    rnd: random.Random,
    orders: Orders | None,
    clicks: list[Click],
    mats,
) -> Rows:
    """All events of the chunk (sorted by time), before duplicates and batching."""
    saas = people.scenario == "saas"
    ctx = _Ctx(people, rng, SAAS_SITE if saas else RETAIL_DOMAIN)
    buf = EventBuf()
    n = people.n
    content = mats.content_names
    camps = mats.campaigns
    # ---- plan sessions: (person, start, kind, ref)
    rate = people.p("browse_sessions")
    bw, bt = _sessions(rng, people, rate)
    kinds = [np.zeros(len(bw), dtype="int64")]
    whos, ts, refs = [bw], [bt], [np.full(len(bw), -1)]
    if orders is not None:
        tracked = (orders.channel != 1) & (rng.random(len(orders.person)) < 0.25)
        oi = np.nonzero(tracked)[0]
        whos.append(orders.person[oi])
        ts.append(np.maximum(orders.ts[oi] - rng.integers(180, 1200, len(oi)), START_TS))
        kinds.append(np.ones(len(oi), dtype="int64"))
        refs.append(oi)
    if clicks:
        whos.append(np.array([c.person for c in clicks]))
        ts.append(np.array([c.ts for c in clicks]))
        kinds.append(np.full(len(clicks), 2))
        refs.append(np.arange(len(clicks)))
    who = np.concatenate(whos)
    start = np.concatenate(ts)
    kind = np.concatenate(kinds)
    ref = np.concatenate(refs)
    order = np.lexsort((start, who))
    who, start, kind, ref = who[order], start[order], kind[order], ref[order]
    m = len(who)
    slot = np.where((people.dev2[who] >= 0) & (rng.random(m) < 0.35), 1, 0)
    section = pick(rng, people.probs["content"][who])
    camp = pick(rng, people.probs["utm"][who])
    use_camp = rng.random(m) < 0.35
    nextra = rng.integers(0, 3, m)
    if saas:
        extra_pick = np.stack([pick(rng, people.probs["features"][who]) for _ in range(3)], 1)
    else:
        cat = np.stack([pick(rng, people.probs["categories"][who]) for _ in range(2)], 1)
        extra_pick = _CAT_START[cat] + (rng.random(cat.shape) * _CAT_COUNT[cat]).astype("int64")
    extra_l = extra_pick.tolist()
    junk_uid = rng.random(n) < 0.005
    alias = rng.random(n) < 0.03
    consent_on = rng.random(m) < 0.3
    seen: set[tuple[int, int]] = set()
    acc_id = people.acc.account_id if saas else None
    pid = people.pid
    rl = rng.random((m, 4)).tolist()
    for s in range(m):
        i = int(who[s])
        t = int(start[s])
        sl = int(slot[s])
        k = int(kind[s])
        anon = people.anon2[i] if sl else people.anon[i]
        acc = acc_id[int(people.account[i])] if saas else ""
        logged_in = t >= people.created_ts[i]
        uid = None
        cons = bool(consent_on[s])
        if logged_in:
            if (i, sl) not in seen:
                seen.add((i, sl))
                traits = _identity(people, rnd, i, saas)
                buf.add(
                    "identify",
                    people.customer_id[i],
                    anon,
                    None,
                    None,
                    None,
                    traits,
                    ctx.bare(i, sl, cons),
                    t,
                    pid[i],
                    acc,
                )
                if alias[i]:
                    buf.add(
                        "alias",
                        people.customer_id[i],
                        anon,
                        None,
                        None,
                        None,
                        None,
                        ctx.bare(i, sl),
                        t + 1,
                        pid[i],
                        acc,
                        previous=anon,
                    )
                if saas:
                    a = people.acc
                    ai = int(people.account[i])
                    gtraits = json.dumps(
                        {
                            "name": a.name[ai],
                            "industry": a.industry[ai],
                            "employees": int(a.employees[ai]),
                            "plan": SAAS_PLANS[int(a.plan[ai])],
                        },
                        separators=(",", ":"),
                    )
                    buf.add(
                        "group",
                        people.customer_id[i],
                        anon,
                        None,
                        None,
                        None,
                        gtraits,
                        ctx.bare(i, sl),
                        t + 2,
                        pid[i],
                        acc,
                        group=acc,
                    )
                t += 3
            uid = "anonymous" if junk_uid[i] else people.customer_id[i]
        mobile_app = (ctx.names2[i] if sl else ctx.names[i]) != "desktop" and logged_in
        if k == 2:  # e-mail click lands on the site
            c = clicks[int(ref[s])]
            path = c.url.split("://", 1)[1].split("/", 1)[1] if "/" in c.url[8:] else ""
            cx, pr = ctx.page(
                i,
                sl,
                "/" + path,
                "Greenleaf" if not saas else "Tallyboard",
                campaign=("email", "newsletter", "email", c.campaign),
                consent=cons,
            )
            props = json.dumps(
                {"campaign_id": c.campaign, "link_url": c.url}, separators=(",", ":")
            )
            buf.add("track", uid, anon, "Email Link Clicked", None, props, None, cx, t, pid[i], acc)
            buf.add("page", uid, anon, None, "Landing", pr, None, cx, t + 2, pid[i], acc)
            continue
        if k == 1:
            _order_session(
                buf,
                ctx,
                orders,
                int(ref[s]),
                i,
                sl,
                uid,
                anon,
                t,
                pid[i],
                mobile_app and orders.channel[int(ref[s])] == 2,
                rl[s],
                cons,
                people.uk[i],
            )
            continue
        sec = content[int(section[s])]
        cp = camps[int(camp[s])] if (use_camp[s] or not logged_in) else None
        if saas:
            _saas_session(
                buf,
                ctx,
                people,
                i,
                sl,
                uid,
                anon,
                t,
                pid[i],
                acc,
                sec,
                cp,
                logged_in,
                mobile_app,
                int(nextra[s]),
                extra_l[s],
                rl[s],
                cons,
            )
        else:
            _retail_browse(
                buf,
                ctx,
                people,
                i,
                sl,
                uid,
                anon,
                t,
                pid[i],
                sec,
                cp,
                mobile_app,
                int(nextra[s]),
                extra_l[s],
                rl[s],
                cons,
            )
    nev = len(buf.ts)
    ts_arr = np.array(buf.ts, dtype="int64")
    buf.cols[0] = uuids(rng, nev)
    fmt = np.where(rng.random(nev) < 0.9, TS_ISO_MS_Z, TS_ISO_OFFSET)
    offs = rng.choice([-7, -5, -4, 0, 1], nev)
    buf.cols[9] = fmt_ts(ts_arr, fmt, rng, offs)
    sent = ts_arr + rng.integers(1, 4, nev)  # whole seconds apart so random ms keep order
    buf.cols[10] = fmt_ts(sent, TS_ISO_MS_Z, rng)
    buf.cols[11] = fmt_ts(sent + rng.integers(1, 3, nev), TS_ISO_MS_Z, rng)
    rows = Rows("events", list(EVENT_COLUMNS), buf.cols, buf.person, buf.account if saas else None)
    rows.reorder(np.argsort(ts_arr, kind="stable"))
    return rows


def _order_session(
    buf, ctx, orders: Orders, o: int, i, sl, uid, anon, t, pid, app, r, cons, uk
) -> None:
    ls, lc = int(orders.line_start[o]), int(orders.line_count[o])
    prods = orders.line_product[ls : ls + lc].tolist()
    qtys = orders.line_qty[ls : ls + lc].tolist()
    p0 = prods[0]
    prod = PRODUCTS[p0]
    pbody = _PRODUCT_BODY[p0]
    if app:
        cx = ctx.bare(i, sl, cons)
        buf.add(
            "screen",
            uid,
            anon,
            None,
            "Product Detail",
            f'{{"product_id":"{prod.sku}"}}',
            None,
            cx,
            t,
            pid,
        )
    else:
        cx, pr = ctx.page(i, sl, f"/products/{prod.sku.lower()}", prod.name, consent=cons)
        buf.add("page", uid, anon, None, "Product", pr, None, cx, t, pid)
    buf.add("track", uid, anon, "Product Viewed", None, "{" + pbody + "}", None, cx, t + 20, pid)
    buf.add(
        "track",
        uid,
        anon,
        "Product Added",
        None,
        "{" + pbody + f',"quantity":{qtys[0]}}}',
        None,
        cx,
        t + 45,
        pid,
    )
    rev = round(float(orders.revenue[o]), 2)
    cur = "GBP" if uk else "USD"
    oid = orders.order_id[o]
    if r[0] < 0.5:
        buf.add(
            "track",
            uid,
            anon,
            "Checkout Started",
            None,
            f'{{"order_id":"{oid}","value":{rev},"currency":"{cur}"}}',
            None,
            cx,
            t + 90,
            pid,
        )
    items = ",".join(
        "{" + _PRODUCT_BODY[p] + f',"quantity":{q}}}' for p, q in zip(prods, qtys, strict=True)
    )
    buf.add(
        "track",
        uid,
        anon,
        "Order Completed",
        None,
        f'{{"order_id":"{oid}","revenue":{rev},"currency":"{cur}","products":[{items}]}}',
        None,
        cx,
        t + 150,
        pid,
    )


def _retail_browse(
    buf, ctx, people, i, sl, uid, anon, t, pid, sec, cp, app, nextra, picks, r, cons
) -> None:
    title = sec.replace("-", " ").title() + " | Greenleaf Journal"
    if app:
        cx = ctx.bare(i, sl, cons)
        buf.add("screen", uid, anon, None, "Journal", f'{{"section":"{sec}"}}', None, cx, t, pid)
    else:
        slug = f"/journal/{sec}/{['guide', 'tips', 'basics', 'routine'][int(r[1] * 4)]}"
        cx, pr = ctx.page(i, sl, slug, title, campaign=cp, consent=cons)
        buf.add(
            "page", uid, anon, None, "Journal", pr[:-1] + f',"category":"{sec}"}}', None, cx, t, pid
        )
    for e in range(min(nextra, len(picks))):
        buf.add(
            "track",
            uid,
            anon,
            "Product Viewed",
            None,
            "{" + _PRODUCT_BODY[picks[e]] + "}",
            None,
            cx,
            t + 30 * (e + 1),
            pid,
        )


def _saas_session(
    buf, ctx, people, i, sl, uid, anon, t, pid, acc, sec, cp, logged_in, app, nextra, feats, r, cons
) -> None:
    if not logged_in:  # marketing site visit before signing up
        cx, pr = ctx.page(
            i,
            sl,
            f"/{sec}",
            sec.split("/")[-1].replace("-", " ").title(),
            campaign=cp,
            consent=cons,
        )
        buf.add("page", None, anon, None, "Marketing", pr, None, cx, t, pid, acc)
        return
    if app:
        cx = ctx.bare(i, sl, cons)
        buf.add("screen", uid, anon, None, "Boards", None, None, cx, t, pid, acc)
    else:
        host = SAAS_SITE if sec.startswith(("docs", "blog", "help")) else SAAS_DOMAIN
        cx, pr = ctx.page(
            i,
            sl,
            f"/{sec}",
            sec.split("/")[-1].replace("-", " ").title(),
            campaign=cp,
            consent=cons,
            host=host,
        )
        buf.add(
            "page",
            uid,
            anon,
            None,
            "Docs" if sec.startswith("docs") else "Site",
            pr,
            None,
            cx,
            t,
            pid,
            acc,
        )
    for e in range(1 + nextra):
        f = SAAS_FEATURES[feats[e]]
        props = f'{{"feature":"{f}","account_id":"{acc}","duration_ms":{int(r[3] * 9000) + 300}}}'
        buf.add("track", uid, anon, f, None, props, None, cx, t + 40 * (e + 1), pid, acc)
