"""The customer profile report: who the segments are, what they are worth, how they buy.

:func:`profile_report` reads the workspace tables and returns format-free
:class:`~personae.reports.sections.ReportSection` objects (tables of formatted cells and
offline SVG charts); the HTML, Markdown and PDF writers render them. Sections, in order:

``segments``      the segment table (``segment_descriptions``) and share vs revenue share;
``attributes``    distributions of the key attributes by segment (``profiles`` for people,
                  ``account_profiles``/``account_value_scores`` for B2B accounts);
``value``         predicted lifetime value and churn risk by segment (``value_scores`` or
                  ``account_value_scores``);
``rfm``           the recency × frequency grid and the named RFM groups (``value_scores``);
``calibration``   the lifetime-value model refitted on older history and checked against the
                  last six months (a note when the history is too short or B2B is valued
                  with the contractual model);
``journeys``      a funnel per group, only when ``journeys`` are given;
``icp``           the ideal customer profile's top traits (``icp``).

Every figure is aggregated in DuckDB (GROUP BY, quantiles, UNPIVOT); Python only sees
per-segment results, so a million profiles report in seconds. The one exception is the
calibration check, which needs a per-customer summary for the model fit: it is computed in
SQL and capped at :data:`CALIBRATION_SAMPLE` customers (a stable hash sample).

A workspace without segments raises :class:`ProfileReportError` (the report is about
segments, and persona cards need them too); a missing value, ICP or order table leaves a
note in its section instead, so the rest of the report still renders.

Minimum group size (``min_group_size``, k; :mod:`personae.governance.kanon`): no chart cell
or table figure rests on fewer than k people. Segments smaller than k are left out of every
per-segment chart and table; they are counted in "Everyone" only when together they are at
least k (otherwise Everyone minus the segments shown would describe them); category levels
held by fewer than k of a row are merged into "other"; histogram bins are merged with their
neighbours; RFM cells, RFM groups, calibration groups, journey stages and ICP traits under k
are blanked, merged or left out — each with a note saying so. Every chart is a
:class:`CountedChart` whose ``cells`` list the people behind each bar or cell.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

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
from personae.governance.kanon import (
    suppressed as suppressed_note,
)
from personae.locale.money import money_text
from personae.personas.schema import JourneyStage
from personae.reports import charts
from personae.reports.sections import Chart, ReportSection, Table
from personae.runs import StepCannotRun
from personae.value.estimate import NO_AMOUNTS, ValueBasis, value_basis

HOLDOUT_DAYS = 182
CALIBRATION_SAMPLE = 200_000  # customers the holdout check refits the model on, at most
MIN_CALIBRATION = 30  # customers with history before the holdout needed for the check
MIN_KNOWN = 5  # an attribute is shown when at least this many members have a value
MAX_LEVELS = 6  # category levels shown; the rest are pooled as "other"
TARGET_BINS = 20
HIGH_RISK = 0.6  # churn risk counted as "high" (the value step's at-risk threshold)
EVERYONE = "Everyone"
OTHER = "other"


class ProfileReportError(StepCannotRun):
    """The customer profile report cannot be written; the message says why and the fix."""


@dataclass(frozen=True)
class CountedChart(Chart):
    """A chart with the people behind it: one ``(row, part, people)`` per bar or cell drawn,
    so the minimum group size can be checked on what is published, not on pixels."""

    cells: tuple[tuple[str, str, int], ...] = ()


# ---------------------------------------------------------------------------- formatting
def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def fmt_int(x) -> str:
    return "–" if _missing(x) else f"{round(float(x)):,}"


def fmt_pct(x, digits: int = 1) -> str:
    return "–" if _missing(x) else f"{float(x):.{digits}%}"


def fmt_money(x, currency: str) -> str:
    """An amount in the reporting currency (ISO code): ``£1,234``, ``£12.34``, ``–``."""
    return "–" if _missing(x) else money_text(x, currency)


def fmt_number(x, kind: str, currency: str) -> str:
    """A value of an attribute of the given kind (money, pct, count, days, years)."""
    if _missing(x):
        return "–"
    if kind == "money":
        return fmt_money(x, currency)
    if kind == "pct":
        return fmt_pct(x)
    if kind == "days":
        return f"{float(x):,.0f} days"
    v = float(x)
    return f"{v:,.0f}" if abs(v) >= 100 or v == round(v) else f"{v:,.1f}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# ------------------------------------------------------------------------------ context
@dataclass(frozen=True)
class _Attr:
    column: str
    label: str
    kind: str  # category | money | pct | count | days | years
    source: str  # table alias: p (profiles), a (account_profiles), v (account_value_scores)


PERSON_ATTRIBUTES = (
    _Attr("gender", "gender", "category", "p"),
    _Attr("age_band", "age band", "category", "p"),
    _Attr("country", "country", "category", "p"),
    _Attr("preferred_channel", "preferred channel", "category", "p"),
    _Attr("top_device", "top device", "category", "p"),
    _Attr("top_category_1", "top category", "category", "p"),
    _Attr("age", "age", "years", "p"),
    _Attr("orders", "orders", "count", "p"),
    _Attr("avg_order_value", "average order value", "money", "p"),
    _Attr("days_between_orders", "days between orders", "days", "p"),
    _Attr("return_rate", "return rate", "pct", "p"),
    _Attr("discount_share", "share of orders with a discount", "pct", "p"),
)
ACCOUNT_ATTRIBUTES = (
    _Attr("industry", "industry", "category", "a"),
    _Attr("employee_band", "employees", "category", "a"),
    _Attr("revenue_band", "annual revenue", "category", "a"),
    _Attr("plan", "plan", "category", "a"),
    _Attr("mrr", "monthly recurring revenue", "money", "a"),
    _Attr("seats", "seats", "count", "a"),
    _Attr("seat_utilisation", "seat utilisation", "pct", "a"),
    _Attr("tenure_days", "tenure", "days", "a"),
    _Attr("events_recent", "product events (last 30 days)", "count", "v"),
    _Attr("tickets_90d", "support tickets (last 90 days)", "count", "v"),
)
ORDERED_CATEGORIES = {"age_band", "employee_band", "revenue_band"}
SOURCE_TABLES = {"p": "profiles", "a": "account_profiles", "v": "account_value_scores"}


@dataclass
class _Ctx:
    con: duckdb.DuckDBPyConnection
    tables: dict[str, dict[str, str]]  # table -> column -> DuckDB type
    entity: str  # person | account
    currency: str  # ISO code of the reporting currency
    segments: list[int]
    names: dict[int, str]  # display names
    descriptions: pd.DataFrame  # every segment (the totals count them all)
    k: int = DEFAULT_MIN_GROUP_SIZE  # minimum group size
    hidden: tuple[int, ...] = ()  # segments under k: in no per-segment figure
    # hidden segments that together have fewer than k members: in no Everyone figure either,
    # or Everyone minus the segments shown would describe them
    left_out: tuple[int, ...] = ()
    # what the value figures rest on (value_models); None before `personae value`
    basis: ValueBasis | None = None

    @property
    def counts_only(self) -> bool:
        """The orders carry no amounts: no money figure is shown anywhere."""
        return self.basis is not None and not self.basis.monetary

    def members_filter(self, alias: str = "s") -> str:
        """The SQL condition keeping ``left_out`` segments out of every figure."""
        if not self.left_out:
            return "TRUE"
        return f"{alias}.segment NOT IN ({', '.join(str(s) for s in self.left_out)})"

    @property
    def noun(self) -> str:
        return "accounts" if self.entity == "account" else "customers"

    @property
    def colours(self) -> dict[int, str]:
        return charts.segment_colours(self.segments)

    def label(self, segment: int) -> str:
        """The label a chart shows for a segment: its number and display name."""
        return f"{segment}. {self.names[segment]}"

    def label_colours(self, everyone: bool = False) -> dict[str, str]:
        out = {EVERYONE: charts.NEUTRAL} if everyone else {}
        out.update({self.label(s): c for s, c in self.colours.items()})
        return out

    def has(self, table: str, *columns: str) -> bool:
        return table in self.tables and all(c in self.tables[table] for c in columns)

    def rows(self, table: str) -> int:
        if table not in self.tables:
            return 0
        return int(self.con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])

    def df(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def chart(
        self,
        key: str,
        title: str,
        chart,
        alt: str,
        caption: str = "",
        cells: Sequence[tuple[str, str, int]] = (),
    ) -> CountedChart:
        key = f"profile-{key}"
        return CountedChart(
            key=key,
            title=title,
            svg=charts.render_svg(chart, key, alt),
            alt=alt,
            caption=caption,
            cells=tuple((str(g), str(p), int(n)) for g, p, n in cells),
        )

    @property
    def shown(self) -> pd.DataFrame:
        """The segment descriptions of the segments large enough to show."""
        d = self.descriptions
        return d[d["segment"].isin(self.segments)]

    def hidden_note(self) -> list[str]:
        """The note every per-segment section carries when small segments are left out."""
        if not self.hidden:
            return []
        which = ", ".join(str(s) for s in self.hidden)
        word = "Segment" if len(self.hidden) == 1 else "Segments"
        where = (
            "left out of Everyone too, since Everyone minus the segments shown would describe them"
            if self.left_out
            else "counted in Everyone, where together they are at least the minimum"
        )
        return [
            f"{word} {which}: not shown — {fewer_than(self.k, self.noun)}"
            f"{' each' if len(self.hidden) > 1 else ''} (minimum group size); {where}."
        ]


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = str(kind).upper()
    return out


NUMERIC_TYPES = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|REAL|DECIMAL)"
)


def _context(
    con: duckdb.DuckDBPyConnection,
    currency: str,
    segment_labels: dict[int, str] | None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> _Ctx:
    tables = _tables(con)
    if "segments" not in tables or "segment_descriptions" not in tables:
        raise ProfileReportError(
            "this workspace has no segments yet, so there is no customer profile to report. "
            "Fix: run `personae segment` (after `personae build` and `personae value`)."
        )
    entity_row = con.execute(
        "SELECT entity FROM segments GROUP BY entity ORDER BY count(*) DESC, entity LIMIT 1"
    ).fetchall()
    desc = con.execute(
        """SELECT segment, name, role, size, share, revenue_share, mean_value, stability
           FROM segment_descriptions ORDER BY segment"""
    ).df()
    if not entity_row or desc.empty:
        raise ProfileReportError(
            "the segments table is empty, so there is no customer profile to report. "
            "Fix: check `[segments] where` in personae.toml and run `personae segment`."
        )
    k = check_k(min_group_size)
    sizes = {int(s): int(n) for s, n in zip(desc["segment"], desc["size"], strict=True)}
    hidden = tuple(s for s, n in sizes.items() if small(n, k))
    left_out = hidden if small(sum(sizes[s] for s in hidden), k) else ()
    segments = [int(s) for s in desc["segment"] if int(s) not in hidden]
    labels = segment_labels or {}
    names = {
        int(s): str(labels.get(int(s)) or n or f"Segment {s}")
        for s, n in zip(desc["segment"], desc["name"], strict=True)
    }
    return _Ctx(
        con,
        tables,
        str(entity_row[0][0]),
        (currency or "USD").strip().upper(),
        segments,
        names,
        desc,
        k,
        hidden,
        left_out,
        value_basis(con),
    )


# ------------------------------------------------------------------------------- public
def profile_report(
    con: duckdb.DuckDBPyConnection,
    *,
    currency: str = "USD",
    journeys: dict[str, list[JourneyStage]] | None = None,
    segment_labels: dict[int, str] | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> list[ReportSection]:
    """The sections of the customer profile report, computed from the workspace tables.

    ``min_group_size`` (``[governance] min_group_size``, k) is the fewest people any chart
    cell or table figure may rest on (see the module doc).

    ``segment_labels`` maps a segment number to the name shown for it (the persona's name
    when it has one; default: ``segment_descriptions.name``). ``journeys`` maps a group label
    ("All customers", a persona name) to its journey stages; without it there is no journeys
    section. Raises :class:`ProfileReportError` when the workspace has no segments.
    """
    ctx = _context(con, currency, segment_labels, min_group_size)
    sections = [
        segments_section(ctx),
        attributes_section(ctx),
        value_section(ctx),
        rfm_section(ctx),
        calibration_section(ctx),
    ]
    if journeys:
        sections.append(journeys_section(ctx, journeys))
    sections.append(icp_section(ctx))
    return sections


# ----------------------------------------------------------------------------- segments
def segments_section(ctx: _Ctx) -> ReportSection:
    total = int(ctx.descriptions["size"].sum())
    n_segments = len(ctx.descriptions)
    d = ctx.shown
    renamed = any(ctx.names[int(s)] != n for s, n in zip(d["segment"], d["name"], strict=True))
    money = not ctx.counts_only
    columns = ["segment", "name"] + (["described as"] if renamed else [])
    columns += ["role", "size", "share"] + (["revenue share", "mean CLV"] if money else [])
    columns += ["stability"]
    rows = []
    for r in d.itertuples(index=False):
        seg = int(r.segment)
        row = [str(seg), ctx.names[seg]] + ([str(r.name)] if renamed else [])
        row += [str(r.role), fmt_int(r.size), fmt_pct(r.share)]
        if money:
            row += [fmt_pct(r.revenue_share), fmt_money(r.mean_value, ctx.currency)]
        row.append("–" if _missing(r.stability) else f"{float(r.stability):.2f}")
        rows.append(row)
    numeric = [True, False] + ([False] if renamed else []) + [False, True, True]
    numeric += [True, True, True] if money else [True]
    basis = ctx.basis.sentence() if ctx.basis is not None else ""
    table = Table(
        title="Segments",
        columns=columns,
        rows=rows,
        numeric=numeric,
        note=(f"{basis} " if basis else "")
        + f"Share: of segmented {ctx.noun}; "
        + (
            "revenue share: of their revenue to date; mean CLV: mean predicted lifetime value; "
            if money
            else ""
        )
        + "stability: bootstrap Jaccard (1 = the segment comes back unchanged when the data "
        "are resampled).",
    )
    long, cells = [], []
    for r in d.itertuples(index=False):
        for measure, value in (
            (f"share of {ctx.noun}", r.share),
            ("share of revenue", r.revenue_share if money else None),
        ):
            if not _missing(value):
                long.append((ctx.label(int(r.segment)), measure, float(value)))
                cells.append((ctx.label(int(r.segment)), measure, int(r.size)))
    frame = pd.DataFrame(long, columns=["segment", "measure", "share"])
    frame["text"] = [fmt_pct(v, 0) for v in frame["share"]]
    measures = [m for m in (f"share of {ctx.noun}", "share of revenue") if m in set(frame.measure)]
    figures = []
    if not frame.empty:
        figures.append(
            ctx.chart(
                "segments-share",
                f"Share of {ctx.noun} and of revenue by segment",
                charts.paired_hbar(
                    frame,
                    category="segment",
                    measure="measure",
                    value="share",
                    text="text",
                    value_title="share",
                    colours=ctx.label_colours(),
                    measures=measures,
                ),
                f"Bar chart comparing each segment's share of {ctx.noun} with its share of "
                "revenue.",
                "A segment whose solid bar (revenue) is longer than its light bar "
                f"({ctx.noun}) brings more than its share of revenue. "
                "Source: segment_descriptions.",
                cells,
            )
        )
    notes = ctx.hidden_note()
    if ctx.has("segments", "outlier"):
        n_out = ctx.con.execute(
            "SELECT count(*) FILTER (WHERE outlier) FROM segments WHERE entity = ?", [ctx.entity]
        ).fetchall()[0][0]
        if n_out and not small_cell(n_out, ctx.k):
            notes.append(
                f"{n_out:,} {ctx.noun} ({n_out / max(total, 1):.1%}) are flagged as outliers; "
                "they are counted in their closest segment."
            )
    return ReportSection(
        key="segments",
        title="Segments",
        intro=f"{total:,} {ctx.noun} in {n_segments} segments found by `personae segment`: their "
        "size, value and stability, from the segment_descriptions table.",
        charts=figures,
        tables=[table],
        notes=notes,
    )


# --------------------------------------------------------------------------- attributes
def _members_sql(ctx: _Ctx, attrs: Sequence[_Attr]) -> str:
    """Segment members with the given attributes as c0, c1, ... (one row per member)."""
    cols = ", ".join(f"{a.source}.{a.column} AS c{i}" for i, a in enumerate(attrs))
    if ctx.entity == "account":
        joins = "JOIN account_profiles a ON a.account_id = s.entity_id"
        if any(a.source == "v" for a in attrs):
            joins += " LEFT JOIN account_value_scores v ON v.account_id = s.entity_id"
    else:
        joins = "JOIN profiles p ON p.profile_id = s.entity_id"
    entity = ctx.entity.replace("'", "''")
    return (
        f"SELECT s.segment, {cols} FROM segments s {joins} "
        f"WHERE s.entity = '{entity}' AND {ctx.members_filter()}"
    )


def _available(ctx: _Ctx) -> list[_Attr]:
    """The attributes of the entity that exist in the workspace and have enough values."""
    candidates = PERSON_ATTRIBUTES if ctx.entity == "person" else ACCOUNT_ATTRIBUTES
    if ctx.counts_only:  # the orders' zeros are not money
        candidates = tuple(a for a in candidates if not (a.kind == "money" and a.source == "p"))
    present = [
        a
        for a in candidates
        if ctx.has(SOURCE_TABLES[a.source], a.column)
        and (
            a.kind == "category"
            or NUMERIC_TYPES.match(ctx.tables[SOURCE_TABLES[a.source]][a.column])
        )
    ]
    if not present:
        return []
    counts = ctx.con.execute(
        "SELECT "
        + ", ".join(f"count(c{i})" for i in range(len(present)))
        + f" FROM ({_members_sql(ctx, present)})"
    ).fetchall()[0]
    return [a for a, n in zip(present, counts, strict=True) if n >= max(MIN_KNOWN, ctx.k)]


def _band_key(level: str) -> tuple[float, str]:
    """Sort key of a band such as '25-34', '1000+', '10M-100M', 'Less than 1'."""
    m = re.search(r"(\d[\d,.]*)\s*([KMB]?)", level)
    if not m:
        return (math.inf, level)
    value = float(m.group(1).replace(",", "").rstrip("."))
    value *= {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[m.group(2)]
    if re.match(r"\s*(less than|under|<)", level, re.IGNORECASE):
        value -= 0.5
    return (value, level)


def attributes_section(ctx: _Ctx) -> ReportSection:
    attrs = _available(ctx)
    cats = [a for a in attrs if a.kind == "category"]
    nums = [a for a in attrs if a.kind != "category"]
    source = "profiles" if ctx.entity == "person" else "account_profiles and account_value_scores"
    intro = (
        f"What the {ctx.noun} of each segment are like: the distribution of each key "
        f"attribute in every segment next to everyone, from the {source} "
        f"table{'s' if ctx.entity == 'account' else ''} joined to the segments."
    )
    if not attrs:
        return ReportSection(
            key="attributes",
            title="Attributes by segment",
            intro=intro,
            notes=[f"None of the key attributes is known for enough segmented {ctx.noun}."],
        )
    figures: list[Chart] = []
    tables: list[Table] = []
    if cats:
        c, t = _category_distributions(ctx, cats)
        figures += c
        tables.append(t)
    if nums:
        c, t = _number_distributions(ctx, nums)
        figures += c
        tables.append(t)
    return ReportSection(
        key="attributes",
        title="Attributes by segment",
        intro=intro,
        charts=figures,
        tables=tables,
        notes=ctx.hidden_note(),
    )


def _category_distributions(ctx: _Ctx, cats: list[_Attr]) -> tuple[list[Chart], Table]:
    members = _members_sql(ctx, cats)
    casts = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(len(cats)))
    on = ", ".join(f"c{i}" for i in range(len(cats)))
    counts = ctx.df(
        f"""
        WITH m AS (SELECT segment, {casts} FROM ({members}))
        SELECT segment, attribute, level, count(*) AS n
        FROM (UNPIVOT m ON {on} INTO NAME attribute VALUE level)
        GROUP BY ALL
        """
    )
    total = int(ctx.descriptions["size"].sum())
    figures = []
    top_cells: dict[str, dict[str, str]] = {}
    coverage = []
    merged_any = False
    for i, a in enumerate(cats):
        sub = counts[counts["attribute"] == f"c{i}"]
        if sub.empty:
            continue
        wide = sub.pivot_table(index="segment", columns="level", values="n", aggfunc="sum")
        overall = wide.sum()  # everyone, small segments included
        wide = wide.reindex([s for s in ctx.segments if s in wide.index]).fillna(0)
        wide.index = [ctx.label(int(s)) for s in wide.index]
        wide = pd.concat([overall.to_frame(EVERYONE).T, wide]).fillna(0)
        shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).dropna(how="all")
        by_count = sorted(overall.index, key=lambda v: (-overall[v], v))
        # Show the levels that matter to some group (overall or in a segment), not only the
        # overall top: a segment defined by a rare value must not vanish into "other".
        if len(by_count) <= MAX_LEVELS + 1:
            keep = by_count
        else:
            peak = shares.max()
            chosen = set(sorted(by_count, key=lambda v: (-peak[v], -overall[v], v))[:MAX_LEVELS])
            keep = [v for v in by_count if v in chosen]
        if a.column in ORDERED_CATEGORIES:
            keep = sorted(keep, key=_band_key)
        other = OTHER if OTHER not in by_count else "all other values"
        # Per row: the kept levels and the rest pooled; then every cell under the minimum
        # group size joins the pool (see kanon.pool_small), so no bar rests on fewer than k.
        rows, cells, pooled_rows = [], [], {}
        for group, row in wide.iterrows():
            rest = int(row.sum() - row[keep].sum())
            pooled = pool_small([*((v, int(row[v])) for v in keep), (other, rest)], ctx.k)
            if pooled.hidden or not pooled.total:
                continue  # fewer than k known values in the row: the row is not drawn
            published = pooled.cells(other)
            merged_any = merged_any or any(v != other for v in pooled.merged)
            known = sum(published.values())
            pooled_rows[str(group)] = published
            for level in [*keep, other]:
                n = published.get(level, 0)
                if level == other and not n:
                    continue
                rows.append((group, level, n / known))
                cells.append((group, level, n))
        if not rows:
            continue
        pooled_any = any(other in p for p in pooled_rows.values())
        parts = keep + ([other] if pooled_any else [])
        pooled_words = (
            f"the rarest values, and any held by {fewer_than(ctx.k, ctx.noun)} in a row, are "
            f"pooled as {other}; "
            if pooled_any
            else ""
        )
        long = pd.DataFrame(rows, columns=["group", "level", "share"])
        known_all = int(overall.sum())
        coverage.append(f"{a.label} {known_all / max(total, 1):.0%}")
        # Most common published value per group, for the table ("other" is not a value).
        table_cells = top_cells.setdefault(a.label, {})
        for group, published in pooled_rows.items():
            values = {v: n for v, n in published.items() if v != other and n}
            if values:
                known = sum(published.values())
                best = sorted(values, key=lambda v, p=values: (-p[v], v))[0]
                table_cells[group] = f"{best} ({values[best] / known:.0%})"
        figures.append(
            ctx.chart(
                f"attr-{_slug(a.column)}",
                f"{a.label.capitalize()} by segment",
                charts.stacked_share_bars(
                    long,
                    group="group",
                    part="level",
                    share="share",
                    part_colours=charts.level_colours(parts, other=[other] if pooled_any else []),
                    value_title=f"share of {ctx.noun} (with a known value)",
                    legend_title=a.label,
                ),
                f"Stacked bars: the share of each {a.label} among everyone and in each segment.",
                f"Share of {ctx.noun} whose {a.label} is known "
                f"({known_all / max(total, 1):.0%} of them); "
                f"{pooled_words}"
                f"source: {SOURCE_TABLES[a.source]}.{a.column}.",
                cells,
            )
        )
    groups = [EVERYONE] + [ctx.label(s) for s in ctx.segments]
    labels = list(top_cells)
    table = Table(
        title="Most common value by segment",
        columns=["segment", *labels],
        rows=[[g] + [top_cells[lab].get(g, "–") for lab in labels] for g in groups],
        numeric=[False] * (1 + len(labels)),
        note=f"Share among {ctx.noun} with a known value. Known for: "
        + ", ".join(coverage)
        + "."
        + (
            f" Values held by {fewer_than(ctx.k, ctx.noun)} in a row are pooled, never shown "
            "(minimum group size)."
            if merged_any
            else ""
        ),
    )
    return figures, table


def _nice(step: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at least ``step``."""
    if step <= 0 or not math.isfinite(step):
        return 1.0
    power = 10 ** math.floor(math.log10(step))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= step - 1e-12:
            return m * power
    return 10 * power


