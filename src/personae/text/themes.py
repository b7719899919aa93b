"""Themes in customer texts: TF-IDF (uni- and bigrams) + NMF, with the number of themes chosen.

Why this shape:

- **NMF on TF-IDF** gives additive, non-negative themes: a document is a mix of a few
  themes, and a theme is a weighted list of terms a person can read. It is deterministic
  for a seed (``nndsvda`` initialisation), unlike LDA's sampling, and fast on sparse data.
- **Fit on a sample, transform everything.** Themes are stable long before the whole
  corpus is seen; the vocabulary and the NMF components are fitted on ``fit_sample``
  documents, and every document is then *projected* on the fixed components. With the
  components fixed the projection is a convex non-negative least-squares problem per
  document, solved here by HALS sweeps (block coordinate descent, all documents at once
  in NumPy; it converges in a few sweeps). It reaches scikit-learn's ``NMF.transform``
  optimum (weights within 1e-6 in a check) in about half its time; the real cost of a
  transform is vectorising, which is why that part is done in Arrow.
- **Vectorising in Arrow.** Lower-casing, splitting, stop-word filtering, bigram building
  and vocabulary look-up run as Arrow compute kernels over whole columns (C++, no Python
  per token), and identical texts — customer texts repeat — are vectorised once. Two
  threads share the chunks (Arrow and NumPy release the GIL).
- **Bigrams of adjacent words only.** A bigram is two words that are next to each other in
  the text, both not stop words, not across punctuation: "delivery windows", "return
  label", "plant protein". (scikit-learn joins the words left after removing stop words,
  which yields "price serving" from "price per serving"; those make poor labels.)
- **Choosing k** (when ``n_themes`` is None): NMF is fitted for a coarse grid over
  ``k_range`` and then refined around the best, on a selection sample; each solution is
  scored by contextual topic coherence (how alike the co-occurrence contexts of each
  theme's top terms are, with NPMI weights and documents as the window — see
  :func:`_coherence` for why not plain NPMI) times topic diversity (the share of distinct
  words among all themes' top terms, which falls when NMF splits a theme into near-copies).
  The rule is in :meth:`ThemeModel._choose_k`; the whole table is kept in ``selection_``.

Labels come from the top terms (a bigram whose words are both top unigrams first), and each
theme gets the single sentence that expresses it best, from one of its own documents.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from personae.text.quotes import split_sentences
from personae.text.stopwords import STOP_WORDS

__all__ = ["ArrowTfidf", "Theme", "ThemeInputError", "ThemeModel"]

# Texts in chunks of this many documents: bounds the memory of the token columns (a 1M-doc
# corpus has ~20M tokens) and gives the two threads work to share.
_CHUNK = 100_000
# Documents per theme the smallest k needs: fewer cannot give k themes worth the name.
MIN_DOCS_PER_THEME = 5
# Terms per theme that coherence, diversity and ``Theme.top_terms`` look at.
TOP_TERMS = 10
# Coherence × diversity within this share of the best counts as a tie (→ the smaller k).
# Kept small on purpose: the score curve over k is flat on customer texts (the whole range
# often within 10%), so a wide tolerance always lands on the smallest k — a few broad
# themes, one of them holding half the corpus (2% chose k=4 over k=8 on the SaaS bench).
TIE_TOLERANCE = 0.005
# With ``prefer="more"``: the largest k whose mean contextual coherence is within this share
# of the best k's (see ``ThemeModel._choose_k``).
COHERENCE_TOLERANCE = 0.10

_URL_OR_HANDLE = r"https?://\S+|www\.\S+|@[\pL\pN_]+"
_APOSTROPHE = r"['’`]"
# Anything but letters, digits, spaces, hyphens, #, & and % ends a phrase: no bigram across.
_BREAK = r"[^\pL\pN \-#&%]+"
_SPLIT = r"[^\pL\pN_]+"
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]{2,}")


class ThemeInputError(ValueError):
    """The texts or settings cannot give themes; the message names the problem and the fix."""


@dataclass(frozen=True)
class Theme:
    """One theme: a readable label, its terms, its size and the sentence that shows it best."""

    theme_id: int
    label: str
    top_terms: list[str]
    weight_share: float
    documents: int
    representative: str
    representative_index: int


def _sentences(text: str) -> list[str]:
    """Sentences of a customer text: each line split by :func:`quotes.split_sentences`
    (which knows abbreviations), keeping those with a word of two letters or more."""
    out = []
    for line in text.splitlines():
        out += [s for s in split_sentences(_SPACES.sub(" ", line).strip()) if _WORD.search(s)]
    return out


# ----------------------------------------------------------------------------- vectoriser


def _as_arrow(texts: Any) -> pa.Array:
    """Texts as one Arrow string array; None, NaN and non-strings are errors or nulls."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        arr = texts
    else:
        if isinstance(texts, str):
            raise ThemeInputError(
                "texts is a single string: pass a sequence of documents, e.g. [text]"
            )
        try:
            arr = pa.array(list(texts), type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ThemeInputError(
                f"texts must be strings or None ({exc}): convert the column to str first"
            ) from None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise ThemeInputError(
            f"texts must be strings, got an Arrow {arr.type} array: cast it to string first"
        )
    return arr.cast(pa.large_string())


@dataclass
class _Tokens:
    """Flat kept tokens and adjacent-word bigrams of a batch of documents."""

    uni: pa.Array
    uni_doc: np.ndarray
    bi: pa.Array
    bi_doc: np.ndarray


def _tokenize(arr: pa.Array, stop: pa.Array, bigrams: bool = True) -> _Tokens:
    """Lower-case, drop URLs/handles/apostrophes, split, filter stop words, build bigrams.

    Runs as Arrow kernels over the whole batch. A phrase break (punctuation other than
    hyphens, a line break) becomes a ``_`` token: it is never kept, so no bigram spans it.
    """
    s = pc.utf8_lower(pc.fill_null(arr, ""))
    s = pc.replace_substring_regex(s, _URL_OR_HANDLE, " _ ")
    s = pc.replace_substring_regex(s, _APOSTROPHE, "")
    s = pc.replace_substring_regex(s, _BREAK, " _ ")
    lists = pc.split_pattern_regex(s, _SPLIT)
    flat = lists.flatten()
    offsets = np.asarray(lists.offsets)
    doc = np.repeat(np.arange(len(arr), dtype=np.int64), np.diff(offsets))
    keep = pc.and_(
        pc.greater_equal(pc.utf8_length(flat), 2),
        pc.invert(pc.is_in(flat, value_set=stop)),
    )
    keep = pc.and_(keep, pc.invert(pc.utf8_is_numeric(flat)))
    keep_np = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    (pos,) = np.nonzero(keep_np)
    uni = flat.take(pa.array(pos))
    pair = keep_np[:-1] & keep_np[1:] & (doc[:-1] == doc[1:])
    if not bigrams:
        pair[:] = False
    (left,) = np.nonzero(pair)
    bi = pc.binary_join_element_wise(
        flat.take(pa.array(left)), flat.take(pa.array(left + 1)), pa.scalar(" ", pa.large_string())
    )
    return _Tokens(uni, doc[pos], bi, doc[left])


def _unique_texts(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Distinct texts and, per input text, the index of its distinct text."""
    enc = pc.dictionary_encode(pc.fill_null(arr, ""))
    return enc.dictionary, np.asarray(enc.indices.to_numpy(zero_copy_only=False))


class ArrowTfidf:
    """TF-IDF over a fixed vocabulary, vectorised with Arrow kernels.

    The surface callers need from a scikit-learn vectoriser — ``transform``,
    ``get_feature_names_out``, ``vocabulary_``, ``idf_`` — with the same weighting as
    ``TfidfVectorizer`` defaults (raw counts × smooth idf, rows L2-normalised).
    """

    def __init__(self, stop_words: frozenset[str], bigrams: bool = True) -> None:
        self.stop_words = stop_words
        self.bigrams = bigrams
        self._stop = pa.array(sorted(stop_words), type=pa.large_string())
        self.vocabulary_: dict[str, int] = {}
        self.idf_: np.ndarray = np.empty(0)
        self._terms: pa.Array = pa.array([], type=pa.large_string())

    def tokens(self, arr: pa.Array) -> _Tokens:
        """Kept words and bigrams of a batch of texts (an Arrow string array)."""
        return _tokenize(arr.cast(pa.large_string()), self._stop, self.bigrams)

    def fit(
        self, arr: pa.Array, min_df: int | float, max_df: float, max_features: int
    ) -> sp.csr_matrix:
        """Choose the vocabulary on ``arr`` (min/max document frequency, then the most
        frequent ``max_features``, ties by term) and return its TF-IDF matrix."""
        n = len(arr)
        uniq, inverse = _unique_texts(arr)
        tok = self.tokens(uniq)
        terms = pa.concat_arrays([tok.uni, tok.bi])
        docs = np.concatenate([tok.uni_doc, tok.bi_doc])
        enc = pc.dictionary_encode(terms)
        idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        names = enc.dictionary
        # document frequency over the *input* documents: a distinct text counts as often as
        # it occurs
        pairs = np.unique(docs * len(names) + idx)
        copies = np.bincount(inverse, minlength=len(uniq))
        df = np.bincount(
            pairs % len(names), weights=copies[pairs // len(names)], minlength=len(names)
        )
        low = min_df if isinstance(min_df, int) else math.ceil(min_df * n)
        ok = (df >= low) & (df <= max_df * n)
        cand = np.nonzero(ok)[0]
        if len(cand) == 0:
            self._set_vocabulary(pa.array([], type=pa.large_string()), np.empty(0), n)
            return sp.csr_matrix((n, 0), dtype=np.float64)
        cand_names = names.take(pa.array(cand))
        # most frequent first, ties alphabetical: deterministic whatever the input order
        order = np.lexsort((np.asarray(pc.rank(cand_names, sort_keys="ascending")), -df[cand]))
        chosen = cand[order[:max_features]]
        chosen = chosen[np.argsort(np.asarray(pc.rank(names.take(pa.array(chosen)))))]
        self._set_vocabulary(names.take(pa.array(chosen)), df[chosen], n)
        x = self._weigh(tok, len(uniq))
        return x[inverse]

    def _set_vocabulary(self, terms: pa.Array, df: np.ndarray, n: int) -> None:
        self._terms = terms
        self.vocabulary_ = {t: i for i, t in enumerate(terms.to_pylist())}
        self.idf_ = np.log((1 + n) / (1 + df)) + 1.0

    def get_feature_names_out(self) -> np.ndarray:
        return np.asarray(self._terms.to_pylist(), dtype=object)

    def _weigh(self, tok: _Tokens, n_docs: int) -> sp.csr_matrix:
        v = len(self._terms)
        rows, cols = [], []
        for values, doc in ((tok.uni, tok.uni_doc), (tok.bi, tok.bi_doc)):
            hit = pc.index_in(values, value_set=self._terms)
            mask = np.asarray(pc.is_valid(hit).to_numpy(zero_copy_only=False), dtype=bool)
            cols.append(np.asarray(pc.drop_null(hit).to_numpy(), dtype=np.int32))
            rows.append(doc[mask])
        r, c = np.concatenate(rows), np.concatenate(cols)
        x = sp.csr_matrix(
            (np.ones(len(r), dtype=np.float64), (r, c)), shape=(n_docs, v)
        )  # duplicates summed: term counts
        x.sum_duplicates()
        x.data *= self.idf_[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x

    def coverage(self, arr: pa.Array) -> np.ndarray:
        """Per text, the share of its content words (kept unigrams) in the vocabulary."""
        tok = self.tokens(arr)
        known = pc.is_in(tok.uni, value_set=self._terms)
        hit = np.asarray(known.to_numpy(zero_copy_only=False), dtype=np.float64)
        words = np.bincount(tok.uni_doc, minlength=len(arr))
        found = np.bincount(tok.uni_doc, weights=hit, minlength=len(arr))
        return np.divide(found, words, out=np.ones(len(arr)), where=words > 0)

    def transform(self, texts: Any) -> sp.csr_matrix:
        """TF-IDF rows of ``texts`` (identical texts vectorised once)."""
        arr = _as_arrow(texts)
        uniq, inverse = _unique_texts(arr)
        x = self._weigh(self.tokens(uniq), len(uniq))
        return x[inverse]


# ----------------------------------------------------------------------------- NMF pieces


def _project(x: sp.csr_matrix, h: np.ndarray, gram: np.ndarray, sweeps: int = 40) -> np.ndarray:
    """Non-negative least squares ``min_W≥0 ||X − W H||`` for fixed ``H``, by HALS sweeps.

    Convex in ``W`` with ``H`` fixed, so this reaches the same optimum as scikit-learn's
    ``NMF.transform`` (without regularisation); it starts from the clipped unconstrained
    solution and stops when a sweep changes ``W`` by less than 1e-4 (relative).
    """
    b = np.asarray(x @ h.T)
    if b.shape[0] == 0:
        return b
    k = h.shape[0]
    ridge = gram + 1e-9 * np.trace(gram) / k * np.eye(k)
    w = np.maximum(np.linalg.solve(ridge, b.T).T, 0.0)
    diag = np.maximum(np.diag(gram), 1e-12)
    for _ in range(sweeps):
        change = 0.0
        for j in range(k):
            new = np.maximum(w[:, j] + (b[:, j] - w @ gram[:, j]) / diag[j], 0.0)
            change += float(np.abs(new - w[:, j]).sum())
            w[:, j] = new
        if change <= 1e-4 * max(float(w.sum()), 1e-12):
            break
    return w


def _coherence(
    binary: sp.csc_matrix, tops: list[np.ndarray], names: np.ndarray
) -> tuple[list[float], list[float]]:
    """Two coherences per theme, documents as the co-occurrence window: (direct, contextual).

    *Direct* is the mean NPMI over pairs of the theme's top terms. On short customer texts
    it punishes synonyms: one customer writes "fees", another "costs", and the two never
    share a document although they are the same theme. *Contextual* (Aletras & Stevenson,
    2013) compares the terms' contexts instead: each top term's vector holds its positive
    NPMI with every vocabulary term, and the theme's score is the mean cosine between those
    vectors over its pairs, so "fees" and "costs" agree because both go with "shipping" and
    "discount". Pairs where one term is part of the other (a bigram and its own word) are
    skipped: they co-occur by construction.
    """
    n = binary.shape[0]
    terms = np.unique(np.concatenate(tops))
    pos = {int(t): i for i, t in enumerate(terms)}
    df = np.asarray(binary.sum(axis=0)).ravel()
    co = np.asarray((binary[:, terms].T @ binary).todense())  # top terms × vocabulary
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = co / n
        npmi = np.log(joint / np.outer(df[terms] / n, df / n)) / -np.log(joint)
    npmi = np.where(co > 0, npmi, -1.0)
    npmi[(co > 0) & ~np.isfinite(npmi)] = 1.0  # a pair in every document
    ctx = np.maximum(npmi, 0.0)
    ctx[np.arange(len(terms)), terms] = 0.0
    ctx /= np.maximum(np.linalg.norm(ctx, axis=1, keepdims=True), 1e-12)
    direct, contextual = [], []
    for top in tops:
        pairs = [
            (a, b)
            for a in range(len(top))
            for b in range(a + 1, len(top))
            if not set(str(names[top[a]]).split()) & set(str(names[top[b]]).split())
        ]
        if not pairs:
            direct.append(0.0)
            contextual.append(0.0)
            continue
        rows = np.array([pos[int(top[a])] for a, _ in pairs])
        cols_t = np.array([int(top[b]) for _, b in pairs])
        rows_b = np.array([pos[int(top[b])] for _, b in pairs])
        direct.append(float(npmi[rows, cols_t].mean()))
        contextual.append(float(np.einsum("ij,ij->i", ctx[rows], ctx[rows_b]).mean()))
    return direct, contextual


def _top(h: np.ndarray, n: int) -> list[np.ndarray]:
    """Indices of each row's ``n`` largest positive weights, largest first (ties by index)."""
    tops = []
    for row in h:
        order = np.lexsort((np.arange(len(row)), -row))[:n]
        tops.append(order[row[order] > 0])
    return tops


# ----------------------------------------------------------------------------- model


class ThemeModel:
    """TF-IDF + NMF themes with an automatic (and reported) number of themes.

    ``fit`` learns the vocabulary and the themes on a sample of ``fit_sample`` texts, then
    projects *all* the texts it was given to describe each theme over the whole corpus
    (``weight_share``, ``documents``, ``representative``); ``fit_transform`` returns that
    projection. ``transform`` projects new texts on the fitted themes.

    Args:
        n_themes: the number of themes, or None to choose it in ``k_range``.
        k_range: smallest and largest number of themes tried when choosing.
        max_features: vocabulary size cap (most frequent terms kept).
        min_df: minimum document frequency of a term (count, or share if a float < 1).
        ngram_range: ``(1, 1)`` for words only, ``(1, 2)`` for words and bigrams.
        extra_stop_words: added to :data:`personae.text.stopwords.STOP_WORDS` (brand names…).
        fit_sample: texts the vocabulary and NMF are fitted on (a seeded random sample).
        random_state: seed of the sample and of NMF; the same seed gives the same themes.
        max_df: maximum document frequency share of a term (a word in most texts is no theme).
        selection_sample: texts (from the fit sample) on which candidate k are scored.
        n_threads: threads that vectorise and project chunks of texts.
        prefer: ``"fewer"`` or ``"more"`` themes when choosing k (see ``_choose_k``).

    Attributes (after ``fit``):
        themes_: one :class:`Theme` per theme; ``theme_id`` is the column in the weights,
            theme 0 has the largest ``weight_share``.
        n_themes_: the number of themes used.
        selection_: the k-selection table, one dict per k tried (k, coherence, npmi,
            diversity, score, reconstruction_error, iterations, seconds, chosen) — with a
            fixed ``n_themes``, the single row of that k, scored the same way.
        timings_: seconds per fitting step (vectorise sample, choose k, fit NMF,
            transform all, describe themes).
        vectorizer_: the fitted :class:`ArrowTfidf` (``tfidf`` is the way to use it).
        nmf_: the fitted scikit-learn ``NMF``, components in theme order.
        components_: the theme × term weights (float64), in theme order.

    Texts are strings; None, NaN and blank texts are allowed and get all-zero weights.
    """

    def __init__(
        self,
        n_themes: int | None = None,
        k_range: tuple[int, int] = (4, 24),
        max_features: int = 20000,
        min_df: int | float = 5,
        ngram_range: tuple[int, int] = (1, 2),
        extra_stop_words: Iterable[str] = (),
        fit_sample: int = 100_000,
        random_state: int = 0,
        *,
        max_df: float = 0.5,
        selection_sample: int = 20_000,
        n_threads: int = 2,
        prefer: str = "fewer",
    ) -> None:
        if n_themes is not None and n_themes < 1:
            raise ThemeInputError(f"n_themes={n_themes}: pass a positive number, or None")
        lo, hi = k_range
        if not 2 <= lo <= hi:
            raise ThemeInputError(f"k_range={k_range}: pass (low, high) with 2 ≤ low ≤ high")
        if tuple(ngram_range) not in ((1, 1), (1, 2)):
            raise ThemeInputError(f"ngram_range={ngram_range}: pass (1, 1) or (1, 2)")
        if isinstance(min_df, float) and not 0 < min_df < 1:
            raise ThemeInputError(f"min_df={min_df}: a float must be a share in (0, 1)")
        if isinstance(min_df, int) and min_df < 1:
            raise ThemeInputError(f"min_df={min_df}: an int must be at least 1")
        self.n_themes = n_themes
        self.k_range = (int(lo), int(hi))
        self.max_features = max_features
        self.min_df = min_df
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.extra_stop_words = frozenset(w.lower() for w in extra_stop_words)
        self.fit_sample = fit_sample
        self.random_state = random_state
        self.max_df = max_df
        self.selection_sample = selection_sample
        self.n_threads = max(1, n_threads)
        if prefer not in ("fewer", "more"):
            raise ThemeInputError(f"prefer={prefer!r}: pass 'fewer' or 'more'")
        self.prefer = prefer
        self.stop_words: frozenset[str] = STOP_WORDS | self.extra_stop_words
        self.themes_: list[Theme] = []
        self.n_themes_: int = 0
        self.selection_: list[dict[str, Any]] = []
        self.timings_: dict[str, float] = {}
        self.vectorizer_: ArrowTfidf | None = None
        self.nmf_: NMF | None = None
        self.components_: np.ndarray = np.empty((0, 0))

    # -- public API -----------------------------------------------------------------

    def fit(self, texts: Sequence[str]) -> ThemeModel:
        """Learn the themes (see the class docstring); returns self."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        """Learn the themes and return the theme weights of ``texts`` (see ``transform``)."""
        with threadpool_limits(1):
            return self._fit_transform(texts)

    def _fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        # BLAS/OpenMP threads are pinned to one: the matrices here are small per call, our own
        # threads share the chunks, and on a shared 2-core machine OpenBLAS's spinning
        # threads made one NMF fit 40× slower (23 s instead of 0.5 s) when the other core
        # was busy.
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        arr = _as_arrow(texts)
        nonempty = self._check_texts(arr)
        sample = self._sample(nonempty, self.fit_sample, self.random_state)
        vec = ArrowTfidf(self.stop_words, bigrams=self.ngram_range == (1, 2))
        x = vec.fit(arr.take(pa.array(sample)), self.min_df, self.max_df, self.max_features)
        names = vec.get_feature_names_out()
        lo = self.n_themes or self.k_range[0]
        if x.shape[1] == 0:
            raise ThemeInputError(
                f"the vocabulary is empty after removing stop words and terms in fewer than "
                f"min_df={self.min_df} of the {len(sample):,} sampled texts: lower min_df, "
                "drop some extra_stop_words, or pass longer texts"
            )
        if x.shape[1] < lo:
            raise ThemeInputError(
                f"only {x.shape[1]} terms survive stop words and min_df={self.min_df}, fewer "
                f"than the {lo} themes asked for: lower min_df or the number of themes"
            )
        timings["vectorise sample"] = time.perf_counter() - t0
        self.n_themes_ = 0  # a failed refit must not leave a half-replaced model usable
        self.vectorizer_ = vec

        t0 = time.perf_counter()
        k = self._select(x, names)
        timings["choose k"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        nmf = self._nmf(k)
        with warnings.catch_warnings():  # not converged in max_iter is still a usable fit
            warnings.simplefilter("ignore", ConvergenceWarning)
            nmf.fit(x)
        self.nmf_ = nmf
        h = nmf.components_.astype(np.float64)
        self.components_ = h
        timings["fit NMF"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        raw = self._project_all(arr)
        timings["transform all"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        # theme ids by size: theme 0 holds the largest share of the corpus
        order = np.lexsort((np.arange(k), -_normalise(raw).sum(axis=0, dtype=np.float64)))
        self.components_ = h[order]
        self.nmf_.components_ = nmf.components_[order]
        raw = raw[:, order]
        self.n_themes_ = k
        weights = _normalise(raw)
        self.themes_ = self._describe(arr, raw, weights, names)
        timings["describe themes"] = time.perf_counter() - t0
        self.timings_ = timings
        return weights

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Theme weights per text (n_docs × n_themes, float32): each row sums to 1, or is all
        zero for a text with no known term (empty, None, or only stop words)."""
        self._check_fitted()
        with threadpool_limits(1):
            return _normalise(self._project_all(_as_arrow(texts)))

    def tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of ``texts`` in the fitted vocabulary (for quote selection etc.)."""
        self._check_fitted()
        assert self.vectorizer_ is not None
        return self.vectorizer_.transform(texts)

    def dominant(self, weights: np.ndarray) -> np.ndarray:
        """The theme with the most weight per row, or -1 for a row with no weight."""
        weights = np.asarray(weights)
        if weights.ndim != 2:
            raise ThemeInputError("weights must be a 2-D array (n_docs × n_themes)")
        if weights.shape[0] == 0:
            return np.empty(0, dtype=np.int64)
        out = np.argmax(weights, axis=1).astype(np.int64)
        out[weights.max(axis=1) <= 0] = -1
        return out

    # -- fitting steps ----------------------------------------------------------------

    def _check_fitted(self) -> None:
        if self.vectorizer_ is None or not self.n_themes_:
            raise ThemeInputError("the model is not fitted: call fit(texts) first")

    def _check_texts(self, arr: pa.Array) -> np.ndarray:
        """Indices of the non-empty texts; a ThemeInputError if they cannot give themes."""
        if len(arr) == 0:
            raise ThemeInputError("no texts: pass a non-empty sequence of documents")
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), True)
        nonempty = np.nonzero(~np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool))[0]
        if len(nonempty) == 0:
            raise ThemeInputError(
                f"all {len(arr):,} texts are empty or None: pass the column that holds the text"
            )
        lo = self.n_themes or self.k_range[0]
        need = MIN_DOCS_PER_THEME * lo
        if len(nonempty) < need:
            raise ThemeInputError(
                f"only {len(nonempty):,} non-empty texts; {lo} themes need at least {need} "
                f"({MIN_DOCS_PER_THEME} per theme): pass more texts or ask for fewer themes "
                "(n_themes, or a lower k_range)"
            )
        return nonempty

    @staticmethod
    def _sample(idx: np.ndarray, size: int, seed: int) -> np.ndarray:
        if len(idx) <= size:
            return idx
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(idx, size=size, replace=False))

    def _nmf(self, k: int) -> NMF:
        return NMF(
            n_components=k,
            init="nndsvda",
            solver="cd",
            max_iter=300,
            tol=1e-4,
            random_state=self.random_state,
        )

    def _select(self, x: sp.csr_matrix, names: np.ndarray) -> int:
        """Score candidate k on a selection sample; fill ``selection_`` and return the k."""
        n = x.shape[0]
        rows = self._sample(np.arange(n), self.selection_sample, self.random_state + 1)
        xs = x[rows]
        binary = (xs > 0).astype(np.float64).tocsc()
        norm = float(sp.linalg.norm(xs)) or 1.0
        lo, hi = self.k_range
        hi = max(lo, min(hi, xs.shape[1], n // MIN_DOCS_PER_THEME))
        scored: dict[int, dict[str, Any]] = {}

        def score(k: int) -> None:
            if k in scored or not lo <= k <= hi:
                return
            t0 = time.perf_counter()
            nmf = self._nmf(k)
            with warnings.catch_warnings():  # reported in the table as iterations instead
                warnings.simplefilter("ignore", ConvergenceWarning)
                nmf.fit(xs)
            tops = _top(nmf.components_, TOP_TERMS)
            direct, contextual = _coherence(binary, tops, names)
            coherence = float(np.mean(contextual))
            # distinct words per theme first: a bigram repeating its theme's own unigrams is
            # not redundancy between themes
            sets = [{w for t in top for w in str(names[t]).split()} for top in tops]
            diversity = len(set().union(*sets)) / max(sum(len(s) for s in sets), 1)
            scored[k] = {
                "k": k,
                "coherence": round(coherence, 4),
                "npmi": round(float(np.mean(direct)), 4),
                "diversity": round(diversity, 4),
                "score": round(coherence * diversity, 4),
                "reconstruction_error": round(float(nmf.reconstruction_err_) / norm, 4),
                "iterations": int(nmf.n_iter_),
                "seconds": round(time.perf_counter() - t0, 3),
                "chosen": False,
            }

        if self.n_themes is not None:
            k = self.n_themes
            lo, hi = k, k
            score(k)
        else:
            step = max(1, math.ceil((hi - lo) / 5))
            for k in range(lo, hi + 1, step):
                score(k)
            score(hi)
            for radius in (step // 2, 1):  # refine around the top score, halving the step
                if radius < 1:
                    continue
                top = max(scored, key=lambda key: (scored[key]["score"], -key))
                score(top - radius)
                score(top + radius)
            k = self._choose_k(scored, self.prefer)
        scored[k]["chosen"] = True
        self.selection_ = [scored[key] for key in sorted(scored)]
        return k

    @staticmethod
    def _choose_k(scored: dict[int, dict[str, Any]], prefer: str = "fewer") -> int:
        """The rule, for ``prefer="fewer"`` (an overview of a corpus): score = contextual
        coherence × topic diversity; the smallest k whose score is within
        ``TIE_TOLERANCE`` (relative) of the best wins.

        Coherence (see :func:`_coherence`) rewards themes whose top terms belong together;
        alone it can also reward splitting a theme into near-copies, which diversity (the
        share of distinct words among all themes' top words) penalises. Ties go to fewer
        themes: a reader can hold them in mind, and neighbouring k differ by noise (NMF
        lands in a different local optimum at each k). Direct NPMI and the relative
        reconstruction error are reported beside it, not used: NPMI punishes synonyms in
        short texts, and the error falls steadily with k on customer texts, with no elbow.

        ``prefer="more"`` (themes that describe *groups*, as persona facets do): the largest
        k whose mean contextual coherence is within ``COHERENCE_TOLERANCE`` of the best k's.
        Diversity falls with k by construction, so the product always favours few broad
        themes, and a small customer group's concerns are then merged into a larger group's
        theme and cannot be told apart later; extra, finer themes cost little, because a
        group's themes are ranked by lift. Coherence still stops k where themes stop
        making sense.
        """
        if prefer == "more":
            best_c = max(s["coherence"] for s in scored.values())
            return max(
                k for k, s in scored.items() if s["coherence"] >= best_c * (1 - COHERENCE_TOLERANCE)
            )
        best = max(s["score"] for s in scored.values())
        return min(k for k, s in scored.items() if s["score"] >= best * (1 - TIE_TOLERANCE))

    # -- projection -------------------------------------------------------------------

    def _project_all(self, arr: pa.Array) -> np.ndarray:
        """Raw (unnormalised) NMF weights of every text, in chunks over ``n_threads``."""
        vec = self.vectorizer_
        assert vec is not None
        h = self.components_
        gram = h @ h.T
        uniq, inverse = _unique_texts(arr)
        chunks = [uniq.slice(i, _CHUNK) for i in range(0, len(uniq), _CHUNK)]

        def one(chunk: pa.Array) -> np.ndarray:
            x = vec._weigh(vec.tokens(chunk), len(chunk))
            return _project(x, h, gram)

        if self.n_threads > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(self.n_threads) as pool:
                parts = list(pool.map(one, chunks))
        else:
            parts = [one(c) for c in chunks]
        w = np.concatenate(parts) if parts else np.zeros((0, h.shape[0]))
        return w[inverse]

    # -- description ------------------------------------------------------------------

    def _describe(
        self, arr: pa.Array, raw: np.ndarray, weights: np.ndarray, names: np.ndarray
    ) -> list[Theme]:
        k = self.n_themes_
        dom = self.dominant(weights)
        total = float(weights.sum()) or 1.0
        tops = _top(self.components_, TOP_TERMS)
        labels = _labels(self.components_, names)
        themes = []
        for t in range(k):
            sentence, index = self._representative(arr, raw, dom, t)
            themes.append(
                Theme(
                    theme_id=t,
                    label=labels[t],
                    top_terms=[str(names[i]) for i in tops[t]],
                    weight_share=float(weights[:, t].sum()) / total,
                    documents=int((dom == t).sum()),
                    representative=sentence,
                    representative_index=index,
                )
            )
        return themes

    def _representative(
        self, arr: pa.Array, raw: np.ndarray, dom: np.ndarray, t: int, candidates: int = 20
    ) -> tuple[str, int]:
        """The sentence that expresses theme ``t`` most, from one of its strongest documents.

        Candidates are the ``candidates`` documents whose dominant theme is ``t`` with the
        highest raw weight on it (distinct texts only). Each is split into sentences and
        every sentence projected; a sentence scores its raw weight on ``t`` times the share
        of its content words that are in the vocabulary. That factor matters: a misspelt
        word drops out of the TF-IDF row, so the remaining words weigh *more* after
        normalisation and typo-ridden texts would otherwise win. Sentences whose own dominant
        theme is ``t`` and that have three words or more are preferred. A theme that
        dominates no document falls back to the documents with the most weight on it.
        """
        own = np.nonzero(dom == t)[0]
        if len(own) == 0:
            own = np.nonzero(raw[:, t] > 0)[0]
        if len(own) == 0:
            return "", -1
        order = own[np.lexsort((own, -raw[own, t]))]
        docs: list[int] = []
        seen: set[str] = set()
        for i in order[: candidates * 10]:
            text = arr[int(i)].as_py() or ""
            if text not in seen:
                seen.add(text)
                docs.append(int(i))
            if len(docs) == candidates:
                break
        sentences, source = [], []
        for i in docs:
            for sentence in _sentences(arr[i].as_py() or ""):
                sentences.append(sentence)
                source.append(i)
        if not sentences:
            return (arr[int(order[0])].as_py() or "").strip(), int(order[0])
        batch = pa.array(sentences, type=pa.large_string())
        w = self._project_all(batch)
        assert self.vectorizer_ is not None
        score = w[:, t] * self.vectorizer_.coverage(batch)
        preferred = (self.dominant(w) == t) & np.array(
            [len(_WORD.findall(s)) >= 3 for s in sentences]
        )
        if preferred.any():
            score[~preferred] = -1.0
        best = int(np.argmax(score))
        return sentences[best], source[best]


def _normalise(raw: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 (all-zero rows stay zero), as float32."""
    sums = raw.sum(axis=1, keepdims=True)
    out = np.divide(raw, sums, out=np.zeros_like(raw), where=sums > 0)
    return out.astype(np.float32)


def _labels(h: np.ndarray, names: np.ndarray, pool: int = 15, words: int = 8) -> list[str]:
    """A short distinct label per theme, from its top terms.

    Per theme, the candidates in order:

    1. bigrams among its top ``pool`` terms whose two words are both among its top ``words``
       unigrams (the phrase the theme is about), best first by the weight of the bigram plus
       the weights of its two words — so "size chart" beats "chart looked" when "size"
       weighs more than "looked";
    2. its two top unigrams that are not verbs, as "a & b";
    3. any other bigram among its top ``TOP_TERMS`` terms;
    4. bigrams that end in a verb ("-ed" or a common irregular one: took, came, says…):
       noun + verb reads as half a sentence ("chart looked", "setup took"), while verb +
       object still names a subject ("charged twice") and stays in 1.

    Themes are labelled largest first; a candidate already used (same words in any order)
    is skipped, and if every candidate is taken the best one gets the next top word added.
    """
    index = {str(t): i for i, t in enumerate(names)}
    is_bi = np.array([" " in str(t) for t in names], dtype=bool)
    used: set[frozenset[str]] = set()
    out = []
    for row in h:
        order = np.lexsort((np.arange(len(row)), -row))
        order = order[row[order] > 0]
        unis = [str(names[i]) for i in order if not is_bi[i]][:words]
        top_bis = [str(names[i]) for i in order[:pool] if is_bi[i]]

        def quality(bigram: str, row: np.ndarray = row) -> tuple[bool, float]:
            a, b = bigram.split()
            verb = _verbish(b)
            weight = sum(row[index[t]] for t in (bigram, a, b) if t in index)
            return verb, -float(weight)

        both = sorted(
            (b for b in top_bis if all(w in unis for w in b.split())),
            key=lambda b: (*quality(b), b),
        )
        others = [str(names[i]) for i in order[:TOP_TERMS] if is_bi[i] and names[i] not in both]
        nouns = [u for u in unis if not _verbish(u)] or unis
        pair = [f"{nouns[0]} & {nouns[1]}"] if len(nouns) >= 2 else []
        verbs = [b for b in both + others if quality(b)[0]]
        cands = [b for b in both if b not in verbs] + pair
        cands += [b for b in others if b not in verbs] + verbs + unis[:1]
        label = next((c for c in cands if _key(c) not in used), None)
        if label is None:
            base = cands[0] if cands else "theme"
            extra = [u for u in unis if u not in base.split()]
            label = f"{base} & {extra[0]}" if extra else f"{base} {len(out) + 1}"
            if _key(label) in used:
                label = f"{base} {len(out) + 1}"
        used.add(_key(label))
        out.append(label)
    return out


_PAST_WORDS = "took came went gave felt kept sent sold told found left saw knew bought brought"
_PAST_TENSE = frozenset((_PAST_WORDS + " says shows stays seems looks agrees").split())


def _verbish(word: str) -> bool:
    return word.endswith("ed") or word in _PAST_TENSE


def _key(label: str) -> frozenset[str]:
    return frozenset(label.replace(" & ", " ").split())
