"""``personae segment``: features → choice of algorithm and k → assignment → descriptions.

The choice runs on a seeded sample (``[segments] sample``) because it fits every algorithm
× k several times; the winner is then refitted on up to ``fit_sample`` entities and every
entity is assigned with its membership probabilities. Segments are numbered by size, the
largest first, so "segment 1" means the same thing across re-runs of the same data.

Writes ``segments`` (one row per entity), ``segment_descriptions`` (one row per segment)
and ``segment_models`` (the choice table, features and settings as JSON).

When the data cannot split the entities — too few of them, or no attribute on which they
differ — the step writes one segment, "Everyone", through the same writer and says why in
``segment_models`` (``single_group``, read back by :func:`single_group`), so personas and
the report still describe the whole customer base. That is decided here and nowhere else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from personae.config import GovernanceSettings, SegmentSettings
from personae.runs import StepCannotRun
from personae.segments.describe import SegmentDescription, describe_segments
from personae.segments.features import (
    FeatureError,
    FeatureMatrix,
    FeatureSet,
    NothingVaries,
    consent_excluded,
    feature_set,
    load_frame,
)
from personae.segments.models import SegmentData, fit_algorithm
from personae.segments.outliers import fit_outliers
from personae.segments.selection import Choice, choose
from personae.value.estimate import MONEY_ATTRIBUTES, value_basis

EMBEDDING_DIMS = 16
EVERYONE = "Everyone"  # the name of the one segment written when the data cannot be split


class SegmentStepError(StepCannotRun):
    """Segmentation cannot run on this workspace (with a fix in the message)."""


class SingleGroup(SegmentStepError):
    """The entities exist but the data cannot split them (too few, or alike on every
    attribute). Carries the population, so :class:`Segmenter` writes one group for everyone
    instead of none; other callers of :func:`prepare` see a segment step error as before.

    ``reason`` completes "one group for everyone, because …"; ``fix`` says what data would
    allow segments.
    """

    def __init__(self, features: FeatureSet, frame: pd.DataFrame, reason: str, fix: str) -> None:
        super().__init__(f"{reason[:1].upper()}{reason[1:]}. {fix}")
        self.features, self.frame, self.reason, self.fix = features, frame, reason, fix


def _noun(entity: str) -> str:
    return "accounts" if entity == "account" else "customers"


def _split_fix(entity: str) -> str:
    """What data would let segments form, naming commands and options that exist."""
    if entity == "account":
        differ = (
            "account fields such as industry, employees or plan, product events "
            "(`personae add FILE -w WORKSPACE --kind events`) or support tickets "
            "(`--kind tickets`)"
        )
    else:
        differ = (
            "orders (`personae add FILE -w WORKSPACE --kind orders`), app or web events "
            "(`--kind events`), survey answers (`--kind survey_responses`), reviews or "
            "tickets linked to a customer by e-mail or customer id, or contact fields such "
            "as gender, birth date or loyalty tier"
        )
    return (
        f"To get segments, add data on which {_noun(entity)} differ: {differ}; then "
        "`personae run` again."
    )


def _same_for_all(fs: FeatureSet, frame: pd.DataFrame) -> str:
    """'(the same for all: support_tickets, text_sentiment)' — the attributes that have a
    value, each one value only; empty when every attribute is empty."""
    same = [c for c in dict.fromkeys([*fs.numeric, *fs.categorical]) if frame[c].notna().any()]
    return f" (the same for all: {', '.join(same)})" if same else ""


@dataclass
class SegmentResult:
    """What one ``personae segment`` run chose and found."""

    entity: str
    entities: int
    numeric: list[str]
    categorical: list[str]
    dropped: dict[str, str]
    choice: Choice | None
    descriptions: list[SegmentDescription]
    stability: dict[int, float | None]  # None: nothing was resampled (one group)
    outliers: int
    outlier_note: str
    sample: int
    seconds: float
    report_path: object = None
    timings: dict[str, float] = field(default_factory=dict)
    # why there is one group for everyone (then ``choice`` is None); empty when segmented
    single_group: str = ""


def _embed(fm: FeatureMatrix, frame: pd.DataFrame, pca, chunk: int = 100_000) -> np.ndarray:
    """PCA embedding of every row, in chunks so a million rows never sit dense at once."""
    parts = [
        pca.transform(fm.embedding(frame.iloc[s : s + chunk])) for s in range(0, len(frame), chunk)
    ]
    return np.vstack(parts) if parts else np.zeros((0, pca.n_components_))


@dataclass
class Prepared:
    """The entities and their two data views, plus the seeded choice sample."""

    features: FeatureSet
    frame: pd.DataFrame
    matrix: FeatureMatrix
    data: SegmentData
    sample_rows: np.ndarray
    sample: SegmentData
    rng: np.random.Generator


def prepare(
    con: duckdb.DuckDBPyConnection,
    s: SegmentSettings,
    governance: GovernanceSettings | None = None,
) -> Prepared:
    """Load the population, fit the feature transforms on the sample, build both views.

    The population is ``[segments] where`` minus the people who refused ``governance``'s
    segmentation purpose (see :func:`personae.segments.features.feature_set`).
    """
    from sklearn.decomposition import PCA

    try:
        fs = feature_set(con, s, governance)
        frame = load_frame(con, fs)
    except FeatureError as exc:
        raise SegmentStepError(str(exc)) from None
    n = len(frame)
    least = max(50, 10 * s.k_min)
    if n == 0:
        raise SegmentStepError(
            f"only {n} {fs.entity}s match [segments] where = {fs.where!r}; segments need "
            f"at least {least}. Fix: ingest more data or widen [segments] where."
        )
    if n < least:
        raise SingleGroup(
            fs,
            frame,
            f"only {n:,} {_noun(fs.entity)} match [segments] where = {fs.where!r}, and splitting "
            f"them needs at least {least:,} (10 × [segments] k_min, never fewer than 50)",
            f"To get segments, add more {_noun(fs.entity)} (`personae add FILE -w WORKSPACE`) or "
            "widen [segments] where; then `personae run` again.",
        )
    rng = np.random.default_rng(s.seed)
    sample_rows = np.sort(rng.choice(n, size=min(n, s.sample), replace=False))
    sample = frame.iloc[sample_rows].reset_index(drop=True)
    try:
        fm = FeatureMatrix(fs.numeric, fs.categorical, bins=s.bins).fit(sample)
    except NothingVaries:
        raise SingleGroup(
            fs,
            frame,
            f"every attribute segments use is empty or the same for all {n:,} "
            f"{_noun(fs.entity)}{_same_for_all(fs, frame)}, so there is nothing to split them on",
            _split_fix(fs.entity),
        ) from None
    except FeatureError as exc:
        raise SegmentStepError(str(exc)) from None
    codes, groups = fm.codes(frame)
    dense = fm.embedding(sample)
    pca = PCA(min(EMBEDDING_DIMS, dense.shape[1], len(sample) - 1), random_state=s.seed)
    pca.fit(dense)
    embedding = _embed(fm, frame, pca)
    data = SegmentData(codes, groups, embedding)
    return Prepared(
        fs,
        frame,
        fm,
        data,
        sample_rows,
        SegmentData(codes[sample_rows], groups, embedding[sample_rows]),
        rng,
    )


class Segmenter:
    """Runs the segmentation with ``[segments]`` settings on a workspace connection."""

    def __init__(
        self,
        settings: SegmentSettings,
        *,
        value_horizon_months: int = 12,
        progress: Callable[[str], None] | None = None,
        governance: GovernanceSettings | None = None,
        currency: str = "USD",
    ) -> None:
        self.settings = settings
        self.governance = governance
        self.currency = currency  # ISO code money is written in (the reporting currency)
        self.horizon = value_horizon_months
        self.progress = progress

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def run(self, con: duckdb.DuckDBPyConnection) -> SegmentResult:
        # Many small fits: BLAS/OpenMP thread pools cost more than they give here, and on a
        # busy two-core machine spinning threads made the Gaussian mixture ten times slower.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._run(con)

    def _run(self, con: duckdb.DuckDBPyConnection) -> SegmentResult:
        s = self.settings
        started = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            prepared = prepare(con, s, self.governance)
        except SingleGroup as one:
            return self._everyone(con, one, started)
        fs, frame, fm = prepared.features, prepared.frame, prepared.matrix
        n, sample_rows = len(frame), prepared.sample_rows
        data_all, data_sample = prepared.data, prepared.sample
        embedding = data_all.embedding
        sample = frame.iloc[sample_rows]
        rng = prepared.rng
        timings["features"] = time.perf_counter() - started

        ks = [k for k in range(s.k_min, s.k_max + 1) if k * 10 <= len(sample)]
        choice, fits = choose(
            data_sample,
            list(s.algorithms),
            ks,
            bootstraps=s.bootstraps,
            min_jaccard=s.min_jaccard,
            seed=s.seed,
            progress=self._say,
        )
        timings["choice"] = time.perf_counter() - started - sum(timings.values())
        win = choice.winner
        self._say(f"assigning {n:,} {fs.entity}s with {win.algorithm}, k={win.k}")
        if n > len(sample):
            fit_rows = np.sort(rng.choice(n, size=min(n, s.fit_sample), replace=False))
            model = fit_algorithm(win.algorithm, data_all, fit_rows, win.k, s.seed)
        else:
            model = fits[(win.algorithm, win.k)]
        proba = _predict_chunked(model, data_all)
        raw = proba.argmax(axis=1)
        # number segments by size, largest first (ties by the model's order)
        sizes = np.bincount(raw, minlength=win.k)
        order = [int(i) for i in np.argsort(-sizes, kind="stable") if sizes[i] > 0]
        relabel = np.full(win.k, -1)
        relabel[order] = np.arange(len(order))
        labels = relabel[raw] + 1
        proba = proba[:, order]
        # each final segment's stability: the bootstrap Jaccard of the sample segment it is
        reference = fits[(win.algorithm, win.k)].predict_proba(data_sample).argmax(axis=1)
        overlap = _overlap_map(labels[sample_rows] - 1, reference, len(order))
        stability = {seg + 1: float(win.jaccard[overlap[seg]]) for seg in range(len(order))}
        timings["assign"] = time.perf_counter() - started - sum(timings.values())

        outliers = np.zeros(n, dtype=bool)
        outlier_note = "off ([segments] outliers = false)"
        if s.outliers:
            om = fit_outliers(embedding[sample_rows])
            outliers = om.flag(embedding)
            outlier_note = (
                f"HDBSCAN found {om.clusters} dense region(s) in the sample "
                f"({om.sample_noise_share:.0%} noise); {int(outliers.sum()):,} entities lie "
                "outside every region's 99th-percentile radius"
            )
        timings["outliers"] = time.perf_counter() - started - sum(timings.values())

        self._say("describing the segments")
        numeric_desc = list(dict.fromkeys([*fm.attributes, *fs.describe]))
        numeric_desc = [c for c in numeric_desc if c in fs.numeric or c in _NUMERIC_DESCRIBE]
        categorical_desc = [
            c
            for c in dict.fromkeys([*fs.categorical, *fs.describe])
            if c not in numeric_desc and c not in fm.dropped_
        ]
        descriptions = self._describe(con, frame, labels, numeric_desc, categorical_desc)
        timings["describe"] = time.perf_counter() - started - sum(timings.values())

        by_segment = {d.segment: d for d in descriptions}
        self._write(con, fs.entity, frame, labels, proba, outliers, by_segment, stability)
        result = SegmentResult(
            entity=fs.entity,
            entities=n,
            numeric=[x.name for x in fm.numbers_],
            categorical=[x.name for x in fm.categories_],
            dropped=fm.dropped_,
            choice=choice,
            descriptions=descriptions,
            stability=stability,
            outliers=int(outliers.sum()),
            outlier_note=outlier_note,
            sample=len(sample),
            seconds=0.0,
            timings=timings,
        )
        self._write_models(con, result, fs)
        timings["write"] = time.perf_counter() - started - sum(timings.values())
        result.seconds = time.perf_counter() - started
        return result

    def _describe(
        self,
        con: duckdb.DuckDBPyConnection,
        frame: pd.DataFrame,
        labels: np.ndarray,
        numeric: list[str],
        categorical: list[str],
    ) -> list[SegmentDescription]:
        """:func:`describe_segments` with the step's settings and what value rests on."""
        s = self.settings
        basis = value_basis(con)
        money = basis is None or basis.monetary
        if not money:  # orders without amounts: their zeros are not spend
            numeric = [c for c in numeric if c not in MONEY_ATTRIBUTES]
        return describe_segments(
            frame,
            labels,
            numeric=numeric,
            categorical=categorical,
            value_column="clv" if "clv" in frame and money else None,
            revenue_column="revenue" if "revenue" in frame and money else None,
            primary_min=s.primary_min,
            primary_max=s.primary_max,
            negative_ratio=s.negative_ratio,
            currency=self.currency,
            min_group_size=(self.governance or GovernanceSettings()).min_group_size,
        )

    def _everyone(
        self, con: duckdb.DuckDBPyConnection, one: SingleGroup, started: float
    ) -> SegmentResult:
        """One segment holding every entity, written like any segmentation: its size and
        value figures come from the same description, its role is primary (the only group
        is the customer base, never a group to deter), and its reasons say why."""
        fs, frame = one.features, one.frame
        n = len(frame)
        self._say(f"one group for everyone: {one.reason}")
        labels = np.ones(n, dtype=np.int64)
        numeric = [
            c
            for c in dict.fromkeys([*fs.numeric, *fs.describe])
            if c in fs.numeric or c in _NUMERIC_DESCRIBE
        ]
        categorical = [
            c for c in dict.fromkeys([*fs.categorical, *fs.describe]) if c not in numeric
        ]
        (d,) = self._describe(con, frame, labels, numeric, categorical)
        d.name = EVERYONE
        if d.role != "other":  # "other": fewer than the minimum group size, not described
            d.role, d.differences = "primary", []
            d.reasons = [f"One group for everyone: {one.reason}."]
            d.sentences = [f"All {n:,} {_noun(fs.entity)}, in one group: {one.reason}."]
        stability: dict[int, float | None] = {1: None}  # nothing was resampled
        outliers = np.zeros(n, dtype=bool)
        self._write(con, fs.entity, frame, labels, np.ones((n, 1)), outliers, {1: d}, stability)
        result = SegmentResult(
            entity=fs.entity,
            entities=n,
            numeric=[],
            categorical=[],
            dropped={},
            choice=None,
            descriptions=[d],
            stability=stability,
            outliers=0,
            outlier_note="not looked for (one group)",
            sample=n,
            seconds=0.0,
            single_group=f"One group for everyone: {one.reason}. {one.fix}",
        )
        self._write_models(con, result, fs, one)
        result.seconds = time.perf_counter() - started
        return result

    # -- tables ------------------------------------------------------------------------
    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        entity: str,
        frame: pd.DataFrame,
        labels: np.ndarray,
        proba: np.ndarray,
        outliers: np.ndarray,
        by_segment: dict[int, SegmentDescription],
        stability: dict[int, float | None],
    ) -> None:
        names = np.array([""] + [by_segment[i].name for i in sorted(by_segment)], dtype=object)
        roles = np.array([""] + [by_segment[i].role for i in sorted(by_segment)], dtype=object)
        k = proba.shape[1]
        table = pa.table(
            {
                "entity": pa.array([entity] * len(frame), pa.string()),
                "entity_id": pa.array(frame["entity_id"].astype(str).tolist(), pa.string()),
                "segment": pa.array(labels.astype(np.int32)),
                "segment_name": pa.array(names[labels].tolist(), pa.string()),
                "role": pa.array(roles[labels].tolist(), pa.string()),
                "probability": pa.array(proba.max(axis=1).round(6)),
                "probabilities": pa.FixedSizeListArray.from_arrays(
                    pa.array(proba.round(6).ravel()), k
                ).cast(pa.list_(pa.float64())),
                "outlier": pa.array(outliers),
            }
        )
        con.register("_segments_arrow", table)
        con.execute("CREATE OR REPLACE TABLE segments AS SELECT * FROM _segments_arrow")
        con.unregister("_segments_arrow")
        rows = []
        for seg in sorted(by_segment):
            d = by_segment[seg]
            rows.append(
                {
                    "segment": seg,
                    "name": d.name,
                    "role": d.role,
                    "size": d.size,
                    "share": d.share,
                    "revenue_share": d.revenue_share,
                    "mean_value": d.mean_value,
                    "mean_revenue": d.mean_revenue,
                    "stability": None if stability[seg] is None else round(stability[seg], 4),
                    "reasons": d.reasons,
                    "sentences": d.sentences,
                    "differences": json.dumps([_jsonable(x) for x in d.differences]),
                }
            )
        desc = pa.Table.from_pylist(
            rows,
            schema=pa.schema(
                [
                    ("segment", pa.int32()),
                    ("name", pa.string()),
                    ("role", pa.string()),
                    ("size", pa.int64()),
                    ("share", pa.float64()),
                    ("revenue_share", pa.float64()),
                    ("mean_value", pa.float64()),
                    ("mean_revenue", pa.float64()),
                    ("stability", pa.float64()),
                    ("reasons", pa.list_(pa.string())),
                    ("sentences", pa.list_(pa.string())),
                    ("differences", pa.string()),
                ]
            ),
        )
        con.register("_segdesc_arrow", desc)
        con.execute(
            "CREATE OR REPLACE TABLE segment_descriptions AS SELECT * EXCLUDE (differences), "
            "CAST(differences AS JSON) AS differences FROM _segdesc_arrow"
        )
        con.unregister("_segdesc_arrow")

    def _write_models(
        self,
        con: duckdb.DuckDBPyConnection,
        r: SegmentResult,
        fs: FeatureSet,
        one: SingleGroup | None = None,
    ) -> None:
        choice = r.choice
        doc = {
            "entity": r.entity,
            "where": fs.where,
            "consent": {"purpose": fs.purpose, "excluded": consent_excluded(con, fs)},
            "entities": r.entities,
            "sample": r.sample,
            "numeric": r.numeric,
            "categorical": r.categorical,
            "dropped": r.dropped,
            "rule": choice.rule if choice else "one group for everyone",
            "winner": choice.winner.to_dict() if choice else None,
            "candidates": [c.to_dict() for c in choice.candidates] if choice else [],
            "stability": {str(k): v for k, v in r.stability.items()},
            "outliers": r.outlier_note,
            "settings": self.settings.model_dump(),
        }
        if one is not None:
            doc["single_group"] = {"reason": one.reason, "fix": one.fix}
        con.execute("CREATE OR REPLACE TABLE segment_models (model JSON)")
        con.execute("INSERT INTO segment_models VALUES (?)", [json.dumps(doc)])


