"""One bad message must never stop live profiles (issue 19), through a real ``personae serve``.

Each poison request found by trying real clients and a fuzzer is sent to a served workspace:
it is answered 4xx or accepted and then stored or quarantined, and events sent after it
still reach a profile. A hypothesis test sends arbitrary JSON through the same path and
accounts for every message that was answered 200.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personae.workspace import Workspace
from tests.web_support import Served, serve

CONTACTS = (
    "contact_id,email,first_name,last_name,city\n"
    "K1,grace@harbour.test,Grace,Hopper,Arlington\n"
    "K2,alan@harbour.test,Alan,Turing,Wilmslow\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A CRM-only workspace (small, built in a second or two), served for the module."""
    folder = tmp_path_factory.mktemp("live-hardening")
    crm = folder / "contacts.csv"
    crm.write_text(CONTACTS, encoding="utf-8")
    ws = Workspace.init(folder / "ws")
    ws.add_source("crm", "contacts", [str(crm)])
    ws.ingest()
    ws.build()
    with serve(ws.path) as s:
        yield s


class Client:
    def __init__(self, s: Served) -> None:
        self.s = s
        key = base64.b64encode(f"{s.keys['writer']}:".encode()).decode()
        self.write = {"Authorization": f"Basic {key}"}
        self.read = {"Authorization": f"Bearer {s.keys['analyst']}"}

    def post(self, call: str, body: Any) -> requests.Response:
        # json.dumps, not requests' json=: NaN and Infinity go out as some clients send them
        headers = {**self.write, "Content-Type": "application/json"}
        data = json.dumps(body).encode()
        return requests.post(f"{self.s.url}/v1/{call}", data=data, headers=headers, timeout=30)

    def health(self) -> dict[str, Any]:
        return requests.get(f"{self.s.url}/v1/health", timeout=30).json()

    def drained(self, timeout: float = 60) -> dict[str, Any]:
        """Health once every logged line has been applied."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            h = self.health()
            if h["lag"] == 0:
                return h
            time.sleep(0.05)
        raise AssertionError(f"the live updater did not catch up: {self.health()}")

    def profile(self, key: str, check, what: str) -> dict[str, Any]:
        deadline, last = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            r = requests.get(f"{self.s.url}/v1/profiles/{key}", headers=self.read, timeout=30)
            last = f"{r.status_code} {r.text[:300]}"
            if r.status_code == 200 and check(r.json()):
                return r.json()
            time.sleep(0.1)
        raise AssertionError(f"{what}: last answer {last}; health {self.health()}")

    def later_event_applies(self) -> None:
        """A good event sent now reaches a profile: the updater was not stopped."""
        user = f"later-{uuid.uuid4()}"
        r = self.post("identify", {"userId": user, "traits": {"firstName": "Later"}})
        assert r.status_code == 200, r.text
        self.profile(
            f"user_id:{user}",
            lambda d: d["traits"].get("first_name") == "Later",
            "an event sent after the poison never reached a profile",
        )
        h = self.health()
        assert h["ok"] and h["last_error"] is None, h


def _db(s: Served) -> duckdb.DuckDBPyConnection:
    # same process as the server: DuckDB shares the open database instance
    return duckdb.connect(str(s.path / "personae.duckdb"))


def _stored(s: Served, message_ids: list[str]) -> set[str]:
    with _db(s) as con:
        rows = con.execute(
            "SELECT message_id FROM raw_events WHERE list_contains(?, message_id)", [message_ids]
        ).fetchall()
    return {r[0] for r in rows}


def _quarantined(s: Served, message_ids: list[str]) -> set[str]:
    with _db(s) as con:
        raws = [
            r[0] for r in con.execute("SELECT raw FROM quarantine WHERE kind = 'events'").fetchall()
        ]
    return {m for m in message_ids if any(m in (raw or "") for raw in raws)}


def test_an_empty_key_is_stored_and_later_events_still_apply(served: Served) -> None:
    c = Client(served)
    mid = str(uuid.uuid4())
    r = c.post("track", {"userId": "u-empty", "event": "e", "messageId": mid, "": 1})
    assert r.status_code == 200, r.text
    c.drained()
    assert _stored(served, [mid]) == {mid}
    c.later_event_applies()


def test_keys_differing_only_in_case_in_one_pass(served: Served) -> None:
    c = Client(served)
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    r = c.post(
        "batch",
        {
            "batch": [
                {"type": "track", "userId": "u-case", "event": "e", "messageId": ids[0], "plan": 1},
                {"type": "track", "userId": "u-case", "event": "e", "messageId": ids[1], "Plan": 2},
            ]
        },
    )
    assert r.status_code == 200, r.text
    c.drained()
    assert _stored(served, ids) == set(ids)
    with _db(served) as con:
        extras = {
            r[0]: r[1]
            for r in con.execute(
                "SELECT message_id, _extra FROM raw_events WHERE list_contains(?, message_id)",
                [ids],
            ).fetchall()
        }
    assert '"plan"' in extras[ids[0]] and '"Plan"' in extras[ids[1]]  # neither value lost
    c.later_event_applies()


@pytest.mark.parametrize(
    "body",
    [
        {"userId": "u", "event": "e", "timestamp": 1e20},
        {"userId": "u", "event": "e", "timestamp": -1e20},
        {
            "userId": "u",
            "event": "e",
            "timestamp": "0001-01-01T00:00:00Z",
            "sentAt": "9999-12-31T23:59:59Z",
        },
    ],
    ids=["epoch-1e20", "epoch-minus-1e20", "skew-overflow"],
)
def test_out_of_range_times_are_a_400_naming_the_field(served: Served, body: dict) -> None:
    c = Client(served)
    r = c.post("track", body)
    assert r.status_code == 400, r.text
    assert r.json()["field"] in ("timestamp", "sentAt")
    c.later_event_applies()


def test_a_line_that_cannot_be_applied_is_isolated_and_quarantined(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the staging of any pass that holds the marked message fails, as a
    message no rule foresaw would. The pass is split until that line stands alone; it goes
    to quarantine with the reason, and its neighbours in the same pass are stored."""
    live = served.app.state.server.live
    real = live._apply_lines
    marker = f"POISON-{uuid.uuid4()}"

    def failing(kept, *args, **kwargs):
        if any(marker.encode() in line for _, line in kept):
            raise duckdb.ConversionException("Conversion Error: could not stage this line")
        return real(kept, *args, **kwargs)

    c = Client(served)
    before = c.health()["isolated"]
    ids = [str(uuid.uuid4()) for _ in range(7)]
    batch = [{"type": "track", "userId": "u-iso", "event": "e", "messageId": m} for m in ids]
    batch[4]["properties"] = {"note": marker}
    with live.lock:  # the whole batch lands in one pass
        monkeypatch.setattr(live, "_apply_lines", failing)
        assert c.post("batch", {"batch": batch}).status_code == 200
    h = c.drained()
    monkeypatch.setattr(live, "_apply_lines", real)
    assert _stored(served, ids) == set(ids) - {ids[4]}
    assert _quarantined(served, ids) == {ids[4]}
    with _db(served) as con:
        reason, detail = con.execute(
            "SELECT reason, detail FROM quarantine WHERE raw LIKE ?", [f"%{marker}%"]
        ).fetchone()
    assert reason == "unstageable" and "could not stage" in detail
    assert h["isolated"] == before + 1 and "could not stage" in h["last_isolated"]
    c.later_event_applies()


