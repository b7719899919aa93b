"""``personae text``: the voice of the customer, from raw texts to profile attributes.

Reads the survey, ticket, review and social tables (through ``record_profiles``, so the
identity step decides who wrote what) and writes

* ``text_docs`` — one row per free-text document: source, record id, file and row,
  profile, question, language, length, time, sentiment, main facet and theme;
* ``text_snippets`` — the facet-bearing pieces of the documents (a whole survey answer or
  ticket, or one sentence of a review or post): facet, how it was decided, sentiment,
  theme weights;
* ``text_themes`` — per facet, the themes (TF-IDF + NMF on that facet's snippets): label,
  top terms, size, mean sentiment and one PII-free representative quote;
* ``text_profile_attributes`` — per profile: documents, mean sentiment, negative share,
  main theme per facet and every theme share; the same columns are joined onto
  ``profiles`` (prefixes ``text_`` and ``theme_``) for segmentation;
* ``text_models`` — the question → facet mapping used and the k-selection table of each
  facet (JSON), for the report.

Themes are fitted per facet rather than once for all texts: a goal and a complaint about
the same product are different things to a persona, and a facet's snippets share the
phrasing of one question, which gives NMF cleaner themes.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from personae.config import TextSettings
from personae.engine import DuckDBEngine
from personae.runs import StepCannotRun
from personae.text.docs import TEXT_DOC_COLUMNS, stage_text_docs
from personae.text.facets import FACETS, FacetRules, QuestionFacet, Snippet
from personae.text.language import detect_languages
from personae.text.pii import PiiScrubber
from personae.text.sentiment import SentimentScorer
from personae.text.themes import ThemeInputError, ThemeModel
from personae.text.voice import safe_quotes
from personae.value.transactions import columns_of

OUTPUT_TABLES = (
    "text_docs",
    "text_snippets",
    "text_themes",
    "text_profile_attributes",
    "text_models",
)
# Columns this step adds to ``profiles``; a re-run drops them first.
PROFILE_PREFIXES = ("text_", "theme_")


class TextStepError(StepCannotRun):
    """The text step cannot run on this workspace; the message says why and what to do."""


@dataclass
class FacetResult:
    facet: str
    snippets: int
    profiles: int
    themes: list[dict[str, Any]] = field(default_factory=list)
    selection: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""  # why a facet has no themes


@dataclass
class TextResult:
    documents: int = 0
    linked: int = 0  # documents with a profile
    analysed: int = 0  # documents in a configured language (scored and faceted)
    by_source: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, dict[str, float]] = field(default_factory=dict)  # source -> stats
    facets: dict[str, FacetResult] = field(default_factory=dict)
    questions: list[dict[str, Any]] = field(default_factory=list)
    profiles_with_text: int = 0
    seconds: float = 0.0
    report_path: Any = None  # reports/text.md, written by Workspace.text


def scrubber_for(
    con: duckdb.DuckDBPyConnection, allow: list[str], default_region: str = "US"
) -> PiiScrubber:
    """A PII scrubber that also knows every customer's first and last name."""
    have = columns_of(con, "profiles")
    names: list[str] = []
    for col in ("first_name", "last_name"):
        if col in have:
            rows = con.execute(
                f"SELECT DISTINCT {col} FROM profiles WHERE {col} IS NOT NULL"
            ).fetchall()
            names += [r[0] for r in rows]
    return PiiScrubber(known_names=names, default_region=default_region, allow=allow)


def product_name_remover(
    con: duckdb.DuckDBPyConnection, limit: int = 5000
) -> Callable[[str], str] | None:
    """A function that blanks the catalogue's multi-word product names out of a text.

    "The Training Shorts broke after a week" and "The Foam Roller broke after a week" are
    one theme (things that break), not two; left in, product names become the themes.
    Names come from the orders (``product_name``, most ordered first); one-word names stay,
    since they are often ordinary words ("Melatonin", "Candle").
    """
    if "product_name" not in columns_of(con, "raw_orders"):
        return None
    rows = con.execute(
        "SELECT product_name FROM raw_orders WHERE product_name IS NOT NULL "
        "GROUP BY product_name ORDER BY count(*) DESC, product_name LIMIT ?",
        [limit],
    ).fetchall()
    names = sorted(
        {" ".join(r[0].split()) for r in rows if len(r[0].split()) >= 2}, key=len, reverse=True
    )
    if not names:
        return None
    rx = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")(?!\w)",
        re.IGNORECASE,
    )
    return lambda text: rx.sub(" ", text)


