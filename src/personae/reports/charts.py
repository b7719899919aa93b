"""Charts of the customer profile report, rendered offline to self-contained SVG.

Every chart is built with Altair and rendered by ``vl_convert`` (no browser, no CDN), then
post-processed so it can be inlined many times in one HTML page:

* ids that Vega emits (gradients of colour legends, clip paths) get a per-chart prefix, so
  two charts never define the same ``id`` and ``url(#...)`` always points inside its chart;
* nothing refers to the network: the only ``http`` left is the SVG namespace, fonts are a
  system font stack set through the chart config (``text`` elements, no font files; see
  :data:`FONT_STACK` for why Arial-metric faces come first);
* there is no title inside the SVG (the report's heading and figure caption carry it).

One look everywhere: a segment's colour depends only on its number (:func:`segment_colours`),
so "segment 3" is the same colour in every chart of every report; every palette colour has
at least 4.5:1 contrast against the white background (WCAG AA, even for text). Colours of
category levels (stacked share bars) come from a separate light palette with dark labels,
so a level is never mistaken for a segment.

The builders take small, already aggregated frames (one row per bar) with the text of the
value labels already formatted (currency symbols, thousands separators), because number
formatting for people is the report's job, not Vega's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import altair as alt
import pandas as pd

# System fonts only (nothing to download). Metric-compatible faces come first: vl-convert
# lays text out by measuring it (with Liberation Sans, Arial's metric twin), so the viewer
# must draw it in a face of the same widths, or right-aligned axis labels spill past the
# SVG's left edge. Helvetica (macOS), Arial (Windows) and Liberation Sans (Linux; fontconfig
# also maps Helvetica and Arial to it) share Arial's metrics; the rest is the usual
# system-ui fallback for machines without any of them.
FONT_STACK = 'Helvetica, Arial, "Liberation Sans", system-ui, -apple-system, "Segoe UI", sans-serif'

# Segment colours: saturated, each ≥ 4.5:1 against white, neighbours far apart in hue.
PALETTE: tuple[str, ...] = (
    "#2563eb",  # blue
    "#c2410c",  # orange
    "#0f766e",  # teal
    "#be185d",  # pink
    "#15803d",  # green
    "#6d28d9",  # violet
    "#b45309",  # amber
    "#475569",  # slate
    "#b91c1c",  # red
    "#4d7c0f",  # olive
    "#0369a1",  # sky
    "#86198f",  # fuchsia
)
NEUTRAL = "#52525b"  # "Everyone" and groups that are not a segment
INK = "#1f2937"  # text
MUTED = "#4b5563"  # axis labels
GRID = "#e5e7eb"
# Category levels in stacked share bars: light fills that carry dark labels (≥ 4.5:1).
LEVEL_PALETTE: tuple[str, ...] = (
    "#93c5fd",
    "#fdba74",
    "#86efac",
    "#f9a8d4",
    "#c4b5fd",
    "#fde047",
    "#5eead4",
    "#fca5a5",
    "#bef264",
    "#a5b4fc",
)
OTHER_LEVEL = "#d4d4d8"  # "other" / "unknown" levels
# Sequential blues (light to dark) for ordered levels such as CLV deciles and heatmaps.
BLUES: tuple[str, ...] = (
    "#eff6ff",
    "#dbeafe",
    "#bfdbfe",
    "#93c5fd",
    "#60a5fa",
    "#3b82f6",
    "#2563eb",
    "#1d4ed8",
    "#1e40af",
    "#1e3a8a",
)

PLOT_WIDTH = 520  # plot area; with the labels on the left a chart stays under ~860 px
LABEL_LIMIT = 250  # px; longer axis labels end in an ellipsis
BAR_STEP = 26  # px per bar (band) in horizontal bar charts


class ChartError(RuntimeError):
    """A chart could not be rendered as a self-contained SVG."""


def segment_colours(segments: Iterable[int]) -> dict[int, str]:
    """A colour per segment number, the same in every chart and every report.

    The colour depends only on the number (segment 1 takes the first palette colour), not
    on which other segments a chart shows. Numbers below 1 (noise, "unassigned") are grey.
    Beyond twelve segments the palette repeats.
    """
    return {
        int(s): (PALETTE[(int(s) - 1) % len(PALETTE)] if int(s) >= 1 else NEUTRAL) for s in segments
    }


def level_colours(levels: Sequence[str], other: Iterable[str] = ()) -> dict[str, str]:
    """Light fills for the levels of one category chart, in order; ``other`` levels grey."""
    grey = set(other)
    out: dict[str, str] = {}
    i = 0
    for level in levels:
        if level in grey:
            out[level] = OTHER_LEVEL
        else:
            out[level] = LEVEL_PALETTE[i % len(LEVEL_PALETTE)]
            i += 1
    return out


def _scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def _value_axis(title: str, fmt: str | None, prefix: str = "", **kw) -> alt.Axis:
    """An axis whose labels are formatted by d3-format, optionally after a prefix (currency)."""
    if prefix:
        expr = f"{_js_string(prefix)} + format(datum.value, {_js_string(fmt or ',')})"
        return alt.Axis(title=title, labelExpr=expr, **kw)
    return alt.Axis(title=title, format=fmt, **kw) if fmt else alt.Axis(title=title, **kw)


def _js_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ------------------------------------------------------------------------------ builders
def hbar(
    data: pd.DataFrame,
    *,
    category: str,
    value: str,
    text: str,
    value_title: str,
    colours: dict[str, str] | None = None,
    colour: str = PALETTE[0],
    value_format: str | None = None,
    value_prefix: str = "",
) -> alt.LayerChart:
    """Horizontal bars with the formatted value written after each bar.

    ``colours`` maps each category to its colour (segment colours); otherwise one colour.
    Bars keep the row order of ``data``.
    """
    order = list(data[category])
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    top = float(data[value].max()) if len(data) else 0.0
    x_scale = alt.Scale(domain=[0, top * 1.18 if top > 0 else 1], nice=False)
    base = alt.Chart(data).encode(y=y)
    fill = (
        alt.Color(f"{category}:N", scale=_scale(colours), legend=None)
        if colours
        else alt.value(colour)
    )
    bars = base.mark_bar(cornerRadiusEnd=2).encode(
        x=alt.X(
            f"{value}:Q",
            scale=x_scale,
            axis=_value_axis(value_title, value_format, value_prefix, tickCount=5),
        ),
        color=fill,
    )
    labels = base.mark_text(align="left", dx=4, color=INK).encode(
        x=alt.X(f"{value}:Q", scale=x_scale), text=f"{text}:N"
    )
    return alt.layer(bars, labels).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP))


def paired_hbar(
    data: pd.DataFrame,
    *,
    category: str,
    measure: str,
    value: str,
    text: str,
    value_title: str,
    colours: dict[str, str],
    measures: Sequence[str],
    value_format: str | None = ".0%",
) -> alt.LayerChart:
    """Two bars per category (e.g. share of customers vs share of revenue).

    Both bars take the category's colour; the first measure is drawn lighter, the second
    solid, and the legend says which is which.
    """
    order = list(dict.fromkeys(data[category]))
    top = float(data[value].max()) if len(data) else 0.0
    x_scale = alt.Scale(domain=[0, top * 1.18 if top > 0 else 1], nice=False)
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        yOffset=alt.YOffset(f"{measure}:N", sort=list(measures)),
    )
    bars = base.mark_bar(cornerRadiusEnd=2).encode(
        x=alt.X(
            f"{value}:Q", scale=x_scale, axis=_value_axis(value_title, value_format, tickCount=5)
        ),
        color=alt.Color(f"{category}:N", scale=_scale(colours), legend=None),
        opacity=alt.Opacity(
            f"{measure}:N",
            scale=alt.Scale(domain=list(measures), range=[0.45, 1.0]),
            legend=alt.Legend(title=None, orient="top", symbolFillColor=NEUTRAL),
        ),
    )
    labels = base.mark_text(align="left", dx=4, color=INK, fontSize=11).encode(
        x=alt.X(f"{value}:Q", scale=x_scale), text=f"{text}:N"
    )
    return alt.layer(bars, labels).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP * 0.6))


def stacked_share_bars(
    data: pd.DataFrame,
    *,
    group: str,
    part: str,
    share: str,
    part_colours: dict[str, str],
    value_title: str = "share",
    legend_title: str | None = None,
    min_label_share: float = 0.07,
) -> alt.LayerChart:
    """One 100% bar per group, split into parts (category levels, deciles, risk bands).

    ``data`` has one row per group and part; group order and part order follow the rows of
    ``data`` and the keys of ``part_colours``. Parts of at least ``min_label_share`` carry
    their percentage.
    """
    frame = data[[group, part, share]].copy()
    rank = {p: i for i, p in enumerate(part_colours)}
    frame["_rank"] = frame[part].map(rank).fillna(len(rank))
    frame = frame.sort_values(["_rank"], kind="stable")
    groups = list(dict.fromkeys(data[group]))
    frame["_g"] = frame[group].map({g: i for i, g in enumerate(groups)})
    frame = frame.sort_values(["_g", "_rank"], kind="stable")
    frame["_end"] = frame.groupby(group, sort=False)[share].cumsum()
    frame["_start"] = frame["_end"] - frame[share]
    frame["_mid"] = (frame["_start"] + frame["_end"]) / 2
    frame["_label"] = [f"{s:.0%}" if s >= min_label_share else "" for s in frame[share]]
    frame = frame.drop(columns=["_g"])
    scale = alt.Scale(domain=[0, 1], nice=False)
    longest = max((len(str(p)) for p in part_colours), default=1)
    columns = max(1, min(len(part_colours), 640 // (6 * longest + 30)))  # one legend row if short
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{group}:N", sort=groups, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    )
    bars = base.mark_bar(stroke="white", strokeWidth=1).encode(
        x=alt.X("_start:Q", scale=scale, axis=alt.Axis(title=value_title, format=".0%")),
        x2="_end:Q",
        color=alt.Color(
            f"{part}:N",
            scale=_scale(part_colours),
            legend=alt.Legend(
                title=legend_title,
                orient="top",
                columns=columns,
                labelLimit=LABEL_LIMIT,
                symbolLimit=0,
            ),
            sort=list(part_colours),
        ),
        order=alt.Order("_rank:Q"),
    )
    # Dark label on light parts, white on dark ones (sequential scales end very dark).
    dark = {p for p, c in part_colours.items() if _luminance(c) < 0.18}
    labels = base.mark_text(fontSize=10).encode(
        x=alt.X("_mid:Q", scale=scale),
        text="_label:N",
        color=alt.condition(
            alt.FieldOneOfPredicate(field=part, oneOf=sorted(dark)) if dark else "false",
            alt.value("white"),
            alt.value(INK),
        ),
    )
    return alt.layer(bars, labels).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP))


def binned_bars(
    data: pd.DataFrame,
    *,
    group: str,
    start: str,
    end: str,
    share: str,
    colours: dict[str, str],
    value_title: str,
    value_format: str | None = None,
    value_prefix: str = "",
    log_scale: bool = False,
    panel_height: int = 38,
) -> alt.FacetChart:
    """A histogram per group (small multiples, one row each) on a shared x axis.

    ``data`` holds one row per group and bin: ``start``/``end`` of the bin and the ``share``
    of the group's members in it. ``log_scale`` draws x on a symmetric log scale (for money
    and counts with a long tail; bins should then be equal-width in log(1 + x)).
    """
    groups = list(dict.fromkeys(data[group]))
    domain = [float(data[start].min()), float(data[end].max())] if len(data) else [0.0, 1.0]
    ticks = {"values": log_ticks(*domain)} if log_scale else {"tickCount": 8}
    x_scale = (
        alt.Scale(type="symlog", constant=1, domain=domain, nice=False)
        if log_scale
        else alt.Scale(domain=domain, nice=False, zero=False)
    )
    chart = (
        alt.Chart(data)
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                f"{start}:Q",
                scale=x_scale,
                axis=_value_axis(value_title, value_format, value_prefix, **ticks),
            ),
            x2=f"{end}:Q",
            y=alt.Y(
                f"{share}:Q",
                title=None,
                axis=alt.Axis(
                    format=".0%", tickCount=2, labelFontSize=9, grid=False, orient="right"
                ),
            ),
            y2=alt.datum(0),
            color=alt.Color(f"{group}:N", scale=_scale(colours), legend=None),
        )
        .properties(width=PLOT_WIDTH, height=panel_height)
    )
    return chart.facet(
        row=alt.Row(
            f"{group}:N",
            sort=groups,
            title=None,
            header=alt.Header(
                labelAngle=0,
                labelAlign="left",
                labelLimit=LABEL_LIMIT,
                labelOrient="left",
                labelPadding=4,
                labelColor=INK,
                labelFontSize=11,
            ),
        ),
        spacing=6,
    ).resolve_scale(y="shared")


def log_ticks(lo: float, hi: float, most: int = 9) -> list[float]:
    """Readable tick values for a log-like axis: 1, 2, 5 × 10^k within [lo, hi] (only the
    powers of ten when that would be too many), plus 0 when the range starts there."""
    out: list[float] = [0.0] if lo <= 0 else []
    first = math.floor(math.log10(max(lo, 1.0)))
    last = math.ceil(math.log10(max(hi, 1.0)))
    for steps in ((1, 2, 5), (1,)):
        values = [
            m * 10.0**k for k in range(first, last + 1) for m in steps if lo <= m * 10.0**k <= hi
        ]
        if len(values) + len(out) <= most:
            break
    return out + values


def money_format(top: float) -> str:
    """d3 format of money axis labels: whole units, or SI (20k, 1.5M) for large amounts."""
    return "~s" if abs(top) >= 100_000 else ",.0f"


def heatmap(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    text: str,
    x_title: str,
    y_title: str,
    value_title: str,
    subtext: str | None = None,
    x_order: Sequence | None = None,
    y_order: Sequence | None = None,
    cell: int = 64,
) -> alt.LayerChart:
    """A grid of cells coloured by ``value`` (light to dark blue) with a label per cell and,
    optionally, a smaller second line (``subtext``)."""
    top = float(data[value].max()) if len(data) else 0.0
    xo = list(x_order) if x_order is not None else sorted(data[x].unique())
    yo = list(y_order) if y_order is not None else sorted(data[y].unique())
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", sort=xo, title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", sort=yo, title=y_title),
    )
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            f"{value}:Q",
            scale=alt.Scale(range=[BLUES[0], BLUES[-1]], domainMin=0),
            legend=alt.Legend(title=value_title, orient="right", gradientLength=cell * 3),
        )
    )
    ink = alt.condition(f"datum['{value}'] > {top * 0.5!r}", alt.value("white"), alt.value(INK))
    layers = [
        rect,
        base.mark_text(fontSize=12, fontWeight="bold", dy=-7 if subtext else 0).encode(
            text=f"{text}:N", color=ink
        ),
    ]
    if subtext:
        layers.append(base.mark_text(fontSize=10, dy=8).encode(text=f"{subtext}:N", color=ink))
    return alt.layer(*layers).properties(width=alt.Step(cell * 1.4), height=alt.Step(cell * 0.8))


def line_pair(
    data: pd.DataFrame,
    *,
    x: str,
    series: str,
    value: str,
    x_title: str,
    value_title: str,
    x_order: Sequence[str],
    series_colours: dict[str, str],
) -> alt.Chart:
    """Two (or more) series over an ordinal x: lines with points, dashed for all but the
    first series, so the chart reads in greyscale too."""
    names = list(series_colours)
    dashes = [[1, 0]] + [[6, 4]] * (len(names) - 1)
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=45, filled=True), strokeWidth=2)
        .encode(
            x=alt.X(f"{x}:O", sort=list(x_order), title=x_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", title=value_title),
            color=alt.Color(
                f"{series}:N", scale=_scale(series_colours), legend=alt.Legend(title=None)
            ),
            strokeDash=alt.StrokeDash(
                f"{series}:N",
                scale=alt.Scale(domain=names, range=dashes),
                legend=alt.Legend(title=None),
            ),
        )
        .properties(width=PLOT_WIDTH, height=260)
    )


def funnel(
    data: pd.DataFrame,
    *,
    stage: str,
    reached: str,
    text: str,
    colour: str = NEUTRAL,
) -> alt.LayerChart:
    """A funnel: one centred horizontal bar per stage (width = members who reached it), in
    the order of the rows, with a label (count, share, conversion) to the right."""
    frame = data.copy()
    frame["_x"] = -frame[reached] / 2
    frame["_x2"] = frame[reached] / 2
    top = float(frame[reached].max()) if len(frame) else 0.0
    half = top / 2 if top > 0 else 1.0
    scale = alt.Scale(domain=[-half, half * 2.6], nice=False)
    order = list(frame[stage])
    base = alt.Chart(frame).encode(
        y=alt.Y(
            f"{stage}:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=LABEL_LIMIT, ticks=False, domain=False, labelFontSize=12),
        )
    )
    bars = base.mark_bar(color=colour, cornerRadius=2).encode(
        x=alt.X("_x:Q", scale=scale, axis=None), x2="_x2:Q"
    )
    labels = base.mark_text(align="left", dx=6, color=INK).encode(
        x=alt.X("_x2:Q", scale=scale), text=f"{text}:N"
    )
    return alt.layer(bars, labels).properties(width=PLOT_WIDTH, height=alt.Step(34))


# -------------------------------------------------------------------------------- render
_ID = re.compile(r'\bid="([^"]+)"')
_URL = re.compile(r"https?://[^\s\"'<>)]+")
_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The report's look: fonts, colours of text and grid, no view border, white ground."""
    return (
        # The extra room on the left absorbs a fallback font a little wider than the metrics.
        chart.configure(
            font=FONT_STACK,
            background="white",
            padding={"left": 24, "right": 8, "top": 8, "bottom": 8},
        )
        .configure_axis(
            labelFont=FONT_STACK,
            titleFont=FONT_STACK,
            labelFontSize=12,
            titleFontSize=12,
            titleFontWeight="normal",
            labelColor=MUTED,
            titleColor=INK,
            gridColor=GRID,
            domainColor="#9ca3af",
            tickColor="#9ca3af",
        )
        .configure_legend(
            labelFont=FONT_STACK,
            titleFont=FONT_STACK,
            labelFontSize=12,
            titleFontSize=12,
            titleFontWeight="normal",
            labelColor=INK,
            titleColor=INK,
        )
        .configure_header(labelFont=FONT_STACK, titleFont=FONT_STACK)
        .configure_text(font=FONT_STACK)
        .configure_view(stroke=None)
    )


