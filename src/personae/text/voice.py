"""The voice of one group of customers: its top themes and real quotes per facet.

This is what a persona (and ``personae quotes``) asks the text step: "for these profiles,
what are their goals, pain points, objections…, and what did they say in their own words?"

* **Top themes.** A theme's *share* in the group is the mean, over group members who wrote
  anything of that facet, of the member's theme share (``theme_<facet>_<nn>`` in
  ``text_profile_attributes``): each person counts once, however much they wrote. *Lift* is
  that share over the same mean for everyone. Themes are ranked by share × lift, i.e. by
  share² over the overall share: a theme must be both common in the group and more common
  there than elsewhere — share alone ranks the themes every customer mentions first
  ("shipping costs"), lift alone ranks rare quirks first.
* **Quotes** come only from the group's own snippets of the facet. Relevance is the cosine
  between a snippet's theme weights and the group's mean theme weights (its theme
  centroid), diversity is maximal marginal relevance, one quote per person, and every
  quote goes through the PII scrubber and profanity screen of :mod:`personae.text.quotes`.
  Candidates are the better-fitting half of the group's snippets (``theme_fit``: how much
  a snippet's words are its theme's words), so vague one-liners are not quoted.
  Quotes that needed no redaction are preferred: a quote with ``[name]`` in it is used only
  when there are not enough clean ones.
* **Minimum group size** (``[governance] min_group_size``, k): a group of fewer than k
  people has no voice (:class:`VoiceError`); a facet fewer than k members wrote about gets
  no themes and no quotes (a theme's share is a mean over the facet's writers, so it rests
  on at least k of them); a quote is taken only from a snippet whose theme at least k
  people wrote (counted over everyone: the quote's words then speak for a shared concern,
  and its author is one of a group of at least k either way). ``GroupTheme.members`` may be
  a small count: callers that publish it say "fewer than k" instead. What was withheld is
  listed in :attr:`GroupVoice.withheld`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from personae.engine import DuckDBEngine
from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, check_k, fewer_than, small
from personae.text.facets import FACETS
from personae.text.pii import PiiScrubber
from personae.text.quotes import Quote, select_quotes

__all__ = ["GroupTheme", "GroupVoice", "VoiceError", "VoiceQuote", "group_voice", "safe_quotes"]


# Candidates screened per quote wanted (see safe_quotes).
POOL_PER_QUOTE = 40


class VoiceError(Exception):
    """The group or the workspace cannot give a voice; the message says what to do."""


@dataclass(frozen=True)
class GroupTheme:
    facet: str
    theme_id: int
    label: str
    top_terms: list[str]
    share: float  # mean member share of the theme (members with text of this facet)
    overall: float  # the same mean over every profile with text of this facet
    lift: float
    members: int  # group members for whom this is their main theme of the facet


@dataclass(frozen=True)
class VoiceQuote:
    """A quote with where it came from: the record, document and snippet ids."""

    facet: str
    text: str
    source: str  # survey | ticket | review | social
    record_id: str  # the source record's own id (ticket id, review id, response id…)
    doc_id: str
    snippet_id: str
    profile_id: str | None
    theme_label: str | None
    sentiment: float
    similarity: float
    redactions: dict[str, int] = field(default_factory=dict)


@dataclass
class GroupVoice:
    members: int  # profiles in the group
    with_text: int  # of which wrote anything
    documents: int
    sentiment: float | None  # mean document sentiment
    negative_share: float | None
    writers: dict[str, int] = field(default_factory=dict)  # facet -> members with snippets
    themes: dict[str, list[GroupTheme]] = field(default_factory=dict)
    quotes: dict[str, list[VoiceQuote]] = field(default_factory=dict)
    # facet -> why themes or quotes were withheld under the minimum group size
    withheld: dict[str, str] = field(default_factory=dict)


def safe_quotes(
    ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray | None,
    n: int,
    *,
    scrubber: PiiScrubber,
    profile_ids: Sequence[str | None],
    min_chars: int = 30,
    max_chars: int = 280,
    diversity: float = 0.3,
) -> list[Quote]:
    """:func:`select_quotes`, preferring quotes that needed no redaction at all.

    Only the ``POOL_PER_QUOTE × n`` candidates most similar to the centroid are screened
    (scrubbing is the expensive step): a segment of a million-document workspace can have
    tens of thousands of snippets, and the quotes come from the most typical ones anyway.
    """
    pool = max(POOL_PER_QUOTE * n, 50)
    if len(ids) > pool:
        x = np.asarray(vectors, dtype=np.float64)
        c = x.mean(axis=0) if centroid is None else np.asarray(centroid, dtype=np.float64)
        norms = np.linalg.norm(x, axis=1) * max(float(np.linalg.norm(c)), 1e-300)
        sim = np.divide(x @ c, norms, out=np.zeros(len(x)), where=norms > 0)
        keep = np.sort(np.argsort(-sim, kind="stable")[:pool])
        ids = [ids[i] for i in keep]
        texts = [texts[i] for i in keep]
        profile_ids = [profile_ids[i] for i in keep]
        vectors = x[keep]
        centroid = c
    common = dict(
        min_chars=min_chars,
        max_chars=max_chars,
        scrubber=scrubber,
        profile_ids=profile_ids,
        diversity=diversity,
    )
    clean = select_quotes(ids, texts, vectors, centroid, n=n, max_redactions=0, **common)
    if len(clean) >= n:
        return clean
    more = select_quotes(ids, texts, vectors, centroid, n=n, max_redactions=1, **common)
    authors = {q.profile_id for q in clean if q.profile_id is not None}
    chosen = {q.record_id for q in clean}
    for q in more:
        if len(clean) >= n:
            break
        if q.record_id in chosen or (q.profile_id is not None and q.profile_id in authors):
            continue
        clean.append(q)
        chosen.add(q.record_id)
        if q.profile_id is not None:
            authors.add(q.profile_id)
    return clean


def _members_table(con: duckdb.DuckDBPyConnection, members: Sequence[str] | str) -> int:
    """Register the group as ``_voice_members(profile_id)``; returns its size."""
    if isinstance(members, str):
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _voice_members AS "
                f"SELECT DISTINCT profile_id FROM profiles WHERE {members}"
            )
        except duckdb.Error as exc:
            raise VoiceError(
                f"the group predicate {members!r} does not run on profiles: {exc}. "
                "Fix: use SQL on profile columns (`personae profiles` lists them), e.g. "
                "\"age_band = '35-44' AND orders >= 3\"."
            ) from None
    else:
        ids = sorted({str(m) for m in members if m is not None})
        con.register("_voice_ids", pa.table({"profile_id": pa.array(ids, pa.string())}))
        con.execute("CREATE OR REPLACE TEMP TABLE _voice_members AS SELECT * FROM _voice_ids")
        con.unregister("_voice_ids")
    return con.execute("SELECT count(*) FROM _voice_members").fetchall()[0][0]


def group_voice(
    con: duckdb.DuckDBPyConnection,
    members: Sequence[str] | str,
    *,
    facets: Sequence[str] = FACETS,
    top: int = 5,
    quotes: int = 5,
    scrubber: PiiScrubber | None = None,
    min_chars: int = 30,
    max_chars: int = 280,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    quote_from: str | None = None,
) -> GroupVoice:
    """Top themes and quotes per facet for a group of profiles.

    ``members`` is a list of profile ids, or a SQL predicate on ``profiles`` (the part
    after WHERE). Needs ``personae text`` to have run. ``min_group_size`` is k of the
    module doc: nothing is said about fewer than k people. ``quote_from``, a predicate
    on ``profiles`` too, narrows who is quoted (a persona quotes its segment's typical
    members); themes still count every member, and a facet whose preferred writers say
    too little to fill the quotes falls back to all members.
    """
    k = check_k(min_group_size)
    eng = DuckDBEngine(con)
    if not eng.has_table("text_snippets"):
        raise VoiceError("this workspace has no text results. Fix: run `personae text` first.")
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise VoiceError(f"unknown facet {unknown[0]!r}; use one of: {', '.join(FACETS)}")
    size = _members_table(con, members)
    if small(size, k):
        raise VoiceError(
            f"the group has {fewer_than(k, 'people')}, the minimum group size: its themes and "
            "quotes would describe individuals. Fix: widen the group, or lower [governance] "
            "min_group_size if the figures stay internal."
        )
    if scrubber is None:
        from personae.text.build import scrubber_for

        scrubber = scrubber_for(con, [])
    docs = con.execute(
        """SELECT count(*), count(DISTINCT d.profile_id), avg(d.sentiment),
                  avg(CASE WHEN d.sentiment_label = 'negative' THEN 1.0
                           WHEN d.sentiment_label IS NOT NULL THEN 0.0 END)
           FROM text_docs d JOIN _voice_members m ON m.profile_id = d.profile_id"""
    ).fetchall()[0]
    voice = GroupVoice(
        members=size,
        with_text=int(docs[1]),
        documents=int(docs[0]),
        sentiment=None if docs[2] is None else float(docs[2]),
        negative_share=None if docs[3] is None else float(docs[3]),
    )
    attrs = set(eng.columns("text_profile_attributes"))
    preferred = (
        {
            str(r[0])
            for r in con.execute(
                "SELECT m.profile_id FROM _voice_members m JOIN profiles p "
                f"ON p.profile_id = m.profile_id WHERE {quote_from}"
            ).fetchall()
        }
        if quote_from
        else None
    )
    for facet in facets:
        themes = con.execute(
            "SELECT theme_id, label, top_terms FROM text_themes WHERE facet = ? ORDER BY theme_id",
            [facet],
        ).fetchall()
        cols = [f"theme_{facet}_{t[0]:02d}" for t in themes]
        voice.writers[facet] = con.execute(
            "SELECT count(DISTINCT s.profile_id) FROM text_snippets s "
            "JOIN _voice_members m ON m.profile_id = s.profile_id WHERE s.facet = ?",
            [facet],
        ).fetchall()[0][0]
        if small(voice.writers[facet], k):
            voice.themes[facet], voice.quotes[facet] = [], []
            if voice.writers[facet]:
                voice.withheld[facet] = (
                    f"{fewer_than(k, 'members')} wrote about it (minimum group size)"
                )
            continue
        holders = _main_theme_holders(con, facet) if f"text_{facet}" in attrs else {}
        if not themes or any(c not in attrs for c in cols):
            voice.themes[facet] = []
        else:
            voice.themes[facet] = _top_themes(con, facet, themes, cols, top, holders)
        writers = _theme_writers(con, facet)
        quotable = {label for label, n in writers.items() if not small(n, k)}
        voice.quotes[facet] = _quotes(
            con, facet, quotes, scrubber, min_chars, max_chars, quotable, preferred
        )
        if set(writers) - quotable:
            voice.withheld[facet] = (
                f"themes written by {fewer_than(k, 'people')} are not quoted (minimum group size)"
            )
    return voice


def _theme_writers(con: duckdb.DuckDBPyConnection, facet: str) -> dict[str, int]:
    """Theme label -> people (everyone, not only the group) with a snippet of that theme: a
    quote's theme must be shared by at least k of them, so its words cannot point to a
    handful of writers."""
    return {
        str(label): int(n)
        for label, n in con.execute(
            "SELECT theme_label, count(DISTINCT profile_id) FROM text_snippets "
            "WHERE facet = ? AND theme_label IS NOT NULL GROUP BY 1",
            [facet],
        ).fetchall()
    }


def _main_theme_holders(con: duckdb.DuckDBPyConnection, facet: str) -> dict[str, int]:
    """Theme label -> group members whose main theme of ``facet`` it is."""
    return {
        str(label): int(n)
        for label, n in con.execute(
            f"""SELECT "text_{facet}", count(*) FROM text_profile_attributes t
                JOIN _voice_members m ON m.profile_id = t.profile_id
                WHERE "text_{facet}" IS NOT NULL GROUP BY 1"""
        ).fetchall()
    }


def _top_themes(
    con: duckdb.DuckDBPyConnection,
    facet: str,
    themes: list[tuple],
    cols: list[str],
    top: int,
    mains: dict[str, int],
) -> list[GroupTheme]:
    means = ", ".join(f'avg("{c}")' for c in cols)
    present = f'"{cols[0]}" IS NOT NULL'
    overall = con.execute(
        f"SELECT {means} FROM text_profile_attributes WHERE {present}"
    ).fetchall()[0]
    group = con.execute(
        f"""SELECT {means} FROM text_profile_attributes t
            JOIN _voice_members m ON m.profile_id = t.profile_id WHERE {present}"""
    ).fetchall()[0]
    if group[0] is None:
        return []
    out = []
    for (theme_id, label, terms), share, base in zip(themes, group, overall, strict=True):
        share = float(share or 0.0)
        base = float(base or 0.0)
        lift = share / base if base > 0 else 0.0
        out.append(
            GroupTheme(
                facet,
                int(theme_id),
                str(label),
                list(terms or []),
                share,
                base,
                lift,
                int(mains.get(label, 0)),
            )
        )
    out.sort(key=lambda g: (-(g.share * g.lift), g.theme_id))
    return out[:top]


def _quotes(
    con: duckdb.DuckDBPyConnection,
    facet: str,
    n: int,
    scrubber: PiiScrubber,
    min_chars: int,
    max_chars: int,
    allowed: set[str] | None = None,
    preferred: set[str] | None = None,
) -> list[VoiceQuote]:
    """Quotes of ``facet`` from the group's snippets; with ``allowed``, only snippets of
    those themes (the themes held by enough members); with ``preferred``, only snippets
    of those profiles unless they hold fewer than ``n`` snippets."""
    rows = con.execute(
        """SELECT s.snippet_id, s.doc_id, s.record_id, s.profile_id, s.source, s.text,
                  s.sentiment, s.theme_label, s.theme_weights, s.theme_fit
           FROM text_snippets s JOIN _voice_members m ON m.profile_id = s.profile_id
           WHERE s.facet = ? AND s.theme_weights IS NOT NULL
           ORDER BY s.snippet_id""",
        [facet],
    ).fetchall()
    if allowed is not None:
        rows = [r for r in rows if r[7] is not None and str(r[7]) in allowed]
    if preferred is not None:
        narrowed = [r for r in rows if str(r[3]) in preferred]
        if len(narrowed) >= n:
            rows = narrowed
    if len(rows) >= 4 * n:  # the better-fitting half (see build.theme_fit)
        median = float(np.median([r[9] for r in rows]))
        rows = [r for r in rows if r[9] >= median]
    if not rows:
        return []
    vectors = np.array([r[8] for r in rows], dtype=np.float64)
    centroid = vectors.mean(axis=0)
    by_id = {r[0]: r for r in rows}
    chosen = safe_quotes(
        [r[0] for r in rows],
        [r[5] for r in rows],
        vectors,
        centroid,
        n,
        scrubber=scrubber,
        profile_ids=[r[3] for r in rows],
        min_chars=min_chars,
        max_chars=max_chars,
    )
    out = []
    for q in chosen:
        r = by_id[q.record_id]
        out.append(
            VoiceQuote(
                facet=facet,
                text=q.text,
                source=r[4],
                record_id=r[2],
                doc_id=r[1],
                snippet_id=r[0],
                profile_id=r[3],
                theme_label=r[7],
                sentiment=float(r[6]),
                similarity=q.similarity,
                redactions=dict(q.redactions),
            )
        )
    return out
