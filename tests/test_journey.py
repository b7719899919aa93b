"""The journey map, checked against an independent recount over the raw tables.

Small real demo workspaces (800 retail customers, 80 SaaS accounts) go through ingest,
build, text and value. For a chosen member group the expected stage membership is recounted
here in pandas from the raw tables and ``record_profiles``, with the stage rules written out
again (plain substring and set tests, not the module's SQL); only the configurable event-name
sets are shared with the module.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from personae.demo import generate
from personae.personas import journey as jm
from personae.personas.journey import journey_map, overall_journey
from personae.personas.schema import JOURNEY_STAGES, JourneyStage
from personae.pipeline import set_brand
from tests.helpers import ingest_demo

NOT_KEPT = {"returned", "cancelled", "refunded"}


def _analysed(scenario: str, customers: int, folder: Path):
    generate(scenario, customers, 7, folder / "data", fmt="csv")
    ws, _ = ingest_demo(folder / "data", folder / "ws")
    set_brand(ws, scenario)
    ws.build()
    ws.text()
    ws.value()
    return ws


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory):
    return _analysed("retail", 800, tmp_path_factory.mktemp("journey-retail"))


@pytest.fixture(scope="module")
def saas(tmp_path_factory: pytest.TempPathFactory):
    return _analysed("saas", 80, tmp_path_factory.mktemp("journey-saas"))


# ----------------------------------------------------------------------------- recount
def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def _norm(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


def _linked(con, kind: str, table: str, members: set[str]) -> pd.DataFrame:
    """Rows of ``table`` with the member profile they belong to (inner: members only)."""
    rows = _df(con, f"SELECT * FROM {table}")
    rp = _df(
        con,
        "SELECT source_file AS _source_file, source_row AS _source_row, profile_id "
        f"FROM record_profiles WHERE source_kind = '{kind}'",
    )
    out = rows.merge(rp, on=["_source_file", "_source_row"], how="inner")
    return out[out["profile_id"].isin(members)].copy()


def _event_class(t: str, ev: str, path: str, name: str) -> str:
    if t == "track":
        if ev in jm.PURCHASE_EVENTS:
            return "purchase"
        if ev in jm.RENEWAL_EVENTS:
            return "renewal"
        if ev in jm.ADVOCACY_EVENTS:
            return "advocacy"
        if ev in jm.CONSIDERATION_EVENTS:
            return "consider"
        if ev in jm.NON_ENGAGEMENT_EVENTS:
            return "passive"
        if ev:
            return "consider"
    if t in ("page", "screen"):
        text = f"{path} {name}".lower()
        return "consider" if any(w in text for w in jm.CONSIDERATION_PAGE_WORDS) else "visit"
    return "other"


def recount(con: duckdb.DuckDBPyConnection, members: set[str]) -> dict:
    """Per stage, the set of members who reached it; plus the frames the checks reuse."""
    as_of = pd.Timestamp(_df(con, "SELECT max(as_of) AS a FROM profiles")["a"][0])
    recent = as_of - pd.Timedelta(days=jm.ACTIVE_DAYS)

    ev = _linked(con, "events", "raw_events", members)
    ev = ev[ev["timestamp"].isna() | (ev["timestamp"] <= as_of)].copy()
    ev["cls"] = [
        _event_class(t or "", e or "", p or "", n or "")
        for t, e, p, n in zip(
            _norm(ev["type"]).fillna(""),
            _norm(ev["event"]).fillna(""),
            ev["page_path"].fillna(""),
            ev["name"].fillna(""),
            strict=True,
        )
    ]
    ev["order_id"] = [
        (json.loads(p).get("order_id") if isinstance(p, str) and p else None) or m
        for p, m in zip(ev["properties"], ev["message_id"], strict=True)
    ]

    mail = _linked(con, "email_events", "raw_email_events", members)
    mail = mail[mail["timestamp"].isna() | (mail["timestamp"] <= as_of)]
    mail_ev = _norm(mail["event"]).fillna("")
    received = set(mail.loc[~mail_ev.isin(jm.EMAIL_NOT_RECEIVED), "profile_id"])
    engaged = mail[mail_ev.isin(jm.EMAIL_OPENS + jm.EMAIL_CLICKS)]

    vs = _df(con, "SELECT profile_id, acquisition_channel FROM value_scores")
    vs = vs[vs["profile_id"].isin(members) & vs["acquisition_channel"].notna()]
    vs = vs[vs["acquisition_channel"].str.strip() != ""]

    sv = _linked(con, "survey_responses", "raw_survey_responses", members)
    sv["q"] = _norm(sv["question_id"])
    sv = sv[sv["answer"].notna() & (sv["answer"].str.strip() != "")]
    heard = sv[sv["q"].isin(jm.HEAR_ABOUT_QUESTIONS)]
    nps = sv[sv["q"].isin(jm.NPS_QUESTIONS)]
    promoters = set(
        nps.loc[pd.to_numeric(nps["answer"], errors="coerce") >= jm.PROMOTER_MIN, "profile_id"]
    )
    ref = sv[sv["q"].isin(jm.REFERRAL_QUESTIONS)]
    referrals = set(ref.loc[_norm(ref["answer"]).isin(jm.YES_ANSWERS), "profile_id"])

    orders = _linked(con, "orders", "raw_orders", members)
    orders = orders[orders["order_date"].isna() | (orders["order_date"] <= as_of)].copy()
    orders["kept"] = ~_norm(orders["status"]).fillna("completed").isin(NOT_KEPT)
    per_order = orders.groupby(["profile_id", "order_id"], as_index=False).agg(
        kept=("kept", "any"), channel=("channel", "max")
    )
    keys: dict[str, set[str]] = {}
    for pid, oid in per_order.loc[per_order["kept"], ["profile_id", "order_id"]].itertuples(
        index=False
    ):
        keys.setdefault(pid, set()).add(oid)
    # the order file is the record of an order, whoever it was linked to
    known = set(_df(con, "SELECT order_id FROM raw_orders")["order_id"].dropna())
    bought_ev = ev[ev["cls"] == "purchase"]
    for pid, oid in zip(bought_ev["profile_id"], bought_ev["order_id"], strict=True):
        if oid not in known:
            keys.setdefault(pid, set()).add(oid)

    reviews = _linked(con, "reviews", "raw_reviews", members)
    good_reviews = reviews[reviews["rating"] >= jm.REVIEW_MIN_RATING]
    docs = _df(con, "SELECT * FROM text_docs")
    docs = docs[docs["profile_id"].isin(members)]
    posts = docs[docs["source"] == "social"].groupby(["profile_id", "record_id"])["sentiment"]
    post_means = posts.mean().reset_index()
    good_posts = set(post_means.loc[post_means["sentiment"] >= jm.POSITIVE_SENTIMENT, "profile_id"])

    last_seen = ev.groupby("profile_id")["timestamp"].max()
    active = set(last_seen[last_seen >= recent].index) | set(
        engaged.loc[engaged["timestamp"] >= recent, "profile_id"]
    )
    buyers = {p for p, k in keys.items() if k}
    stages = {
        "awareness": set(ev["profile_id"])
        | received
        | set(vs["profile_id"])
        | set(heard["profile_id"]),
        "consideration": set(ev.loc[ev["cls"] == "consider", "profile_id"]),
        "purchase": buyers,
        "retention": {p for p in buyers if len(keys[p]) >= 2 or p in active},
        "advocacy": promoters | set(good_reviews["profile_id"]) | good_posts | referrals,
    }
    return {
        "stages": stages,
        "events": ev,
        "orders": per_order,
        "value_scores": vs,
        "docs": docs,
        "repeat": {p for p in buyers if len(keys[p]) >= 2},
        "active": active,
    }


def _mapped_docs(docs: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The documents the module doc assigns to a stage, written out independently."""
    src, facet = docs["source"], docs["facet"]
    mask = {
        "awareness": (src == "survey") & facet.isin(["goal", "pain_point"]),
        "consideration": (facet == "objection") | ((src == "survey") & (facet == "motivation")),
        "purchase": src == "review",
        "retention": src == "ticket",
        "advocacy": (src == "social") | ((src == "review") & (docs["rating"] >= 4)),
    }[stage]
    return docs[mask.fillna(False).astype(bool)]


