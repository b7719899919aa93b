"""``reports/text.md``: what customers say, in their own words, and how it was read.

The report shows the evidence a sceptical reader needs before trusting a theme: how many
texts came from where, in which language, how each survey question was assigned a facet
(and by which rule, so a wrong guess can be fixed in ``[text.questions]``), the themes of
each facet with their size, sentiment and one scrubbed quote with its record id, and how
the number of themes was chosen.

Minimum group size (k): a theme fewer than k people wrote is neither listed nor quoted, and
a facet fewer than k people wrote about shows no counts — with a line saying so.
"""

from __future__ import annotations

from pathlib import Path

from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, check_k, fewer_than, small
from personae.reports.value_report import _table
from personae.text.build import TextResult
from personae.text.facets import FACET_TITLES, FACETS

THEMES_SHOWN = 12


def _quote_cell(text: str | None) -> str:
    if not text:
        return ""
    return "“" + " ".join(text.split()).replace("|", "/") + "”"


def render_text_report(
    result: TextResult, workspace_name: str, min_group_size: int = DEFAULT_MIN_GROUP_SIZE
) -> str:
    import pandas as pd

    k = check_k(min_group_size)
    lines = [
        f"# Voice of the customer — {workspace_name}",
        "",
        f"{result.documents:,} free-text documents; {result.linked:,} linked to a customer "
        f"profile ({result.linked / max(result.documents, 1):.0%}); {result.analysed:,} in an "
        f"analysed language; {result.profiles_with_text:,} profiles wrote something. "
        f"Built in {result.seconds:.1f} s.",
        "",
        "Every quote below went through the PII scrubber (names, e-mails, phones, URLs, card "
        "and account numbers become placeholders) and the profanity screen; the record id "
        "leads back to the source row (`text_docs`).",
        "",
        "## Sources and sentiment",
        "",
    ]
    rows = []
    for source, stats in result.sentiment.items():
        rows.append(
            {
                "source": source,
                "documents": result.by_source.get(source, stats["documents"])
                if source != "all"
                else result.documents,
                "scored": stats["documents"],
                "mean sentiment": stats["mean"],
                "positive": stats["positive"],
                "neutral": stats["neutral"],
                "negative": stats["negative"],
            }
        )
    if rows:
        lines += _table(
            pd.DataFrame(rows),
            {
                "documents": ",",
                "scored": ",",
                "mean sentiment": "+.3f",
                "positive": ".0%",
                "neutral": ".0%",
                "negative": ".0%",
            },
        )
    langs = ", ".join(f"{k} {v:,}" for k, v in result.languages.items())
    lines += [
        "",
        f"Languages: {langs or 'none'} (`und`: too short to tell). Sentiment is VADER with "
        "personae's customer-experience lexicon (see docs/sentiment.md).",
        "",
        "## Survey questions read as persona facets",
        "",
    ]
    if result.questions:
        lines += _table(
            pd.DataFrame(result.questions)[["question", "question_id", "facet", "rule", "answers"]],
            {"answers": ","},
        )
        lines += [
            "",
            "A wrong facet is fixed in `personae.toml`, e.g. `[text.questions]` "
            '`"almost stopped you" = "objection"`; `auto` reads answers sentence by sentence.',
        ]
    else:
        lines.append("No free-text survey questions.")
    lines += ["", "## Snippets per facet", ""]
    facet_rows = []
    few_facets = False
    for facet in FACETS:
        fr = result.facets.get(facet)
        if fr is None:
            continue
        few = 0 < fr.profiles < k
        few_facets = few_facets or few
        facet_rows.append(
            {
                "facet": FACET_TITLES[facet],
                "snippets": None if few else fr.snippets,
                "profiles": None if few else fr.profiles,
                "themes": len(fr.themes),
                "note": fr.note,
            }
        )
    if facet_rows:
        lines += _table(
            pd.DataFrame(facet_rows).astype({"snippets": object, "profiles": object}),
            {"snippets": ",", "profiles": ","},
        )
        if few_facets:
            lines += [
                "",
                f"Blank counts: a facet {fewer_than(k, 'people')} wrote about (minimum group "
                "size).",
            ]
    lines += [
        "",
        "A snippet is a whole survey answer (facet from its question), a whole ticket (a pain "
        "point, or a frustration when it is negative and says so: 'still', 'again'), or one "
        "sentence of a review or post sorted by cue phrases ('I wanted to…' → goal, 'I "
        "almost didn't…' → objection) and sentiment.",
    ]
    for facet in FACETS:
        fr = result.facets.get(facet)
        if fr is None or not fr.themes:
            continue
        lines += ["", f"## {FACET_TITLES[facet]}", ""]
        every = sorted(fr.themes, key=lambda t: -t["snippets"])
        # a theme of fewer than k writers is neither listed nor quoted (minimum group size)
        themes = [t for t in every if not small(t["profiles"], k)]
        withheld = len(every) - len(themes)
        shown = themes[:THEMES_SHOWN]
        lines += _table(
            pd.DataFrame(
                [
                    {
                        "theme": t["label"],
                        "snippets": t["snippets"],
                        "people": t["profiles"],
                        "sentiment": t["mean_sentiment"],
                        "top terms": ", ".join(t["top_terms"][:6]),
                        "quote": _quote_cell(t["quote"]),
                        "record": t["quote_record_id"] or "",
                    }
                    for t in shown
                ]
            ),
            {"snippets": ",", "people": ",", "sentiment": "+.2f"},
        )
        if len(themes) > THEMES_SHOWN:
            lines.append(
                f"\n…and {len(themes) - THEMES_SHOWN} smaller themes (table `text_themes`)."
            )
        if withheld:
            lines.append(
                f"\n{withheld} theme{'s' if withheld > 1 else ''} written by "
                f"{fewer_than(k, 'people')} not shown or quoted (minimum group size)."
            )
        chosen = [r for r in fr.selection if r.get("chosen")]
        if chosen:
            tried = ", ".join(str(r["k"]) for r in fr.selection)
            lines += [
                "",
                f"{len(fr.themes)} themes: the largest number whose coherence is within 10% "
                f"of the best (k tried: {tried}; `text_models` has the table).",
            ]
    lines += [
        "",
        "## Using it",
        "",
        "- Per-profile results are columns of `profiles`: `text_documents`, `text_sentiment`, "
        "`text_negative_share`, `text_<facet>` (main theme) and `theme_<facet>_<nn>` "
        "(theme shares).",
        '- Quotes for any group: `personae quotes --where "<SQL on profiles>"` '
        "(or `personae.text.voice.group_voice` in Python).",
        "",
    ]
    return "\n".join(lines)


def write_text_report(
    result: TextResult,
    reports_dir: Path,
    workspace_name: str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / "text.md"
    text = render_text_report(result, workspace_name, min_group_size)
    path.write_text(text, encoding="utf-8")
    return path
