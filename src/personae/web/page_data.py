"""What the persona library pages show: queries on the workspace and views built for templates.

The routes in :mod:`personae.web.pages` stay thin: they check who is asking, call one
function here and render a template. Everything a page needs is computed here, from the
same documents and tables the static report uses, and rendered with the report's own
helpers (:mod:`personae.reports.persona_report`), so the library and ``personas.html`` never
disagree about a number.

Privacy: every function whose name does not start with ``profile`` returns personas and
aggregates only (segment figures, shares, persona documents whose quotes are already
scrubbed). Individual profiles (:func:`search_profiles`, :func:`profile_view`) are for
routes that have checked the analyst role.

Charts are the slow part (vl-convert takes seconds for a page of them), so the rendered
SVG is kept in memory per workspace and data version (:class:`ChartCache`); a re-segmented
workspace gets a new data version and fresh charts.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
from markupsafe import Markup

from personae.personas.build import PersonaBuilder, load_personas
from personae.personas.schema import Persona
from personae.reports import charts
from personae.reports.persona_report import (
    comparison_rows,
    fmt_int,
    fmt_money,
    fmt_num,
    fmt_pct,
    inline_svg,
    persona_view,
)
from personae.reports.profile_report import ProfileReportError, profile_report
from personae.reports.sections import ReportSection

SEARCH_LIMIT = 20
MIN_QUERY = 2
# Sections of the customer profile report shown in the segment explorer: aggregates by
# segment only (the model check and the ICP are about other things).
EXPLORER_SECTIONS = ("segments", "attributes", "value")
DETAIL_BARS = 8  # category differences drawn in a segment's chart


# ------------------------------------------------------------------------------ personas
def _has_table(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = cur.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?",
        [name],
    ).fetchall()
    return bool(rows[0][0])


def load_library(cur: duckdb.DuckDBPyConnection) -> list[Persona]:
    """The current persona documents (primary first), or none before `personae personas`.

    Parsing them takes milliseconds, so every request reads the table afresh and a rebuilt
    persona shows at once."""
    return load_personas(cur) if _has_table(cur, "personas") else []


def currency_of(personas: list[Persona]) -> str:
    return personas[0].size.currency if personas else "USD"


def find_persona(personas: list[Persona], persona_id: str) -> tuple[int, Persona] | None:
    for i, p in enumerate(personas):
        if p.id == persona_id:
            return i, p
    return None


def summary_line(p: Persona) -> str:
    """One line that says who the persona is: the bio sentence after the size sentence."""
    return p.bio[1].text if len(p.bio) > 1 else p.bio[0].text


def gallery_cards(personas: list[Persona]) -> list[dict[str, Any]]:
    """One card per persona: picture, title, one line, size, role."""
    return [
        {
            "p": p,
            "summary": summary_line(p),
            "avatar": inline_svg(p.naming.avatar_svg, f"g{i}-", drop_titles=True),
            "noun": "accounts" if p.entity == "account" else "customers",
        }
        for i, p in enumerate(personas)
    ]


def persona_page(personas: list[Persona], index: int) -> dict[str, Any]:
    """The report's view of one persona (what ``_persona.html.j2`` renders)."""
    p = personas[index]
    return persona_view(p, index, currency_of(personas))


