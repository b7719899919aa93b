"""Identity resolution against the demo ground truth, merge guards, stable ids, explain."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from personae import Workspace
from personae.identity.evaluate import pairwise_metrics
from personae.pipeline import enable_fuzzy_matching
from tests.helpers import ingest_demo, read_truth

CLI = [sys.executable, "-m", "personae.cli"]


def _built(data: Path, folder: Path, *, fuzzy: bool = True) -> Workspace:
    ws, _ = ingest_demo(data, folder)
    if fuzzy:
        enable_fuzzy_matching(ws)
    ws.build()
    return ws


@pytest.fixture(scope="module")
def retail_built(retail_data, tmp_path_factory) -> Workspace:
    return _built(retail_data, tmp_path_factory.mktemp("id-retail") / "ws")


@pytest.fixture(scope="module")
def saas_built(saas_data, tmp_path_factory) -> Workspace:
    return _built(saas_data, tmp_path_factory.mktemp("id-saas") / "ws")


def _metrics(ws: Workspace, data: Path):
    with ws.connect() as con:
        return pairwise_metrics(con, data / "truth" / "records.csv")


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_pairwise_precision_and_recall_against_ground_truth(scenario, request):
    ws = request.getfixturevalue(f"{scenario}_built")
    data = request.getfixturevalue(f"{scenario}_data")
    m = _metrics(ws, data)
    print(
        f"\n{scenario}: records={m.records:,} true pairs={m.true_pairs:,} "
        f"predicted={m.predicted_pairs:,} precision={m.precision:.5f} recall={m.recall:.5f} "
        f"recall(linkable)={m.recall_linkable:.5f} impure profiles={m.impure_profiles}"
    )
    assert m.records > 1000
    assert m.precision >= 0.995
    assert m.recall_linkable >= 0.99
    # pairs no identifier supports (anonymous surveys, never-identified sessions) cap the
    # all-pairs recall below 1; it must still be high
    assert m.recall >= 0.95
    # named profiles ≈ real people (the rest are visitors who never identified themselves)
    named = ws.sql("SELECT count(*) AS n FROM profiles WHERE NOT anonymous")["n"][0].as_py()
    people = len(read_truth(data, "people.csv"))
    print(f"{scenario}: {named:,} named profiles for {people:,} true people")
    assert 0.97 * people <= named <= 1.05 * people


def _truth_people_by_identifier(data: Path, file: str, column: str) -> dict[str, set[str]]:
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"] for r in read_truth(data, "records.csv")
    }
    people: dict[str, set[str]] = {}
    with open(data / file, newline="", encoding="utf-8", errors="replace") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            value = (row.get(column) or "").strip().lower()
            person = truth.get((file, str(i)))
            if value and person:
                people.setdefault(value, set()).add(person)
    return people


def test_blocked_values_never_join_two_people(retail_built, retail_data):
    """test@test.com, N/A, none@none.com, customer id 0/-1 are shared by strangers."""
    ws = retail_built
    shared = {
        v: p
        for v, p in _truth_people_by_identifier(retail_data, "orders.csv", "Email").items()
        if len(p) > 1
    }
    assert shared, "the demo plants junk emails shared by several people"
    rows = ws.sql(
        """
        SELECT lower(trim(o.email)) AS email, count(DISTINCT r.profile_id) AS profiles
        FROM raw_orders o JOIN record_profiles r
          ON r.source_kind = 'orders' AND r.source_file = o._source_file
         AND r.source_row = o._source_row
        WHERE o.email IS NOT NULL GROUP BY 1
        """
    ).to_pylist()
    by_email = {r["email"]: r["profiles"] for r in rows}
    for junk in ("test@test.com", "none@none.com"):
        if junk in shared:
            assert by_email.get(junk, 0) >= len(shared[junk]) - 1, junk
    blocked = ws.sql(
        "SELECT count(*) AS n FROM identity_map WHERE id_value IN "
        "('test@test.com', 'none@none.com', 'n/a', '0', '-1', 'anonymous', '0000000000')"
    )["n"][0].as_py()
    assert blocked == 0


def test_shared_household_device_does_not_merge_people(retail_built, retail_data):
    """A tablet two household members both log in on links neither of them to the other.

    (Anonymous browsing on a shared device by someone who never logs in on it cannot be told
    apart from its owner's: those few events go to the one person seen on the device.)"""
    ws = retail_built
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"]
        for r in read_truth(retail_data, "records.csv")
    }
    rows = ws.sql(
        "SELECT _source_file, _source_row, anonymous_id, user_id FROM raw_events "
        "WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL"
    ).to_pylist()
    people: dict[str, set[str]] = {}
    for r in rows:
        p = truth.get((Path(r["_source_file"]).name, str(r["_source_row"])))
        if p:
            people.setdefault(r["anonymous_id"], set()).add(p)
    shared = [a for a, p in people.items() if len(p) > 1]
    assert shared, "the demo plants shared household devices"
    status = {
        r["id_value"]: r
        for r in ws.sql(
            "SELECT id_value, status, profile_id FROM identity_map WHERE id_type = 'anonymous_id'"
        ).to_pylist()
    }
    for anon in shared:
        assert status[anon]["status"] == "conflict", anon
        assert status[anon]["profile_id"] is None
    audit = ws.sql(
        "SELECT count(*) AS n FROM identity_audit WHERE rule = 'conflict' "
        "AND id_type = 'anonymous_id'"
    )["n"][0].as_py()
    assert audit >= len(shared)
    # no profile holds the identified records (CRM, orders) of two different people
    identified = ws.sql(
        "SELECT source_file, source_row, profile_id FROM record_profiles "
        "WHERE source_kind IN ('contacts', 'orders') AND profile_id IS NOT NULL"
    ).to_pylist()
    owners: dict[str, set[str]] = {}
    for r in identified:
        p = truth.get((Path(r["source_file"]).name, str(r["source_row"])))
        if p:
            owners.setdefault(r["profile_id"], set()).add(p)
    assert [pid for pid, p in owners.items() if len(p) > 1] == []