def balanced_rows(sources: np.ndarray, seed: int = 0) -> np.ndarray:
    """Row indices with each source capped at the size of the second-largest source
    (a seeded sample of the larger ones), in their original order."""
    names, counts = np.unique(sources.astype(str), return_counts=True)
    if len(names) < 2:
        return np.arange(len(sources))
    cap = int(np.sort(counts)[-2])
    rng = np.random.default_rng([seed, 7])
    keep = []
    for name, count in zip(names, counts, strict=True):
        idx = np.flatnonzero(sources.astype(str) == name)
        keep.append(idx if count <= cap else np.sort(rng.choice(idx, cap, replace=False)))
    return np.sort(np.concatenate(keep))


def theme_fit(model: ThemeModel, texts: list[str], dominant: np.ndarray) -> np.ndarray:
    """How much each text is about its main theme: the cosine between its TF-IDF row and
    that theme's term weights (0 for a text with no theme).

    Theme *weights* are normalised per text, so a short, vague sentence ("was even better
    than expected") can belong wholly to one theme; its fit is low because few of its
    words are the theme's words. Quotes are taken from the better-fitting snippets.
    """
    x = model.tfidf(texts)
    h = model.components_
    out = np.zeros(len(texts))
    ok = dominant >= 0
    if not ok.any():
        return out
    rows = np.flatnonzero(ok)
    hd = h[dominant[rows]]
    dots = np.asarray(x[rows].multiply(hd).sum(axis=1)).ravel()
    xn = np.sqrt(np.asarray(x[rows].multiply(x[rows]).sum(axis=1)).ravel())
    hn = np.linalg.norm(hd, axis=1)
    out[rows] = np.where((xn > 0) & (hn > 0), dots / np.maximum(xn * hn, 1e-300), 0.0)
    return out


def theme_column(facet: str, theme_id: int) -> str:
    """Profile column holding the share of one theme: ``theme_goal_03``."""
    return f"theme_{facet}_{theme_id:02d}"


