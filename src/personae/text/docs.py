"""``text_docs``: every free-text field the workspace holds, one row per document.

Why one table: sentiment, themes, facets and quotes should not care whether a sentence
came from a survey, a ticket, a review or a post. Each document keeps what identifies and
qualifies it — its source and natural record id (``TCK-…``, ``RV-…``), the file and row it
was read from, the profile it belongs to (through ``record_profiles``, so the identity
step decides who wrote it), the survey question it answers, a rating where the source has
one, and its time — so every later claim can point back to the record.

Which survey questions are free text is decided from the data with the same rule that
makes the other questions profile attributes
(:data:`personae.profiles.attributes.STRUCTURED_QUESTION_RULE`): a
question with few distinct answers is a choice list, the rest are free text.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from personae.engine import DuckDBEngine
from personae.profiles.attributes import structured_questions_sql
from personae.value.transactions import columns_of

# source kind -> the short source name used in text_docs
SOURCES = {
    "survey_responses": "survey",
    "tickets": "ticket",
    "reviews": "review",
    "social_posts": "social",
}


@dataclass(frozen=True)
class RecordSource:
    """Where a one-text-per-record source keeps its text and what qualifies it."""

    text: tuple[str, ...]  # fields joined by a newline (title and body)
    natural_id: str
    channel: str
    rating: str = ""
    category: str = ""


RECORD_SOURCES = {
    "tickets": RecordSource(
        ("subject", "body"), "ticket_id", "channel", "satisfaction", "category"
    ),
    "reviews": RecordSource(("title", "body"), "review_id", "platform", "rating", "product_id"),
    "social_posts": RecordSource(("text",), "post_id", "platform"),
}

TEXT_DOC_COLUMNS = (
    "doc_id",
    "source",
    "record_id",
    "source_file",
    "source_row",
    "profile_id",
    "question_id",
    "question",
    "text",
    "rating",
    "category",
    "channel",
    "created_at",
)


def _col(have: set[str], name: str, cast: str = "VARCHAR", alias: str = "r") -> str:
    return f"{alias}.{name}" if name in have else f"CAST(NULL AS {cast})"


def _text(have: set[str], *parts: str) -> str:
    """The non-blank parts joined by a newline (title and body, subject and body)."""
    present = [f"nullif(trim({_col(have, p)}), '')" for p in parts if p in have]
    if not present:
        return "CAST(NULL AS VARCHAR)"
    if len(present) == 1:
        return present[0]
    return f"concat_ws(chr(10), {', '.join(present)})"


def _select(kind: str, have: set[str], linked: bool = True) -> str | None:
    """SELECT of one source's documents in :data:`TEXT_DOC_COLUMNS` order (None: no text)."""
    source = SOURCES[kind]
    if kind == "survey_responses":
        if "answer" not in have:
            return None
        question_key = (
            "coalesce(r.question_id, substr(md5(coalesce(r.question, '')), 1, 8))"
            if "question_id" in have
            else "substr(md5(coalesce(r.question, '')), 1, 8)"
        )
        natural = _col(have, "response_id")
        text = "nullif(trim(r.answer), '')"
        structured = (
            f"AND (r.question_id IS NULL OR r.question_id NOT IN ({structured_questions_sql()}))"
            if "question_id" in have
            else ""
        )
        # a bare number or yes/no is a score, not something a person said
        where = (
            f"{text} IS NOT NULL {structured} "
            "AND NOT regexp_matches(trim(r.answer), '^[-+0-9.,%/ ]*$') "
            "AND lower(trim(r.answer)) NOT IN ('yes', 'no', 'y', 'n', 'n/a', 'na', 'none', '-')"
        )
        doc_key = f"{natural} || ':' || {question_key}"
        rating = "CAST(NULL AS BIGINT)"
        category = "CAST(NULL AS VARCHAR)"
        channel = _col(have, "survey_name")
        created = _col(have, "submitted_at", "TIMESTAMP")
        question_id, question = _col(have, "question_id"), _col(have, "question")
    else:
        spec = RECORD_SOURCES[kind]
        text = _text(have, *spec.text)
        natural = _col(have, spec.natural_id)
        doc_key = natural
        where = f"{text} IS NOT NULL"
        rating = _col(have, spec.rating, "BIGINT") if spec.rating else "CAST(NULL AS BIGINT)"
        category = _col(have, spec.category) if spec.category else "CAST(NULL AS VARCHAR)"
        channel = _col(have, spec.channel)
        created = _col(have, "created_at", "TIMESTAMP")
        question_id = question = "CAST(NULL AS VARCHAR)"
    if text == "CAST(NULL AS VARCHAR)":
        return None
    join = (
        f"LEFT JOIN record_profiles rp ON rp.source_kind = '{kind}' "
        "AND rp.source_file = r._source_file AND rp.source_row = r._source_row"
    )
    # the natural id when the file has one, else file and row (always unique)
    key = f"coalesce({doc_key}, r._source_file || '#' || CAST(r._source_row AS VARCHAR))"
    return f"""
        SELECT '{source}:' || {key} AS doc_key, '{source}' AS source,
               coalesce({natural}, r._source_file || '#' || CAST(r._source_row AS VARCHAR))
                   AS record_id,
               r._source_file AS source_file, r._source_row AS source_row,
               {"rp.profile_id" if linked else "CAST(NULL AS VARCHAR) AS profile_id"},
               {question_id} AS question_id, {question} AS question,
               {text} AS text, {rating} AS rating, {category} AS category,
               {channel} AS channel, {created} AS created_at
        FROM raw_{kind} r
        {join if linked else ""}
        WHERE {where}
    """


def stage_text_docs(con: duckdb.DuckDBPyConnection, table: str = "_text_docs_raw") -> int:
    """Write ``table`` with every free-text document (no scores yet); returns the count.

    ``doc_id`` is the source plus the record's natural id (and the question for survey
    answers); a natural id that repeats (a re-exported ticket) gets ``~2``, ``~3``… in
    file and row order, so ``doc_id`` is unique and stable across re-runs.
    """
    eng = DuckDBEngine(con)
    # without identity results (no record carries an identifier) the texts are still read,
    # for everyone: no document belongs to a profile
    linked = eng.has_table("record_profiles")
    parts = []
    for kind in SOURCES:
        have = columns_of(con, f"raw_{kind}")
        if not have:
            continue
        sql = _select(kind, have, linked)
        if sql is not None:
            parts.append(sql)
    cols = ", ".join(TEXT_DOC_COLUMNS[1:])
    if not parts:
        con.execute(
            f"""CREATE OR REPLACE TABLE {table} (doc_id VARCHAR, source VARCHAR,
            record_id VARCHAR, source_file VARCHAR, source_row BIGINT, profile_id VARCHAR,
            question_id VARCHAR, question VARCHAR, text VARCHAR, rating BIGINT,
            category VARCHAR, channel VARCHAR, created_at TIMESTAMP)"""
        )
        return 0
    union = " UNION ALL ".join(parts)
    eng.materialize(
        table,
        f"""
        SELECT CASE WHEN n = 1 THEN doc_key ELSE doc_key || '~' || CAST(n AS VARCHAR) END
                   AS doc_id, {cols}
        FROM (
            SELECT *, row_number() OVER (PARTITION BY doc_key
                                         ORDER BY source_file, source_row) AS n
            FROM ({union}) u
        ) d
        ORDER BY source, created_at NULLS LAST, source_file, source_row
        """,
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
