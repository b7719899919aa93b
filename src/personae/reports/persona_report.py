"""The persona report a marketer hands to an executive: HTML, Markdown, JSON and PDF.

One computation, four formats. The persona documents (:class:`~personae.personas.schema.
Persona`) and the customer profile sections (:class:`~personae.reports.sections.
ReportSection`) are rendered as

* ``personas.html`` — one self-contained page (CSS, avatars and charts inlined; no links,
  fonts, scripts or images fetched from anywhere) so it can be mailed, archived or opened
  offline and still look the same. Every claim keeps its evidence one click away in a
  ``<details>`` element, so the page stays readable while every number stays checkable;
* ``personas.md`` — the same content for wikis and code review, charts exported next to it
  as ``charts/<key>.svg`` and evidence as footnotes;
* ``personas.json`` and ``personas/<id>.json`` — the documents themselves, for other tools;
* ``personas/<id>.pdf`` — a one-page A4 summary per persona (WeasyPrint), the sheet that
  gets printed and pinned to a wall. Its page count is checked, and the layout condensed
  step by step until it fits on one page.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from personae.locale.money import money_text
from personae.personas.schema import (
    EMPATHY_QUADRANTS,
    JOURNEY_STAGES,
    Claim,
    Evidence,
    Fact,
    Persona,
    VoiceTheme,
)
from personae.reports.sections import ReportSection
from personae.value.estimate import COUNTS_ONLY_CELL, counts_only

log = logging.getLogger(__name__)

HTML_NAME = "personas.html"
MARKDOWN_NAME = "personas.md"
JSON_NAME = "personas.json"


# One-line explanations of the quality figures, shown next to each figure (HTML, Markdown).
QUALITY_HELP = {
    "coverage": "Share of the persona's attribute slots filled from data rather than left empty.",
    "distinctiveness": "How far its traits stand from the average customer (mean |log lift|); "
    "higher is more distinct.",
    "stability": "How well the segment keeps its shape when the data is resampled "
    "(bootstrap Jaccard; 0.75 or more is stable).",
    "prevalence": "Share of members who match at least half of the persona's claimed traits: "
    "a real group, not a caricature of a few.",
}

SOURCE_KIND_LABELS = {
    "survey": "Survey",
    "ticket": "Support ticket",
    "review": "Review",
    "social": "Social post",
}


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote, and why anything was left out."""

    html: Path
    markdown: Path
    json: Path
    pdfs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    persona_json: list[Path] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- formatting


def fmt_int(x: float | None) -> str:
    return "–" if x is None else f"{round(x):,}"


def fmt_pct(x: float | None) -> str:
    """A share 0..1 as a percentage; one decimal under 10% so small groups don't read 0%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    p = x * 100
    if 0 < abs(p) < 10 and round(p) != p:
        return f"{p:.1f}%"
    return f"{p:.0f}%"


def fmt_money(x: float | None, currency: str = "USD") -> str:
    """An amount in the reporting currency (the one formatter: locale.money.money_text)."""
    return money_text(x, currency)


def fmt_num(x: float | None) -> str:
    """A measure of unknown unit: thousands separators, at most two decimals."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if float(x).is_integer():
        return f"{int(x):,}"
    text = f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
    return text.rstrip("0").rstrip(".")


def fmt_p(p: float | None) -> str:
    if p is None:
        return "–"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def fmt_sentiment(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def sentiment_class(x: float | None) -> str:
    if x is None:
        return "none"
    return "pos" if x >= 0.05 else "neg" if x <= -0.05 else "neu"


def sentiment_word(x: float | None) -> str:
    return {"pos": "positive", "neg": "negative", "neu": "neutral", "none": "no data"}[
        sentiment_class(x)
    ]


_PERCENT_ATTR = re.compile(r"(rate|share|ratio|pct|percent|utili[sz]ation|propensity|prob)", re.I)


def _is_share(ev: Evidence) -> bool:
    """Whether an evidence's values are shares (shown as %) rather than raw measures."""
    values = [v for v in (ev.segment_value, ev.overall_value) if v is not None]
    if not values or any(v < 0 or v > 1 for v in values):
        return False
    return ev.level is not None or bool(ev.attribute and _PERCENT_ATTR.search(ev.attribute))


def evidence_parts(ev: Evidence) -> list[tuple[str, str]]:
    """An evidence as (label, value) pairs, compact enough for one line."""
    value = fmt_pct if _is_share(ev) else fmt_num
    parts: list[tuple[str, str]] = [("source", ev.source)]
    if ev.attribute:
        parts.append(("attribute", f"{ev.attribute} = {ev.level}" if ev.level else ev.attribute))
    elif ev.level:
        parts.append(("level", ev.level))
    if ev.segment_value is not None:
        parts.append(("segment", value(ev.segment_value)))
    if ev.overall_value is not None:
        parts.append(("everyone", value(ev.overall_value)))
    if ev.lift is not None:
        parts.append(("lift", f"{ev.lift:.2f}×"))
    if ev.std_diff is not None:
        parts.append(("std. diff.", f"{ev.std_diff:+.2f} sd"))
    if ev.p_value is not None:
        parts.append(("p (adj.)", fmt_p(ev.p_value).removeprefix("p ").lstrip("= ")))
    if ev.n is not None:
        parts.append(("n", fmt_int(ev.n)))
    if ev.record_ids:
        shown = ev.record_ids[:12]
        more = len(ev.record_ids) - len(shown)
        parts.append(("records", ", ".join(shown) + (f" (+{more:,} more)" if more else "")))
    if ev.note:
        parts.append(("note", ev.note))
    return parts


def evidence_line(ev: Evidence) -> str:
    """One evidence as one plain-text line (Markdown footnotes)."""
    bits = [f"{ev.kind}: `{ev.source}`"]
    for label, value in evidence_parts(ev)[1:]:
        bits.append(value if label in ("attribute", "note") else f"{label} {value}")
    return " · ".join(bits)


def slug(text: str) -> str:
    """A string made safe for an HTML id and a file name (stable for the same input)."""
    s = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return s or "x"


def _fact_is_trivial(fact: Fact) -> bool:
    """True when the claim sentence only repeats 'label: value' (then it stays in Evidence)."""

    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9%]+", " ", s.lower()).strip()

    text = norm(fact.text)
    return (
        text.startswith(norm(fact.label))
        and norm(fact.value) in text
        and len(text) <= len(norm(fact.label)) + len(norm(fact.value)) + 12
    )


