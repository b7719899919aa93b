"""The persona report's page for everyone, when texts were read but nobody was identified.

Texts that carry no identifier (anonymous reviews, say) are still analysed by the text step
— sentiment, facets, themes, scrubbed quotes — but without profiles there are no segments
and no personas. The report then describes everyone from the texts alone: per facet the
themes, how many texts carry each, and its quote from ``text_themes``. It makes no claim
about customers — no head count, share or value — because none is known.

Minimum group size (``[governance] min_group_size``, k): with no writer known, a theme's
texts are counted instead of its people, and a theme in fewer than k texts is neither
listed nor quoted; a source with fewer than k texts shows no sentiment figures.
"""

from __future__ import annotations

import duckdb

from personae.engine import DuckDBEngine
from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, check_k, fewer_than, small
from personae.reports.sections import ReportSection, Table
from personae.text.facets import FACET_TITLES, FACETS

NO_IDENTITY = (
    "This report describes everyone: no customer could be identified, because no ingested "
    "record carries an identifier (e-mail, phone, customer or CRM id), so there are no "
    "profiles, segments or personas — only what the texts say. Fix: add a file that names "
    "your customers with an identifier such as e-mail or customer id (`personae add FILE -w "
    "WORKSPACE`), or map the identifier column of a file you have, then `personae run`."
)


def _identified(con: duckdb.DuckDBPyConnection) -> bool:
    if not DuckDBEngine(con).has_table("profiles"):
        return False
    return bool(con.execute("SELECT count(*) FROM profiles WHERE NOT anonymous").fetchone()[0])


def anonymous_voice(
    con: duckdb.DuckDBPyConnection, min_group_size: int = DEFAULT_MIN_GROUP_SIZE
) -> list[ReportSection]:
    """The "what everyone says" section, or none: when somebody is identified (their
    personas speak for them) or no text was analysed."""
    eng = DuckDBEngine(con)
    if _identified(con) or not all(
        eng.has_table(t) for t in ("text_docs", "text_snippets", "text_themes")
    ):
        return []
    k = check_k(min_group_size)
    sources = con.execute(
        "SELECT source, count(*), avg(sentiment), avg((sentiment_label = 'positive')::INT), "
        "avg((sentiment_label = 'negative')::INT) FROM text_docs GROUP BY source ORDER BY source"
    ).fetchall()
    documents = sum(n for _, n, *_ in sources)
    if not documents:
        return []
    tables = [
        Table(
            "Sentiment by source",
            ["source", "texts", "mean sentiment", "positive", "negative"],
            [
                [src, f"{n:,}", "–", "–", "–"]
                if small(n, k)
                else [src, f"{n:,}", f"{mean:+.2f}", f"{pos:.0%}", f"{neg:.0%}"]
                for src, n, mean, pos, neg in sources
            ],
            [False, True, True, True, True],
            note="Sentiment is VADER with personae's customer-experience lexicon "
            "(docs/sentiment.md); a source with " + fewer_than(k, "texts") + " shows no figures.",
        )
    ]
    themes = con.execute(
        "SELECT t.facet, t.label, t.quote, t.quote_record_id, t.mean_sentiment, "
        "count(DISTINCT s.doc_id) AS texts FROM text_themes t JOIN text_snippets s "
        "ON s.facet = t.facet AND CAST(s.theme_id AS BIGINT) = t.theme_id "
        "GROUP BY ALL ORDER BY texts DESC, t.label"
    ).fetchall()
    withheld = 0
    for facet in FACETS:
        rows = []
        for f, label, quote, record, sentiment, texts in themes:
            if f != facet:
                continue
            if small(texts, k):
                withheld += 1
                continue
            cell = "“" + " ".join(quote.split()) + "”" if quote else "–"
            mood = "–" if sentiment is None else f"{sentiment:+.2f}"
            rows.append([label, f"{texts:,}", mood, cell, record or "–"])
        if rows:
            tables.append(
                Table(
                    FACET_TITLES[facet],
                    ["theme", "texts", "mean sentiment", "quote", "record"],
                    rows,
                    [False, True, True, False, False],
                )
            )
    notes = []  # NO_IDENTITY is the report's subtitle
    if withheld:
        notes.append(
            f"{withheld} theme{'s' if withheld > 1 else ''} in {fewer_than(k, 'texts')} "
            "not shown or quoted (minimum group size; with no writer known, texts are counted)."
        )
    if len(tables) == 1:
        notes.append("No theme is large enough to show: the texts are too few or too alike.")
    source_words = ", ".join(f"{n:,} {src}" for src, n, *_ in sources)
    return [
        ReportSection(
            key="everyone-voice",
            title="What everyone says",
            intro=f"{documents:,} texts ({source_words}), none linked to a customer, so this "
            "describes everyone who wrote. Themes are counted in texts, not people, because "
            "no writer is known; every quote went through the PII scrubber and leads back to "
            "its record (`text_docs`).",
            tables=tables,
            notes=notes,
        )
    ]
