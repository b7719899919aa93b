"""CRM exports: contacts (with planted duplicates and junk identifiers) and SaaS accounts."""

from __future__ import annotations

import random

import numpy as np

from personae.demo.catalog import SAAS_PLANS
from personae.demo.common import (
    END_TS,
    TS_DATE,
    TS_ISO_Z,
    TS_SPACE,
    TS_US_DATE,
    TS_US_DT,
    Rows,
    fmt_ts,
)
from personae.demo.mess import (
    JUNK_EMAILS,
    JUNK_PHONE,
    BadSpec,
    email_variant,
    phones,
    typo_name,
)
from personae.demo.people import People

CONTACT_COLUMNS = [
    "Contact ID",
    "Customer ID",
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Gender",
    "Date of Birth",
    "Street Address",
    "City",
    "State",
    "Zip",
    "Country",
    "Created Date",
    "Loyalty Tier",
    "Social Handle",
    "Consent Analytics",
    "Consent Personalization",
    "Consent Advertising",
]
SAAS_CONTACT_EXTRA = ["Account ID", "Job Title", "Role"]
CONTACT_BAD = [
    BadSpec("missing_required", "Contact ID"),
    BadSpec("bad_timestamp", "Created Date"),
    BadSpec("bad_timestamp", "Date of Birth"),
]
ACCOUNT_COLUMNS = [
    "Account ID",
    "Account Name",
    "Domain",
    "Industry",
    "Employees",
    "Annual Revenue",
    "Country",
    "Plan",
    "Created Date",
    "Renewal Date",
    "Seats",
    "Seats Used",
    "MRR",
]
ACCOUNT_BAD = [
    BadSpec("missing_required", "Account ID"),
    BadSpec("bad_timestamp", "Created Date"),
    BadSpec("bad_number", "Employees"),
    BadSpec("negative_value", "Seats"),
]

_GENDER = [["Female", "F", "female"], ["Male", "M", "male"], ["Non-binary", "", "nonbinary"]]
_COUNTRY = {True: ["GB", "UK", "United Kingdom"], False: ["US", "USA", "United States"]}


def contacts(people: People, rng: np.random.Generator, rnd: random.Random) -> Rows:
    """One row per person plus ~3% near-duplicate rows, ordered by creation date."""
    n = people.n
    saas = people.scenario == "saas"
    dup = rng.random(n) < 0.03
    idx = np.concatenate([np.arange(n), np.nonzero(dup)[0]])
    is_dup = np.concatenate([np.zeros(n, bool), np.ones(int(dup.sum()), bool)])
    m = len(idx)
    created = people.created_ts[idx] + np.where(is_dup, rng.integers(5, 300, m) * 86_400, 0)
    created = np.minimum(created, END_TS)
    created_s = fmt_ts(
        created,
        rng.choice(
            [TS_DATE, TS_US_DATE, TS_SPACE, TS_ISO_Z, TS_US_DT], m, p=[0.4, 0.2, 0.2, 0.15, 0.05]
        ),
    )
    dob = fmt_ts(people.birth_ts[idx], rng.choice([TS_DATE, TS_US_DATE], m, p=[0.6, 0.4]))
    phone = phones(people, idx, rng, style_bias=1)
    r = rng.random((m, 6)).tolist()
    cols: list[list] = [[] for _ in CONTACT_COLUMNS]
    for k, (i, d) in enumerate(zip(idx.tolist(), is_dup.tolist(), strict=True)):
        rr = r[k]
        first, last, street = people.first[i], people.last[i], people.street[i]
        email = email_variant(people.email[i], rnd, 0.05, 0.02)
        if d:
            which = rnd.randrange(3)
            if which == 0:
                first = typo_name(first, rnd)
            elif which == 1:
                last = typo_name(last, rnd)
            else:
                street = (
                    street.replace(" Street", " St").replace(" Avenue", " Ave")
                    if (" Street" in street or " Avenue" in street)
                    else typo_name(street, rnd)
                )
            email = email_variant(people.email[i], rnd, 0.5, 0.1)
        ph = phone[k]
        if rr[0] < 0.004:
            email = rnd.choice(JUNK_EMAILS)
        elif rr[0] < 0.03:
            email = ""
        if rr[1] < 0.004:
            ph = JUNK_PHONE
        elif rr[1] < 0.15:
            ph = ""
        g = _GENDER[int(people.gender[i])]
        gender = "" if rr[2] < 0.08 else g[0 if rr[2] < 0.6 else (1 if rr[2] < 0.85 else 2)]
        cid = people.customer_id[i]
        if saas and rr[3] < 0.4:
            cid = ""
        cols[0].append(people.dup_contact_id[i] if d else people.contact_id[i])
        cols[1].append(cid)
        cols[2].append(first)
        cols[3].append(last)
        cols[4].append(email)
        cols[5].append(ph)
        cols[6].append(gender)
        cols[7].append("" if rr[4] < 0.1 else dob[k])
        cols[8].append(street)
        cols[9].append(people.city[i])
        cols[10].append(people.state[i])
        cols[11].append(people.zipc[i])
        cols[12].append(_COUNTRY[bool(people.uk[i])][int(rr[5] * 3)])
        cols[13].append(created_s[k])
        cols[14].append(people.loyalty[i].title())
        h = people.handle[i]
        cols[15].append(("@" + h if rr[3] < 0.7 else h) if h else "")
        for c in range(3):
            cols[16 + c].append("" if d and rr[4] < 0.5 else people.consent[c][i])
    columns = list(CONTACT_COLUMNS)
    person = [people.pid[i] for i in idx.tolist()]
    account = None
    if saas:
        columns += SAAS_CONTACT_EXTRA
        acc = people.acc
        cols.append([acc.account_id[people.account[i]] for i in idx.tolist()])
        cols.append([people.title[i] for i in idx.tolist()])
        cols.append([people.role[i] for i in idx.tolist()])
        account = list(cols[-3])
    rows = Rows("crm_contacts", columns, cols, person, account)
    rows.reorder(np.argsort(created, kind="stable"))
    return rows


def accounts(people: People, rng: np.random.Generator) -> Rows:
    """One row per SaaS account."""
    acc = people.acc
    n = acc.n
    fmt = rng.choice([TS_DATE, TS_US_DATE, TS_ISO_Z], n, p=[0.5, 0.3, 0.2])
    created = fmt_ts(acc.created_ts, fmt)
    renewal = fmt_ts(acc.renewal_ts, rng.choice([TS_DATE, TS_US_DATE], n))
    rev = acc.revenue.tolist()
    r = rng.random(n).tolist()
    cols = [
        acc.account_id,
        acc.name,
        acc.domain,
        acc.industry,
        [str(x) for x in acc.employees.tolist()],
        [f"${v:,.2f}" if q < 0.3 else f"{v:.0f}" for v, q in zip(rev, r, strict=True)],
        ["GB" if u else "US" for u in acc.uk.tolist()],
        [SAAS_PLANS[p] for p in acc.plan.tolist()],
        created,
        renewal,
        [str(x) for x in acc.seats.tolist()],
        [str(x) for x in acc.seats_used.tolist()],
        [f"{v:.2f}" for v in acc.mrr.tolist()],
    ]
    rows = Rows(
        "crm_accounts",
        list(ACCOUNT_COLUMNS),
        [list(c) for c in cols],
        [""] * n,
        list(acc.account_id),
    )
    return rows
