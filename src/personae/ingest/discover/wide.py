"""Discovery of wide survey exports (one row per respondent, one column per question).

A vendor's wide layout is recognised by its preset (``layout = "wide"``); a survey with
no preset — a respondent id or a time, then many columns headed by question texts — is
recognised by its headers and their answers. Either way the source is written with
``layout = "wide"``, its header rows and its respondent columns, so that ingest reshapes
it (see :mod:`personae.ingest.wide`); the question columns are not mapped to fields.
"""

from __future__ import annotations

from dataclasses import replace

from personae.ingest.discover.model import FileDecision
from personae.ingest.discover.presets import Preset, looks_like_question
from personae.ingest.discover.profile import profile_sample
from personae.ingest.discover.score import fit_kind
from personae.ingest.schema import normalise_header
from personae.ingest.wide import ANSWER_FIELDS

KIND = "survey_responses"
MIN_QUESTIONS = 3  # question-like columns a survey without a preset needs


def drop_header_rows(d: FileDecision, preset: Preset) -> None:
    """The rows below the first header row are headers too (Qualtrics: question texts and
    import ids): they are not sampled values, so they leave the sample before profiling."""
    extra = preset.header_rows - 1
    if extra <= 0 or d.sample is None:
        return
    d.sample = replace(d.sample, values=[col[extra:] for col in d.sample.values])
    d.profiles = profile_sample(d.sample)


def settle_preset(d: FileDecision, preset: Preset) -> None:
    """After the preset's mapping: keep only respondent columns mapped, note the rest as
    questions, and say how ingest reshapes the file."""
    listed = {normalise_header(h) for h in preset.listed}
    mapped = {c.column for c in d.mapping.values()}
    questions = [c for c in d.columns if normalise_header(c) not in listed and c not in mapped]
    _as_wide(d, questions, preset.header_rows, [c for c in d.columns if c not in questions])


def _as_wide(
    d: FileDecision, questions: list[str], header_rows: int, respondent: list[str]
) -> None:
    qset = set(questions)
    d.mapping = {
        f: c for f, c in d.mapping.items() if f not in ANSWER_FIELDS and c.column not in qset
    }
    mapped = {c.column for c in d.mapping.values()}
    d.answers_from = questions
    d.settings = {"layout": "wide", "header_rows": header_rows}
    metadata = [c for c in respondent if c not in mapped]
    if metadata:
        d.settings["metadata"] = metadata
    d.notes.append(
        f"wide survey: one row per respondent; its {len(questions)} question columns become "
        "one answer row each (multi-selects split, numeric scales kept as numbers)"
    )


def settled(d: FileDecision) -> None:
    """A wide survey's answers come from its question columns: no column is asked for."""
    if d.settings.get("layout") == "wide":
        d.questions = [q for q in d.questions if q.subject not in ANSWER_FIELDS]


def detect(d: FileDecision) -> bool:
    """A wide survey with no preset: several columns headed by question texts, and a
    column that identifies the respondent. Decides the file when it is one."""
    if d.sample is None or not d.profiles:
        return False
    questions = [p.name for p in d.profiles if looks_like_question(p.name) and p.non_null]
    if len(questions) < MIN_QUESTIONS:
        return False
    rest = [p for p in d.profiles if p.name not in questions]
    fit = fit_kind(rest, KIND, file_name=d.path.name)
    if "question" in fit.mapping:  # a long-form survey: its questions are in a column
        return False
    if "response_id" not in fit.mapping and "submitted_at" not in fit.mapping:
        return False
    d.kind = KIND
    d.confidence = fit.mapping.get("response_id", fit.mapping.get("submitted_at")).confidence
    d.mapping = fit.mapping
    d.notes += fit.notes
    shown = ", ".join(repr(q) for q in questions[:3]) + (", …" if len(questions) > 3 else "")
    d.evidence = [
        f"{len(questions)} columns headed by questions ({shown}) beside respondent columns",
        *[f"{c.field} ← {c.column!r} ({c.evidence[0]})" for c in list(fit.mapping.values())[:3]],
    ]
    _as_wide(d, questions, 1, [p.name for p in rest])
    return True
