"""Document sentiment: VADER extended with a customer-experience (CX) lexicon.

Why a re-implementation rather than ``SentimentIntensityAnalyzer.polarity_scores``: the
reference code lower-cases the whole token list several times per sentiment word and walks
every character for emoji, which caps it at a few thousand short texts per second; the
pipeline needs tens of thousands. This module follows the algorithm of Hutto & Gilbert (2014)
token for token, including the quirks of vaderSentiment 3.3.2 (the "but" re-weighting, the
"no" rules, the three-word idiom window), and reads VADER's own lexicon, emoji table and rule
constants from the installed package. With ``use_cx_lexicon=False`` the compound score is
identical to ``polarity_scores(text)["compound"]`` (the tests check this); only the compound
is computed, not the pos/neu/neg proportions.

The CX mode adds, on top of the unchanged algorithm:

* the lexicon in :mod:`personae.text.cx_lexicon` (words, multi-word phrases merged into one
  token before scoring so negation and intensifiers apply to them, extra boosters and
  negators, CX-neutral words removed);
* curly apostrophes read as straight ones, so "didn’t" negates like "didn't";
* questions: positive words inside a sentence ending in "?" count for
  :data:`QUESTION_POSITIVE_WEIGHT` of their valence ("Is the magnesium safe for kids?" asks,
  it does not praise), negative ones keep full weight ("Why was I charged twice?");
* a trailing courtesy closing ("... Thanks.") counts for :data:`SIGNOFF_WEIGHT`.

Throughput comes from a precomputed lexicon, an early exit for texts with no sentiment-bearing
token, a per-scorer cache (customer texts repeat a lot), de-duplication in :meth:`score_many`
and, above :attr:`SentimentScorer.parallel_threshold` distinct texts, a second process.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import string
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from personae.text import cx_lexicon

__all__ = [
    "LABELS",
    "QUESTION_POSITIVE_WEIGHT",
    "SIGNOFF_WEIGHT",
    "Sentiment",
    "SentimentScorer",
    "evaluate",
    "plain_vader",
]

LABELS: tuple[str, str, str] = ("positive", "neutral", "negative")

QUESTION_POSITIVE_WEIGHT = 0.1
"""Share of a positive word's valence kept inside a question (CX mode only)."""

SIGNOFF_WEIGHT = 0.0
"""Share of a trailing courtesy closing's valence kept (CX mode only)."""

_PUNCT = string.punctuation
_SO_THIS = ("so", "this")
_OR_NOR = ("or", "nor")
_TERMINAL = ".!?"
_CLAUSE_END = ",.;:!?"
_CLOSERS = "\"')]}"
_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\ufe0f": None})


@dataclass(frozen=True)
class Sentiment:
    """Sentiment of one document: VADER compound in [-1, 1] and its label.

    A missing or blank text has no sentiment: ``compound`` is NaN and ``label`` is "" (so that
    averages over a customer's texts are not pulled towards neutral by empty survey fields).
    """

    compound: float
    label: str


@dataclass(frozen=True)
class _Tables:
    """VADER's resources, loaded once per process from the installed package."""

    lexicon: dict[str, float]
    emoji: dict[str, str]
    emoji_re: re.Pattern[str]


@cache
def _vader_tables() -> _Tables:
    analyzer = SentimentIntensityAnalyzer()  # parses the package's lexicon files exactly once
    # VADER looks emoji up one character at a time, so only single-character keys can match.
    emoji = {k: v for k, v in analyzer.emojis.items() if len(k) == 1}
    pattern = re.compile("[" + "".join(re.escape(k) for k in sorted(emoji)) + "]")
    return _Tables(dict(analyzer.lexicon), emoji, pattern)


def _idiom_words() -> frozenset[str]:
    words: set[str] = set()
    for key in (*SPECIAL_CASES, *(k for k in BOOSTER_DICT if " " in k)):
        words.update(key.split(" "))
    return frozenset(words)


