"""Choosing the real customer quotes that illustrate a segment's theme.

A persona says "customers like this one say …" and shows a few verbatim quotes. Those
quotes have to be (a) written by members of the segment, (b) typical of its theme, (c) not
five ways of saying the same thing, (d) safe to show — no personal data, no profanity — and
(e) short enough to read. :func:`select_quotes` does (b)–(e); (a) is the caller's job: pass
only texts written by the segment's members.

Each :class:`Quote` keeps the id of its source record (and author profile, if given), so a
persona's every quote can be traced back to the row it came from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from personae.text.pii import PiiScrubber, Scrubbed, default_scrubber
from personae.text.profanity import is_profane

__all__ = ["Quote", "select_quotes", "split_sentences"]

NEAR_DUPLICATE_JACCARD = 0.8
"""Two quotes whose word sets overlap this much (Jaccard) are near duplicates."""


@dataclass(frozen=True)
class Quote:
    """One chosen quote.

    ``text`` is the scrubbed text (placeholders such as ``[name]`` instead of personal
    data); ``similarity`` is the cosine similarity of the source record's vector to the theme
    centroid (for a quote trimmed to its opening sentences, the vector still describes the
    whole record); ``redactions`` counts what the scrubber replaced, by kind.
    """

    record_id: str
    text: str
    similarity: float
    redactions: dict[str, int] = field(default_factory=dict)
    profile_id: str | None = None


# ---- sentences -------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_ABBREVIATIONS = frozenset(
    re.findall(
        r"\S+",
        """mr mrs ms mx dr prof st jr sr vs etc eg ie e.g i.e approx no nr inc ltd co corp dept
        est fig min max mt ave rd ft oz lb lbs vol p pp""",
    )
)


def split_sentences(text: str) -> list[str]:
    """Split whitespace-normalised ``text`` into sentences, each with its end punctuation.

    A boundary is end punctuation (``. ! ? …``, optionally followed by a closing quote or
    bracket) and whitespace — but not after an abbreviation ("Dr.", "e.g.") or an initial
    ("J."), so that trimming to whole sentences never cuts one in the middle.
    """
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        head = text[start : m.start()]
        last_word = head.rsplit(" ", 1)[-1].rstrip(".!?…\"'”’)]").casefold()
        if head.endswith(".") and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            continue
        sentences.append(text[start : m.end()].strip())
        start = m.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _normalise_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _dedupe_key(text: str) -> str:
    """Exact-duplicate key: case, punctuation and spacing do not make a quote different."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _word_set(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.casefold()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# ---- vectors ---------------------------------------------------------------------------------


