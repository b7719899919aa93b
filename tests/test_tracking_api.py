"""The tracking API as a site would use it: the official Segment Python client and raw HTTP
against a real ``personae serve`` (uvicorn) on the 5k retail demo.

What is checked is what a user sees: the profile API reflects new identify/track calls
within seconds, an anonymous visitor who logs in joins the customer's profile, bad
messages get a 400 naming the field, and every acknowledged event is in ``raw_events``
exactly once.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from typing import Any

import duckdb
import pytest
import requests
import segment.analytics as analytics

from personae.web.eventlog import read_all

pytestmark = pytest.mark.slow


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _post(served, call: str, body: Any, key: str | None = None, **kw) -> requests.Response:
    return requests.post(
        f"{served.url}/v1/{call}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers={**_auth(key or served.keys["writer"]), **kw.pop("headers", {})},
        timeout=30,
        **kw,
    )


def _profile(served, key: str, role: str = "analyst") -> requests.Response:
    return requests.get(
        f"{served.url}/v1/profiles/{key}",
        headers={"Authorization": f"Bearer {served.keys[role]}"},
        timeout=30,
    )


def _wait_for(served, key: str, check, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        r = _profile(served, key)
        if r.status_code == 200:
            last = r.json()
            if check(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"profile {key} did not update in {timeout} s; last: {last}")


def _db(served) -> duckdb.DuckDBPyConnection:
    # same process as the server: DuckDB shares the open database instance
    return duckdb.connect(str(served.path / "personae.duckdb"))


def test_official_segment_client_identify_track_batch_reach_the_profile(served_retail) -> None:
    s = served_retail
    client = analytics.Client(s.keys["writer"], host=s.url, sync_mode=True, gzip=True)
    user, anon = f"WEB-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    client.page(anonymous_id=anon, name="Home", properties={"path": "/"})
    client.track(anonymous_id=anon, event="Product Viewed", properties={"sku": "YOGA-1"})
    client.identify(
        user,
        {"email": f"{user.lower()}@mailbox.test", "firstName": "Ada", "lastName": "Lovelace",
         "address": {"city": "Leeds", "country": "GB"}},
        anonymous_id=anon,
    )  # fmt: skip
    client.track(user, "Order Completed", {"revenue": 42.5, "order_id": "W1"})
    client.flush()
    doc = _wait_for(
        s,
        f"user_id:{user}",
        lambda d: (
            {e.get("event") or e.get("name") for e in d["recent_events"]}
            >= {"Home", "Product Viewed", "Order Completed"}
        ),
    )
    assert doc["traits"]["first_name"] == "Ada" and doc["traits"]["city"] == "Leeds"
    assert doc["computed"]["events"] == 4
    assert doc["computed"]["page_views"] == 1
    ids = {(i["type"], i["value"]) for i in doc["identifiers"]}
    assert {
        ("user_id", user),
        ("anonymous_id", anon),
        ("email", f"{user.lower()}@mailbox.test"),
    } <= ids
    # any identifier finds the same profile, the email in any case
    for key in (f"anonymous_id:{anon}", f"email:{user.upper()}@MAILBOX.TEST"):
        assert _profile(s, key).json()["profile_id"] == doc["profile_id"]


def test_existing_customer_is_updated_in_place(served_retail) -> None:
    s = served_retail
    with _db(s) as con:
        pid, user_id, events = con.execute(
            "SELECT p.profile_id, p.user_id, coalesce(p.events, 0) FROM profiles p "
            "JOIN segments s ON s.entity_id = p.profile_id "
            "LEFT JOIN consent_state c ON c.profile_id = p.profile_id "
            "WHERE p.user_id IS NOT NULL AND coalesce(c.personalization, true) "
            "ORDER BY p.profile_id LIMIT 1"
        ).fetchone()
    before = _profile(s, f"profile_id:{pid}").json()
    assert before["persona"] is not None and before["segment"] is not None
    r = _post(s, "identify", {"userId": user_id, "traits": {"city": "Reykjavik"}})
    assert r.status_code == 200, r.text
    r = _post(s, "track", {"userId": user_id, "event": "Wishlist Added"})
    assert r.status_code == 200
    doc = _wait_for(s, f"user_id:{user_id}", lambda d: d["traits"]["city"] == "Reykjavik")
    doc = _wait_for(s, f"user_id:{user_id}", lambda d: d["computed"]["events"] == events + 2)
    assert doc["profile_id"] == pid
    assert doc["persona"] == before["persona"]  # batch results stay until the next run
    assert doc["recent_events"][0]["event"] in ("Wishlist Added", None)


@pytest.mark.parametrize(
    ("call", "body", "field"),
    [
        ("track", {"userId": "u1"}, "event"),
        ("identify", {"traits": {"email": "x@y.test"}}, "userId"),
        ("group", {"userId": "u1"}, "groupId"),
        ("alias", {"userId": "u1"}, "previousId"),
        ("page", {"anonymousId": "a", "timestamp": "last tuesday"}, "timestamp"),
        ("batch", {"batch": [{"type": "track", "userId": "u", "event": "E"}, {"type": "nope"}]},
         "batch[1].type"),
        ("track", {"userId": "u1", "event": "E", "properties": "not an object"}, "properties"),
    ],
)  # fmt: skip
def test_invalid_messages_get_a_400_naming_the_field(served_retail, call, body, field) -> None:
    r = _post(served_retail, call, body)
    assert r.status_code == 400
    assert r.json()["field"] == field
    assert field in r.json()["error"]


def test_limits_gzip_and_keys(served_retail) -> None:
    s = served_retail
    big = {"userId": "u1", "event": "E", "properties": {"x": "y" * 33_000}}
    r = _post(s, "track", big)
    assert r.status_code == 413 and "32 KB" in r.json()["error"]
    one = {"type": "track", "userId": "u", "event": "E", "properties": {"x": "y" * 20_000}}
    batch = {"batch": [one] * 30}
    r = _post(s, "batch", batch)
    assert r.status_code == 413 and "500 KB" in r.json()["message"]
    mid = str(uuid.uuid4())
    body = gzip.compress(json.dumps({"userId": "gz", "event": "Zipped", "messageId": mid}).encode())
    r = _post(s, "track", body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 200
    assert any(mid.encode() in line for line in read_all(s.path / "stream"))
    assert _post(s, "track", {"userId": "u", "event": "E"}, key="wk_wrong").status_code == 401
    assert requests.post(f"{s.url}/v1/track", json={"userId": "u", "event": "E"}).status_code == 401
    r = _post(s, "track", {"userId": "u", "event": "E"}, key=s.keys["viewer"])
    assert r.status_code == 403


def test_acknowledged_events_are_logged_before_the_reply_and_stored_once(served_retail) -> None:
    s = served_retail
    mid = f"dup-{uuid.uuid4()}"
    msg = {"userId": "dup-user", "event": "Clicked", "messageId": mid}
    for _ in range(3):  # client retries
        assert _post(s, "track", msg).status_code == 200
    batch = {"batch": [{**msg, "type": "track"}, {**msg, "type": "track"}]}
    assert _post(s, "batch", batch).status_code == 200
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with _db(s) as con:
            n = con.execute(
                "SELECT count(*) FROM raw_events WHERE message_id = ?", [mid]
            ).fetchone()[0]
        if n:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    with _db(s) as con:
        assert (
            con.execute("SELECT count(*) FROM raw_events WHERE message_id = ?", [mid]).fetchone()[0]
            == 1
        )
        source = con.execute(
            "SELECT _source_file FROM raw_events WHERE message_id = ?", [mid]
        ).fetchone()[0]
    assert "stream" in source


def test_sent_at_corrects_the_stored_timestamp(served_retail) -> None:
    s = served_retail
    mid = f"skew-{uuid.uuid4()}"
    times = {"timestamp": "2030-01-01T00:00:00Z", "sentAt": "2030-01-01T00:00:30Z"}
    r = _post(s, "track", {"userId": "skewed", "event": "E", "messageId": mid, **times})
    assert r.status_code == 200
    deadline = time.monotonic() + 15
    row = None
    while time.monotonic() < deadline and row is None:
        with _db(s) as con:
            row = con.execute(
                "SELECT timestamp, received_at FROM raw_events WHERE message_id = ?", [mid]
            ).fetchone()
        time.sleep(0.1)
    assert row is not None
    stamp, received = row
    assert abs((received - stamp).total_seconds() - 30) < 0.01


def test_profile_api_roles_and_errors(served_retail) -> None:
    s = served_retail
    with _db(s) as con:
        email = con.execute(
            "SELECT m.id_value FROM identity_map m "
            "LEFT JOIN consent_state c ON c.profile_id = m.profile_id "
            "WHERE m.id_type = 'email' AND coalesce(c.personalization, true) ORDER BY 1 LIMIT 1"
        ).fetchone()[0]
        refused = con.execute(
            "SELECT m.id_value FROM identity_map m JOIN consent_state c USING (profile_id) "
            "WHERE m.id_type = 'email' AND NOT c.personalization ORDER BY 1 LIMIT 1"
        ).fetchone()[0]
    assert _profile(s, f"email:{email}").status_code == 200
    assert _profile(s, f"email:{email}", role="viewer").status_code == 403
    r = _profile(s, f"email:{refused}")  # this person refused personalisation
    assert r.status_code == 403 and "personalization" in r.json()["detail"]
    assert _profile(s, "email:nobody@nowhere.test").status_code == 404
    r = _profile(s, "shoe_size:42")
    assert r.status_code == 400 and "user_id" in r.json()["detail"]
    assert requests.get(f"{s.url}/v1/profiles/email:{email}").status_code == 401
    viewer = {"Authorization": f"Bearer {s.keys['viewer']}"}
    personas = requests.get(f"{s.url}/v1/personas", headers=viewer).json()
    assert personas and {p["role"] for p in personas} <= {"primary", "negative"}
    one = requests.get(f"{s.url}/v1/personas/{personas[0]['id']}", headers=viewer).json()
    assert one["id"] == personas[0]["id"] and one["title"]
    assert requests.get(f"{s.url}/v1/personas/nope", headers=viewer).status_code == 404
    segments = requests.get(f"{s.url}/v1/segments", headers=viewer).json()
    assert sum(x["size"] for x in segments) > 4000
    assert {p["id"] for p in personas} <= {x["persona_id"] for x in segments}
    assert requests.get(f"{s.url}/docs").status_code == 200
    paths = requests.get(f"{s.url}/openapi.json").json()["paths"]
    assert {"/v1/track", "/v1/batch", "/v1/profiles/{key}", "/v1/icp/score"} <= set(paths)


def test_icp_scores_a_posted_lead_like_the_lead_file(served_retail, tmp_path) -> None:
    from personae.value.icp import IdealCustomerProfile, icp_frame, score_lead_file

    s = served_retail
    analyst = {"Authorization": f"Bearer {s.keys['analyst']}"}
    lead = {"gender": "female", "age": "31", "country": "US", "heard_about_us": "Instagram"}
    r = requests.post(f"{s.url}/v1/icp/score", json=lead, headers=analyst)
    assert r.status_code == 200, r.text
    got = r.json()
    assert 0 <= got["fit_score"] <= 100 and got["fit_tier"] in "ABCD"
    csv = tmp_path / "leads.csv"
    csv.write_text(",".join(lead) + "\n" + ",".join(lead.values()) + "\n")
    with _db(s) as con:
        icp = IdealCustomerProfile.from_json(con.execute("SELECT document FROM icp").fetchone()[0])
        _, scored = score_lead_file(con, icp, icp_frame(con)[0], csv)
    assert got["fit_score"] == pytest.approx(float(scored["fit_score"][0]))
    assert got["fit_tier"] == scored["fit_tier"][0]
    r = requests.post(f"{s.url}/v1/icp/score", json={"shoe": "42"}, headers=analyst)
    assert r.status_code == 400 and "Fix" in r.json()["detail"]
    viewer = {"Authorization": f"Bearer {s.keys['viewer']}"}
    assert requests.post(f"{s.url}/v1/icp/score", json=lead, headers=viewer).status_code == 403