@dataclass(frozen=True)
class _Bins:
    """Equal-width bins (in log(1 + x) when ``log``) over [lo, lo + n * width)."""

    lo: float
    width: float
    n: int
    log: bool
    integer: bool

    def sql(self, col: str) -> str:
        x = f"ln(1 + greatest({col}, 0))" if self.log else col
        raw = f"floor(({x} - {self.lo!r}) / {self.width!r})"
        return f"CAST(least(greatest({raw}, 0), {self.n - 1}) AS INTEGER)"

    def edges(self, i: int) -> tuple[float, float]:
        a, b = self.lo + i * self.width, self.lo + (i + 1) * self.width
        if self.log:
            return math.expm1(a), math.expm1(b)
        if self.integer:
            return a - 0.5, b - 0.5
        return a, b


def _bins(
    kind: str, p01: float, p50: float, p99: float, vmin: float, vmax: float, whole: bool
) -> _Bins:
    """Bins for one attribute from its 1st/50th/99th percentiles, range and whether every
    value is a whole number."""
    lo, hi = p01, p99
    if hi <= lo:
        lo, hi = vmin, vmax
    if hi <= lo:
        hi = lo + 1
    if kind in ("money", "count") and vmin >= 0 and p50 > 0 and p99 > 8 * p50:
        tlo, thi = math.log1p(max(lo, 0)), math.log1p(hi)
        return _Bins(tlo, (thi - tlo) / TARGET_BINS, TARGET_BINS, True, False)
    integer = whole and kind in ("count", "years", "days")
    if integer and hi - lo <= 30:
        start = math.floor(lo)
        return _Bins(float(start), 1.0, int(math.floor(hi) - start + 1), False, True)
    width = _nice((hi - lo) / TARGET_BINS)
    if integer:  # whole numbers: whole-number bins, or the bars alternate in height
        width = float(max(1, math.ceil(width)))
    start = math.floor(lo / width) * width
    n = max(1, math.ceil((hi - start) / width + 1e-9))
    return _Bins(start, width, n, False, integer)