def _as_rows(vectors: Any, n: int) -> np.ndarray | sp.csr_matrix:
    if sp.issparse(vectors):
        x = sp.csr_matrix(vectors, dtype=np.float64)
    else:
        x = np.asarray(vectors, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if x.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {x.shape}")
    if x.shape[0] != n:
        raise ValueError(f"vectors has {x.shape[0]} rows for {n} texts")
    return x


def _row_norms(x: np.ndarray | sp.csr_matrix) -> np.ndarray:
    if sp.issparse(x):
        return np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return np.linalg.norm(x, axis=1)


def _normalised_rows(x: np.ndarray | sp.csr_matrix) -> np.ndarray | sp.csr_matrix:
    norms = _row_norms(x)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    if sp.issparse(x):
        return sp.csr_matrix(sp.diags(inv) @ x)
    return x * inv[:, None]


def _dot_rows(x: np.ndarray | sp.csr_matrix, v: np.ndarray) -> np.ndarray:
    out = x @ v
    return np.asarray(out, dtype=np.float64).ravel()


def _row(x: np.ndarray | sp.csr_matrix, i: int) -> np.ndarray:
    if sp.issparse(x):
        return np.asarray(x[i].toarray(), dtype=np.float64).ravel()
    return np.asarray(x[i], dtype=np.float64)


# ---- candidates ------------------------------------------------------------------------------


@dataclass
class _Candidate:
    index: int
    text: str
    redactions: dict[str, int]
    words: frozenset[str]


def _quotable(
    raw: str, scrubber: PiiScrubber, min_chars: int, max_chars: int, max_redactions: int | None
) -> Scrubbed | None:
    """The scrubbed, length-fitted quote for ``raw``, or None if it cannot be quoted."""
    text = _normalise_ws(raw)
    if len(text) < min_chars or is_profane(text):
        return None
    scrubbed = scrubber.scrub(text)
    if len(scrubbed.text) > max_chars:
        # Too long: keep the opening sentences that fit, verbatim and whole. A single long
        # sentence is never cut (no ellipsis in the middle of what a customer said).
        sentences = split_sentences(text)
        fitted: Scrubbed | None = None
        for k in range(1, len(sentences)):
            prefix = " ".join(sentences[:k])
            if len(prefix) > 2 * max_chars:
                break
            attempt = scrubber.scrub(prefix)
            if len(attempt.text) > max_chars:
                break
            fitted = attempt
        if fitted is None:
            return None
        scrubbed = fitted
    if len(scrubbed.text) < min_chars:
        return None
    if max_redactions is not None and scrubbed.total > max_redactions:
        return None
    # Belt and braces: scrubbing runs to a fixed point, so this never triggers; if it did,
    # dropping the quote is the only safe answer.
    if scrubber.contains_pii(scrubbed.text) or is_profane(scrubbed.text):
        return None
    return scrubbed


def _clean_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def select_quotes(
    record_ids: Sequence[str],
    texts: Sequence[str],
    vectors: Any,
    centroid: Any = None,
    n: int = 5,
    diversity: float = 0.3,
    min_chars: int = 30,
    max_chars: int = 280,
    scrubber: PiiScrubber | None = None,
    profile_ids: Sequence[str | None] | None = None,
    max_per_profile: int = 1,
    max_redactions: int | None = 1,
) -> list[Quote]:
    """Choose up to ``n`` safe, typical and diverse quotes for one segment and facet.

    Group membership is the caller's job: ``record_ids``, ``texts``, ``vectors`` (and
    ``profile_ids``) must hold only records written by members of the segment. ``vectors``
    has one row per text (dense array or scipy sparse: TF-IDF, NMF theme weights, embeddings);
    ``centroid`` is the theme direction (1-D, same width; default: the mean of ``vectors``).

    Filters, in order — a candidate is dropped if it
      * is not a string, or is shorter than ``min_chars`` (after collapsing whitespace);
      * contains profanity (:func:`personae.text.profanity.is_profane`, on the whole text);
      * is longer than ``max_chars`` after scrubbing and its opening whole sentences cannot
        be fitted within ``max_chars`` (longer texts are trimmed to the longest run of
        opening sentences that fits, verbatim; a quote never ends mid-sentence and never
        contains an ellipsis that was not in the original);
      * needed more than ``max_redactions`` PII redactions (``None``: no limit): a quote
        that is half placeholders says little and hints at a sensitive record;
      * still contains PII after scrubbing (cannot happen: the scrubber runs to a fixed
        point; checked anyway).
    Exact duplicates (same words ignoring case, punctuation and spacing) keep only the
    candidate most similar to the centroid; near duplicates (word-set Jaccard
    ≥ ``NEAR_DUPLICATE_JACCARD``) of a chosen quote are not chosen.

    Selection is maximal marginal relevance. With ``relevance`` = cosine(candidate,
    centroid) and ``redundancy`` = the largest cosine(candidate, already chosen quote)
    (0 before the first pick), each step picks the candidate maximising

        (1 - diversity) * relevance - diversity * redundancy

    so ``diversity=0`` is "the n most typical", larger values trade typicality for variety
    (``1``: after the most typical one, only novelty counts). Ties go to the more relevant,
    then the earlier candidate, so the result is deterministic. At most ``max_per_profile``
    quotes come from one author (``profile_ids``; records with no profile id count as
    distinct authors).

    Returns quotes in the order chosen (most typical first).
    """
    count = len(texts)
    if len(record_ids) != count:
        raise ValueError(f"{len(record_ids)} record ids for {count} texts")
    if profile_ids is not None and len(profile_ids) != count:
        raise ValueError(f"{len(profile_ids)} profile ids for {count} texts")
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be within [0, 1], got {diversity}")
    if max_per_profile < 1:
        raise ValueError(f"max_per_profile must be at least 1, got {max_per_profile}")
    if min_chars > max_chars:
        raise ValueError(f"min_chars ({min_chars}) is larger than max_chars ({max_chars})")
    if n <= 0 or count == 0:
        return []

    x = _as_rows(vectors, count)
    if centroid is None:
        c = np.asarray(x.mean(axis=0), dtype=np.float64).ravel()
    else:
        c = np.asarray(
            centroid.toarray() if sp.issparse(centroid) else centroid, dtype=np.float64
        ).ravel()
    if c.shape[0] != x.shape[1]:
        raise ValueError(f"centroid has {c.shape[0]} dimensions, vectors have {x.shape[1]}")
    c_norm = float(np.linalg.norm(c))
    unit = c / c_norm if c_norm > 0 else np.zeros_like(c)

    scrubber = scrubber or default_scrubber()

    # Cheap filters and scrubbing, keeping the best candidate per exact-duplicate key.
    candidates: list[_Candidate] = []
    xn = _normalised_rows(x)
    relevance_all = _dot_rows(xn, unit)
    by_key: dict[str, int] = {}
    for i, raw in enumerate(texts):
        if not isinstance(raw, str):
            continue
        scrubbed = _quotable(raw, scrubber, min_chars, max_chars, max_redactions)
        if scrubbed is None:
            continue
        key = _dedupe_key(scrubbed.text)
        cand = _Candidate(i, scrubbed.text, scrubbed.redactions, _word_set(scrubbed.text))
        seen = by_key.get(key)
        if seen is None:
            by_key[key] = len(candidates)
            candidates.append(cand)
        elif relevance_all[i] > relevance_all[candidates[seen].index]:
            candidates[seen] = cand
    if not candidates:
        return []

    idx = np.array([cand.index for cand in candidates])
    relevance = relevance_all[idx]
    pool = xn[idx]
    redundancy = np.zeros(len(candidates))
    open_ = np.ones(len(candidates), dtype=bool)
    authors = [
        _clean_id(profile_ids[cand.index]) if profile_ids is not None else None
        for cand in candidates
    ]
    per_author: dict[str, int] = {}
    chosen: list[Quote] = []
    order = np.arange(len(candidates))

    while len(chosen) < n and open_.any():
        score = (1.0 - diversity) * relevance - diversity * redundancy
        score = np.where(open_, score, -np.inf)
        best = score.max()
        tied = order[open_ & (score >= best - 1e-12)]
        pick = int(tied[np.lexsort((tied, -relevance[tied]))][0])
        cand = candidates[pick]
        author = authors[pick]
        chosen.append(
            Quote(
                record_id=str(record_ids[cand.index]),
                text=cand.text,
                similarity=float(relevance[pick]),
                redactions=dict(cand.redactions),
                profile_id=author,
            )
        )
        open_[pick] = False
        redundancy = np.maximum(redundancy, _dot_rows(pool, _row(pool, pick)))
        if author is not None:
            per_author[author] = per_author.get(author, 0) + 1
            if per_author[author] >= max_per_profile:
                for j in np.flatnonzero(open_):
                    if authors[j] == author:
                        open_[j] = False
        for j in np.flatnonzero(open_):
            if _jaccard(candidates[j].words, cand.words) >= NEAR_DUPLICATE_JACCARD:
                open_[j] = False
    return chosen
