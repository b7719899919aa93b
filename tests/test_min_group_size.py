"""Minimum group size k: nothing published rests on fewer than k people (issue 9, item 5).

The rules themselves (:mod:`personae.governance.kanon`) are checked on small hand-made
counts; then everything the 5k retail demo publishes is walked — the segment descriptions,
every persona document as written to ``personas.json``, and the people behind every chart
cell of the customer profile report — with a k high enough that suppression really
happens (K_MID), and with a k above the smallest persona segment (so that persona is not
built). The figures behind each check are recounted from the workspace tables, not taken
from the code under test.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from personae.governance.kanon import (
    DEFAULT_MIN_GROUP_SIZE,
    check_k,
    fewer_than,
    hidden_cells,
    merge_bins,
    pool_small,
    small,
    small_cell,
)
from personae.personas.build import PersonaBuilder
from personae.personas.journey import overall_journey
from personae.reports.persona_report import write_report
from personae.reports.profile_report import CountedChart, profile_report
from personae.reports.segment_report import render_segment_report
from personae.reports.text_report import THEMES_SHOWN, render_text_report
from personae.reports.value_report import write_value_report
from personae.segments.build import prepare
from personae.segments.describe import describe_segments
from personae.text.build import FacetResult, TextResult
from personae.text.facets import FACET_TITLES, FACETS
from personae.text.voice import VoiceError
from personae.workspace import Workspace
from tests.web_support import copy_workspace

# High enough that facts, themes, quotes, journey stages and RFM cells of the 5k demo fall
# under it, low enough that every persona still has quotes to check.
K_MID = 30


# ----------------------------------------------------------------------------- the rules
def test_small_groups_and_small_cells():
    assert DEFAULT_MIN_GROUP_SIZE == 10
    assert small(9, 10) and not small(10, 10) and small(0, 10) and small(None, 10)
    # zero people in a cell discloses nobody; 1..k-1 would
    assert not small_cell(0, 10) and small_cell(1, 10) and small_cell(9, 10)
    assert not small_cell(10, 10)
    assert fewer_than(300, "customers") == "fewer than 300 customers"
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="min_group_size"):
            check_k(bad)


def test_small_levels_pool_into_other_until_other_is_large_enough():
    pooled = pool_small({"a": 50, "b": 12, "c": 4, "d": 3, "e": 0}, 10)
    # c and d (7 together) are too few for an "Other" of their own: b, the next smallest,
    # joins them, so "Other" (19) cannot be subtracted back into 4 and 3
    assert pooled.kept == {"a": 50, "e": 0}
    assert pooled.merged == ["b", "c", "d"] and pooled.other == 19
    assert pooled.cells() == {"a": 50, "e": 0, "Other": 19}
    assert "fewer than 10 people" in pooled.note(10) and "Other" in pooled.note(10)
    assert all(n == 0 or n >= 10 for n in pooled.cells().values())
    # nothing small: nothing pooled, no note
    assert pool_small([("x", 10), ("y", 11)], 10).note(10) is None
    # a group under k in all is hidden, not pooled
    tiny = pool_small({"a": 5, "b": 3}, 10)
    assert tiny.hidden == 8 and not tiny.cells() and "in all" in tiny.note(10)


def test_hidden_cells_and_merged_bins_never_leave_a_small_cell():
    cells = {(1, 1): 40, (1, 2): 3, (2, 1): 25, (2, 2): 11}
    blank = hidden_cells(cells, 10)
    assert (1, 2) in blank and sum(cells[c] for c in blank) >= 10
    assert (1, 1) not in blank
    bins = [(0, 1, 2), (1, 2, 30), (2, 3, 0), (3, 4, 4), (4, 5, 3)]
    # 2 joins 30; the empty bin draws nothing; the small tail (4 + 3) joins the last bin
    assert merge_bins(bins, 10) == [(0, 5, 39)]
    assert merge_bins([(0, 1, 12), (1, 2, 4), (2, 3, 8), (3, 4, 15)], 10) == [
        (0, 1, 12),
        (1, 3, 12),
        (3, 4, 15),
    ]
    assert merge_bins([(0, 1, 4), (1, 2, 5)], 10) == []


# ----------------------------------------------------------------------------- helpers
def _level_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _evidence(node):
    """Every Evidence dict in a persona document (claims' evidence and the name basis)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("evidence", "basis") and isinstance(value, list):
                yield from value
            else:
                yield from _evidence(value)
    elif isinstance(node, list):
        for value in node:
            yield from _evidence(value)


def _described(ws: Workspace):
    """The segmented frame (as the segment step sees it), labels aligned, and the columns."""
    with ws.connect(read_only=True) as con:
        prepared = prepare(con, ws.config.segments)
        model = json.loads(con.execute("SELECT model FROM segment_models").fetchall()[0][0])
        labels = dict(con.execute("SELECT entity_id, segment FROM segments").fetchall())
    frame = prepared.frame
    frame = frame[frame["entity_id"].astype(str).isin(labels)].reset_index(drop=True)
    seg = frame["entity_id"].astype(str).map(labels).astype(int).to_numpy()
    numeric = [c for c in model["numeric"] if c in frame]
    categorical = [c for c in model["categorical"] if c in frame]
    return frame, seg, numeric, categorical


def _people_behind(frame, seg, segment: int, difference: dict) -> int:
    """Recount the members a difference rests on: those holding the level (categories) or
    with a known value (numbers)."""
    column = frame.loc[seg == segment, difference["attribute"]]
    if difference["kind"] == "category":
        return int((column.dropna().map(_level_text) == difference["level"]).sum())
    return int(column.notna().sum())


def _walk_descriptions(descriptions, frame, seg, k: int) -> int:
    """Assert every difference rests on ≥ k members; returns how many were checked."""
    checked = 0
    for d in descriptions:
        d = d if isinstance(d, dict) else d.to_dict()
        if small(d["size"], k):
            assert not d["differences"], d["segment"]
            assert d["role"] == "other" and not d["reasons"]
            assert d["mean_value"] is None and d["revenue_share"] is None
            assert d["sentences"] and f"fewer than {k:,}" in d["sentences"][0]
            continue
        for diff in d["differences"]:
            n = _people_behind(frame, seg, d["segment"], diff)
            assert n >= k, (d["segment"], diff["attribute"], diff.get("level"), n)
            checked += 1
    return checked


# ----------------------------------------------------------------------------- segments
@pytest.mark.slow
def test_segment_descriptions_rest_on_k_people(retail_5k):
    ws, _ = retail_5k
    frame, seg, numeric, categorical = _described(ws)

    # what the segment step stored (default k) rests on ≥ 10 people
    stored = ws.sql("SELECT * FROM segment_descriptions ORDER BY segment").to_pylist()
    for d in stored:
        d["differences"] = json.loads(d["differences"] or "[]")
    assert _walk_descriptions(stored, frame, seg, DEFAULT_MIN_GROUP_SIZE) > 20

    def describe(k: int):
        return describe_segments(
            frame, seg, numeric=numeric, categorical=categorical, min_group_size=k
        )

    # without the rule, some differences rest on fewer than K_MID people: the rule bites
    loose = describe(1)
    below = [
        (d.segment, x.attribute)
        for d in loose
        for x in d.differences
        if _people_behind(frame, seg, d.segment, x.__dict__) < K_MID
    ]
    assert below, "no difference under K_MID: the test would not show anything"
    assert _walk_descriptions(describe(K_MID), frame, seg, K_MID) > 10

    # a k above the smallest segment: that segment is counted, never described
    sizes = {d.segment: d.size for d in loose}
    smallest = min(sizes, key=sizes.__getitem__)
    k_high = sizes[smallest] + 1
    high = describe(k_high)
    _walk_descriptions(high, frame, seg, k_high)
    tiny = next(d for d in high if d.segment == smallest)
    assert tiny.role == "other" and tiny.name == f"Segment {smallest}"
    assert any(d.role == "primary" for d in high)


# ----------------------------------------------------------------------------- published
def _k_high(ws: Workspace) -> tuple[int, int]:
    """A k just above the smallest persona segment: (k, that segment)."""
    rows = ws.sql(
        "SELECT segment, size FROM segment_descriptions WHERE role IN ('primary', 'negative') "
        "ORDER BY size, segment"
    ).to_pylist()
    assert len(rows) >= 2 and rows[0]["size"] < rows[1]["size"]
    return rows[0]["size"] + 1, rows[0]["segment"]


@pytest.fixture(scope="module")
def published(retail_5k, tmp_path_factory):
    """A copy of the 5k demo with personas, the profile report and the written report for
    K_MID and for a k above the smallest persona segment: k -> what was published."""
    source, _ = retail_5k
    ws = Workspace(copy_workspace(source.path, tmp_path_factory.mktemp("kanon") / "ws"))
    ws.icp()
    k_high, dropped = _k_high(ws)
    out = {}
    for k in (K_MID, k_high):
        with ws.connect() as con:
            result = PersonaBuilder(ws.config.personas, min_group_size=k).build(con)
            journeys = {"All customers": overall_journey(con, min_group_size=k)}
            journeys.update({p.title.text: p.journey for p in result.personas if p.journey})
            labels = {p.segment: p.title.text for p in result.personas}
            sections = profile_report(
                con, journeys=journeys, segment_labels=labels, min_group_size=k
            )
        files = write_report(
            result.personas, sections, ws.path / f"reports-k{k}", title="k test", pdf=False
        )
        out[k] = SimpleNamespace(result=result, sections=sections, files=files)
    return SimpleNamespace(ws=ws, runs=out, k_high=k_high, dropped=dropped)


def _members(ws: Workspace, segment: int) -> str:
    return f"(SELECT entity_id AS profile_id FROM segments WHERE segment = {int(segment)})"


def _holders(ws: Workspace, segment: int, facet: str) -> dict[str, int]:
    """Theme label -> segment members whose main theme of ``facet`` it is (recounted)."""
    rows = ws.sql(
        f"SELECT t.text_{facet} AS label, count(*) AS n FROM text_profile_attributes t "
        f"JOIN {_members(ws, segment)} m USING (profile_id) "
        f"WHERE t.text_{facet} IS NOT NULL GROUP BY 1"
    ).to_pylist()
    return {r["label"]: r["n"] for r in rows}


def _theme_writers(ws: Workspace) -> dict[tuple[str, str], int]:
    """(facet, theme) -> people, among everyone, with a snippet of that theme (recounted)."""
    rows = ws.sql(
        "SELECT facet, theme_label AS theme, count(DISTINCT profile_id) AS n FROM text_snippets "
        "WHERE theme_label IS NOT NULL GROUP BY ALL"
    ).to_pylist()
    return {(r["facet"], r["theme"]): r["n"] for r in rows}


def _writers(ws: Workspace, segment: int, facet: str) -> int:
    return ws.sql(
        f"SELECT count(DISTINCT s.profile_id) AS n FROM text_snippets s "
        f"JOIN {_members(ws, segment)} m USING (profile_id) WHERE s.facet = ?",
        [facet],
    ).to_pylist()[0]["n"]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["mid", "high"])
