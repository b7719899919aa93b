"""Consent per purpose on real demo workspaces.

The demo plants one choice per person and purpose (``personae.demo.people._consent``:
yes, no or never asked) and writes it into the CRM export and, on some sessions, into
Segment's ``context.consent``. The tests regenerate those planted choices from the demo's
own seed, map each profile to its true person through ``truth/records.csv``, and check
that ``consent_state`` recovers them, that segmentation and audience exports leave out the
people who said no, and that a consent file and identify traits change the state with a
history that shows revocations.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from personae import Workspace
from personae.config import AudienceSettings, GovernanceSettings
from personae.governance.consent import (
    PURPOSES,
    build_consent,
    consent_filter,
    consent_sql,
)
from personae.segments.audiences import export_audience, list_audiences
from personae.web.live import LIVE_DDL
from tests.helpers import profile_owners, read_truth
from tests.web_support import copy_workspace

ANSWER = {"yes": True, "no": False}


def planted_consent(data: Path) -> dict[str, dict[str, str]]:
    """person_id -> purpose -> 'yes' / 'no' / '' as the demo generator drew it.

    Re-draws the people of a one-chunk demo with the generator's own seeding (the first
    draws of a chunk), and checks the person ids against ``truth/people.csv`` so a change
    in the generator fails loudly here rather than comparing against the wrong people.
    """
    from personae.demo.archetypes import matrices
    from personae.demo.common import py_random
    from personae.demo.generator import _SCENARIO_CODE, default_chunk
    from personae.demo.people import make_people
    from personae.demo.pools import pools

    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    scenario, seed, n = manifest["scenario"], manifest["seed"], manifest["customers"]
    assert n <= default_chunk(scenario), "the helper re-draws one chunk only"
    rng = np.random.default_rng([seed, _SCENARIO_CODE[scenario], 0])
    py_random(rng)  # the chunk's text generator draws its seed first
    people = make_people(scenario, 0, 0, n, rng, pools(seed), matrices(scenario))
    assert list(people.pid) == [r["person_id"] for r in read_truth(data, "people.csv")]
    return {
        pid: {p: people.consent[k][i] for k, p in enumerate(PURPOSES)}
        for i, pid in enumerate(people.pid)
    }


@pytest.fixture(scope="module")
def consented(retail_5k, tmp_path_factory: pytest.TempPathFactory):
    """A private copy of the 5k retail workspace with consent built; its planted truth."""
    source, data = retail_5k
    ws = Workspace(copy_workspace(source.path, tmp_path_factory.mktemp("consent") / "ws"))
    with ws.connect() as con:
        summary = build_consent(con, ws.config.governance)
    owners = profile_owners(ws, data)
    planted = planted_consent(data)
    return ws, summary, {prof: planted[person] for prof, person in owners.items()}


def _state(ws: Workspace) -> dict[str, dict]:
    return {r["profile_id"]: r for r in ws.sql("SELECT * FROM consent_state").to_pylist()}


def test_state_recovers_planted_choices(consented):
    ws, summary, truth = consented
    state = _state(ws)
    assert summary.by_source.get("contacts", 0) > 0 and summary.by_source.get("events", 0) > 0
    for purpose in PURPOSES:
        said = {prof: t[purpose] for prof, t in truth.items() if t[purpose]}
        recorded = {
            prof: state[prof][purpose]
            for prof in truth
            if prof in state and state[prof][purpose] is not None
        }
        # no recorded choice ever contradicts what the person said, and nobody who was
        # never asked has one
        wrong = [p for p, v in recorded.items() if p not in said or v != ANSWER[said[p]]]
        assert wrong == [], (purpose, wrong[:5])
        # nearly everyone who said something has it recorded (the rest lost their CRM row
        # to quarantine and never sent a consent event)
        assert len(recorded) >= 0.98 * len(said), purpose
        denied = sum(1 for v in said.values() if v == "no")
        assert sum(1 for v in recorded.values() if v is False) >= 0.98 * denied
        assert summary.state[purpose]["denied"] >= sum(1 for v in recorded.values() if not v)
    # one row per profile, and the history agrees with the state it produced
    ids = ws.sql("SELECT count(*) AS n, count(DISTINCT profile_id) AS d FROM consent_state")
    assert ids.column("n")[0].as_py() == ids.column("d")[0].as_py() == summary.profiles
    last = ws.sql(
        """SELECT profile_id, purpose, arg_max(status, "at") AS status FROM consent_events
           GROUP BY ALL"""
    ).to_pylist()
    for r in last:
        assert state[r["profile_id"]][r["purpose"]] == (r["status"] == "granted")


def test_events_alone_record_choices(consented):
    """People whose CRM row carries no choice are still covered by Segment's consent."""
    ws, _, truth = consented
    only_events = ws.sql(
        """SELECT profile_id FROM consent_events GROUP BY profile_id
           HAVING bool_and(source_kind = 'events')"""
    ).column("profile_id")
    checked = [p for p in only_events.to_pylist() if p in truth]
    assert checked, "the demo should have people known to consent only from events"
    state = _state(ws)
    for prof in checked:
        for purpose in PURPOSES:
            assert state[prof][purpose] == ANSWER[truth[prof][purpose]]


