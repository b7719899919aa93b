"""Wide survey exports (one row per respondent, one column per question) become one answer
row per question, with the full question text, multi-select answers split and numbers
kept as numbers. Expected rows are counted from the CSV files here with the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

from personae import Workspace

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
WIDE = Path(__file__).parent / "fixtures" / "wide"


def _expected_answers(path: Path, metadata: set[str], multi: str, sep: str, delim=",") -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=delim))
    n = 0
    for row in rows:
        for col, value in row.items():
            if col in metadata or not (value or "").strip():
                continue
            n += len([v for v in value.split(sep) if v.strip()]) if col == multi else 1
    return n


def _answers(ws: Workspace) -> list[dict]:
    with ws.connect() as con:
        rows = con.execute(
            "SELECT response_id, question, answer, answer_value FROM raw_survey_responses "
            "ORDER BY _source_row, question, answer"
        ).fetchall()
    return [
        dict(zip(("response_id", "question", "answer", "answer_value"), r, strict=True))
        for r in rows
    ]


def test_google_forms_export_is_reshaped_with_full_questions_and_split_checkboxes(tmp_path):
    path = EXPORTS / "google_forms" / "responses.csv"
    multi = "Which of these have you bought from us? (tick all that apply)"
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([path])
    (f,) = ws.ingest().files
    assert f.conserved and f.rejected == 0
    got = _answers(ws)
    assert len(got) == _expected_answers(path, {"Timestamp", "Email Address"}, multi, ", ")
    questions = {r["question"] for r in got}
    assert multi in questions
    assert "How likely are you to recommend us to a friend or colleague?" in questions
    bought = {r["answer"] for r in got if r["question"] == multi}
    assert "Sourdough loaves" in bought and "Pastries" in bought
    assert not any(", " in a for a in bought)
    nps = [r for r in got if r["question"].startswith("How likely")]
    assert nps and all(r["answer_value"] is not None for r in nps)
    assert float(nps[0]["answer_value"]) == float(nps[0]["answer"])
    # free text stays whole
    better = [r["answer"] for r in got if r["question"].startswith("What is one thing")]
    assert "Open a little earlier on Saturdays, maybe 7am." in better


def test_a_wide_survey_without_a_preset_is_discovered_and_reshaped(tmp_path):
    """A German farm shop's own export: semicolons, ';'-joined multi-select, day-first."""
    path = WIDE / "kundenumfrage.csv"
    multi = "Welche Produkte kaufen Sie bei uns? (Mehrfachauswahl)"
    ws = Workspace.init(tmp_path / "ws")
    found = ws.add_files([path])
    assert not found.blocking
    (f,) = ws.ingest().files
    assert f.conserved
    meta = {"Antwort-ID", "Eingereicht am", "E-Mail", "Kundennummer"}
    got = _answers(ws)
    assert len(got) == _expected_answers(path, meta, multi, ";", delim=";")
    products = {r["answer"] for r in got if r["question"] == multi}
    assert {"Gemüse", "Eier", "Käse"} <= products


def test_a_bad_respondent_row_is_quarantined_once_and_the_others_kept(tmp_path):
    """One response with an unreadable Timestamp: that respondent's row (not one row per
    question) lands in quarantine; every other answer is ingested."""
    src = EXPORTS / "google_forms" / "responses.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    bad = lines[3].split(",", 1)
    lines[3] = "not a time," + bad[1]
    path = tmp_path / "responses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([path])
    (f,) = ws.ingest().files
    assert f.conserved and f.rejected == 1
    with ws.connect() as con:
        rows = con.execute("SELECT source_row, reason FROM quarantine").fetchall()
    assert rows == [(3, rows[0][1])]
    kept = _answers(ws)
    meta = {"Timestamp", "Email Address"}
    multi = "Which of these have you bought from us? (tick all that apply)"
    assert len(kept) < _expected_answers(src, meta, multi, ", ")
    assert not any("not a time" in str(r["response_id"]) for r in kept)


def test_free_text_answers_feed_the_voice_of_the_customer(tmp_path):
    """The open question's answers become text documents; numbers and choices do not."""
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([EXPORTS / "google_forms" / "responses.csv"])
    ws.ingest()
    ws.build()
    ws.text()
    with ws.connect() as con:
        texts = [r[0] for r in con.execute("SELECT text FROM text_docs").fetchall()]
    assert any("Open a little earlier on Saturdays" in t for t in texts)
    assert not any(t.strip() in {"9", "10", "Walking past", "Pastries"} for t in texts)


def test_the_standard_nps_question_gets_the_nps_id_and_profile_attribute(tmp_path):
    """Google Forms has no question ids: the recommend question is recognised by its wording
    (ingest/questions.toml), so profiles get survey_nps as the native demo's surveys do."""
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([EXPORTS / "google_forms" / "responses.csv"])
    ws.ingest()
    ws.build()
    with ws.connect() as con:
        ids = {
            r[0]
            for r in con.execute(
                "SELECT question_id FROM raw_survey_responses WHERE question LIKE 'How likely%'"
            ).fetchall()
        }
        cols = [r[0] for r in con.execute("DESCRIBE profiles").fetchall()]
    assert ids == {"nps"} and "survey_nps" in cols
