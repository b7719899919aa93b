"""Unit tests of the segmentation step on synthetic data with planted structure.

Latent classes, Gaussian blobs and far-away points are planted with seeded numpy RNGs; every
expectation comes from what was planted (or from a hand calculation), never from a number the
code under test produced. The last tests run ``personae segment`` on a small built workspace
copied from the shared retail fixture.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.config import SegmentSettings
from personae.segments.build import SegmentStepError
from personae.segments.features import (
    FeatureError,
    FeatureMatrix,
    account_attributes_sql,
    check_known,
    expand,
    feature_set,
    load_frame,
)
from personae.segments.latent_class import LatentClassModel
from personae.segments.models import ALGORITHMS, SegmentData, fit_algorithm
from personae.segments.outliers import fit_outliers
from personae.segments.selection import best_match_jaccard, choose, separation

# -- planted data --------------------------------------------------------------------------

N_ATTR = 8
N_LEVELS = 4
P_DOMINANT = 0.7


def _plant_classes(n: int, k: int, seed: int) -> np.ndarray:
    """Balanced class labels in random order."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n) % k)


def _dominant_levels(k: int, seed: int) -> np.ndarray:
    """attribute × class: the planted dominant level, distinct across classes."""
    rng = np.random.default_rng(seed)
    return np.array([rng.permutation(N_LEVELS)[:k] for _ in range(N_ATTR)])