def _number_distributions(ctx: _Ctx, nums: list[_Attr]) -> tuple[list[Chart], Table]:
    members = _members_sql(ctx, nums)
    cols = [f"c{i}" for i in range(len(nums))]
    stats = ctx.con.execute(
        "SELECT "
        + ", ".join(
            f"quantile_cont({c}, [0.01, 0.5, 0.99]), min({c}), max({c}), "
            f"count(*) FILTER (WHERE {c} <> floor({c})) = 0"
            for c in cols
        )
        + f" FROM ({members})"
    ).fetchall()[0]
    bins: list[_Bins] = []
    for i, a in enumerate(nums):
        q, vmin, vmax, whole = stats[4 * i : 4 * i + 4]
        bins.append(_bins(a.kind, *(float(v) for v in q), float(vmin), float(vmax), bool(whole)))
    # Centre (median, or mean for rates) per segment and for everyone.
    centre = [f"avg({c})" if a.kind == "pct" else f"quantile_cont({c}, 0.5)" for c, a in
              zip(cols, nums, strict=True)]  # fmt: skip
    known_n = ", ".join(f"count({c}) AS n_{c}" for c in cols)
    per = ctx.df(
        f"SELECT segment, {', '.join(f'{e} AS {c}' for e, c in zip(centre, cols, strict=True))}"
        f", {known_n} FROM ({members}) GROUP BY GROUPING SETS ((segment), ())"
    )
    binned_cols = ", ".join(f"{b.sql(c)} AS {c}" for b, c in zip(bins, cols, strict=True))
    binned = ctx.df(
        f"""
        WITH b AS (
            SELECT segment, {binned_cols} FROM ({members})
        )
        SELECT segment, attribute, bin, count(*) AS n
        FROM (UNPIVOT b ON {", ".join(cols)} INTO NAME attribute VALUE bin)
        GROUP BY ALL
        """
    )
    colours = ctx.label_colours(everyone=True)
    figures = []
    for i, a in enumerate(nums):
        sub = binned[binned["attribute"] == f"c{i}"]
        if sub.empty:
            continue
        b = bins[i]
        rows, cells = [], []
        for group, g in [(EVERYONE, sub.groupby("bin", as_index=False)["n"].sum())] + [
            (ctx.label(s), sub[sub["segment"] == s]) for s in ctx.segments
        ]:
            known = int(g["n"].sum())
            if small(known, ctx.k):
                continue
            g = g.sort_values("bin")
            edges = [(*b.edges(int(x)), int(n)) for x, n in zip(g["bin"], g["n"], strict=True)]
            # neighbouring bins merge until each holds k (the minimum group size)
            for start, end, n in merge_bins(edges, ctx.k):
                rows.append((group, start, end, n / known))
                cells.append((group, f"{start:g}–{end:g}", n))
        if not rows:
            continue
        long = pd.DataFrame(rows, columns=["group", "start", "end", "share"])
        top = float(long["end"].max())
        fmt, prefix = {"money": (charts.money_format(top), ctx.currency), "pct": (".0%", "")}.get(
            a.kind, (None, "")
        )
        scale_note = " on a log scale" if b.log else ""
        figures.append(
            ctx.chart(
                f"attr-{_slug(a.column)}",
                f"{a.label.capitalize()} by segment",
                charts.binned_bars(
                    long,
                    group="group",
                    start="start",
                    end="end",
                    share="share",
                    colours={g: colours[g] for g in dict.fromkeys(long["group"])},
                    value_title=a.label
                    + (" (days)" if a.kind == "days" else "")
                    + (" (years)" if a.kind == "years" else ""),
                    value_format=fmt,
                    value_prefix=prefix,
                    log_scale=b.log,
                ),
                f"Histograms of {a.label}{scale_note}, one row for everyone and one per segment.",
                f"Each bar is the share of the row's {ctx.noun} (with a known {a.label}) in that "
                f"range{scale_note}; values beyond the 1st and 99th percentiles are counted in "
                f"the end bars; a range held by {fewer_than(ctx.k, ctx.noun)} is merged with "
                f"its neighbour. Source: {SOURCE_TABLES[a.source]}.{a.column}.",
                cells,
            )
        )
    header = [("mean " if a.kind == "pct" else "median ") + a.label for a in nums]
    rows = []
    everyone = per[per["segment"].isna()]
    for group, row in [(EVERYONE, everyone)] + [
        (ctx.label(s), per[per["segment"] == s]) for s in ctx.segments
    ]:
        if row.empty:
            continue
        r = row.iloc[0]
        rows.append(
            [group]
            + [
                "–" if small(r[f"n_{c}"], ctx.k) else fmt_number(r[c], a.kind, ctx.currency)
                for c, a in zip(cols, nums, strict=True)
            ]
        )
    table = Table(
        title="Numbers by segment",
        columns=["segment", *header],
        rows=rows,
        numeric=[False] + [True] * len(nums),
        note="Medians (means for rates) over the members with a known value; – where "
        f"{fewer_than(ctx.k, ctx.noun)} have one (minimum group size).",
    )
    return figures, table


