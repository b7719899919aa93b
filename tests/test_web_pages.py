"""The persona library pages over real HTTP: a real uvicorn serving a copy of the 5k retail
demo (``served_retail``), driven with ``requests`` as a browser would (cookies, forms, the
``HX-Request`` header htmx sends).

What is checked: pages need a login and the login form behaves (401 on a wrong password,
a safe HttpOnly cookie, no open redirect); every page a viewer can open renders the
workspace's own personas and segments (expected values are read from the original
workspace, not from the server); every claim of a persona is on its page with its evidence
one click away; comparison and segment choices work as plain links and as htmx fragments;
viewers get 403 on profiles and none of the demo customers' emails, phones or names appear
on any page they can open; an analyst finds a customer by email, name or phone and opens
the profile.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator

import pytest
import requests
from markupsafe import escape
from pydantic import BaseModel

from personae.personas.schema import Claim, Persona

HX = {"HX-Request": "true"}
PAGES = ("/", "/compare", "/segments")


# ------------------------------------------------------------------------------ helpers
def login(served, role: str) -> requests.Session:
    s = requests.Session()
    r = s.post(
        f"{served.url}/login",
        data={"username": served.users[role], "password": served.password, "next": "/"},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return s


def get(session: requests.Session, served, path: str, **kw) -> requests.Response:
    return session.get(f"{served.url}{path}", allow_redirects=False, timeout=120, **kw)


def title_of(page: str) -> str:
    m = re.search(r"<title>(.*?)</title>", page, re.S)
    assert m, "page has no <title>"
    return html_lib.unescape(m.group(1)).strip()


def claims(model) -> Iterator[Claim]:
    """Every claim of a persona document, however deep."""
    if isinstance(model, Claim):
        yield model
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from claims(getattr(model, name))
    elif isinstance(model, list | tuple):
        for item in model:
            yield from claims(item)
    elif isinstance(model, dict):
        for item in model.values():
            yield from claims(item)


@pytest.fixture(scope="module")
def personas(retail_5k) -> list[Persona]:
    """The persona documents of the original workspace (the server serves a copy)."""
    ws, _ = retail_5k
    found = ws.load_personas()
    assert found, "the demo workspace has no personas"
    return found


@pytest.fixture(scope="module")
def segments(retail_5k) -> list[dict]:
    ws, _ = retail_5k
    return ws.sql(
        "SELECT segment, size, sentences FROM segment_descriptions ORDER BY segment"
    ).to_pylist()


@pytest.fixture(scope="module")
def customers(retail_5k) -> list[dict]:
    ws, _ = retail_5k
    return ws.sql(
        "SELECT profile_id, email, phone, first_name, last_name FROM profiles "
        "WHERE NOT coalesce(anonymous, false)"
    ).to_pylist()


@pytest.fixture(scope="module")
def viewer(served_retail) -> requests.Session:
    return login(served_retail, "viewer")


@pytest.fixture(scope="module")
def analyst(served_retail) -> requests.Session:
    return login(served_retail, "analyst")


# ------------------------------------------------------------------------------ login
@pytest.mark.parametrize(
    "path", ["/", "/personas/x", "/compare", "/segments", "/segments/1", "/profiles"]
)
def test_pages_send_a_stranger_to_the_login_form(served_retail, path):
    r = requests.get(f"{served_retail.url}{path}", allow_redirects=False, timeout=30)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={path}"
    form = requests.get(f"{served_retail.url}{r.headers['location']}", timeout=30)
    assert form.status_code == 200
    assert title_of(form.text).startswith("Log in")
    # every input has a label, and the page returns the user where they were going
    assert '<label for="username">' in form.text and 'id="username"' in form.text
    assert '<label for="password">' in form.text and 'id="password"' in form.text
    assert f'name="next" value="{path}"' in form.text


def test_wrong_password_is_401_and_sets_no_session(served_retail):
    r = requests.post(
        f"{served_retail.url}/login",
        data={"username": served_retail.users["viewer"], "password": "not the password"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 401
    assert "personae_session" not in r.headers.get("set-cookie", "")
    assert 'role="alert"' in r.text and "not right" in r.text
    assert 'aria-invalid="true"' in r.text
    # the user name is kept so only the password needs retyping
    assert f'value="{served_retail.users["viewer"]}"' in r.text
    unknown = requests.post(
        f"{served_retail.url}/login",
        data={"username": "nobody", "password": served_retail.password},
        allow_redirects=False,
        timeout=30,
    )
    assert unknown.status_code == 401


def test_login_sets_a_safe_cookie_and_returns_to_next(served_retail):
    r = requests.post(
        f"{served_retail.url}/login",
        data={
            "username": served_retail.users["viewer"],
            "password": served_retail.password,
            "next": "/compare?ids=x",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/compare?ids=x"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("personae_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(served_retail, target):
    r = requests.post(
        f"{served_retail.url}/login",
        data={
            "username": served_retail.users["viewer"],
            "password": served_retail.password,
            "next": target,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_logout_ends_the_session_on_the_server(served_retail):
    s = login(served_retail, "viewer")
    token = s.cookies.get("personae_session")
    assert get(s, served_retail, "/").status_code == 200
    r = s.post(f"{served_retail.url}/logout", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    # the old token is dead even if a copy of the cookie survives
    stale = requests.get(
        f"{served_retail.url}/", cookies={"personae_session": token}, allow_redirects=False
    )
    assert stale.status_code == 303


# ------------------------------------------------------------------------------ viewer pages
def test_every_page_has_its_own_title_header_and_landmarks(served_retail, viewer, personas):
    titles = set()
    for path in (*PAGES, f"/personas/{personas[0].id}"):
        r = get(viewer, served_retail, path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        page = r.text
        titles.add(title_of(page))
        # skip link first, then the landmarks it and the header rely on
        body = page.split("<body", 1)[1]
        assert re.search(r"<a[^>]*class=\"skip\"[^>]*href=\"#main\"", body.split("<header", 1)[0])
        assert '<main id="main"' in page and "<header" in page and 'aria-label="Main"' in page
        assert served_retail.users["viewer"] in page and ">Viewer<" in page
        assert 'action="/logout"' in page
        # nothing is fetched from anywhere else: scripts and styles come from this server
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), path
        assert '<script src="/static/htmx.min.js"' in page
    assert len(titles) == len(PAGES) + 1


def test_gallery_shows_every_persona_as_a_card(served_retail, viewer, personas):
    page = get(viewer, served_retail, "/").text
    cards = re.findall(r'<li class="card card--(primary|negative)">', page)
    assert len(cards) == len(personas)
    assert cards.count("negative") == sum(p.role == "negative" for p in personas)
    for p in personas:
        assert f'href="/personas/{p.id}"' in page
        assert str(escape(p.title.text)) in page
        assert f'aria-label="Illustrative picture of {p.name}"' in page
        assert f"{p.size.customers:,}" in page


def test_persona_page_shows_every_claim_with_its_evidence(served_retail, viewer, personas):
    for p in personas:
        r = get(viewer, served_retail, f"/personas/{p.id}")
        assert r.status_code == 200
        page = r.text
        assert title_of(page).startswith(p.title.text)
        every = list(claims(p))
        missing = [c.text for c in every if str(escape(c.text)) not in page]
        assert not missing, f"{p.id}: claims not on the page: {missing[:3]}"
        # each claim carries its own evidence panel (plus size and quality)
        assert page.count('<details class="ev">') >= len(every)
        for heading in ("Demographics", "Journey", "Marketing guidance", "How far to trust"):
            assert heading in page, heading
        for q in p.quotes:
            assert str(escape(q.text)) in page and q.record_id in page
        kinds = re.findall(r'<span class="kind kind--([a-z-]+)">', page)
        assert sorted(kinds) == sorted(q.source_kind for q in p.quotes)


def test_unknown_persona_is_a_404_page(served_retail, viewer):
    r = get(viewer, served_retail, "/personas/no-such-persona")
    assert r.status_code == 404
    assert title_of(r.text).startswith("Not found")
    assert '<main id="main"' in r.text


def _compared(page: str) -> list[str]:
    return re.findall(
        r'<th scope="col" class="compare__persona[^"]*">.*?href="/personas/([^"]+)"', page, re.S
    )


def test_comparison_defaults_to_primary_personas_and_follows_the_choice(
    served_retail, viewer, personas
):
    primary = [p.id for p in personas if p.role == "primary"]
    page = get(viewer, served_retail, "/compare").text
    assert _compared(page) == primary
    # a checkbox with a label for every persona, ticked for the compared ones
    for p in personas:
        box = re.search(
            rf'<input type="checkbox" name="ids" value="{p.id}" id="([^"]+)"( checked)?', page
        )
        assert box, p.id
        assert (box.group(2) is not None) == (p.id in primary)
        assert f'<label for="{box.group(1)}">' in page
    two = [personas[-1].id, personas[0].id]
    chosen = get(viewer, served_retail, f"/compare?ids={two[0]}&ids={two[1]}").text
    assert _compared(chosen) == two
    assert _compared(get(viewer, served_retail, f"/compare?ids={','.join(two)}").text) == two
    # htmx asks for the table only
    fragment = get(viewer, served_retail, f"/compare?chosen=1&ids={two[1]}", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="comparison"' in fragment.text
    assert _compared(fragment.text) == [two[1]]
    none = get(viewer, served_retail, "/compare?chosen=1", headers=HX).text
    assert _compared(none) == [] and "No persona chosen" in none


def test_segment_explorer_lists_segments_with_charts(served_retail, viewer, segments):
    r = get(viewer, served_retail, "/segments")
    assert r.status_code == 200
    page = r.text
    for s in segments:
        assert f'hx-get="/segments/{s["segment"]}"' in page
        assert f'href="/segments?segment={s["segment"]}#segment-detail"' in page
        assert f"{s['size']:,}" in page
    assert page.count('<div class="chart" role="img"') >= 3
    assert "<svg" in page and "Share of customers and of revenue by segment" in page
    # no script hides in the charts
    assert "<script" not in page.split("</head>", 1)[1]


def test_choosing_a_segment_swaps_in_its_details(served_retail, viewer, segments):
    s = segments[1]
    fragment = get(viewer, served_retail, f"/segments/{s['segment']}", headers=HX)
    assert fragment.status_code == 200
    text = fragment.text
    assert "<html" not in text and f'data-segment="{s["segment"]}"' in text
    for sentence in s["sentences"][:3]:
        assert str(escape(sentence)) in text
    # without htmx the same URL is the whole explorer with the segment chosen
    full = get(viewer, served_retail, f"/segments/{s['segment']}")
    assert full.status_code == 200 and "<html" in full.text
    assert 'class="is-selected"' in full.text and f'data-segment="{s["segment"]}"' in full.text
    assert get(viewer, served_retail, "/segments/9999", headers=HX).status_code == 404
    assert get(viewer, served_retail, "/segments?segment=9999").status_code == 404


# ------------------------------------------------------------------------------ privacy
@pytest.mark.parametrize("path", ["/profiles", "/profiles/search?q=ab", "/profiles/p123"])
def test_viewers_may_not_open_profiles(served_retail, viewer, path):
    r = get(viewer, served_retail, path, headers=HX if "search" in path else {})
    assert r.status_code == 403
    assert "analysts and admins" in r.text


def test_profiles_link_only_for_analysts(served_retail, viewer, analyst):
    assert 'href="/profiles"' not in get(viewer, served_retail, "/").text
    assert 'href="/profiles"' in get(analyst, served_retail, "/").text


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_NAME_PAIR = re.compile(r"\b([A-Z][a-zA-Z'-]+)\s+([A-Z][a-zA-Z'-]+)\b")


def pii_found(page: str, customers: list[dict]) -> set[str]:
    """Customers' emails, phone numbers and full names that occur in a page."""
    text = html_lib.unescape(page)
    emails = {c["email"].lower() for c in customers if c["email"]}
    phones = {re.sub(r"\D", "", c["phone"]) for c in customers if c["phone"]}
    names = {
        f"{c['first_name']} {c['last_name']}"
        for c in customers
        if c["first_name"] and c["last_name"]
    }
    found = {e for e in _EMAIL.findall(text) if e.lower() in emails}
    found |= {d for d in _DIGITS.findall(text) if re.sub(r"\D", "", d) in phones}
    found |= {f"{a} {b}" for a, b in _NAME_PAIR.findall(text) if f"{a} {b}" in names}
    return found


