"""Sentiment: CX-extended VADER against plain VADER on a hand-labelled held-out set.

``tests/data/sentiment_eval.csv`` was written before the CX lexicon and never used to tune
it; ``tests/data/sentiment_dev.csv`` is the tuning set. See docs/sentiment.md.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from personae.text import sentiment as sentiment_module
from personae.text.sentiment import (
    LABELS,
    Sentiment,
    SentimentScorer,
    evaluate,
    plain_vader,
)

DATA = Path(__file__).parent / "data"
SOURCES = ("survey", "ticket", "review", "social")


def _load(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def eval_rows() -> list[dict[str, str]]:
    return _load("sentiment_eval.csv")


@pytest.fixture(scope="module")
def dev_rows() -> list[dict[str, str]]:
    return _load("sentiment_dev.csv")


@pytest.fixture(scope="module")
def cx() -> SentimentScorer:
    return SentimentScorer()


@pytest.fixture(scope="module")
def vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


# -- the data sets -------------------------------------------------------------------------


def _check_dataset(rows: list[dict[str, str]], min_rows: int) -> None:
    assert len(rows) >= min_rows
    assert set(rows[0]) == {"id", "source", "label", "text"}
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"].strip().lower() for r in rows}) == len(rows), "duplicate texts"
    assert all(r["text"].strip() for r in rows)
    sources = Counter(r["source"] for r in rows)
    labels = Counter(r["label"] for r in rows)
    assert set(sources) == set(SOURCES)
    assert set(labels) == set(LABELS)
    for label in LABELS:
        assert labels[label] >= 0.25 * len(rows), labels


def test_eval_set_is_large_and_balanced(eval_rows: list[dict[str, str]]) -> None:
    _check_dataset(eval_rows, 300)
    sources = Counter(r["source"] for r in eval_rows)
    assert min(sources.values()) >= 60, sources
    # balanced labels within every source too, so no source is "easy" by construction
    for source in SOURCES:
        per = Counter(r["label"] for r in eval_rows if r["source"] == source)
        assert min(per.values()) >= 0.25 * sources[source], (source, per)


def test_dev_set_is_separate_from_eval(
    dev_rows: list[dict[str, str]], eval_rows: list[dict[str, str]]
) -> None:
    _check_dataset(dev_rows, 150)
    eval_texts = {r["text"].strip().lower() for r in eval_rows}
    assert not [r["text"] for r in dev_rows if r["text"].strip().lower() in eval_texts]


# -- the headline figures ------------------------------------------------------------------


def _report(name: str, results: dict[str, dict]) -> str:
    lines = [f"{name}: {'scorer':<12}{'accuracy':>9}{'macro-F1':>10}  per source (macro-F1)"]
    for scorer_name, r in results.items():
        per = "  ".join(f"{g} {m['macro_f1']:.3f}" for g, m in r["by_group"].items())
        lines.append(f"{'':<{len(name) + 2}}{scorer_name:<12}{r['accuracy']:>9.3f}")
        lines[-1] += f"{r['macro_f1']:>10.3f}  {per}"
    return "\n".join(lines)


def test_cx_beats_plain_vader_on_held_out_eval(
    eval_rows: list[dict[str, str]], cx: SentimentScorer, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = [r["text"] for r in eval_rows]
    gold = [r["label"] for r in eval_rows]
    groups = [r["source"] for r in eval_rows]
    ours = evaluate(cx, texts, gold, groups)
    base = evaluate(plain_vader(), texts, gold, groups)
    with capsys.disabled():
        print("\n" + _report("sentiment_eval.csv", {"vader+cx": ours, "plain vader": base}))
    assert ours["macro_f1"] >= 0.80
    assert ours["macro_f1"] > base["macro_f1"]
    assert ours["accuracy"] > base["accuracy"]
    assert sum(map(sum, ours["confusion"])) == len(eval_rows)


# -- plain mode is VADER -------------------------------------------------------------------


def test_plain_mode_equals_vader_sentiment(
    eval_rows: list[dict[str, str]],
    dev_rows: list[dict[str, str]],
    vader: SentimentIntensityAnalyzer,
) -> None:
    plain = plain_vader()
    for row in eval_rows + dev_rows:
        text = row["text"]
        assert plain.score(text).compound == vader.polarity_scores(text)["compound"], text


_VOCAB = sorted(
    {
        *list(SentimentIntensityAnalyzer().lexicon)[::40],
        *BOOSTER_DICT,
        *NEGATE,
        *(w for key in SPECIAL_CASES for w in key.split()),
        *[
            "but",
            "BUT",
            "no",
            "No",
            "kind",
            "of",
            "least",
            "at",
            "very",
            "so",
            "this",
            "never",
            "without",
            "doubt",
            "or",
            "nor",
            "the",
            "and",
        ],
        *["GOOD", "Bad,", "great!", "(ok)", ":)", ":(", "😀", "💔", "🔛", "?", "??", "!!!"],
        *["late", "not", "slow", "out", "stock", "support", "please", "Thanks."],
    }
)


_VADER = SentimentIntensityAnalyzer()
_PLAIN = plain_vader()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=14), st.sampled_from([" ", ", "]))
def test_plain_mode_equals_vader_on_random_token_soup(words: list[str], sep: str) -> None:
    """VADER's quirks (idioms, 'no', 'but', caps, emoji spacing) are reproduced exactly."""
    text = sep.join(words)
    expected = _VADER.polarity_scores(text)["compound"]
    assert _PLAIN.score(text).compound == expected