def _register(con: duckdb.DuckDBPyConnection, name: str, ids: set[str]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (profile_id VARCHAR)")
    if ids:
        con.executemany(f"INSERT INTO {name} VALUES (?)", [[i] for i in sorted(ids)])


def _by_stage(stages: list[JourneyStage]) -> dict[str, JourneyStage]:
    assert [s.stage for s in stages] == list(JOURNEY_STAGES)
    return {s.stage: s for s in stages}


def _check_shape(stages: list[JourneyStage], total: int) -> None:
    """Ranges, conversion arithmetic, touchpoint shares and evidence of any journey."""
    by = _by_stage(stages)
    assert by["awareness"].conversion is None and by["awareness"].drop_off is None
    for prev, cur in itertools.pairwise(JOURNEY_STAGES):
        s = by[cur]
        assert 0 <= s.reached <= total
        assert s.reached_share == pytest.approx(s.reached / total)
        assert s.conversion is not None and 0.0 <= s.conversion <= 1.0
        assert s.drop_off == pytest.approx(1 - s.conversion)
        # conversion counts the previous stage's members who also got here
        assert s.conversion * by[prev].reached <= s.reached + 1e-9
    for s in stages:
        assert 1 <= len(s.claims) <= 2, s.stage
        assert all(c.evidence for c in s.claims)
        labels: dict[str, list[float]] = {}
        for f in s.touchpoints:
            assert f.share is not None and 0 < f.share <= 1
            ev = f.evidence[0]
            assert ev.kind == "records" and ev.n == s.reached
            assert ev.segment_value == pytest.approx(f.share)
            labels.setdefault(f.label, []).append(f.share)
        for shares in labels.values():
            assert shares == sorted(shares, reverse=True) and len(shares) <= 3
        if s.sentiment is not None:
            assert -1 <= s.sentiment <= 1 and s.sentiment_n > 0


# ----------------------------------------------------------------------------- tests
def test_events_link_to_profiles_through_record_profiles(retail):
    """The join the journey relies on: one record_profiles row per raw event, by file+row."""
    with retail.connect() as con:
        events, linked, with_profile = con.execute(
            "SELECT (SELECT count(*) FROM raw_events), count(*), count(rp.profile_id) "
            "FROM raw_events e JOIN record_profiles rp ON rp.source_kind = 'events' "
            "AND rp.source_file = e._source_file AND rp.source_row = e._source_row"
        ).fetchall()[0]
    assert linked == events > 0
    assert with_profile >= 0.95 * events


def test_retail_group_matches_independent_recount(retail):
    with retail.connect() as con:
        prof = _df(con, "SELECT profile_id, age_band, orders, anonymous FROM profiles")
        # one age band plus everyone without one (anonymous visitors, non-buyers)
        group = prof[(prof["age_band"] == "25-34") | prof["age_band"].isna()]
        members = set(group["profile_id"])
        assert (group["orders"].fillna(0) == 0).sum() > 20  # non-buyers are in the group
        _register(con, "_persona_members", members)
        stages = journey_map(con)
        expected = recount(con, members)
        leftovers = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '_journey_%'"
        ).fetchall()[0][0]
    assert leftovers == 0
    by = _by_stage(stages)
    exp = expected["stages"]
    total = len(members)
    for stage in JOURNEY_STAGES:
        assert by[stage].reached == len(exp[stage]), stage
    for prev, cur in itertools.pairwise(JOURNEY_STAGES):
        assert by[cur].conversion == pytest.approx(len(exp[cur] & exp[prev]) / len(exp[prev]))
    _check_shape(stages, total)
    # the group is not all buyers, so purchase really converts below 1
    assert by["purchase"].reached < by["awareness"].reached
    # every customer the profiles count as a buyer is a buyer here too
    assert set(group.loc[group["orders"].fillna(0) > 0, "profile_id"]) <= exp["purchase"]
    assert by["advocacy"].reached > 0 and by["consideration"].reached > 0

    # retention claim: the repeat share of buyers
    buyers = len(exp["purchase"])
    repeat_share = len(expected["repeat"] & exp["purchase"]) / buyers
    retention_text = by["retention"].claims[0].text
    assert retention_text.startswith(f"{round(100 * repeat_share)}% of buyers bought again")
    assert by["retention"].claims[0].evidence[0].n == buyers

    # touchpoint shares, recounted
    reached = {s: exp[s] for s in JOURNEY_STAGES}
    vs = expected["value_scores"]
    for f in (f for f in by["awareness"].touchpoints if f.label == "Came through"):
        level = f.evidence[0].level
        n = vs.loc[vs["acquisition_channel"] == level, "profile_id"].isin(reached["awareness"])
        assert f.share == pytest.approx(n.sum() / len(reached["awareness"]))
    ev = expected["events"]
    devices = [f for f in by["consideration"].touchpoints if f.label == "Device"]
    assert devices
    for f in devices:
        who = ev.loc[(ev["cls"] == "consider") & (ev["device_type"] == f.evidence[0].level)]
        assert f.share == pytest.approx(
            len(set(who["profile_id"]) & reached["consideration"]) / len(reached["consideration"])
        )
    orders = expected["orders"]
    channels = [f for f in by["purchase"].touchpoints if f.label == "Order channel"]
    assert channels
    for f in channels:
        who = orders.loc[orders["kept"] & (orders["channel"] == f.evidence[0].level)]
        assert f.share == pytest.approx(len(set(who["profile_id"])) / len(reached["purchase"]))

    # sentiment per stage = mean of the mapped documents
    docs = expected["docs"]
    for stage in JOURNEY_STAGES:
        mapped = _mapped_docs(docs, stage)["sentiment"].dropna()
        assert by[stage].sentiment_n == len(mapped), stage
        if len(mapped):
            assert by[stage].sentiment == pytest.approx(mapped.mean()), stage
        else:
            assert by[stage].sentiment is None
    assert by["retention"].sentiment_n > 0 and by["retention"].sentiment < 0  # tickets


