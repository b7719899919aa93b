"""A viewer crawls every route of the app and never receives personal data.

Routes are enumerated from the app itself, so a route added later is crawled too. Path
parameters are filled with real values (persona ids, segment numbers, identifiers of
real customers); every answer — page, fragment, API JSON, OpenAPI, health — is searched
for the demo customers' emails, phone numbers, full names, user ids and raw event ids.
"""

from __future__ import annotations

import re

import pytest
import requests
from starlette.routing import Mount, Route

from personae.web.app import create_app
from tests.test_web_pages import login, pii_found

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def people(retail_5k) -> dict:
    ws, _ = retail_5k
    customers = ws.sql(
        "SELECT profile_id, email, phone, first_name, last_name, user_id FROM profiles "
        "WHERE NOT coalesce(anonymous, false)"
    ).to_pylist()
    events = ws.sql("SELECT message_id FROM raw_events USING SAMPLE 2000 ROWS").to_pylist()
    return {"customers": customers, "message_ids": {e["message_id"] for e in events}}


def _routes(path) -> list[tuple[str, set[str]]]:
    out = []
    todo = list(create_app(path).routes)
    while todo:
        r = todo.pop(0)
        if isinstance(r, Mount):  # static files: the vendored htmx and CSS
            continue
        if isinstance(r, Route):
            out.append((r.path, set(r.methods or ())))
        elif hasattr(r, "original_router"):  # FastAPI's wrapper of an included router
            todo += list(r.original_router.routes)
    return out


def _fill(path: str, values: dict[str, list[str]]) -> list[str]:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    if not names:
        return [path]
    out = []
    for value in values.get(names[0], ["x"]):
        out.append(re.sub(r"{\w+(?::\w+)?}", value, path, count=1))
    return [p for partial in out for p in _fill(partial, values)]


def test_a_viewer_crawling_every_route_finds_no_personal_data(served_retail, people) -> None:
    s = served_retail
    customers = people["customers"]
    someone = next(c for c in customers if c["email"] and c["user_id"])
    with requests.Session() as api:
        api.headers["Authorization"] = f"Bearer {s.keys['viewer']}"
        personas = [p["id"] for p in api.get(f"{s.url}/v1/personas").json()]
        segments = [str(x["segment"]) for x in api.get(f"{s.url}/v1/segments").json()]
    values = {
        "persona_id": personas,
        "id": personas,
        "segment": segments,
        "key": [f"email:{someone['email']}", f"user_id:{someone['user_id']}"],
        "profile_id": [someone["profile_id"]],
    }
    page_session = login(s, "viewer")
    api_headers = {"Authorization": f"Bearer {s.keys['viewer']}"}
    crawled = 0
    for template, methods in _routes(s.path):
        for path in _fill(template, values):
            url = f"{s.url}{path}"
            if "GET" in methods:
                answers = [
                    requests.get(url, headers=api_headers, timeout=120),
                    page_session.get(url, timeout=120),
                    page_session.get(url, headers={"HX-Request": "true"}, timeout=120),
                ]
            else:  # writes: a viewer must be refused before anything happens
                # OPTIONS is the CORS preflight of tracking routes: it answers
                # anyone by design and writes nothing, so try the real write.
                writes = sorted(m for m in methods if m != "OPTIONS")
                if not writes:
                    continue
                method = writes[0]
                answers = [requests.request(method, url, headers=api_headers, json={}, timeout=60)]
                if path != "/login" and path != "/logout":
                    assert answers[0].status_code in (401, 403, 405, 422), (path, answers[0])
            for r in answers:
                crawled += 1
                text = r.text
                leaked = pii_found(text, customers)
                leaked |= {c["user_id"] for c in customers if c["user_id"] and c["user_id"] in text}
                leaked |= {m for m in people["message_ids"] if m in text}
                assert not leaked, f"{path} shows a viewer personal data: {sorted(leaked)[:3]}"
            if template.startswith(("/v1/profiles", "/v1/subjects")):
                assert answers[0].status_code == 403, path  # the viewer's API key
            if template.startswith("/profiles") and "GET" in methods:
                assert answers[1].status_code == 403, path  # the viewer's login
    assert crawled > 40
