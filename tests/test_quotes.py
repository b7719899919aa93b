"""Quote selection: typical, diverse, safe, readable, traceable."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personae.text.pii import default_scrubber
from personae.text.profanity import is_profane, profanity_terms
from personae.text.quotes import Quote, select_quotes, split_sentences
from tests.test_pii import (
    PLACEHOLDER,
    SCRUBBER,
    Item,
    assert_scrubbed,
    gazetteer_names,
    known_names,
    pii_items,
    word_in,
)

FILLER = "the delivery was late again and nobody told me anything"


def ids(n: int) -> list[str]:
    return [f"rec-{i}" for i in range(n)]


# ---- MMR -------------------------------------------------------------------------------------

# Three near-identical vectors closest to the centroid (one theme said three ways), and two
# other themes that are still relevant but different.
DIVERSE_TEXTS = [
    "Delivery was late again and nobody told me anything about it.",
    "My parcel showed up a week after the promised date, no update.",
    "Shipping took forever and tracking never changed for days.",
    "Prices are a bit high compared with the supermarket down the road.",
    "The app logs me out right when I am about to pay for my basket.",
]
DIVERSE_VECTORS = np.array(
    [
        [1.00, 0.00, 0.00],
        [0.99, 0.05, 0.00],
        [0.98, 0.00, 0.06],
        [0.60, 0.80, 0.00],
        [0.60, 0.00, 0.80],
    ]
)
CENTROID = np.array([1.0, 0.3, 0.3])


def test_greedy_similarity_picks_near_duplicates_mmr_does_not() -> None:
    greedy = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, CENTROID, n=3, diversity=0.0)
    assert {q.record_id for q in greedy} == {"rec-0", "rec-1", "rec-2"}

    mmr = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, CENTROID, n=3, diversity=0.5)
    chosen = {q.record_id for q in mmr}
    assert len(chosen & {"rec-0", "rec-1", "rec-2"}) == 1  # one voice of the main theme
    assert {"rec-3", "rec-4"} <= chosen  # and both other themes
    assert mmr[0].similarity == max(q.similarity for q in mmr)  # most typical first


def test_similarity_is_cosine_to_centroid_and_default_centroid_is_the_mean() -> None:
    quotes = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, CENTROID, n=5, diversity=0.0)
    unit = CENTROID / np.linalg.norm(CENTROID)
    for q in quotes:
        i = int(q.record_id.split("-")[1])
        v = DIVERSE_VECTORS[i] / np.linalg.norm(DIVERSE_VECTORS[i])
        assert q.similarity == pytest.approx(float(v @ unit))
    by_mean = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, None, n=5)
    explicit = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, DIVERSE_VECTORS.mean(0), n=5)
    assert by_mean == explicit


def test_sparse_and_dense_vectors_agree() -> None:
    for diversity in (0.0, 0.3, 0.7):
        dense = select_quotes(ids(5), DIVERSE_TEXTS, DIVERSE_VECTORS, CENTROID, 4, diversity)
        sparse = select_quotes(
            ids(5), DIVERSE_TEXTS, sp.csr_matrix(DIVERSE_VECTORS), CENTROID, 4, diversity
        )
        assert dense == sparse


def test_zero_vectors_and_zero_centroid_do_not_crash() -> None:
    vectors = np.zeros((5, 3))
    quotes = select_quotes(ids(5), DIVERSE_TEXTS, vectors, None, n=2)
    assert [q.record_id for q in quotes] == ["rec-0", "rec-1"]  # ties: earliest first
    assert all(q.similarity == 0.0 for q in quotes)


# ---- filters ---------------------------------------------------------------------------------


def test_length_bounds() -> None:
    long_sentence = "This one sentence goes on and on " * 12 + "without ever stopping."
    multi = (
        "The delivery was late again. Nobody told me anything. "
        + "Then I waited on hold for an hour and a half before anyone picked up. " * 4
    )
    texts = [
        "Too short.",
        long_sentence,
        multi,
        "Just right: the gummies taste great, kids love them.",
    ]
    quotes = select_quotes(ids(4), texts, np.ones((4, 2)), n=5, min_chars=30, max_chars=120)
    by_id = {q.record_id: q for q in quotes}
    assert set(by_id) == {"rec-2", "rec-3"}
    trimmed = by_id["rec-2"].text
    assert trimmed == "The delivery was late again. Nobody told me anything."
    assert multi.startswith(trimmed)
    assert 30 <= len(trimmed) <= 120
    assert "…" not in trimmed and "..." not in trimmed


def test_trimming_keeps_whole_sentences_only() -> None:
    text = "Dr. Smith at the clinic recommended it. It works. " + "Really a lot of words. " * 20
    quotes = select_quotes(["r"], [text], np.ones((1, 1)), n=1, min_chars=10, max_chars=60)
    assert len(quotes) == 1
    assert quotes[0].text == "Dr. [name] at the clinic recommended it. It works."
    assert split_sentences("Dr. Smith came. e.g. this one! Ok") == [
        "Dr. Smith came.",
        "e.g. this one!",
        "Ok",
    ]


def test_profane_candidates_are_dropped() -> None:
    texts = [
        "This is f*cking ridiculous, the delivery was late again.",
        "What a load of sh1t, the delivery was late again.",
        "The delivery was late again, class act as always from the courier.",
    ]
    quotes = select_quotes(ids(3), texts, np.ones((3, 2)), n=3)
    assert [q.record_id for q in quotes] == ["rec-2"]


@pytest.mark.parametrize(
    "text",
    [
        "class",
        "assess",
        "Scunthorpe",
        "cocktail",
        "Dickens",
        "shiitake",
        "bass",
        "grass",
        "kick-ass",
    ],
)
def test_profanity_has_no_scunthorpe_problem(text: str) -> None:
    assert not is_profane(f"What a great {text} and a lovely evening")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("f*ck this", "fuck"),
        ("f**k this", "fuck"),
        ("what the F***", "fuck"),
        ("sh!t happens", "shit"),
        ("sh1t happens", "shit"),
        ("SHIIIT!!!", "shit"),
        ("what an a$$", "ass"),
        ("total @sshole", "ass"),
        ("b1tch please", "bitch"),
        ("f u c k off", "fuck"),
        ("bull-shit", "shit"),
    ],
)
def test_profanity_obfuscations(text: str, term: str) -> None:
    assert profanity_terms(text) == [term]


def test_exact_and_near_duplicates_are_dropped() -> None:
    texts = [
        "Great product, the kids love the gummies!",
        "great product the kids love the gummies",
        "Great product, the kids really love the gummies!",
        "Shipping was slow but support answered quickly.",
    ]
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.9, 0.1], [0.1, 1.0]])
    quotes = select_quotes(ids(4), texts, vectors, [1.0, 0.0], n=4, min_chars=10, diversity=0.0)
    assert [q.record_id for q in quotes] == ["rec-0", "rec-3"]


def test_more_redactions_than_allowed_are_dropped() -> None:
    texts = [
        "Email me at jane@example.com or call 415-555-2671, the delivery was late again.",
        "Email me at jane@example.com, the delivery was late again and again.",
    ]
    one = select_quotes(ids(2), texts, np.ones((2, 1)), n=2, max_redactions=1)
    assert [q.record_id for q in one] == ["rec-1"]
    assert one[0].redactions == {"email": 1}
    assert one[0].text == "Email me at [email], the delivery was late again and again."
    two = select_quotes(ids(2), texts, np.ones((2, 1)), n=2, max_redactions=2)
    assert {q.record_id for q in two} == {"rec-0", "rec-1"}
    none = select_quotes(ids(2), texts, np.ones((2, 1)), n=2, max_redactions=0)
    assert none == []


def test_max_per_profile() -> None:
    texts = [
        "The delivery was late again and nobody told me anything.",
        "Support answered within minutes and fixed my billing problem.",
        "Prices are a bit high compared with the supermarket down the road.",
        "The app logs me out right when I am about to pay for my basket.",
        "I love that everything arrives in compostable packaging now.",
        "Reordering the kids' vitamins takes two minutes on the app.",
    ]
    profiles = ["p1", "p1", "p1", "p2", None, None]
    vectors = np.eye(6) + 0.5
    one = select_quotes(ids(6), texts, vectors, n=6, profile_ids=profiles)
    assert [q.profile_id for q in one].count("p1") == 1
    assert len(one) == 4  # p1, p2 and the two records without a known author
    two = select_quotes(ids(6), texts, vectors, n=6, profile_ids=profiles, max_per_profile=2)
    assert [q.profile_id for q in two].count("p1") == 2
    assert len(two) == 5


def test_record_ids_and_profiles_are_preserved() -> None:
    texts = [
        "I'm Sarah and the delivery was late again, nobody told me.",
        "Prices are a bit high compared with the supermarket down the road.",
        "Short",
        "The app logs me out right when I am about to pay for my basket.",
    ]
    record_ids = ["survey:17", "review:4", "ticket:9", "social:2"]
    profiles = ["P-1", "P-2", "P-3", float("nan")]
    quotes = select_quotes(record_ids, texts, np.eye(4) + 0.1, n=4, profile_ids=profiles)
    assert {q.record_id for q in quotes} == {"survey:17", "review:4", "social:2"}
    for q in quotes:
        i = record_ids.index(q.record_id)
        assert q.profile_id == (None if q.record_id == "social:2" else profiles[i])
        assert q.text == default_scrubber().scrub(texts[i]).text
    sarah = next(q for q in quotes if q.record_id == "survey:17")
    assert sarah.text == "I'm [name] and the delivery was late again, nobody told me."
    assert isinstance(sarah, Quote)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="record ids"):
        select_quotes(["a"], ["x", "y"], np.ones((2, 1)))
    with pytest.raises(ValueError, match="rows"):
        select_quotes(["a", "b"], ["x", "y"], np.ones((3, 1)))
    with pytest.raises(ValueError, match="diversity"):
        select_quotes(["a"], ["x"], np.ones((1, 1)), diversity=1.5)
    with pytest.raises(ValueError, match="centroid"):
        select_quotes(["a"], ["x"], np.ones((1, 2)), centroid=[1.0, 2.0, 3.0])
    assert select_quotes([], [], np.zeros((0, 3))) == []
    assert select_quotes(["a"], [None], np.ones((1, 1))) == []  # type: ignore[list-item]


# ---- no PII ever -----------------------------------------------------------------------------


@st.composite
def pii_candidates(draw: st.DrawFn) -> tuple[list[str], list[list[Item]], list[list[str]]]:
    """Candidate quotes, each with zero to two PII items and maybe a name."""
    texts, items, names = [], [], []
    for _ in range(draw(st.integers(1, 8))):
        its = draw(st.lists(pii_items, max_size=2))
        nm: list[str] = []
        parts = [i.text for i in its]
        if draw(st.booleans()):
            name_text, nm = draw(st.one_of(gazetteer_names(), known_names()))
            parts.insert(draw(st.integers(0, len(parts))), name_text)
        texts.append(f"Honestly {FILLER}. " + ", ".join(parts) + f". {FILLER.capitalize()}.")
        items.append(its)
        names.append(nm)
    return texts, items, names


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pii_candidates(), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_no_chosen_quote_contains_pii(
    case: tuple[list[str], list[list[Item]], list[list[str]]], diversity: float, seed: int
) -> None:
    texts, items, names = case
    vectors = np.random.default_rng(seed).random((len(texts), 4))
    quotes = select_quotes(
        ids(len(texts)),
        texts,
        vectors,
        n=len(texts),
        diversity=diversity,
        scrubber=SCRUBBER,
        max_redactions=None,
        max_chars=2000,
    )
    assert quotes, texts  # every candidate is quotable once scrubbed
    for q in quotes:
        i = int(q.record_id.split("-")[1])
        assert not SCRUBBER.contains_pii(q.text)
        assert_scrubbed(q.text, items[i], FILLER)
        for name in names[i]:
            assert not word_in(name, PLACEHOLDER.sub(" ", q.text)), (name, q.text)
