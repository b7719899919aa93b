"""Describe customer segments so a marketer can read them, and pick primary and negative ones.

Every segment is compared with everyone: for each category level and each number, how much
more (or less) common it is in the segment, whether that is more than chance, and one plain
sentence saying so. The statistics are computed from per-segment counts and sums (numpy
``bincount`` once per column), never per row, so a million rows describe in seconds.

Two gates keep a difference: it must be significant after a Bonferroni adjustment over every
test of the call (a segment description runs hundreds of tests; unadjusted, some would pass
by chance on any data) and large enough to matter (lift ≥ 1.25 and at least 10% of the
segment for a category, a third of a standard deviation for a number). With a million rows
almost everything is significant, so the size gate is what keeps the list readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, check_k, fewer_than
from personae.locale.money import money_text

MIN_LEVEL_SHARE = 0.05  # a level is tested only when this share of the segment holds it
MIN_SEGMENT_SHARE = 0.10  # ... and kept only when at least this share holds it
MIN_LIFT = 1.25
MIN_STD_DIFF = 0.3
# Beyond primary_min, a segment becomes primary only with at least this share of the
# entities. The ranking itself is by size × mean value, but value is too heavy-tailed to
# be a threshold: in the SaaS demo one enterprise tier holds 94% of the value, and a cut at
# a fraction of the best score left out agencies and small businesses (20% of accounts each).
MIN_PRIMARY_SHARE = 0.05
NAME_TRAITS = 3
PEOPLE_PREFIX = "people_"


@dataclass
class AttributeDifference:
    """One way a segment differs from everyone, with its test and its sentence."""

    attribute: str
    label: str
    kind: str  # "category" or "number"
    level: str | None
    segment_value: float
    overall_value: float
    lift: float | None
    std_diff: float | None
    p_value: float
    sentence: str


@dataclass
class SegmentDescription:
    """A segment as a marketer reads it: who they are, what they are worth, what to do."""

    segment: int
    name: str
    size: int
    share: float
    revenue_share: float | None
    mean_value: float | None
    mean_revenue: float | None
    role: str
    reasons: list[str] = field(default_factory=list)
    differences: list[AttributeDifference] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- formatting
def _pct(x: float) -> str:
    return f"{x:.0%}"


def _lift(x: float) -> str:
    return f"{x:.1f}×"


def _money(x: float, currency: str) -> str:
    """``currency`` is the ISO code of the reporting currency ([workspace] currency)."""
    return money_text(x, currency)


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def _distinct(segment: float, overall: float, percent: bool) -> tuple[str, str]:
    """The segment's figure and the overall one, with as many decimals as it takes for the
    two to read differently (never "0% against 0%" for 0.4% against 0.2%)."""
    for places in range(4):
        if percent:
            a, b = f"{segment:.{places}%}", f"{overall:.{places}%}"
        elif places == 0 and max(abs(segment), abs(overall)) >= 100:
            a, b = f"{segment:,.0f}", f"{overall:,.0f}"
        else:
            a, b = f"{segment:.{max(places, 1)}f}", f"{overall:.{max(places, 1)}f}"
        if a != b:
            return a, b
    return a, b


def _duration(days: float) -> str:
    """Days as a spoken interval: "9 days", "3 weeks", "4 months" (singular for one)."""
    if days < 14:
        n, unit = max(round(days), 1), "day"
    elif days < 60:
        n, unit = round(days / 7), "week"
    else:
        n, unit = round(days / 30.44), "month"
    return unit if n == 1 else f"{n} {unit}s"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _humanise(text: str) -> str:
    """snake_case or kebab values and column names as words: "yoga_fitness_gear" → "yoga
    fitness gear"."""
    return re.sub(r"\s+", " ", text.replace("_", " ")).strip()


