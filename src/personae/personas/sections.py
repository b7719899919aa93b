"""The factual sections of a persona, each statement a sentence over one figure.

Every function here turns :mod:`personae.personas.facts` figures into :class:`Fact` or
:class:`Claim` objects whose evidence is the figure itself; nothing is worded that is not
computed. The wording helpers are the segment report's (one label table for both).
"""

from __future__ import annotations

from personae.personas.facts import CategoryStat, LevelShare, NumberStat, SegmentStats
from personae.personas.schema import Claim, Evidence, Fact
from personae.personas.wording import covers_typical_member
from personae.segments.describe import (
    band_text,
    channel_phrase,
    daypart_phrase,
    duration,
    humanise,
    money,
    percent,
    weekday_phrase,
)


def share_evidence(
    source: str, attribute: str, level: str, share: float, overall: float | None, n: int, note: str
) -> Evidence:
    """Evidence for "this share of members have this level" (one builder for every caller)."""
    return Evidence(
        kind="statistic",
        source=source,
        attribute=attribute,
        level=level,
        segment_value=share,
        overall_value=overall,
        lift=share / overall if overall else None,
        n=n,
        note=note,
    )


def level_evidence(cat: CategoryStat, lv: LevelShare, note: str | None = None) -> Evidence:
    return share_evidence(
        cat.source, cat.attribute, lv.level, lv.share, lv.overall, cat.known,
        note or "share of members with a known value; overall = everyone segmented",
    )  # fmt: skip


def number_evidence(num: NumberStat, what: str = "median") -> Evidence:
    seg = num.median if what == "median" else num.mean
    overall = num.overall_median if what == "median" else num.overall_mean
    return Evidence(
        kind="statistic",
        source=num.source,
        attribute=num.attribute,
        segment_value=seg,
        overall_value=overall,
        std_diff=num.std_diff,
        n=num.n,
        note=f"{what} among members with a value; overall = everyone segmented",
    )


def _vs(lv: LevelShare) -> str:
    lift = lv.share / lv.overall if lv.overall else 0.0
    if lift >= 1.25:
        return f" ({lift:.1f}× the average)"
    if lift <= 0.8:
        return f" (average {percent(lv.overall)})"
    return ""


def category_fact(
    stats: SegmentStats, attribute: str, label: str, phrase=None, *, min_share: float = 0.0
) -> Fact | None:
    """The most common level of an attribute as a fact: "Channel: app (66%, 2.0× the average)"."""
    cat = stats.categories.get(attribute)
    if cat is None or cat.top is None or cat.top.share < min_share:
        return None
    lv = cat.top
    value = phrase(lv.level) if phrase else humanise(lv.level)
    members = stats.members(cat.source)
    coverage = cat.known / members if members else None
    whom = "" if covers_typical_member(cat.known, members) else _whom(coverage)
    return Fact(
        label=label,
        value=value,
        share=lv.share,
        coverage=coverage,
        text=f"{label}: {value} — {percent(lv.share)}{_vs(lv)}{whom}",
        evidence=[level_evidence(cat, lv)],
    )


def _whom(coverage: float | None) -> str:
    """Who a minority figure describes: ' (of the 6% of members with a value)'."""
    return f" (of the {percent(coverage or 0.0)} of members with a value)"


def number_fact(
    stats: SegmentStats, attribute: str, label: str, fmt, *, what: str = "median"
) -> Fact | None:
    num = stats.numbers.get(attribute)
    if num is None or num.n == 0:
        return None
    seg = num.median if what == "median" else num.mean
    overall = num.overall_median if what == "median" else num.overall_mean
    value = fmt(seg)
    word = "typical" if what == "median" else "average"
    members = stats.members(num.source)
    coverage = num.n / members if members else None
    if not covers_typical_member(num.n, members):  # most members have no such figure
        word = f"{word} of the {percent(coverage or 0.0)} of members with a value"
    return Fact(
        label=label,
        value=value,
        coverage=coverage,
        text=f"{label}: {value} ({word}; {fmt(overall)} overall)",
        evidence=[number_evidence(num, what)],
    )


def _gender_word(level: str) -> str:
    v = level.strip().lower()
    return {"female": "women", "male": "men", "f": "women", "m": "men"}.get(v, humanise(level))


def demographics(stats: SegmentStats) -> list[Fact]:
    out = [
        category_fact(stats, "gender", "Gender", _gender_word),
        number_fact(stats, "age", "Age", lambda x: f"{x:.0f}"),
        category_fact(stats, "age_band", "Age band", band_text),
        category_fact(stats, "country", "Country", lambda v: v),
        category_fact(stats, "survey_household", "Household", humanise),
        category_fact(stats, "household", "Household", humanise),
        category_fact(stats, "marital_status", "Marital status", humanise),
        category_fact(stats, "income_band", "Income", band_text),
        category_fact(stats, "education", "Education", humanise),
    ]
    return [f for f in out if f is not None]


