"""Voice of the customer on the demo data, judged against what the generator planted.

The truth: every archetype has its own goals, pain points and objections (phrase banks in
``personae.demo.phrases_*``); its members answer the survey's free-text questions, write
tickets, reviews and posts from them. A theme *belongs* to an archetype when its top terms
are words and word pairs of that archetype's planted phrases more than of any other's.
Some tickets and reviews carry planted personal data (e-mails, phones, names, card
numbers); no quote may ever show it.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest

from personae import Workspace
from personae.demo import phrases_retail, phrases_saas
from personae.demo.text import _parse
from personae.text.build import scrubber_for
from personae.text.facets import FACETS
from personae.text.profanity import is_profane
from personae.text.stopwords import STOP_WORDS
from tests.helpers import profile_owners, read_truth

PLANTED_FACETS = ("goal", "pain_point", "objection")
TOP = 3
# Measured on these data sets (seed 42, demo size): retail 19/21 archetype-facets have an
# own theme on top, saas 15/18; the misses are the small archetypes whose phrases share
# words with a larger one's (discount hunters' "price"/"deal" objections).
MIN_TOP1 = 0.8
MIN_IN_TOP = 0.8


@pytest.fixture(scope="module")
def retail(retail_5k) -> tuple[Workspace, Path]:
    return retail_5k


@pytest.fixture(scope="module")
def saas(saas_5k) -> tuple[Workspace, Path]:
    return saas_5k


def _grams(text: str) -> set[str]:
    """Words and adjacent word pairs (no stop words, not across punctuation), as themes
    are built."""
    out: set[str] = set()
    for chunk in re.split(r"[^a-z' -]+", text.lower()):
        toks = [
            t if t not in STOP_WORDS and len(t) > 1 else None for t in re.findall(r"[a-z]+", chunk)
        ]
        for i, t in enumerate(toks):
            if t:
                out.add(t)
                if i + 1 < len(toks) and toks[i + 1]:
                    out.add(f"{t} {toks[i + 1]}")
    return out


def _planted(bank: dict, archetype: str, facet: str) -> set[str]:
    grams: set[str] = set()
    for template in bank[archetype][facet][0]:
        parts = [(p,) if isinstance(p, str) else p for p in _parse(template)]
        for combo in itertools.islice(itertools.product(*parts), 500):
            grams |= _grams("".join(combo))
    return grams


def _owner(terms: list[str], vocab: dict[str, set[str]]) -> str | None:
    """The archetype whose planted phrases the theme's top terms come from (rank-weighted),
    or None when no archetype, or two equally, claim it."""
    scores = {
        a: sum(1 / (r + 1) for r, t in enumerate(terms[:10]) if t in v) for a, v in vocab.items()
    }
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] <= 0 or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return max(scores, key=scores.__getitem__)


def _groups(ws: Workspace, data: Path) -> dict[str, list[str]]:
    people = {r["person_id"]: r["archetype"] for r in read_truth(data, "people.csv")}
    kinds = ("contacts", "orders", "survey_responses", "tickets", "reviews", "social_posts")
    groups: dict[str, list[str]] = defaultdict(list)
    for profile, person in profile_owners(ws, data, kinds).items():
        groups[people[person]].append(profile)
    return groups


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_planted_goals_pains_and_objections_are_top_themes(scenario, request):
    ws, data = request.getfixturevalue(scenario)
    bank = (phrases_retail if scenario == "retail" else phrases_saas).BANK
    groups = _groups(ws, data)
    assert set(groups) == set(bank)
    top1 = in_top = total = 0
    lines = []
    for archetype, members in sorted(groups.items()):
        voice = ws.voice(members, facets=PLANTED_FACETS, top=TOP, quotes=1)
        for facet in PLANTED_FACETS:
            vocab = {a: _planted(bank, a, facet) for a in bank}
            owners = [_owner(t.top_terms, vocab) for t in voice.themes[facet]]
            assert voice.themes[facet], f"{archetype} has no {facet} themes"
            total += 1
            top1 += owners[0] == archetype
            in_top += archetype in owners
            lines.append(
                f"{archetype:24} {facet:11} {[t.label for t in voice.themes[facet]]} {owners}"
            )
    report = "\n".join(lines)
    assert top1 / total >= MIN_TOP1, report
    assert in_top / total >= MIN_IN_TOP, report


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_group_quotes_are_the_groups_own_words_and_clean(scenario, request):
    ws, data = request.getfixturevalue(scenario)
    s = ws.config.text
    groups = _groups(ws, data)
    snippets = {
        r["snippet_id"]: r
        for r in ws.sql(
            "SELECT snippet_id, doc_id, record_id, profile_id, facet, text FROM text_snippets"
        ).to_pylist()
    }
    docs = {
        r["doc_id"]: r
        for r in ws.sql("SELECT doc_id, record_id, source FROM text_docs").to_pylist()
    }
    with ws.connect() as con:
        scrubber = scrubber_for(con, s.allow)
    seen = 0
    for archetype, members in sorted(groups.items()):
        member_set = set(members)
        voice = ws.voice(members)
        for facet in FACETS:
            quotes = voice.quotes[facet]
            assert len(quotes) <= s.quotes
            authors = [q.profile_id for q in quotes]
            assert len(set(authors)) == len(authors), "one quote per person"
            for q in quotes:
                seen += 1
                assert q.profile_id in member_set, f"{archetype}: quote by a non-member"
                snip = snippets[q.snippet_id]
                assert snip["facet"] == facet and snip["profile_id"] == q.profile_id
                assert docs[q.doc_id]["record_id"] == q.record_id == snip["record_id"]
                assert docs[q.doc_id]["source"] == q.source
                # the quote is the (scrubbed) snippet, or its opening sentences
                assert scrubber.scrub(snip["text"]).text.startswith(q.text.rstrip())
                assert s.quote_min_chars <= len(q.text) <= s.quote_max_chars
                assert not is_profane(q.text)
                assert not scrubber.contains_pii(q.text)
    assert seen > 100


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_planted_personal_data_is_never_quoted(scenario, request):
    ws, data = request.getfixturevalue(scenario)
    people = ws.sql(
        "SELECT first_name, last_name, email, phone FROM profiles WHERE first_name IS NOT NULL"
    ).to_pylist()
    full_names = {f"{p['first_name']} {p['last_name']}".lower() for p in people if p["last_name"]}
    emails = {p["email"].lower() for p in people if p["email"]}
    phones = {re.sub(r"\D", "", p["phone"])[-7:] for p in people if p["phone"]}
    # the planted personal data is there to be found: in documents and in quotable snippets
    planted = ws.sql(
        "SELECT count(*) AS n FROM text_snippets WHERE regexp_matches(text, "
        "'[\\w.+-]+@[\\w-]+\\.[\\w.]+|This is [A-Z]|card [0-9]{16}|"
        "[0-9]{3}[- .)]+[0-9]{3}[- .][0-9]{4}')"
    ).to_pylist()[0]["n"]
    assert planted > 20
    quotes = [
        r["quote"]
        for r in ws.sql("SELECT quote FROM text_themes WHERE quote IS NOT NULL").to_pylist()
    ]
    for members in _groups(ws, data).values():
        voice = ws.voice(members, quotes=10)
        quotes += [q.text for qs in voice.quotes.values() for q in qs]
    assert len(quotes) > 200
    for text in quotes:
        low = text.lower()
        assert not re.search(r"[\w.+-]+@[\w-]+\.\w", text), text
        assert not any(name in low for name in full_names), text
        assert not any(e in low for e in emails), text
        digits = re.sub(r"\D", "", text)
        assert len(digits) < 7 or not any(p in digits for p in phones), text
        assert not re.search(r"\d{12,}", re.sub(r"[ -]", "", text)), text


def test_every_text_is_a_document_linked_to_its_writer(retail):
    ws, data = retail
    counts = {
        r["source"]: r["n"]
        for r in ws.sql("SELECT source, count(*) AS n FROM text_docs GROUP BY 1").to_pylist()
    }
    raw = {
        "ticket": ("raw_tickets", "subject", "body"),
        "review": ("raw_reviews", "title", "body"),
        "social": ("raw_social_posts", "text", "text"),
    }
    for source, (table, a, b) in raw.items():
        sql = (
            f"SELECT count(*) AS n FROM {table} "
            f"WHERE coalesce(trim({a}), '') <> '' OR coalesce(trim({b}), '') <> ''"
        )
        assert counts[source] == ws.sql(sql).to_pylist()[0]["n"], source
    # free-text survey questions only: the demo's four, each answer once
    questions = {
        r["question_id"]
        for r in ws.sql(
            "SELECT DISTINCT question_id FROM text_docs WHERE source = 'survey'"
        ).to_pylist()
    }
    assert questions == set(PLANTED_FACETS) | {"motivation"}
    assert ws.sql("SELECT count(DISTINCT doc_id) = count(*) AS ok FROM text_docs").to_pylist()[0][
        "ok"
    ]
    # the writer: the true person behind the document's profile wrote it
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"] for r in read_truth(data, "records.csv")
    }
    owners = profile_owners(ws, data)
    rows = ws.sql(
        "SELECT source_file, source_row, profile_id FROM text_docs WHERE profile_id IS NOT NULL"
    ).to_pylist()
    checked = right = 0
    for r in rows:
        person = truth.get((Path(r["source_file"]).name, str(r["source_row"])))
        if person and r["profile_id"] in owners:
            checked += 1
            right += owners[r["profile_id"]] == person
    assert checked > 0.8 * len(rows)
    assert right / checked > 0.97


def test_profile_attributes_summarise_each_writer(retail):
    ws, _ = retail
    cols = [c for c in ws.sql("SELECT * FROM profiles LIMIT 0").column_names]
    assert {"text_documents", "text_sentiment", "text_negative_share", "text_goal"} <= set(cols)
    goal_cols = [c for c in cols if c.startswith("theme_goal_")]
    assert len(goal_cols) >= 8
    mismatch = ws.sql(
        """SELECT count(*) AS n FROM profiles p
           LEFT JOIN (SELECT profile_id, count(*) AS docs, avg(sentiment) AS s
                      FROM text_docs GROUP BY 1) d USING (profile_id)
           WHERE coalesce(p.text_documents, 0) <> coalesce(d.docs, 0)
              OR abs(coalesce(p.text_sentiment, 0) - coalesce(d.s, 0)) > 1e-9"""
    ).to_pylist()[0]["n"]
    assert mismatch == 0
    total = " + ".join(f'coalesce("{c}", 0)' for c in goal_cols)
    sums = ws.sql(
        f"SELECT min({total}) AS lo, max({total}) AS hi FROM profiles "
        f'WHERE "{goal_cols[0]}" IS NOT NULL'
    ).to_pylist()[0]
    assert sums["lo"] == pytest.approx(1.0, abs=1e-3) and sums["hi"] == pytest.approx(1.0, abs=1e-3)