def _level_text(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _band(level: str) -> str:
    return re.sub(r"(?<=\d)\s*-\s*(?=\d)", "–", _humanise(level))


# --------------------------------------------------------------------------- labels
_LABELS = {
    "gender": "gender", "age_band": "age band", "age": "age",
    "days_between_orders": "days between orders", "orders": "orders",
    "avg_order_value": "average order value", "revenue": "revenue",
    "clv": "predicted lifetime value", "email_open_rate": "email open rate",
    "email_click_rate": "email click rate", "return_rate": "return rate",
    "discount_share": "share of orders with a discount", "support_tickets": "support tickets",
    "tickets_90d": "support tickets (90 days)", "mobile_share": "mobile share",
    "desktop_share": "desktop share", "top_category_1": "top category",
    "top_category_2": "second category", "top_category_3": "third category",
    "interest_1": "top interest", "interest_2": "second interest", "interest_3": "third interest",
    "preferred_channel": "preferred channel", "top_device": "device",
    "preferred_daypart": "browsing time of day", "preferred_order_daypart": "order time of day",
    "preferred_order_weekday": "order weekday", "employee_band": "employees",
    "account_plan": "plan", "loyalty_tier": "loyalty tier", "churn_risk": "churn risk",
    "recency_days": "days since last order", "revenue_band": "annual revenue",
}  # fmt: skip


def _label(attribute: str, overrides: dict[str, str] | None) -> str:
    if overrides and attribute in overrides:
        return overrides[attribute]
    if attribute.startswith(PEOPLE_PREFIX):
        return "people's " + _label(attribute[len(PEOPLE_PREFIX) :], None)
    if attribute in _LABELS:
        return _LABELS[attribute]
    if attribute.startswith("survey_"):
        return "survey: " + _humanise(attribute[len("survey_") :])
    if attribute.startswith("text_"):
        return _humanise(attribute[len("text_") :]) + " (in their words)"
    return _humanise(attribute)


# --------------------------------------------------------------------------- category words
_UNKNOWN_GENDER = {"", "u", "unknown", "n/a", "na", "none", "undisclosed", "prefer not to say"}


def _gender(level: str) -> str:
    v = level.strip().lower()
    if v in {"female", "f", "woman", "women"}:
        return "women"
    if v in {"male", "m", "man", "men"}:
        return "men"
    return "of unstated gender" if v in _UNKNOWN_GENDER else "non-binary"


def _channel(level: str) -> str:
    v = _humanise(level).lower()
    words = {
        "online": "online", "web": "online", "store": "in store", "in store": "in store",
        "retail": "in store", "shop": "in store", "app": "in the app",
        "mobile app": "in the app", "sales": "through sales", "phone": "by phone",
    }  # fmt: skip
    return words.get(v, f"via {v}")


def _channel_short(level: str) -> str:
    v = _channel(level)
    return {"in store": "in-store", "in the app": "app", "through sales": "sales-led"}.get(
        v, v.removeprefix("via ")
    )


def _daypart(level: str) -> str:
    v = _humanise(level).lower()
    return "at night" if v == "night" else f"in the {v}"


def _weekday(level: str) -> str:
    return _capitalise(_humanise(level).lower()) + "s"


def _plural(level: str) -> str:
    v = _humanise(level)
    special = {"vp": "VPs", "executive": "executives", "c-level": "C-level executives"}
    if v.lower() in special:
        return special[v.lower()]
    return v if v.endswith("s") else v + "s"


@dataclass(frozen=True)
class _CategoryWords:
    """How one attribute's levels read: ``predicate`` has ``{level}`` and follows "N% …";
    ``level`` renders the raw level for the sentence, ``short`` for a segment name."""

    predicate: str
    level: Callable[[str], str] = _humanise
    short: Callable[[str], str] | None = None


_CATEGORY_WORDS: dict[str, _CategoryWords] = {
    "gender": _CategoryWords("are {level}", _gender),
    "age_band": _CategoryWords("are aged {level}", _band),
    "top_category_1": _CategoryWords("buy mostly {level}"),
    "top_category_2": _CategoryWords("have {level} as their second-biggest category"),
    "top_category_3": _CategoryWords("have {level} as their third-biggest category"),
    "interest_1": _CategoryWords("mostly browse {level}"),
    "interest_2": _CategoryWords("have {level} as their second interest"),
    "interest_3": _CategoryWords("have {level} as their third interest"),
    "preferred_channel": _CategoryWords("mostly buy {level}", _channel, _channel_short),
    "top_device": _CategoryWords("mostly browse on {level}"),
    "preferred_daypart": _CategoryWords(
        "mostly browse {level}", _daypart, lambda v: _humanise(v).lower()
    ),
    "preferred_order_daypart": _CategoryWords(
        "mostly shop {level}", _daypart, lambda v: _humanise(v).lower()
    ),
    "preferred_order_weekday": _CategoryWords(
        "mostly order on {level}", _weekday, lambda v: _capitalise(_humanise(v).lower())
    ),
    "industry": _CategoryWords("are in the {level} industry"),
    "plan": _CategoryWords("are on the {level} plan", short=lambda v: f"{_humanise(v)} plan"),
    "account_plan": _CategoryWords(
        "are on the {level} plan", short=lambda v: f"{_humanise(v)} plan"
    ),
    "employee_band": _CategoryWords(
        "have {level} employees", _band, lambda v: f"{_band(v)} employees"
    ),
    "revenue_band": _CategoryWords(
        "have annual revenue of {level}", _band, lambda v: f"{_band(v)} revenue"
    ),
    "country": _CategoryWords("are based in {level}"),
    "loyalty_tier": _CategoryWords(
        "are in the {level} loyalty tier", short=lambda v: f"{_humanise(v)} tier"
    ),
    "seniority": _CategoryWords("are {level}", _plural),
    "acquisition_channel": _CategoryWords("came to us through {level}"),
}


def _category_words(base: str, label: str, question: str | None = None) -> _CategoryWords:
    """The words for ``base`` (an attribute without its ``people_`` prefix); ``label`` feeds
    the generic fallback, ``question`` (a caller's label) replaces a survey id."""
    if base in _CATEGORY_WORDS:
        return _CATEGORY_WORDS[base]
    if base.startswith("survey_"):
        question = question or _humanise(base[len("survey_") :])
        return _CategoryWords(f'answered "{{level}}" to {question}', str, _humanise)
    if base.startswith("text_"):
        facet = _humanise(base[len("text_") :])
        return _CategoryWords(f'name "{{level}}" as their {facet}', str, _humanise)
    return _CategoryWords(f'have {label} "{{level}}"')


def _split_people(attribute: str) -> tuple[str, bool]:
    if attribute.startswith(PEOPLE_PREFIX):
        return attribute[len(PEOPLE_PREFIX) :], True
    return attribute, False


def _words_for(attribute: str, labels_for: dict[str, str] | None) -> tuple[str, _CategoryWords]:
    base, people = _split_people(attribute)
    override = (labels_for or {}).get(attribute)
    # a people_ aggregate already says "people", so its generic label is the base one
    label = override or _label(base if people else attribute, None)
    return base, _category_words(base, label, override)


def _category_sentence(
    attribute: str,
    level: str,
    share: float,
    lift: float,
    labels_for: dict[str, str] | None = None,
) -> str:
    """'67% are women (1.9× the average)'; for a ``people_`` aggregate over accounts, 'At 45%
    of these accounts, people mostly browse on desktop (…)'."""
    base, words = _words_for(attribute, labels_for)
    flag = level.strip().lower()
    if base not in _CATEGORY_WORDS and flag in {"true", "false", "yes", "no"}:
        label = (labels_for or {}).get(attribute) or _label(base, None)
        predicate = f'are {"not " if flag in {"false", "no"} else ""}flagged "{label}"'
    else:
        predicate = words.predicate.format(level=words.level(level))
    head = f"At {_pct(share)} of these accounts, people" if attribute != base else _pct(share)
    return _capitalise(f"{head} {predicate} ({_lift(lift)} the average)")


def _category_short(attribute: str, level: str, labels_for: dict[str, str] | None) -> str:
    base, words = _words_for(attribute, labels_for)
    if base == "gender":
        return _gender(level)
    return (words.short or words.level)(level)


# --------------------------------------------------------------------------- number words
# Each template has {they}/{their} (so a ``people_`` aggregate reads "their people …") and
# {seg}/{all}, rendered by the named formatter.
_NUMBER_WORDS: dict[str, tuple[str, str]] = {
    "age": ("{they} are {seg} on average (overall {all})", "int"),
    # The median would describe a buying rhythm better (a few lapsed buyers drag the mean),
    # but the mean is what the test compares, and the sentence must match the test.
    "days_between_orders": ("{they} buy every {seg} (overall every {all})", "duration"),
    "recency_days": ("{they} last ordered {seg} ago on average (overall {all})", "duration"),
    "days_since_last_seen": ("{they} were last seen {seg} ago on average (overall {all})",
                             "duration"),
    "orders": ("{they} have placed {seg} orders on average (overall {all})", "num"),
    "avg_order_value": ("{they} spend {seg} per order on average (overall {all})", "money"),
    "revenue": ("{they} have spent {seg} on average (overall {all})", "money"),
    "clv": ("{their} predicted lifetime value is {seg} on average (overall {all})", "money"),
    "mrr": ("{they} pay {seg} a month on average (overall {all})", "money"),
    "email_open_rate": ("{they} open {seg} of emails (average {all})", "pct"),
    "email_click_rate": ("{they} click {seg} of emails (average {all})", "pct"),
    "return_rate": ("{they} return {seg} of what they buy (average {all})", "pct"),
    "discount_share": ("{seg} of {their} orders use a discount (average {all})", "pct"),
    "support_tickets": ("{they} have opened {seg} support tickets on average (overall {all})",
                        "num"),
    "tickets_90d": ("{they} have opened {seg} support tickets in the last 90 days on average "
                    "(overall {all})", "num"),
    "mobile_share": ("{they} browse on mobile {seg} of the time (average {all})", "pct"),
    "desktop_share": ("{they} browse on desktop {seg} of the time (average {all})", "pct"),
    "tablet_share": ("{they} browse on a tablet {seg} of the time (average {all})", "pct"),
    "churn_risk": ("{their} churn risk is {seg} on average (overall {all})", "pct"),
    "mean_rating": ("{their} reviews rate us {seg} on average (overall {all})", "num"),
}  # fmt: skip

# (high, low) words for a segment name when a number is its strongest trait
_NUMBER_NAMES: dict[str, tuple[str, str]] = {
    "age": ("older", "younger"), "days_between_orders": ("infrequent", "frequent"),
    "recency_days": ("lapsed", "recent buyers"), "orders": ("frequent buyers", "few orders"),
    "avg_order_value": ("big baskets", "small baskets"), "revenue": ("high spend", "low spend"),
    "clv": ("high value", "low value"), "return_rate": ("high returns", "few returns"),
    "discount_share": ("deal seekers", "full price"),
    "email_open_rate": ("email-engaged", "email-quiet"),
    "email_click_rate": ("email clickers", "rarely click"),
    "support_tickets": ("support-heavy", "self-sufficient"),
    "tickets_90d": ("support-heavy", "self-sufficient"),
    "mobile_share": ("mobile-first", "rarely mobile"),
    "desktop_share": ("desktop-first", "rarely desktop"),
    "churn_risk": ("at risk", "loyal"),
}  # fmt: skip


def _format(kind: str, x: float, currency: str) -> str:
    if kind == "pct":
        return _pct(x)
    if kind == "money":
        return _money(x, currency)
    if kind == "int":
        return f"{x:,.0f}"
    if kind == "duration":
        return _duration(x)
    return _num(x)


def _number_sentence(
    attribute: str, seg: float, overall: float, label: str | None = None, currency: str = "USD"
) -> str:
    """'They open 48% of emails (average 25%)'; the generic fallback is '<label>: 4.2 on
    average (overall 2.0)', in percent for a ``*_rate`` or ``*_share`` between 0 and 1."""
    base, people = _split_people(attribute)
    if base in _NUMBER_WORDS:
        template, kind = _NUMBER_WORDS[base]
        text = template.format(
            they="their people" if people else "they",
            their="their people's" if people else "their",
            seg=_format(kind, seg, currency),
            all=_format(kind, overall, currency),
        )
        return _capitalise(text)
    label = label or _label(attribute, None)
    rate = base.endswith(("_rate", "_share")) and 0 <= min(seg, overall) <= max(seg, overall) <= 1
    kind = "pct" if rate else "num"
    return _capitalise(
        f"{label}: {_format(kind, seg, currency)} on average "
        f"(overall {_format(kind, overall, currency)})"
    )


def _number_short(attribute: str, std_diff: float, label: str) -> str:
    base, _ = _split_people(attribute)
    high, low = _NUMBER_NAMES.get(base, (f"high {label}", f"low {label}"))
    return high if std_diff > 0 else low


# --------------------------------------------------------------------------- statistics
@dataclass
class _Candidate:
    """A difference that passed the size gates, waiting for the adjusted p-value."""

    segment: int  # index 0..k-1
    attribute: str
    order: int  # column position, for stable tie-breaks
    kind: str
    level: str | None
    segment_value: float
    overall_value: float
    lift: float | None
    std_diff: float | None
    p_value: float  # raw from the test; describe_segments adjusts it in place
    strength: float


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the level values, without a Python loop."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(dtype=np.int64), np.asarray(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _two_proportion_p(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-sided pooled z-test of x1/n1 against x2/n2 (the 2×2 chi-square without continuity
    correction), vectorised; a level nobody or everybody holds has no test and gets p = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    p = 2 * stats.norm.sf(np.abs(z))
    return np.where(np.isfinite(p), p, 1.0)