def test_every_record_can_be_looked_up_and_audit_covers_every_profile(retail_built):
    ws = retail_built
    counts = ws.counts()
    kinds = [k for k in ("contacts", "orders", "events", "email_events", "tickets", "reviews")]
    total = sum(counts[f"raw_{k}"] for k in kinds)
    looked_up = ws.sql(
        "SELECT count(*) AS n FROM record_profiles WHERE source_kind IN "
        "('contacts', 'orders', 'events', 'email_events', 'tickets', 'reviews')"
    )["n"][0].as_py()
    assert looked_up == total
    missing = ws.sql(
        """
        SELECT count(*) AS n FROM profiles p
        WHERE p.identifiers > 1 AND NOT EXISTS (
            SELECT 1 FROM identity_audit a WHERE a.profile_id = p.profile_id)
        """
    )["n"][0].as_py()
    assert missing == 0


def test_profile_ids_are_stable_across_rebuilds_and_added_data(retail_data, tmp_path):
    ws, _ = ingest_demo(retail_data, tmp_path / "ws")
    # first build without the email activity file
    ws.sql("CREATE TABLE _held AS SELECT * FROM raw_email_events")
    with ws.connect() as con:
        con.execute("DELETE FROM raw_email_events")
    ws.build()
    first = {
        (r["id_type"], r["id_value"]): r["profile_id"]
        for r in ws.table("identity_map").to_pylist()
        if r["profile_id"]
    }
    ws.build()
    again = {
        (r["id_type"], r["id_value"]): r["profile_id"]
        for r in ws.table("identity_map").to_pylist()
        if r["profile_id"]
    }
    assert again == first
    with ws.connect() as con:
        con.execute("INSERT INTO raw_email_events SELECT * FROM _held")
    ws.build()
    after = {
        (r["id_type"], r["id_value"]): r["profile_id"]
        for r in ws.table("identity_map").to_pylist()
        if r["profile_id"]
    }
    kept = sum(1 for k, v in first.items() if after.get(k) == v)
    assert kept / len(first) > 0.99
    # a fresh workspace (no history) gives the same ids: they derive from the data
    fresh = tmp_path / "fresh"
    shutil.copytree(tmp_path / "ws", fresh)
    with Workspace(fresh).connect() as con:
        con.execute("DROP TABLE identity_map")
    Workspace(fresh).build()
    fresh_map = {
        (r["id_type"], r["id_value"]): r["profile_id"]
        for r in Workspace(fresh).table("identity_map").to_pylist()
        if r["profile_id"]
    }
    assert sum(1 for k, v in after.items() if fresh_map.get(k) == v) / len(after) > 0.99


def test_b2b_contacts_belong_to_their_accounts(saas_built, saas_data):
    ws = saas_built
    people = {r["person_id"]: r for r in read_truth(saas_data, "people.csv")}
    assert "account_id" in next(iter(people.values()))
    rows = ws.sql(
        """
        SELECT r.source_file, r.source_row, p.account_id
        FROM record_profiles r JOIN profiles p ON p.profile_id = r.profile_id
        WHERE r.source_kind = 'contacts'
        """
    ).to_pylist()
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"]
        for r in read_truth(saas_data, "records.csv")
    }
    right = total = 0
    for r in rows:
        person = truth.get((Path(r["source_file"]).name, str(r["source_row"])))
        if not person:
            continue
        total += 1
        right += people[person]["account_id"].upper() == (r["account_id"] or "")
    assert total > 100 and right / total >= 0.98
    accounts = ws.table("account_profiles").to_pylist()
    found = {a["account_id"] for a in accounts}
    true_accounts = {a["account_id"] for a in read_truth(saas_data, "accounts.csv")}
    assert found <= true_accounts
    # an account whose CRM row was quarantined and that no other record names is unknown
    assert len(found) >= 0.99 * len(true_accounts)
    assert sum(a["contacts"] for a in accounts) > 0.9 * len(people)


