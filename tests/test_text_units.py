"""Units of the text step: question and sentence facets, snippets, ``text_docs`` staging on a
hand-made workspace, ``balanced_rows``, ``[text]`` settings validation, and the ``text`` /
``quotes`` commands run as a user runs them."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from personae import Workspace
from personae.config import TextSettings
from personae.text.build import balanced_rows
from personae.text.docs import TEXT_DOC_COLUMNS, stage_text_docs
from personae.text.facets import FACETS, FacetRules
from personae.text.sentiment import SentimentScorer
from tests.helpers import ingest_demo

CLI = [sys.executable, "-m", "personae.cli"]
SCORER = SentimentScorer()


def compound(text: str) -> float:
    return float(SCORER.score(text).compound)


def score(sentences: list[str]) -> np.ndarray:
    return SCORER.score_many(sentences)[0]


# ---- question facets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "facet"),
    [
        ("What almost stopped you from signing up?", "objection"),
        ("Did anything make you hesitate before your first order?", "objection"),
        ("What is the biggest obstacle in your workflow?", "pain_point"),
        ("What is the hardest part of planning meals for your family?", "pain_point"),
        ("What frustrates you most about our checkout?", "frustration"),
        ("Why did you pick us over others?", "motivation"),
        ("What made you try our meal kits?", "motivation"),
        ("What do you hope to achieve?", "goal"),
        ("What are you trying to get done this quarter?", "goal"),
        ("Anything else?", "auto"),
        ("Tell us about your weekend", "auto"),
    ],
)
def test_default_wording_rules_give_the_facet_of_realistic_questions(question, facet):
    got = FacetRules().question_facet(None, question)
    assert got.facet == facet
    if facet == "auto":
        # either no rule matched, or the comment-box rule quotes the words it saw
        assert got.rule.startswith("no rule matched") or got.rule.lower().startswith(
            "wording: 'anything else"
        )
    else:
        # the rule names the words of the question that decided it
        assert got.rule.startswith("wording: ")
        matched = got.rule.removeprefix("wording: ").strip("'\"")
        assert matched.lower() in question.lower()


def test_objection_wording_wins_over_the_pain_point_word_stop():
    # "stopped" and "problem" both occur: the objection rule is tried first
    got = FacetRules().question_facet(None, "What almost stopped you - was it a problem?")
    assert got.facet == "objection"


@pytest.mark.parametrize(
    ("question_id", "facet"),
    [
        ("Pain_Points", "pain_point"),
        ("GOALS", "goal"),
        ("motivation", "motivation"),
        ("Objections", "objection"),
        ("frustration", "frustration"),
    ],
)
def test_question_ids_that_name_a_facet(question_id, facet):
    # the id decides even when the wording says something else or nothing
    got = FacetRules().question_facet(question_id, "Anything else?")
    assert (got.facet, got.rule) == (facet, "question id")


def test_configured_question_wins_over_the_default_rules_and_is_reported():
    rules = FacetRules(questions={"almost stopped": "pain_point"})
    got = rules.question_facet("q4", "What ALMOST STOPPED you from signing up?")
    assert got.facet == "pain_point"  # the default rule would say objection
    assert "[text.questions]" in got.rule and "almost stopped" in got.rule
    # other questions still go by the default rules
    assert rules.question_facet("q5", "What do you hope to achieve?").facet == "goal"


def test_configured_question_id_matches_exactly_in_any_case_and_can_ignore():
    rules = FacetRules(questions={"Q_NPS_WHY": "ignore", "pain_points": "goal"})
    got = rules.question_facet("q_nps_why", "What is the biggest obstacle you face?")
    assert got.facet == "ignore" and "Q_NPS_WHY" in got.rule
    # a configured id beats the id → facet table too
    assert rules.question_facet("Pain_Points", None).facet == "goal"


def test_invalid_configured_facet_raises_naming_the_key():
    with pytest.raises(ValueError, match="q_reason") as err:
        FacetRules(questions={"q_reason": "complaint"})
    assert "complaint" in str(err.value)
    for choice in (*FACETS, "auto", "ignore"):
        assert choice in str(err.value)


@pytest.mark.parametrize(
    "question",
    [
        "Anything else? Tell us whatever comes to mind.",  # w-hate-ver → frustration
        "Is there anything else you want to tell us?",  # a comment box, not a goal
        "How easy was it to file a claim with us?",  # cl-aim → goal
        "Do you ship to Spain?",  # S-pain → pain_point
    ],
)
def test_wording_rules_do_not_match_inside_other_words(question):
    assert FacetRules().question_facet(None, question).facet == "auto"


# ---- sentence facets and snippets ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "band", "expected"),
    [
        # cues decide whatever the sentiment
        ("I wanted to get fit before summer.", None, ("goal", "cue")),
        ("I almost didn't order because of the price.", None, ("objection", "cue")),
        # strongly negative: a frustration by sentiment alone
        (
            "This is the worst, most horrible service I have ever had.",
            (-1.0, -0.5),
            ("frustration", "sentiment"),
        ),
        # mildly negative, but "still": a frustration by cue
        ("The app is still a bit slow.", (-0.5, -0.05), ("frustration", "cue")),
        # mildly negative, no cue: a pain point
        ("The box arrived late.", (-0.5, -0.05), ("pain_point", "sentiment")),
        ("A friend recommended you.", None, ("motivation", "cue")),
        # neutral with no cue says nothing about the persona
        ("The parcel came on Tuesday.", (-0.05, 0.3), None),
    ],
)
def test_sentence_facet(sentence, band, expected):
    c = compound(sentence)
    if band is not None:  # the sentence really is in the sentiment band the case is about
        lo, hi = band
        assert lo < c <= hi or (lo == -1.0 and c == -1.0), c
    assert FacetRules().sentence_facet(sentence, c) == expected


def test_sentence_facet_follows_the_configured_thresholds():
    sentence = "The box arrived late."
    c = compound(sentence)
    assert -0.5 < c < -0.05
    # with the frustration threshold above the sentence's score it is a frustration
    strict = FacetRules(negative_threshold=-0.05, frustration_threshold=c + 0.01)
    assert strict.sentence_facet(sentence, c) == ("frustration", "sentiment")
    # with the negative threshold below it, it is nothing at all
    lax = FacetRules(negative_threshold=c - 0.01, frustration_threshold=-0.9)
    assert lax.sentence_facet(sentence, c) is None


def test_snippets_of_a_mixed_list_of_documents():
    docs = [
        ("survey", "objection", "The price looked high.   I was not sure\nit would last."),
        (
            "ticket",
            None,
            "Refund not processed\nHi,\nI returned the jacket two weeks ago and the refund "
            "is missing.\nThanks.",
        ),
        (
            "review",
            None,
            "Great running shorts\nThe fabric is soft and they fit perfectly. I wanted to find "
            "shorts for long runs. The parcel came on Tuesday.",
        ),
        ("survey", "ignore", "I wanted to save money on groceries every week."),
        ("review", None, "Die Schuhe sind viel zu klein und der Versand war langsam."),
        ("social", None, None),
        (
            "ticket",
            None,
            "Hello,\nThe refund is still missing, this is ridiculous.\nKind regards, Ann",
        ),
    ]
    sources = [d[0] for d in docs]
    qfacets = [d[1] for d in docs]
    texts = [d[2] for d in docs]
    compounds = [math.nan if t is None else compound(t) for t in texts]
    compounds[4] = math.nan  # another language: not analysed
    snippets = FacetRules().snippets(sources, qfacets, texts, compounds, score)

    by_doc: dict[int, list] = {}
    for s in snippets:
        by_doc.setdefault(s.doc, []).append(s)
    assert [s.doc for s in snippets] == sorted(s.doc for s in snippets)
    assert set(by_doc) == {0, 1, 2, 6}  # ignored question, NaN and missing text: nothing

    # an answer to a mapped question is one snippet, the whole answer, white space tidied
    (answer,) = by_doc[0]
    assert (answer.facet, answer.how) == ("objection", "question")
    assert answer.text == "The price looked high. I was not sure it would last."
    assert answer.compound == pytest.approx(compounds[0])

    # a ticket is one snippet: no greeting or sign-off, the subject line gets its period
    (ticket,) = by_doc[1]
    assert ticket.how == "source"
    assert ticket.text == (
        "Refund not processed. I returned the jacket two weeks ago and the refund is missing."
    )
    assert compounds[1] < -0.05 and ticket.facet == "pain_point"  # negative, no anger cue
    (angry,) = by_doc[6]
    assert angry.text == "The refund is still missing, this is ridiculous."
    assert angry.facet == "frustration"

    # a review is read sentence by sentence; the neutral, cue-less sentence is left out
    review = {s.text: (s.facet, s.how) for s in by_doc[2]}
    assert review["I wanted to find shorts for long runs."] == ("goal", "cue")
    assert review["The fabric is soft and they fit perfectly."] == ("motivation", "sentiment")
    assert "The parcel came on Tuesday." not in review
    for s in by_doc[2]:
        assert s.compound == pytest.approx(compound(s.text))


def test_snippets_of_an_unmapped_answer_are_read_sentence_by_sentence():
    text = "I was hoping to cook more at home. The recipes are lovely and quick."
    qf = FacetRules().question_facet("q9", "Anything else?").facet
    assert qf == "auto"
    snippets = FacetRules().snippets(["survey"], [qf], [text], [compound(text)], score)
    assert [(s.facet, s.how, s.text) for s in snippets] == [
        ("goal", "cue", "I was hoping to cook more at home."),
        ("motivation", "sentiment", "The recipes are lovely and quick."),
    ]


def test_a_short_ticket_that_starts_with_a_greeting_still_says_something():
    text = "Hello, where is my order?"
    snippets = FacetRules().snippets(["ticket"], [None], [text], [compound(text)], score)
    assert len(snippets) == 1


# ---- text_docs on a hand-made workspace ------------------------------------------------------

N_PEOPLE = 12
DOMAIN = "mailhub.net"  # example.com is a blocked placeholder domain: it would not link
GOALS = [
    "I want to sleep better and wake up rested.",
    "Run a half marathon by next spring.",
    "Lose some weight before the wedding.",
    "Find healthy snacks my kids will actually eat.",
    "Cook more meals at home instead of ordering.",
    "Keep my back from hurting at work.",
    "Build a simple morning routine that sticks.",
    "Spend less time shopping for groceries.",
    "Learn to make bread from scratch.",
    "Get stronger so I can hike with my friends.",
    "Drink more water during the day.",
    "Stop buying cheap shoes that fall apart.",
]
EXTRAS = [  # "Is there anything else we should know?": free text, with scores mixed in
    "7",
    "10/10",
    "Yes",
    "N/A",
    "The delivery driver was always friendly and on time.",
    "Your app logs me out every single time I pay.",
    "I would love more vegetarian recipes in the weekly box.",
    "Packaging is far too bulky for a small flat like mine.",
    "My partner and I share one account which works fine.",
    "Please add a pause button for the summer holidays.",
    "The portions are generous and the food tastes fresh.",
    "Customer service solved my problem within an hour.",
]
CHANNELS = ["Email", "Instagram", "Friend"]
TICKETS = [  # (ticket_id, created_at, person, subject, body)
    ("T1", "2024-04-05 09:00:00", 1, "Order arrived broken", "Hi,\nThe lamp has a cracked base."),
    (
        "T2",
        "2024-04-02 09:00:00",
        2,
        "Wrong size",
        "I ordered a medium jacket but got a small one.",
    ),
    # the same ticket exported again, opened *earlier*: numbering goes by file row, not time
    (
        "T1",
        "2024-04-01 09:00:00",
        1,
        "Order arrived broken",
        "Hi,\nStill no reply about the cracked lamp, this is the third time I write.\nThanks.",
    ),
]
REVIEWS = [  # (review_id, person, rating, title, body)
    ("RV1", 3, 5, "Great running shorts", "The fabric is soft and they fit perfectly."),
    ("RV2", 4, 2, "Too small", "The shoes run small and the return was a hassle."),
    ("RV3", 5, 2, "Enttäuscht", "Die Schuhe sind viel zu klein und der Versand war langsam."),
]


def email(person: int) -> str:
    return f"person{person}@{DOMAIN}"


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@dataclass
class Expected:
    texts: dict[str, str]  # doc_id -> text
    emails: dict[str, str]  # doc_id -> author's email
    questions: dict[str, str]  # doc_id -> question of a survey answer


def make_small_workspace(root: Path) -> tuple[Workspace, Expected]:
    """Contacts, a long-form survey, tickets and reviews, ingested and built (no text yet)."""
    data = root / "data"
    data.mkdir(parents=True)
    people = range(1, N_PEOPLE + 1)
    _write_csv(
        data / "contacts.csv",
        ["contact_id", "email", "first_name", "last_name"],
        [[f"C{p:02d}", email(p), f"Ann{p}", f"Lee{p}"] for p in people],
    )
    exp = Expected({}, {}, {})
    survey = []
    for p in people:
        rid, when = f"R{p:02d}", "2024-03-01 10:00:00"
        survey.append(
            [rid, email(p), when, "q_channel", "How did you hear about us?", CHANNELS[p % 3]]
        )
        goal_q = "What do you hope to achieve with us?"
        survey.append([rid, email(p), when, "q_goal", goal_q, GOALS[p - 1]])
        extra_q = "Is there anything else we should know?"
        survey.append([rid, email(p), when, "q_extra", extra_q, EXTRAS[p - 1]])
        survey.append([rid, email(p), when, "q_hours", "Hours of sport a week?", str(p)])
        for qid, q, answer in (
            ("q_goal", goal_q, GOALS[p - 1]),
            ("q_extra", extra_q, EXTRAS[p - 1]),
        ):
            if qid == "q_extra" and p <= 4:  # a score, yes or n/a: not something said
                continue
            doc_id = f"survey:{rid}:{qid}"
            exp.texts[doc_id], exp.emails[doc_id], exp.questions[doc_id] = answer, email(p), q
    _write_csv(
        data / "survey.csv",
        ["response_id", "email", "submitted_at", "question_id", "question", "answer"],
        survey,
    )
    _write_csv(
        data / "tickets.csv",
        ["ticket_id", "created_at", "email", "subject", "body"],
        [[t, when, email(p), subject, body] for t, when, p, subject, body in TICKETS],
    )
    seen: dict[str, int] = {}
    for t, _, p, subject, body in TICKETS:
        seen[t] = seen.get(t, 0) + 1
        doc_id = f"ticket:{t}" if seen[t] == 1 else f"ticket:{t}~{seen[t]}"
        exp.texts[doc_id], exp.emails[doc_id] = f"{subject}\n{body}", email(p)
    _write_csv(
        data / "reviews.csv",
        ["review_id", "created_at", "email", "rating", "title", "body"],
        [
            [r, "2024-05-01 12:00:00", email(p), rating, title, body]
            for r, p, rating, title, body in REVIEWS
        ],
    )
    for r, p, _, title, body in REVIEWS:
        exp.texts[f"review:{r}"], exp.emails[f"review:{r}"] = f"{title}\n{body}", email(p)

    ws = Workspace.init(root / "ws")
    ws.add_source("crm", "contacts", [str(data / "contacts.csv")])
    ws.add_source("survey", "survey_responses", [str(data / "survey.csv")])
    ws.add_source("support", "tickets", [str(data / "tickets.csv")])
    ws.add_source("shop_reviews", "reviews", [str(data / "reviews.csv")])
    report = ws.ingest()
    assert report.rejected == 0 and report.duplicates == 0
    ws.build()
    return ws, exp


@dataclass
class SmallWs:
    ws: Workspace
    exp: Expected
    profile_columns_before: list[str]
    first: object  # TextResult of the first run


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallWs:
    ws, exp = make_small_workspace(tmp_path_factory.mktemp("text-small"))
    before = [r["column_name"] for r in ws.sql("DESCRIBE profiles").to_pylist()]
    first = ws.text()
    return SmallWs(ws, exp, before, first)


def _docs(ws: Workspace) -> dict[str, dict]:
    return {r["doc_id"]: r for r in ws.sql("SELECT * FROM text_docs").to_pylist()}


def test_stage_text_docs_writes_every_free_text_document(small):
    with small.ws.connect() as con:
        n = stage_text_docs(con, "_probe_docs")
        cols = [r[0] for r in con.execute("DESCRIBE _probe_docs").fetchall()]
        rows = con.execute("SELECT doc_id, text FROM _probe_docs").fetchall()
        con.execute("DROP TABLE _probe_docs")
    assert cols == list(TEXT_DOC_COLUMNS)
    assert n == len(rows) == len(small.exp.texts)
    assert dict(rows) == small.exp.texts


def test_structured_and_numeric_answers_are_not_text_documents(small):
    docs = _docs(small.ws)
    assert set(docs) == set(small.exp.texts)
    survey = [d for d in docs.values() if d["source"] == "survey"]
    # the choice list (3 options for 12 people) is a profile attribute, not text
    assert {d["question_id"] for d in survey} == {"q_goal", "q_extra"}
    texts = {d["text"] for d in docs.values()}
    assert not texts & {*CHANNELS, "7", "10/10", "Yes", "N/A"}
    assert not texts & {str(p) for p in range(1, N_PEOPLE + 1)}
    assert "survey_q_channel" in small.profile_columns_before
    # the free-text answers keep their question
    for doc_id, question in small.exp.questions.items():
        assert docs[doc_id]["question"] == question
        assert docs[doc_id]["question_id"] == doc_id.rsplit(":", 1)[1]


def test_duplicated_ticket_ids_get_numbered_in_file_order(small):
    docs = _docs(small.ws)
    tickets = {k: v for k, v in docs.items() if v["source"] == "ticket"}
    assert set(tickets) == {"ticket:T1", "ticket:T1~2", "ticket:T2"}
    assert tickets["ticket:T1"]["source_row"] == 1 and tickets["ticket:T1~2"]["source_row"] == 3
    assert "cracked base" in tickets["ticket:T1"]["text"]
    assert "third time" in tickets["ticket:T1~2"]["text"]
    assert tickets["ticket:T1"]["record_id"] == tickets["ticket:T1~2"]["record_id"] == "T1"


def test_review_text_is_title_then_body_with_its_rating(small):
    docs = _docs(small.ws)
    for r, _, rating, title, body in REVIEWS:
        d = docs[f"review:{r}"]
        assert d["text"] == f"{title}\n{body}"
        assert d["rating"] == rating and d["record_id"] == r


def test_every_document_belongs_to_its_authors_profile(small):
    rows = small.ws.sql(
        "SELECT d.doc_id, p.email FROM text_docs d LEFT JOIN profiles p USING (profile_id)"
    ).to_pylist()
    assert {r["doc_id"]: r["email"] for r in rows} == small.exp.emails
    assert small.first.linked == small.first.documents == len(small.exp.texts)


def test_document_language_length_and_sentiment(small):
    docs = _docs(small.ws)
    for doc_id, text in small.exp.texts.items():
        d = docs[doc_id]
        assert d["n_chars"] == len(text)
        assert d["n_words"] == len(text.split())
    german = docs["review:RV3"]
    assert german["language"] == "de"
    # not a configured language: neither scored nor faceted
    assert german["sentiment"] is None or math.isnan(german["sentiment"])
    assert german["sentiment_label"] is None and german["snippets"] == 0
    for doc_id, d in docs.items():
        if doc_id == "review:RV3":
            continue
        assert d["language"] in ("en", "und")
        s = d["sentiment"]
        assert -1.0 <= s <= 1.0
        expected = "positive" if s >= 0.05 else "negative" if s <= -0.05 else "neutral"
        assert d["sentiment_label"] == expected
    assert docs["review:RV1"]["language"] == "en"
    assert docs["review:RV1"]["sentiment_label"] == "positive"
    assert docs["ticket:T1~2"]["sentiment_label"] == "negative"


def test_text_attributes_are_joined_onto_profiles(small):
    cols = [r["column_name"] for r in small.ws.sql("DESCRIBE profiles").to_pylist()]
    assert {"text_documents", "text_sentiment"} <= set(cols)
    assert set(small.profile_columns_before) <= set(cols)
    docs_per_email: dict[str, int] = {}
    for e in small.exp.emails.values():
        docs_per_email[e] = docs_per_email.get(e, 0) + 1
    got = {
        r["email"]: r["text_documents"]
        for r in small.ws.sql("SELECT email, text_documents FROM profiles").to_pylist()
    }
    assert got == docs_per_email  # person 1: an answer, no extra (a score), two tickets


def test_running_text_again_is_idempotent(small):
    cols_1 = [r["column_name"] for r in small.ws.sql("DESCRIBE profiles").to_pylist()]
    n_1 = small.ws.sql("SELECT count(*) AS n FROM profiles").to_pylist()[0]["n"]
    docs_1 = _docs(small.ws)
    small.ws.text()
    cols_2 = [r["column_name"] for r in small.ws.sql("DESCRIBE profiles").to_pylist()]
    n_2 = small.ws.sql("SELECT count(*) AS n FROM profiles").to_pylist()[0]["n"]
    assert cols_2 == cols_1 and len(cols_2) == len(set(cols_2))
    assert n_2 == n_1
    assert _docs(small.ws) == docs_1


# ---- the CLI ---------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250"}
    env.pop("PERSONAE_WORKSPACE", None)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env)


@dataclass
class CliRun:
    path: Path
    quotes_before_text: subprocess.CompletedProcess
    text: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def demo_cli(retail_data: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """A demo workspace built, then `personae quotes` and `personae text` run in that order."""
    ws, _ = ingest_demo(retail_data, tmp_path_factory.mktemp("text-cli") / "ws")
    ws.build()
    before = run_cli("quotes", "-w", str(ws.path))
    text = run_cli("text", "-w", str(ws.path))
    return CliRun(ws.path, before, text)


def test_quotes_before_text_exits_2_and_says_to_run_text(demo_cli):
    out = demo_cli.quotes_before_text
    assert out.returncode == 2
    assert "personae text" in out.stderr
    assert "Traceback" not in out.stderr


def test_text_command_prints_the_report_and_writes_it(demo_cli):
    out = demo_cli.text
    assert out.returncode == 0, out.stderr
    report = demo_cli.path / "reports" / "text.md"
    assert "Report:" in out.stdout
    assert str(report) in out.stdout.replace("\n", "")
    assert report.is_file() and report.stat().st_size > 0
    counts = Workspace(demo_cli.path).counts()
    assert counts["text_docs"] > 0 and counts["text_snippets"] > 0


def test_quotes_with_an_unknown_column_exits_2_naming_it(demo_cli):
    assert demo_cli.text.returncode == 0, demo_cli.text.stderr
    out = run_cli("quotes", "-w", str(demo_cli.path), "--where", "no_such_column > 1")
    assert out.returncode == 2
    assert "no_such_column" in out.stderr
    assert "Traceback" not in out.stderr


def test_quotes_json_for_one_facet(demo_cli):
    assert demo_cli.text.returncode == 0, demo_cli.text.stderr
    out = run_cli("quotes", "-w", str(demo_cli.path), "--json", "--facet", "goal", "--n", "2")
    assert out.returncode == 0, out.stderr
    voice = json.loads(out.stdout)
    assert {"members", "themes", "quotes"} <= set(voice)
    ws = Workspace(demo_cli.path)
    n_profiles = ws.sql("SELECT count(*) AS n FROM profiles").to_pylist()[0]["n"]
    assert voice["members"] == n_profiles  # --where defaults to everyone
    assert set(voice["themes"]) == set(voice["quotes"]) == {"goal"}
    quotes = voice["quotes"]["goal"]
    assert 1 <= len(quotes) <= 2
    snippets = {
        r["snippet_id"]: r
        for r in ws.sql(
            "SELECT snippet_id, doc_id, profile_id, facet FROM text_snippets"
        ).to_pylist()
    }
    for q in quotes:  # every quote points back to a real goal snippet of its author
        s = snippets[q["snippet_id"]]
        assert s["facet"] == "goal"
        assert (s["doc_id"], s["profile_id"]) == (q["doc_id"], q["profile_id"])
    assert len({q["profile_id"] for q in quotes}) == len(quotes)


# ---- balanced_rows ---------------------------------------------------------------------------


def test_balanced_rows_caps_each_source_at_the_second_largest():
    sources = np.array(["ticket"] * 10 + ["survey"] * 4 + ["review"] * 2)
    rng = np.random.default_rng(3)
    sources = sources[rng.permutation(len(sources))]
    rows = balanced_rows(sources, seed=0)
    assert list(rows) == sorted(rows) and len(set(rows.tolist())) == len(rows)
    picked = sources[rows]
    assert (picked == "ticket").sum() == 4
    # the smaller sources are kept whole
    assert set(np.flatnonzero(sources == "survey")) <= set(rows.tolist())
    assert set(np.flatnonzero(sources == "review")) <= set(rows.tolist())
    assert len(rows) == 10


def test_balanced_rows_is_deterministic_per_seed():
    sources = np.array(["a"] * 30 + ["b"] * 5)
    first = balanced_rows(sources, seed=1)
    assert np.array_equal(first, balanced_rows(sources, seed=1))
    samples = {tuple(balanced_rows(sources, seed=s).tolist()) for s in range(6)}
    assert len(samples) > 1  # the seed chooses which rows of the large source are kept


def test_balanced_rows_keeps_everything_when_nothing_dominates():
    assert balanced_rows(np.array(["x"] * 7)).tolist() == list(range(7))
    assert balanced_rows(np.array([], dtype=str)).tolist() == []
    tie = np.array(["a", "b", "a", "b", "c"])
    assert balanced_rows(tie).tolist() == [0, 1, 2, 3, 4]


# ---- [text] settings ---------------------------------------------------------------------------


def test_text_settings_reject_a_frustration_threshold_above_the_negative_one():
    with pytest.raises(ValidationError, match="frustration_threshold"):
        TextSettings(frustration_threshold=-0.01, negative_threshold=-0.05)


def test_text_settings_reject_an_unknown_question_facet():
    with pytest.raises(ValidationError) as err:
        TextSettings(questions={"q_why": "complaint"})
    assert "q_why" in str(err.value)
    assert TextSettings(questions={"q_why": "motivation"}).questions == {"q_why": "motivation"}


def test_text_settings_reject_a_valence_off_vaders_scale():
    with pytest.raises(ValidationError, match="'meh'"):
        TextSettings(lexicon={"meh": 5})
    assert TextSettings(lexicon={"meh": -1.5}).lexicon == {"meh": -1.5}