def test_every_persona_figure_and_quote_rests_on_k_people(published, which):
    ws = published.ws
    k = K_MID if which == "mid" else published.k_high
    run = published.runs[k]
    docs = json.loads(run.files.json.read_text(encoding="utf-8"))
    assert docs and len(docs) == len(run.result.personas)
    sizes = {
        r["segment"]: r["size"]
        for r in ws.sql("SELECT segment, size FROM segment_descriptions").to_pylist()
    }
    quotes = small_notes = 0
    theme_writers = _theme_writers(ws)
    for doc in docs:
        seg = doc["segment"]
        assert sizes[seg] >= k and doc["size"]["customers"] >= k
        for ev in _evidence(doc):
            if ev["n"] is not None:
                assert ev["n"] >= k, (doc["id"], ev)
            attribute = ev.get("attribute") or ""
            if attribute.startswith("theme_"):
                # a voice theme: a mean over ≥ k writers (n, above); the members holding it
                # as their main theme are named only when they are k or more (recounted)
                facet = attribute.removeprefix("theme_")
                holders = _holders(ws, seg, facet).get(ev["level"], 0)
                if 0 < holders < k:
                    assert f"fewer than {k:,} members have it" in ev["note"], ev
                    small_notes += 1
                else:
                    assert f"{holders:,} members have it" in ev["note"], ev
            elif ev["level"] is not None and ev["segment_value"] is not None and ev["n"]:
                # a share of a level: the people holding it are 0 or ≥ k
                holders = round(ev["segment_value"] * ev["n"])
                assert holders == 0 or holders >= k, (doc["id"], ev)
        for stage in doc["journey"]:
            assert stage["reached"] >= k, (doc["id"], stage["stage"])
            if stage["sentiment"] is not None:
                assert stage["sentiment_n"] >= k
        themed = [(q["facet"], q["theme"]) for q in doc["quotes"]]
        for facet in ("goals", "pain_points", "frustrations", "motivations", "objections"):
            themed += [(t["facet"], t["label"]) for t in doc[facet] if t["quote"]]
        for facet, theme in themed:
            # a quote: enough segment members wrote on the facet, enough people on its theme
            quotes += 1
            assert theme is not None
            assert _writers(ws, seg, facet) >= k, (doc["id"], facet)
            assert theme_writers[(facet, theme)] >= k, (doc["id"], facet, theme)
        rule = [e for e in doc["quality"]["evidence"] if e["source"] == "governance"]
        assert rule and f"minimum group size {k}" in rule[0]["note"]
    if which == "mid":
        assert quotes > 10, "no quotes left to check: lower K_MID"
        # something could have been quoted and was not: members of the persona segments
        # wrote snippets of themes fewer than k people wrote
        rare = {key for key, n in theme_writers.items() if n < k}
        written = {
            (r["facet"], r["theme"])
            for r in ws.sql(
                "SELECT DISTINCT s.facet, s.theme_label AS theme FROM text_snippets s "
                "JOIN segments g ON g.entity_id = s.profile_id WHERE g.segment IN "
                f"({', '.join(str(d['segment']) for d in docs)})"
            ).to_pylist()
        }
        assert rare & written
        # and a theme held as main theme by 1..k-1 members says "fewer than k", not the count
        assert small_notes > 0
    else:
        # the smallest persona segment is below k: no persona, and the warning says why
        assert published.dropped not in {doc["segment"] for doc in docs}
        assert any(
            f"segment {published.dropped} " in w and f"fewer than {k:,} customers" in w
            for w in run.result.warnings
        ), run.result.warnings