def test_identity_explain_cli(retail_built):
    ws = retail_built
    email = ws.sql(
        "SELECT email FROM profiles WHERE identifiers >= 4 ORDER BY records DESC LIMIT 1"
    )["email"][0].as_py()
    out = subprocess.run(
        [*CLI, "identity", "explain", f"email: {email.upper()} ", "-w", str(ws.path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "Profile p" in out.stdout and "same_record" in out.stdout
    conflict = ws.sql("SELECT id_value FROM identity_map WHERE status = 'conflict' LIMIT 1")[
        "id_value"
    ][0].as_py()
    out = subprocess.run(
        [*CLI, "identity", "explain", f"anonymous_id:{conflict}", "-w", str(ws.path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "does NOT link" in out.stdout and "user_id" in out.stdout
    out = subprocess.run(
        [*CLI, "identity", "explain", "colour:blue", "-w", str(ws.path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Known types" in out.stderr


def test_build_on_an_empty_workspace_says_what_to_do(tmp_path):
    Workspace.init(tmp_path / "empty")
    out = subprocess.run(
        [*CLI, "build", "-w", str(tmp_path / "empty")], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "nobody to resolve" in out.stderr and "personae ingest" in out.stderr


def test_identity_report_is_written(retail_built):
    text = (retail_built.path / "reports" / "identity.md").read_text()
    assert "## Records per source" in text and "## Merge-guard decisions" in text
    people = retail_built.sql("SELECT count(*) AS n FROM profiles WHERE NOT anonymous")
    assert f"**{people['n'][0].as_py():,} people**" in text


def test_profile_demographics_match_the_people_behind_them(retail_built, retail_data):
    """Each named profile's gender, birth year and country agree with its true person."""
    ws = retail_built
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"]
        for r in read_truth(retail_data, "records.csv")
    }
    people = {r["person_id"]: r for r in read_truth(retail_data, "people.csv")}
    owner: dict[str, dict[str, int]] = {}
    for r in ws.sql(
        "SELECT source_file, source_row, profile_id FROM record_profiles "
        "WHERE source_kind IN ('contacts', 'orders') AND profile_id IS NOT NULL"
    ).to_pylist():
        p = truth.get((Path(r["source_file"]).name, str(r["source_row"])))
        if p:
            votes = owner.setdefault(r["profile_id"], {})
            votes[p] = votes.get(p, 0) + 1
    profiles = ws.sql(
        "SELECT profile_id, gender, year(birth_date) AS birth_year, country, age "
        "FROM profiles WHERE NOT anonymous"
    ).to_pylist()
    checked = {"gender": [0, 0], "birth_year": [0, 0], "country": [0, 0]}
    for prof in profiles:
        votes = owner.get(prof["profile_id"])
        if not votes:
            continue
        person = people[max(votes, key=votes.get)]
        pairs = {
            "gender": (prof["gender"], person["gender"]),
            "birth_year": (prof["birth_year"], int(person["birth_year"])),
            "country": (prof["country"], person["country"]),
        }
        for name, (got, want) in pairs.items():
            if got is None:
                continue
            checked[name][0] += 1
            checked[name][1] += got == want
    print({k: f"{ok}/{n}" for k, (n, ok) in checked.items()})
    for name, (n, ok) in checked.items():
        assert n > 1000, name
        assert ok / n >= 0.97, (name, ok, n)


def test_survivorship_rules_are_configurable_and_recorded(retail_data, tmp_path):
    ws, _ = ingest_demo(retail_data, tmp_path / "ws")
    text = (ws.path / "personae.toml").read_text()
    text = text.replace(
        "rules = {}", 'rules = { city = "source_priority", gender = "most_frequent" }'
    )
    (ws.path / "personae.toml").write_text(text)
    ws.reload()
    ws.build()
    rules = {
        r["attribute"]: r["rules"]
        for r in ws.sql(
            "SELECT attribute, string_agg(DISTINCT rule, ',') AS rules FROM profile_sources "
            "GROUP BY attribute"
        ).to_pylist()
    }
    assert rules["city"] == "source_priority"
    assert rules["gender"] == "most_frequent"
    assert rules["first_name"] == "most_recent"
    # every chosen value points at a real source record holding that value
    row = ws.sql(
        "SELECT s.value, c.first_name FROM profile_sources s JOIN raw_contacts c "
        "ON c._source_file = s.source_file AND c._source_row = s.source_row "
        "WHERE s.attribute = 'first_name' AND s.source_kind = 'contacts' LIMIT 50"
    ).to_pylist()
    assert row and all(r["value"] == r["first_name"].strip() for r in row)
