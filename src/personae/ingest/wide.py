"""Wide survey exports: one row per respondent, one column per question, reshaped to the
long ``survey_responses`` rows (one row per answer) at ingest.

Google Forms, Typeform, SurveyMonkey and Qualtrics all export this way. The source says
``layout = "wide"`` (a preset does, see docs/dev/presets.md), how many header rows the
export has (Qualtrics 3: ids, question texts, ImportId JSON; SurveyMonkey 2: question
texts, then sub-answers) and which of its columns describe the respondent rather than a
question (``metadata``; the columns mapped to fields are respondent columns too).

Why two passes: a respondent, not an answer, is what the file holds. The respondent pass
checks the respondent's own columns (id, time, e-mail ...) with the ordinary rules,
quarantines a bad respondent once (the whole row, with the reason) and drops erased
people; the answer pass unpivots the good respondents' question columns (DuckDB
``UNPIVOT``) into a long stage that the ordinary loader checks and appends. The file's
ledger counts respondents (rows in = ingested + rejected + duplicates + erased); the
answers written are reported beside them.

What is read from the contents, not from word lists:

* a column is a *multi-select* when its values, split at ``;``, ``", "`` or ``,``, are a
  small set of repeated options (free text with commas is not: its pieces rarely repeat);
* a SurveyMonkey option column (a multi-choice question's one column per option) is one
  whose every value is the option's own label; such columns merge into one question;
* a column is a *numeric scale* when every answer is a number: ``answer_value`` keeps it
  as a number (``answer`` keeps the text, which the voice-of-the-customer step skips).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from personae.engine import quote_literal as lit
from personae.ingest.columns import decide_columns
from personae.ingest.dialect import Decision
from personae.ingest.errors import IngestError
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import SourceKind
from personae.ingest.validate import (
    ParseOptions,
    build_checks_sql,
    build_rejected_sql,
    reason_sql,
)

if TYPE_CHECKING:
    from personae.governance.pseudonyms import Pseudonymiser
    from personae.governance.tombstones import TombstoneGuard
    from personae.ingest.loader import FileReport

# fields an answer carries: never taken from a respondent column by its header
ANSWER_FIELDS = ("question", "question_id", "answer", "answer_value")
SEPARATORS = (";", ", ", ",")  # tried in this order (a ";" list may hold ", " inside)
_QUESTION_COL = "(question)"  # the respondent pass's stand-in question (never a header)
_NUMBER = r"^[-+]?[0-9]+([.,][0-9]+)?$"
_BLANK_HEADER = re.compile(r"^column_(\d+)$")  # how the reader names an empty header cell


@dataclass(frozen=True)
class WideLayout:
    """How a wide export is laid out (from the source's settings or its preset)."""

    header_rows: int = 1
    metadata: tuple[str, ...] = ()  # first-row headers of respondent columns, not questions


@dataclass
class QuestionColumn:
    """One question column of the file, as the reshaping reads it."""

    index: int  # the column's position in the staged file (``__s<index>``)
    question: str
    question_id: str | None
    mode: str = "single"  # "single", "split" (multi-select in one cell) or "option"
    separator: str | None = None
    numeric: bool = False


@cache
def _known_questions() -> dict[str, list[str]]:
    path = Path(__file__).with_name("questions.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))["known"]


def question_slug(text: str, words: int = 6) -> str:
    """A question id from its text ("How did you first hear about us?" ->
    ``how_did_you_first_hear_about``): the same text gets the same id in every file (the
    waves of one survey), and profile attributes read ``survey_<id>``. Standard questions
    (questions.toml: "How likely are you to recommend us…") get their standard id (nps)."""
    lowered = text.lower()
    for qid, phrases in _known_questions().items():
        if any(p in lowered for p in phrases):
            return qid
    tokens = re.findall(r"[^\W_]+", lowered)
    return "_".join(tokens[:words])[:48] or "question"


def _name_questions(questions: list[QuestionColumn]) -> None:
    """Exports without question ids (Google Forms, Typeform, SurveyMonkey) get one per
    question text; two texts with the same first words get a numbered id."""
    by_text: dict[str, str] = {}
    taken = {q.question_id for q in questions if q.question_id}
    for q in questions:
        if q.question_id:
            continue
        if q.question not in by_text:
            slug = base = question_slug(q.question)
            n = 2
            while slug in taken:
                slug, n = f"{base}_{n}", n + 1
            taken.add(slug)
            by_text[q.question] = slug
        q.question_id = by_text[q.question]


def load_wide(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    report: FileReport,
    stage: str,
    columns: list[str],
    types: list[str],
    explicit: Mapping[str, str],
    options: ParseOptions,
    layout: WideLayout,
    run_id: str,
    now: datetime,
    pseudonyms: Pseudonymiser | None = None,
    *,
    tombstones: TombstoneGuard | None = None,
    source_name: str | None = None,
) -> None:
    """Reshape a staged wide export and load its answers (the loader's hook for
    ``layout = "wide"``). Leaves a ``_checks`` table, as :func:`load_staged` does."""
    from personae.governance.tombstones import guard_for
    from personae.ingest.loader import FileReport as _Report
    from personae.ingest.loader import load_staged, tally_checks

    path = Path(report.path)
    if kind.name != "survey_responses":
        raise IngestError(
            path,
            f'layout = "wide" is for survey exports, not kind {kind.name!r}',
            'set kind = "survey_responses" or remove layout = "wide"',
        )
    meta = _respondent_mapping(kind, columns, explicit, path, source_name)
    skip = layout.header_rows - 1
    headers = _header_rows(con, stage, len(columns), skip)
    # the respondent pass: the file's own columns plus a stand-in question
    resp_cols = [*columns, _QUESTION_COL]
    resp_types = [*types, "VARCHAR"]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _wide_resp AS SELECT *, "
        f"CAST('respondent' AS VARCHAR) AS __s{len(columns)} FROM {stage} "
        f"WHERE _source_row > {skip}"
    )
    resp_map = {**meta, "question": _QUESTION_COL}
    options, found = decide_columns(
        con, kind, "_wide_resp", resp_cols, resp_types, resp_map, options
    )
    report.decisions += found
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _checks AS "
        + build_checks_sql(kind, "_wide_resp", resp_cols, resp_types, resp_map, options)
    )
    guard = tombstones if tombstones is not None else guard_for(con)
    if guard is not None:
        erased = guard.mark(con, kind.name, "_wide_resp", resp_cols, resp_types, resp_map)
        con.execute("DELETE FROM _checks WHERE _source_row IN (SELECT _source_row FROM _erased)")
        con.execute("DROP TABLE _erased")
        report.rows_in += erased
        report.erased += erased
    reason = reason_sql(kind, resp_map, options)
    tally_checks(con, reason, report)
    if report.rejected:
        rejected = build_rejected_sql(kind, "_checks", "_wide_resp", resp_cols, resp_map, options)
        con.execute(f"""
            INSERT INTO quarantine
            SELECT {lit(run_id)}, {lit(kind.name)}, {lit(report.path)}, _source_row, _reason,
                   _reason_column, _reason_detail, _raw_text, md5(_raw_text),
                   TIMESTAMP {lit(now.strftime("%Y-%m-%d %H:%M:%S.%f"))}
            FROM ({rejected}) v
            WHERE NOT EXISTS (SELECT 1 FROM quarantine qq
                              WHERE qq.source_file = {lit(report.path)}
                                AND qq.source_row = v._source_row
                                AND qq.raw_hash = md5(v._raw_text))""")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _wide_good AS SELECT _source_row FROM _checks "
        f"WHERE {reason} IS NULL"
    )
    con.execute("DROP TABLE _checks")
    good = report.rows_in - report.rejected - report.erased

    # the answer pass
    used = set(meta.values()) | {c for c in layout.metadata}
    skipped = {c for f, c in explicit.items() if c and f not in meta}
    q_idx = [i for i, c in enumerate(columns) if c not in used and c not in skipped]
    _unpivot(con, stage, q_idx)
    questions = _read_questions(con, columns, headers, q_idx, layout.header_rows)
    # the respondent's own columns repeat on each answer (the unmapped ones land in _extra)
    meta_cols = [columns.index(c) for c in meta.values()]
    meta_cols += [i for i, c in enumerate(columns) if c in layout.metadata and i not in meta_cols]
    long_cols = _long_stage(con, stage, columns, meta_cols, questions)
    long_map = {f: c for f, c in meta.items()}
    long_map.update({f: f for f in ANSWER_FIELDS})
    long_types = ["VARCHAR"] * len(long_cols)
    sub = _Report(kind.name, report.path, report.format)
    options, found = decide_columns(
        con, kind, "_wide_long", long_cols, long_types, long_map, options
    )
    report.decisions += [d for d in found if d.field in ANSWER_FIELDS]
    load_staged(
        con, kind, sub, "_wide_long", long_cols, long_types, long_map, options, run_id, now,
        pseudonyms, tombstones=guard,
    )  # fmt: skip
    # lineage: each answer points at its respondent's row of the file
    con.execute(f"""UPDATE {kind.table} t SET _source_row = l._resp_row FROM _wide_long l
        WHERE t._run_id = {lit(run_id)} AND t._source_file = {lit(report.path)}
          AND t._source_row = l._source_row""")
    answered = con.execute("SELECT count(DISTINCT _resp_row) FROM _wide_long").fetchone()[0]
    written = con.execute(
        f"SELECT count(DISTINCT _source_row) FROM {kind.table} "
        f"WHERE _run_id = {lit(run_id)} AND _source_file = {lit(report.path)}"
    ).fetchone()[0]
    report.duplicates += answered - written
    report.ingested += good - (answered - written)
    report.answers = sub.ingested
    report.decisions += _decisions(columns, questions, good, answered, sub)
    for name in ("_wide_resp", "_wide_good", "_wide_cells", "_wide_long"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _respondent_mapping(
    kind: SourceKind,
    columns: list[str],
    explicit: Mapping[str, str],
    path: Path,
    source_name: str | None,
) -> dict[str, str]:
    """field -> header for the respondent's own columns (id, time, e-mail ...)."""
    cols = resolve_columns(kind, columns, explicit, path, source_name=source_name)
    return {f: c for f, c in cols.items() if f not in ANSWER_FIELDS}


def _header_rows(
    con: duckdb.DuckDBPyConnection, stage: str, width: int, skip: int
) -> list[list[str | None]]:
    """The header rows below the first (they were read as the first records)."""
    if skip <= 0:
        return []
    cells = ", ".join(f"CAST(__s{i} AS VARCHAR)" for i in range(width))
    return [
        list(r)
        for r in con.execute(
            f"SELECT {cells} FROM {stage} WHERE _source_row <= {skip} ORDER BY _source_row"
        ).fetchall()
    ]


def _unpivot(con: duckdb.DuckDBPyConnection, stage: str, q_idx: Sequence[int]) -> None:
    """``_wide_cells(_source_row, __col, __val)``: the good respondents' non-blank answers."""
    if not q_idx:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _wide_cells "
            "(_source_row BIGINT, __col VARCHAR, __val VARCHAR)"
        )
        return
    cells = ", ".join(f"CAST(s.__s{i} AS VARCHAR) AS __s{i}" for i in q_idx)
    names = ", ".join(f"__s{i}" for i in q_idx)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _wide_cells AS
        SELECT _source_row, __col, trim(__val) AS __val FROM (
            SELECT s._source_row, {cells} FROM {stage} s
            WHERE s._source_row IN (SELECT _source_row FROM _wide_good))
        UNPIVOT (__val FOR __col IN ({names}))
        WHERE trim(__val) <> ''""")


def _read_questions(
    con: duckdb.DuckDBPyConnection,
    columns: list[str],
    headers: list[list[str | None]],
    q_idx: Sequence[int],
    header_rows: int,
) -> list[QuestionColumn]:
    """Each question column's full text, id, and how its values are read."""
    out: list[QuestionColumn] = []
    label = lambda r, i: (headers[r][i] or "").strip() if r < len(headers) else ""  # noqa: E731
    stats = _column_stats(con)
    if header_rows >= 3:  # Qualtrics: ids, question texts, import ids
        for i in q_idx:
            out.append(QuestionColumn(i, label(0, i) or columns[i], columns[i]))
    elif header_rows == 2:  # SurveyMonkey: question texts (merged cells), then sub-answers
        groups: list[list[int]] = []
        for i in q_idx:
            blank = _is_blank_header(columns[i], i)
            if blank and groups and groups[-1][-1] == i - 1:
                groups[-1].append(i)
            else:
                groups.append([i])
        for group in groups:
            text = columns[group[0]]
            if len(group) == 1:
                out.append(QuestionColumn(group[0], text, None))
                continue
            for i in group:
                sub = label(0, i)
                values = stats.get(f"__s{i}", {}).get("values", set())
                if sub and values and values == {sub.lower()}:
                    out.append(QuestionColumn(i, text, None, mode="option"))
                else:
                    out.append(QuestionColumn(i, f"{text} - {sub}" if sub else text, None))
    else:
        out = [QuestionColumn(i, columns[i], None) for i in q_idx]
    _name_questions(out)
    for col in out:
        s = stats.get(f"__s{col.index}")
        if not s or col.mode == "option":
            continue
        col.numeric = s["numeric"]
        if not col.numeric and s.get("separator"):
            col.mode, col.separator = "split", s["separator"]
    return out