def _category_tests(
    values: pd.Series,
    seg: np.ndarray,
    k: int,
    attribute: str,
    order: int,
    min_group: int = DEFAULT_MIN_GROUP_SIZE,
) -> tuple[int, list[_Candidate]]:
    """Every level held by ≥5% of a segment, tested segment vs rest.

    A level is *kept* only when at least ``min_group`` members of the segment hold it (the
    minimum group size): "62% are women" about three women would describe three people.
    The test count is not changed by that gate, so the Bonferroni adjustment is the same.

    Shares are over the rows where the attribute is known, in the segment and overall: a
    missing value says nothing about the customer (no survey answer, no events), so counting
    it would make a segment with patchier data look as if it lacked every level, and a lift
    would measure data coverage instead of who the customers are.
    """
    codes, uniques = _codes(values)
    levels = len(uniques)
    if levels < 2:
        return 0, []
    width = levels + 1  # bin 0 holds the missing values, so no mask is needed
    counts = np.bincount(seg * width + codes + 1, minlength=k * width).reshape(k, width)[:, 1:]
    n_seg = counts.sum(axis=1).astype(float)
    total = counts.sum(axis=0).astype(float)
    n_all = total.sum()
    if (total > 0).sum() < 2:
        return 0, []
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / n_seg[:, None]
        overall = total / n_all
        lift = share / overall
    n_rest = n_all - n_seg
    tested = (share >= MIN_LEVEL_SHARE) & (n_seg[:, None] > 0) & (n_rest[:, None] > 0)
    tested &= np.isfinite(share)
    p = _two_proportion_p(counts, n_seg[:, None], total - counts, n_rest[:, None])
    keep = tested & (lift >= MIN_LIFT) & (share >= MIN_SEGMENT_SHARE)
    keep &= counts >= min_group
    # Cohen's h: a difference of proportions on the same conventional scale as a standardised
    # mean difference (0.2 small, 0.5 medium, 0.8 large), so a category and a number can be
    # ranked against each other, and a rise from 2% to 6% counts for more than 50% to 54%.
    h = 2 * np.arcsin(np.sqrt(np.clip(share, 0, 1))) - 2 * np.arcsin(np.sqrt(overall))
    out = [
        _Candidate(
            segment=int(g),
            attribute=attribute,
            order=order,
            kind="category",
            level=_level_text(uniques[lvl]),
            segment_value=float(share[g, lvl]),
            overall_value=float(overall[lvl]),
            lift=float(lift[g, lvl]),
            std_diff=None,
            p_value=float(p[g, lvl]),
            strength=float(abs(h[g, lvl])),
        )
        for g, lvl in zip(*np.nonzero(keep), strict=True)
    ]
    return int(tested.sum()), out