def firmographics(stats: SegmentStats) -> list[Fact]:
    out = [
        category_fact(stats, "account_industry", "Industry", lambda v: v),
        category_fact(
            stats, "account_employee_band", "Company size", lambda v: f"{band_text(v)} employees"
        ),
        category_fact(stats, "account_revenue_band", "Annual revenue", band_text),
        category_fact(stats, "account_plan", "Plan", humanise),
        category_fact(stats, "account_country", "Country", lambda v: v),
        category_fact(stats, "job_title", "Typical contact", lambda v: v),
        category_fact(stats, "seniority", "Seniority", humanise),
        category_fact(stats, "buying_committee_role", "Buying role", humanise),
        number_fact(stats, "account_contacts", "Buying committee", lambda x: f"{x:.0f} people"),
    ]
    facts = [f for f in out if f is not None]
    power = decision_power(stats)
    if power is not None:
        facts.append(power)
    return facts


def decision_power(stats: SegmentStats) -> Fact | None:
    """Share of the accounts' people who decide (buying role decision maker / exec / VP)."""
    cat = stats.categories.get("buying_committee_role")
    if cat is None:
        return None
    lv = next((x for x in cat.levels if "decision" in x.level.lower()), None)
    if lv is None:
        return None
    level = "high" if lv.share >= 0.5 else "shared" if lv.share >= 0.25 else "low"
    return Fact(
        label="Decision power",
        value=level,
        share=lv.share,
        text=f"Decision power: {level} — {percent(lv.share)} of their contacts are decision "
        f"makers{_vs(lv)}",
        evidence=[level_evidence(cat, lv)],
    )


def psychographics(stats: SegmentStats) -> list[Fact]:
    out: list[Fact | None] = [category_fact(stats, "interest_1", "Top interest", humanise)]
    for attribute in sorted(stats.categories):
        if not attribute.startswith("survey_") or attribute in (
            "survey_household",
            "survey_hear_about",
        ):
            continue
        question = humanise(attribute.removeprefix("survey_")).capitalize()
        out.append(category_fact(stats, attribute, question, lambda v: v))
    out.append(category_fact(stats, "loyalty_tier", "Loyalty tier", humanise))
    return [f for f in out if f is not None]


def _frequency(days: float) -> str:
    return f"every {duration(days)}"


def discount_sensitivity(stats: SegmentStats) -> Fact | None:
    num = stats.numbers.get("discount_share")
    if num is None or num.n == 0:
        return None
    ratio = num.mean / num.overall_mean if num.overall_mean > 0 else 1.0
    level = "high" if ratio >= 1.5 else "low" if ratio <= 0.67 else "average"
    return Fact(
        label="Discount sensitivity",
        value=level,
        share=num.mean,
        text=f"Discount sensitivity: {level} — {percent(num.mean)} of their orders use a "
        f"discount (average {percent(num.overall_mean)})",
        evidence=[number_evidence(num, "mean")],
    )


def buying_behaviour(stats: SegmentStats, currency: str) -> list[Fact]:
    out = [
        number_fact(stats, "days_between_orders", "Purchase frequency", _frequency),
        number_fact(stats, "orders", "Orders so far", lambda x: f"{x:.0f}"),
        number_fact(stats, "avg_order_value", "Order value", lambda x: money(x, currency)),
        category_fact(stats, "top_category_1", "Buys most", humanise),
        category_fact(stats, "preferred_channel", "Channel", channel_phrase),
        category_fact(stats, "preferred_order_daypart", "Time of day", daypart_phrase),
        category_fact(stats, "preferred_order_weekday", "Day of week", weekday_phrase),
        discount_sensitivity(stats),
        category_fact(stats, "top_device", "Device", humanise),
        number_fact(stats, "return_rate", "Returns", percent, what="mean"),
    ]
    return [f for f in out if f is not None]


def communication_channels(stats: SegmentStats) -> list[Fact]:
    out = [
        category_fact(stats, "acquisition_channel", "Came through", humanise),
        category_fact(stats, "survey_hear_about", "Heard about us via", lambda v: v),
        number_fact(stats, "email_open_rate", "Email opens", percent, what="mean"),
        number_fact(stats, "email_click_rate", "Email clicks", percent, what="mean"),
        category_fact(stats, "preferred_daypart", "Best time to reach", daypart_phrase),
        category_fact(stats, "top_device", "Reads on", humanise),
    ]
    return [f for f in out if f is not None]


def claim(text: str, *evidence: Evidence) -> Claim:
    return Claim(text=text, evidence=list(evidence))