# -------------------------------------------------------------------------------- value
def value_section(ctx: _Ctx) -> ReportSection:
    b2b = ctx.entity == "account"
    table = "account_value_scores" if b2b else "value_scores"
    key = "account_id" if b2b else "profile_id"
    title = "Value and churn risk by segment"
    basis = ctx.basis
    if b2b:
        how = " (contractual model: monthly revenue while the account stays, discounted)."
    elif basis is not None and basis.fallback:
        how = " (estimated from each customer's past purchase rate and order value)."
    elif ctx.counts_only:
        how = " (BG/NBD model of purchase counts)."
    else:
        how = " (BG/NBD + Gamma-Gamma model)."
    intro = (
        f"What each segment's {ctx.noun} are worth and how likely they are to leave: predicted "
        f"lifetime value (CLV) and churn risk from the {table} table" + how
        if not ctx.counts_only or b2b
        else f"How likely each segment's {ctx.noun} are to buy again and to leave: expected "
        f"purchases and churn risk from the {table} table" + how
    )
    if basis is not None and basis.sentence():
        intro += " " + basis.sentence()
    if ctx.counts_only and not b2b:
        return ReportSection(
            key="value",
            title=title,
            intro=intro,
            notes=[
                "No lifetime value in money: the orders carry no amounts. Expected purchases "
                "and churn risk per customer are in value_scores (expected_purchases, "
                "churn_risk)."
            ],
        )
    if not ctx.has(table, key, "clv") or ctx.rows(table) == 0:
        return ReportSection(
            key="value",
            title=title,
            intro=intro,
            notes=["No value scores yet. Fix: run `personae value`."],
        )
    has_risk = ctx.has(table, "churn_risk")
    has_mrr = b2b and ctx.has(table, "mrr")
    entity = ctx.entity.replace("'", "''")
    join = (
        f"FROM segments s LEFT JOIN {table} v ON v.{key} = s.entity_id "
        f"WHERE s.entity = '{entity}' AND {ctx.members_filter()}"
    )
    frame = ctx.df(
        f"""
        SELECT s.segment, count(*) AS members, count(v.clv) AS valued,
               avg(v.clv) AS mean_clv, quantile_cont(v.clv, 0.5) AS median_clv,
               sum(v.clv) AS total_clv,
               {"avg(v.churn_risk)" if has_risk else "NULL"} AS mean_risk,
               {f"count(*) FILTER (WHERE v.churn_risk >= {HIGH_RISK})" if has_risk else "NULL"}
                   AS high_risk,
               {"count(v.churn_risk)" if has_risk else "0"} AS risk_known,
               {"sum(v.mrr)" if has_mrr else "NULL"} AS mrr
        {join}
        GROUP BY GROUPING SETS ((s.segment), ())
        """
    )
    everyone = frame[frame["segment"].isna()].iloc[0]
    per = frame[frame["segment"].notna()].set_index("segment")
    grand = float(everyone["total_clv"]) if not _missing(everyone["total_clv"]) else 0.0
    if int(everyone["valued"]) == 0:
        return ReportSection(
            key="value",
            title=title,
            intro=intro,
            notes=[f"No segmented {ctx.noun[:-1]} has a predicted CLV in {table}."],
        )
    columns = ["segment", f"{ctx.noun} valued", "mean CLV", "median CLV", "total predicted CLV",
               "share of total CLV"]  # fmt: skip
    if has_mrr:
        columns.append("MRR")
    if has_risk:
        columns += ["mean churn risk", f"high risk (≥ {HIGH_RISK:.0%})"]
    rows = []
    k = ctx.k
    for group, r in [(ctx.label(s), per.loc[s]) for s in ctx.segments if s in per.index] + [
        (f"All {ctx.noun}", everyone)
    ]:
        valued = int(r["valued"])
        if small(valued, k):  # a figure over fewer than k valued members: not shown
            row = [group, fmt_int(valued) if not small_cell(valued, k) else "–"]
            row += ["–"] * 4
        else:
            row = [
                group,
                fmt_int(valued),
                fmt_money(r["mean_clv"], ctx.currency),
                fmt_money(r["median_clv"], ctx.currency),
                fmt_money(r["total_clv"], ctx.currency),
                fmt_pct(None if _missing(r["total_clv"]) or not grand else r["total_clv"] / grand),
            ]
        if has_mrr:
            row.append("–" if small(int(r["members"]), k) else fmt_money(r["mrr"], ctx.currency))
        if has_risk:
            known = int(r["risk_known"])
            high = int(r["high_risk"])
            row += [
                "–" if small(known, k) else fmt_pct(r["mean_risk"]),
                "–" if small(known, k) or small_cell(high, k) else fmt_pct(high / known),
            ]
        rows.append(row)
    value_table = Table(
        title="Predicted value by segment",
        columns=columns,
        rows=rows,
        numeric=[False] + [True] * (len(columns) - 1),
        note=f"CLV: predicted lifetime value ({table}.clv); churn risk: probability the "
        f"{ctx.noun[:-1]} has left or will leave ({table}.churn_risk); – where the figure would "
        f"rest on {fewer_than(k, ctx.noun)} (minimum group size).",
    )
    colours = ctx.label_colours()
    valued = [s for s in ctx.segments if s in per.index and not small(int(per.loc[s, "valued"]), k)]
    bars = pd.DataFrame(
        {
            "segment": [ctx.label(s) for s in valued],
            "mean": [float(per.loc[s, "mean_clv"] or 0) for s in valued],
            "total": [float(per.loc[s, "total_clv"] or 0) for s in valued],
        }
    ).fillna(0.0)
    bar_cells = [(ctx.label(s), "CLV", int(per.loc[s, "valued"])) for s in valued]
    bars["mean_text"] = [fmt_money(v, ctx.currency) for v in bars["mean"]]
    bars["total_text"] = [
        f"{fmt_money(v, ctx.currency)} ({v / grand:.0%})" if grand else fmt_money(v, ctx.currency)
        for v in bars["total"]
    ]
    figures = [
        ctx.chart(
            "value-mean-clv",
            "Mean predicted lifetime value by segment",
            charts.hbar(
                bars,
                category="segment",
                value="mean",
                text="mean_text",
                value_title=f"mean predicted CLV ({ctx.currency.strip() or 'currency'})",
                colours=colours,
                value_format=charts.money_format(float(bars["mean"].max())),
                value_prefix=ctx.currency,
            ),
            f"Bar chart of the mean predicted lifetime value of a {ctx.noun[:-1]} in each segment.",
            f"Source: {table}.clv averaged over each segment's {ctx.noun}.",
            bar_cells,
        ),
        ctx.chart(
            "value-total-clv",
            "Total predicted value by segment",
            charts.hbar(
                bars,
                category="segment",
                value="total",
                text="total_text",
                value_title=f"total predicted CLV ({ctx.currency.strip() or 'currency'})",
                colours=colours,
                value_format=charts.money_format(float(bars["total"].max())),
                value_prefix=ctx.currency,
            ),
            "Bar chart of the total predicted lifetime value of each segment, with its share of "
            "the total.",
            f"Source: {table}.clv summed over each segment's {ctx.noun}.",
            bar_cells,
        ),
    ]
    if ctx.has(table, "clv_decile"):
        dec = ctx.df(
            f"""SELECT s.segment, v.clv_decile AS part, count(*) AS n {join}
                AND v.clv_decile BETWEEN 1 AND 10 GROUP BY ALL"""
        )
        if not dec.empty:
            parts = {str(d): charts.BLUES[d - 1] for d in range(1, 11)}
            long, cells = _shares(ctx, dec.assign(part=dec["part"].astype(int).astype(str)))
            if OTHER in set(long["part"]):
                parts[OTHER] = charts.OTHER_LEVEL
            figures.append(
                ctx.chart(
                    "value-clv-deciles",
                    "CLV deciles by segment",
                    charts.stacked_share_bars(
                        long,
                        group="group",
                        part="part",
                        share="share",
                        part_colours=parts,
                        value_title=f"share of the segment's {ctx.noun}",
                        legend_title="CLV decile (10 = top tenth)",
                    ),
                    f"Stacked bars: how each segment's {ctx.noun} spread over the ten CLV "
                    "deciles of everyone.",
                    f"Decile 10 holds the tenth of all {ctx.noun} with the highest predicted "
                    f"value; a segment with much dark blue is rich in top {ctx.noun}; deciles "
                    f"held by {fewer_than(k, ctx.noun)} in a row are pooled as {OTHER}. "
                    f"Source: {table}.clv_decile.",
                    cells,
                )
            )
    if ctx.has(table, "churn_band"):
        band = ctx.df(
            f"""SELECT s.segment, v.churn_band AS part, count(*) AS n {join}
                AND coalesce(v.churn_band, '') <> '' GROUP BY ALL"""
        )
        if not band.empty:
            known = ["low", "medium", "high", "critical", "churned"]
            found = list(dict.fromkeys(band["part"]))
            order = [b for b in known if b in found] + sorted(b for b in found if b not in known)
            band_colours = {
                "low": "#bfdbfe", "medium": "#fdba74", "high": "#ea580c", "critical": "#9a3412",
                "churned": "#3f3f46",
            }  # fmt: skip
            parts = {b: band_colours.get(b, charts.OTHER_LEVEL) for b in order}
            long, cells = _shares(ctx, band)
            if OTHER in set(long["part"]):
                parts[OTHER] = charts.OTHER_LEVEL
            figures.append(
                ctx.chart(
                    "value-churn-bands",
                    "Churn risk by segment",
                    charts.stacked_share_bars(
                        long,
                        group="group",
                        part="part",
                        share="share",
                        part_colours=parts,
                        value_title=f"share of the segment's {ctx.noun}",
                        legend_title="churn risk",
                    ),
                    f"Stacked bars: the share of each segment's {ctx.noun} in each churn risk "
                    "band.",
                    "Bands: low < 30%, medium 30–60%, high 60–80%, critical ≥ 80% "
                    + ("(churned: the renewal date passed) " if "churned" in parts else "")
                    + f"; bands held by {fewer_than(k, ctx.noun)} in a row are pooled as "
                    f"{OTHER}. Source: {table}.churn_band.",
                    cells,
                )
            )
    return ReportSection(
        key="value",
        title=title,
        intro=intro,
        charts=figures,
        tables=[value_table],
        notes=ctx.hidden_note(),
    )


