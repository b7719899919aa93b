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


def test_first_visit_and_login_in_one_pass_go_straight_to_the_customer() -> None:
    """The visitor's first page and their identify arrive in the same pass: the visitor's
    profile exists only inside the pass, so nothing is created or merged in the database;
    the customer's profile takes both rows and the anonymous id (creating the customer's
    profile a second time made a duplicate row without their traits)."""
    rows = [
        _row(1, "page", anonymous_id="a1"),
        _row(2, "identify", email="c1@shop.test", anonymous_id="a1"),
    ]
    assigned, added, merges, created = resolve_rows(rows, {("email", "c1@shop.test"): "pC1"}, set())
    assert assigned == {1: "pC1", 2: "pC1"}
    assert added == {("anonymous_id", "a1"): "pC1"}
    assert merges == {} and created == set()


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
    """A workspace built from CRM contacts alone has no event columns in ``profiles``.
    Two visitors log in with a customer's email: Grace's first page and login come in one
    request (one pass of the updater), Alan's login comes after his visitor profile exists
    (a real merge). Both end in the customer's profile, with no duplicate profile rows."""
    import base64
    import time
    import uuid

    import duckdb
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
        key = base64.b64encode(f"{s.keys['writer']}:".encode()).decode()
        write = {"Authorization": f"Basic {key}"}
        read = {"Authorization": f"Bearer {s.keys['analyst']}"}

        def send(call: str, body: dict) -> None:
            r = requests.post(f"{s.url}/v1/{call}", json=body, headers=write, timeout=30)
            assert r.status_code == 200, r.text

        def wait_for(key: str, check, what: str) -> dict:
            deadline, last = time.monotonic() + 30, None
            while time.monotonic() < deadline:
                r = requests.get(f"{s.url}/v1/profiles/{key}", headers=read, timeout=30)
                last = f"{r.status_code} {r.text[:300]}"
                if r.status_code == 200 and check(r.json()):
                    return r.json()
                time.sleep(0.1)
            health = requests.get(f"{s.url}/v1/health", timeout=30).json()
            raise AssertionError(f"{what}: last answer {last}; health {health}")

        grace_anon, alan_anon = str(uuid.uuid4()), str(uuid.uuid4())
        send("batch", {"batch": [
            {"type": "page", "anonymousId": grace_anon, "name": "Pricing"},
            {"type": "identify", "anonymousId": grace_anon,
             "traits": {"email": "Grace@Harbour.test"}},
        ]})  # fmt: skip
        send("page", {"anonymousId": alan_anon, "name": "Docs"})
        wait_for(f"anonymous_id:{alan_anon}", lambda d: True, "Alan's visitor profile")
        send("identify", {"anonymousId": alan_anon, "traits": {"email": "alan@harbour.test"}})

        for anon, email, first, page in (
            (grace_anon, "grace@harbour.test", "Grace", "Pricing"),
            (alan_anon, "alan@harbour.test", "Alan", "Docs"),
        ):
            doc = wait_for(
                f"anonymous_id:{anon}",
                lambda d, first=first: d["traits"].get("first_name") == first,
                f"{first}'s visitor never joined the customer's profile",
            )
            by_email = requests.get(
                f"{s.url}/v1/profiles/email:{email}", headers=read, timeout=30
            ).json()
            assert by_email["profile_id"] == doc["profile_id"]
            assert ("anonymous_id", anon) in {(i["type"], i["value"]) for i in doc["identifiers"]}
            assert page in {e.get("name") or e.get("event") for e in doc["recent_events"]}
        health = requests.get(f"{s.url}/v1/health", timeout=30).json()
        assert health["ok"] and health["last_error"] is None
        assert health["merges"] == 1 and health["new_profiles"] == 1  # Alan's visitor only
        # same process as the server: DuckDB shares the open database instance
        with duckdb.connect(str(s.path / "personae.duckdb")) as con:
            rows, ids = con.execute(
                "SELECT count(*), count(DISTINCT profile_id) FROM profiles"
            ).fetchone()
        assert rows == ids == 2
