"""Every Segment-compatible client works unchanged against a real ``personae serve``.

What analytics.js does that server libraries do not: it posts to the short paths
(``/v1/t``, ``/v1/i``, ..., ``/v1/b``), with ``text/plain`` bodies, from a page of another
origin (so the browser sends a CORS preflight and reads nothing without
``Access-Control-Allow-Origin``), and puts the write key in every message besides the
Authorization header. Server libraries read ``code`` and ``message`` from an error body.

The workspaces are two small CRM lists of different shape (an English shop with the usual
column names; a German B2B list, semicolons and German headers mapped in the config), so
nothing here leans on the demo data. The browser test loads the vendored analytics.js
bundle (tests/fixtures/analytics-js) from a second local port and blocks every request
that is not to 127.0.0.1, so it proves that no Segment CDN is needed.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
import requests

from personae.config import ConfigError, load_config
from personae.web.segment_spec import TYPES
from personae.workspace import Workspace
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web_support import Served, free_port, serve

SHORT = {"i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group", "a": "alias"}
TRACKING = [f"/v1/{c}" for c in (*TYPES, "batch")] + [f"/v1/{p}" for p in (*SHORT, "b")]


def _shop(folder: Path) -> Workspace:
    crm = folder / "contacts.csv"
    crm.write_text(
        "contact_id,email,first_name,last_name,city\n"
        "K1,grace@harbour.test,Grace,Hopper,Arlington\n"
        "K2,alan@harbour.test,Alan,Turing,Wilmslow\n",
        encoding="utf-8",
    )
    ws = Workspace.init(folder / "ws")
    ws.add_source("crm", "contacts", [str(crm)])
    return ws


def _german_b2b(folder: Path) -> Workspace:
    crm = folder / "ansprechpartner.csv"
    crm.write_text(
        "Kundennummer;E-Mail-Adresse;Vorname;Nachname;Ort\n"
        "A-100;juergen.mueller@werkzeug.test;Jürgen;Müller;München\n"
        "A-101;anne.schaefer@werkzeug.test;Änne;Schäfer;Köln\n",
        encoding="utf-8",
    )
    ws = Workspace.init(folder / "ws")
    ws.add_source(
        "crm",
        "contacts",
        [str(crm)],
        columns={
            "contact_id": "Kundennummer",
            "email": "E-Mail-Adresse",
            "first_name": "Vorname",
            "last_name": "Nachname",
            "city": "Ort",
        },
    )
    return ws


def _built(ws: Workspace) -> Workspace:
    ws.ingest()
    ws.build()
    return ws


@pytest.fixture(scope="module", params=["shop", "german_b2b"])
def served(request, tmp_path_factory) -> Iterator[Served]:
    make = {"shop": _shop, "german_b2b": _german_b2b}[request.param]
    ws = _built(make(tmp_path_factory.mktemp(request.param)))
    with serve(ws.path) as s:
        yield s


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def post(s: Served, path: str, body, headers: dict[str, str] | None = None, **kw):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return requests.post(f"{s.url}{path}", data=data, headers=headers or {}, timeout=30, **kw)


def wait_for_profile(s: Served, key: str, check, timeout: float = 30.0) -> dict:
    read = {"Authorization": f"Bearer {s.keys['analyst']}"}
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        r = requests.get(f"{s.url}/v1/profiles/{key}", headers=read, timeout=30)
        last = f"{r.status_code} {r.text[:400]}"
        if r.status_code == 200 and check(r.json()):
            return r.json()
        time.sleep(0.1)
    health = requests.get(f"{s.url}/v1/health", timeout=30).json()
    raise AssertionError(f"profile {key}: last answer {last}; health {health}")


def wait_until_applied(s: Served, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = requests.get(f"{s.url}/v1/health", timeout=30).json()
        if health["lag"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"the live updater did not catch up: {health}")


def stored_message_ids(s: Served) -> set[str]:
    # same process as the server: DuckDB shares the open database instance
    with duckdb.connect(str(s.path / "personae.duckdb")) as con:
        return {r[0] for r in con.execute("SELECT message_id FROM raw_events").fetchall()}


# -- short paths and content types ------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_short_paths_take_any_content_type_and_reach_the_profile(served, content_type) -> None:
    """Each short path does what its long path does; the body is JSON whatever the
    Content-Type says (analytics.js: text/plain; some libraries: none)."""
    s = served
    user, anon = f"U-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    headers = {**basic(s.keys["writer"])}
    if content_type:
        headers["Content-Type"] = content_type
    ids = {c: f"{c}-{uuid.uuid4()}" for c in "ptisgab"}
    bodies = {
        "p": {"anonymousId": anon, "name": "Startseite", "properties": {"path": "/"}},
        "t": {"anonymousId": anon, "event": "Product Viewed"},
        "s": {"anonymousId": anon, "name": "Warenkorb"},
        "i": {"userId": user, "anonymousId": anon, "traits": {"email": f"{user}@post.test"}},
        "g": {"userId": user, "groupId": "ACME-1", "traits": {"name": "Acme"}},
        "a": {"userId": user, "previousId": anon},
    }
    for path, body in bodies.items():
        r = post(s, f"/v1/{path}", {**body, "messageId": ids[path]}, headers)
        assert r.status_code == 200, (path, r.text)
        assert r.json() == {"success": True}
    batch = {"batch": [{"type": "track", "userId": user, "event": "Paid", "messageId": ids["b"]}]}
    r = post(s, "/v1/b", batch, headers)
    assert r.status_code == 200, r.text
    seen = {"Startseite", "Product Viewed", "Warenkorb", "Paid"}
    doc = wait_for_profile(
        s,
        f"user_id:{user}",
        lambda d: {e.get("event") or e.get("name") for e in d["recent_events"]} >= seen,
    )
    assert ("anonymous_id", anon) in {(i["type"], i["value"]) for i in doc["identifiers"]}
    wait_until_applied(s)
    assert set(ids.values()) <= stored_message_ids(s)


def test_a_short_path_checks_like_its_long_path(served) -> None:
    s = served
    for path in ("/v1/t", "/v1/track"):
        r = post(
            s, path, {"userId": "u"}, {**basic(s.keys["writer"]), "Content-Type": "text/plain"}
        )
        assert r.status_code == 400 and r.json()["field"] == "event", r.text
    r = post(s, "/v1/i", {"type": "track", "userId": "u"}, basic(s.keys["writer"]))
    assert r.status_code == 400 and r.json()["field"] == "type"


# -- CORS ---------------------------------------------------------------------------------
def _preflight(s: Served, path: str, origin: str) -> requests.Response:
    return requests.options(
        f"{s.url}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )


def test_tracking_routes_answer_cors_and_nothing_else_does(served) -> None:
    s = served
    site = "https://www.other-shop.test"
    for path in TRACKING:
        r = _preflight(s, path, site)
        assert r.status_code == 204, (path, r.status_code, r.text)
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
        allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        assert "Access-Control-Allow-Credentials" not in r.headers
    good = {"anonymousId": "cors-visitor", "event": "Viewed"}
    r = post(s, "/v1/t", good, {**basic(s.keys["writer"]), "Origin": site})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    # error answers are readable by the page too
    r = post(s, "/v1/t", {"anonymousId": "x"}, {**basic(s.keys["writer"]), "Origin": site})
    assert r.status_code == 400 and r.headers["Access-Control-Allow-Origin"] == "*"
    r = post(s, "/v1/t", good, {**basic("wk_nope"), "Origin": site})
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == "*"

    # the profile API, the other APIs and the pages: no CORS whatever the request
    analyst = {"Authorization": f"Bearer {s.keys['analyst']}", "Origin": site}
    for path in (
        "/v1/profiles/user_id:nobody",
        "/v1/segments",
        "/v1/personas",
        "/v1/subjects/email:grace@harbour.test",
        "/v1/health",
        "/openapi.json",
        "/",
        "/login",
        "/profiles",
    ):
        r = requests.get(f"{s.url}{path}", headers=analyst, timeout=30, allow_redirects=False)
        assert not any(h.lower().startswith("access-control-") for h in r.headers), path
        r = _preflight(s, path, site)
        assert r.status_code != 204, path
        assert not any(h.lower().startswith("access-control-") for h in r.headers), path


def test_cors_origins_limit_which_sites_may_send(tmp_path) -> None:
    ws = _shop(tmp_path)
    toml = ws.path / "personae.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'cors_origins = ["*"]',
            'cors_origins = ["https://Shop.test:443", "http://localhost:3000"]',
        ),
        encoding="utf-8",
    )
    _built(Workspace(ws.path))
    with serve(ws.path) as s:
        write = basic(s.keys["writer"])
        body = {"anonymousId": "v1", "event": "Viewed"}
        for origin in ("https://shop.test", "http://localhost:3000"):
            r = _preflight(s, "/v1/t", origin)
            assert r.status_code == 204
            assert r.headers["Access-Control-Allow-Origin"] == origin
            assert "Origin" in r.headers["Vary"]
            r = post(s, "/v1/t", body, {**write, "Origin": origin})
            assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == origin
        for origin in ("https://evil.test", "http://shop.test", "http://localhost:3001"):
            r = _preflight(s, "/v1/t", origin)
            assert r.status_code == 403 and "Access-Control-Allow-Origin" not in r.headers
            r = post(s, "/v1/t", body, {**write, "Origin": origin})
            assert r.status_code == 403
            got = r.json()
            assert got["code"] == "origin_not_allowed" and "cors_origins" in got["message"]
        # server libraries send no Origin; a page of the server itself is same-origin
        assert post(s, "/v1/t", body, write).status_code == 200
        assert post(s, "/v1/t", body, {**write, "Origin": s.url}).status_code == 200


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        ('"*"', "must be a list of origins"),
        ('["https://shop.test/"]', "'https://shop.test/' is not an origin"),
        ('["shop.test"]', "'shop.test' is not an origin"),
        ('["*", "https://shop.test"]', "'\\*' already allows every site"),
        ("[1]", "must be a list of origins"),
    ],
)
def test_a_bad_cors_origins_value_is_named_with_the_fix(tmp_path, value, expect) -> None:
    toml = tmp_path / "personae.toml"
    toml.write_text(f"[serve]\ncors_origins = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"'serve\.cors_origins'.*{expect}") as info:
        load_config(toml)
    assert len(str(info.value).splitlines()) == 2  # the file, then one line for the key


def test_cors_origins_default_and_normalisation(tmp_path) -> None:
    toml = tmp_path / "personae.toml"
    toml.write_text("", encoding="utf-8")
    assert load_config(toml).serve.cors_origins == ["*"]
    toml.write_text(
        '[serve]\ncors_origins = ["HTTPS://Shop.Test:443", "http://[::1]:8080", "http://a.test:80"]\n',
        encoding="utf-8",
    )
    assert load_config(toml).serve.cors_origins == [
        "https://shop.test",
        "http://[::1]:8080",
        "http://a.test",
    ]
    toml.write_text("[serve]\ncors_origins = []\n", encoding="utf-8")
    assert load_config(toml).serve.cors_origins == []


# -- write keys are never stored ---------------------------------------------------------
def _files_holding(folder: Path, needle: bytes) -> list[str]:
    return [
        str(p.relative_to(folder))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and needle in p.read_bytes()
    ]


def _rows_holding(s: Served, needle: str) -> dict[str, int]:
    """Rows of any table whose text (every column, JSON included) contains ``needle``:
    DuckDB compresses strings on disk, so a byte search of its file alone proves little."""
    found = {}
    with duckdb.connect(str(s.path / "personae.duckdb")) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            n = con.execute(
                f'SELECT count(*) FROM "{table}" AS r WHERE contains(CAST(r AS VARCHAR), ?)',
                [needle],
            ).fetchone()[0]
            if n:
                found[table] = n
    return found


def test_no_write_key_is_stored_anywhere_in_the_workspace(served) -> None:
    """Header and body key together, analytics.js's batch (a key at the top and in every
    message), a body-only key on a short path, a batch whose messages alone carry it."""
    s = served
    key = s.keys["writer"]
    mids = [f"wk-{uuid.uuid4()}" for _ in range(7)]
    user = f"K-{uuid.uuid4().hex[:8]}"
    calls = [
        ("/v1/track", {"writeKey": key, "userId": user, "event": "A", "messageId": mids[0]}, True),
        (
            "/v1/b",
            {
                "writeKey": key,
                "sentAt": "2026-11-24T10:00:00Z",
                "batch": [
                    {"type": "page", "userId": user, "writeKey": key, "messageId": mids[1]},
                    {
                        "type": "track",
                        "userId": user,
                        "event": "B",
                        "writeKey": key,
                        "messageId": mids[2],
                    },
                ],
            },
            True,
        ),
        (
            "/v1/i",
            {"writeKey": key, "userId": user, "traits": {"x": 1}, "messageId": mids[3]},
            False,
        ),
        (
            "/v1/batch",
            {
                "batch": [
                    {
                        "type": "track",
                        "userId": user,
                        "event": "C",
                        "writeKey": key,
                        "messageId": mids[4],
                    },
                    {"type": "screen", "userId": user, "writeKey": key, "messageId": mids[5]},
                ]
            },
            False,
        ),
        ("/v1/p", {"writeKey": key, "anonymousId": user, "messageId": mids[6]}, False),
    ]
    for path, body, with_header in calls:
        headers = {"Content-Type": "text/plain", **(basic(key) if with_header else {})}
        r = post(s, path, body, headers)
        assert r.status_code == 200, (path, r.text)
    wait_until_applied(s)
    assert set(mids) <= stored_message_ids(s)
    # the messages themselves are in the files searched: the search would see a key
    logged = _files_holding(s.path, mids[4].encode())
    assert any(f.startswith("stream/") for f in logged), logged
    assert _files_holding(s.path, key.encode()) == []
    assert _rows_holding(s, key) == {}
    assert _rows_holding(s, mids[4])  # and the row search sees the events


# -- error bodies -------------------------------------------------------------------------
def _big(n: int) -> str:
    return "x" * n


@pytest.mark.parametrize(
    ("path", "body", "key", "status", "code", "field"),
    [
        ("/v1/track", {"userId": "u"}, "writer", 400, "invalid_field", "event"),
        ("/v1/b", {"batch": [{"type": "track", "userId": "u", "event": "E"}, {"type": "hop"}]},
         "writer", 400, "invalid_field", "batch[1].type"),
        ("/v1/t", b'{"userId": "u", "event": ', "writer", 400, "bad_json", None),
        ("/v1/t", b"[1, 2]", "writer", 400, "bad_json", None),
        # a batch's context applies to each message; either being no object is named
        ("/v1/b", {"context": {"ip": "1.2.3.4"},
                   "batch": [{"type": "track", "userId": "u", "event": "E", "context": [1]}]},
         "writer", 400, "invalid_field", "batch[0].context"),
        ("/v1/b", {"context": "web", "batch": [{"type": "track", "userId": "u", "event": "E"}]},
         "writer", 400, "invalid_field", "context"),
        ("/v1/b", {"sentAt": "soon", "batch": [{"type": "track", "userId": "u", "event": "E"}]},
         "writer", 400, "invalid_field", "sentAt"),
        ("/v1/t", {"userId": "u", "event": "E"}, None, 401, "missing_write_key", None),
        ("/v1/t", {"userId": "u", "event": "E"}, "wk_revoked_or_never_made", 401,
         "unknown_write_key", None),
        ("/v1/t", {"userId": "u", "event": "E"}, "viewer", 403, "forbidden_role", None),
        ("/v1/t", {"userId": "u", "event": "E", "properties": {"x": _big(33_000)}}, "writer",
         413, "message_too_large", "body"),
        ("/v1/batch", {"batch": [{"type": "track", "userId": "u", "event": "E",
                                  "properties": {"x": _big(20_000)}}] * 30},
         "writer", 413, "body_too_large", None),
        ("/v1/b", {"batch": [{"type": "track", "userId": "u", "event": "E",
                              "properties": {"x": _big(40_000)}}]},
         "writer", 413, "message_too_large", "batch[0]"),
        ("/v1/b", {"batch": [{"type": "track", "userId": "u", "event": "E"}],
                   "pad": _big(2_000_000)}, "writer", 413, "body_too_large", None),
    ],
)  # fmt: skip
def test_error_bodies_carry_code_and_message(served, path, body, key, status, code, field) -> None:
    s = served
    headers = basic(s.keys.get(key, key)) if key else {}
    r = post(s, path, body, headers)
    assert r.status_code == status, r.text
    got = r.json()
    assert set(got) == {"success", "code", "message", "error", "field"}
    assert got["success"] is False and got["code"] == code and got["field"] == field
    assert got["message"] == got["error"] and len(got["message"]) > 10
    if field:
        assert field in got["message"]


def test_the_segment_python_library_reads_the_error_code_and_message(served) -> None:
    """analytics-python raises APIError(code, message) from the body; a body without
    them used to read as 'unknown' (the issue's clients then retried for minutes)."""
    from segment.analytics.request import APIError
    from segment.analytics.request import post as segment_post

    s = served
    with pytest.raises(APIError) as info:
        segment_post(
            "wk_not_a_key", host=s.url, batch=[{"type": "track", "userId": "u", "event": "E"}]
        )
    assert info.value.status == 401 and info.value.code == "unknown_write_key"
    assert "unknown or revoked" in info.value.message
    with pytest.raises(APIError) as info:
        segment_post(s.keys["writer"], host=s.url, batch=[{"type": "track", "userId": "u"}])
    assert info.value.status == 400 and info.value.code == "invalid_field"
    assert "batch[0].event" in info.value.message


# -- the OpenAPI document -----------------------------------------------------------------
def test_openapi_documents_every_tracking_route_its_errors_and_required_fields(served) -> None:
    doc = requests.get(f"{served.url}/openapi.json", timeout=30).json()
    error_ref = "#/components/schemas/TrackingError"
    assert set(doc["components"]["schemas"]["TrackingError"]["required"]) >= {
        "code", "message", "error", "field",
    }  # fmt: skip
    for path in TRACKING:
        op = doc["paths"][path]["post"]
        for status in ("400", "401", "403", "413"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (path, status)
        assert "options" not in doc["paths"][path]  # the preflight is CORS, not API
    ids = [{"required": ["userId"]}, {"required": ["anonymousId"]}]

    def body(path: str) -> dict:
        return doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    for long, short in (("track", "t"), ("alias", "a"), ("group", "g"), ("page", "p")):
        assert body(f"/v1/{long}") == body(f"/v1/{short}")
    assert body("/v1/track")["required"] == ["event"]
    assert [{"required": a["required"]} for a in body("/v1/track")["anyOf"]] == ids
    assert body("/v1/group")["required"] == ["groupId"]
    assert body("/v1/alias")["required"] == ["userId", "previousId"]
    batch = body("/v1/b")
    assert batch["required"] == ["batch"]
    items = batch["properties"]["batch"]["items"]["oneOf"]
    assert {i["properties"]["type"]["enum"][0]: i.get("required") for i in items} == {
        "identify": ["type"], "track": ["type", "event"], "page": ["type"],
        "screen": ["type"], "group": ["type", "groupId"],
        "alias": ["type", "userId", "previousId"],
    }  # fmt: skip


# -- analytics.js in a real browser -------------------------------------------------------
BUNDLE = Path(__file__).parent / "fixtures" / "analytics-js" / "analytics-next-1.84.3.umd.js"
# The site's page, as Segment's npm docs set analytics.js up without their CDN: the
# settings that would come from cdn.segment.com are given inline (Segment.io pointed at
# personae; remote metrics off, they would go to the same host).
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour shop</title>
<link rel="icon" href="data:,">
<script src="/BUNDLE"></script></head>
<body><h1>Harbour shop</h1>
<script>
window.sent = (async () => {
  const writeKey = "WRITE_KEY";
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({
    writeKey,
    cdnSettings: {
      integrations: {"Segment.io": {apiKey: writeKey, apiHost: "API_HOST/v1", protocol: "http"}},
      metrics: {sampleRate: 0},
    },
  });
  const calls = [
    () => analytics.page("Home", {section: "start"}),
    () => analytics.track("Product Viewed", {sku: "YOGA-1", price: 25}),
    () => analytics.identify("USER_ID", {
      email: "EMAIL", firstName: "Zoë", lastName: "Ünal",
      address: {city: "Zürich", country: "CH"},
    }),
    () => analytics.track("Order Completed", {revenue: 42.5, order_id: "W-1"}),
  ];
  const delivered = [];
  for (const call of calls) {
    const ctx = await call();
    const failed = ctx.failedDelivery();
    delivered.push([ctx.event.type, failed ? String(failed.reason) : null]);
  }
  return {anonymousId: analytics.user().anonymousId(), delivered};
})();
</script></body></html>
"""


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """A second local web server (another origin) for the shop's page and the bundle."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def offline_browser() -> Iterator:
    """Debian's chromium that cannot reach anything but 127.0.0.1: names resolve to
    nothing, and any other address goes to a proxy that does not exist.

    Not Playwright's request routing: with a route installed, Playwright answers CORS
    preflights itself, so the server's own preflight answer would go untested.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    args = [
        *CHROMIUM_ARGS,
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",  # loopback bypasses a proxy implicitly
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


def test_analytics_js_in_a_browser_reaches_a_profile(served, offline_browser, tmp_path) -> None:
    """A shop's page on another origin loads the vendored analytics.js and sends page,
    track, identify (with traits) and track: each call is delivered (its POST carries an
    Authorization header, so the browser sent it only after the server's preflight
    answer allowed it), and the profile API shows the visitor's events and traits on the
    identified profile. No request went anywhere but 127.0.0.1."""
    s = served
    user = f"WEB-{uuid.uuid4().hex[:8]}"
    email = f"{user.lower()}@harbour.test"
    api = s.url.removeprefix("http://")
    page_html = (
        SHOP_PAGE.replace("BUNDLE", BUNDLE.name)
        .replace("WRITE_KEY", s.keys["writer"])
        .replace("API_HOST", api)
        .replace("USER_ID", user)
        .replace("EMAIL", email)
    )
    (tmp_path / "index.html").write_text(page_html, encoding="utf-8")
    shutil.copy(BUNDLE, tmp_path / BUNDLE.name)

    with static_site(tmp_path) as site:
        context = offline_browser.new_context()
        context.set_default_timeout(60_000)
        page = context.new_page()
        errors: list[str] = []
        requests_seen: list = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests_seen.append(r))
        try:
            page.goto(f"{site}/index.html")
            result = page.evaluate("window.sent")
            tracked = [r for r in requests_seen if r.url.startswith(f"{s.url}/v1/")]
            sent = [(r.method, r.url.removeprefix(s.url), r.all_headers()) for r in tracked]
            statuses = [r.response().status if r.response() else None for r in tracked]
        finally:
            context.close()

    # analytics.js keeps a failed send for retry, so the answers are the proof of delivery
    assert statuses == [200, 200, 200, 200], (statuses, errors)
    assert [kind for kind, failed in result["delivered"] if failed is None] == [
        "page",
        "track",
        "identify",
        "track",
    ], result
    assert not errors, errors
    assert [(m, p) for m, p, _ in sent] == [
        ("POST", "/v1/p"),
        ("POST", "/v1/t"),
        ("POST", "/v1/i"),
        ("POST", "/v1/t"),
    ]
    for _, _, headers in sent:
        assert headers["content-type"].startswith("text/plain")
        assert headers["authorization"].startswith("Basic ")
        assert headers["origin"] == site
    foreign = {urlsplit(r.url).hostname for r in requests_seen} - {"127.0.0.1"}
    assert not foreign, foreign

    doc = wait_for_profile(
        s,
        f"user_id:{user}",
        lambda d: (
            {e.get("event") or e.get("name") for e in d["recent_events"]}
            >= {"Home", "Product Viewed", "Order Completed"}
        ),
    )
    assert doc["traits"]["first_name"] == "Zoë" and doc["traits"]["last_name"] == "Ünal"
    assert doc["traits"]["city"] == "Zürich" and doc["traits"]["email"] == email
    ids = {(i["type"], i["value"]) for i in doc["identifiers"]}
    assert ("anonymous_id", result["anonymousId"]) in ids  # the visit before login joined
    track = next(e for e in doc["recent_events"] if e.get("event") == "Order Completed")
    assert track["properties"]["revenue"] == 42.5