def _is_blank_header(name: str, index: int) -> bool:
    m = _BLANK_HEADER.match(name)
    return bool(m) and int(m.group(1)) == index + 1


def _column_stats(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per question column: numeric or not, its few distinct values, and the separator
    under which its cells read as sets of repeated options (if any)."""
    out: dict[str, dict] = {}
    for col, n, numeric, distinct, values in con.execute(f"""
        SELECT __col, count(*), bool_and(regexp_matches(__val, '{_NUMBER}')),
               count(DISTINCT lower(__val)), list_slice(list(DISTINCT lower(__val)), 1, 50)
        FROM _wide_cells GROUP BY 1""").fetchall():
        out[col] = {"n": n, "numeric": numeric, "distinct": distinct, "values": set(values)}
    seps = ", ".join(f"({i}, {lit(s)})" for i, s in enumerate(SEPARATORS))
    rows = con.execute(f"""
        WITH seps AS (SELECT * FROM (VALUES {seps}) s(sep_no, sep)),
        cells AS (SELECT __col, sep_no, any_value(sep) AS sep, count(*) AS joined
                  FROM _wide_cells, seps WHERE contains(__val, sep) GROUP BY 1, 2),
        parts AS (SELECT w.__col, c.sep_no, lower(trim(p.part)) AS part
                  FROM _wide_cells w JOIN cells c USING (__col),
                  unnest(string_split(w.__val, c.sep)) p(part)
                  WHERE trim(p.part) <> ''),
        counted AS (SELECT __col, sep_no, part, count(*) AS k FROM parts GROUP BY 1, 2, 3)
        SELECT x.__col, x.sep_no, any_value(cells.joined), count(*) AS options,
               sum(k) AS pieces, sum(k) FILTER (WHERE k >= 2) AS repeated,
               max(length(part)) AS longest
        FROM counted x JOIN cells USING (__col, sep_no)
        GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    for col, sep_no, joined, options, pieces, repeated, longest in rows:
        s = out.get(col)
        if s is None or s["numeric"] or "separator" in s:
            continue
        # a set of options: several cells list more than one, the pieces repeat, they are
        # few against the answers and short (a sentence with commas is none of these)
        if (
            joined >= 2
            and (repeated or 0) >= 0.8 * pieces
            and options * 2 <= s["n"] + 1
            and longest <= 60
        ):
            s["separator"] = SEPARATORS[sep_no]
    return out


def _long_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    columns: list[str],
    meta_cols: Sequence[int],
    questions: Sequence[QuestionColumn],
) -> list[str]:
    """``_wide_long``: one staged row per answer (multi-selects split), the respondent's
    columns repeated on each; returns its column names (``__s<i>`` in this order)."""
    con.register(
        "_wide_q",
        pa.table(
            {
                "col": [f"__s{x.index}" for x in questions],
                "pos": [x.index for x in questions],
                "question": [x.question for x in questions],
                "question_id": pa.array([x.question_id for x in questions], pa.string()),
                "sep": pa.array([x.separator for x in questions], pa.string()),
                "numeric": pa.array([x.numeric for x in questions], pa.bool_()),
            }
        ),
    )
    names = [columns[i] for i in meta_cols] + list(ANSWER_FIELDS)
    meta = "".join(f", CAST(s.__s{i} AS VARCHAR) AS __s{n}" for n, i in enumerate(meta_cols))
    k = len(meta_cols)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _wide_long AS
        SELECT row_number() OVER (ORDER BY a._source_row, a.pos, a.part_no) AS _source_row,
               a._source_row AS _resp_row, CAST(NULL AS VARCHAR) AS _raw,
               CAST(NULL AS VARCHAR) AS _reject, CAST(NULL AS VARCHAR) AS _reject_detail
               {meta}, a.question AS __s{k}, a.question_id AS __s{k + 1},
               a.answer AS __s{k + 2}, CASE WHEN a.numeric THEN a.answer END AS __s{k + 3}
        FROM (SELECT w._source_row, q.pos, q.question, q.question_id, q.numeric,
                     trim(p.part) AS answer, p.part_no
              FROM _wide_cells w JOIN _wide_q q ON q.col = w.__col,
              unnest(CASE WHEN q.sep IS NULL THEN [w.__val] ELSE string_split(w.__val, q.sep) END)
                  WITH ORDINALITY p(part, part_no)
              WHERE trim(p.part) <> '') a
        JOIN {stage} s ON s._source_row = a._source_row""")
    con.unregister("_wide_q")
    return names


def _decisions(
    columns: list[str],
    questions: Sequence[QuestionColumn],
    good: int,
    answered: int,
    sub: FileReport,
) -> list[Decision]:
    """What the reshaping did, for the ingest report (the ledger counts respondents)."""
    out = [
        Decision(
            "layout",
            f"wide survey: {good} respondents → {sub.ingested} answers",
            f"{len(questions)} question columns unpivoted; {good - answered} respondents "
            f"answered nothing; {sub.duplicates} answers already loaded"
            + (f"; {sub.rejected} answers quarantined" if sub.rejected else ""),
        )
    ]
    for x in questions:
        if x.mode == "split":
            out.append(
                Decision(
                    "multi_select",
                    f"split at {x.separator!r}",
                    "its values are sets of repeated options",
                    column=columns[x.index],
                    field="answer",
                )
            )
        elif x.numeric:
            out.append(
                Decision(
                    "numeric_scale",
                    "kept as a number in answer_value",
                    "every answer is a number",
                    column=columns[x.index],
                    field="answer_value",
                )
            )
    return out
