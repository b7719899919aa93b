"""Personas on the demo data, judged against the archetypes the generator planted.

Each planted archetype must map to exactly one persona (the archetype most of the persona's
segment belong to), and that persona must say what was planted: a title naming the
archetype's concept, its demographics (or firmographics), goals and pain points voiced by
people of that archetype, and its channel.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from personae import Workspace
from personae.personas.schema import Persona, persona_json_schema
from tests.helpers import profile_owners, read_truth

ROOT = Path(__file__).resolve().parents[1]

# The concept of each planted label, as words a title must contain (one of).
TITLE_WORDS = {
    "busy_parent": ("mom", "parent", "family"),
    "fitness_enthusiast": ("fitness", "athlete", "sport"),
    "mindful_retiree": ("retiree", "senior"),
    "eco_millennial": ("eco", "sustainab", "green"),
    "gift_shopper": ("gift",),
    "serial_returner": ("return",),
    "discount_hunter": ("discount", "deal", "bargain"),
    "scaling_startup": ("startup", "scaling"),
    "enterprise_ops": ("enterprise",),
    "agency_power_user": ("agency",),
    "smb_owner": ("small business", "owner"),
    "data_team": ("analytics", "data", "mid-market"),
    "at_risk_support_drain": ("support", "at-risk", "churn"),
}
CHANNEL_WORDS = {
    "app": "in the app",
    "online": "online",
    "store": "in store",
    "sales": "through sales",
}


@pytest.fixture(scope="session")
def retail_personas(retail_5k):
    ws, data = retail_5k
    return ws, data, ws.personas().personas


@pytest.fixture(scope="session")
def saas_personas(saas_5k):
    ws, data = saas_5k
    return ws, data, ws.personas().personas


def _archetypes(data: Path) -> dict[str, dict]:
    doc = json.loads((data / "truth" / "archetypes.json").read_text())
    return {a["key"]: a for a in doc["archetypes"]}


def _entity_truth(ws: Workspace, data: Path) -> dict[str, str]:
    """Segmented entity id -> its planted archetype."""
    entity = ws.sql("SELECT DISTINCT entity FROM segments").to_pylist()[0]["entity"]
    if entity == "account":
        return {r["account_id"]: r["archetype"] for r in read_truth(data, "accounts.csv")}
    people = {r["person_id"]: r["archetype"] for r in read_truth(data, "people.csv")}
    return {pid: people[p] for pid, p in profile_owners(ws, data).items() if p in people}


def _author_truth(ws: Workspace, data: Path) -> dict[str, str]:
    """profile id of a person (writer of texts) -> planted archetype (the account's for B2B)."""
    people = read_truth(data, "people.csv")
    archetype = {r["person_id"]: r["archetype"] for r in people}
    owners = profile_owners(ws, data, kinds=("contacts", "orders", "survey_responses", "tickets"))
    return {pid: archetype[p] for pid, p in owners.items() if p in archetype}


def _persona_archetypes(ws, data, personas) -> dict[str, str]:
    truth = _entity_truth(ws, data)
    rows = ws.sql("SELECT entity_id, segment FROM segments").to_pylist()
    out = {}
    for p in personas:
        members = Counter(
            truth[r["entity_id"]]
            for r in rows
            if r["segment"] == p.segment and r["entity_id"] in truth
        )
        out[p.id] = members.most_common(1)[0][0]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_each_planted_archetype_maps_to_exactly_one_persona(request, scenario):
    ws, data, personas = request.getfixturevalue(f"{scenario}_personas")
    mapped = _persona_archetypes(ws, data, personas)
    planted = set(_archetypes(data))
    assert sorted(mapped.values()) == sorted(planted), mapped
    archetypes = _archetypes(data)
    for p in personas:
        # negative archetypes become negative personas, and only they do
        assert (p.role == "negative") == archetypes[mapped[p.id]]["negative"], p.title.text


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_titles_name_the_planted_concept(request, scenario):
    ws, data, personas = request.getfixturevalue(f"{scenario}_personas")
    mapped = _persona_archetypes(ws, data, personas)
    for p in personas:
        words = TITLE_WORDS[mapped[p.id]]
        title = p.title.text.lower()
        assert any(w in title for w in words), (p.title.text, mapped[p.id])
        assert title.startswith(p.name.lower() + ", the ")
    assert len({p.name for p in personas}) == len(personas)


@pytest.mark.slow
def test_retail_demographics_and_channels_match_the_truth(retail_personas):
    ws, data, personas = retail_personas
    mapped = _persona_archetypes(ws, data, personas)
    archetypes = _archetypes(data)
    for p in personas:
        a = archetypes[mapped[p.id]]
        facts = {f.label: f for f in p.demographics}
        lo, hi = a["age"]
        assert lo - 3 <= p.naming.age <= hi + 3, (p.title.text, p.naming.age, a["age"])
        if a["female"] >= 0.7:
            assert facts["Gender"].value == "women" and p.naming.gender == "female", p.title.text
        elif a["female"] <= 0.3:
            assert facts["Gender"].value == "men", p.title.text
        top_channel = max(a["channels"], key=a["channels"].get)
        if a["channels"][top_channel] >= 0.6:
            channel = next(f for f in p.buying_behaviour if f.label == "Channel")
            assert channel.value == CHANNEL_WORDS[top_channel], (p.title.text, channel.value)
        top_device = max(a["devices"], key=a["devices"].get)
        if a["devices"][top_device] >= 0.6:
            device = next(f for f in p.buying_behaviour if f.label == "Device")
            assert device.value == top_device, (p.title.text, device.value)


@pytest.mark.slow
def test_saas_firmographics_and_channels_match_the_truth(saas_personas):
    ws, data, personas = saas_personas
    mapped = _persona_archetypes(ws, data, personas)
    archetypes = _archetypes(data)
    for p in personas:
        a = archetypes[mapped[p.id]]
        facts = {f.label: f for f in p.firmographics}
        assert facts["Industry"].value in a["industries"], (p.title.text, facts["Industry"].value)
        lo, hi = a["employees"]
        band = facts["Company size"].value.split(" ")[0]
        first = int(band.replace("+", "").split("–")[0].replace(",", ""))
        assert lo * 0.5 <= max(first, 1) <= hi, (p.title.text, band, a["employees"])
        assert any(f.label == "Decision power" for f in p.firmographics)
        top_channel = max(a["channels"], key=a["channels"].get)
        if a["channels"][top_channel] >= 0.6:
            channel = next(f for f in p.buying_behaviour if f.label == "Channel")
            assert channel.value == CHANNEL_WORDS[top_channel], (p.title.text, channel.value)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_goals_pain_points_and_quotes_come_from_the_planted_archetype(request, scenario):
    """The persona's goals, pain points and quotes are voiced by people of its archetype:
    their quote records are authored (truth) by members of the mapped archetype."""
    ws, data, personas = request.getfixturevalue(f"{scenario}_personas")
    mapped = _persona_archetypes(ws, data, personas)
    authors = _author_truth(ws, data)
    doc_author = {
        r["record_id"]: r["profile_id"]
        for r in ws.sql("SELECT DISTINCT record_id, profile_id FROM text_docs").to_pylist()
    }
    for p in personas:
        assert p.goals and (p.pain_points or p.frustrations), p.title.text
        assert 3 <= len(p.quotes) <= 5, p.title.text
        records = [q.record_id for q in p.quotes]
        for theme in p.goals + p.pain_points + p.frustrations:
            records += [r for e in theme.evidence if e.kind == "quote" for r in e.record_ids]
        known = [authors[doc_author[r]] for r in records if doc_author.get(r) in authors]
        assert len(known) >= 0.8 * len(records), p.title.text
        right = sum(a == mapped[p.id] for a in known)
        # 75%: every quoted person is a typical member of the persona's segment (see the
        # next test), but segments are not pure
        assert right >= 0.75 * len(known), (p.title.text, Counter(known))
        # the themes are distinctive for the segment, not what everybody says
        assert p.goals[0].lift > 1.0 and (p.pain_points or p.frustrations)[0].lift > 1.0


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_quotes_come_from_typical_members_of_the_segment(request, scenario):
    """A persona's quotes speak for its segment, so they come from members who clearly
    belong: not outliers, and a membership probability at least the segment's median."""
    ws, _, personas = request.getfixturevalue(f"{scenario}_personas")
    entity = ws.sql("SELECT DISTINCT entity FROM segments").to_pylist()[0]["entity"]
    key = "p.account_id" if entity == "account" else "p.profile_id"
    rows = ws.sql(
        f"""SELECT p.profile_id, s.segment,
                   NOT s.outlier AND s.probability >= median(s.probability)
                       OVER (PARTITION BY s.segment) AS typical
            FROM segments s JOIN profiles p ON {key} = s.entity_id"""
    ).to_pylist()
    typical = {(r["profile_id"], r["segment"]): r["typical"] for r in rows}
    author = {
        r["record_id"]: r["profile_id"]
        for r in ws.sql("SELECT DISTINCT record_id, profile_id FROM text_docs").to_pylist()
    }
    assert 0.3 < sum(typical.values()) / len(typical) < 0.95  # the rule leaves some out
    for p in personas:
        quoted = [author[q.record_id] for q in p.quotes]
        assert quoted and all(typical[(pid, p.segment)] for pid in quoted), p.title.text


@pytest.mark.slow
def test_personas_are_stable_across_reruns_and_versioned(retail_personas):
    ws, _, personas = retail_personas
    again = ws.personas().personas
    assert [(p.id, p.title.text, p.naming.avatar_svg) for p in again] == [
        (p.id, p.title.text, p.naming.avatar_svg) for p in personas
    ]
    rows = ws.sql("SELECT id, version, current FROM personas").to_pylist()
    assert {r["version"] for r in rows} == {1}
    assert all(r["current"] for r in rows) and len(rows) == len(personas)


@pytest.mark.slow
def test_documents_validate_against_the_published_json_schema(retail_personas, saas_personas):
    published = json.loads((ROOT / "docs" / "persona.schema.json").read_text())
    assert published == json.loads(json.dumps(persona_json_schema())), (
        "docs/persona.schema.json is stale: regenerate it with "
        "`personae personas --schema > docs/persona.schema.json`"
    )
    for _, _, personas in (retail_personas, saas_personas):
        for p in personas:
            doc = p.model_dump(mode="json")
            jsonschema.validate(doc, published)
            assert Persona.model_validate(doc) == p


@pytest.mark.slow
def test_negative_personas_get_guidance_to_deter_them(retail_personas):
    _, _, personas = retail_personas
    negative = [p for p in personas if p.role == "negative"]
    assert negative
    for p in negative:
        assert p.guidance.deter, p.title.text
    for p in personas:
        if p.role == "primary":
            assert not p.guidance.deter
            assert p.guidance.messaging and p.guidance.channels
