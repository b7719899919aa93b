"""The HTML persona report in a real browser: Debian's chromium driven by Playwright.

What a reader sees: the page loads with no console errors and no network request at all
(everything is inlined), every persona card and avatar is laid out with a real size, the
evidence opens with one click, and on a phone-sized screen the cards stack without sideways
scrolling. Screenshots land in the test's tmp folder for a human look.

``report_html`` builds the report from the hand-made sample personas; it can be pointed at
a real demo workspace's ``reports/personas.html`` once the persona builder exists. The
tests read what to expect (title, personas) from the files written next to the HTML.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.persona_samples import sample_personas, sample_sections

TITLE = "Greenleaf customer personas"


_TITLES: dict[Path, str] = {}


@pytest.fixture(scope="module", params=["demo", "samples"])
def report_html(request, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report to open: the real one of the retail demo workspace (5,000 customers,
    through personas and `ws.report()`), and one from hand-built samples that exercise the
    B2B and sparse layouts."""
    from personae.reports.persona_report import write_report

    if request.param == "demo":
        ws, _ = request.getfixturevalue("retail_5k")
        files = ws.report()
        _TITLES[files.html] = f"Customer personas — {ws.config.workspace.name}"
        return files.html
    out = tmp_path_factory.mktemp("browser-report") / "reports"
    files = write_report(
        sample_personas(),
        sample_sections(),
        out,
        title=TITLE,
        subtitle="Who buys from Greenleaf, and how to reach them",
        data_date="2026-10-31",
        pdf=False,
    )
    _TITLES[files.html] = TITLE
    return files.html


def _expected_ids(report_html: Path) -> list[str]:
    docs = json.loads((report_html.parent / "personas.json").read_text("utf-8"))
    return [d["id"] for d in docs]


def _open(browser, report_html: Path, width: int, height: int = 900):
    """A page on the report, recording console errors and every request that is not the
    file itself or a data: URL."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    requests: list[str] = []
    own = report_html.resolve().as_uri()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_request(request) -> None:
        if request.url != own and not request.url.startswith("data:"):
            requests.append(request.url)

    page.on("request", on_request)
    page.goto(own, wait_until="load")
    return page, errors, requests


def test_report_renders_without_errors_or_requests(browser, report_html: Path, tmp_path: Path):
    ids = _expected_ids(report_html)
    assert ids
    page, errors, requests = _open(browser, report_html, 1280)
    try:
        assert page.title() == _TITLES[report_html]
        cards = page.locator("article.persona")
        assert cards.count() == len(ids)
        for i, persona_id in enumerate(ids):
            card = page.locator(f'[id="persona-{persona_id}"]')
            assert card.is_visible()
            box = card.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 300
            assert cards.nth(i).get_attribute("id") == f"persona-{persona_id}"
        avatars = page.locator(".avatar svg")
        assert avatars.count() >= len(ids)
        for i in range(avatars.count()):
            avatars.nth(i).scroll_into_view_if_needed()
            box = avatars.nth(i).bounding_box()
            assert box and box["width"] > 20 and box["height"] > 20, f"avatar {i}"
        charts = page.locator("figure .chart svg")
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50, f"chart {i}"

        full = tmp_path / "report-full.png"
        first = tmp_path / "report-first-card.png"
        page.screenshot(path=str(full), full_page=True)
        cards.first.screenshot(path=str(first))
        for shot in (full, first):
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        # the comparison has a column per persona, laid out in view
        headers = page.locator("#comparison thead th")
        assert headers.count() == len(ids)
        assert all(headers.nth(i).bounding_box()["width"] > 50 for i in range(len(ids)))
    finally:
        page.close()
    assert errors == []
    assert requests == []


def test_evidence_opens_with_one_click(browser, report_html: Path):
    page, errors, _ = _open(browser, report_html, 1280)
    try:
        first = page.locator("article.persona .block--bio details.ev").first
        body = first.locator(".ev__body")
        assert not body.is_visible()
        first.locator("summary").click()
        assert first.evaluate("d => d.open")
        assert body.is_visible()
        assert body.bounding_box()["height"] > 10
        assert "segment" in body.inner_text() and "n" in body.inner_text()
    finally:
        page.close()
    assert errors == []


def test_cards_stack_on_a_phone_without_sideways_scrolling(
    browser, report_html: Path, tmp_path: Path
):
    width = 390
    page, errors, requests = _open(browser, report_html, width, 844)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        cards = page.locator("article.persona")
        boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
        assert boxes and all(b["width"] <= width for b in boxes)
        assert all(abs(b["x"] - boxes[0]["x"]) < 1 for b in boxes)  # one column
        assert all(a["y"] + a["height"] <= b["y"] for a, b in itertools.pairwise(boxes))
        # inside a card the journey stages stack too
        stages = page.locator("article.persona").first.locator(".journey > li")
        stage_boxes = [stages.nth(i).bounding_box() for i in range(stages.count())]
        assert len({round(b["x"]) for b in stage_boxes}) == 1
        page.screenshot(path=str(tmp_path / "report-390.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
    assert requests == []