# --------------------------------------------------------------------------- SVG handling

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S | re.I)
_UNSAFE_ELEMENTS = re.compile(
    r"<(script|foreignObject)\b[^>]*/>|<(script|foreignObject)\b.*?</\2\s*>", re.S | re.I
)
# editor metadata (Inkscape's RDF block in some python_avatars parts): never drawn
_METADATA = re.compile(r"<metadata\b[^>]*/>|<metadata\b.*?</metadata\s*>", re.S | re.I)
_EVENT_ATTRS = re.compile(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
_EXTERNAL_HREF = re.compile(
    r"\s(?:xlink:)?href\s*=\s*(\"(?![#\"]|data:)[^\"]*\"|'(?![#']|data:)[^']*')", re.I
)
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?(?!#|data:)[^)]*\)", re.I)
_IMPORT = re.compile(r"@import[^;]*;?", re.I)
_NS_DECL = re.compile(r"\sxmlns:([A-Za-z_][\w.-]*)\s*=\s*\"([^\"]*)\"")
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_KNOWN_NS = {SVG_NS, XLINK_NS}
_ID_ATTR = re.compile(r"(\sid\s*=\s*)\"([^\"]+)\"")
_ID_REF = re.compile(r"(url\(\s*['\"]?#)([^'\")]+)|((?:xlink:)?href\s*=\s*\"#)([^\"]+)")
_ARIA_REF = re.compile(r"(\saria-(?:labelledby|describedby)\s*=\s*\")([^\"]*)\"")
_EMPTY_PAINT = re.compile(r"\s(?:fill|stroke|color)\s*=\s*\"\s*\"")
_TITLE_DESC = re.compile(r"<(title|desc)\b[^>]*>.*?</\1\s*>", re.S | re.I)


def _unprefix(svg: str) -> str:
    """``<ns0:svg xmlns:ns0="…/svg">`` → ``<svg xmlns="…/svg">``, and xlink under its own name.

    The prefixed form is valid XML but an HTML parser does not know namespaces: it makes
    ``ns0:svg`` an unknown element and draws nothing. ElementTree writes it whenever the
    default namespace mapping was replaced — WeasyPrint's import does exactly that, after
    which python_avatars renders every avatar prefixed."""
    for prefix, uri in _NS_DECL.findall(svg):
        if uri == SVG_NS:
            svg = re.sub(rf"<(/?){re.escape(prefix)}:", r"<\1", svg)
            has_default = 'xmlns="' in svg.split(">", 1)[0]
            declaration = "" if has_default else f' xmlns="{SVG_NS}"'
            svg = svg.replace(f' xmlns:{prefix}="{SVG_NS}"', declaration)
        elif uri == XLINK_NS and prefix != "xlink":
            svg = re.sub(rf"(\s){re.escape(prefix)}:", r"\1xlink:", svg)
            svg = svg.replace(f"xlink:{prefix}=", "xmlns:xlink=")
    return svg


def clean_svg(svg: str, *, drop_titles: bool = False) -> str:
    """An SVG string made safe and inert for inlining: no scripts, event handlers, external
    references or foreign namespaces (python_avatars declares one for its editor), and no
    comments or XML prologue (invalid inside HTML)."""
    svg = _unprefix(_XML_PROLOGUE.sub("", svg))
    svg = _UNSAFE_ELEMENTS.sub("", svg)
    svg = _EVENT_ATTRS.sub("", svg)
    svg = _EXTERNAL_HREF.sub("", svg)
    svg = _EXTERNAL_URL.sub("none", svg)
    svg = _IMPORT.sub("", svg)
    svg = _METADATA.sub("", svg)
    for prefix, uri in _NS_DECL.findall(svg):
        if uri not in _KNOWN_NS:
            p = re.escape(prefix)
            # elements in the foreign namespace go with their declaration, or the file is
            # no longer well-formed XML (an unbound prefix)
            svg = re.sub(
                rf"<{p}:([\w.-]+)\b[^>]*/>|<{p}:([\w.-]+)\b.*?</{p}:\2\s*>", "", svg, flags=re.S
            )
            svg = re.sub(rf"\sxmlns:{p}\s*=\s*\"[^\"]*\"", "", svg)
            svg = re.sub(rf"\s{p}:[\w.-]+\s*=\s*(\"[^\"]*\"|'[^']*')", "", svg)
    # an empty paint (python_avatars writes fill="") is invalid, so browsers ignore it and
    # inherit; other renderers paint black. Dropping it makes every renderer agree.
    svg = _EMPTY_PAINT.sub("", svg)
    if drop_titles:
        svg = _TITLE_DESC.sub("", svg)
    return svg.strip()


def scope_svg_ids(svg: str, prefix: str) -> str:
    """Prefix every id (and every reference to it) so several inline SVGs can share one page.

    Inline SVGs share the HTML document's id space: two avatars both defining ``path-1``
    would draw each other's shapes. Prefixing keeps each picture self-contained."""
    ids = {m.group(2) for m in _ID_ATTR.finditer(svg)}
    if not ids:
        return svg
    seen: dict[str, int] = {}

    def rename(m: re.Match[str]) -> str:
        # a repeated id (python_avatars has a few) is invalid HTML; references resolve to
        # the first, as browsers do, and later ones get a suffix
        old = m.group(2)
        seen[old] = seen.get(old, 0) + 1
        suffix = "" if seen[old] == 1 else f"--{seen[old]}"
        return f'{m.group(1)}"{prefix}{old}{suffix}"'

    svg = _ID_ATTR.sub(rename, svg)

    def ref(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2))
        return m.group(3) + (prefix + m.group(4) if m.group(4) in ids else m.group(4))

    svg = _ID_REF.sub(ref, svg)

    def aria(m: re.Match[str]) -> str:
        tokens = [prefix + t if t in ids else t for t in m.group(2).split()]
        return f'{m.group(1)}{" ".join(tokens)}"'

    return _ARIA_REF.sub(aria, svg)


_ROOT_A11Y = re.compile(r"\s(?:role|aria-[a-z]+|focusable)\s*=\s*(\"[^\"]*\"|'[^']*')")


def _mark_decorative(svg: str) -> str:
    """Hide the SVG itself from screen readers: its wrapper carries role=img and the label.

    The root's own role/aria attributes (avatars and charts may bring them) are replaced,
    never repeated: a repeated attribute is an HTML parse error."""
    m = re.search(r"<svg\b[^>]*>", svg)
    if m is None:
        return svg
    root = _ROOT_A11Y.sub("", m.group(0))
    root = root.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)
    return svg[: m.start()] + root + svg[m.end() :]


