"""E-mail marketing activity and survey responses (structured + free text)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from personae.demo.archetypes import (
    FREE_TEXT_QUESTIONS,
    SCENARIO_ARCHETYPES,
    SCENARIO_QUESTIONS,
)
from personae.demo.catalog import RETAIL_CONTENT, RETAIL_DOMAIN, SAAS_CONTENT, SAAS_SITE
from personae.demo.common import (
    DAY,
    TS_ISO_Z,
    TS_SPACE,
    TS_US_DT,
    Rows,
    fmt_ts,
    pick,
    place_in_day,
)
from personae.demo.events import Click
from personae.demo.mess import JUNK_IDS, BadSpec, email_variant
from personae.demo.people import People
from personae.demo.text import TextMaker

EMAIL_COLUMNS = [
    "Email Address",
    "Activity",
    "Timestamp",
    "Campaign ID",
    "Campaign Name",
    "Subject",
    "URL",
]
EMAIL_BAD = [BadSpec("missing_required", "Email Address"), BadSpec("bad_timestamp", "Timestamp")]
SURVEY_COLUMNS = [
    "Response ID",
    "Submitted At",
    "Email",
    "Customer ID",
    "Question ID",
    "Question",
    "Answer",
]
SURVEY_BAD = [BadSpec("missing_required", "Response ID"), BadSpec("bad_timestamp", "Submitted At")]

_THEMES = {
    "retail": [
        ("Your weekly wellness edit", "weekly_edit"),
        ("New arrivals we love", "new_in"),
        ("Flash sale: 48 hours only", "flash_sale"),
        ("Better sleep starts tonight", "sleep_story"),
    ],
    "saas": [
        ("Product update: what's new this month", "product_update"),
        ("Webinar: reporting that runs itself", "webinar"),
        ("Customer story: how teams save 5 hours a week", "customer_story"),
        ("Tips: automate your busiest workflow", "tips"),
    ],
}


def campaigns(scenario: str) -> list[tuple[int, str, str, str, str]]:
    """(send ts, id, name, subject, url): four sends a month across the two-year window."""
    out = []
    content = RETAIL_CONTENT if scenario == "retail" else SAAS_CONTENT
    host = RETAIL_DOMAIN if scenario == "retail" else SAAS_SITE
    base = "journal/" if scenario == "retail" else ""
    k = 0
    for m in range(24):
        year, month = 2024 + (10 + m) // 12, (10 + m) % 12 + 1
        for w in range(4):
            ts = int(dt.datetime(year, month, 1 + w * 7 + 1, 14, 0, tzinfo=dt.UTC).timestamp())
            subject, slug = _THEMES[scenario][w]
            sec = content[k % len(content)]
            k += 1
            out.append(
                (
                    ts,
                    f"CMP-{year}{month:02d}-{w + 1}",
                    f"{slug}_{year}_{month:02d}",
                    subject,
                    f"https://{host}/{base}{sec}",
                )
            )
    return out


def email_activity(
    people: People, rng: np.random.Generator, rnd: random.Random, camps: list
) -> tuple[Rows, list[Click]]:
    """Sends, opens, clicks, unsubscribes and bounces; clicks are returned for web events."""
    n = people.n
    cts = np.array([c[0] for c in camps])
    reach = 0.13 if people.scenario == "retail" else 0.08  # B2B lists are mailed less often
    elig = (cts[None, :] >= people.created_ts[:, None]) & (rng.random((n, len(camps))) < reach)
    pi, ci = np.nonzero(elig)
    counts = np.bincount(pi, minlength=n)
    k = len(pi)
    opened = rng.random(k) < people.p("email_open")[pi]
    clicked = opened & (rng.random(k) < people.p("email_click")[pi])
    unsub = rng.random(k) < people.p("unsubscribe")[pi]
    cs = np.cumsum(unsub)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n else np.array([], dtype=int)
    cs0 = np.concatenate([[0], cs])
    before = cs - unsub - np.repeat(cs0[starts], counts)
    keep = before == 0
    bounce_p = rng.random(n) < 0.005
    rank = np.arange(k) - np.repeat(starts, counts) if k else np.array([], dtype=int)
    keep &= ~(bounce_p[pi] & (rank > 0))
    bounced = bounce_p[pi] & (rank == 0)
    pi, ci, opened, clicked, unsub, bounced = (
        a[keep] for a in (pi, ci, opened, clicked, unsub, bounced)
    )
    opened &= ~bounced
    clicked &= ~bounced
    unsub &= ~bounced
    send = cts[ci] + rng.integers(0, 3600, len(pi))
    open_t = send + (rng.exponential(8 * 3600, len(pi))).astype("int64") + 60
    open_t = place_in_day(rng, open_t, people.probs["hours"][pi])
    open_t = np.maximum(open_t, send + 60)
    click_t = open_t + rng.integers(5, 600, len(pi))
    unsub_t = open_t + rng.integers(30, 900, len(pi))
    esp_email = [email_variant(e, rnd, 0.2, 0.02) for e in people.email]
    # assemble long rows
    who, act, ts, cam = [pi], [np.zeros(len(pi), int)], [send], [ci]
    for flag, code, tt in (
        (opened, 1, open_t),
        (clicked, 2, click_t),
        (unsub, 3, unsub_t),
        (bounced, 4, send + 5),
    ):
        who.append(pi[flag])
        act.append(np.full(int(flag.sum()), code))
        ts.append(tt[flag])
        cam.append(ci[flag])
    who_a, act_a, ts_a, cam_a = (np.concatenate(x) for x in (who, act, ts, cam))
    order = np.argsort(ts_a, kind="stable")
    who_a, act_a, ts_a, cam_a = who_a[order], act_a[order], ts_a[order], cam_a[order]
    names = ["sent", "open", "click", "unsubscribe", "bounce"]
    fmt = rng.choice([TS_ISO_Z, TS_SPACE], len(ts_a), p=[0.8, 0.2])
    ts_txt = fmt_ts(ts_a, fmt)
    wl, al, cl = who_a.tolist(), act_a.tolist(), cam_a.tolist()
    cols = [
        [esp_email[i] for i in wl],
        [names[a] for a in al],
        ts_txt,
        [camps[c][1] for c in cl],
        [camps[c][2] for c in cl],
        [camps[c][3] for c in cl],
        [
            camps[c][4] + "?utm_source=newsletter&utm_medium=email&utm_campaign=" + camps[c][2]
            if a == 2
            else ""
            for a, c in zip(al, cl, strict=True)
        ],
    ]
    acc = (
        [people.acc.account_id[int(people.account[i])] for i in wl]
        if people.scenario == "saas"
        else None
    )
    rows = Rows("email_activity", list(EMAIL_COLUMNS), cols, [people.pid[i] for i in wl], acc)
    clicks = [
        Click(i, int(t) + 5, camps[c][2], camps[c][4])
        for i, a, t, c in zip(wl, al, ts_a.tolist(), cl, strict=True)
        if a == 2 and rnd.random() < 0.6
    ]
    return rows, clicks


def surveys(
    people: People, chunk: int, rng: np.random.Generator, rnd: random.Random, text: TextMaker
) -> Rows:
    """Long-format survey responses: one row per answered question."""
    scen = people.scenario
    archs = SCENARIO_ARCHETYPES[scen]
    questions = SCENARIO_QUESTIONS[scen]
    free = FREE_TEXT_QUESTIONS[scen]
    resp = np.nonzero(rng.random(people.n) < people.p("survey_rate"))[0]
    a0 = np.maximum(people.created_ts[resp], people.active_start[resp])
    a1 = np.maximum(people.active_end[resp], a0 + DAY)
    t = a0 + (rng.random(len(resp)) * (a1 - a0)).astype("int64")
    t = place_in_day(rng, t, people.probs["hours"][resp])
    order = np.argsort(t, kind="stable")
    resp, t = resp[order], t[order]
    picks = {
        q.qid: pick(rng, people.probs["answer:" + q.qid][resp]).tolist()
        for q in questions
        if q.qid != "nps"
    }
    nps_mu = np.array([a.nps[0] for a in archs])[people.arch[resp]]
    nps_sd = np.array([a.nps[1] for a in archs])[people.arch[resp]]
    nps = np.clip(np.round(rng.normal(nps_mu, nps_sd)), 0, 10).astype(int).tolist()
    ts_txt = fmt_ts(t, rng.choice([TS_US_DT, TS_SPACE, TS_ISO_Z], len(t), p=[0.6, 0.2, 0.2]))
    cols: list[list] = [[] for _ in SURVEY_COLUMNS]
    person, account = [], []
    archkeys = [a.key for a in archs]
    for k, i in enumerate(resp.tolist()):
        rid = f"SR-{chunk + 1:03d}{k:05d}"
        email = email_variant(people.email[i], rnd, 0.2, 0.05) if rnd.random() < 0.92 else ""
        cid = people.customer_id[i] if rnd.random() < 0.6 else ""
        if email and rnd.random() < 0.005:
            cid = rnd.choice(JUNK_IDS)
        answers = []
        for q in questions:
            if q.qid == "nps":
                if rnd.random() < 0.98:
                    answers.append((q.qid, q.text, str(nps[k])))
            elif rnd.random() < 0.92:
                answers.append((q.qid, q.text, q.options[picks[q.qid][k]]))
        ak = archkeys[int(people.arch[i])]
        if people.mixw[i] > 0 and rnd.random() < people.mixw[i]:
            ak = archkeys[int(people.arch2[i])]
        for qid, qtext in free:
            if rnd.random() < 0.7:
                answers.append((qid, qtext, text.answer(ak, qid)))
        for qid, qtext, ans in answers:
            for c, v in zip(cols, (rid, ts_txt[k], email, cid, qid, qtext, ans), strict=True):
                c.append(v)
            person.append(people.pid[i])
            if scen == "saas":
                account.append(people.acc.account_id[int(people.account[i])])
    return Rows(
        "survey_responses", list(SURVEY_COLUMNS), cols, person, account if scen == "saas" else None
    )