@pytest.mark.slow
@pytest.mark.parametrize("which", ["mid", "high"])
def test_every_chart_cell_of_the_report_rests_on_k_people(published, which):
    ws = published.ws
    k = K_MID if which == "mid" else published.k_high
    run = published.runs[k]
    charts = [c for s in run.sections for c in s.charts]
    assert len(charts) > 15
    for chart in charts:
        assert isinstance(chart, CountedChart), chart.key
        assert chart.cells, f"{chart.key}: no cells recorded"
        for row, part, n in chart.cells:
            assert n == 0 or n >= k, (chart.key, row, part, n)
    by_key = {s.key: s for s in run.sections}
    # the RFM grid table: a cell is a count of ≥ k, or blank
    grid = by_key["rfm"].tables[0]
    counts = [cell for row in grid.rows for cell in row[1:]]
    assert all(c == "–" or int(c.replace(",", "")) >= k for c in counts)
    # the cells recount: each shown RFM cell is the number of scored customers with it
    recount = {
        (r["r"], r["f"]): r["n"]
        for r in ws.sql(
            "SELECT r_score AS r, f_score AS f, count(*) AS n FROM value_scores "
            "WHERE r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5 GROUP BY ALL"
        ).to_pylist()
    }
    (rfm_chart,) = by_key["rfm"].charts
    for row, part, n in rfm_chart.cells:
        assert recount[(int(row[-1]), int(part[-1]))] == n
    html = run.files.html.read_text(encoding="utf-8")
    if which == "mid":
        assert "–" in counts, "no RFM cell under K_MID: the test would not show anything"
        assert f"fewer than {k:,}" in html
        assert any("other" in part.lower() for c in charts for _, part, _ in c.cells)
    else:
        dropped = published.dropped
        note = f"Segment {dropped}: not shown — fewer than {k:,} customers"
        assert any(note in n for n in by_key["segments"].notes)
        assert note in html
        # the segment is in no per-segment chart and no segment table row
        for chart in charts:
            assert not any(row.startswith(f"{dropped}. ") for row, _, _ in chart.cells)
        assert all(row[0] != str(dropped) for row in by_key["segments"].tables[0].rows)
        # nor in Everyone: alone under k, it would be Everyone minus the segments shown
        assert any("left out of Everyone too" in n for n in by_key["segments"].notes)
        (gender,) = [c for c in charts if c.key == "profile-attr-gender"]
        everyone = sum(n for row, _, n in gender.cells if row.lower().startswith("everyone"))
        known = {
            r["shown"]: r["n"]
            for r in ws.sql(
                f"SELECT s.segment <> {int(dropped)} AS shown, count(p.gender) AS n "
                "FROM segments s JOIN profiles p ON p.profile_id = s.entity_id GROUP BY 1"
            ).to_pylist()
        }
        assert known[False] > 0 and everyone == known[True]