def _shares(ctx: _Ctx, counts: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    """segment, part, n -> (group, part, share with an Everyone row first; the cells).

    Parts held by fewer than the minimum group size in a row are pooled as OTHER; a row of
    fewer than k in all is left out."""
    everyone = counts.groupby("part", as_index=False, sort=False)["n"].sum()
    rows, cells = [], []
    for group, g in [(EVERYONE, everyone)] + [
        (ctx.label(s), counts[counts["segment"] == s]) for s in ctx.segments
    ]:
        pooled = pool_small(
            [(str(p), int(n)) for p, n in zip(g["part"], g["n"], strict=True)], ctx.k
        )
        published = pooled.cells(OTHER)
        total = sum(published.values())
        for part, n in published.items():
            if total and n:
                rows.append((group, part, n / total))
                cells.append((group, part, n))
    return pd.DataFrame(rows, columns=["group", "part", "share"]), cells


# ---------------------------------------------------------------------------------- rfm
def rfm_section(ctx: _Ctx) -> ReportSection:
    from personae.value.rfm import RFM_GRID, RFM_GROUP_DESCRIPTIONS

    who = "people who bought" if ctx.entity == "account" else "customers who bought"
    one = "person who bought" if ctx.entity == "account" else "customer who bought"
    intro = (
        f"Recency × frequency: every {one} scored 1–5 on how recently (R) and how often (F) "
        "they bought, relative to everyone (quintiles; 5 = most recent, most frequent), from "
        "the value_scores table."
    )
    title = "RFM grid"
    if not ctx.has("value_scores", "r_score", "f_score", "spend") or ctx.rows("value_scores") == 0:
        return ReportSection(
            key="rfm",
            title=title,
            intro=intro,
            notes=["No RFM scores yet. Fix: run `personae value`."],
        )
    grid = ctx.df(
        """SELECT r_score AS r, f_score AS f, count(*) AS n, avg(spend) AS spend
           FROM value_scores WHERE r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5
           GROUP BY ALL"""
    )
    grid["r"] = grid["r"].astype(int)
    grid["f"] = grid["f"].astype(int)
    full = pd.DataFrame([(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r", "f"])
    grid = full.merge(grid, on=["r", "f"], how="left").fillna({"n": 0})
    total = int(grid["n"].sum())
    cells = {
        (int(r), int(f)): int(n) for r, f, n in zip(grid["r"], grid["f"], grid["n"], strict=True)
    }
    # Cells under the minimum group size are blanked, with as many of the next smallest as
    # it takes for the blanks to hold k together (else the total gives them back).
    blank = hidden_cells(cells, ctx.k)
    shown = [(int(r), int(f)) not in blank for r, f in zip(grid["r"], grid["f"], strict=True)]
    grid["n"] = [n if ok else 0 for n, ok in zip(grid["n"], shown, strict=True)]
    grid["text"] = [fmt_int(n) if ok else "–" for n, ok in zip(grid["n"], shown, strict=True)]
    grid["sub"] = [
        fmt_money(s, ctx.currency) if n and ok and not ctx.counts_only else ""
        for s, n, ok in zip(grid["spend"], grid["n"], shown, strict=True)
    ]
    blank_note = (
        f" – : a cell of {fewer_than(ctx.k, ctx.noun)} (or blanked with one so it cannot be "
        "worked out from the total; minimum group size)."
        if blank
        else ""
    )
    grid_table = Table(
        title=f"{who.capitalize()} by recency (R) and frequency (F) score",
        columns=["R \\ F", *(f"F = {f}" for f in range(1, 6))],
        rows=[
            [f"R = {r}"] + ["–" if (r, f) in blank else fmt_int(cells[(r, f)]) for f in range(1, 6)]
            for r in range(5, 0, -1)
        ],
        numeric=[False] + [True] * 5,
        note=f"{total:,} scored; each cell counts the {who} with that R and F score." + blank_note,
    )
    chart = ctx.chart(
        "rfm-grid",
        "RFM grid: recency × frequency",
        charts.heatmap(
            grid,
            x="f",
            y="r",
            value="n",
            text="text",
            subtext="sub",
            x_title="frequency score F (5 = buys most often)",
            y_title="recency score R (5 = bought most recently)",
            value_title=ctx.noun if ctx.entity == "person" else "people",
            x_order=[1, 2, 3, 4, 5],
            y_order=[5, 4, 3, 2, 1],
        ),
        "Heatmap of recency score against frequency score; darker cells hold more "
        f"{ctx.noun}, each labelled with its count and mean spend.",
        "Each cell: how many bought with that R and F score (colour and bold number) and "
        "their mean spend to date (second line). The top right holds the champions, the "
        "bottom left the lost. Source: value_scores.r_score, f_score, spend." + blank_note,
        [(f"R = {r}", f"F = {f}", n) for (r, f), n in cells.items() if (r, f) not in blank],
    )
    groups = (
        ctx.df(
            f"""SELECT coalesce(nullif(rfm_group, ''), '(no score)') AS grp, count(*) AS n,
                   avg(spend) AS spend, {"avg(clv)" if ctx.has("value_scores", "clv") else "NULL"}
                   AS clv
            FROM value_scores GROUP BY ALL"""
        )
        if ctx.has("value_scores", "rfm_group")
        else pd.DataFrame(columns=["grp", "n"])
    )
    tables = [grid_table]
    groups_note = ""
    if not groups.empty:
        groups, groups_note = _pool_groups(groups, ctx.k, ctx.noun)
    if not groups.empty:
        order = {name: i for i, (name, _, _) in enumerate(RFM_GRID)}
        groups = groups.assign(_o=groups["grp"].map(order).fillna(len(order))).sort_values(
            ["_o", "grp"]
        )
        n_all = int(groups["n"].sum())
        with_clv = bool(groups["clv"].notna().any())  # B2B: CLV is per account, not person
        with_spend = not ctx.counts_only
        tables.append(
            Table(
                title="RFM groups",
                columns=["group", "who they are", "count", "share"]
                + (["mean spend"] if with_spend else [])
                + (["mean CLV"] if with_clv else []),
                rows=[
                    [
                        g.replace("_", " ").replace("cant", "can't"),
                        RFM_GROUP_DESCRIPTIONS.get(g, ""),
                        fmt_int(n),
                        fmt_pct(n / n_all if n_all else None),
                    ]
                    + ([fmt_money(s, ctx.currency)] if with_spend else [])
                    + ([fmt_money(c, ctx.currency)] if with_clv else [])
                    for g, n, s, c in zip(
                        groups["grp"], groups["n"], groups["spend"], groups["clv"], strict=True
                    )
                ],
                numeric=[False, False, True, True]
                + ([True] if with_spend else [])
                + ([True] if with_clv else []),
                note="Groups follow the usual R × F grid of RFM practice (value_scores.rfm_group)."
                + (f" {NO_AMOUNTS}" if ctx.counts_only else "")
                + groups_note,
            )
        )
    return ReportSection(key="rfm", title=title, intro=intro, charts=[chart], tables=tables)


def _pool_groups(groups: pd.DataFrame, k: int, noun: str) -> tuple[pd.DataFrame, str]:
    """RFM groups (grp, n, spend, clv) with those under the minimum group size pooled into one
    "other groups" row (means weighted by size); the note to print, or ""."""
    pooled = pool_small(zip(groups["grp"], groups["n"], strict=True), k)
    if not pooled.merged:
        return groups, ""
    if pooled.hidden:
        return groups.iloc[0:0], f" Not shown: {fewer_than(k, noun)} in all (minimum group size)."
    small_rows = groups[groups["grp"].isin(pooled.merged)]
    n = int(small_rows["n"].sum())

    def mean(col: str):
        got = small_rows[col].astype(float)
        ok = got.notna()
        if not ok.any():
            return None
        return float((got[ok] * small_rows["n"][ok]).sum() / small_rows["n"][ok].sum())

    other = pd.DataFrame(
        [{"grp": "other groups", "n": n, "spend": mean("spend"), "clv": mean("clv")}]
    )
    kept = groups[~groups["grp"].isin(pooled.merged)]
    note = f" Groups of {fewer_than(k, noun)} are pooled as “other groups” (minimum group size)."
    return pd.concat([kept, other], ignore_index=True), note


# -------------------------------------------------------------------------- calibration
def _as_of(ctx: _Ctx) -> str | None:
    for table in ("value_scores", "profiles"):
        if ctx.has(table, "as_of"):
            v = ctx.con.execute(f"SELECT CAST(max(as_of) AS VARCHAR) FROM {table}").fetchall()
            if v and v[0][0]:
                return str(v[0][0])
    return None


def _value_model(ctx: _Ctx) -> str | None:
    if not ctx.has("value_models", "name", "document"):
        return None
    rows = ctx.con.execute(
        "SELECT document FROM value_models WHERE name = 'summary' LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    try:
        return json.loads(rows[0][0]).get("model")
    except (TypeError, ValueError):
        return None


def holdout_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: str,
    holdout_days: int = HOLDOUT_DAYS,
    max_customers: int = CALIBRATION_SAMPLE,
) -> tuple[pd.DataFrame, int]:
    """Per customer: calibration-period frequency/recency/T and holdout purchases, in days.

    The same figures as :func:`personae.value.clv.calibration_holdout` with a one-day unit
    (purchase days, not orders; customers who first bought after the calibration end left
    out), computed in SQL from ``value_orders`` (kept orders). At most ``max_customers`` rows
    are returned (a stable hash sample); the second value is how many qualified in all.
    """
    end = f"CAST(floor(epoch(TIMESTAMP '{as_of.replace(chr(39), '')}') / 86400) AS BIGINT)"
    cal = f"({end} - {int(holdout_days)})"
    frame = con.execute(
        f"""
        WITH days AS (
            SELECT DISTINCT profile_id, order_day AS d FROM value_orders
            WHERE kept AND profile_id IS NOT NULL
        ), per AS (
            SELECT profile_id,
                   count(*) FILTER (WHERE d <= {cal}) - 1 AS frequency_cal,
                   max(d) FILTER (WHERE d <= {cal}) - min(d) FILTER (WHERE d <= {cal})
                       AS recency_cal,
                   {cal} - min(d) FILTER (WHERE d <= {cal}) AS T_cal,
                   count(*) FILTER (WHERE d > {cal} AND d <= {end}) AS frequency_holdout
            FROM days GROUP BY profile_id
            HAVING count(*) FILTER (WHERE d <= {cal}) > 0
        )
        SELECT *, count(*) OVER () AS population FROM per
        ORDER BY hash(profile_id), profile_id
        LIMIT {int(max_customers)}
        """
    ).df()
    population = int(frame["population"].iloc[0]) if len(frame) else 0
    frame = frame.drop(columns="population").set_index("profile_id").sort_index()
    for c in ("frequency_cal", "recency_cal", "T_cal"):
        frame[c] = frame[c].astype(float)
    frame["frequency_holdout"] = frame["frequency_holdout"].astype(np.int64)
    frame["duration_holdout"] = float(holdout_days)
    return frame, population


def calibration_section(ctx: _Ctx) -> ReportSection:
    from personae.value.clv import BetaGeo, ModelInputError, holdout_comparison

    title = "Lifetime value model check"
    intro = (
        "How well the lifetime-value model predicts: refitted (BG/NBD) on the purchases up to "
        f"{HOLDOUT_DAYS} days before the measurement date, its predicted repeat purchases in "
        "the last six months are compared with what actually happened (value_orders)."
    )

    def skipped(note: str) -> ReportSection:
        return ReportSection(key="calibration", title=title, intro=intro, notes=[note])

    if _value_model(ctx) == "contractual":
        return skipped(
            "Skipped: accounts are valued with the contractual model (recurring revenue and "
            "churn risk), which this purchase-count check does not apply to."
        )
    if ctx.basis is not None and ctx.basis.fallback:
        return skipped(f"Skipped: {ctx.basis.sentence()} There is no fitted model to check.")
    as_of = _as_of(ctx)
    if as_of is None or not ctx.has("value_orders", "profile_id", "order_day", "kept"):
        return skipped("Skipped: no value scores yet. Fix: run `personae value`.")
    summary, population = holdout_summary(ctx.con, as_of)
    cal_end = (pd.Timestamp(as_of).normalize() - pd.Timedelta(days=HOLDOUT_DAYS)).date()
    if len(summary) < MIN_CALIBRATION:
        return skipped(
            f"Skipped: not enough history. The check needs at least {MIN_CALIBRATION} "
            f"customers who bought before {cal_end} (six months before {as_of[:10]}); "
            f"{population:,} did."
        )
    try:
        bg = BetaGeo().fit(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
        comparison = holdout_comparison(bg, summary)
        predicted = float(
            np.sum(
                bg.predict_purchases(
                    summary["duration_holdout"].to_numpy(dtype=float),
                    summary["frequency_cal"],
                    summary["recency_cal"],
                    summary["T_cal"],
                )
            )
        )
    except ModelInputError as exc:
        return skipped(f"Skipped: the model could not be refitted ({exc}).")
    actual = float(summary["frequency_holdout"].sum())
    error = (predicted - actual) / max(actual, 1.0)
    # groups of fewer than k customers are not drawn or listed (minimum group size)
    few = comparison["customers"].astype(int) < ctx.k
    comparison = comparison[~few].reset_index(drop=True)
    few_note = (
        [f"Groups of {fewer_than(ctx.k, 'customers')} are not shown (minimum group size)."]
        if few.any()
        else []
    )
    if comparison.empty:
        return skipped(few_note[0])
    verdict = (
        "the model is well calibrated on this data"
        if abs(error) <= 0.1
        else "read predicted values as rough estimates"
        if abs(error) <= 0.25
        else "treat predicted values with caution"
    )
    sampled = (
        f", a stable sample of the {population:,} who bought by then"
        if population > len(summary)
        else ""
    )
    sentence = (
        f"Refitted on purchases up to {cal_end} ({len(summary):,} customers{sampled}), the "
        f"model predicted {predicted:,.0f} repeat purchases in the {HOLDOUT_DAYS} days after; "
        f"{actual:,.0f} happened ({error:+.1%}): {verdict}."
    )
    long = comparison.melt(
        id_vars=["label"], value_vars=["actual", "predicted"], var_name="series", value_name="mean"
    )
    chart = ctx.chart(
        "calibration",
        "Predicted vs actual repeat purchases in the holdout period",
        charts.line_pair(
            long,
            x="label",
            series="series",
            value="mean",
            x_title="repeat purchase days in the calibration period",
            value_title="mean purchases in the holdout period",
            x_order=list(comparison["label"]),
            series_colours={"actual": charts.INK, "predicted": charts.PALETTE[0]},
        ),
        "Line chart of mean actual and mean predicted holdout purchases by how often customers "
        "bought before the holdout.",
        "Customers are grouped by their repeat purchase days in the calibration period (the "
        "last group pools the rest); the closer the two lines, the better the model.",
        [
            (str(lab), series, int(n))
            for lab, n in zip(comparison["label"], comparison["customers"], strict=True)
            for series in ("actual", "predicted")
        ],
    )
    table = Table(
        title="Holdout check by calibration frequency",
        columns=["repeat purchases before", "customers", "actual (mean)", "predicted (mean)"],
        rows=[
            [str(lab), fmt_int(n), f"{a:.2f}", f"{p:.2f}"]
            for lab, n, a, p in zip(
                comparison["label"],
                comparison["customers"],
                comparison["actual"],
                comparison["predicted"],
                strict=True,
            )
        ],
        numeric=[False, True, True, True],
    )
    return ReportSection(
        key="calibration",
        title=title,
        intro=intro,
        charts=[chart],
        tables=[table],
        notes=[sentence, *few_note],
    )


# ----------------------------------------------------------------------------- journeys
def journeys_section(ctx: _Ctx, journeys: dict[str, list[JourneyStage]]) -> ReportSection:
    by_name: dict[str, str] = {}
    colours = ctx.colours
    for s in ctx.segments:
        by_name[ctx.names[s]] = colours[s]
        by_name[ctx.label(s)] = colours[s]
    for s, n in zip(ctx.shown["segment"], ctx.shown["name"], strict=True):
        by_name.setdefault(str(n), colours[int(s)])
    from personae.personas.journey import is_withheld_note

    figures, rows, notes = [], [], []
    for i, (group, stages) in enumerate(journeys.items()):
        # a stage reached by 1..k-1 members is not drawn (journey_map already leaves such
        # stages out when given the same k; this keeps a caller's own list honest too)
        few = [s for s in stages if small_cell(s.reached, ctx.k)]
        stages = [s for s in stages if s not in few]
        notes += [
            f"{group}: {s.stage} — {fewer_than(ctx.k, 'members')} reached it; not shown "
            "(minimum group size)."
            for s in few
        ]
        notes += [f"{group}: {c.text}" for s in stages for c in s.claims if is_withheld_note(c)]
        if not stages:
            notes.append(f"{group}: no journey stages.")
            continue
        frame = pd.DataFrame(
            {
                "stage": [s.stage for s in stages],
                "reached": [int(s.reached) for s in stages],
                "text": [_stage_label(s) for s in stages],
            }
        )
        figures.append(
            ctx.chart(
                f"journey-{i + 1}-{_slug(group)[:40]}",
                f"Journey funnel: {group}",
                charts.funnel(
                    frame,
                    stage="stage",
                    reached="reached",
                    text="text",
                    colour=by_name.get(group, charts.NEUTRAL),
                ),
                f"Funnel of the {group} journey: how many reach each stage, from "
                f"{stages[0].stage} to {stages[-1].stage}.",
                "Bar width: members who reached the stage; label: count, share of all members "
                "and conversion from the stage before.",
                [(group, s.stage, int(s.reached)) for s in stages],
            )
        )
        for s in stages:
            rows.append(
                [
                    group,
                    s.stage,
                    fmt_int(s.reached),
                    fmt_pct(s.reached_share),
                    fmt_pct(s.conversion),
                    fmt_pct(s.drop_off),
                ]
            )
    return ReportSection(
        key="journeys",
        title="Customer journeys",
        intro="How far each group gets from awareness to advocacy: members reaching each stage "
        "and the conversion between stages, from the persona journeys (built on events, "
        "orders, reviews and surveys).",
        charts=figures,
        tables=[
            Table(
                title="Journey stages",
                columns=JOURNEY_COLUMNS,
                rows=rows,
                numeric=[False, False, True, True, True, True],
            )
        ]
        if rows
        else [],
        notes=notes,
    )


def _stage_label(s: JourneyStage) -> str:
    """'1,234 (45%) · 80% of the stage before'."""
    text = f"{s.reached:,} ({s.reached_share:.0%})"
    if s.conversion is not None:
        text += f" · {s.conversion:.0%} of the stage before"
    return text


JOURNEY_COLUMNS = ["group", "stage", "reached", "share of members", "conversion", "drop-off"]


# ---------------------------------------------------------------------------------- icp
def icp_section(ctx: _Ctx, top: int = 10) -> ReportSection:
    from personae.value.icp import LABELS, IdealCustomerProfile, icp_summary_sentence

    title = "Ideal customer profile"
    intro = (
        "What sets the most valuable customers apart: attribute values that are much more "
        "common among the top tenth by predicted lifetime value than among everyone, from "
        "the icp table (`personae icp`)."
    )
    if ctx.counts_only:
        return ReportSection(
            key="icp",
            title=title,
            intro=intro,
            notes=[f"No ideal customer profile: {NO_AMOUNTS[0].lower()}{NO_AMOUNTS[1:-1]}, so "
                   "there is no lifetime value to rank customers by."],
        )  # fmt: skip
    if not ctx.has("icp", "entity", "document") or ctx.rows("icp") == 0:
        return ReportSection(
            key="icp",
            title=title,
            intro=intro,
            notes=["No ideal customer profile yet. Fix: run `personae icp`."],
        )
    if ctx.basis is not None and ctx.basis.fallback:
        intro += " " + ctx.basis.sentence()
    wanted = "account" if ctx.entity == "account" else "customer"
    docs = ctx.con.execute("SELECT entity, document FROM icp").fetchall()
    doc = next((d for e, d in docs if e == wanted), docs[0][1])
    icp = IdealCustomerProfile.from_json(doc)
    who = "customers" if icp.entity == "customer" else "accounts"
    intro = intro.replace("customers", who, 1).replace("among everyone", f"among all {who}")
    if small(icp.top_count, ctx.k):
        return ReportSection(
            key="icp",
            title=title,
            intro=intro,
            notes=[suppressed_note(f"The top {who} by predicted value", ctx.k, who)],
        )
    headline = (
        f"The top {icp.top_share:.0%} of {who} by predicted lifetime value "
        f"({icp.top_count:,} of {icp.population:,}) have a mean predicted CLV of "
        f"{fmt_money(icp.top_mean_clv, ctx.currency)} against "
        f"{fmt_money(icp.mean_clv, ctx.currency)} for all, and brought "
        f"{icp.top_revenue_share:.0%} of the revenue so far."
    )
    notes = [headline, icp_summary_sentence(icp)]
    traits = [t for t in icp.traits if not small_cell(t.top_count, ctx.k)][:top]
    if any(small_cell(t.top_count, ctx.k) for t in icp.traits[:top]):
        notes.append(
            f"Traits held by {fewer_than(ctx.k, who)} of the top {who} are not shown "
            "(minimum group size)."
        )
    tables, figures = [], []

    def name(attr: str) -> str:
        return LABELS.get(attr, attr.replace("_", " "))

    if traits:
        tables.append(
            Table(
                title=f"Top traits of the most valuable {who}",
                columns=[
                    "attribute",
                    "value",
                    f"top {who}",
                    f"all {who}",
                    "lift",
                    f"top {who} (n)",
                ],
                rows=[
                    [
                        name(t.attribute),
                        t.value,
                        fmt_pct(t.top_share),
                        fmt_pct(t.base_share),
                        f"{t.lift:.1f}×",
                        fmt_int(t.top_count),
                    ]
                    for t in traits
                ],
                numeric=[False, False, True, True, True, True],
                note="Lift: how many times more common the value is among the top "
                f"{who} than among all {who}; every trait passed a two-proportion z-test.",
            )
        )
        bars = pd.DataFrame(
            {
                "trait": [f"{name(t.attribute)}: {t.value}" for t in traits],
                "lift": [t.lift for t in traits],
                "text": [
                    f"{t.lift:.1f}× ({t.top_share:.0%} vs {t.base_share:.0%})" for t in traits
                ],
            }
        ).drop_duplicates("trait")
        figures.append(
            ctx.chart(
                "icp-lift",
                f"What the most valuable {who} have in common",
                charts.hbar(
                    bars,
                    category="trait",
                    value="lift",
                    text="text",
                    value_title=f"lift (share among top {who} ÷ share among all)",
                    colour=charts.PALETTE[0],
                ),
                f"Bar chart of the attribute values most over-represented among the top {who}, "
                "by lift.",
                "Label: lift, then the share among the top and among all. Source: icp.",
                [(f"{name(t.attribute)}: {t.value}", "top", int(t.top_count)) for t in traits],
            )
        )
    if icp.numeric:
        tables.append(
            Table(
                title="Behaviour in numbers (medians)",
                columns=["measure", f"top {who}", f"all {who}"],
                rows=[
                    [
                        m["attribute"].replace("_", " "),
                        _icp_number(m["attribute"], m["top_median"], ctx.currency),
                        _icp_number(m["attribute"], m["median"], ctx.currency),
                    ]
                    for m in icp.numeric
                ],
                numeric=[False, True, True],
            )
        )
    return ReportSection(
        key="icp", title=title, intro=intro, charts=figures, tables=tables, notes=notes
    )


def _icp_number(attribute: str, value: float, currency: str) -> str:
    if attribute in ("avg_order_value", "mrr"):
        return fmt_money(value, currency)
    if attribute.endswith(("_rate", "_share")):
        return fmt_pct(value)
    return fmt_number(value, "count", currency)
