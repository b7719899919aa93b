"""The customer profile report (sections, tables, charts) on real demo workspaces.

Every figure checked here is recomputed independently (pandas over the raw workspace
tables, or the CLV module's own pandas path) and compared with the formatted cell.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import duckdb
import numpy as np
import pandas as pd
import pytest

from personae.demo import generate
from personae.personas.schema import JourneyStage
from personae.pipeline import set_brand
from personae.reports import charts
from personae.reports.profile_report import (
    ProfileReportError,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_pct,
    holdout_summary,
    profile_report,
)
from personae.reports.sections import ReportSection
from tests.helpers import ingest_demo

SVG_NS = "{http://www.w3.org/2000/svg}"
RETAIL_KEYS = ["segments", "attributes", "value", "rfm", "calibration", "icp"]


# ------------------------------------------------------------------------------ fixtures
def _workspace(folder: Path, scenario: str, customers: int) -> Path:
    """The demo pipeline up to segments (what `personae demo` runs before the personas),
    so these tests do not depend on the persona and report steps they feed."""
    data = folder / "data"
    generate(scenario, customers, 42, data)
    ws, _ = ingest_demo(data, folder / "ws")
    set_brand(ws, scenario)
    ws.build()
    ws.text()
    ws.value()
    ws.icp()
    ws.segment()
    return ws.database_path


@pytest.fixture(scope="module")
def retail_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _workspace(tmp_path_factory.mktemp("profile-retail"), "retail", 800)


@pytest.fixture(scope="module")
def saas_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _workspace(tmp_path_factory.mktemp("profile-saas"), "saas", 80)


@pytest.fixture(scope="module")
def retail(retail_db: Path):
    con = duckdb.connect(str(retail_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def saas(saas_db: Path):
    con = duckdb.connect(str(saas_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def plain(retail) -> dict[str, ReportSection]:
    # k = 1: these tests recompute every raw figure (tests/test_min_group_size.py checks k)
    return _by_key(profile_report(retail, min_group_size=1))


def _journey(n: int, shares: list[float]) -> list[JourneyStage]:
    stages = ["awareness", "consideration", "purchase", "retention", "advocacy"]
    out, prev = [], None
    for stage, share in zip(stages, shares, strict=False):
        reached = round(n * share)
        conv = None if prev is None else reached / prev
        out.append(
            JourneyStage(
                stage=stage,
                reached=reached,
                reached_share=share,
                conversion=conv,
                drop_off=None if conv is None else 1 - conv,
            )
        )
        prev = reached
    return out


@pytest.fixture(scope="module")
def journeys() -> dict[str, list[JourneyStage]]:
    return {
        "All customers": _journey(800, [1.0, 0.7, 0.5, 0.3, 0.1]),
        "Sarah, the Busy Professional Mom": _journey(160, [1.0, 0.8, 0.6]),
    }


@pytest.fixture(scope="module")
def full(retail, journeys) -> dict[str, ReportSection]:
    sections = profile_report(
        retail,
        currency="EUR",
        journeys=journeys,
        segment_labels={1: "Sarah, the Busy Professional Mom"},
    )
    assert [s.key for s in sections] == [*RETAIL_KEYS[:-1], "journeys", "icp"]
    return _by_key(sections)


@pytest.fixture(scope="module")
def saas_report(saas) -> dict[str, ReportSection]:
    return _by_key(profile_report(saas))


def _by_key(sections: list[ReportSection]) -> dict[str, ReportSection]:
    return {s.key: s for s in sections}


def _table(section: ReportSection, title_part: str):
    found = [t for t in section.tables if title_part in t.title]
    assert found, f"no table with {title_part!r} in {[t.title for t in section.tables]}"
    return found[0]


def _num(cell: str) -> float:
    """'1,234' -> 1234.0; '21.1%' -> 0.211; '$1,234' / '€12.50' -> the amount."""
    pct = cell.endswith("%")
    value = float(re.sub(r"[^\d.\-]", "", cell))
    return value / 100 if pct else value


def _all_charts(*reports: dict[str, ReportSection]):
    return [c for r in reports for s in r.values() for c in s.charts]


# ---------------------------------------------------------------------------- structure
def test_every_section_is_present_with_an_intro(plain, saas_report):
    assert list(plain) == RETAIL_KEYS  # no journeys given: no journeys section
    assert list(saas_report) == RETAIL_KEYS
    for report in (plain, saas_report):
        for section in report.values():
            assert section.intro.strip().endswith((".", ")"))
            assert section.title
            assert section.charts or section.notes, section.key
    for key in ("segments", "attributes", "value", "rfm", "calibration", "icp"):
        assert plain[key].charts, f"retail {key} has no chart"


def test_empty_journeys_give_no_section(retail):
    assert "journeys" not in _by_key(profile_report(retail, journeys={}))


def test_chart_keys_are_unique_and_prefixed(full, saas_report):
    for report in (full, saas_report):
        keys = [c.key for c in _all_charts(report)]
        assert len(keys) == len(set(keys))
        assert all(k.startswith("profile-") for k in keys)


# -------------------------------------------------------------------------------- tables
def test_segment_table_matches_the_segments_table(retail, plain):
    table = _table(plain["segments"], "Segments")
    sizes = retail.execute("SELECT segment, count(*) FROM segments GROUP BY 1").fetchall()
    names = dict(retail.execute("SELECT segment, name FROM segment_descriptions").fetchall())
    col = {c: i for i, c in enumerate(table.columns)}
    got = {int(r[col["segment"]]): r for r in table.rows}
    assert set(got) == {s for s, _ in sizes}
    for segment, n in sizes:
        row = got[segment]
        assert _num(row[col["size"]]) == n
        assert row[col["name"]] == names[segment]
        assert _num(row[col["share"]]) == pytest.approx(n / sum(m for _, m in sizes), abs=6e-4)
    assert sum(_num(r[col["share"]]) for r in table.rows) == pytest.approx(1, abs=0.005)
    assert sum(_num(r[col["revenue share"]]) for r in table.rows) == pytest.approx(1, abs=0.005)
    assert table.numeric[col["size"]] and not table.numeric[col["name"]]


def test_segment_labels_replace_names(full, retail):
    table = _table(full["segments"], "Segments")
    col = {c: i for i, c in enumerate(table.columns)}
    first = next(r for r in table.rows if r[col["segment"]] == "1")
    assert first[col["name"]] == "Sarah, the Busy Professional Mom"
    described = retail.execute("SELECT name FROM segment_descriptions WHERE segment = 1")
    assert first[col["described as"]] == described.fetchall()[0][0]
    # Charts show the label too.
    assert "Sarah, the Busy Professional Mom" in full["value"].charts[0].svg


def _most_common(values: pd.Series) -> str:
    """'level (share%)' of the most common known value (ties: the first by name)."""
    shares = values.dropna().value_counts(normalize=True)
    best = sorted(shares.index, key=lambda v: (-shares[v], v))[0]
    return f"{best} ({shares[best]:.0%})"


def test_attribute_tables_match_pandas(retail, plain):
    frame = retail.execute(
        """SELECT s.segment, p.gender, p.top_category_1, p.orders, p.age, p.return_rate
           FROM segments s JOIN profiles p ON p.profile_id = s.entity_id"""
    ).df()
    names = dict(retail.execute("SELECT segment, name FROM segment_descriptions").fetchall())
    top = _table(plain["attributes"], "Most common value")
    numbers = _table(plain["attributes"], "Numbers by segment")
    tcol = {c: i for i, c in enumerate(top.columns)}
    ncol = {c: i for i, c in enumerate(numbers.columns)}
    trow = {r[0]: r for r in top.rows}
    nrow = {r[0]: r for r in numbers.rows}
    for segment, group in frame.groupby("segment"):
        label = f"{segment}. {names[segment]}"
        for column, title in (("gender", "gender"), ("top_category_1", "top category")):
            assert trow[label][tcol[title]] == _most_common(group[column]), (segment, column)
        assert _num(nrow[label][ncol["median orders"]]) == pytest.approx(
            group["orders"].median(), abs=0.051
        )
        assert _num(nrow[label][ncol["median age"]]) == pytest.approx(
            group["age"].median(), abs=0.51
        )
        assert _num(nrow[label][ncol["mean return rate"]]) == pytest.approx(
            group["return_rate"].mean(), abs=0.0006
        )
    assert trow["Everyone"][tcol["gender"]] == _most_common(frame["gender"])
    # A segment's most common value is drawn as its own part, never pooled into "other".
    chart = next(c for c in plain["attributes"].charts if c.key == "profile-attr-top-category-1")
    legend = {"".join(t.itertext()) for t in ET.fromstring(chart.svg).iter(f"{SVG_NS}text")}
    for _, group in frame.groupby("segment"):
        assert _most_common(group["top_category_1"]).split(" (")[0] in legend
    # One chart per attribute shown, categories and numbers alike.
    keys = {c.key for c in plain["attributes"].charts}
    for column in ("gender", "age-band", "top-category-1", "orders", "avg-order-value"):
        assert f"profile-attr-{column}" in keys


def test_value_table_matches_pandas(retail, plain):
    frame = retail.execute(
        """SELECT s.segment, v.clv, v.churn_risk FROM segments s
           LEFT JOIN value_scores v ON v.profile_id = s.entity_id"""
    ).df()
    table = _table(plain["value"], "Predicted value")
    col = {c: i for i, c in enumerate(table.columns)}
    rows = {r[0].split(".")[0]: r for r in table.rows}
    for segment, group in frame.groupby("segment"):
        row = rows[str(segment)]
        assert row[col["mean CLV"]] == fmt_money(group["clv"].mean(), "USD")
        assert row[col["total predicted CLV"]] == fmt_money(group["clv"].sum(), "USD")
        high = (group["churn_risk"] >= 0.6).mean()
        assert _num(row[col["high risk (≥ 60%)"]]) == pytest.approx(high, abs=6e-4)
    total = rows["All customers"]
    assert total[col["total predicted CLV"]] == fmt_money(frame["clv"].sum(), "USD")
    shares = [_num(r[col["share of total CLV"]]) for r in table.rows[:-1]]
    assert sum(shares) == pytest.approx(1, abs=0.005)


def test_rfm_grid_and_groups_match_value_scores(retail, plain):
    scores = retail.execute("SELECT r_score, f_score, rfm_group FROM value_scores").df()
    grid = _table(plain["rfm"], "recency (R) and frequency (F)")
    expected = pd.crosstab(scores["r_score"], scores["f_score"])
    for row in grid.rows:
        r = int(row[0].split("=")[1])
        for f in range(1, 6):
            want = int(expected.loc[r, f]) if r in expected.index and f in expected else 0
            assert _num(row[f]) == want, (r, f)
    groups = _table(plain["rfm"], "RFM groups")
    got = {r[0]: _num(r[2]) for r in groups.rows}
    assert sum(got.values()) == len(scores)
    for group, n in scores["rfm_group"].value_counts().items():
        assert got[group.replace("_", " ").replace("cant", "can't")] == n, group


def test_icp_table_matches_the_icp_document(retail, plain):
    import json

    doc = json.loads(retail.execute("SELECT document FROM icp").fetchall()[0][0])
    table = _table(plain["icp"], "Top traits")
    assert len(table.rows) == min(10, len(doc["traits"]))
    first = doc["traits"][0]
    assert table.rows[0][1] == first["value"]
    assert table.rows[0][4] == f"{first['lift']:.1f}×"
    assert any("most valuable" in n for n in plain["icp"].notes)


# ------------------------------------------------------------------------------- charts
def test_every_svg_is_self_contained_xml(full, saas_report):
    for chart in _all_charts(full, saas_report):
        root = ET.fromstring(chart.svg)
        assert root.tag == f"{SVG_NS}svg"
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", chart.svg))
        assert urls <= {"http://www.w3.org/2000/svg"}, (chart.key, urls)
        assert not re.search(r"url\((?!#)", chart.svg), chart.key
        assert "<image" not in chart.svg and "<script" not in chart.svg
        assert "@import" not in chart.svg and "@font-face" not in chart.svg
        assert root.get("aria-label") == chart.alt and root.get("role") == "img"
        assert chart.title and chart.alt and "<title" not in chart.svg[:500]
        fonts = {el.get("font-family") for el in root.iter(f"{SVG_NS}text")}
        assert fonts == {charts.FONT_STACK}, (chart.key, fonts)
        width = float(root.get("width"))
        assert 300 < width <= 900, (chart.key, width)


def test_svg_ids_are_unique_across_charts_and_resolve_locally(full, saas_report):
    seen: list[str] = []
    for chart in _all_charts(full, saas_report):
        ids = re.findall(r'\bid="([^"]+)"', chart.svg)
        refs = re.findall(r"url\(#([^)]+)\)", chart.svg)
        assert set(refs) <= set(ids), chart.key
        seen += ids
    assert seen, "expected clip paths or gradients with ids"
    assert len(seen) == len(set(seen))


def _fills_by_segment(svg: str) -> dict[str, set[str]]:
    """Fill colours of marks, by the segment label named in their aria-label."""
    out: dict[str, set[str]] = {}
    for el in ET.fromstring(svg).iter():
        label, fill = el.get("aria-label") or "", el.get("fill")
        m = re.search(r"(?:segment|group): (\d+)\. ", label)
        if m and fill and el.get("aria-roledescription") == "bar":
            out.setdefault(m.group(1), set()).add(fill)
    return out


def test_a_segment_keeps_its_colour_across_charts(plain):
    colours = charts.segment_colours([1, 2, 3, 4, 5])
    share = _fills_by_segment(plain["segments"].charts[0].svg)
    clv = _fills_by_segment(plain["value"].charts[0].svg)
    orders = _fills_by_segment(
        next(c for c in plain["attributes"].charts if c.key == "profile-attr-orders").svg
    )
    assert share and clv and orders
    for segment in share:
        expected = colours[int(segment)]
        assert share[segment] == clv[segment] == orders[segment] == {expected}
    assert len({next(iter(v)) for v in share.values()}) == len(share)


def test_segment_colours_depend_only_on_the_number_and_have_contrast():
    assert charts.segment_colours([1, 2, 3])[3] == charts.segment_colours([3])[3]
    assert charts.segment_colours([7, 2])[2] == charts.segment_colours([2])[2]
    assert len(set(charts.segment_colours(range(1, 13)).values())) == 12
    assert charts.segment_colours([-1])[-1] == charts.NEUTRAL
    for colour in (*charts.PALETTE, charts.NEUTRAL, charts.INK):
        assert charts.contrast_ratio(colour) >= 4.5, colour
    for colour in (*charts.LEVEL_PALETTE, charts.OTHER_LEVEL):
        assert charts.contrast_ratio(colour, charts.INK) >= 4.5, colour


def test_render_svg_prefixes_ids_and_rejects_nothing_external():
    frame = pd.DataFrame({"r": [1, 1, 2], "f": [1, 2, 1], "n": [3, 4, 5]})
    frame["t"] = frame["n"].astype(str)
    chart = charts.heatmap(
        frame, x="f", y="r", value="n", text="t", x_title="F", y_title="R", value_title="n"
    )
    a = charts.render_svg(chart, "one")
    b = charts.render_svg(chart, "two")
    ids_a = set(re.findall(r'\bid="([^"]+)"', a))
    ids_b = set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    assert all(i.startswith("chart-one-") for i in ids_a)
    with pytest.raises(charts.ChartError):
        charts.finish_svg(
            '<svg xmlns="http://www.w3.org/2000/svg"><a href="https://x.io"/></svg>', "k"
        )


# ----------------------------------------------------------------------------- journeys
def test_journeys_render_a_funnel_per_group(full, journeys):
    section = full["journeys"]
    assert len(section.charts) == len(journeys)
    colours = charts.segment_colours([1])
    for chart, (group, stages) in zip(section.charts, journeys.items(), strict=True):
        assert group in chart.title
        root = ET.fromstring(chart.svg)
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
        for stage in stages:
            assert stage.stage in texts
            assert any(
                t.startswith(f"{stage.reached:,} ({stage.reached_share:.0%})") for t in texts
            )
        bars = {
            el.get("fill")
            for el in root.iter(f"{SVG_NS}path")
            if (el.get("aria-roledescription") == "bar")
        }
        # The persona's funnel takes its segment's colour; "All customers" is neutral.
        expected = colours[1] if group.startswith("Sarah") else charts.NEUTRAL
        assert bars == {expected}
    table = section.tables[0]
    assert len(table.rows) == sum(len(s) for s in journeys.values())
    sarah = [r for r in table.rows if r[0].startswith("Sarah")]
    assert sarah[1][4] == fmt_pct(journeys["Sarah, the Busy Professional Mom"][1].conversion)


# -------------------------------------------------------------------------- calibration
def test_holdout_summary_equals_the_clv_module(retail, plain):
    from personae.value.clv import BetaGeo, calibration_holdout, holdout_comparison

    as_of = retail.execute("SELECT CAST(max(as_of) AS VARCHAR) FROM value_scores").fetchall()
    as_of = as_of[0][0]
    mine, population = holdout_summary(retail, as_of)
    tx = retail.execute("SELECT profile_id, order_date FROM value_orders WHERE kept").df()
    end = pd.Timestamp(as_of)
    theirs = calibration_holdout(
        tx, "profile_id", "order_date", end - pd.Timedelta(days=182), end, 1.0
    )
    assert population == len(theirs) == len(mine)
    theirs = theirs.sort_index()
    assert list(mine.index) == list(theirs.index)
    for col in ("frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"):
        np.testing.assert_allclose(mine[col].to_numpy(float), theirs[col].to_numpy(float))
    # The section's table is the module's own comparison on the same data.
    bg = BetaGeo().fit(theirs["frequency_cal"], theirs["recency_cal"], theirs["T_cal"])
    comparison = holdout_comparison(bg, theirs)
    table = plain["calibration"].tables[0]
    assert [r[0] for r in table.rows] == list(comparison["label"])
    assert [_num(r[1]) for r in table.rows] == list(comparison["customers"])
    assert [r[2] for r in table.rows] == [f"{v:.2f}" for v in comparison["actual"]]
    assert [r[3] for r in table.rows] == [f"{v:.2f}" for v in comparison["predicted"]]
    actual = int(theirs["frequency_holdout"].sum())
    assert f"{actual:,} happened" in plain["calibration"].notes[0]


def test_holdout_summary_caps_the_sample(retail):
    as_of = retail.execute("SELECT CAST(max(as_of) AS VARCHAR) FROM value_scores").fetchall()
    small, population = holdout_summary(retail, as_of[0][0], max_customers=50)
    assert len(small) == 50 < population
    again, _ = holdout_summary(retail, as_of[0][0], max_customers=50)
    assert list(small.index) == list(again.index)  # a stable sample


def test_calibration_is_skipped_without_enough_history(retail_db: Path, tmp_path: Path):
    copy = tmp_path / "short.duckdb"
    shutil.copy(retail_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "DELETE FROM value_orders WHERE order_day <= (SELECT max(order_day) - 150 "
            "FROM value_orders)"
        )
        section = _by_key(profile_report(con))["calibration"]
    assert not section.charts
    assert "not enough history" in section.notes[0]


# --------------------------------------------------------------------------------- saas
def test_saas_report_describes_accounts(saas, saas_report):
    segments = _table(saas_report["segments"], "Segments")
    sizes = dict(saas.execute("SELECT segment, count(*) FROM segments GROUP BY 1").fetchall())
    assert {int(r[0]): _num(r[3]) for r in segments.rows} == sizes
    top = _table(saas_report["attributes"], "Most common value")
    assert "industry" in top.columns and "plan" in top.columns
    assert "gender" not in top.columns
    value = _table(saas_report["value"], "Predicted value")
    total = saas.execute(
        """SELECT sum(v.clv) FROM segments s
           JOIN account_value_scores v ON v.account_id = s.entity_id"""
    ).fetchall()[0][0]
    col = value.columns.index("total predicted CLV")
    assert value.rows[-1][0] == "All accounts"
    assert value.rows[-1][col] == fmt_money(total, "USD")
    assert "MRR" in value.columns
    assert "contractual" in saas_report["calibration"].notes[0]
    assert not saas_report["calibration"].charts
    assert "accounts" in saas_report["icp"].notes[0]


# ------------------------------------------------------------------------ missing inputs
def test_a_workspace_without_segments_is_an_error(retail_db: Path, tmp_path: Path):
    copy = tmp_path / "noseg.duckdb"
    shutil.copy(retail_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DELETE FROM segments")
        with pytest.raises(ProfileReportError, match="personae segment"):
            profile_report(con)
        con.execute("DROP TABLE segments")
        with pytest.raises(ProfileReportError, match="no segments yet"):
            profile_report(con)


def test_missing_value_tables_leave_notes(retail_db: Path, tmp_path: Path):
    copy = tmp_path / "novalue.duckdb"
    shutil.copy(retail_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE value_scores")
        con.execute("DROP TABLE icp")
        report = _by_key(profile_report(con))
    assert list(report) == RETAIL_KEYS
    assert "personae value" in report["value"].notes[0]
    assert "personae value" in report["rfm"].notes[0]
    assert "personae icp" in report["icp"].notes[0]
    assert report["attributes"].charts  # the rest still renders


# ----------------------------------------------------------------------------- formatting
def test_numbers_are_formatted_for_people(full):
    assert fmt_money(1234.5, "USD") == "$1,234"
    assert fmt_money(1234.5, "GBP") == "£1,234"
    assert fmt_money(12.345, "EUR") == "€12.35"
    assert fmt_money(12.345, "XYZ") == "12.35 XYZ"
    assert fmt_money(-5, "USD") == "-$5.00"
    assert fmt_money(None, "USD") == "–"
    assert fmt_int(1234567) == "1,234,567"
    assert fmt_pct(0.2114) == "21.1%"
    assert fmt_number(27.4, "days", "$") == "27 days"
    assert fmt_number(0.25, "pct", "$") == "25.0%"
    value = _table(full["value"], "Predicted value")
    assert all(r[2].startswith("€") for r in value.rows)
    assert "€" in full["value"].charts[0].svg
