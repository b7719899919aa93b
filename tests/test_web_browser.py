"""The persona library in a real browser: Debian's chromium driven by Playwright against a
real ``personae serve`` (``served_retail``: uvicorn serving a copy of the 5k retail demo).

A viewer logs in with the keyboard and clicks through gallery → persona → comparison →
segment explorer (htmx swaps the chosen segment in); an analyst searches profiles live and
opens one. Along the way: no console error, no page error, no request to any host but the
server; the skip link is the first Tab stop and focus is visible; on a 390 px phone no page
scrolls sideways. Full-page screenshots go to the test's tmp folder; with
``PERSONAE_DOC_SHOTS=1`` a few are also copied to ``docs/web-*.png`` for the documentation
(off by default, so a test run leaves the checkout as it was).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
TIMEOUT = 90_000  # ms; the first explorer visit draws its charts


class Watched:
    """A page whose console errors, page errors and requests are recorded."""

    def __init__(self, browser, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.set_default_timeout(TIMEOUT)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def foreign(self) -> list[str]:
        """Requests to anywhere but the server (inline data: URIs are not requests)."""
        return [
            u
            for u in self.requests
            if not u.startswith("data:") and urlsplit(u).hostname != "127.0.0.1"
        ]

    def check_clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.foreign(), self.foreign()[:5]

    def close(self) -> None:
        self.context.close()


def keyboard_login(w: Watched, served, role: str, path: str = "/") -> None:
    """Open a page, get sent to the login form, and log in typing and pressing Enter."""
    page = w.page
    page.goto(served.url + path)
    page.wait_for_url(re.compile(r"/login\?next="))
    # autofocus lands once the form is laid out, which a busy machine delays
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(served.users[role])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(served.password)
    page.keyboard.press("Enter")
    page.wait_for_url(served.url + path)


def shot(page, tmp_path: Path, name: str, docs: str | None = None, height: int = 0) -> Path:
    """A full-page screenshot in tmp_path; optionally a copy (cut to ``height``) in docs/."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("PERSONAE_DOC_SHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        if height:
            page.screenshot(
                path=str(DOCS / docs),
                full_page=True,
                clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height},
            )
        else:
            shutil.copyfile(path, DOCS / docs)
    return path