def test_overall_journey_is_all_buyers_and_leaves_members_alone(retail):
    with retail.connect() as con:
        _register(con, "_persona_members", {"nobody"})
        stages = overall_journey(con)
        kept = con.execute("SELECT list(profile_id) FROM _persona_members").fetchall()[0][0]
        buyers = con.execute(
            "SELECT count(*) FROM profiles WHERE NOT coalesce(anonymous, false) AND orders > 0"
        ).fetchall()[0][0]
        expected = recount(
            con,
            set(
                _df(
                    con,
                    "SELECT profile_id FROM profiles "
                    "WHERE NOT coalesce(anonymous, false) AND orders > 0",
                )["profile_id"]
            ),
        )["stages"]
    assert kept == ["nobody"]
    by = _by_stage(stages)
    assert by["purchase"].reached == buyers and by["purchase"].reached_share == 1.0
    assert {s: by[s].reached for s in JOURNEY_STAGES} == {s: len(v) for s, v in expected.items()}
    _check_shape(stages, buyers)
    # store buyers skip the browsing: purchase outnumbers consideration, conversion stays 1
    assert by["consideration"].reached < by["purchase"].reached
    assert by["purchase"].conversion == pytest.approx(1.0)
    assert any("no browsing on record" in c.text for c in by["purchase"].claims)