def test_build_is_idempotent(consented):
    ws, summary, _ = consented
    before = ws.sql("SELECT * FROM consent_events ORDER BY ALL").to_pylist()
    with ws.connect() as con:
        again = build_consent(con, ws.config.governance)
    assert again.events == summary.events and again.profiles == summary.profiles
    assert ws.sql("SELECT * FROM consent_events ORDER BY ALL").to_pylist() == before


def test_consent_sql_semantics(consented):
    ws, _, _ = consented
    state = _state(ws)
    everyone = [r["profile_id"] for r in ws.sql("SELECT profile_id FROM profiles").to_pylist()]
    for purpose in PURPOSES:
        for default in (True, False):
            # unqualified and qualified columns mean the caller's row
            for col in ("profile_id", "p.profile_id"):
                allowed = consent_sql(purpose, default, col)
                got = set(
                    ws.sql(f"SELECT profile_id FROM profiles p WHERE {allowed}")
                    .column("profile_id")
                    .to_pylist()
                )
                want = set()
                for prof in everyone:
                    choice = state.get(prof, {}).get(purpose)
                    if (default if choice is None else choice) is True:
                        want.add(prof)
                assert got == want, (purpose, default, col)
    assert consent_sql("", False) == "TRUE"
    with pytest.raises(ValueError, match="unknown consent purpose 'marketing'"):
        consent_sql("marketing", True)