def id_prefix(key: str) -> str:
    """The prefix given to every id of the chart with this key (a valid XML name)."""
    return "chart-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "x") + "-"


def render_svg(chart: alt.TopLevelMixin, key: str, alt_text: str = "") -> str:
    """The chart as one self-contained SVG string, its ids prefixed by the chart ``key``.

    ``alt_text`` becomes the SVG's accessible name (``role="img"`` + ``aria-label``).
    Raises :class:`ChartError` if the SVG would reference anything outside itself.
    """
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(configure(chart).to_dict())
    return finish_svg(svg, key, alt_text)


def finish_svg(svg: str, key: str, alt_text: str = "") -> str:
    """Post-process a vl-convert SVG: unique ids, no unused xlink namespace, accessibility."""
    prefix = id_prefix(key)
    ids = set(_ID.findall(svg))
    if ids:
        svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
        pattern = re.compile(r"(url\(#|href=\"#)(" + "|".join(map(re.escape, ids)) + r")\b")
        svg = pattern.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    if "xlink:" not in svg.replace('xmlns:xlink="http://www.w3.org/1999/xlink"', ""):
        svg = svg.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "", 1)
    head_end = svg.index(">")
    head = svg[:head_end]
    extra = ' style="max-width:100%;height:auto"'
    if alt_text:
        extra += f' role="img" aria-label="{_attr(alt_text)}"'
    svg = head + extra + svg[head_end:]
    stray = [u for u in _URL.findall(svg) if u not in _NAMESPACES]
    if stray:
        raise ChartError(f"chart {key!r} references {stray[0]}; charts must be self-contained")
    return svg


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str = "#ffffff") -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