def test_identify_traits_under_context_traits_reach_the_live_profile(served: Served) -> None:
    c = Client(served)
    user = f"ctx-{uuid.uuid4()}"
    body = {
        "userId": user,
        "context": {
            "traits": {"firstName": "Mary", "lastName": "Somerville", "address": {"city": "York"}}
        },
    }
    assert c.post("identify", body).status_code == 200
    doc = c.profile(
        f"user_id:{user}",
        lambda d: d["traits"].get("first_name") == "Mary",
        "context.traits never reached the profile",
    )
    assert doc["traits"].get("last_name") == "Somerville"
    assert doc["traits"].get("city") == "York"


def test_identify_traits_under_context_traits_reach_the_batch_profile(tmp_path: Path) -> None:
    events = tmp_path / "identifies.jsonl"
    events.write_text(
        '{"type":"identify","userId":"U1","messageId":"m1","timestamp":"2026-01-02T10:00:00Z",'
        '"context":{"traits":{"firstName":"Ada","lastName":"Lovelace","email":"ada@x.test",'
        '"address":{"city":"London"}}}}\n'
        # traits at the top level win over context.traits; the rest is completed from it
        '{"type":"identify","userId":"U2","messageId":"m2","timestamp":"2026-01-02T10:00:00Z",'
        '"traits":{"firstName":"Top"},"context":{"traits":{"firstName":"Ctx",'
        '"address":{"city":"Leeds"}}}}\n',
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws")
    ws.add_source("web", "events", [str(events)])
    ws.ingest()
    ws.build()
    with ws.connect(read_only=True) as con:
        got = con.execute(
            "SELECT i.id_value, p.first_name, p.last_name, p.city, p.email FROM profiles p "
            "JOIN identity_map i USING (profile_id) WHERE i.id_type = 'user_id' ORDER BY 1"
        ).fetchall()
    assert got == [
        ("U1", "Ada", "Lovelace", "London", "ada@x.test"),
        ("U2", "Top", None, "Leeds", None),
    ]


# -- arbitrary JSON through the live path -------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_message = st.dictionaries(st.text(max_size=10), _json, max_size=6)
_call = st.sampled_from(["track", "identify", "page", "screen", "group", "alias"])


@pytest.mark.slow
def test_arbitrary_json_is_answered_4xx_or_ends_stored_or_quarantined(served: Served) -> None:
    c = Client(served)
    accepted: list[str] = []
    statuses: list[int] = []

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_message, _call, st.booleans(), st.booleans())
    def send(extra: dict, call: str, in_batch: bool, well_formed: bool) -> None:
        mid = str(uuid.uuid4())
        # half the examples carry what the call needs, so most of them are accepted and
        # their arbitrary other keys and values go through the updater
        needs = {"userId": "fuzz", "event": "e", "groupId": "g", "previousId": "p"}
        body = {**extra, **(needs if well_formed else {}), "messageId": mid}
        r = c.post("batch", {"batch": [{**body, "type": call}]}) if in_batch else c.post(call, body)
        statuses.append(r.status_code)
        assert r.status_code < 500, f"{r.status_code} for {body!r}: {r.text[:300]}"
        if r.status_code == 200:
            accepted.append(mid)

    send()
    assert len(accepted) >= len(statuses) // 4, f"few accepted: {sorted(statuses)}"
    h = c.drained()
    assert h["ok"] and h["last_error"] is None, h
    stored, quarantined = _stored(served, accepted), _quarantined(served, accepted)
    lost = set(accepted) - stored - quarantined
    assert not lost, f"{len(lost)} accepted messages neither stored nor quarantined"
    c.later_event_applies()