_IDIOM_WORDS = _idiom_words()
_MULTIWORD_BOOSTERS = {k: v for k, v in BOOSTER_DICT.items() if " " in k}


class SentimentScorer:
    """VADER compound score and label per document, optionally with the CX lexicon.

    ``extra_lexicon`` adds or overrides entries on VADER's -4..+4 scale; keys with spaces are
    phrases, and a value of 0.0 makes a word neutral. It applies in both modes, after the CX
    lexicon, so deployments can tune vocabulary from configuration without code changes.
    """

    parallel_threshold: int
    """Distinct texts above which :meth:`score_many` uses more than one process."""

    def __init__(
        self,
        extra_lexicon: dict[str, float] | None = None,
        positive_threshold: float = 0.05,
        negative_threshold: float = -0.05,
        use_cx_lexicon: bool = True,
        *,
        parallel_threshold: int = 50_000,
        cache_size: int = 262_144,
    ) -> None:
        if negative_threshold > positive_threshold:
            raise ValueError("negative_threshold must not exceed positive_threshold")
        self.extra_lexicon = dict(extra_lexicon or {})
        self.positive_threshold = float(positive_threshold)
        self.negative_threshold = float(negative_threshold)
        self.use_cx_lexicon = bool(use_cx_lexicon)
        self.parallel_threshold = int(parallel_threshold)
        self.cache_size = int(cache_size)
        self._cache: dict[str, float] = {}
        self._build()

    # -- configuration ---------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        """Everything needed to rebuild an identical scorer in a worker process."""
        return {
            "extra_lexicon": self.extra_lexicon,
            "positive_threshold": self.positive_threshold,
            "negative_threshold": self.negative_threshold,
            "use_cx_lexicon": self.use_cx_lexicon,
            "parallel_threshold": self.parallel_threshold,
            "cache_size": self.cache_size,
        }

    def _build(self) -> None:
        tables = _vader_tables()
        self._emoji = tables.emoji
        self._emoji_re = tables.emoji_re
        lexicon = dict(tables.lexicon)
        boosters = dict(BOOSTER_DICT)
        negators = set(NEGATE)
        phrases: dict[str, float] = {}
        cx = self.use_cx_lexicon
        if cx:
            # VADER's own multi-word entries ("fed up") can never match its whitespace tokens;
            # phrase merging lets them count.
            phrases.update({k: v for k, v in lexicon.items() if " " in k and k[0].isalpha()})
            for word in cx_lexicon.BOOSTERS:
                lexicon.pop(word, None)
            boosters.update(cx_lexicon.BOOSTERS)
            negators |= cx_lexicon.NEGATORS
            entries: dict[str, float] = {**cx_lexicon.WORDS, **cx_lexicon.PHRASES}
        else:
            entries = {}
        entries.update({k.lower().strip(): float(v) for k, v in self.extra_lexicon.items()})
        for key, value in entries.items():
            key = " ".join(key.split())
            if " " in key:
                phrases[key] = value
            if value == 0.0:
                lexicon.pop(key, None)  # neutral: an ordinary word again
            else:
                lexicon[key] = value
        # phrase index: first word -> candidates, longest first
        index: dict[str, list[tuple[list[str], int, str]]] = {}
        for key in phrases:
            words = key.split(" ")
            index.setdefault(words[0], []).append((words, len(words), key))
        for cands in index.values():
            cands.sort(key=lambda c: -c[1])
        self._lexicon = lexicon
        self._boosters = boosters
        self._negators = frozenset(negators)
        self._phrase_index = {k: tuple(v) for k, v in index.items()}
        # a text needs at least one of these tokens to get a non-zero compound
        self._triggers = frozenset(lexicon) | frozenset(index)
        self._cx = cx
        self._signoffs = cx_lexicon.SIGNOFFS if cx else frozenset()

    # -- public API ------------------------------------------------------------------------

    def label(self, compound: float) -> str:
        """Label for a compound score with this scorer's thresholds ("" for NaN)."""
        if compound != compound:  # NaN
            return ""
        if compound >= self.positive_threshold:
            return "positive"
        if compound <= self.negative_threshold:
            return "negative"
        return "neutral"

    def score(self, text: str | None) -> Sentiment:
        """Compound and label of one document (NaN and "" when the text is missing/blank)."""
        if not isinstance(text, str) or not text or text.isspace():
            return Sentiment(math.nan, "")
        compound = self._compound(text)
        return Sentiment(compound, self.label(compound))

    def score_many(
        self, texts: Sequence[str | None], workers: int | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """Compounds (float64, NaN for missing/blank) and labels ("" for missing/blank).

        Each distinct text is scored once. With more than :attr:`parallel_threshold` distinct
        texts, they are split between this process and ``workers - 1`` spawned processes
        (``workers=None`` means up to two, the number of cores the pipeline budgets for).
        """
        n = len(texts)
        slot = np.empty(n, dtype=np.int64)
        distinct: dict[str, int] = {}
        setdefault = distinct.setdefault
        for i, text in enumerate(texts):
            if isinstance(text, str) and text and not text.isspace():
                slot[i] = setdefault(text, len(distinct))
            else:
                slot[i] = -1
        uniq = list(distinct)
        del distinct
        if workers is None:
            workers = min(2, os.cpu_count() or 1)
        if workers > 1 and len(uniq) > self.parallel_threshold:
            values = self._score_parallel(uniq, workers)
        else:
            compound = self._compound
            values = np.fromiter((compound(t) for t in uniq), dtype=np.float64, count=len(uniq))
        table = np.append(values, np.nan)  # slot -1 -> NaN
        compounds = table[slot]
        pos, neg = self.positive_threshold, self.negative_threshold
        value_labels = np.where(
            values >= pos, "positive", np.where(values <= neg, "negative", "neutral")
        ).tolist()
        value_labels.append("")
        labels = [value_labels[s] for s in slot.tolist()]
        return compounds, labels

    # -- parallel path ---------------------------------------------------------------------

    def _score_parallel(self, uniq: list[str], workers: int) -> np.ndarray:
        """Score ``uniq`` in this process and ``workers - 1`` spawned ones, in order.

        Spawn (not fork) keeps workers safe next to threads such as DuckDB's; it requires the
        calling script to guard its entry point with ``if __name__ == "__main__":``. If the
        pool cannot start, the texts are scored here instead, with a warning, since a
        slower answer beats a crash.
        """
        n = len(uniq)
        share = n // workers
        chunks = [uniq[i * share : (i + 1) * share] for i in range(workers - 1)]
        own = uniq[(workers - 1) * share :]
        ctx = multiprocessing.get_context("spawn")
        compound = self._compound
        try:
            with ProcessPoolExecutor(
                max_workers=workers - 1,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(self._config(),),
            ) as pool:
                futures = [pool.submit(_score_chunk, chunk) for chunk in chunks]
                mine = [compound(t) for t in own]
                parts = [f.result() for f in futures]
        except (BrokenProcessPool, OSError) as exc:
            warnings.warn(
                f"sentiment worker processes failed ({exc!r}); scoring in one process",
                RuntimeWarning,
                stacklevel=3,
            )
            parts = [[compound(t) for t in chunk] for chunk in chunks]
            mine = [compound(t) for t in own]
        parts.append(mine)
        return np.fromiter((v for part in parts for v in part), dtype=np.float64, count=n)

    # -- scoring ---------------------------------------------------------------------------

    def _compound(self, text: str) -> float:
        """Cached compound score of a non-blank text."""
        value = self._cache.get(text)
        if value is None:
            value = self._score_text(text)
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            self._cache[text] = value
        return value

    def _demoji(self, text: str) -> str:
        """Replace emoji by their descriptions, spaced exactly as vaderSentiment does."""

        def describe(m: re.Match[str]) -> str:
            p = m.start()
            desc = self._emoji[m.group()]
            # VADER inserts a space unless the previous output character was a space (an
            # emoji's description never ends in one, so consecutive emoji are spaced).
            return desc if p == 0 or text[p - 1] == " " else " " + desc

        return self._emoji_re.sub(describe, text)

    def _score_text(self, text: str) -> float:
        cx = self._cx
        if not text.isascii():
            if cx:
                text = text.translate(_CURLY)
            text = self._demoji(text)
        raw = text.split()
        if not raw:
            return 0.0
        toks = [t if len(s := t.strip(_PUNCT)) <= 2 else s for t in raw]
        low = [t.lower() for t in toks]
        if self._triggers.isdisjoint(low):
            return 0.0
        question: list[bool] | None = None
        if cx and "?" in text:
            question = _question_flags(raw)
        if self._phrase_index and not self._phrase_index.keys().isdisjoint(low):
            raw, toks, low, question = self._merge(raw, toks, low, question)
        sentiments = self._valences(raw, toks, low)
        if cx:
            if question is not None:
                w = QUESTION_POSITIVE_WEIGHT
                sentiments = [
                    v * w if v > 0 and q else v for v, q in zip(sentiments, question, strict=True)
                ]
            n = len(low)
            if (
                n > 1
                and low[-1] in self._signoffs
                and raw[-2].rstrip(_CLOSERS)[-1:] in (".", "!", "?", ",")
                and sentiments[-1] > 0
            ):
                sentiments[-1] *= SIGNOFF_WEIGHT
        if "but" in low:
            sentiments = _but_check(low, sentiments)
        total = float(sum(sentiments))
        if total == 0:
            return 0.0
        ep = min(text.count("!"), 4) * 0.292
        qm = text.count("?")
        amplifier = ep + ((qm * 0.18 if qm <= 3 else 0.96) if qm > 1 else 0)
        total = total + amplifier if total > 0 else total - amplifier
        compound = total / math.sqrt(total * total + 15)
        compound = max(-1.0, min(1.0, compound))
        return round(compound, 4)

    def _merge(
        self,
        raw: list[str],
        toks: list[str],
        low: list[str],
        question: list[bool] | None,
    ) -> tuple[list[str], list[str], list[str], list[bool] | None]:
        """Join multi-word phrases into single tokens (greedy, longest match first)."""
        index = self._phrase_index
        o_raw: list[str] = []
        o_tok: list[str] = []
        o_low: list[str] = []
        o_q: list[bool] | None = [] if question is not None else None
        i = 0
        n = len(low)
        while i < n:
            length = 1
            cands = index.get(low[i])
            if cands is not None:
                for words, size, key in cands:
                    if low[i : i + size] == words:
                        length = size
                        o_raw.append(" ".join(raw[i : i + size]))
                        o_tok.append(" ".join(toks[i : i + size]))
                        o_low.append(key)
                        break
            if length == 1:
                o_raw.append(raw[i])
                o_tok.append(toks[i])
                o_low.append(low[i])
            if o_q is not None and question is not None:
                o_q.append(question[i + length - 1])
            i += length
        return o_raw, o_tok, o_low, o_q

    def _is_negator(self, word: str) -> bool:
        # VADER: a NEGATE word or any token containing "n't"; merged phrases never negate
        return word in self._negators or ("n't" in word and " " not in word)

    def _valences(self, raw: list[str], toks: list[str], low: list[str]) -> list[float]:
        """Per-token valence after VADER's booster, capitals, negation and idiom rules.

        In CX mode a negation does not reach across clause punctuation: in "Wouldn't order
        again, took forever" the "wouldn't" must not turn "took forever" into praise.
        """
        cx = self._cx
        lex = self._lexicon
        boosters = self._boosters
        is_neg = self._is_negator
        n = len(low)
        sentiments = [0.0] * n
        cap_diff: bool | None = None
        for i, word in enumerate(low):
            base = lex.get(word)
            if base is None or word in boosters:
                continue
            if word == "kind" and i < n - 1 and low[i + 1] == "of":
                continue
            v = base
            if word == "no" and i != n - 1 and low[i + 1] in lex:
                v = 0.0
            if (
                (i > 0 and low[i - 1] == "no")
                or (i > 1 and low[i - 2] == "no")
                or (i > 2 and low[i - 3] == "no" and low[i - 1] in _OR_NOR)
            ):
                v = base * N_SCALAR
            if toks[i].isupper():
                if cap_diff is None:
                    cap_diff = _cap_differential(toks)
                if cap_diff:
                    v = v + C_INCR if v > 0 else v - C_INCR
            for k in (1, 2, 3):  # the three preceding tokens
                if i < k:
                    break
                prev = low[i - k]
                if prev in lex:
                    continue
                s = boosters.get(prev, 0.0)
                if s:
                    if v < 0:
                        s = -s
                    if toks[i - k].isupper():
                        if cap_diff is None:
                            cap_diff = _cap_differential(toks)
                        if cap_diff:
                            s = s + C_INCR if v > 0 else s - C_INCR
                    if k == 2:
                        s = s * 0.95
                    elif k == 3:
                        s = s * 0.9
                v = v + s
                if k == 1:
                    if is_neg(prev) and not (cx and _ends_clause(raw[i - 1])):
                        v = v * N_SCALAR
                elif k == 2:
                    if prev == "never" and low[i - 1] in _SO_THIS:
                        v = v * 1.25
                    elif prev == "without" and low[i - 1] == "doubt":
                        pass
                    elif is_neg(prev) and not (cx and _crosses_clause(raw, i - 2, i)):
                        v = v * N_SCALAR
                else:
                    if (prev == "never" and low[i - 2] in _SO_THIS) or low[i - 1] in _SO_THIS:
                        v = v * 1.25
                    elif prev == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                        pass
                    elif is_neg(prev) and not (cx and _crosses_clause(raw, i - 3, i)):
                        v = v * N_SCALAR
                    v = _idioms(v, low, i, n)
            if (
                i > 0
                and low[i - 1] == "least"
                and "least" not in lex
                and (i == 1 or low[i - 2] not in ("at", "very"))
            ):
                v = v * N_SCALAR
            sentiments[i] = v
        return sentiments


def _ends_clause(tok: str) -> bool:
    end = tok.rstrip(_CLOSERS)
    return bool(end) and end[-1] in _CLAUSE_END


def _crosses_clause(raw: list[str], start: int, stop: int) -> bool:
    """Does any of ``raw[start:stop]`` end a clause (so a negation there stops short)?"""
    return any(_ends_clause(raw[j]) for j in range(start, stop))


def _cap_differential(toks: list[str]) -> bool:
    """VADER: some, but not all, tokens are ALL CAPS."""
    caps = sum(1 for t in toks if t.isupper())
    return 0 < caps < len(toks)


def _idioms(v: float, low: list[str], i: int, n: int) -> float:
    """VADER's special-case idioms and two-word boosters around token ``i`` (needs i > 2)."""
    lo = max(i - 3, 0)
    if _IDIOM_WORDS.isdisjoint(low[lo : i + 3]):
        return v
    a, b, c, w = low[i - 3], low[i - 2], low[i - 1], low[i]
    threetwoone = f"{a} {b} {c}"
    threetwo = f"{a} {b}"
    twoone = f"{b} {c}"
    for seq in (f"{c} {w}", f"{b} {c} {w}", twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            v = SPECIAL_CASES[seq]
            break
    if n - 1 > i:
        seq = f"{w} {low[i + 1]}"
        if seq in SPECIAL_CASES:
            v = SPECIAL_CASES[seq]
    if n - 1 > i + 1:
        seq = f"{w} {low[i + 1]} {low[i + 2]}"
        if seq in SPECIAL_CASES:
            v = SPECIAL_CASES[seq]
    for seq in (threetwoone, threetwo, twoone):
        if seq in _MULTIWORD_BOOSTERS:
            v = v + _MULTIWORD_BOOSTERS[seq]
    return v


def _but_check(low: list[str], sentiments: list[float]) -> list[float]:
    """VADER's contrastive "but": halve what precedes the first "but", x1.5 what follows.

    Reproduces vaderSentiment 3.3.2 exactly, including that it locates each value by equality
    (``list.index``), so equal valences share the first position's treatment.
    """
    bi = low.index("but")
    for k in range(len(sentiments)):
        value = sentiments[k]
        si = sentiments.index(value)
        if si < bi:
            sentiments[si] = value * 0.5
        elif si > bi:
            sentiments[si] = value * 1.5
    return sentiments


def _question_flags(raw: list[str]) -> list[bool]:
    """For each raw token: is its sentence a question (ends with "?")?"""
    flags = [False] * len(raw)
    start = 0
    for j, tok in enumerate(raw):
        end = tok.rstrip(_CLOSERS)
        if end and end[-1] in _TERMINAL:
            tail = end[len(end.rstrip(_TERMINAL)) :]
            if "?" in tail:
                for k in range(start, j + 1):
                    flags[k] = True
            start = j + 1
    return flags


# -- worker process -----------------------------------------------------------------------

_WORKER: SentimentScorer | None = None


def _init_worker(config: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = SentimentScorer(**config)


def _score_chunk(texts: list[str]) -> list[float]:
    assert _WORKER is not None
    compound = _WORKER._compound
    return [compound(t) for t in texts]


# -- baseline and evaluation --------------------------------------------------------------


def plain_vader(
    positive_threshold: float = 0.05, negative_threshold: float = -0.05
) -> SentimentScorer:
    """The baseline: VADER's lexicon and rules only, labelled with the same thresholds."""
    return SentimentScorer(
        positive_threshold=positive_threshold,
        negative_threshold=negative_threshold,
        use_cx_lexicon=False,
    )


def evaluate(
    scorer: SentimentScorer,
    texts: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label precision/recall/F1 and confusion matrix.

    Macro-F1 is the mean F1 over the three labels, so a scorer cannot look good by
    predicting the majority class. ``confusion[i][j]`` counts gold ``LABELS[i]`` predicted as
    ``LABELS[j]``. With ``groups`` (e.g. the source of each text) the same figures are also
    given per group under ``"by_group"``.
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    _, predicted = scorer.score_many(texts, workers=1)
    result = _metrics(list(labels), predicted)
    if groups is not None:
        by: dict[str, dict[str, Any]] = {}
        for g in sorted(set(groups)):
            idx = [i for i, x in enumerate(groups) if x == g]
            by[g] = _metrics([labels[i] for i in idx], [predicted[i] for i in idx])
        result["by_group"] = by
    return result


def _metrics(gold: list[str], pred: list[str]) -> dict[str, Any]:
    pos = {label: i for i, label in enumerate(LABELS)}
    confusion = np.zeros((3, 3), dtype=np.int64)
    for g, p in zip(gold, pred, strict=True):
        if g not in pos:
            raise ValueError(f"unknown gold label {g!r}")
        if p in pos:  # a blank text's "" counts as wrong for every label
            confusion[pos[g], pos[p]] += 1
    per_label: dict[str, dict[str, float]] = {}
    for label, i in pos.items():
        tp = float(confusion[i, i])
        predicted = float(confusion[:, i].sum())
        support = sum(1 for g in gold if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support,
        }
    present = [
        label for label in LABELS if per_label[label]["support"] or confusion[:, pos[label]].sum()
    ]
    n = len(gold)
    return {
        "n": n,
        "accuracy": float(np.trace(confusion)) / n if n else 0.0,
        "macro_f1": float(np.mean([per_label[x]["f1"] for x in present])) if present else 0.0,
        "per_label": per_label,
        "labels": list(LABELS),
        "confusion": confusion.tolist(),
    }