# -- CX lexicon behaviour ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("delivery was late", "delivery was not late"),
        ("The serum is out of stock", "The serum is not out of stock"),
        ("Delivery was not on time", "Delivery was on time"),
        ("I was charged twice", "I was not charged twice"),
        ("Checkout was not seamless", "Checkout was seamless"),
        ("We were overcharged", "We were never overcharged"),
    ],
)
def test_negation_applies_to_cx_words_and_phrases(
    cx: SentimentScorer, lower: str, higher: str
) -> None:
    low, high = cx.score(lower), cx.score(higher)
    assert low.compound < 0 < high.compound, (low, high)


@pytest.mark.parametrize(
    ("plain", "boosted"),
    [
        ("slow", "extremely slow"),
        ("The app is slow", "The app is really slow"),
        ("The serum is out of stock", "The serum is very out of stock"),
        ("still waiting for my refund", "STILL WAITING for my refund"),
        ("Delivery was on time", "Delivery was totally on time"),
        ("They went above and beyond", "They really went above and beyond"),
    ],
)
def test_intensifiers_apply_to_cx_words_and_phrases(
    cx: SentimentScorer, plain: str, boosted: str
) -> None:
    a, b = cx.score(plain).compound, cx.score(boosted).compound
    assert abs(b) > abs(a) > 0
    assert math.copysign(1, a) == math.copysign(1, b)


def test_dampener_weakens_cx_word(cx: SentimentScorer) -> None:
    assert cx.score("slow").compound < cx.score("slightly slow").compound < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Still waiting for my refund after three weeks.", "negative"),
        ("Nobody replied to my emails.", "negative"),
        ("Support never replied.", "negative"),
        ("Half the range is out of stock again", "negative"),
        ("Arrived on time and well packaged.", "positive"),
        ("Their team went above and beyond.", "positive"),
        ("Please send me the invoice for March.", "neutral"),
        ("Is the magnesium safe for kids?", "neutral"),
        ("Can I add two seats to our plan? Thanks.", "neutral"),
        ("Wouldn't order again, took forever to arrive.", "negative"),
    ],
)
def test_cx_examples(cx: SentimentScorer, text: str, label: str) -> None:
    assert cx.score(text).label == label


def test_curly_apostrophes_negate_like_straight_ones(cx: SentimentScorer) -> None:
    assert cx.score("It didn\u2019t work well").compound == cx.score("It didn't work well").compound


def test_extra_lexicon_adds_phrases_and_neutralises_words() -> None:
    base = SentimentScorer()
    assert base.score("the widget is wobbly").label == "neutral"
    custom = SentimentScorer(extra_lexicon={"wobbly": -1.5, "Click And Collect": 1.0})
    assert custom.score("the widget is wobbly").label == "negative"
    assert custom.score("the widget is not wobbly").label == "positive"
    assert custom.score("used click and collect").label == "positive"
    assert SentimentScorer(extra_lexicon={"great": 0.0}).score("great").label == "neutral"
    # the user's entries apply in plain mode too
    plain = SentimentScorer(extra_lexicon={"wobbly": -1.5}, use_cx_lexicon=False)
    assert plain.score("so wobbly").compound < 0