def test_works_without_consent_or_data(tmp_path):
    ws = Workspace.init(tmp_path / "empty")
    with ws.connect() as con:
        assert consent_filter(con, "analytics", True) == "TRUE"
        assert consent_filter(con, "analytics", False) == "FALSE"
        summary = build_consent(con, GovernanceSettings())
        for table in ("consent_events", "consent_state"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0
        # once the table exists the real predicate is used
        assert "consent_state" in consent_filter(con, "advertising", True)
    assert summary.events == summary.profiles == summary.choices == 0


def test_segmentation_leaves_out_analytics_refusals(consented, retail_5k):
    ws, _, truth = consented
    # the default population: people who bought (see [segments] where)
    before = (
        ws.sql("SELECT count(*) AS n FROM profiles WHERE NOT anonymous AND coalesce(orders, 0) > 0")
        .column("n")[0]
        .as_py()
    )
    denied = set(
        ws.sql(
            """SELECT p.profile_id FROM profiles p JOIN consent_state c USING (profile_id)
               WHERE NOT c.analytics AND NOT p.anonymous AND coalesce(p.orders, 0) > 0"""
        )
        .column("profile_id")
        .to_pylist()
    )
    assert len(denied) > 100  # the demo plants ~10% refusals
    result = ws.segment()
    segmented = set(ws.sql("SELECT entity_id FROM segments").column("entity_id").to_pylist())
    assert not segmented & denied
    assert result.entities == len(segmented) == before - len(denied)
    model = json.loads(ws.sql("SELECT model FROM segment_models").column("model")[0].as_py())
    assert model["consent"] == {"purpose": "analytics", "excluded": len(denied)}
    # against the planted truth: the people who said no are (nearly all) gone
    said_no = {p for p, t in truth.items() if t["analytics"] == "no"}
    assert len(said_no & segmented) <= 0.02 * len(said_no)
    assert {p for p, t in truth.items() if t["analytics"] == "yes"} & segmented


def test_audience_export_leaves_out_advertising_refusals(consented, tmp_path):
    ws, _, truth = consented
    audiences = {"buyers": AudienceSettings(where="orders >= 1")}
    with ws.connect(read_only=True) as con:
        matching = {
            r[0]
            for r in con.execute(
                "SELECT profile_id FROM profiles WHERE orders >= 1 AND NOT anonymous"
            ).fetchall()
        }
        out = tmp_path / "buyers.csv"
        rows = export_audience(con, "buyers", audiences, out, 12)
        listed = list_audiences(con, audiences, 12)[0]
        everyone = export_audience(
            con,
            "buyers",
            audiences,
            tmp_path / "all.csv",
            12,
            governance=GovernanceSettings(audience_purpose=""),
        )
    with open(out, newline="", encoding="utf-8") as fh:
        exported = {r["profile_id"] for r in csv.DictReader(fh)}
    state = _state(ws)
    refused = {p for p in matching if state.get(p, {}).get("advertising") is False}
    assert refused and not exported & refused
    assert exported == matching - refused
    assert rows == len(exported) and rows.excluded == len(refused) and rows.purpose == "advertising"
    assert (listed.members, listed.excluded) == (rows, rows.excluded)
    assert everyone == len(matching) and everyone.excluded == 0
    said_no = {p for p, t in truth.items() if t["advertising"] == "no"} & matching
    assert len(said_no & exported) <= 0.02 * len(said_no)


# -- consent files and identify traits ------------------------------------------------------
def _pick(ws: Workspace, condition: str, taken: set[str]) -> dict:
    """A contact with an email, customer id and contact id, one per profile."""
    rows = ws.sql(
        f"""SELECT c.contact_id, c.customer_id, c.email, rp.profile_id,
                  c.consent_analytics, c.consent_personalization, c.consent_advertising
           FROM raw_contacts c JOIN record_profiles rp ON rp.source_kind = 'contacts'
             AND rp.source_file = c._source_file AND rp.source_row = c._source_row
           WHERE c.email LIKE '%@%' AND c.customer_id IS NOT NULL AND {condition}
           ORDER BY c.contact_id"""
    ).to_pylist()
    for r in rows:
        if r["profile_id"] not in taken:
            taken.add(r["profile_id"])
            return r
    raise AssertionError(f"no contact with {condition}")


def test_consent_file_and_traits_change_the_state(retail_ws, tmp_path):
    source, _ = retail_ws
    ws = Workspace(copy_workspace(source.path, tmp_path / "ws"))
    ws.build()
    taken: set[str] = set()
    a = _pick(ws, "consent_analytics", taken)  # said yes in the CRM, withdraws by email
    b = _pick(ws, "NOT consent_advertising", taken)  # said no, later opts in by customer id
    c = _pick(ws, "consent_personalization IS NULL", taken)  # never asked; yes, then opt-out
    d = _pick(ws, "consent_advertising", taken)  # withdraws through identify traits
    consents = tmp_path / "consents.csv"
    rows = [
        [
            "Email Address",
            "Customer ID",
            "Contact ID",
            "Purpose",
            "Status",
            "Consented At",
            "Source",
        ],
        [a["email"], "", "", "Analytics", "denied", "2027-01-10 09:00:00", "cookie banner"],
        ["", b["customer_id"], "", "advertising", "opt-in", "2027-01-10 09:00:00", "pref centre"],
        ["", "", c["contact_id"], "personalisation", "yes", "2027-01-05 10:00:00", "signup"],
        ["", "", c["contact_id"], "personalisation", "opt-out", "2027-01-20 10:00:00", "footer"],
        [a["email"], "", "", "functional", "granted", "2027-01-10 09:00:00", "cookie banner"],
        [a["email"], "", "", "analytics", "maybe", "2027-01-11 09:00:00", "cookie banner"],
        ["", "", "", "analytics", "denied", "2027-01-11 09:00:00", "cookie banner"],
    ]
    with open(consents, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    identify = {
        "messageId": "consent-test-identify-1",
        "type": "identify",
        "userId": d["customer_id"],
        "timestamp": "2027-02-01T12:00:00Z",
        "traits": {"consent": {"categoryPreferences": {"Advertising": False}}},
    }
    events = tmp_path / "identify.jsonl"
    events.write_text(json.dumps(identify) + "\n", encoding="utf-8")
    ws.ingest("consents", [consents])
    ws.ingest("events", [events])
    quarantined = ws.sql(
        "SELECT source_row, reason, column_name, detail FROM quarantine "
        "WHERE kind = 'consents' ORDER BY source_row"
    ).to_pylist()
    assert [(q["source_row"], q["column_name"]) for q in quarantined[:2]] == [
        (5, "Purpose"),  # the file's own header
        (6, "Status"),
    ]
    assert all("must be one of" in q["detail"] for q in quarantined[:2])
    assert [(q["source_row"], q["reason"]) for q in quarantined[2:]] == [(7, "missing_identifier")]

    def profile(contact: dict) -> str:
        found = ws.sql(
            "SELECT profile_id FROM identity_map WHERE id_type = 'crm_id' AND id_value = ?",
            [contact["contact_id"]],
        ).column("profile_id")
        return found[0].as_py()

    # before `personae build` the file's records belong to no profile: counted, not applied;
    # the identify event counts at once if the live tracking API linked it to its profile
    with ws.connect() as con:
        con.execute(LIVE_DDL)
        con.execute(
            "INSERT INTO live_event_links SELECT _source_file, _source_row, ? FROM raw_events "
            "WHERE message_id = 'consent-test-identify-1'",
            [profile(d)],
        )
        unbuilt = build_consent(con, ws.config.governance)
        live = con.execute(
            "SELECT advertising FROM consent_state WHERE profile_id = ?", [profile(d)]
        ).fetchall()
    assert unbuilt.by_source["consents"] == 4 and unbuilt.unlinked >= 4
    assert live == [(False,)]
    ws.build()
    with ws.connect() as con:
        summary = build_consent(con, ws.config.governance)
    assert summary.by_source["consents"] == 4 and summary.unlinked <= unbuilt.unlinked - 4
    # linked by the build and live: still one choice
    assert summary.by_source["events"] == unbuilt.by_source["events"]

    state = _state(ws)
    history: dict[tuple[str, str], list[dict]] = {}
    for r in ws.sql('SELECT * FROM consent_events ORDER BY profile_id, purpose, "at"').to_pylist():
        history.setdefault((r["profile_id"], r["purpose"]), []).append(r)
    pa, pb, pc, pd = (profile(x) for x in (a, b, c, d))

    assert state[pa]["analytics"] is False
    steps = history[(pa, "analytics")]
    assert [s["status"] for s in steps][-2:] == ["granted", "revoked"]
    assert steps[-1]["source_kind"] == "consents"
    assert steps[-1]["source_file"].endswith("consents.csv") and steps[-1]["source_row"] == 1

    assert state[pb]["advertising"] is True
    assert [s["status"] for s in history[(pb, "advertising")]][-2:] == ["denied", "granted"]

    assert state[pc]["personalization"] is False
    steps = history[(pc, "personalization")]
    assert [s["status"] for s in steps] == ["granted", "revoked"]
    assert [str(s["at"]) for s in steps] == ["2027-01-05 10:00:00", "2027-01-20 10:00:00"]

    assert state[pd]["advertising"] is False
    steps = history[(pd, "advertising")]
    assert steps[-1]["status"] == "revoked" and steps[-1]["source_kind"] == "events"