def parse_ids(values: list[str]) -> list[str]:
    """Persona ids from ``?ids=a&ids=b`` and ``?ids=a,b`` alike, in order, without repeats."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


@dataclass
class Comparison:
    choices: list[dict[str, Any]]  # every persona, with whether it is selected
    selected: list[dict[str, Any]]  # the personas compared, with their small avatars
    rows: list[Any]  # persona_report comparison rows
    unknown: list[str] = field(default_factory=list)


def comparison(personas: list[Persona], ids: list[str] | None) -> Comparison:
    """The side-by-side view of the chosen personas (``None``: every primary persona)."""
    if ids is None:
        chosen = [p for p in personas if p.role == "primary"] or personas
    else:
        by_id = {p.id: p for p in personas}
        chosen = [by_id[i] for i in ids if i in by_id]
    unknown = [i for i in ids or [] if i not in {p.id for p in personas}]
    chosen_ids = {p.id for p in chosen}
    choices = [
        {
            "p": p,
            "checked": p.id in chosen_ids,
            "avatar": inline_svg(p.naming.avatar_svg, f"cc{i}-", drop_titles=True),
        }
        for i, p in enumerate(personas)
    ]
    selected = [
        {"p": p, "avatar": inline_svg(p.naming.avatar_svg, f"cs{i}-", drop_titles=True)}
        for i, p in enumerate(chosen)
    ]
    rows = comparison_rows(chosen, currency_of(personas)) if chosen else []
    return Comparison(choices, selected, rows, unknown)


# ------------------------------------------------------------------------------ segments
def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def segment_rows(
    cur: duckdb.DuckDBPyConnection, personas: list[Persona], min_group_size: int = 10
) -> list[dict[str, Any]]:
    """The segment table: size, share, revenue share, value, stability, description.

    A segment of fewer than ``min_group_size`` people shows no figures (privacy).
    """
    if not _has_table(cur, "segment_descriptions"):
        return []
    currency = currency_of(personas)
    by_segment = {p.segment: p for p in personas}
    colours = charts.segment_colours(
        r[0] for r in cur.execute("SELECT segment FROM segment_descriptions").fetchall()
    )
    rows = cur.execute(
        "SELECT segment, name, role, size, share, revenue_share, mean_value, stability, "
        "sentences FROM segment_descriptions ORDER BY segment"
    ).fetchall()
    out = []
    for seg, name, role, size, share, rev, value, stability, sentences in rows:
        persona = by_segment.get(int(seg))
        if size is not None and size < min_group_size:
            out.append(
                {
                    "segment": int(seg),
                    "name": f"Segment {seg}",
                    "label": f"Segment {seg}",
                    "persona": None,
                    "role": "other",
                    "size": f"< {min_group_size}",
                    "share": "–",
                    "revenue_share": "–",
                    "value": "–",
                    "stability": "–",
                    "description": f"Not shown: fewer than {min_group_size} customers "
                    "(minimum group size).",
                    "colour": colours.get(int(seg), charts.NEUTRAL),
                }
            )
            continue
        out.append(
            {
                "segment": int(seg),
                "name": name or f"Segment {seg}",
                "label": persona.title.text if persona else (name or f"Segment {seg}"),
                "persona": persona,
                "role": role or "other",
                "size": fmt_int(size),
                "share": fmt_pct(share),
                "revenue_share": fmt_pct(rev),
                "value": fmt_money(None if _missing(value) else value, currency),
                "stability": "–" if _missing(stability) else f"{stability:.2f}",
                "description": " · ".join((sentences or [])[:2]),
                "colour": colours.get(int(seg), charts.NEUTRAL),
            }
        )
    return out


def _difference_cells(d: dict[str, Any], currency: str) -> dict[str, str]:
    """A segment difference (from segment_descriptions.differences) as table cells."""
    if d.get("kind") == "category":
        return {
            "what": f"{d.get('label') or d.get('attribute')}: {d.get('level')}",
            "segment": fmt_pct(d.get("segment_value")),
            "everyone": fmt_pct(d.get("overall_value")),
            "contrast": "–" if d.get("lift") is None else f"{d['lift']:.1f}×",
        }
    std = d.get("std_diff")
    return {
        "what": str(d.get("label") or d.get("attribute")),
        "segment": fmt_num(d.get("segment_value")),
        "everyone": fmt_num(d.get("overall_value")),
        "contrast": "–" if std is None else f"{std:+.2f} sd",
    }


def segment_detail(
    cur: duckdb.DuckDBPyConnection, segment: int, personas: list[Persona], cache: ChartCache
) -> dict[str, Any] | None:
    """One segment's figures, what sets it apart and a chart of it against everyone."""
    if not _has_table(cur, "segment_descriptions"):
        return None
    row = cur.execute(
        "SELECT segment, name, role, size, share, revenue_share, mean_value, stability, "
        "reasons, sentences, differences FROM segment_descriptions WHERE segment = ?",
        [segment],
    ).fetchall()
    if not row:
        return None
    seg, name, role, size, share, rev, value, stability, reasons, sentences, diffs = row[0]
    currency = currency_of(personas)
    differences = json.loads(diffs) if isinstance(diffs, str) else list(diffs or [])
    persona = next((p for p in personas if p.segment == segment), None)
    chart = cache.detail_chart(cur, int(seg), differences)
    return {
        "segment": int(seg),
        "name": name or f"Segment {seg}",
        "label": persona.title.text if persona else (name or f"Segment {seg}"),
        "persona": persona,
        "avatar": (
            inline_svg(persona.naming.avatar_svg, f"sd{seg}-", drop_titles=True)
            if persona
            else None
        ),
        "role": role or "other",
        "figures": [
            (
                "Customers" if not persona or persona.entity == "person" else "Accounts",
                fmt_int(size),
            ),
            ("Share", fmt_pct(share)),
            ("Share of revenue", fmt_pct(rev)),
            ("Mean lifetime value", fmt_money(None if _missing(value) else value, currency)),
            ("Stability", "–" if _missing(stability) else f"{stability:.2f}"),
        ],
        "reasons": list(reasons or []),
        "sentences": list(sentences or []),
        "differences": [_difference_cells(d, currency) for d in differences],
        "chart": chart,
        "colour": charts.segment_colours([int(seg)])[int(seg)],
    }