@dataclass
class _Moments:
    """Per-segment count, mean and variance (ddof=1) of one numeric column, plus overall."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    n_all: float
    mean_all: float
    var_all: float
    rest_n: np.ndarray
    rest_mean: np.ndarray
    rest_var: np.ndarray


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _moments(x: np.ndarray, seg: np.ndarray, k: int) -> _Moments | None:
    """Group moments from three bincounts; values are centred on the overall mean first so
    the sums of squares do not lose precision on large amounts."""
    valid = ~np.isnan(x)
    n_all = float(valid.sum())
    if n_all == 0:
        return None
    centre = float(np.nanmean(x))
    d = np.where(valid, x - centre, 0.0)
    n = np.bincount(seg, weights=valid.astype(float), minlength=k)
    s1 = np.bincount(seg, weights=d, minlength=k)
    s2 = np.bincount(seg, weights=d * d, minlength=k)
    t1, t2 = s1.sum(), s2.sum()
    rest_n, r1, r2 = n_all - n, t1 - s1, t2 - s2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = centre + s1 / n
        var = np.maximum(s2 - s1 * s1 / n, 0) / (n - 1)
        rest_mean = centre + r1 / rest_n
        rest_var = np.maximum(r2 - r1 * r1 / rest_n, 0) / (rest_n - 1)
        var_all = max(t2 - t1 * t1 / n_all, 0) / (n_all - 1) if n_all > 1 else math.nan
    return _Moments(n, mean, var, n_all, centre + t1 / n_all, var_all, rest_n, rest_mean, rest_var)


def _welch_p(m: _Moments) -> np.ndarray:
    """Welch's t-test, segment vs rest, from the group moments: the same numbers as
    ``scipy.stats.ttest_ind(equal_var=False, nan_policy="omit")`` without passing a million
    values per segment. NaN where a side has fewer than two values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        _, p = stats.ttest_ind_from_stats(
            m.mean,
            np.sqrt(m.var),
            m.n,
            m.rest_mean,
            np.sqrt(m.rest_var),
            m.rest_n,
            equal_var=False,
        )
    p = np.asarray(p, dtype=float)
    p[(m.n < 2) | (m.rest_n < 2)] = np.nan
    return p