# ----------------------------------------------------------------------------- markdown
def _md_rows(text: str, heading: str) -> list[dict[str, str]]:
    """The first Markdown table after ``heading``, as dicts."""
    lines: list[str] = []
    for ln in text.split(heading + "\n", 1)[1].splitlines():
        if ln.startswith("|"):
            lines.append(ln)
        elif lines:
            break
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, [c.strip() for c in ln.strip("|").split("|")], strict=True))
        for ln in lines[2:]
    ]


def _md_section(text: str, heading: str) -> str:
    """The Markdown between ``heading`` and the next level-2 heading."""
    return text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.slow
def test_markdown_reports_pool_or_withhold_small_groups(published, tmp_path):
    ws = published.ws
    bands = {
        r["band"]: r["n"]
        for r in ws.sql(
            "SELECT churn_band AS band, count(*) AS n FROM value_scores GROUP BY 1"
        ).to_pylist()
    }
    # k just over the smallest churn band: that band must pool with another, whatever the
    # demo's sizes are
    k = min(n for n in bands.values() if n > 0) + 1
    assert any(0 < n < k for n in bands.values()) and sum(bands.values()) >= 2 * k
    result = SimpleNamespace(
        as_of="2026-01-01", customers=5000, accounts=0, model="summary", total_clv=0.0, at_risk=0,
        estimate="bgnbd+gamma_gamma", monetary=True, estimate_note="",
    )  # fmt: skip
    with ws.connect() as con:
        path = write_value_report(con, tmp_path, result, "k test", min_group_size=k)
    text = path.read_text(encoding="utf-8")
    for heading in ("## RFM groups", "## Churn risk"):
        rows = _md_rows(text, heading)
        assert rows and all(int(r["customers"]) >= k for r in rows), (heading, rows)
    assert "“other”" in text and f"fewer than {k}" in text

    # text report: themes of fewer than k writers are neither listed nor quoted
    k = K_MID
    themes = ws.sql("SELECT * FROM text_themes ORDER BY facet, theme_id").to_pylist()
    facets = {
        f: FacetResult(f, 0, 0, themes=[t for t in themes if t["facet"] == f]) for f in FACETS
    }
    text = render_text_report(TextResult(facets=facets), "k test", min_group_size=k)
    few = [t for t in themes if t["profiles"] < k]
    assert few and f"fewer than {k} people" in text
    for t in themes:
        section = _md_section(text, f"## {FACET_TITLES[t['facet']]}")
        listed = f"| {t['label']} |" in section
        assert listed == (
            t["profiles"] >= k
            and t
            in sorted(
                (x for x in themes if x["facet"] == t["facet"] and x["profiles"] >= k),
                key=lambda x: -x["snippets"],
            )[:THEMES_SHOWN]
        ), t["label"]
        if t["profiles"] < k and t["quote"]:
            assert " ".join(t["quote"].split()) not in section

    # segment report: a segment under k shows no size and no figures
    k, dropped = published.k_high, published.dropped
    frame, seg, numeric, categorical = _described(ws)
    descriptions = describe_segments(
        frame, seg, numeric=numeric, categorical=categorical, min_group_size=k
    )
    winner = SimpleNamespace(
        algorithm="kmeans", k=len(descriptions), stable=True, min_jaccard=0.8,
        mean_jaccard=0.9, bootstrap_ari=0.9,
    )  # fmt: skip
    seg_result = SimpleNamespace(
        choice=SimpleNamespace(winner=winner, rule="test", candidates=[]),
        entities=len(frame), entity="customer", descriptions=descriptions,
        stability={d.segment: 0.9 for d in descriptions}, sample=len(frame), numeric=numeric,
        categorical=categorical, dropped={}, outlier_note="none",
    )  # fmt: skip
    md = render_segment_report(seg_result, "k test", min_group_size=k)
    row = next(r for r in md.splitlines() if r.startswith(f"| {dropped} |"))
    assert f"< {k:,}" in row and re.search(r"\|\s*–\s*\|", row)
    size = next(d.size for d in descriptions if d.segment == dropped)
    assert f"{size:,}" not in row
    assert f"fewer than {k:,} customers" in md