@dataclass
class ChartView:
    key: str
    title: str
    alt: str
    caption: str
    svg: Markup


@dataclass
class SectionView:
    key: str
    title: str
    intro: str
    charts: list[ChartView]
    tables: list[Any]
    notes: list[str]


# The report's section titles, where the explorer page says it differently ("Segments"
# is already the page's heading).
_SECTION_TITLES = {"segments": "Size and revenue by segment"}


def _section_view(index: int, s: ReportSection, *, tables: bool = True) -> SectionView:
    return SectionView(
        key=s.key,
        title=_SECTION_TITLES.get(s.key, s.title),
        intro=s.intro.replace("`", ""),
        charts=[
            ChartView(c.key, c.title, c.alt, c.caption, inline_svg(c.svg, f"x{index}-{j}-"))
            for j, c in enumerate(s.charts)
        ],
        tables=list(s.tables) if tables else [],
        notes=list(s.notes),
    )


class ChartCache:
    """Rendered explorer charts, per workspace and data version (a small LRU, thread-safe).

    A page of charts takes seconds to draw; drawing it once per data version keeps the
    explorer quick for everyone after the first visitor. A lock per key makes concurrent
    first visitors wait for one drawing rather than each start their own."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = build()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @staticmethod
    def data_version(cur: duckdb.DuckDBPyConnection) -> str:
        return PersonaBuilder.data_version(cur)

    def sections(
        self,
        cur: duckdb.DuckDBPyConnection,
        workspace: str,
        personas: list[Persona],
        min_group_size: int = 10,
    ) -> list[SectionView]:
        """The explorer's chart sections (segment shares, attributes, value by segment)."""
        if not _has_table(cur, "segment_descriptions"):
            return []
        labels = {p.segment: p.title.text for p in personas}
        currency = currency_of(personas)
        key = (
            "sections",
            workspace,
            self.data_version(cur),
            currency,
            tuple(sorted(labels.items())),
            min_group_size,
        )

        def build() -> list[SectionView]:
            try:
                sections = profile_report(
                    cur, currency=currency, segment_labels=labels, min_group_size=min_group_size
                )
            except ProfileReportError:
                return []
            shown = [s for s in sections if s.key in EXPLORER_SECTIONS]
            # the segments section's own table is the explorer's table, richer; skip it
            return [_section_view(i, s, tables=s.key != "segments") for i, s in enumerate(shown)]

        return self.get(key, build)

    def detail_chart(
        self, cur: duckdb.DuckDBPyConnection, segment: int, differences: list[dict[str, Any]]
    ) -> ChartView | None:
        """A bar chart of the segment's distinguishing category shares against everyone."""
        cats = [
            d
            for d in differences
            if d.get("kind") == "category"
            and not _missing(d.get("segment_value"))
            and not _missing(d.get("overall_value"))
        ][:DETAIL_BARS]
        if not cats:
            return None
        key = ("detail", self.data_version(cur), segment, json.dumps(cats, sort_keys=True))

        def build() -> ChartView:
            long = []
            for d in cats:
                what = f"{d.get('label') or d.get('attribute')}: {d.get('level')}"
                long.append((what, "this segment", float(d["segment_value"])))
                long.append((what, "everyone", float(d["overall_value"])))
            frame = pd.DataFrame(long, columns=["what", "measure", "share"])
            frame["text"] = [fmt_pct(v) for v in frame["share"]]
            colour = charts.segment_colours([segment])[segment]
            chart_key = f"web-segment-{segment}"
            alt_text = (
                f"Bar chart comparing segment {segment} with everyone on the "
                f"{len(cats)} traits that set it apart most."
            )
            svg = charts.render_svg(
                charts.paired_hbar(
                    frame,
                    category="what",
                    measure="measure",
                    value="share",
                    text="text",
                    value_title="share of customers",
                    colours={w: colour for w in frame["what"]},
                    measures=["everyone", "this segment"],
                ),
                chart_key,
                alt_text,
            )
            return ChartView(
                chart_key,
                "What sets this segment apart",
                alt_text,
                "Solid bars: the segment; light bars: everyone. "
                "Source: segment_descriptions.differences.",
                inline_svg(svg, f"d{segment}-"),
            )

        return self.get(key, build)


# ------------------------------------------------------------------------------ profiles
_SEARCH_COLUMNS = ("profile_id", "user_id", "email", "phone", "first_name", "last_name")