def _plant_values(classes: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Per class and attribute one dominant level (P_DOMINANT), the rest equally likely.

    Within an attribute every class has its own dominant level (k <= N_LEVELS), so the
    classes differ on every attribute.
    """
    rng = np.random.default_rng(seed + 1000)
    dominant = _dominant_levels(k, seed)
    n = len(classes)
    values = np.empty((n, N_ATTR), dtype=np.int64)
    for a in range(N_ATTR):
        probs = np.full((k, N_LEVELS), (1 - P_DOMINANT) / (N_LEVELS - 1))
        probs[np.arange(k), dominant[a]] = P_DOMINANT
        cum = probs.cumsum(axis=1)[classes]
        values[:, a] = (rng.random(n)[:, None] > cum).sum(axis=1)
    return values


def _one_hot(values: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """One-hot CSR (a value < 0 is missing: an all-zero block) and the group of each column."""
    n, n_attr = values.shape
    rows, cols = [], []
    for a in range(n_attr):
        present = np.nonzero(values[:, a] >= 0)[0]
        rows.append(present)
        cols.append(a * N_LEVELS + values[present, a])
    r, c = np.concatenate(rows), np.concatenate(cols)
    H = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n_attr * N_LEVELS))
    return H, np.repeat(np.arange(n_attr), N_LEVELS)


def _blobs(classes: np.ndarray, k: int, seed: int, dims: int = 5) -> np.ndarray:
    """Gaussian blobs (sd 1) around centres 10 apart along distinct axes."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((k, dims))
    for c in range(k):
        centres[c, c % dims] = 10.0 * (1 + c // dims)
    return centres[classes] + rng.normal(size=(len(classes), dims))


def _agreement(truth: np.ndarray, found: np.ndarray) -> float:
    """Share of rows whose found label is the majority found label of their true class."""
    hits = 0
    for c in np.unique(truth):
        members = found[truth == c]
        hits += np.bincount(members).max()
    return hits / len(truth)


@pytest.fixture(scope="module")
def planted_lca() -> dict:
    k, n = 4, 2000
    classes = _plant_classes(n, k, seed=1)
    values = _plant_values(classes, k, seed=2)
    H, groups = _one_hot(values)
    model = LatentClassModel(k, random_state=0).fit(H, groups)
    return {"k": k, "classes": classes, "values": values, "H": H, "groups": groups, "model": model}


# -- latent class model --------------------------------------------------------------------


def test_latent_class_recovers_the_planted_classes(planted_lca) -> None:
    model, H = planted_lca["model"], planted_lca["H"]
    labels = model.predict(H)
    assert adjusted_rand_score(planted_lca["classes"], labels) >= 0.9
    assert model.weights_.shape == (planted_lca["k"],)
    assert np.isclose(model.weights_.sum(), 1.0)
    # balanced classes were planted: every class holds about a quarter
    assert np.all(np.abs(model.weights_ - 0.25) < 0.05)


def test_latent_class_probabilities_are_distributions(planted_lca) -> None:
    model, H, groups = planted_lca["model"], planted_lca["H"], planted_lca["groups"]
    proba = model.predict_proba(H)
    assert proba.shape == (H.shape[0], planted_lca["k"])
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    # level probabilities: per class and attribute they sum to one
    probs = np.exp(model.log_probs_)
    for g in np.unique(groups):
        np.testing.assert_allclose(probs[:, groups == g].sum(axis=1), 1.0, atol=1e-9)


def test_latent_class_level_probabilities_match_the_planted_ones(planted_lca) -> None:
    model, H = planted_lca["model"], planted_lca["H"]
    labels = model.predict(H)
    probs = np.exp(model.log_probs_)
    dominant = _dominant_levels(planted_lca["k"], seed=2)
    for c in range(planted_lca["k"]):
        fitted = np.bincount(labels[planted_lca["classes"] == c]).argmax()
        for a in range(N_ATTR):
            block = probs[fitted, a * N_LEVELS : (a + 1) * N_LEVELS]
            assert block.argmax() == dominant[a, c]
            assert abs(block.max() - P_DOMINANT) < 0.06


def test_latent_class_bic_is_lowest_at_the_true_k(planted_lca) -> None:
    H, groups, k = planted_lca["H"], planted_lca["groups"], planted_lca["k"]
    bic = {
        j: LatentClassModel(j, n_init=2, random_state=0).fit(H, groups).bic() for j in (1, 2, k, 9)
    }
    bic[k] = planted_lca["model"].bic()
    assert bic[k] < bic[1]
    assert bic[k] < bic[2]
    assert bic[k] < bic[9]
    # k=1 has (levels - attributes) free parameters, each extra class adds that plus a weight
    one = LatentClassModel(1).fit(H, groups)
    assert one.n_parameters() == N_ATTR * (N_LEVELS - 1)
    assert planted_lca["model"].n_parameters() == (k - 1) + k * N_ATTR * (N_LEVELS - 1)


def test_latent_class_is_deterministic_for_a_seed(planted_lca) -> None:
    H, groups = planted_lca["H"], planted_lca["groups"]
    a = LatentClassModel(3, n_init=2, random_state=5).fit(H, groups).predict_proba(H)
    b = LatentClassModel(3, n_init=2, random_state=5).fit(H, groups).predict_proba(H)
    np.testing.assert_array_equal(a, b)


def test_latent_class_marginalises_a_missing_attribute(planted_lca) -> None:
    model, values, classes = planted_lca["model"], planted_lca["values"], planted_lca["classes"]
    full = model.predict(planted_lca["H"])
    # the first 500 rows lose attribute 0, the next 500 attribute 5
    holed = values.copy()
    holed[:500, 0] = -1
    holed[500:1000, 5] = -1
    H_holed, _ = _one_hot(holed)
    assert np.all(np.asarray(H_holed[:500, :N_LEVELS].sum(axis=1)).ravel() == 0)
    proba = model.predict_proba(H_holed)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    holed_labels = proba.argmax(axis=1)
    assert _agreement(classes[:1000], holed_labels[:1000]) >= 0.95
    # the same labelling as the complete rows for nearly everyone
    assert (holed_labels[:1000] == full[:1000]).mean() >= 0.95
    # marginalised means: the posterior is the weights times the present attributes only
    row = 3
    present = holed[row] >= 0
    cols = (np.arange(N_ATTR) * N_LEVELS + holed[row])[present]
    log_post = np.log(model.weights_) + model.log_probs_[:, cols].sum(axis=1)
    expected = np.exp(log_post - log_post.max())
    np.testing.assert_allclose(proba[row], expected / expected.sum(), rtol=1e-9)


def test_latent_class_fits_with_missing_values_in_training() -> None:
    k, n = 3, 2000
    classes = _plant_classes(n, k, seed=11)
    values = _plant_values(classes, k, seed=12)
    rng = np.random.default_rng(13)
    values[rng.random(values.shape) < 0.15] = -1  # 15% of all answers missing
    H, groups = _one_hot(values)
    model = LatentClassModel(k, random_state=0).fit(H, groups)
    assert adjusted_rand_score(classes, model.predict(H)) >= 0.85
    probs = np.exp(model.log_probs_)
    for g in range(N_ATTR):
        np.testing.assert_allclose(probs[:, groups == g].sum(axis=1), 1.0, atol=1e-9)


# -- feature matrix ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 1000
    money = rng.lognormal(4.0, 1.2, n)  # skewed, non-negative
    money[rng.random(n) < 0.1] = np.nan  # 10% missing
    channel = rng.choice(["web", "store", "app"], n, p=[0.5, 0.3, 0.2]).astype(object)
    channel[:3] = "fax"  # rare: 3 of 1000 < 5
    channel[3] = "telex"
    channel[10:30] = None
    return pd.DataFrame(
        {
            "money": money,
            "age": rng.normal(40, 10, n),  # symmetric
            "delta": rng.lognormal(0, 1.2, n) - 1.5,  # skewed but with negatives
            "constant": np.full(n, 7.0),
            "channel": channel,
            "gender": rng.choice(["f", "m"], n),
            "single": np.full(n, "only"),
            "ids": [f"id{i}" for i in range(n)],  # every value rare
        }
    )


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> FeatureMatrix:
    return FeatureMatrix(
        ["money", "age", "delta", "constant"], ["channel", "gender", "single", "ids"]
    ).fit(frame)


def test_feature_matrix_keeps_what_varies_and_says_why_the_rest_went(fitted) -> None:
    assert [x.name for x in fitted.numbers_] == ["money", "age", "delta"]
    assert [x.name for x in fitted.categories_] == ["channel", "gender"]
    assert set(fitted.dropped_) == {"constant", "single", "ids"}
    assert "fewer than two distinct values" in fitted.dropped_["constant"]
    assert "fewer than two distinct values" in fitted.dropped_["single"]
    assert fitted.dropped_["ids"]
    assert fitted.attributes == ["money", "age", "delta", "channel", "gender"]


def test_rare_levels_are_pooled_into_other(fitted) -> None:
    channel = next(c for c in fitted.categories_ if c.name == "channel")
    assert channel.levels == ["app", "store", "web", FeatureMatrix.OTHER]
    gender = next(c for c in fitted.categories_ if c.name == "gender")
    assert gender.levels == ["f", "m"]  # nothing rare, no "(other)"


def test_log_transform_only_for_skewed_non_negative_numbers(fitted) -> None:
    log = {x.name: x.log for x in fitted.numbers_}
    assert log == {"money": True, "age": False, "delta": False}
    flags = {x.name: x.missing_flag for x in fitted.numbers_}
    assert flags == {"money": True, "age": False, "delta": False}


def test_codes_are_one_hot_per_present_attribute(fitted, frame) -> None:
    H, groups = fitted.codes(frame)
    assert H.shape == (len(frame), len(groups))
    assert sorted(set(groups.tolist())) == list(range(len(fitted.attributes)))
    dense = H.toarray()
    assert set(np.unique(dense).tolist()) <= {0.0, 1.0}
    for g, name in enumerate(fitted.attributes):
        ones = dense[:, groups == g].sum(axis=1)
        missing = frame[name].isna().to_numpy()
        assert np.all(ones[missing] == 0), name
        assert np.all(ones[~missing] == 1), name
    # numbers: `bins` quantile bins, about a fifth of the present values in each
    age = dense[:, groups == fitted.attributes.index("age")]
    assert age.shape[1] == fitted.bins
    np.testing.assert_allclose(age.sum(axis=0) / len(frame), 1 / fitted.bins, atol=0.01)
    # bins follow the order of the values
    bin_of = age.argmax(axis=1)
    order = np.argsort(frame["age"].to_numpy())
    assert np.all(np.diff(bin_of[order]) >= 0)
    # the rare channels went to "(other)", missing channels nowhere
    channel = dense[:, groups == fitted.attributes.index("channel")]
    assert np.all(channel[:4, 3] == 1)
    assert np.all(channel[10:30].sum(axis=1) == 0)


def test_codes_on_an_unseen_frame(fitted) -> None:
    new = pd.DataFrame(
        {
            "money": [1.0, np.nan, 1e9],
            "age": [-50.0, 40.0, 500.0],
            "delta": [0.0, 0.0, 0.0],
            "constant": [1.0, 2.0, 3.0],
            "channel": ["web", "carrier pigeon", None],
            "gender": ["f", "x", ""],
            "single": ["a", "b", "c"],
            "ids": ["id1", "id2", "nope"],
        }
    )
    H, groups = fitted.codes(new)
    dense = H.toarray()

    def block(name: str) -> np.ndarray:
        return dense[:, groups == fitted.attributes.index(name)]

    # unseen channel → "(other)"; missing → no level
    np.testing.assert_array_equal(block("channel"), [[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    # gender has no "(other)": an unseen level counts as missing, as does ""
    np.testing.assert_array_equal(block("gender"), [[1, 0], [0, 0], [0, 0]])
    # out-of-range numbers fall into the end bins, missing into none
    np.testing.assert_array_equal(block("age")[:, [0, -1]], [[1, 0], [0, 0], [0, 1]])
    np.testing.assert_array_equal(block("money").sum(axis=1), [1, 0, 1])
    assert block("money")[2, -1] == 1


def test_embedding_has_no_nan_and_uses_the_log(fitted, frame) -> None:
    emb = fitted.embedding(frame)
    # money, its missing flag, age, delta, then 4 + 2 one-hot columns
    assert emb.shape == (len(frame), 3 + 1 + 4 + 2)
    assert np.isfinite(emb).all()
    money = emb[:, 0]
    present = frame["money"].notna().to_numpy()
    assert np.all(money[~present] == 0)
    np.testing.assert_array_equal(emb[:, 1], (~present).astype(float))
    # robust scaling of log1p(money): median 0, IQR 1 on the present values
    z = money[present]
    assert abs(np.median(z)) < 1e-9
    q25, q75 = np.percentile(z, [25, 75])
    assert abs((q75 - q25) - 1) < 1e-9
    # and it is the log: the order is kept, the skew gone
    assert abs(pd.Series(z).skew()) < 0.5 < pd.Series(frame["money"][present]).skew()
    # category blocks weigh alike: squared row norm len/2-scaled → a 4-level block is 1/2
    channel = emb[:, 4:8]
    np.testing.assert_allclose((channel**2).sum(axis=1)[:4], 0.5)
    gender = emb[:, 8:10]
    np.testing.assert_allclose((gender**2).sum(axis=1), 1.0)


def test_nothing_varies_is_an_error() -> None:
    frame = pd.DataFrame({"a": [1.0] * 50, "b": ["x"] * 50, "c": [np.nan] * 50})
    with pytest.raises(FeatureError, match="nothing to segment on"):
        FeatureMatrix(["a", "c"], ["b"]).fit(frame)


@pytest.mark.xfail(
    strict=True,
    reason="known limit: quantile edges equal to a point mass (85% zeros) put zero and the "
    "positives in one bin. Moving edges to midpoints fixes this test but, on the retail "
    "demo, made BIC prefer k=8 (ARI 0.82 instead of 0.90); to be revisited with the bins",
)
def test_zero_inflated_numbers_keep_zero_apart_from_positive() -> None:
    rng = np.random.default_rng(31)
    n = 1000
    tickets = np.where(rng.random(n) < 0.85, 0.0, rng.integers(1, 6, n).astype(float))
    flag = (rng.random(n) < 0.1).astype(float)
    frame = pd.DataFrame({"tickets": tickets, "flag": flag})
    fm = FeatureMatrix(["tickets", "flag"], []).fit(frame)
    assert fm.attributes == ["tickets", "flag"]  # both have two or more values
    H, groups = fm.codes(frame)
    dense = H.toarray()
    for g, values in enumerate([tickets, flag]):
        code = dense[:, groups == g].argmax(axis=1)
        assert set(code[values == 0]).isdisjoint(code[values > 0])


def test_levels_beyond_max_levels_are_pooled_not_lost() -> None:
    frame = pd.DataFrame({"city": np.repeat([f"c{i:02d}" for i in range(40)], 25)})
    fm = FeatureMatrix([], ["city"], max_levels=30).fit(frame)
    H, _ = fm.codes(frame)
    # every row has a city, so every row must have a level
    assert np.all(np.asarray(H.sum(axis=1)).ravel() == 1)
    assert FeatureMatrix.OTHER in fm.categories_[0].levels


# -- expand, check_known, feature_set ------------------------------------------------------

AVAILABLE = ["orders", "recency_days", "survey_b", "survey_a", "gender", "survey_nps"]


def test_expand_globs_in_order_without_duplicates() -> None:
    got = expand(["gender", "survey_*", "orders", "survey_a", "nothing_*"], AVAILABLE)
    assert got == ["gender", "survey_a", "survey_b", "survey_nps", "orders"]
    assert expand(["survey_?"], AVAILABLE) == ["survey_a", "survey_b"]
    assert expand(["survey_[b]"], AVAILABLE) == ["survey_b"]
    # plain names pass through (feature_set drops what does not exist)
    assert expand(["missing"], AVAILABLE) == ["missing"]


def test_check_known_accepts_known_names_and_patterns() -> None:
    check_known(["orders", "survey_*", "nomatch_*"], AVAILABLE, "numeric")
    check_known([], AVAILABLE, "numeric")


def test_check_known_names_the_unknown_attribute_and_the_close_match() -> None:
    with pytest.raises(FeatureError) as err:
        check_known(["orders", "recency_day", "zzzz"], AVAILABLE, "numeric")
    msg = str(err.value)
    assert "'recency_day'" in msg
    assert "did you mean recency_days" in msg
    assert "'zzzz'" in msg
    assert "'orders'" not in msg
    assert "[segments] numeric" in msg
    assert "Known attributes: " + ", ".join(sorted(AVAILABLE)) in msg


def test_feature_set_and_load_frame_on_a_small_database() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE profiles AS SELECT 'p' || i AS profile_id, i % 3 AS orders, "
        "i * 1.5 AS avg_order_value, CASE WHEN i % 2 = 0 THEN 'f' ELSE 'm' END AS gender, "
        "'x' || (i % 4) AS survey_q1, 'y' AS survey_q2, false AS anonymous, "
        "i AS recency_days FROM range(20) t(i)"
    )
    fs = feature_set(con, SegmentSettings())
    assert fs.entity == "person"
    assert fs.numeric == ["orders", "avg_order_value"]
    assert fs.categorical == ["gender", "survey_q1", "survey_q2"]
    assert fs.describe == ["recency_days"]
    frame = load_frame(con, fs)
    # the default population: not anonymous and orders > 0 (i % 3 != 0)
    assert len(frame) == sum(i % 3 != 0 for i in range(20))
    assert frame["entity_id"].tolist() == sorted(frame["entity_id"])
    # numbers arrive as doubles, categories as text
    assert frame["orders"].dtype == np.float64
    assert set(frame["gender"]) == {"f", "m"}
    with pytest.raises(FeatureError, match="recency_dayz"):
        feature_set(con, SegmentSettings(numeric=["recency_dayz"]))
    bad = feature_set(con, SegmentSettings(where="no_such_column > 1"))
    with pytest.raises(FeatureError, match="where"):
        load_frame(con, bad)


# -- selection -----------------------------------------------------------------------------


def test_best_match_jaccard_by_hand() -> None:
    reference = np.array([0, 0, 0, 1, 1, 2])
    other = np.array([1, 1, 0, 0, 0, 0])
    # ref 0 = {0,1,2}: vs other 1 = {0,1} → 2/3; ref 1 = {3,4}: vs other 0 = {2..5} → 2/4;
    # ref 2 = {5}: vs other 0 → 1/4
    np.testing.assert_allclose(best_match_jaccard(reference, other, 3), [2 / 3, 1 / 2, 1 / 4])
    # a permuted copy of the same partition matches perfectly
    np.testing.assert_allclose(best_match_jaccard(reference, (reference + 1) % 3, 3), 1.0)
    # an empty reference segment (k larger than the labels used) scores 0
    np.testing.assert_allclose(best_match_jaccard(reference, reference, 4), [1, 1, 1, 0])
    # one big other segment: Jaccard is the segment's share
    np.testing.assert_allclose(
        best_match_jaccard(reference, np.zeros(6, dtype=int), 3), [3 / 6, 2 / 6, 1 / 6]
    )


def test_separation_is_cramers_v() -> None:
    # a 2×2 table by hand: attribute level × segment counts [[30, 10], [20, 40]]
    labels = np.array([0] * 30 + [1] * 10 + [0] * 20 + [1] * 40)
    level = np.array([0] * 40 + [1] * 60)
    codes = sp.csr_matrix((np.ones(100), (np.arange(100), level)), shape=(100, 2))
    a, b, c, d = 30, 10, 20, 40
    phi = (a * d - b * c) / math.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    assert separation(codes, np.array([0, 0]), labels, 2) == pytest.approx(abs(phi))


def test_separation_is_zero_for_independent_labels_and_one_when_determined() -> None:
    rng = np.random.default_rng(41)
    n = 40_000
    values = rng.integers(0, N_LEVELS, size=(n, 3))
    H, groups = _one_hot(values)
    independent = rng.integers(0, 3, n)
    assert separation(H, groups, independent, 3) < 0.02
    # labels = attribute 0 when it is binary: V = 1 for it; the others stay near 0
    binary = rng.integers(0, 2, size=(n, 1))
    Hb, gb = _one_hot(np.hstack([binary, values[:, 1:]]))
    Hb, gb = Hb[:, gb != 0], gb[gb != 0]
    Hb = sp.hstack([sp.csr_matrix(np.eye(2)[binary[:, 0]]), Hb], format="csr")
    gb = np.concatenate([[0, 0], gb])
    v = separation(Hb, gb, binary[:, 0], 2)
    # mean over three attributes: 1 for the determined one, ~0 for two independent ones
    assert v == pytest.approx(1 / 3, abs=0.02)
    only = separation(Hb[:, :2], gb[:2], binary[:, 0], 2)
    assert only == pytest.approx(1.0)


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_every_algorithm_recovers_planted_blobs(algorithm: str) -> None:
    k, n = 3, 900
    classes = _plant_classes(n, k, seed=51)
    H, groups = _one_hot(_plant_values(classes, k, seed=52))
    data = SegmentData(H, groups, _blobs(classes, k, seed=53))
    fitted = fit_algorithm(algorithm, data, np.arange(n), k, seed=0)
    proba = fitted.predict_proba(data)
    assert proba.shape == (n, k)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert adjusted_rand_score(classes, proba.argmax(axis=1)) >= 0.9
    assert np.isfinite(fitted.criterion(data, np.arange(n)))


@pytest.fixture(scope="module")
def planted_choice():
    k, n = 4, 1500
    classes = _plant_classes(n, k, seed=61)
    H, groups = _one_hot(_plant_values(classes, k, seed=62))
    data = SegmentData(H, groups, _blobs(classes, k, seed=63))
    choice, fits = choose(
        data,
        ["latent_class", "kmeans"],
        [2, 3, 4, 5, 6],
        bootstraps=3,
        min_jaccard=0.75,
        seed=0,
    )
    return k, classes, data, choice, fits


def test_choose_finds_the_planted_k(planted_choice) -> None:
    k, classes, data, choice, fits = planted_choice
    win = choice.winner
    assert win.k == k
    assert win.stable and win.chosen
    assert win.note.startswith("chosen: best ")
    assert sum(c.chosen for c in choice.candidates) == 1
    labels = fits[(win.algorithm, win.k)].predict_proba(data).argmax(axis=1)
    assert adjusted_rand_score(classes, labels) >= 0.9
    assert "Cramér" in choice.rule


def test_choose_reports_every_candidate(planted_choice) -> None:
    _, _, data, choice, fits = planted_choice
    assert [(c.algorithm, c.k) for c in choice.candidates] == [
        (a, j) for a in ["latent_class", "kmeans"] for j in [2, 3, 4, 5, 6]
    ]
    assert set(fits) == {(c.algorithm, c.k) for c in choice.candidates}
    for c in choice.candidates:
        assert len(c.jaccard) == c.k
        assert len(c.sizes) == c.k and sum(c.sizes) == data.codes.shape[0]
        assert c.min_jaccard == pytest.approx(min(c.jaccard), abs=1e-4)
        assert all(0 <= j <= 1 for j in c.jaccard)
        assert c.stable == (c.min_jaccard >= 0.75)
        assert c.criterion_name == ("BIC" if c.algorithm == "latent_class" else "silhouette")
    rejected = [c for c in choice.candidates if not c.stable]
    assert rejected, "splitting four blobs into six must be unstable for some algorithm"
    for c in rejected:
        assert c.note.startswith("rejected: ") and "bootstrap Jaccard" in c.note
        assert f"{c.min_jaccard:.3f}" in c.note and "< 0.75" in c.note
    # the planted k is stable for both algorithms
    at_k = [c for c in choice.candidates if c.k == 4]
    assert all(c.stable for c in at_k)


def test_choose_on_noise_flags_the_unstable_winner() -> None:
    rng = np.random.default_rng(71)
    n = 600
    H, groups = _one_hot(rng.integers(0, N_LEVELS, size=(n, 4)))
    data = SegmentData(H, groups, rng.normal(size=(n, 4)))
    choice, _ = choose(
        data, ["latent_class", "kmeans"], [2, 3], bootstraps=2, min_jaccard=0.99, seed=0
    )
    assert not any(c.stable for c in choice.candidates)
    win = choice.winner
    assert win.chosen and not win.stable
    assert win.note.startswith("chosen although unstable (nothing was stable): rejected: ")
    assert "0.99" in choice.rule
    best = max((c.min_jaccard, c.mean_jaccard) for c in choice.candidates)
    assert (win.min_jaccard, win.mean_jaccard) == best


# -- outliers ------------------------------------------------------------------------------


def test_far_points_are_outliers_and_blob_points_are_not() -> None:
    rng = np.random.default_rng(81)
    classes = _plant_classes(900, 3, seed=82)
    blobs = _blobs(classes, 3, seed=83, dims=3)
    far = np.array([[60.0, 60, 60], [-50, 0, 0], [0, -50, 30], [30, 30, -40], [0, 0, 80]])
    sample = np.vstack([blobs, far])
    model = fit_outliers(sample)
    assert model.clusters >= 3
    flags = model.flag(sample)
    assert flags[-len(far) :].all()
    assert flags[: len(blobs)].mean() < 0.05
    # new points: far ones flagged, blob centres not, in any chunk size
    fresh = np.vstack([rng.normal(size=(3, 3)) * 0.1 + [10, 0, 0], far * 1.5])
    np.testing.assert_array_equal(model.flag(fresh, chunk=2), [False] * 3 + [True] * 5)


# -- a real workspace ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_ws(retail_ws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shared ingested retail workspace, built (no text, no value)."""
    ws, _ = retail_ws
    folder = tmp_path_factory.mktemp("segment-units") / "ws"
    shutil.copytree(ws.path, folder)
    Workspace(folder).build()
    return folder


def _copy_with_settings(built: Path, folder: Path, settings: dict[str, str]) -> Workspace:
    shutil.copytree(built, folder)
    config = folder / "personae.toml"
    text = config.read_text(encoding="utf-8")
    head, sep, section = text.partition("\n[segments]\n")
    assert sep, "personae.toml has a [segments] table"
    lines = section.split("\n")
    for key, value in settings.items():
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        lines[at] = f"{key} = {value}"
    config.write_text(head + sep + "\n".join(lines), encoding="utf-8")
    return Workspace(folder)


def test_unknown_segment_attribute_is_a_step_error(built_ws: Path, tmp_path: Path) -> None:
    ws = _copy_with_settings(built_ws, tmp_path / "ws", {"numeric": '["recency_dayz"]'})
    assert ws.config.segments.numeric == ["recency_dayz"]
    with pytest.raises(SegmentStepError) as err:
        ws.segment()
    msg = str(err.value)
    assert "'recency_dayz'" in msg and "did you mean recency_days" in msg
    res = CliRunner().invoke(app, ["segment", "-w", str(ws.path)])
    assert res.exit_code == 2, res.output
    assert "recency_dayz" in res.stderr and "recency_days" in res.stderr
    assert "Traceback" not in res.output


def test_segment_runs_on_a_built_workspace_without_text_or_value(
    built_ws: Path, tmp_path: Path
) -> None:
    ws = _copy_with_settings(
        built_ws,
        tmp_path / "ws",
        {
            "algorithms": '["latent_class"]',
            "k_min": "2",
            "k_max": "4",
            "bootstraps": "2",
            "outliers": "false",
        },
    )
    result = ws.segment()
    rows = ws.sql("SELECT * FROM segments").to_pylist()
    assert len(rows) == result.entities > 0
    assert len({r["entity_id"] for r in rows}) == len(rows)
    k = result.choice.winner.k
    assert 2 <= k <= 4
    sizes = [sum(r["segment"] == s for r in rows) for s in range(1, k + 1)]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) > 0  # numbered by size
    for r in rows:
        assert len(r["probabilities"]) == k
        assert sum(r["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert r["probability"] == pytest.approx(max(r["probabilities"]))
        assert r["outlier"] is False
    desc = ws.sql("SELECT segment, size FROM segment_descriptions ORDER BY segment").to_pylist()
    assert [d["size"] for d in desc] == sizes


def test_account_aggregates_of_people_are_reproducible() -> None:
    """An account's most common person category breaks ties by the smallest value (DuckDB's
    ``mode`` answers whichever value a thread saw first), and means do not carry the last
    bits of a parallel sum: the same data must give the same segmentation input."""
    con = duckdb.connect()
    con.execute("CREATE TABLE account_profiles (account_id VARCHAR, plan VARCHAR)")
    con.execute("INSERT INTO account_profiles VALUES ('A', 'pro'), ('B', 'free'), ('C', 'pro')")
    con.execute(
        "CREATE TABLE profiles (profile_id VARCHAR, account_id VARCHAR, anonymous BOOLEAN, "
        "seniority VARCHAR, email_open_rate DOUBLE)"
    )
    con.execute(
        """INSERT INTO profiles VALUES
           ('p1', 'A', false, 'vp', 0.1), ('p2', 'A', false, 'director', 0.2),
           ('p3', 'A', false, 'vp', 0.3), ('p4', 'A', false, 'director', NULL),
           ('p5', 'A', true, 'vp', 0.9),
           ('p6', 'B', false, 'manager', 0.5), ('p7', 'B', false, NULL, 0.5),
           ('p8', 'B', false, 'manager', 0.5), ('p9', 'B', false, 'analyst', 0.5)"""
    )
    sql = account_attributes_sql(con, ["seniority", "email_open_rate"])
    rows = {r[0]: r[1:] for r in con.execute(
        f"SELECT entity_id, people, people_seniority, people_email_open_rate FROM ({sql})"
    ).fetchall()}  # fmt: skip
    # A: vp and director twice each among its 4 known people (the anonymous one not counted)
    assert rows["A"] == (4, "director", pytest.approx(0.2))
    assert rows["B"] == (4, "manager", 0.5)
    assert rows["C"] == (None, None, None)