def test_thresholds_are_configurable() -> None:
    strict = SentimentScorer(positive_threshold=0.5, negative_threshold=-0.5)
    loose = SentimentScorer()
    text = "It's fine."
    assert loose.score(text).label == "positive"
    assert strict.score(text).label == "neutral"
    assert strict.score(text).compound == loose.score(text).compound
    with pytest.raises(ValueError):
        SentimentScorer(positive_threshold=-0.2, negative_threshold=0.2)


# -- score / score_many --------------------------------------------------------------------


@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t", float("nan")])
def test_blank_text_has_no_sentiment(cx: SentimentScorer, blank: object) -> None:
    result = cx.score(blank)  # type: ignore[arg-type]
    assert math.isnan(result.compound)
    assert result.label == ""


def _corpus(eval_rows: list[dict[str, str]]) -> list[str | None]:
    texts: list[str | None] = [r["text"] for r in eval_rows]
    texts = texts + texts[:50] + [None, "", "  ", "Great!!", None]
    return texts[::-1]


def _assert_matches_score(
    scorer: SentimentScorer, texts: list[str | None], compounds: np.ndarray, labels: list[str]
) -> None:
    assert compounds.shape == (len(texts),)
    assert compounds.dtype == np.float64
    assert len(labels) == len(texts)
    for text, c, label in zip(texts, compounds, labels, strict=True):
        expected = scorer.score(text)
        assert label == expected.label
        if math.isnan(expected.compound):
            assert math.isnan(c)
        else:
            assert c == expected.compound


def test_score_many_equals_score(eval_rows: list[dict[str, str]]) -> None:
    texts = _corpus(eval_rows)
    scorer = SentimentScorer()
    compounds, labels = scorer.score_many(texts, workers=1)
    _assert_matches_score(SentimentScorer(), texts, compounds, labels)
    empty_compounds, empty_labels = scorer.score_many([])
    assert empty_compounds.shape == (0,)
    assert empty_labels == []


def test_score_many_multiprocess_path_equals_score(eval_rows: list[dict[str, str]]) -> None:
    texts = _corpus(eval_rows)
    scorer = SentimentScorer(extra_lexicon={"magnesium": 1.0}, parallel_threshold=10)
    compounds, labels = scorer.score_many(texts, workers=2)
    _assert_matches_score(
        SentimentScorer(extra_lexicon={"magnesium": 1.0}), texts, compounds, labels
    )


def test_score_many_falls_back_when_workers_cannot_start(
    eval_rows: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("no processes here")

    monkeypatch.setattr(sentiment_module, "ProcessPoolExecutor", Broken)
    texts = _corpus(eval_rows)
    scorer = SentimentScorer(parallel_threshold=10)
    with pytest.warns(RuntimeWarning):
        compounds, labels = scorer.score_many(texts, workers=2)
    _assert_matches_score(SentimentScorer(), texts, compounds, labels)


# -- evaluate ------------------------------------------------------------------------------


def test_evaluate_metrics_by_hand() -> None:
    scorer = SentimentScorer()
    texts = ["great", "awful", "the box", "great", "awful"]
    gold = ["positive", "negative", "neutral", "negative", "neutral"]
    r = evaluate(scorer, texts, gold, groups=["a", "a", "b", "b", "b"])
    assert r["accuracy"] == pytest.approx(3 / 5)
    # positive P=1/2 R=1, neutral P=1 R=1/2, negative P=1/2 R=1/2
    f1 = [2 / 3, 1 / 2, 2 / 3]
    assert r["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert r["confusion"] == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]  # LABELS order, gold x predicted
    assert r["per_label"]["negative"]["recall"] == pytest.approx(0.5)
    assert r["by_group"]["a"]["accuracy"] == 1.0
    with pytest.raises(ValueError):
        evaluate(scorer, ["x"], [])


def test_sentiment_is_a_frozen_value() -> None:
    s = Sentiment(0.5, "positive")
    with pytest.raises(AttributeError):
        s.label = "negative"  # type: ignore[misc]