def single_group(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(reason, fix) when the segment step kept one group for everyone, else None.

    Personas and the report ask this instead of guessing from the number of segments.
    """
    try:
        row = con.execute(
            "SELECT model->'single_group'->>'reason', model->'single_group'->>'fix' "
            "FROM segment_models"
        ).fetchone()
    except duckdb.Error:  # no segment_models table yet
        return None
    return (row[0], row[1] or "") if row and row[0] else None


_NUMERIC_DESCRIBE = {"revenue", "clv", "churn_risk", "recency_days", "days_to_renewal"}


def _predict_chunked(model, data: SegmentData, chunk: int = 200_000) -> np.ndarray:
    n = data.codes.shape[0]
    parts = []
    for start in range(0, n, chunk):
        part = SegmentData(
            data.codes[start : start + chunk], data.groups, data.embedding[start : start + chunk]
        )
        parts.append(model.predict_proba(part))
    return np.vstack(parts)


def _overlap_map(final: np.ndarray, reference: np.ndarray, k: int) -> list[int]:
    """For each final segment, the reference (choice-sample) segment it overlaps most."""
    k_ref = int(reference.max()) + 1
    both = np.zeros((k, k_ref))
    np.add.at(both, (final, reference), 1)
    union = (
        np.bincount(final, minlength=k)[:, None]
        + np.bincount(reference, minlength=k_ref)[None, :]
        - both
    )
    return [int(i) for i in np.argmax(both / np.maximum(union, 1), axis=1)]


def _jsonable(x) -> dict:
    d = x.__dict__ if hasattr(x, "__dict__") else dict(x)
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in d.items()}
