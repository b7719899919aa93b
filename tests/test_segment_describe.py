"""Segment descriptions, judged against differences planted in a synthetic frame.

The frame has four equal segments. Segment 1 is worth more (clv), segment 2 is mostly women,
segment 3 returns much of what it buys, segment 4 buys mostly activewear and is older. A
numeric and a categorical column are pure noise, and two columns hold a single value.
Expected lifts come from the planted probabilities, not from the code under test.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from personae.segments.describe import (
    SegmentDescription,
    _category_sentence,
    _duration,
    _money,
    _number_sentence,
    _pick_primary,
    describe_segments,
)

N_PER_SEGMENT = 750
K = 4
NUMERIC = ["clv", "revenue", "return_rate", "age", "noise_num", "const_num"]
CATEGORICAL = ["gender", "top_category_1", "noise_cat", "const_cat"]

# planted truth
FEMALE = {1: 0.5, 2: 0.8, 3: 0.5, 4: 0.5}
ACTIVEWEAR = {1: 0.2, 2: 0.2, 3: 0.2, 4: 0.6}
CLV_MEAN = {1: 300.0, 2: 120.0, 3: 120.0, 4: 120.0}
RETURN_MEAN = {1: 0.05, 2: 0.05, 3: 0.35, 4: 0.05}
AGE_MEAN = {1: 41.0, 2: 41.0, 3: 41.0, 4: 52.0}


def _frame(seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(1, K + 1), N_PER_SEGMENT)
    labels = labels[rng.permutation(len(labels))]
    n = len(labels)

    def planted(truth: dict[int, float]) -> np.ndarray:
        return np.array([truth[s] for s in labels])

    female = rng.random(n) < planted(FEMALE)
    active = rng.random(n) < planted(ACTIVEWEAR)
    other_cat = np.array(["skincare", "yoga_fitness_gear", "supplements"])[rng.integers(0, 3, n)]
    clv = rng.gamma(4.0, planted(CLV_MEAN) / 4.0)
    frame = pd.DataFrame(
        {
            "gender": np.where(female, "female", "male"),
            "top_category_1": np.where(active, "activewear", other_cat),
            "noise_cat": np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
            "const_cat": "same",
            "clv": clv,
            "revenue": clv * 0.8 + rng.gamma(2.0, 10.0, n),
            "return_rate": np.clip(rng.normal(planted(RETURN_MEAN), 0.03), 0, 1),
            "age": rng.normal(planted(AGE_MEAN), 8.0),
            "noise_num": rng.normal(10.0, 2.0, n),
            "const_num": 1.0,
        }
    )
    return frame, labels


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray, list[SegmentDescription]]:
    frame, labels = _frame()
    return frame, labels, describe_segments(frame, labels, numeric=NUMERIC, categorical=CATEGORICAL)


def _by_segment(out: list[SegmentDescription]) -> dict[int, SegmentDescription]:
    return {d.segment: d for d in out}


def _difference(d: SegmentDescription, attribute: str):
    found = [x for x in d.differences if x.attribute == attribute]
    assert len(found) <= 1, "at most one difference per attribute"
    return found[0] if found else None


def test_output_is_ordered_and_complete(planted) -> None:
    frame, _, out = planted
    assert [d.segment for d in out] == [1, 2, 3, 4]
    assert sum(d.size for d in out) == len(frame)
    assert math.isclose(sum(d.share for d in out), 1.0)
    assert all(d.size == N_PER_SEGMENT for d in out)


def test_planted_gender_difference_found_with_planted_lift(planted) -> None:
    frame, labels, out = planted
    women = _difference(_by_segment(out)[2], "gender")
    assert women is not None and women.kind == "category" and women.level == "female"
    expected_overall = sum(FEMALE.values()) / K  # equal segment sizes
    assert women.lift == pytest.approx(FEMALE[2] / expected_overall, abs=0.1)
    assert women.segment_value == pytest.approx(FEMALE[2], abs=0.05)
    observed = (frame.loc[labels == 2, "gender"] == "female").mean()
    assert women.sentence.startswith(f"{observed:.0%} are women (")
    assert "× the average)" in women.sentence
    for s in (1, 3, 4):  # 50% women is the norm elsewhere, nothing to say
        assert _difference(_by_segment(out)[s], "gender") is None


def test_planted_category_and_number_found(planted) -> None:
    _, _, out = planted
    seg4 = _by_segment(out)[4]
    active = _difference(seg4, "top_category_1")
    assert active is not None and active.level == "activewear"
    overall = sum(ACTIVEWEAR.values()) / K  # the other categories are never activewear
    assert active.lift == pytest.approx(ACTIVEWEAR[4] / overall, abs=0.15)
    assert active.sentence.startswith(f"{active.segment_value:.0%} buy mostly activewear")
    age = _difference(seg4, "age")
    assert age is not None and age.kind == "number" and age.std_diff is not None
    assert age.std_diff > 0
    # planted: overall mean 43.75, overall sd = sqrt(8² + between-segment variance)
    means = np.array(list(AGE_MEAN.values()))
    planted_sd = math.sqrt(64 + means.var())
    assert age.std_diff == pytest.approx((AGE_MEAN[4] - means.mean()) / planted_sd, abs=0.1)
    assert age.sentence.startswith(f"They are {age.segment_value:.0f} on average (overall ")


def test_noise_and_constant_columns_never_differ(planted) -> None:
    _, _, out = planted
    for d in out:
        attributes = {x.attribute for x in d.differences}
        assert not attributes & {"noise_num", "noise_cat", "const_num", "const_cat"}


def test_p_values_are_bonferroni_adjusted_welch(planted) -> None:
    frame, labels, out = planted
    # Tests the call ran: every segment × every numeric column with two or more values, and
    # every (segment, level) held by at least 5% of the segment (constant columns skipped).
    numeric_tests = K * sum(frame[c].nunique() > 1 for c in NUMERIC)
    level_tests = 0
    for c in CATEGORICAL:
        if frame[c].nunique() < 2:
            continue
        shares = pd.crosstab(labels, frame[c], normalize="index")
        level_tests += int((shares.to_numpy() >= 0.05).sum())
    tests = numeric_tests + level_tests
    age = _difference(_by_segment(out)[4], "age")
    raw = stats.ttest_ind(
        frame.loc[labels == 4, "age"], frame.loc[labels != 4, "age"], equal_var=False
    ).pvalue
    assert age.p_value == pytest.approx(min(1.0, raw * tests), rel=1e-6)
    for d in out:
        for x in d.differences:
            assert 0 <= x.p_value <= 1
            assert x.p_value < 0.001


def test_negative_segment_has_returns_reason(planted) -> None:
    frame, labels, out = planted
    seg3 = _by_segment(out)[3]
    assert seg3.role == "negative"
    assert len(seg3.reasons) == 1 and seg3.reasons[0].startswith("Returns ")
    observed = frame.loc[labels == 3, "return_rate"].mean()
    assert f"{observed:.0%} of what they buy" in seg3.reasons[0]
    assert all(d.role != "negative" for d in out if d.segment != 3)


def test_high_value_segment_ranks_primary_first(planted) -> None:
    _, _, out = planted
    seg = _by_segment(out)
    assert seg[1].role == "primary"
    assert seg[1].reasons[0].startswith("Ranks 1st of 3 by size × value (share 25%, mean value $")
    # three non-negative segments and primary_min=3: all of them are primary
    assert {d.segment for d in out if d.role == "primary"} == {1, 2, 4}
    assert seg[1].mean_value == pytest.approx(CLV_MEAN[1], rel=0.1)


def test_value_and_revenue(planted) -> None:
    frame, labels, out = planted
    assert sum(d.revenue_share for d in out) == pytest.approx(1.0)
    seg1 = _by_segment(out)[1]
    expected = frame.loc[labels == 1, "revenue"].sum() / frame["revenue"].sum()
    assert seg1.revenue_share == pytest.approx(expected)
    assert f"They hold {expected:.0%} of revenue with 25% of customers" in seg1.sentences
    assert any(s.startswith("Their predicted lifetime value is $") for s in seg1.sentences)
    assert all(s[:1] == s[:1].upper() for d in out for s in d.sentences)


def test_names_are_unique_and_readable(planted) -> None:
    _, _, out = planted
    names = [d.name for d in out]
    assert len(set(names)) == len(names)
    # segment 3's returns lower everyone else's mean, so "few returns" may lead; women must show
    assert "women" in _by_segment(out)[2].name.lower().split(" · ")
    assert "activewear" in _by_segment(out)[4].name.lower()


def test_deterministic_and_json_ready(planted) -> None:
    frame, labels, out = planted
    again = describe_segments(frame, labels, numeric=NUMERIC, categorical=CATEGORICAL)
    assert [d.to_dict() for d in out] == [d.to_dict() for d in again]
    json.dumps([d.to_dict() for d in out])


def test_missing_values_and_text_numbers() -> None:
    frame, labels = _frame(seed=3)
    rng = np.random.default_rng(11)
    for column in ("gender", "top_category_1", "clv", "revenue", "age", "return_rate"):
        frame.loc[rng.random(len(frame)) < 0.15, column] = None
    frame["age"] = frame["age"].map(lambda v: None if pd.isna(v) else f"{v:.1f}").astype(object)
    out = describe_segments(frame, labels, numeric=NUMERIC, categorical=CATEGORICAL)
    seg = _by_segment(out)
    women = _difference(seg[2], "gender")
    assert women is not None
    known = frame.loc[labels == 2, "gender"].dropna()
    # shares are over known values: a missing gender is not a level
    assert women.segment_value == pytest.approx((known == "female").mean())
    assert _difference(seg[4], "age") is not None  # text numbers were coerced
    assert sum(d.revenue_share for d in out) == pytest.approx(1.0)
    assert seg[3].role == "negative"
    assert all(math.isfinite(d.mean_value) for d in out)


def test_without_value_columns_ranks_by_size() -> None:
    frame, labels = _frame()
    frame = frame.drop(columns=["clv", "revenue"])
    numeric = [c for c in NUMERIC if c in frame]
    out = describe_segments(frame, labels, numeric=numeric, categorical=CATEGORICAL)
    assert all(d.revenue_share is None and d.mean_value is None for d in out)
    primaries = [d for d in out if d.role == "primary"]
    assert primaries and all(" by size (share 25%)" in d.reasons[0] for d in primaries)


def test_rejects_misaligned_input() -> None:
    frame, labels = _frame()
    with pytest.raises(ValueError, match="labels"):
        describe_segments(frame, labels[:-1], numeric=NUMERIC, categorical=CATEGORICAL)
    with pytest.raises(ValueError, match="nope"):
        describe_segments(frame, labels, numeric=["nope"], categorical=[])


def test_every_negative_rule_fires_on_its_own_segment() -> None:
    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(1, 5), 400)

    def planted(special: int, high: float, low: float) -> np.ndarray:
        return np.where(labels == special, high, low)

    frame = pd.DataFrame(
        {
            "discount_share": np.clip(rng.normal(planted(1, 0.6, 0.1), 0.05), 0, 1),
            "support_tickets": rng.poisson(planted(2, 3.0, 0.5)),
            "churn_risk": np.clip(rng.normal(planted(3, 0.8, 0.2), 0.05), 0, 1),
            "clv": rng.gamma(4.0, planted(4, 20.0, 100.0) / 4.0),
        }
    )
    out = _by_segment(
        describe_segments(
            frame, labels, numeric=list(frame.columns), categorical=[], low_value_ratio=0.5
        )
    )
    starts = {1: "Uses a discount on ", 2: "Opens ", 4: "Mean "}
    for segment, start in starts.items():
        assert out[segment].role == "negative"
        assert len(out[segment].reasons) == 1 and out[segment].reasons[0].startswith(start)
    # churn risk alone is not harm: those customers may leave, they do not cost
    assert out[3].role != "negative"
    assert "support tickets per customer" in out[2].reasons[0]
    assert "predicted lifetime value is only $" in out[4].reasons[0]


def test_seasonal_profitable_buyers_are_never_negative() -> None:
    """A garden centre (not the demo): spring-only buyers order twice a year at full price,
    churn models give them a high risk, and they are still worth more than they cost. Only
    the group that returns and buys on discount is negative, and its reasons quote the
    figures a reader can recompute from the rows."""
    rng = np.random.default_rng(11)
    labels = np.repeat([1, 2, 3], [500, 300, 200])
    frame = pd.DataFrame(
        {
            "orders": np.where(labels == 2, 2, rng.poisson(9, len(labels)) + 1),
            "days_between_orders": np.where(labels == 2, 330.0, rng.normal(35, 5, len(labels))),
            "churn_risk": np.where(labels == 2, rng.uniform(0.7, 0.9, len(labels)), 0.25),
            "return_rate": np.where(labels == 3, rng.uniform(0.3, 0.5, len(labels)), 0.02),
            "discount_share": np.where(labels == 3, 0.8, rng.uniform(0.0, 0.1, len(labels))),
            "clv": np.where(labels == 2, 260.0, np.where(labels == 3, 60.0, 180.0)),
            "revenue": np.where(labels == 2, 240.0, np.where(labels == 3, 90.0, 200.0)),
        }
    )
    out = _by_segment(
        describe_segments(
            frame, labels, numeric=list(frame.columns), categorical=[], currency="EUR"
        )
    )
    assert out[2].role != "negative"  # seasonal, infrequent, likely to lapse, profitable
    assert not any("Churn" in r for r in out[2].reasons)
    assert out[3].role == "negative"
    returns = next(r for r in out[3].reasons if r.startswith("Returns "))
    mine, overall = frame.return_rate[labels == 3].mean(), frame.return_rate.mean()
    assert f"Returns {mine:.0%} of what they buy" in returns and f"({overall:.0%})" in returns
    discount = next(r for r in out[3].reasons if r.startswith("Uses a discount on "))
    assert f"{frame.discount_share[labels == 3].mean():.0%} of orders" in discount


def test_reason_figures_never_read_the_same_for_segment_and_average() -> None:
    """0.04 tickets against 0.013 is three times the average; to one decimal both read
    "0.0", which says nothing."""
    labels = np.repeat([1, 2, 3], [800, 800, 800])
    frame = pd.DataFrame(
        {
            "support_tickets": np.where(labels == 2, 0.04, 0.0),
            "clv": np.full(len(labels), 100.0),
        }
    )
    (reason,) = [
        r
        for d in describe_segments(
            frame, labels, numeric=["support_tickets", "clv"], categorical=[]
        )
        for r in d.reasons
        if r.startswith("Opens ")
    ]
    assert "Opens 0.04 support tickets per customer" in reason and "(0.01)" in reason


def test_pick_primary_keeps_minimum_then_cuts_small_scores() -> None:
    scores = [(6, 5.0), (1, 100.0), (2, 60.0), (3, 30.0), (4, 3.0), (5, 2.0)]
    shares = {6: 0.02, 1: 0.3, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.08}
    # the top three always; then by score, skipping segment 6 (2% of entities, < 5%)
    assert _pick_primary(scores, 3, 5, shares) == [1, 2, 3, 4, 5]
    assert _pick_primary(scores, 3, 4, shares) == [1, 2, 3, 4]
    assert _pick_primary(scores, 3, 6, shares) == [1, 2, 3, 4, 5]
    assert _pick_primary(scores, 1, 2, shares) == [1, 2]
    assert _pick_primary(scores[:2], 3, 5, shares) == [1, 6]  # under the minimum: all of them
    assert _pick_primary([], 3, 5) == []


@pytest.mark.parametrize(
    ("attribute", "level", "expected"),
    [
        ("gender", "F", "67% are women (1.9× the average)"),
        ("gender", "MALE", "67% are men (1.9× the average)"),
        ("gender", "nonbinary", "67% are non-binary (1.9× the average)"),
        ("age_band", "35-44", "67% are aged 35–44 (1.9× the average)"),
        ("top_category_1", "yoga_fitness_gear", "67% buy mostly yoga fitness gear (1.9×"),
        ("preferred_channel", "store", "67% mostly buy in store"),
        ("preferred_channel", "app", "67% mostly buy in the app"),
        ("preferred_channel", "sales", "67% mostly buy through sales"),
        ("top_device", "mobile", "67% mostly browse on mobile"),
        ("preferred_order_daypart", "evening", "67% mostly shop in the evening"),
        ("preferred_order_weekday", "saturday", "67% mostly order on Saturdays"),
        ("survey_matters_most", "Price", '67% answered "Price" to matters most (1.9×'),
        ("text_goal", "good price", '67% name "good price" as their goal (1.9×'),
        ("employee_band", "10-49", "67% have 10–49 employees"),
        ("people_top_device", "desktop", "At 67% of these accounts, people mostly browse on"),
        ("favourite_colour", "deep_blue", '67% have favourite colour "deep blue" (1.9×'),
    ],
)
def test_category_sentences(attribute: str, level: str, expected: str) -> None:
    assert _category_sentence(attribute, level, 0.67, 1.94).startswith(expected)


@pytest.mark.parametrize(
    ("attribute", "seg", "overall", "expected"),
    [
        ("age", 52.2, 41.0, "They are 52 on average (overall 41)"),
        ("days_between_orders", 21.0, 45.0, "They buy every 3 weeks (overall every 6 weeks)"),
        ("days_between_orders", 9.0, 120.0, "They buy every 9 days (overall every 4 months)"),
        ("orders", 7.2, 3.1, "They have placed 7.2 orders on average (overall 3.1)"),
        ("avg_order_value", 1240.0, 62.0, "They spend $1,240 per order"),
        ("email_open_rate", 0.48, 0.25, "They open 48% of emails (average 25%)"),
        ("return_rate", 0.31, 0.06, "They return 31% of what they buy (average 6%)"),
        ("discount_share", 0.58, 0.14, "58% of their orders use a discount (average 14%)"),
        ("people_email_open_rate", 0.48, 0.25, "Their people open 48% of emails"),
        ("sessions", 4.2, 2.0, "Sessions: 4.2 on average (overall 2.0)"),
    ],
)
def test_number_sentences(attribute: str, seg: float, overall: float, expected: str) -> None:
    assert _number_sentence(attribute, seg, overall).startswith(expected)


def test_durations_and_money() -> None:
    assert [_duration(d) for d in (1, 9, 13.9, 21, 59, 120)] == [
        "day", "9 days", "14 days", "3 weeks", "8 weeks", "4 months",
    ]  # fmt: skip
    assert _money(12345.6, "EUR") == "€12,346"
    assert _money(45.5, "GBP") == "£45.50"
    assert _money(4.5, "USD") == "$4.50"