def test_empty_group_gives_zero_counts(retail):
    with retail.connect() as con:
        _register(con, "_journey_test_empty", set())
        stages = journey_map(con, "_journey_test_empty")
    for s in stages:
        assert s.reached == 0 and s.reached_share == 0.0
        assert s.conversion is None and s.drop_off is None
        assert s.touchpoints == [] and s.claims == []
        assert s.sentiment is None and s.sentiment_n == 0


def test_members_must_be_a_table_name(retail):
    with retail.connect() as con, pytest.raises(ValueError, match="members"):
        journey_map(con, "x; DROP TABLE profiles")


def test_saas_account_people(saas):
    """B2B: the people of a set of accounts; a paying account makes its people buyers."""
    with saas.connect() as con:
        people = _df(
            con,
            "SELECT profile_id, account_id FROM profiles "
            "WHERE NOT coalesce(anonymous, false) AND account_id IS NOT NULL",
        )
        accounts = sorted(people["account_id"].unique())
        chosen = set(accounts[: len(accounts) // 2])
        members = set(people.loc[people["account_id"].isin(chosen), "profile_id"])
        _register(con, "_persona_members", members)
        stages = journey_map(con, top=2)
        expected = recount(con, members)["stages"]
        vo = _df(con, "SELECT profile_id, order_key, kept, account_key FROM value_orders")
        events = _df(con, "SELECT DISTINCT lower(event) AS e FROM raw_events WHERE type = 'track'")
        overall = overall_journey(con)
        buyers = con.execute(
            "SELECT count(*) FROM profiles WHERE NOT coalesce(anonymous, false) AND orders > 0"
        ).fetchall()[0][0]
    by = _by_stage(stages)
    # paying accounts: every member of an account with a kept order, plus own buyers
    paying = set(vo.loc[vo["kept"], "account_key"].dropna())
    account_buyers = set(people.loc[people["account_id"].isin(paying), "profile_id"]) & members
    assert by["purchase"].reached == len(account_buyers | expected["purchase"])
    assert by["purchase"].reached > len(expected["purchase"])  # more than the billing contacts
    # product use counts as consideration in SaaS (no e-commerce events there)
    assert not set(events["e"].dropna()) & {"product viewed", "product added"}
    assert by["consideration"].reached == len(expected["consideration"]) > 0
    for stage in ("awareness", "consideration", "advocacy"):
        assert by[stage].reached == len(expected[stage]), stage
    _check_shape(stages, len(members))
    for s in stages:
        counts: dict[str, int] = {}
        for f in s.touchpoints:
            counts[f.label] = counts.get(f.label, 0) + 1
        assert all(n <= 2 for n in counts.values())
    o = _by_stage(overall)
    assert o["purchase"].reached == buyers
    assert all(not math.isnan(s.reached_share) for s in overall)