@pytest.mark.slow
def test_voice_quotes_only_themes_enough_people_wrote(published):
    """The quote rule on its own: without it (k = 1) some segment is quoted on a theme fewer
    than K_MID people wrote; with it, none is, and the withheld themes are listed."""
    ws = published.ws
    theme_writers = _theme_writers(ws)
    segments = [r["segment"] for r in ws.sql("SELECT DISTINCT segment FROM segments").to_pylist()]
    loose = strict = withheld = 0
    for segment in sorted(segments):
        members = [
            r["entity_id"]
            for r in ws.sql(
                "SELECT entity_id FROM segments WHERE segment = ?", [segment]
            ).to_pylist()
        ]
        for k in (1, K_MID):
            voice = ws.voice(members, quotes=5, min_group_size=k)
            rare = [
                q
                for qs in voice.quotes.values()
                for q in qs
                if theme_writers[(q.facet, q.theme_label)] < K_MID
            ]
            if k == 1:
                loose += len(rare)
            else:
                strict += len(rare)
                assert all(q.profile_id in set(members) for qs in voice.quotes.values() for q in qs)
                withheld += sum("not quoted" in note for note in voice.withheld.values())
    assert loose > 0, "no quote from a rare theme even without the rule: raise K_MID"
    assert strict == 0 and withheld > 0
    with pytest.raises(VoiceError, match="fewer than 10 people"):
        ws.voice(members[:5])
