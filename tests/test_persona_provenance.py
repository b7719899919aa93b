"""Every statement in every persona document carries its evidence, and the evidence is true.

The walk is over the JSON documents (what users and the API see): any object with a
``text`` is a claim and must have evidence; statistic evidence must carry a figure, quote
evidence the ids of records that exist. Then the figures themselves are recomputed
independently from the workspace tables for the segment's members.
"""

from __future__ import annotations

import math

import pytest


def _claims(node, path="$"):
    """Yield (path, claim dict) for every object in the document that states something."""
    if isinstance(node, dict):
        if "text" in node:
            yield path, node
        for key, value in node.items():
            yield from _claims(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _claims(value, f"{path}[{i}]")


def _evidence(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("evidence", "basis") and isinstance(value, list):
                yield from value
            else:
                yield from _evidence(value)
    elif isinstance(node, list):
        for value in node:
            yield from _evidence(value)


@pytest.fixture(scope="module", params=["retail", "saas"])
def documents(request):
    ws, _ = request.getfixturevalue(f"{request.param}_5k")
    personas = ws.load_personas() or ws.personas().personas
    return ws, [p.model_dump(mode="json") for p in personas]


@pytest.mark.slow
def test_every_claim_in_every_persona_has_evidence(documents):
    ws, docs = documents
    records = {
        r["record_id"] for r in ws.sql("SELECT DISTINCT record_id FROM text_docs").to_pylist()
    }
    claims = 0
    for doc in docs:
        for path, claim in _claims(doc):
            claims += 1
            assert claim.get("evidence"), f"{doc['id']} {path}: {claim['text']!r} has no evidence"
            for ev in claim["evidence"]:
                assert ev["source"], f"{doc['id']} {path}: evidence without a source"
                if ev["kind"] == "statistic":
                    figures = (ev["segment_value"], ev["lift"], ev["std_diff"], ev["n"])
                    assert any(f is not None for f in figures), f"{doc['id']} {path}: no figure"
                if ev["kind"] == "quote":
                    assert ev["record_ids"], f"{doc['id']} {path}: quote without a record"
                    missing = set(ev["record_ids"]) - records
                    assert not missing, f"{doc['id']} {path}: unknown records {missing}"
        # the invented parts say what they were chosen from; size and quality are sourced
        assert doc["naming"]["basis"] and doc["size"]["evidence"] and doc["quality"]["evidence"]
        # sections a reader relies on are all there
        for key in ("bio", "goals", "quotes", "buying_behaviour", "communication_channels"):
            assert doc[key], f"{doc['id']}: empty {key}"
        assert set(doc["empathy_map"]) == {"says", "thinks", "does", "feels"}
    assert claims > 100


@pytest.mark.slow
def test_profile_statistics_in_the_evidence_are_true(documents):
    """Recompute every share and median cited from ``profiles`` for the segment's people."""
    ws, docs = documents
    entity = ws.sql("SELECT DISTINCT entity FROM segments").to_pylist()[0]["entity"]
    if entity == "account":
        members_sql = (
            "SELECT p.profile_id FROM profiles p JOIN segments s ON s.entity_id = p.account_id "
            "WHERE s.segment = ? AND NOT coalesce(p.anonymous, false)"
        )
    else:
        members_sql = "SELECT entity_id AS profile_id FROM segments WHERE segment = ?"
    columns = {r["column_name"] for r in ws.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'profiles'"
    ).to_pylist()}  # fmt: skip
    checked = 0
    for doc in docs:
        seg = doc["segment"]
        seen = set()
        for ev in _evidence(doc):
            attr = ev.get("attribute")
            if ev.get("source") != "profiles" or attr not in columns or ev["segment_value"] is None:
                continue
            key = (attr, ev.get("level"), ev.get("note"))
            if key in seen:
                continue
            seen.add(key)
            values = [
                r["v"]
                for r in ws.sql(
                    f"SELECT p.{attr} AS v FROM profiles p "
                    f"JOIN ({members_sql}) m USING (profile_id)",
                    [seg],
                ).to_pylist()
                if r["v"] is not None and str(r["v"]).strip() != ""
            ]
            if ev.get("level") is not None:
                share = sum(str(v) == ev["level"] for v in values) / len(values)
                assert math.isclose(share, ev["segment_value"], rel_tol=1e-9), (doc["id"], key)
                assert ev["n"] == len(values), (doc["id"], key)
            elif (ev.get("note") or "").startswith("median"):
                xs = sorted(float(v) for v in values)
                mid = len(xs) // 2
                median = xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
                assert math.isclose(median, ev["segment_value"], rel_tol=1e-6), (doc["id"], key)
            elif (ev.get("note") or "").startswith("mean"):
                mean = sum(float(v) for v in values) / len(values)
                assert math.isclose(mean, ev["segment_value"], rel_tol=1e-6), (doc["id"], key)
            checked += 1
    assert checked >= 10 * len(docs)
