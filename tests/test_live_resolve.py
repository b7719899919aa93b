"""The live identity rules, on hand-made rows (the served tests check them end to end)."""

from __future__ import annotations

from personae.web.live import _Row, profile_id_for, resolve_rows


def _row(n: int, kind: str = "track", prev: str | None = None, **ids: str) -> _Row:
    order = ("user_id", "email", "anonymous_id")
    return _Row(n, kind, [(t, ids[t]) for t in order if t in ids], prev)


def test_unknown_visitor_gets_a_new_profile_that_later_rows_reuse() -> None:
    rows = [_row(1, "page", anonymous_id="a1"), _row(2, "page", anonymous_id="a1")]
    assigned, added, merges, created = resolve_rows(rows, {}, set())
    pid = profile_id_for("anonymous_id", "a1")
    assert assigned == {1: pid, 2: pid}
    assert added == {("anonymous_id", "a1"): pid}
    assert created == {pid} and merges == {}


def test_login_merges_the_anonymous_profile_into_the_known_customer() -> None:
    known = {("user_id", "C1"): "pC1", ("anonymous_id", "a1"): "pAnon"}
    rows = [_row(1, "identify", user_id="C1", anonymous_id="a1", email="c1@shop.test")]
    assigned, added, merges, created = resolve_rows(rows, dict(known), {"pC1"})
    assert assigned == {1: "pC1"}
    assert merges == {"pAnon": "pC1"}
    assert added == {("email", "c1@shop.test"): "pC1"}
    assert not created


def test_two_named_customers_on_one_device_are_not_fused() -> None:
    known = {("user_id", "C1"): "pC1", ("user_id", "C2"): "pC2", ("anonymous_id", "tablet"): "pC1"}
    rows = [_row(1, "identify", user_id="C2", anonymous_id="tablet")]
    assigned, added, merges, _ = resolve_rows(rows, dict(known), {"pC1", "pC2"})
    assert assigned == {1: "pC2"} and merges == {} and added == {}


def test_alias_merges_the_previous_id_and_a_new_user_claims_a_fresh_visitor() -> None:
    rows = [
        _row(1, "page", anonymous_id="a9"),
        _row(2, "alias", prev="a9", user_id="NEW"),
        _row(3, "track", user_id="NEW"),
    ]
    assigned, added, merges, created = resolve_rows(rows, {}, set())
    visitor = profile_id_for("anonymous_id", "a9")
    assert set(assigned.values()) == {visitor}
    assert added[("user_id", "NEW")] == visitor
    assert created == {visitor} and merges == {}


def test_merges_chain_to_the_final_profile() -> None:
    known = {("anonymous_id", "a1"): "pA", ("anonymous_id", "a2"): "pB", ("user_id", "C"): "pC"}
    rows = [
        _row(1, "identify", email="x@shop.test", anonymous_id="a1"),
        _row(2, "page", email="x@shop.test", anonymous_id="a2"),
        _row(3, "identify", user_id="C", email="x@shop.test"),
    ]
    assigned, added, merges, _ = resolve_rows(rows, dict(known), {"pC"})
    assert merges == {"pB": "pC", "pA": "pC"} or merges == {"pA": "pC", "pB": "pC"}
    assert set(assigned.values()) == {"pC"}
    assert added == {("email", "x@shop.test"): "pC"}


def test_live_merge_on_a_crm_only_workspace(tmp_path) -> None:
    """A workspace built from CRM contacts alone has no event columns in ``profiles``; a
    visitor who browses and then identifies with a customer's email must still be merged
    into that customer live, and the event counts start where there were none."""
    import base64
    import time
    import uuid

    import requests

    from personae.workspace import Workspace
    from tests.web_support import serve

    crm = tmp_path / "contacts.csv"
    crm.write_text(
        "contact_id,email,first_name,last_name\n"
        "K1,grace@harbour.test,Grace,Hopper\n"
        "K2,alan@harbour.test,Alan,Turing\n",
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws")
    ws.add_source("crm", "contacts", [str(crm)])
    ws.ingest()
    ws.build()
    with ws.connect(read_only=True) as con:
        cols = {r[0] for r in con.execute("DESCRIBE profiles").fetchall()}
    assert "events" not in cols  # the case under test

    with serve(ws.path) as s:
        write = {
            "Authorization": "Basic " + base64.b64encode(f"{s.keys['writer']}:".encode()).decode()
        }
        anon = str(uuid.uuid4())
        for body in (
            {"type": "page", "anonymousId": anon, "name": "Pricing"},
            {"type": "identify", "anonymousId": anon, "traits": {"email": "Grace@Harbour.test"}},
        ):
            r = requests.post(f"{s.url}/v1/{body['type']}", json=body, headers=write, timeout=30)
            assert r.status_code == 200, r.text
        read = {"Authorization": f"Bearer {s.keys['analyst']}"}
        deadline, doc = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            r = requests.get(f"{s.url}/v1/profiles/anonymous_id:{anon}", headers=read, timeout=30)
            if r.status_code == 200 and r.json()["traits"].get("first_name") == "Grace":
                doc = r.json()
                break
            time.sleep(0.1)
        assert doc is not None, "the visitor never joined Grace's profile"
        health = requests.get(f"{s.url}/v1/health", timeout=30).json()
        assert health["ok"] and health["last_error"] is None and health["merges"] == 1
        grace = requests.get(
            f"{s.url}/v1/profiles/email:grace@harbour.test", headers=read, timeout=30
        ).json()
        assert grace["profile_id"] == doc["profile_id"]
        ids = {(i["type"], i["value"]) for i in grace["identifiers"]}
        assert ("anonymous_id", anon) in ids
        assert {e.get("name") or e.get("event") for e in grace["recent_events"]} >= {"Pricing"}