def inline_svg(svg: str, prefix: str, *, drop_titles: bool = False) -> Markup:
    return Markup(_mark_decorative(scope_svg_ids(clean_svg(svg, drop_titles=drop_titles), prefix)))


def avatar_data_uri(svg: str) -> str:
    """The avatar as a data: URI image for the PDF.

    WeasyPrint's own SVG renderer drops python_avatars' masks (the face disappears), so the
    avatar is rasterised with resvg (vl-convert, already a dependency) at print resolution;
    the SVG itself is the fallback."""
    text = clean_svg(svg, drop_titles=True)
    if "xmlns=" not in text[:300]:
        text = text.replace("<svg", f'<svg xmlns="{SVG_NS}"', 1)
    try:
        import vl_convert

        png = vl_convert.svg_to_png(text, scale=2.0)
        return "data:image/png;base64," + base64.b64encode(png).decode()
    except Exception as exc:  # an unusual SVG must not cost the whole PDF
        log.info("avatar rasterisation failed (%s); embedding the SVG", exc)
        return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()


# --------------------------------------------------------------------------- persona views


def _find_fact(facts: list[Fact], *keywords: str) -> Fact | None:
    for kw in keywords:
        for fact in facts:
            if kw in fact.label.lower():
                return fact
    return None


def _top_label(themes: list[VoiceTheme]) -> str:
    return themes[0].label if themes else "–"


def _fact_value(facts: list[Fact], *keywords: str) -> str | None:
    fact = _find_fact(facts, *keywords)
    return None if fact is None else fact.value


_Lookup = tuple[str, Callable[[Persona], list[Fact]], tuple[str, ...]]


@dataclass(frozen=True)
class _Row:
    label: str
    cells: list[str]
    numeric: bool = False