def _number_tests(
    values: pd.Series,
    seg: np.ndarray,
    k: int,
    attribute: str,
    order: int,
    min_group: int = DEFAULT_MIN_GROUP_SIZE,
) -> tuple[int, list[_Candidate]]:
    """Every number tested segment vs rest; kept when the segment has at least
    ``min_group`` known values and differs by MIN_STD_DIFF or more."""
    x = _numeric(values)
    valid = x[~np.isnan(x)]
    if valid.size < 2 or valid.min() == valid.max():  # fewer than two distinct values
        return 0, []
    m = _moments(x, seg, k)
    if m is None or not m.var_all > 0:
        return 0, []
    p = _welch_p(m)
    tested = np.isfinite(p)
    std_diff = (m.mean - m.mean_all) / math.sqrt(m.var_all)
    keep = tested & (np.abs(std_diff) >= MIN_STD_DIFF) & (m.n >= min_group)
    out = [
        _Candidate(
            segment=int(g),
            attribute=attribute,
            order=order,
            kind="number",
            level=None,
            segment_value=float(m.mean[g]),
            overall_value=float(m.mean_all),
            lift=None,
            std_diff=float(std_diff[g]),
            p_value=float(p[g]),
            strength=float(abs(std_diff[g])),
        )
        for g in np.nonzero(keep)[0]
    ]
    return int(tested.sum()), out