def focus_state(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
                   const r = e.getBoundingClientRect();
                   return {cls: e.className, href: e.getAttribute('href'), tag: e.tagName,
                           outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                           top: r.top, bottom: r.bottom, height: r.height}; }"""
    )


def test_viewer_clicks_through_the_library(browser, served_retail, tmp_path):
    w = Watched(browser)
    page = w.page
    try:
        keyboard_login(w, served_retail, "viewer")

        # gallery: the skip link is the first Tab stop, visibly focused, and works
        page.keyboard.press("Tab")
        f = focus_state(page)
        assert "skip" in f["cls"] and f["href"] == "#main"
        assert f["outline"] != "none" and f["width"] >= 2
        assert f["top"] >= 0 and f["height"] > 0  # on screen once focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # the cards are reachable with Tab
        for _ in range(30):
            page.keyboard.press("Tab")
            if "card__link" in (focus_state(page)["cls"] or ""):
                break
        else:
            pytest.fail("Tab never reached a persona card")
        cards = page.locator(".card")
        assert cards.count() >= 3
        for i in range(cards.count()):
            box = cards.nth(i).locator(".card__avatar").bounding_box()
            assert box and box["width"] > 40 and box["height"] > 40
        shot(page, tmp_path, "gallery", "web-gallery.png")

        # a persona: its evidence opens with one click
        first = page.locator(".card__link").first
        title = first.inner_text().strip()
        first.click()
        page.wait_for_url(re.compile(r"/personas/"))
        assert page.locator("h3.persona__title").inner_text().strip() == title
        assert title in page.title()
        evidence = page.locator(".block--bio details.ev").first
        evidence.locator("summary").click()
        assert evidence.get_attribute("open") is not None
        assert evidence.locator(".ev__body").is_visible()
        assert page.locator(".quote .kind").count() >= 1
        shot(page, tmp_path, "persona", "web-persona.png", height=1500)

        # comparison: ticking a persona swaps the table in place (htmx) and updates the URL
        page.locator("a.pager__link--compare").click()
        page.wait_for_url(re.compile(r"/compare\?"))
        before = page.locator("th.compare__persona").count()
        unticked = page.locator(".chooser input[type=checkbox]:not(:checked)").first
        unticked_id = unticked.get_attribute("value")
        page.locator(f"label[for='{unticked.get_attribute('id')}']").click()
        page.wait_for_function(
            f"document.querySelectorAll('th.compare__persona').length === {before + 1}"
        )
        assert unticked_id in page.url
        shot(page, tmp_path, "compare", "web-compare.png")

        # segment explorer: choosing a segment swaps its details in (htmx)
        page.locator("nav[aria-label=Main] a", has_text="Segments").click()
        page.wait_for_url(served_retail.url + "/segments")
        assert page.locator(".segtable tbody tr").count() >= 3
        assert page.locator(".chart svg").count() >= 3
        link = page.locator(".seglink").nth(1)
        seg = link.get_attribute("data-segment")
        link.click()
        page.wait_for_selector(f"#segment-detail article[data-segment='{seg}']")
        page.wait_for_url(re.compile(rf"/segments\?segment={seg}$"))
        assert page.locator("#segment-detail .chart svg").count() == 1
        assert (
            page.locator(".segtable tr.is-selected .seglink").get_attribute("data-segment") == seg
        )
        page.wait_for_function("document.activeElement.id === 'segdetail-title'")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, tmp_path, "segments", "web-segments.png", height=2300)

        # viewers have no profile search in the navigation
        assert page.locator("nav[aria-label=Main] a", has_text="Profiles").count() == 0
        w.check_clean()
    finally:
        w.close()


def test_analyst_searches_profiles_live(browser, served_retail, retail_5k, tmp_path):
    ws, _ = retail_5k
    someone = ws.sql(
        "SELECT profile_id, email, first_name, last_name FROM profiles "
        "WHERE email IS NOT NULL AND last_name IS NOT NULL ORDER BY profile_id LIMIT 1"
    ).to_pylist()[0]
    w = Watched(browser)
    page = w.page
    try:
        keyboard_login(w, served_retail, "analyst", "/profiles")
        box = page.get_by_label("Search profiles")
        box.click()
        page.keyboard.type(someone["email"][:-2], delay=20)
        row = page.locator(f"#results a[href='/profiles/{someone['profile_id']}']")
        row.wait_for()
        assert page.url.endswith("/profiles")  # live search swaps results, no navigation
        shot(page, tmp_path, "profile-search")
        row.click()
        page.wait_for_url(re.compile(rf"/profiles/{someone['profile_id']}$"))
        assert page.locator("h1").inner_text().strip() == (
            f"{someone['first_name']} {someone['last_name']}"
        )
        assert someone["email"] in page.content()
        shot(page, tmp_path, "profile")
        w.check_clean()
    finally:
        w.close()


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_no_sideways_scrolling_on_a_phone(browser, served_retail, role, tmp_path):
    w = Watched(browser, width=390, height=844)
    page = w.page
    width = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    try:
        page.goto(served_retail.url + "/login")
        login_widths = page.evaluate(width)
        assert login_widths[0] <= login_widths[1], f"the login form scrolls: {login_widths}"
        keyboard_login(w, served_retail, role)
        persona = page.locator(".card__link").first.get_attribute("href")
        paths = ["/", persona, "/compare", "/segments?segment=1"]
        if role == "analyst":
            paths.append("/profiles?q=com")
        for path in paths:
            page.goto(served_retail.url + path)
            page.wait_for_load_state("load")
            widths = page.evaluate(width)
            assert widths[0] <= widths[1], f"{path} scrolls sideways at 390 px: {widths}"
        shot(page, tmp_path, f"phone-{role}")
        w.check_clean()
    finally:
        w.close()