def comparison_rows(personas: list[Persona], currency: str) -> list[_Row]:
    """The side-by-side rows; a descriptive row is kept only when some persona has a value.

    Facts are looked up by keywords in their labels, so the table follows whatever labels
    the persona builder writes ('Age', 'Preferred channel', 'Days between orders', ...)."""

    def money(p: Persona) -> str:
        if counts_only(p.size.value_note):
            return COUNTS_ONLY_CELL
        return fmt_money(p.size.mean_clv, p.size.currency or currency)

    def revenue(p: Persona) -> str:
        if counts_only(p.size.value_note):
            return COUNTS_ONLY_CELL
        return fmt_pct(p.size.revenue_share)

    rows = [
        _Row("Customers", [fmt_int(p.size.customers) for p in personas], True),
        _Row("Share of customers", [fmt_pct(p.size.share) for p in personas], True),
    ]
    if personas and all(counts_only(p.size.value_note) for p in personas):
        rows.append(_Row("Value", [COUNTS_ONLY_CELL for _ in personas]))
    else:
        rows += [
            _Row("Share of revenue", [revenue(p) for p in personas], True),
            _Row("Mean lifetime value", [money(p) for p in personas], True),
        ]
    who: list[_Lookup] = [
        ("Age", lambda p: p.demographics, ("age",)),
        ("Gender", lambda p: p.demographics, ("gender",)),
        ("Industry", lambda p: p.firmographics, ("industry",)),
        ("Company size", lambda p: p.firmographics, ("employee", "company size", "size")),
    ]
    how: list[_Lookup] = [
        ("Main channel", lambda p: p.communication_channels + p.buying_behaviour, ("channel", "")),
        (
            "Device",
            lambda p: p.buying_behaviour + p.communication_channels + p.demographics,
            ("device",),
        ),
        (
            "Purchase frequency",
            lambda p: p.buying_behaviour,
            ("frequen", "between orders", "orders per", "cadence", "rhythm"),
        ),
        (
            "Order value",
            lambda p: p.buying_behaviour,
            ("order value", "basket", "aov", "spend", "mrr", "contract value"),
        ),
    ]

    def looked_up(lookups: list[_Lookup]) -> list[_Row]:
        found = []
        for label, facts, keywords in lookups:
            cells = [_fact_value(facts(p), *keywords) for p in personas]
            if any(c is not None for c in cells):
                found.append(_Row(label, [c or "–" for c in cells]))
        return found

    rows += looked_up(who)
    rows.append(_Row("Top goal", [_top_label(p.goals) for p in personas]))
    rows.append(_Row("Top pain point", [_top_label(p.pain_points) for p in personas]))
    rows += looked_up(how)
    stability = [
        "–" if p.quality.stability is None else f"{p.quality.stability:.2f}" for p in personas
    ]
    rows.append(_Row("Stability", stability, True))
    rows.append(_Row("Prevalence", [fmt_pct(p.quality.prevalence) for p in personas], True))
    return rows


def _noun(p: Persona) -> str:
    return "accounts" if p.entity == "account" else "customers"


def _guidance_groups(p: Persona) -> list[tuple[str, str, list[Claim]]]:
    g = p.guidance
    groups = [
        ("messaging", "Messaging", g.messaging),
        ("channels", "Channels", g.channels),
        ("offers", "Offers", g.offers),
        ("avoid", "Avoid", g.avoid),
    ]
    if g.deter or p.role == "negative":
        groups.insert(0, ("deter", "Deter", g.deter))
    return [x for x in groups if x[2]]


def _content_by_stage(p: Persona) -> list[tuple[str, list[Claim]]]:
    known = [(s, p.guidance.content[s]) for s in JOURNEY_STAGES if p.guidance.content.get(s)]
    other = [(s, c) for s, c in p.guidance.content.items() if s not in JOURNEY_STAGES and c]
    return known + other


def _empathy(p: Persona) -> list[tuple[str, list[Claim]]]:
    quads = [(q, p.empathy_map.get(q, [])) for q in EMPATHY_QUADRANTS]
    extra = [(q, c) for q, c in p.empathy_map.items() if q not in EMPATHY_QUADRANTS]
    return quads + extra if any(c for _, c in quads + extra) else []


def _journey(p: Persona) -> list:
    order = {s: i for i, s in enumerate(JOURNEY_STAGES)}
    return sorted(p.journey, key=lambda s: order.get(s.stage, 99))


def _voice_groups(p: Persona) -> list[tuple[str, str, list[VoiceTheme]]]:
    groups = [
        ("goals", "Goals", p.goals),
        ("pain_points", "Pain points", p.pain_points),
        ("frustrations", "Frustrations", p.frustrations),
        ("motivations", "Motivations", p.motivations),
        ("objections", "Objections", p.objections),
    ]
    return [g for g in groups if g[2]]