def _profile_columns(cur: duckdb.DuckDBPyConnection) -> set[str]:
    rows = cur.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = 'profiles'"
    ).fetchall()
    return {r[0] for r in rows}


def search_profiles(
    cur: duckdb.DuckDBPyConnection, query: str, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """Profiles whose email, name, user id, phone or profile id matches ``query``.

    Case-insensitive substring match; a query with four digits or more also matches phone
    numbers written with other punctuation (``555-0123`` finds ``+1 555 0123``). Exact
    matches come first. For analysts only: the rows carry personal data."""
    q = query.strip()
    if len(q) < MIN_QUERY or not _has_table(cur, "profiles"):
        return []
    cols = _profile_columns(cur)
    present = [c for c in _SEARCH_COLUMNS if c in cols]
    if "profile_id" not in present:
        return []
    like = f"%{q.lower()}%"
    conditions = [f"lower(CAST(p.{c} AS VARCHAR)) LIKE ?" for c in present]
    params: list[Any] = [like] * len(present)
    if {"first_name", "last_name"} <= cols:
        conditions.append("lower(concat_ws(' ', p.first_name, p.last_name)) LIKE ?")
        params.append(like)
    digits = "".join(ch for ch in q if ch.isdigit())
    if "phone" in cols and len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) // 2:
        conditions.append("regexp_replace(p.phone, '[^0-9]', '', 'g') LIKE ?")
        params.append(f"%{digits}%")
    exact = [f"lower(CAST(p.{c} AS VARCHAR)) = ?" for c in present]
    params_exact = [q.lower()] * len(present)
    select = ", ".join(f"p.{c}" if c in cols else f"NULL AS {c}" for c in _SEARCH_COLUMNS)
    seg_join = ""
    seg_cols = "NULL AS segment, NULL AS segment_name"
    if _has_table(cur, "segments"):
        seg_join = "LEFT JOIN segments s ON s.entity = 'person' AND s.entity_id = p.profile_id"
        seg_cols = "s.segment, s.segment_name"
    sql = (
        f"SELECT {select}, {seg_cols} FROM profiles p {seg_join} "
        f"WHERE {' OR '.join(conditions)} "
        f"ORDER BY ({' OR '.join(exact)}) DESC, p.last_name NULLS LAST, p.profile_id "
        f"LIMIT {int(limit)}"
    )
    rows = cur.execute(sql, params + params_exact).fetchall()
    names = (*_SEARCH_COLUMNS, "segment", "segment_name")
    out = []
    for r in rows:
        d = dict(zip(names, r, strict=True))
        d["name"] = " ".join(x for x in (d["first_name"], d["last_name"]) if x) or None
        out.append(d)
    return out


def _fmt_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_num(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_fmt_value(v) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _known(value: Any) -> bool:
    return not (value is None or (isinstance(value, float) and math.isnan(value)) or value == "")


def _pairs(mapping: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Known values only, labelled readably (an empty trait says nothing)."""
    return [(k.replace("_", " "), _fmt_value(v)) for k, v in (mapping or {}).items() if _known(v)]


def profile_view(doc: dict[str, Any], personas: list[Persona]) -> dict[str, Any]:
    """A profile document (``Server.profile_document``) laid out for the profile page."""
    traits = doc.get("traits") or {}
    name = " ".join(str(traits[k]) for k in ("first_name", "last_name") if traits.get(k))
    persona = doc.get("persona")
    persona_doc = next((p for p in personas if persona and p.id == persona.get("id")), None)
    events = []
    for e in doc.get("recent_events") or []:
        props = e.get("properties")
        events.append(
            {
                "timestamp": _fmt_value(e.get("timestamp")),
                "type": e.get("type") or "–",
                "what": e.get("event") or e.get("name") or "–",
                "properties": (
                    json.dumps(props, ensure_ascii=False, default=str, sort_keys=True)
                    if props
                    else ""
                ),
            }
        )
    segment = doc.get("segment")
    return {
        "profile_id": doc.get("profile_id"),
        "name": name or traits.get("email") or doc.get("profile_id"),
        "identifiers": [(i.get("type"), i.get("value")) for i in doc.get("identifiers") or []],
        "traits": _pairs(traits),
        "computed": _pairs(doc.get("computed")),
        "value": _pairs(doc.get("value")),
        "segment": segment,
        "segment_probability": (
            fmt_pct(segment.get("probability")) if segment and segment.get("probability") else None
        ),
        "persona": persona,
        "persona_avatar": (
            inline_svg(persona_doc.naming.avatar_svg, "pp-", drop_titles=True)
            if persona_doc
            else None
        ),
        "icp": doc.get("icp"),
        "events": events,
        "updated_at": doc.get("updated_at"),
    }