class TextBuilder:
    """Runs the voice-of-customer step on a workspace connection."""

    def __init__(self, settings: TextSettings | None = None, default_region: str = "US") -> None:
        self.settings = settings or TextSettings()
        self.default_region = default_region
        s = self.settings
        self.scorer = SentimentScorer(
            extra_lexicon=s.lexicon,
            positive_threshold=s.positive_threshold,
            negative_threshold=s.negative_threshold,
        )
        self.rules = FacetRules(
            questions=s.questions,
            negative_threshold=s.negative_threshold,
            frustration_threshold=s.frustration_threshold,
            motivation_threshold=s.motivation_threshold,
        )

    def run(self, con: duckdb.DuckDBPyConnection) -> TextResult:
        started = time.perf_counter()
        result = TextResult()
        stage_text_docs(con, "_text_docs_raw")
        docs = con.execute("SELECT * FROM _text_docs_raw").fetch_df()
        con.execute("DROP TABLE IF EXISTS _text_docs_raw")
        n = len(docs)
        result.documents = n
        texts = docs["text"].tolist()
        languages = detect_languages(texts)
        docs["language"] = languages
        docs["n_chars"] = docs["text"].str.len().astype("int64")
        docs["n_words"] = docs["text"].str.split().str.len().astype("int64")
        wanted = set(self.settings.languages)
        analysed = np.array([lang in wanted for lang in languages], dtype=bool)
        to_score = [t if a else None for t, a in zip(texts, analysed, strict=True)]
        compound, labels = self.scorer.score_many(to_score)
        docs["sentiment"] = compound
        docs["sentiment_label"] = [lab or None for lab in labels]

        # facets
        qfacets: dict[tuple[str, str], QuestionFacet] = {}
        question_facet: list[str | None] = [None] * n
        for i, (src, qid, q) in enumerate(
            zip(docs["source"], docs["question_id"], docs["question"], strict=True)
        ):
            if src != "survey":
                continue
            key = (_str(qid), _str(q))
            if key not in qfacets:
                qfacets[key] = self.rules.question_facet(key[0], key[1])
            question_facet[i] = qfacets[key].facet
        snippets = self.rules.snippets(
            docs["source"].tolist(),
            question_facet,
            texts,
            compound,
            lambda sentences: self.scorer.score_many(sentences)[0],
        )
        result.questions = _question_table(docs, qfacets)

        # themes per facet
        snip = pd.DataFrame(
            {
                "doc": np.array([s.doc for s in snippets], dtype=np.int64),
                "facet": [s.facet for s in snippets],
                "how": [s.how for s in snippets],
                "text": [s.text for s in snippets],
                "sentiment": np.array([s.compound for s in snippets], dtype=np.float64),
            }
        )
        snip["doc_id"] = docs["doc_id"].to_numpy()[snip["doc"].to_numpy()]
        snip["profile_id"] = docs["profile_id"].to_numpy()[snip["doc"].to_numpy()]
        snip["source"] = docs["source"].to_numpy()[snip["doc"].to_numpy()]
        snip["record_id"] = docs["record_id"].to_numpy()[snip["doc"].to_numpy()]
        snip["snippet_id"] = _snippet_ids(snip["doc_id"].to_numpy())
        snip["theme_id"] = np.full(len(snip), -1, dtype=np.int64)
        snip["theme_weight"] = np.zeros(len(snip), dtype=np.float64)
        snip["theme_fit"] = np.zeros(len(snip), dtype=np.float64)
        weights: list[np.ndarray | None] = [None] * len(snip)
        scrubber = scrubber_for(con, self.settings.allow, self.default_region)
        strip_products = product_name_remover(con) if self.settings.drop_product_names else None
        theme_rows: list[dict[str, Any]] = []
        for facet in FACETS:
            rows = np.flatnonzero(snip["facet"].to_numpy() == facet)
            fr = FacetResult(
                facet, len(rows), int(snip["profile_id"].iloc[rows].dropna().nunique())
            )
            result.facets[facet] = fr
            if len(rows) < self.settings.min_snippets:
                fr.note = (
                    f"{len(rows)} snippets, fewer than [text] min_snippets = "
                    f"{self.settings.min_snippets}: no themes"
                )
                continue
            try:
                theme_texts = snip["text"].iloc[rows].tolist()
                if strip_products is not None:
                    theme_texts = [strip_products(t) for t in theme_texts]
                model, w = self._fit_facet(theme_texts, snip["source"].to_numpy()[rows])
            except ThemeInputError as exc:
                fr.note = f"no themes: {exc}"
                continue
            dom = model.dominant(w)
            top = w[np.arange(len(rows)), np.maximum(dom, 0)]
            snip.loc[snip.index[rows], "theme_fit"] = theme_fit(model, theme_texts, dom)
            snip.loc[snip.index[rows], "theme_id"] = dom
            snip.loc[snip.index[rows], "theme_weight"] = np.where(dom >= 0, top, 0.0)
            for j, r in enumerate(rows.tolist()):
                weights[r] = w[j]
            fr.selection = model.selection_
            fr.themes = self._describe(facet, model, w, dom, snip.iloc[rows], scrubber)
            theme_rows += fr.themes

        self._write(con, docs, snip, weights, theme_rows, result)
        result.analysed = int(analysed.sum())
        result.linked = int(docs["profile_id"].notna().sum())
        result.by_source = {k: int(v) for k, v in docs["source"].value_counts().items()}
        result.languages = {k: int(v) for k, v in Counter(languages).most_common()}
        result.sentiment = _sentiment_stats(docs)
        result.seconds = time.perf_counter() - started
        con.execute("CREATE OR REPLACE TABLE text_models (name VARCHAR, document VARCHAR)")
        con.executemany(
            "INSERT INTO text_models VALUES (?, ?)",
            [("questions", json.dumps(result.questions))]
            + [
                (f"themes:{f}", json.dumps({"selection": r.selection, "note": r.note}))
                for f, r in result.facets.items()
            ],
        )
        return result

    # -- themes --------------------------------------------------------------------------

    def _fit_facet(self, texts: list[str], sources: np.ndarray) -> tuple[ThemeModel, np.ndarray]:
        """Fit one facet's themes on a source-balanced sample, then weigh every snippet.

        No source may hold more of the fitting sample than the second-largest source
        holds: a high-volume, templated source (tickets write the same sentences again and
        again) would otherwise spend most themes on its templates and merge what people
        wrote in answer to a survey question into one broad theme.
        """
        s = self.settings
        fit_rows = balanced_rows(sources, s.seed)
        fit_texts = [texts[i] for i in fit_rows]
        n = len(fit_texts)
        # a term must recur to be a theme word: 5 documents on a real corpus, fewer on a
        # small one (a facet of 60 snippets would otherwise keep no vocabulary)
        min_df = int(min(5, max(2, n // 100)))
        hi = max(s.min_themes, min(s.max_themes, n // 20))
        model = ThemeModel(
            n_themes=s.themes_per_facet or None,
            k_range=(s.min_themes, hi),
            min_df=min_df,
            extra_stop_words=s.stop_words,
            fit_sample=s.fit_sample,
            random_state=s.seed,
            prefer="more",
        )
        model.fit(fit_texts)
        return model, model.transform(texts)

    def _describe(
        self,
        facet: str,
        model: ThemeModel,
        w: np.ndarray,
        dom: np.ndarray,
        rows: pd.DataFrame,
        scrubber: PiiScrubber,
    ) -> list[dict[str, Any]]:
        s = self.settings
        out = []
        sentiments = rows["sentiment"].to_numpy()
        profiles = rows["profile_id"].to_numpy()
        for theme in model.themes_:
            t = theme.theme_id
            mine = np.flatnonzero(dom == t)
            size = len(mine)
            # the representative comes from the half of the theme's snippets whose words are
            # most the theme's words (see theme_fit), then the usual quote rules apply
            fits = rows["theme_fit"].to_numpy()[mine]
            if len(mine) >= 4:
                mine = mine[fits >= np.median(fits)]
            centroid = np.zeros(w.shape[1])
            centroid[t] = 1.0
            snippet_ids = rows["snippet_id"].to_numpy()[mine].tolist()
            quotes = safe_quotes(
                snippet_ids,
                rows["text"].to_numpy()[mine].tolist(),
                w[mine],
                centroid,
                1,
                min_chars=s.quote_min_chars,
                max_chars=s.quote_max_chars,
                scrubber=scrubber,
                profile_ids=profiles[mine].tolist(),
            )
            q = quotes[0] if quotes else None
            record_of = dict(
                zip(snippet_ids, rows["record_id"].to_numpy()[mine].tolist(), strict=True)
            )
            out.append(
                {
                    "facet": facet,
                    "theme_id": t,
                    "label": theme.label,
                    "top_terms": list(theme.top_terms),
                    "snippets": size,
                    "profiles": int(pd.Series(profiles[dom == t]).dropna().nunique()),
                    "weight_share": float(theme.weight_share),
                    "mean_sentiment": float(np.nanmean(sentiments[dom == t])) if size else None,
                    "quote": q.text if q else None,
                    "quote_record_id": record_of[q.record_id] if q else None,
                    "quote_snippet_id": q.record_id if q else None,
                }
            )
        return out

    # -- output --------------------------------------------------------------------------

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        docs: pd.DataFrame,
        snip: pd.DataFrame,
        weights: list[np.ndarray | None],
        theme_rows: list[dict[str, Any]],
        result: TextResult,
    ) -> None:
        eng = DuckDBEngine(con)
        labels = {(r["facet"], r["theme_id"]): r["label"] for r in theme_rows}
        snip["theme_label"] = [
            labels.get((f, int(t))) for f, t in zip(snip["facet"], snip["theme_id"], strict=True)
        ]
        # a document's main facet and theme: those of its longest snippet
        main = (
            snip.assign(length=snip["text"].fillna("").astype(str).str.len())
            .sort_values(["doc", "length"], ascending=[True, False], kind="stable")
            .drop_duplicates("doc")
            .set_index("doc")
        )
        counts = snip.groupby("doc").size()
        docs["facet"] = main["facet"].reindex(range(len(docs))).to_numpy()
        docs["theme_id"] = main["theme_id"].reindex(range(len(docs))).astype("Int64").to_numpy()
        docs["theme_label"] = main["theme_label"].reindex(range(len(docs))).to_numpy()
        docs["snippets"] = counts.reindex(range(len(docs)), fill_value=0).to_numpy()
        doc_cols = [
            *TEXT_DOC_COLUMNS[:8],
            "facet",
            "text",
            "language",
            "n_chars",
            "n_words",
            *TEXT_DOC_COLUMNS[9:],
            "sentiment",
            "sentiment_label",
            "theme_id",
            "theme_label",
            "snippets",
        ]
        eng.register("text_docs", pa.Table.from_pandas(docs[doc_cols], preserve_index=False))

        lists = pa.array(
            [None if v is None else v.astype(np.float32) for v in weights],
            type=pa.list_(pa.float32()),
        )
        snip_cols = [
            "snippet_id",
            "doc_id",
            "record_id",
            "profile_id",
            "source",
            "facet",
            "how",
            "text",
            "sentiment",
            "theme_id",
            "theme_label",
            "theme_weight",
            "theme_fit",
        ]
        table = pa.Table.from_pandas(snip[snip_cols], preserve_index=False)
        eng.register("text_snippets", table.append_column("theme_weights", lists))

        themes = pd.DataFrame(
            theme_rows,
            columns=[
                "facet",
                "theme_id",
                "label",
                "top_terms",
                "snippets",
                "profiles",
                "weight_share",
                "mean_sentiment",
                "quote",
                "quote_record_id",
                "quote_snippet_id",
            ],
        )
        if themes.empty:
            con.execute(
                "CREATE OR REPLACE TABLE text_themes (facet VARCHAR, theme_id BIGINT, "
                "label VARCHAR, top_terms VARCHAR[], snippets BIGINT, profiles BIGINT, "
                "weight_share DOUBLE, mean_sentiment DOUBLE, quote VARCHAR, "
                "quote_record_id VARCHAR, quote_snippet_id VARCHAR)"
            )
        else:
            eng.register("text_themes", pa.Table.from_pandas(themes, preserve_index=False))

        attrs = _profile_attributes(docs, snip, weights, theme_rows)
        result.profiles_with_text = len(attrs)
        eng.register("text_profile_attributes", pa.Table.from_pandas(attrs, preserve_index=False))
        join_profile_attributes(con)


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _snippet_ids(doc_ids: np.ndarray) -> list[str]:
    """``<doc_id>#<n>``: the n-th snippet of a document (1-based)."""
    out, seen = [], Counter()
    for d in doc_ids.tolist():
        seen[d] += 1
        out.append(f"{d}#{seen[d]}")
    return out


def _question_table(docs: pd.DataFrame, qfacets: dict[tuple[str, str], QuestionFacet]):
    """One row per free-text survey question: its facet, the rule, and how many answers."""
    survey = docs[docs["source"] == "survey"]
    counts = Counter(
        (_str(a), _str(b)) for a, b in zip(survey["question_id"], survey["question"], strict=True)
    )
    return [
        {
            "question_id": qid,
            "question": q,
            "facet": qf.facet,
            "rule": qf.rule,
            "answers": counts[(qid, q)],
        }
        for (qid, q), qf in sorted(qfacets.items(), key=lambda kv: -counts[kv[0]])
    ]


def _sentiment_stats(docs: pd.DataFrame) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    scored = docs[docs["sentiment"].notna()]
    for source, g in [("all", scored), *scored.groupby("source")]:
        if not len(g):
            continue
        lab = g["sentiment_label"].value_counts(normalize=True)
        out[str(source)] = {
            "documents": len(g),
            "mean": round(float(g["sentiment"].mean()), 4),
            "positive": round(float(lab.get("positive", 0.0)), 4),
            "neutral": round(float(lab.get("neutral", 0.0)), 4),
            "negative": round(float(lab.get("negative", 0.0)), 4),
        }
    return out


def _profile_attributes(
    docs: pd.DataFrame,
    snip: pd.DataFrame,
    weights: list[np.ndarray | None],
    theme_rows: list[dict[str, Any]],
) -> pd.DataFrame:
    """Per profile with text: documents, mean sentiment, negative share, and per facet the
    main theme's label and the share of every theme (mean weight over the profile's
    snippets of that facet; NULL when the profile has none)."""
    linked = docs[docs["profile_id"].notna()]
    if linked.empty:
        return pd.DataFrame({"profile_id": pd.Series([], dtype="string")})
    labelled = linked["sentiment_label"].notna()
    negative = (linked["sentiment_label"] == "negative").astype("float64").where(labelled)
    g = linked.assign(_negative=negative).groupby("profile_id", sort=True)
    out = pd.DataFrame(
        {
            "text_documents": g.size().astype("int64"),
            "text_sentiment": g["sentiment"].mean(),
            "text_negative_share": g["_negative"].mean(),
        }
    )
    by_facet: dict[str, list[dict[str, Any]]] = {}
    for row in theme_rows:
        by_facet.setdefault(row["facet"], []).append(row)
    for facet in FACETS:
        themes = sorted(by_facet.get(facet, []), key=lambda r: r["theme_id"])
        if not themes:
            continue
        rows = np.flatnonzero(
            (snip["facet"].to_numpy() == facet)
            & snip["profile_id"].notna().to_numpy()
            & (snip["theme_id"].to_numpy() >= 0)
        )
        if not len(rows):
            continue
        w = np.vstack([weights[r] for r in rows])
        frame = pd.DataFrame(w, columns=[theme_column(facet, r["theme_id"]) for r in themes])
        frame["profile_id"] = snip["profile_id"].to_numpy()[rows]
        shares = frame.groupby("profile_id", sort=True).mean()
        label_of = np.array([r["label"] for r in themes], dtype=object)
        shares.insert(0, f"text_{facet}", label_of[np.argmax(shares.to_numpy(), axis=1)])
        out = out.join(shares, how="left")
    out.index.name = "profile_id"
    return out.reset_index()


def join_profile_attributes(con: duckdb.DuckDBPyConnection) -> None:
    """Put the columns of ``text_profile_attributes`` onto ``profiles`` (replacing those a
    previous run added), so segmentation sees them as ordinary profile attributes. Without
    profiles (no identity results) there is nothing to join them onto."""
    if not DuckDBEngine(con).has_table("profiles"):
        return
    have = [r[0] for r in con.execute("DESCRIBE profiles").fetchall()]
    keep = [c for c in have if not c.startswith(PROFILE_PREFIXES)]
    extra = [
        r[0]
        for r in con.execute("DESCRIBE text_profile_attributes").fetchall()
        if r[0] != "profile_id"
    ]
    cols = ", ".join(f'p."{c}"' for c in keep) + "".join(f', t."{c}"' for c in extra)
    con.execute(
        f"""CREATE OR REPLACE TABLE _profiles_with_text AS
        SELECT {cols} FROM profiles p
        LEFT JOIN text_profile_attributes t ON t.profile_id = p.profile_id
        ORDER BY p.rowid"""
    )
    con.execute("DROP TABLE profiles")
    con.execute("ALTER TABLE _profiles_with_text RENAME TO profiles")


__all__ = [
    "OUTPUT_TABLES",
    "FacetResult",
    "Snippet",
    "TextBuilder",
    "TextResult",
    "TextStepError",
    "join_profile_attributes",
    "scrubber_for",
    "theme_column",
]