def _fact_groups(p: Persona) -> list[tuple[str, str, list[Fact]]]:
    groups = [
        ("demographics", "Demographics", p.demographics),
        ("firmographics", "Firmographics", p.firmographics),
        ("psychographics", "Values and interests", p.psychographics),
        ("buying", "Buying behaviour", p.buying_behaviour),
        ("channels", "Communication channels", p.communication_channels),
    ]
    return [g for g in groups if g[2]]


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """Evidence without repeats (the title and the naming often rest on the same figure)."""
    seen: set[str] = set()
    out = []
    for ev in evidence:
        key = ev.model_dump_json()
        if key not in seen:
            seen.add(key)
            out.append(ev)
    return out


def _view(p: Persona, index: int, currency: str) -> dict[str, Any]:
    """What the templates need about one persona beyond the document itself."""
    anchor = "persona-" + slug(p.id)
    return {
        "p": p,
        "anchor": anchor,
        "file_stem": slug(p.id),
        "index": index,
        "avatar": inline_svg(p.naming.avatar_svg, f"av{index}-", drop_titles=True),
        "avatar_toc": inline_svg(p.naming.avatar_svg, f"avt{index}-", drop_titles=True),
        "avatar_uri": None,
        "naming_evidence": _unique(p.title.evidence + p.naming.basis),
        "currency": p.size.currency or currency,
        "noun": _noun(p),
        "fact_groups": _fact_groups(p),
        "voice_groups": _voice_groups(p),
        "empathy": _empathy(p),
        "journey": _journey(p),
        "guidance_groups": _guidance_groups(p),
        "content_by_stage": _content_by_stage(p),
        "quality": [
            ("coverage", "Coverage", fmt_pct(p.quality.coverage), p.quality.coverage),
            (
                "distinctiveness",
                "Distinctiveness",
                f"{p.quality.distinctiveness:.2f}",
                min(p.quality.distinctiveness, 1.0),
            ),
            (
                "stability",
                "Stability",
                "–" if p.quality.stability is None else f"{p.quality.stability:.2f}",
                p.quality.stability,
            ),
            ("prevalence", "Prevalence", fmt_pct(p.quality.prevalence), p.quality.prevalence),
        ],
    }


# --------------------------------------------------------------------------- templates


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("personae.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        int=fmt_int,
        pct=fmt_pct,
        money=fmt_money,
        num=fmt_num,
        pval=fmt_p,
        sentiment=fmt_sentiment,
        sentiment_class=sentiment_class,
        sentiment_word=sentiment_word,
        evidence_parts=evidence_parts,
        slug=slug,
        trivial_fact=_fact_is_trivial,
    )
    env.tests.update(counts_only=counts_only)
    env.globals.update(
        COUNTS_ONLY_CELL=COUNTS_ONLY_CELL,
        QUALITY_HELP=QUALITY_HELP,
        SOURCE_KIND_LABELS=SOURCE_KIND_LABELS,
    )
    return env


def _css() -> str:
    env = _environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, "report.css")
    return source


persona_view = _view  # public names for the web pages (personae.web.page_data)
report_environment = _environment


def _section_views(sections: list[ReportSection]) -> list[dict[str, Any]]:
    views = []
    for i, s in enumerate(sections):
        charts = [
            {
                "c": c,
                "anchor": f"chart-{slug(c.key)}",
                "svg": inline_svg(c.svg, f"ch{i}-{j}-"),
            }
            for j, c in enumerate(s.charts)
        ]
        tables = []
        for t in s.tables:
            numeric = list(t.numeric) + [False] * (len(t.columns) - len(t.numeric))
            tables.append({"t": t, "numeric": numeric})
        views.append(
            {"s": s, "anchor": f"section-{slug(s.key)}", "charts": charts, "tables": tables}
        )
    return views


def render_html(
    personas: list[Persona],
    sections: list[ReportSection],
    *,
    title: str,
    subtitle: str = "",
    currency: str = "USD",
    data_date: str | None = None,
) -> str:
    """The self-contained HTML report (one string)."""
    views = [_view(p, i, currency) for i, p in enumerate(personas)]
    return (
        _environment()
        .get_template("persona_report.html.j2")
        .render(
            title=title,
            subtitle=subtitle,
            data_date=data_date,
            generated=date.today().isoformat(),
            personas=views,
            sections=_section_views(sections),
            comparison=comparison_rows(personas, currency),
            css=Markup(_css()),
            data_versions=sorted({p.data_version for p in personas}),
            total_customers=sum(p.size.customers for p in personas),
            total_share=sum(p.size.share for p in personas),
            entity_noun=_entity_noun(personas),
        )
    )


def _entity_noun(personas: list[Persona]) -> str:
    entities = {p.entity for p in personas}
    if entities == {"account"}:
        return "accounts"
    return "customers" if entities == {"person"} else "customers and accounts"


# --------------------------------------------------------------------------- Markdown