def test_viewer_pages_hold_no_customer_pii(
    served_retail, viewer, analyst, personas, segments, customers
):
    pages = [get(viewer, served_retail, p).text for p in PAGES]
    pages += [get(viewer, served_retail, f"/personas/{p.id}").text for p in personas]
    pages.append(
        get(viewer, served_retail, "/compare?ids=" + ",".join(p.id for p in personas)).text
    )
    pages += [
        get(viewer, served_retail, f"/segments/{s['segment']}", headers=HX).text for s in segments
    ]
    leaked = set().union(*(pii_found(page, customers) for page in pages))
    assert not leaked, f"viewer pages show customer PII: {sorted(leaked)[:5]}"
    # the detector itself works: an analyst's profile page is full of it
    someone = next(c for c in customers if c["email"] and c["phone"] and c["last_name"])
    profile = get(analyst, served_retail, f"/profiles/{someone['profile_id']}").text
    assert someone["email"].lower() in {x.lower() for x in pii_found(profile, customers)}


# ------------------------------------------------------------------------------ analysts
def test_analyst_finds_a_customer_and_opens_the_profile(served_retail, analyst, customers):
    someone = next(
        c for c in customers if c["email"] and c["phone"] and c["last_name"] and c["first_name"]
    )
    pid = someone["profile_id"]
    page = get(analyst, served_retail, "/profiles")
    assert page.status_code == 200 and 'hx-get="/profiles/search"' in page.text
    assert '<label for="q"' in page.text
    assert page.headers["cache-control"] == "no-store"

    found = get(
        analyst, served_retail, "/profiles/search", params={"q": someone["email"]}, headers=HX
    )
    assert found.status_code == 200 and "<html" not in found.text
    assert f'href="/profiles/{pid}"' in found.text
    assert someone["email"] in html_lib.unescape(found.text)
    # by name, by phone written another way, by profile id
    by_name = get(
        analyst,
        served_retail,
        "/profiles/search",
        params={"q": f"{someone['first_name']} {someone['last_name']}"},
        headers=HX,
    )
    assert f'href="/profiles/{pid}"' in by_name.text
    digits = re.sub(r"\D", "", someone["phone"])[-7:]
    by_phone = get(
        analyst,
        served_retail,
        "/profiles/search",
        params={"q": f"{digits[:3]}-{digits[3:]}"},
        headers=HX,
    )
    assert f'href="/profiles/{pid}"' in by_phone.text
    by_id = get(analyst, served_retail, "/profiles/search", params={"q": pid}, headers=HX)
    assert f'href="/profiles/{pid}"' in by_id.text
    # at most 20 rows, and a query that matches nobody says so
    many = get(analyst, served_retail, "/profiles/search", params={"q": "com"}, headers=HX)
    assert 1 <= many.text.count('href="/profiles/p') <= 20
    nobody = get(
        analyst, served_retail, "/profiles/search", params={"q": "zzqx-nobody"}, headers=HX
    )
    assert "No profile matches" in nobody.text
    # the plain form (no JavaScript) gives the same results in the full page
    plain = get(analyst, served_retail, "/profiles", params={"q": someone["email"]})
    assert f'href="/profiles/{pid}"' in plain.text and "<html" in plain.text

    profile = get(analyst, served_retail, f"/profiles/{pid}")
    assert profile.status_code == 200
    text = html_lib.unescape(profile.text)
    assert someone["email"] in text and someone["last_name"] in text
    assert title_of(profile.text).startswith(f"{someone['first_name']} {someone['last_name']}")
    assert profile.headers["cache-control"] == "no-store"
    assert get(analyst, served_retail, "/profiles/p-no-such-profile").status_code == 404


def test_unknown_addresses_get_the_library_error_page_in_a_browser(served_retail) -> None:
    import requests as rq

    s = served_retail
    html = rq.get(f"{s.url}/no/such/page", headers={"Accept": "text/html"}, timeout=30)
    assert html.status_code == 404
    assert "text/html" in html.headers["content-type"] and "<main" in html.text
    api = rq.get(f"{s.url}/v1/nothing-here", headers={"Accept": "text/html"}, timeout=30)
    assert api.status_code == 404 and api.json()["detail"] == "Not Found"