def _group_means(
    frame: pd.DataFrame, column: str | None, seg: np.ndarray, k: int, min_group: int = 1
):
    """(per-segment means, overall mean, per-segment sums) ignoring NaN; None if absent.

    A segment with fewer than ``min_group`` known values gets a NaN mean (the minimum group
    size), which every rule and sentence downstream reads as "no figure"."""
    if column is None or column not in frame.columns:
        return None
    x = _numeric(frame[column])
    valid = ~np.isnan(x)
    if not valid.any():
        return None
    xs = np.where(valid, x, 0.0)
    n = np.bincount(seg, weights=valid.astype(float), minlength=k)
    sums = np.bincount(seg, weights=xs, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / n
    means = np.where(n >= min_group, means, np.nan)
    return means, float(xs.sum() / valid.sum()), sums


# --------------------------------------------------------------------------- roles
def _pick_primary(
    scores: list[tuple[int, float]],
    primary_min: int,
    primary_max: int,
    shares: dict[int, float] | None = None,
) -> list[int]:
    """Segments (ids) ranked by score, best first: the top ``primary_min`` always, then up to
    ``primary_max`` of those holding at least MIN_PRIMARY_SHARE of the entities — a tiny
    segment should not become a persona just to fill a quota."""
    ranked = sorted(scores, key=lambda s: (-s[1], s[0]))
    chosen = [s for s, _ in ranked[: max(min(primary_min, primary_max), 0)]]
    for s, _ in ranked[len(chosen) :]:
        if len(chosen) >= primary_max:
            break
        if shares is None or shares.get(s, 0.0) >= MIN_PRIMARY_SHARE:
            chosen.append(s)
    return chosen


def _negative_reasons(
    frame: pd.DataFrame,
    seg: np.ndarray,
    k: int,
    *,
    value_column: str | None,
    value_label: str,
    negative_ratio: float,
    low_value_ratio: float | None,
    currency: str,
    member: str,
    min_group: int = 1,
) -> list[list[str]]:
    """Reasons a segment costs more than it brings, per segment (empty when none fire).

    Only evidence of cost counts: returns, buying on discount, support tickets per member,
    a mean value at or below zero (or under ``low_value_ratio`` of the average, when set).
    Churn risk, few orders and seasonality are not harm: a segment that buys twice a year
    at full price is a good segment, so churn is only ever added to a reason that fired.
    Ratio rules need a positive overall mean: "twice the average" of zero means nothing.
    A segment mean over fewer than ``min_group`` known values gives no reason.
    """
    reasons: list[list[str]] = [[] for _ in range(k)]

    def ratio_rule(
        column: str, floor: float, percent: bool, say: Callable[[str, float, str], str]
    ) -> None:
        got = _group_means(frame, column, seg, k, min_group)
        if got is None or not got[1] > 0:
            return
        means, overall, _ = got
        for g in range(k):
            if means[g] >= negative_ratio * overall and means[g] >= floor:
                mine, average = _distinct(means[g], overall, percent)
                reasons[g].append(say(mine, means[g] / overall, average))

    ratio_rule(
        "return_rate",
        0.1,
        True,
        lambda s, r, o: f"Returns {s} of what they buy, {_lift(r)} the average ({o}).",
    )
    ratio_rule(
        "discount_share",
        0.3,
        True,
        lambda s, r, o: f"Uses a discount on {s} of orders, {_lift(r)} the average ({o}).",
    )
    tickets = next(
        (c for c in ("support_tickets", "tickets_90d", "people_support_tickets") if c in frame),
        None,
    )
    if tickets is not None:
        ratio_rule(
            tickets,
            0.0,
            False,
            lambda s, r, o: (
                f"Opens {s} support tickets per {member}, {_lift(r)} the average ({o})."
            ),
        )
    value = _group_means(frame, value_column, seg, k, min_group)
    if value is not None and low_value_ratio is None:
        # Value is heavy-tailed (one enterprise tier can hold 90% of it), so "below half the
        # average" would brand every small-customer segment negative; by default only a
        # segment that costs more than it brings is.
        means, overall, _ = value
        for g in range(k):
            if means[g] <= 0:
                reasons[g].append(
                    f"Mean {value_label} is {_money(means[g], currency)}: they cost more than "
                    "they bring."
                )
    elif value is not None and value[1] > 0:
        means, overall, _ = value
        for g in range(k):
            if means[g] < low_value_ratio * overall:
                reasons[g].append(
                    f"Mean {value_label} is only {_money(means[g], currency)}, "
                    f"{_lift(means[g] / overall)} the average ({_money(overall, currency)})."
                )
    # Churn risk is context, never harm on its own: a seasonal buyer or a one-time buyer
    # may well not come back and still have paid more than they cost. It is added to a
    # segment that already costs more than it brings.
    churn = _group_means(frame, "churn_risk", seg, k, min_group)
    if churn is not None and churn[1] > 0:
        means, overall, _ = churn
        limit = min(negative_ratio * overall, overall + 0.5 * (1 - overall))
        for g in range(k):
            if reasons[g] and means[g] >= limit:
                mine, average = _distinct(means[g], overall, True)
                reasons[g].append(f"Churn risk averages {mine}, against {average} overall.")
    return reasons


# --------------------------------------------------------------------------- names
def _segment_name(differences: list[AttributeDifference], labels_for: dict[str, str] | None) -> str:
    """Up to three of the strongest traits; a number only when it is the very strongest,
    because "high spend" says less about who they are than "activewear" or "25–34"."""
    parts: list[str] = []
    for i, d in enumerate(differences):
        if d.kind == "number":
            if i == 0:
                parts.append(_number_short(d.attribute, d.std_diff or 0.0, d.label))
            continue
        parts.append(_category_short(d.attribute, d.level or "", labels_for))
    names: dict[str, str] = {}  # lower-case -> first spelling, so "Activewear" counts once
    for p in parts:
        if p:
            names.setdefault(p.lower(), p)
    return _capitalise(" · ".join(list(names.values())[:NAME_TRAITS]))


def _unique_names(names: list[str], segments: list[int]) -> list[str]:
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    out = [
        f"Segment {s}" if not n else (f"{n} (segment {s})" if counts[n] > 1 else n)
        for n, s in zip(names, segments, strict=True)
    ]
    if len(set(out)) < len(out):  # a planted name happened to equal a suffixed one
        out = [f"Segment {s}" for s in segments]
    return out


# --------------------------------------------------------------------------- main
def _entity_noun(frame: pd.DataFrame) -> tuple[str, str]:
    accounts = "account_id" in frame.columns or frame.index.name == "account_id"
    accounts = accounts or any(str(c).startswith(PEOPLE_PREFIX) for c in frame.columns)
    return ("accounts", "account") if accounts else ("customers", "customer")


def describe_segments(
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    numeric: list[str],
    categorical: list[str],
    value_column: str | None = "clv",
    revenue_column: str | None = "revenue",
    labels_for: dict[str, str] | None = None,
    top: int = 8,
    alpha: float = 0.001,
    primary_min: int = 3,
    primary_max: int = 5,
    negative_ratio: float = 2.0,
    low_value_ratio: float | None = None,
    currency: str = "USD",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> list[SegmentDescription]:
    """Describe every segment of ``frame`` (one row per entity, ``labels`` aligned with the
    rows), ordered by segment number.

    ``min_group_size`` (``[governance] min_group_size``, k) is the fewest entities any
    sentence may rest on: a segment smaller than k is not described at all (one sentence
    says so, and it can be neither primary nor negative), a category level held by fewer
    than k of a segment and a number known for fewer than k are never a difference, and a
    mean over fewer than k known values is left out.

    The Bonferroni adjustment counts every test the call ran (all tested levels and all
    numbers, in every segment), so adding columns makes each one harder to pass: that is the
    price of looking at more. Raises ``ValueError`` when ``labels`` do not match the rows or
    a listed column is missing, rather than describing something else than was asked.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(frame):
        raise ValueError(f"labels has {labels.shape} entries for {len(frame)} rows")
    missing = [c for c in [*numeric, *categorical] if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the frame: {', '.join(map(str, missing))}")
    if len(frame) == 0:
        return []
    value_column = value_column if value_column in frame.columns else None
    revenue_column = revenue_column if revenue_column in frame.columns else None
    ids, seg = np.unique(labels, return_inverse=True)
    seg = seg.astype(np.intp).ravel()
    k, n_rows = len(ids), len(frame)
    sizes = np.bincount(seg, minlength=k)
    plural, member = _entity_noun(frame)
    min_group = check_k(min_group_size)
    too_small = sizes < min_group

    tests = 0
    candidates: list[_Candidate] = []
    for order, column in enumerate(categorical):
        count, found = _category_tests(frame[column], seg, k, column, order, min_group)
        tests += count
        candidates.extend(found)
    for order, column in enumerate(numeric, start=len(categorical)):
        count, found = _number_tests(frame[column], seg, k, column, order, min_group)
        tests += count
        candidates.extend(found)

    per_segment: list[dict[str, _Candidate]] = [{} for _ in range(k)]
    for c in candidates:
        c.p_value = min(1.0, c.p_value * tests)  # Bonferroni
        if not c.p_value < alpha or too_small[c.segment]:
            continue
        best = per_segment[c.segment].get(c.attribute)
        if best is None or c.strength > best.strength:  # first (column order) wins a tie
            per_segment[c.segment][c.attribute] = c

    value = _group_means(frame, value_column, seg, k, min_group)
    revenue = _group_means(frame, revenue_column, seg, k, min_group)
    value_label = _label(value_column, labels_for) if value_column else "value"
    reasons = _negative_reasons(
        frame,
        seg,
        k,
        value_column=value_column,
        value_label=value_label,
        negative_ratio=negative_ratio,
        low_value_ratio=low_value_ratio,
        currency=currency,
        member=member,
        min_group=min_group,
    )

    shares = sizes / n_rows
    if value is not None:
        basis, per, word = value[0], "size × value", "mean value"
    elif revenue is not None:
        basis, per, word = revenue[0], "size × revenue", "mean revenue"
    else:
        basis, per, word = None, "size", ""
    eligible = [g for g in range(k) if not reasons[g] and not too_small[g]]
    scores = []
    for g in eligible:
        weight = 1.0 if basis is None else float(basis[g])
        scores.append((g, float(shares[g]) * (weight if np.isfinite(weight) else 0.0)))
    primary = _pick_primary(
        scores, primary_min, primary_max, {g: float(shares[g]) for g in eligible}
    )
    ranking = sorted(scores, key=lambda s: (-s[1], s[0]))
    rank_of = {g: i + 1 for i, (g, _) in enumerate(ranking)}

    revenue_total = float(revenue[2].sum()) if revenue is not None else 0.0
    out: list[SegmentDescription] = []
    for g in range(k):
        if too_small[g]:
            out.append(_too_small(int(ids[g]), int(sizes[g]), float(shares[g]), min_group, plural))
            continue
        chosen = sorted(per_segment[g].values(), key=lambda c: (-c.strength, c.order))[:top]
        differences = [_difference(c, labels_for, currency) for c in chosen]
        revenue_share = (
            float(revenue[2][g] / revenue_total)
            if revenue is not None and revenue_total and np.isfinite(revenue[0][g])
            else None
        )
        mean_value = _finite(value[0][g]) if value is not None else None
        mean_revenue = _finite(revenue[0][g]) if revenue is not None else None
        sentences = [d.sentence for d in differences]
        if revenue_share is not None:
            sentences.append(
                f"They hold {_pct(revenue_share)} of revenue with {_pct(shares[g])} of {plural}"
            )
        described = {d.attribute for d in differences}  # a difference already says it
        if value is not None and mean_value is not None:
            if value_column not in described:
                sentences.append(
                    _value_sentence(value_column, value_label, mean_value, value[1], currency)
                )
        elif revenue is not None and mean_revenue is not None and revenue_column not in described:
            sentences.append(
                _value_sentence("revenue", "revenue", mean_revenue, revenue[1], currency)
            )
        if reasons[g]:
            role, why = "negative", reasons[g]
        elif g in primary:
            detail = f"share {_pct(shares[g])}"
            if basis is not None and np.isfinite(basis[g]):
                detail += f", {word} {_money(float(basis[g]), currency)}"
            role = "primary"
            why = [f"Ranks {_ordinal(rank_of[g])} of {len(ranking)} by {per} ({detail})"]
        else:
            role, why = "other", []
        out.append(
            SegmentDescription(
                segment=int(ids[g]),
                name=_segment_name(differences, labels_for),
                size=int(sizes[g]),
                share=float(shares[g]),
                revenue_share=revenue_share,
                mean_value=mean_value,
                mean_revenue=mean_revenue,
                role=role,
                reasons=why,
                differences=differences,
                sentences=sentences,
            )
        )
    names = _unique_names([d.name for d in out], [d.segment for d in out])
    for d, name in zip(out, names, strict=True):
        d.name = name
    return out


def _too_small(segment: int, size: int, share: float, k: int, plural: str) -> SegmentDescription:
    """A segment under the minimum group size: counted, never described."""
    return SegmentDescription(
        segment=segment,
        name="",
        size=size,
        share=share,
        revenue_share=None,
        mean_value=None,
        mean_revenue=None,
        role="other",
        reasons=[],
        differences=[],
        sentences=[
            f"Not described: {fewer_than(k, plural)} (minimum group size); counted among "
            "everyone only."
        ],
    )


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _value_sentence(column: str, label: str, seg: float, overall: float, currency: str) -> str:
    """'Their predicted lifetime value is $412 on average, 1.6× the average ($257)'."""
    if column == "clv":
        head = "Their predicted lifetime value is"
    elif column == "revenue":
        head = "They have spent"
    else:
        head = f"Their {label} is"
    tail = (
        f", {_lift(seg / overall)} the average ({_money(overall, currency)})"
        if overall > 0
        else f" (overall {_money(overall, currency)})"
    )
    return f"{head} {_money(seg, currency)} on average{tail}"


def _difference(
    c: _Candidate, labels_for: dict[str, str] | None, currency: str
) -> AttributeDifference:
    label = _label(c.attribute, labels_for)
    if c.kind == "category":
        sentence = _category_sentence(
            c.attribute, c.level or "", c.segment_value, c.lift or 0.0, labels_for
        )
    else:
        sentence = _number_sentence(c.attribute, c.segment_value, c.overall_value, label, currency)
    return AttributeDifference(
        attribute=c.attribute,
        label=label,
        kind=c.kind,
        level=c.level,
        segment_value=c.segment_value,
        overall_value=c.overall_value,
        lift=c.lift,
        std_diff=c.std_diff,
        p_value=c.p_value,
        sentence=sentence,
    )


# --------------------------------------------------------------------------- shared wording
# The persona builder words its facts with these, so a trait reads the same in the segment
# report and in a persona (one label table, one set of phrasings).
attribute_label = _label
percent = _pct
money = _money
duration = _duration
humanise = _humanise
band_text = _band
channel_phrase = _channel
channel_short = _channel_short
daypart_phrase = _daypart
weekday_phrase = _weekday
gender_plural = _gender