def md_text(text: str) -> str:
    """Text made inert in Markdown: anything that could open an HTML tag, comment or entity
    is escaped (a claim saying ``<script>`` must stay text), line breaks are folded.

    A bare ``<`` before a space ("p < 0.001") cannot open a tag and stays readable."""
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    return text.replace("\r", " ").replace("\n", " ")


def _md_cell(text: str) -> str:
    return md_text(text).replace("|", "\\|")


def md_table(header: list[str], rows: list[list[str]], numeric: list[bool] | None = None) -> str:
    numeric = (numeric or []) + [False] * (len(header) - len(numeric or []))
    lines = [
        "| " + " | ".join(_md_cell(h) for h in header) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


class _Footnotes:
    """Evidence as Markdown footnotes, numbered per persona so labels never clash."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[str] = []

    def ref(self, evidence: list[Evidence]) -> str:
        label = f"{self.prefix}-{len(self.lines) + 1}"
        body = " ; ".join(md_text(evidence_line(ev)) for ev in evidence)
        self.lines.append(f"[^{label}]: {body}")
        return f"[^{label}]"

    def claim(self, c: Claim) -> str:
        return f"{md_text(c.text)}{self.ref(c.evidence)}"


def _md_persona(v: dict[str, Any], n: int) -> list[str]:
    p: Persona = v["p"]
    fn = _Footnotes(f"p{n}")
    cur = v["currency"]
    role = "Negative persona (deter)" if p.role == "negative" else "Primary persona"
    out = [
        f'<a id="{v["anchor"]}"></a>',
        "",
        f"### {md_text(p.title.text)}{fn.ref(p.title.evidence)}",
        "",
        f"![Illustrative avatar of {md_text(p.name)}](personas/{v['file_stem']}.svg)",
        "",
        f"**{role}** · segment {p.segment} ({md_text(p.segment_name)}) · "
        f"{fmt_int(p.size.customers)} {v['noun']} ({fmt_pct(p.size.share)}) · "
        + (
            COUNTS_ONLY_CELL
            if counts_only(p.size.value_note)
            else f"{fmt_pct(p.size.revenue_share)} of revenue · mean CLV "
            f"{fmt_money(p.size.mean_clv, cur)}"
        )
        + fn.ref(p.size.evidence),
        "",
        *([f"*{md_text(p.size.value_note)}*", ""] if p.size.value_note else []),
        f"*Illustrative name and picture, chosen from the segment's typical facts: "
        f"{p.naming.gender}, age {p.naming.age}, {md_text(p.naming.country)}.*"
        f"{fn.ref(p.naming.basis)}",
        "",
    ]
    if p.role == "negative":
        out += [
            "> **Negative persona.** These customers cost more than they bring; use the "
            "*Deter* guidance to stop attracting more of them.",
            "",
        ]
    if p.narrative and p.narrative.checked:
        out += [
            md_text(p.narrative.bio),
            "",
            f"*Narrative by {md_text(p.narrative.model)}; "
            "every figure in it was checked against the facts below.*",
            "",
        ]
    out += ["#### Bio", "", " ".join(fn.claim(c) for c in p.bio), ""]
    for _, heading, facts in v["fact_groups"]:
        out += [f"#### {heading}", ""]
        for f in facts:
            if _fact_is_trivial(f):  # the sentence already reads "Label: value"
                out.append(f"- {fn.claim(f)}")
            else:
                out.append(f"- **{md_text(f.label)}:** {md_text(f.value)} — {fn.claim(f)}")
        out.append("")
    for _, heading, themes in v["voice_groups"]:
        out += [f"#### {heading}", ""]
        for t in themes:
            line = (
                f"- **{md_text(t.label)}** ({fmt_pct(t.share)}, {t.lift:.1f}× the average): "
                f"{fn.claim(t)}"
            )
            if t.quote:
                line += f" — “{md_text(t.quote)}”"
            out.append(line)
        out.append("")
    if p.quotes:
        out += ["#### In their own words", ""]
        for q in p.quotes:
            kind = SOURCE_KIND_LABELS.get(q.source_kind, q.source_kind)
            out += [
                f"> “{md_text(q.text)}”",
                f"> — {kind}, record `{md_text(q.record_id)}`"
                + (
                    f", {sentiment_word(q.sentiment)} ({fmt_sentiment(q.sentiment)})"
                    if q.sentiment is not None
                    else ""
                )
                + fn.ref(q.evidence),
                "",
            ]
    if v["empathy"]:
        out += ["#### Empathy map", ""]
        for quad, claims in v["empathy"]:
            items = "; ".join(fn.claim(c) for c in claims) or "–"
            out.append(f"- **{quad.capitalize()}:** {items}")
        out.append("")
    if v["journey"]:
        out += ["#### Journey", ""]
        rows = []
        for s in v["journey"]:
            touch = "; ".join(fn.claim(t) for t in s.touchpoints)
            claims = " ".join(fn.claim(c) for c in s.claims)
            rows.append(
                [
                    s.stage.capitalize(),
                    f"{fmt_pct(s.reached_share)} ({fmt_int(s.reached)})",
                    fmt_pct(s.conversion),
                    fmt_pct(s.drop_off),
                    touch or "–",
                    "–"
                    if s.sentiment is None
                    else f"{sentiment_word(s.sentiment)} ({fmt_sentiment(s.sentiment)}, "
                    f"n = {s.sentiment_n:,})",
                    claims or "–",
                ]
            )
        header = ["stage", "reached", "conversion", "drop-off", "touchpoints", "sentiment", "notes"]
        # cells already escaped (footnote refs must stay intact), so build the table raw
        out += [
            "| " + " | ".join(header) + " |",
            "|---|---:|---:|---:|---|---|---|",
            *("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows),
            "",
        ]
    if v["guidance_groups"] or v["content_by_stage"]:
        out += ["#### Marketing guidance", ""]
        for _, heading, claims in v["guidance_groups"]:
            out.append(f"- **{heading}:** " + " ".join(fn.claim(c) for c in claims))
        for stage, claims in v["content_by_stage"]:
            out.append(
                f"- **Content — {md_text(stage)}:** " + " ".join(fn.claim(c) for c in claims)
            )
        out.append("")
    out += ["#### Quality", ""]
    for key, label, shown, _ in v["quality"]:
        out.append(f"- **{label}: {shown}** — {QUALITY_HELP[key]}")
    out[-1] += fn.ref(p.quality.evidence)
    out += ["", *fn.lines, ""]
    return out


def render_markdown(
    personas: list[Persona],
    sections: list[ReportSection],
    *,
    title: str,
    subtitle: str = "",
    currency: str = "USD",
    data_date: str | None = None,
    chart_paths: dict[str, str] | None = None,
) -> str:
    """The report as Markdown; charts are referenced by the relative paths given."""
    chart_paths = chart_paths or {}
    views = [_view(p, i, currency) for i, p in enumerate(personas)]
    when = f"Data as of {data_date}" if data_date else f"Generated {date.today().isoformat()}"
    out = [f"# {md_text(title)}", ""]
    if subtitle:
        out += [f"*{md_text(subtitle)}*", ""]
    out += [
        f"{when} · {len(personas)} personas · data version "
        + ", ".join(f"`{v}`" for v in sorted({p.data_version for p in personas}) or ["–"]),
        "",
    ]
    out += ["## Contents", ""]
    for v in views:
        out.append(
            f"- [{md_text(v['p'].title.text)}](#{v['anchor']})"
            + (" — negative" if v["p"].role == "negative" else "")
        )
    if personas:
        out.append("- [Side by side](#comparison)")
    for s in _section_views(sections):
        out.append(f"- [{md_text(s['s'].title)}](#{s['anchor']})")
    out += ["", '<a id="personas"></a>', "", "## Personas", ""]
    if not personas:
        out += ["No personas have been built yet.", ""]
    for n, v in enumerate(views, 1):
        out += _md_persona(v, n)
    if personas:
        rows = comparison_rows(personas, currency)
        out += ['<a id="comparison"></a>', "", "## Side by side", ""]
        out.append(
            md_table(
                [""] + [p.title.text for p in personas],
                [[r.label, *r.cells] for r in rows],
                [False] + [False] * len(personas),
            )
        )
        out.append("")
    if sections:
        out += ['<a id="profile"></a>', "", "## Customer profile", ""]
    for s in _section_views(sections):
        sec: ReportSection = s["s"]
        out += [f'<a id="{s["anchor"]}"></a>', "", f"### {md_text(sec.title)}", ""]
        if sec.intro:
            out += [md_text(sec.intro), ""]
        for c in sec.charts:
            path = chart_paths.get(c.key)
            out.append(f"**{md_text(c.title)}**")
            out.append("")
            if path:
                out.append(f"![{md_text(c.alt)}]({path})")
            else:
                out.append(f"*(chart: {md_text(c.alt)})*")
            if c.caption:
                out += ["", f"*{md_text(c.caption)}*"]
            out.append("")
        for t in sec.tables:
            out += [f"**{md_text(t.title)}**", "", md_table(t.columns, t.rows, list(t.numeric))]
            if t.note:
                out += ["", f"*{md_text(t.note)}*"]
            out.append("")
        for note in sec.notes:
            out.append(f"> {md_text(note)}")
        if sec.notes:
            out.append("")
    out += [
        "## How to read this report",
        "",
        "Names and pictures are illustrative; every other statement is a claim about real "
        "customers and carries its evidence (the footnotes): the table it was computed from, "
        "the segment's value against everyone's, the lift, the adjusted p-value and the "
        "number of members, or the source records of a quote.",
        "",
        *(f"- **{k.capitalize()}** — {h}" for k, h in QUALITY_HELP.items()),
        "",
    ]
    return "\n".join(out)


# --------------------------------------------------------------------------- PDF

# Condensing steps for the one-pager, tried in order until the page count is 1.
_PDF_DENSITIES = ("large", "normal", "compact", "tight", "minimal")


def render_onepager(
    p: Persona, index: int, currency: str, density: str = "large", avatar: str | None = None
) -> str:
    """The print HTML of one persona's one-page summary."""
    view = _view(p, index, currency)
    view["avatar_uri"] = avatar or avatar_data_uri(p.naming.avatar_svg)
    return (
        _environment()
        .get_template("persona_onepager.html.j2")
        .render(v=view, density=density, title=p.title.text)
    )


def _write_pdf(p: Persona, index: int, currency: str, path: Path, weasyprint: Any) -> str | None:
    """Write one persona's PDF, condensing until it fits one page; a warning if it never does."""
    document = None
    avatar = avatar_data_uri(p.naming.avatar_svg)
    for density in _PDF_DENSITIES:
        html = render_onepager(p, index, currency, density, avatar)
        document = weasyprint.HTML(string=html, base_url=None).render()
        if len(document.pages) == 1:
            _atomic_bytes(path, document.write_pdf())
            return None
    assert document is not None
    _atomic_bytes(path, document.copy(document.pages[:1]).write_pdf())
    return f"{path.name}: the one-pager did not fit one page even condensed; cut after page 1."


def _import_weasyprint() -> tuple[Any, str | None]:
    try:
        # imported only when PDFs are wanted: it needs system libraries (Pango) to load
        import weasyprint
    except (ImportError, OSError) as exc:
        return None, (
            f"PDFs skipped: WeasyPrint cannot load ({exc.__class__.__name__}: {exc}). "
            "Install Pango (e.g. `apt-get install libpango-1.0-0 libpangoft2-1.0-0`) or "
            "write the report with pdf=False."
        )
    return weasyprint, None


# --------------------------------------------------------------------------- files


def _atomic_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file, so a reader (web app) never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_text(path: Path, text: str) -> None:
    _atomic_bytes(path, text.encode("utf-8"))


def _remove_stale(folder: Path, keep: set[str], suffixes: tuple[str, ...]) -> None:
    """Drop files of personas or charts no longer in the report (a deleted persona must
    not linger in the published folder)."""
    if not folder.is_dir():
        return
    for f in folder.iterdir():
        if f.is_file() and f.suffix in suffixes and f.name not in keep:
            f.unlink()


def write_report(
    personas: list[Persona],
    sections: list[ReportSection],
    out_dir: Path,
    *,
    title: str,
    subtitle: str = "",
    currency: str = "USD",
    pdf: bool = True,
    data_date: str | None = None,
) -> ReportFiles:
    """Write the persona report in every format into ``out_dir`` (e.g. ``reports/``).

    ``data_date`` (e.g. the last order date) is shown in the header; without it the
    generation date is shown instead."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    persona_dir = out_dir / "personas"
    chart_dir = out_dir / "charts"
    files = ReportFiles(
        html=out_dir / HTML_NAME, markdown=out_dir / MARKDOWN_NAME, json=out_dir / JSON_NAME
    )
    stems = [slug(p.id) for p in personas]
    if len(set(stems)) != len(stems):
        raise ValueError(f"persona ids are not unique once made file-safe: {stems}")

    # JSON: the documents themselves
    docs = [p.model_dump(mode="json") for p in personas]
    _atomic_text(files.json, json.dumps(docs, indent=2, ensure_ascii=False) + "\n")
    for p, stem, doc in zip(personas, stems, docs, strict=True):
        path = persona_dir / f"{stem}.json"
        _atomic_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        _atomic_text(persona_dir / f"{stem}.svg", clean_svg(p.naming.avatar_svg, drop_titles=True))
        files.persona_json.append(path)

    # charts exported for the Markdown
    chart_paths: dict[str, str] = {}
    for section in sections:
        for chart in section.charts:
            name = f"{slug(chart.key)}.svg"
            path = chart_dir / name
            _atomic_text(path, clean_svg(chart.svg))
            chart_paths[chart.key] = f"charts/{name}"
            files.charts.append(path)
    _remove_stale(chart_dir, {p.name for p in files.charts}, (".svg",))

    common = {"title": title, "subtitle": subtitle, "currency": currency, "data_date": data_date}
    _atomic_text(files.html, render_html(personas, sections, **common))
    _atomic_text(
        files.markdown, render_markdown(personas, sections, chart_paths=chart_paths, **common)
    )

    keep = {f"{s}{ext}" for s in stems for ext in (".json", ".svg")}
    if pdf:
        weasyprint, problem = _import_weasyprint()
        if problem:
            log.warning(problem)
            files.warnings.append(problem)
        else:
            for i, (p, stem) in enumerate(zip(personas, stems, strict=True)):
                path = persona_dir / f"{stem}.pdf"
                warning = _write_pdf(p, i, currency, path, weasyprint)
                if warning:
                    log.warning(warning)
                    files.warnings.append(warning)
                files.pdfs.append(path)
                keep.add(path.name)
    _remove_stale(persona_dir, keep, (".json", ".svg", ".pdf"))
    return files
