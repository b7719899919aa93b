"""Who exists: people (and, for SaaS, the accounts they belong to), one chunk at a time.

Identifiers are derived from each person's *global* index, never from a running counter,
so a chunk can be generated without knowing anything about the chunks before it and
e-mails, phones and handles are unique by construction (no global dedupe set needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personae.demo.archetypes import (
    DEVICES,
    LOYALTY,
    SCENARIO_ARCHETYPES,
    Matrices,
)
from personae.demo.catalog import (
    COMPANY_SUFFIX,
    COMPANY_TLDS,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    CONSUMER_DOMAINS_GB,
    CONSUMER_DOMAINS_US,
    INDUSTRIES,
    JOB_TITLES,
    PLAN_SEAT_PRICE,
    ROLES,
    SAAS_PLANS,
    STORES,
    UK_AREA_CODES,
    UK_CITIES,
    US_AREA_CODES,
    US_CITIES,
)
from personae.demo.common import DAY, END_TS, START_TS, pick, uuids
from personae.demo.pools import LocalePool

NOISY_SHARE = 0.12  # people whose behaviour blends two archetypes
HOUSEHOLD_SHARE = 0.02  # people with a household partner sharing a device
BLENDED = ("categories", "channels", "devices", "hours", "weekdays", "content", "utm", "features")


@dataclass
class Accounts:
    """SaaS companies in this chunk."""

    n: int
    gidx: np.ndarray
    account_id: list[str]
    arch: np.ndarray
    name: list[str]
    domain: list[str]
    industry: list[str]
    employees: np.ndarray
    revenue: np.ndarray
    uk: np.ndarray
    plan: np.ndarray
    seats: np.ndarray
    seats_used: np.ndarray
    mrr: np.ndarray
    created_ts: np.ndarray
    churn_ts: np.ndarray  # END_TS + DAY when the account never churns
    renewal_ts: np.ndarray
    annual: np.ndarray
    sales: np.ndarray
    first_contact: np.ndarray
    n_contacts: np.ndarray
    billing: np.ndarray  # local person index of the billing contact


@dataclass
class People:
    """The people of one chunk plus everything later sources need to stay consistent."""

    scenario: str
    n: int
    pid: list[str]
    arch: np.ndarray
    arch2: np.ndarray
    mixw: np.ndarray
    gender: np.ndarray  # 0 female, 1 male, 2 non-binary
    birth_ts: np.ndarray
    uk: np.ndarray
    first: list[str]
    last: list[str]
    email: list[str]
    phone_area: list[str]
    phone_line: list[str]
    street: list[str]
    city: list[str]
    state: list[str]
    zipc: list[str]
    created_ts: np.ndarray
    active_start: np.ndarray
    active_end: np.ndarray
    guest: np.ndarray
    customer_id: list[str]
    contact_id: list[str]
    dup_contact_id: list[str]
    household: list[str]
    partner: np.ndarray
    handle: list[str]
    poster: np.ndarray
    consent: list[list[str]]
    loyalty: list[str]
    home_store: list[str]
    anon: list[str]
    anon2: list[str]
    dev: np.ndarray
    dev2: np.ndarray
    probs: dict[str, np.ndarray]
    scalars: dict[str, np.ndarray]
    account: np.ndarray | None = None
    role: list[str] | None = None
    title: list[str] | None = None
    acc: Accounts | None = None

    def p(self, name: str) -> np.ndarray:
        """A blended scalar parameter (e.g. ``gap_days``) per person."""
        return self.scalars[name]


SCALARS = (
    "gap_days",
    "gap_shape",
    "extra_lines",
    "extra_qty",
    "email_open",
    "email_click",
    "unsubscribe",
    "coupon_rate",
    "return_rate",
    "cancel_rate",
    "browse_sessions",
    "survey_rate",
    "ticket_rate",
    "tickets_mean",
    "review_rate",
    "social_rate",
    "handle_rate",
)


def _blend(
    scenario: str, mats: Matrices, arch: np.ndarray, arch2: np.ndarray, w: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    archs = SCENARIO_ARCHETYPES[scenario]
    probs = {}
    for name in BLENDED:
        m = getattr(mats, name)
        probs[name] = (1 - w)[:, None] * m[arch] + w[:, None] * m[arch2]
    for qid, m in mats.answers.items():
        probs["answer:" + qid] = (1 - w)[:, None] * m[arch] + w[:, None] * m[arch2]
    scalars = {}
    for name in SCALARS:
        v = np.array([getattr(a, name) for a in archs], dtype=float)
        scalars[name] = (1 - w) * v[arch] + w * v[arch2]
    return probs, scalars


def _assign_archetypes(rng: np.random.Generator, mats: Matrices, n: int):
    k = len(mats.share)
    arch = rng.choice(k, size=n, p=mats.share)
    noisy = rng.random(n) < NOISY_SHARE
    other = (arch + rng.integers(1, k, n)) % k
    arch2 = np.where(noisy, other, arch)
    w = np.where(noisy, rng.uniform(0.3, 0.5, n), 0.0)
    return arch, arch2, w


def _permute(g: np.ndarray, modulus: int, mult: int, add: int) -> np.ndarray:
    """An injective scramble of global indices below ``modulus`` (``mult`` coprime)."""
    return (g.astype("int64") * mult + add) % modulus


def _phones(g: np.ndarray, uk: np.ndarray) -> tuple[list[str], list[str]]:
    """Unique (area, line) pairs: US 555-xxxx numbers, UK drama-style ranges."""
    na = len(US_AREA_CODES)
    qu = _permute(g, na * 10_000, 7_919, 1_234)
    nu = len(UK_AREA_CODES)
    qk = _permute(g, nu * 10_000 * 10, 104_729, 4_321)
    area, line = [], []
    for is_uk, a, b in zip(uk.tolist(), qu.tolist(), qk.tolist(), strict=True):
        if is_uk:
            code = UK_AREA_CODES[b % nu]
            area.append(code[:-1] + str(b // (nu * 10_000)))
            line.append(f"{(b // nu) % 10_000:04d}")
        else:
            area.append(US_AREA_CODES[a % na])
            line.append(f"555{(a // na) % 10_000:04d}")
    return area, line


_EMAIL_STYLES = ("{f}.{l}{n}", "{f}{l}{n}", "{i}{l}{n}", "{f}_{l}{n}", "{l}.{f}{n}", "{f}{n}")
_HANDLE_WORDS = ["fit", "green", "daily", "life", "eats", "moves", "home", "wild", "calm", "runs"]


def _emails(rng, first, last, g, uk) -> list[str]:
    style = rng.integers(0, len(_EMAIL_STYLES), len(g)).tolist()
    dom_us = rng.integers(0, len(CONSUMER_DOMAINS_US), len(g)).tolist()
    dom_gb = rng.integers(0, len(CONSUMER_DOMAINS_GB), len(g)).tolist()
    out = []
    for f, la, gi, s, du, dg, is_uk in zip(
        first, last, g.tolist(), style, dom_us, dom_gb, uk.tolist(), strict=True
    ):
        f2 = f.lower().replace("'", "").replace("-", "")
        l2 = la.lower().replace("'", "").replace("-", "")
        local = _EMAIL_STYLES[s].format(f=f2, l=l2, i=f2[0], n=gi + 1)
        out.append(f"{local}@{CONSUMER_DOMAINS_GB[dg] if is_uk else CONSUMER_DOMAINS_US[du]}")
    return out


def _places(
    rng, mats: Matrices, arch: np.ndarray, uk: np.ndarray, pool_us: LocalePool, pool_gb: LocalePool
):
    tag = pick(rng, mats.city_tags[arch])
    tags = ["metro", "suburb", "sunbelt", "green"]
    by_us = {t: [c for c in US_CITIES if c[3] == t] for t in tags}
    by_gb = {t: [c for c in UK_CITIES if c[3] == t] for t in tags}
    r = rng.random(len(arch)).tolist()
    num = rng.integers(1, 9999, len(arch)).tolist()
    s_us = rng.integers(0, len(pool_us.street), len(arch)).tolist()
    s_gb = rng.integers(0, len(pool_gb.street), len(arch)).tolist()
    apt = rng.integers(1, 40, len(arch)).tolist()
    z = rng.integers(0, 100, len(arch)).tolist()
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    street, city, state, zipc = [], [], [], []
    for i, (t, is_uk) in enumerate(zip(tag.tolist(), uk.tolist(), strict=True)):
        opts = (by_gb if is_uk else by_us)[tags[t]]
        c = opts[int(r[i] * len(opts))]
        city.append(c[0])
        state.append(c[1])
        if is_uk:
            street.append(f"{num[i] % 200 + 1} {pool_gb.street[s_gb[i]]}")
            zipc.append(f"{c[2]} {z[i] % 9 + 1}{letters[z[i] % 20]}{letters[(z[i] * 7) % 20]}")
        else:
            s = f"{num[i]} {pool_us.street[s_us[i]]}"
            if apt[i] < 8:
                s += f" Apt {apt[i]}"
            street.append(s)
            zipc.append(f"{c[2]}{z[i]:02d}")
    return street, city, state, zipc


def _names(rng, gender, uk, pools):
    n = len(gender)
    first, last = [], []
    ri = rng.random((n, 2)).tolist()
    for (a, b), gd, is_uk in zip(ri, gender.tolist(), uk.tolist(), strict=True):
        p = pools["en_GB" if is_uk else "en_US"]
        fl = p.male if gd == 1 or (gd == 2 and a < 0.5) else p.female
        first.append(fl[int(a * len(fl))])
        last.append(p.last[int(b * len(p.last))])
    return first, last


def _timeline(rng, n: int, existing_share: float = 0.2):
    """Account creation, guest-checkout prefix, churn: the window each person is active."""
    existing = rng.random(n) < existing_share
    created = np.where(
        existing,
        START_TS - rng.integers(30, 5 * 365, n) * DAY,
        START_TS + rng.integers(0, 700, n) * DAY,
    ) + rng.integers(0, DAY, n)
    guest = (~existing) & (created > START_TS + 90 * DAY) & (rng.random(n) < 0.12)
    start = np.where(guest, created - rng.integers(20, 90, n) * DAY, np.maximum(created, START_TS))
    churn = rng.random(n) < 0.55  # many lapse after an exponential engagement span
    end = np.where(churn, start + (rng.exponential(180, n) * DAY).astype("int64"), END_TS)
    end = np.minimum(end, END_TS)
    end = np.maximum(end, np.minimum(start + 30 * DAY, END_TS))
    return created.astype("int64"), start.astype("int64"), end.astype("int64"), guest


def _devices(rng, probs_dev: np.ndarray, n: int):
    dev = pick(rng, probs_dev)
    second = rng.random(n) < 0.35
    other = (dev + rng.integers(1, 3, n)) % 3
    dev2 = np.where(second, other, -1)
    a1 = uuids(rng, n)
    a2 = uuids(rng, n)
    anon2 = [a if s else "" for a, s in zip(a2, second.tolist(), strict=True)]
    return dev, dev2, a1, anon2


def make_people(
    scenario: str,
    chunk: int,
    start: int,
    n: int,
    rng: np.random.Generator,
    pools: dict[str, LocalePool],
    mats: Matrices,
) -> People:
    """People of one chunk. ``n`` counts customers (retail) or accounts (SaaS)."""
    if scenario == "saas":
        return _saas_people(chunk, start, n, rng, pools, mats)
    archs = SCENARIO_ARCHETYPES[scenario]
    g = np.arange(start, start + n, dtype="int64")
    arch, arch2, w = _assign_archetypes(rng, mats, n)
    probs, scalars = _blend(scenario, mats, arch, arch2, w)
    female = np.array([a.female for a in archs])[arch]
    r = rng.random(n)
    gender = np.where(r < 0.02, 2, np.where(r < 0.02 + female * 0.98, 0, 1))
    lo = np.array([a.age[0] for a in archs])[arch]
    hi = np.array([a.age[1] for a in archs])[arch]
    age = lo + rng.random(n) * (hi - lo + 1)
    birth = (END_TS - (age * 365.25 * DAY)).astype("int64")
    uk = rng.random(n) < np.array([a.uk_share for a in archs])[arch]
    first, last = _names(rng, gender, uk, pools)
    street, city, state, zipc = _places(rng, mats, arch, uk, pools["en_US"], pools["en_GB"])
    created, a0, a1, guest = _timeline(rng, n)
    # Households: pair a person with the next one; the partner moves in.
    partner = np.full(n, -1, dtype="int64")
    heads = np.nonzero((rng.random(n) < HOUSEHOLD_SHARE / 2) & (np.arange(n) < n - 1))[0]
    household = [""] * n
    taken = np.zeros(n, dtype=bool)
    for h in heads.tolist():
        if taken[h] or taken[h + 1]:
            continue
        taken[h] = taken[h + 1] = True
        partner[h], partner[h + 1] = h + 1, h
        household[h] = household[h + 1] = f"H{g[h] + 1:08d}"
        street[h + 1], city[h + 1], state[h + 1], zipc[h + 1] = (
            street[h],
            city[h],
            state[h],
            zipc[h],
        )
        uk[h + 1] = uk[h]
        if rng.random() < 0.7:
            last[h + 1] = last[h]
    email = _emails(rng, first, last, g, uk)
    area, line = _phones(g, uk)
    poster = rng.random(n) < scalars["social_rate"]
    has_handle = np.where(poster, rng.random(n) < 0.85, rng.random(n) < scalars["handle_rate"])
    hw = rng.integers(0, len(_HANDLE_WORDS), n).tolist()
    handle = [
        f"{f.lower()}{'_' if x % 2 else '.'}{_HANDLE_WORDS[x]}{gi + 1}" if h else ""
        for f, x, gi, h in zip(first, hw, g.tolist(), has_handle.tolist(), strict=True)
    ]
    dev, dev2, anon, anon2 = _devices(rng, probs["devices"], n)
    for h in np.nonzero(partner >= 0)[0].tolist():  # partners share the head's main device
        if partner[h] > h:
            anon[h + 1] = anon[h]
            dev[h + 1] = dev[h]
    us_stores = [s for s, c in STORES if c == "US"]
    gb_stores = [s for s, c in STORES if c == "GB"]
    st = rng.integers(0, 100, n).tolist()
    home_store = [
        (gb_stores if k else us_stores)[s % (4 if k else 10)]
        for k, s in zip(uk.tolist(), st, strict=True)
    ]
    return People(
        scenario=scenario,
        n=n,
        pid=[f"P{x + 1:08d}" for x in g.tolist()],
        arch=arch,
        arch2=arch2,
        mixw=w,
        gender=gender,
        birth_ts=birth,
        uk=uk,
        first=first,
        last=last,
        email=email,
        phone_area=area,
        phone_line=line,
        street=street,
        city=city,
        state=state,
        zipc=zipc,
        created_ts=created,
        active_start=a0,
        active_end=a1,
        guest=guest,
        customer_id=[f"C{x + 100001}" for x in g.tolist()],
        contact_id=[f"CT{2 * x + 1:08d}" for x in g.tolist()],
        dup_contact_id=[f"CT{2 * x + 2:08d}" for x in g.tolist()],
        household=household,
        partner=partner,
        handle=handle,
        poster=poster,
        consent=_consent(rng, n),
        loyalty=[LOYALTY[i] for i in pick(rng, mats.loyalty[arch])],
        home_store=home_store,
        anon=anon,
        anon2=anon2,
        dev=dev,
        dev2=dev2,
        probs=probs,
        scalars=scalars,
    )


def _consent(rng, n: int) -> list[list[str]]:
    out = []
    for yes, no in ((0.7, 0.1), (0.6, 0.15), (0.45, 0.3)):
        r = rng.random(n)
        out.append(np.where(r < yes, "yes", np.where(r < yes + no, "no", "")).tolist())
    return out


def _company_names(g: np.ndarray) -> tuple[list[str], list[str]]:
    """Unique company names/domains by mixed-radix decoding of a scrambled index."""
    na, nb, ns, nt = (
        len(COMPANY_WORDS_A),
        len(COMPANY_WORDS_B),
        len(COMPANY_SUFFIX),
        len(COMPANY_TLDS),
    )
    cap = na * nb * ns * nt
    q = _permute(g, cap, 7_927, 311).tolist()
    names, domains = [], []
    for gi, x in zip(g.tolist(), q, strict=True):
        a, x = COMPANY_WORDS_A[x % na], x // na
        b, x = COMPANY_WORDS_B[x % nb], x // nb
        s, x = COMPANY_SUFFIX[x % ns], x // ns
        t = COMPANY_TLDS[x % nt]
        extra = "" if gi < cap else str(gi // cap)
        names.append(f"{a}{b} {s}{(' ' + extra) if extra else ''}")
        domains.append(f"{a.lower()}{b}{s.lower()}{extra}.{t}")
    return names, domains


def _saas_people(
    chunk: int,
    start: int,
    n: int,
    rng: np.random.Generator,
    pools: dict[str, LocalePool],
    mats: Matrices,
) -> People:
    archs = SCENARIO_ARCHETYPES["saas"]
    ga = np.arange(start, start + n, dtype="int64")
    arch, arch2, w = _assign_archetypes(rng, mats, n)
    lo_e = np.array([a.employees[0] for a in archs])[arch]
    hi_e = np.array([a.employees[1] for a in archs])[arch]
    employees = np.exp(np.log(lo_e) + rng.random(n) * (np.log(hi_e) - np.log(lo_e)))
    employees = np.maximum(1, employees.round()).astype("int64")
    revenue = np.round(employees * rng.uniform(60_000, 260_000, n), -3)
    industry = [INDUSTRIES[i] for i in pick(rng, mats.industries[arch])]
    plan = pick(rng, mats.plans[arch])
    uk = rng.random(n) < np.array([a.uk_share for a in archs])[arch]
    names, domains = _company_names(ga)
    share = np.select([plan == 0, plan == 1, plan == 2], [1.0, 0.6, 0.35], 0.15)
    seats = np.maximum(2, np.round(employees * share * rng.uniform(0.6, 1.2, n))).astype("int64")
    seats = np.where(plan == 0, np.minimum(seats, 5), seats)
    use_lo = np.array([a.seat_use[0] for a in archs])[arch]
    use_hi = np.array([a.seat_use[1] for a in archs])[arch]
    seats_used = np.maximum(1, np.round(seats * (use_lo + rng.random(n) * (use_hi - use_lo))))
    seats_used = seats_used.astype("int64")
    price = np.array([PLAN_SEAT_PRICE[p] for p in SAAS_PLANS])[plan]
    mrr = np.round(seats * price * np.where(plan == 3, rng.uniform(0.75, 0.9, n), 1.0), 2)
    existing = rng.random(n) < 0.45
    created = np.where(
        existing,
        START_TS - rng.integers(30, 4 * 365, n) * DAY,
        START_TS + rng.integers(0, 680, n) * DAY,
    ) + rng.integers(0, DAY, n)
    churn_p = np.array([a.churn for a in archs])[arch]
    churned = rng.random(n) < churn_p
    churn_ts = np.where(
        churned,
        np.maximum(created, START_TS)
        + 60 * DAY
        + (
            rng.random(n) * np.maximum(END_TS - np.maximum(created, START_TS) - 60 * DAY, DAY)
        ).astype("int64"),
        END_TS + DAY,
    )
    churn_ts = np.minimum(churn_ts, END_TS + DAY)
    years = np.ceil((END_TS - created) / (365 * DAY))
    renewal = np.where(churn_ts <= END_TS, churn_ts, created + years * 365 * DAY).astype("int64")
    mrr = np.where(churn_ts <= END_TS, 0.0, mrr)
    annual = rng.random(n) < np.array([a.annual_billing for a in archs])[arch]
    sales = pick(rng, mats.channels[arch]) == 1
    lo_c = np.array([a.contacts[0] for a in archs])[arch]
    hi_c = np.array([a.contacts[1] for a in archs])[arch]
    nc = lo_c + rng.integers(0, 1000, n) % (hi_c - lo_c + 1)
    first_contact = np.zeros(n, dtype="int64")
    if n > 1:
        first_contact[1:] = np.cumsum(nc)[:-1]
    # ---- contacts
    m = int(nc.sum())
    acc_of = np.repeat(np.arange(n), nc)
    j = np.arange(m) - first_contact[acc_of]
    gp = ga[acc_of] * 8 + j
    parch, parch2, pw = arch[acc_of], arch2[acc_of], w[acc_of]
    probs, scalars = _blend("saas", mats, parch, parch2, pw)
    role_idx = pick(rng, mats.roles[parch])
    # The first contact of each account is the buyer; keep a finance/billing owner when big.
    role_idx = np.where(j == 0, ROLES.index("decision_maker"), role_idx)
    role = [ROLES[i] for i in role_idx.tolist()]
    tr = rng.integers(0, 1000, m).tolist()
    title = [JOB_TITLES[r][t % len(JOB_TITLES[r])] for r, t in zip(role, tr, strict=True)]
    female = np.array([a.female for a in archs])[parch]
    r = rng.random(m)
    gender = np.where(r < 0.02, 2, np.where(r < 0.02 + female * 0.98, 0, 1))
    lo = np.array([a.age[0] for a in archs])[parch]
    hi = np.array([a.age[1] for a in archs])[parch]
    birth = (END_TS - ((lo + rng.random(m) * (hi - lo + 1)) * 365.25 * DAY)).astype("int64")
    puk = uk[acc_of]
    first, last = _names(rng, gender, puk, pools)
    email = []
    seen: set[str] = set()
    for f, la, a in zip(first, last, acc_of.tolist(), strict=True):
        base = f"{f.lower()}.{la.lower()}".replace("'", "").replace(" ", "")
        e = f"{base}@{domains[a]}"
        k = 2
        while e in seen:
            e = f"{base}{k}@{domains[a]}"
            k += 1
        seen.add(e)
        email.append(e)
    street, city, state, zipc = _places(rng, mats, parch, puk, pools["en_US"], pools["en_GB"])
    for i in range(m):  # colleagues share the office address
        a0 = first_contact[acc_of[i]]
        street[i], city[i], state[i], zipc[i] = street[a0], city[a0], state[a0], zipc[a0]
    area, line = _phones(gp, puk)
    pc_created = (
        np.maximum(created[acc_of], START_TS - 400 * DAY) + j * rng.integers(0, 40, m) * DAY
    )
    pc_created = np.minimum(pc_created, END_TS - 10 * DAY)
    a_start = np.maximum(pc_created, START_TS)
    a_end = np.maximum(np.minimum(churn_ts[acc_of], END_TS), a_start + DAY)
    poster = rng.random(m) < scalars["social_rate"]
    has_handle = np.where(poster, rng.random(m) < 0.85, rng.random(m) < scalars["handle_rate"])
    handle = [
        f"{f.lower()}{la.lower()[:3]}{gi + 1}" if h else ""
        for f, la, gi, h in zip(first, last, gp.tolist(), has_handle.tolist(), strict=True)
    ]
    dev, dev2, anon, anon2 = _devices(rng, probs["devices"], m)
    # A shared office laptop: ~2% of contacts log in on a colleague's device.
    share = np.nonzero((rng.random(m) < 0.02) & (j > 0))[0]
    for i in share.tolist():
        anon[i] = anon[i - 1]
        dev[i] = dev[i - 1]
    billing = np.array(
        [
            next(
                (
                    first_contact[a] + k
                    for k in range(nc[a])
                    if role[first_contact[a] + k] == "finance"
                ),
                first_contact[a],
            )
            for a in range(n)
        ],
        dtype="int64",
    )
    acc = Accounts(
        n=n,
        gidx=ga,
        account_id=[f"ACC-{x + 1:06d}" for x in ga.tolist()],
        arch=arch,
        name=names,
        domain=domains,
        industry=industry,
        employees=employees,
        revenue=revenue,
        uk=uk,
        plan=plan,
        seats=seats,
        seats_used=seats_used,
        mrr=mrr,
        created_ts=created.astype("int64"),
        churn_ts=churn_ts.astype("int64"),
        renewal_ts=renewal,
        annual=annual,
        sales=sales,
        first_contact=first_contact,
        n_contacts=nc,
        billing=billing,
    )
    gpl = gp.tolist()
    return People(
        scenario="saas",
        n=m,
        pid=[f"P{x + 1:08d}" for x in gpl],
        arch=parch,
        arch2=parch2,
        mixw=pw,
        gender=gender,
        birth_ts=birth,
        uk=puk,
        first=first,
        last=last,
        email=email,
        phone_area=area,
        phone_line=line,
        street=street,
        city=city,
        state=state,
        zipc=zipc,
        created_ts=pc_created.astype("int64"),
        active_start=a_start.astype("int64"),
        active_end=a_end.astype("int64"),
        guest=np.zeros(m, dtype=bool),
        customer_id=[f"U{x + 1:08d}" for x in gpl],
        contact_id=[f"CT{2 * x + 1:09d}" for x in gpl],
        dup_contact_id=[f"CT{2 * x + 2:09d}" for x in gpl],
        household=[""] * m,
        partner=np.full(m, -1, dtype="int64"),
        handle=handle,
        poster=poster,
        consent=_consent(rng, m),
        loyalty=[""] * m,
        home_store=[""] * m,
        anon=anon,
        anon2=anon2,
        dev=dev,
        dev2=dev2,
        probs=probs,
        scalars=scalars,
        account=acc_of,
        role=role,
        title=title,
        acc=acc,
    )


DEVICE_NAMES = DEVICES
