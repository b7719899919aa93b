"""The persona's epithet ("Busy Professional Mom", "Eco-conscious Millennial") from its traits.

An epithet is ``[modifier] noun``. Both come from the segment's *distinguishing* traits:
category levels clearly over-represented in the segment (share ≥ 20% and lift ≥ 1.3) and
numbers clearly off the average (|standardised difference| ≥ 0.3). Each trait is matched
against the word rules below; a matching trait offers a noun, a modifier, or both, with a
strength (share × log lift for categories, |d| / 2 for numbers). The strongest noun wins,
then the strongest modifier that is not the same idea.

Nouns come in tiers: a negative segment's problem ("Serial Returner") always wins; life
stage ("Mom", "Retiree") and the B2B company type ("Enterprise Buyer") get a small bonus
over behavioural nouns ("Enthusiast", "Gift Shopper"); the birth cohort ("Millennial") is
the fallback, then "Customer".

The rules are plain data: marketers can read them, and a workspace with other categories
still gets an epithet from the cohort and its strongest other trait.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from personae.personas.facts import SegmentStats
from personae.personas.schema import Evidence
from personae.personas.sections import share_evidence
from personae.personas.wording import covers_typical_member

MIN_SHARE = 0.2
MIN_LIFT = 1.3
MIN_STD_DIFF = 0.3


@dataclass(frozen=True)
class Signal:
    """One distinguishing trait: a category level or a number's direction."""

    attribute: str
    level: str | None  # None for numbers
    direction: int  # +1 above average, -1 below (numbers); +1 for categories
    share: float | None
    overall: float | None
    std_diff: float | None
    n: int
    source: str
    strength: float

    def evidence(self) -> Evidence:
        if self.level is not None and self.share is not None:
            return share_evidence(
                self.source, self.attribute, self.level, self.share, self.overall, self.n,
                "share of members with a known value",
            )  # fmt: skip
        return Evidence(
            kind="statistic",
            source=self.source,
            attribute=self.attribute,
            std_diff=self.std_diff,
            n=self.n,
            note="standardised difference of the mean from everyone segmented",
        )


@dataclass(frozen=True)
class Rule:
    """Words a trait offers. ``attribute`` and ``level`` are regular expressions; for numbers
    ``level`` is "+" (above average) or "-" (below)."""

    attribute: str
    level: str
    modifier: str | None = None
    noun: str | None = None
    tier: int = 3  # noun tier: 0 negative problem, 1 life stage / company type, 2 behaviour


# Order matters only for equal strength. Levels are matched case-insensitively.
RULES: tuple[Rule, ...] = (
    # negative problems (used for negative personas only)
    Rule(r"return_rate", "+", noun="Serial Returner", tier=0),
    Rule(r"discount_share", "+", noun="Discount Hunter", tier=0),
    Rule(r"survey_hear_about", r"coupon|deal", noun="Discount Hunter", tier=0),
    Rule(r"(support_tickets|tickets_90d)", "+", noun="Support Drain", tier=0),
    Rule(r"seat_utilisation", "-", modifier="At-risk", noun="Support Drain", tier=0),
    Rule(r"churn_risk", "+", modifier="At-risk"),
    # life stage
    Rule(r"household", r"young children|(?<!no )kids|toddler|baby|teen", noun="{parent}", tier=1),
    Rule(r"household", r"retired|empty nest", noun="Retiree", tier=1),
    Rule(r"age_band", r"^(65|70|75)", noun="Retiree", tier=1),
    Rule(r"occupation|job_title", r"student", noun="Student", tier=1),
    # B2B company type
    Rule(r"account_employee_band", r"^(1000|5000|10000)", noun="Enterprise Buyer", tier=1),
    Rule(r"account_plan", r"enterprise", noun="Enterprise Buyer", tier=1),
    Rule(
        r"account_employee_band",
        r"^(1|2)\s*[-–]\s*9$|^1-9|^1–9",
        noun="Small Business Owner",
        tier=1,
    ),
    Rule(r"account_industry", r"marketing|advertis|agency", modifier="Marketing Agency"),
    Rule(r"account_industry", r"software|fintech|saas|tech", noun="Startup Team", tier=2),
    Rule(r"account_employee_band", r"^(250|200|500)", noun="Mid-Market Team", tier=1),
    Rule(r"survey_hours_week", r"more than 20|11-20|20\+", noun="Power User", tier=2),
    Rule(r"survey_use_case", r"data|analy", modifier="Analytics-driven"),
    Rule(r"survey_use_case", r"compliance|audit", modifier="Compliance-minded"),
    Rule(r"survey_use_case", r"workflow|automation", modifier="Scaling"),
    Rule(r"survey_use_case", r"client report", modifier="Client-reporting"),
    Rule(r"survey_use_case", r"project", modifier="Hands-on"),
    # what moves them
    Rule(
        r"survey_|interest|top_category",
        r"sustainab|eco\b|eco[-_ ]|green|organic|packaging|recycl",
        modifier="Eco-conscious",
    ),
    Rule(
        r"survey_|interest|top_category",
        r"performance|fitness|sport|athlet|gym|training|"
        r"\d\+ times a week|3-4 times",
        modifier="Fitness",
        noun="Enthusiast",
        tier=2,
    ),
    Rule(r"survey_|interest|top_category", r"gift|present", noun="Gift Shopper", tier=2),
    Rule(r"days_between_orders", "+", modifier="Seasonal"),
    Rule(r"days_between_orders", "-", modifier="Frequent"),
    Rule(r"survey_matters_most", r"price|value for money", modifier="Budget-minded"),
    Rule(r"survey_matters_most", r"expert|advice", modifier="Mindful"),
    Rule(r"survey_matters_most", r"quality|purity|ingredient", modifier="Quality-first"),
    Rule(r"survey_matters_most", r"safe for my family|family", modifier="Busy Professional"),
    Rule(r"survey_matters_most", r"convenien", modifier="Time-pressed"),
    Rule(r"preferred_order_daypart|preferred_daypart", r"evening|night", modifier="Busy"),
    Rule(r"preferred_channel", r"store", modifier="In-store"),
    Rule(r"preferred_channel", r"sales", modifier="Sales-led"),
    Rule(r"email_open_rate", "+", modifier="Newsletter-loyal"),
)

# Who someone is outweighs what they do, but only by this much strength: a strong behaviour
# ("gift sets", 1.3) beats a weak life stage ("family with teenagers", 0.4).
TIER_BONUS = {1: 0.3}
NEGATIVE_MODIFIERS = ("At-risk",)
BEHAVIOUR_NOUN = 0.6

# Birth cohorts (Pew Research Center's generation boundaries).
COHORTS = ((1997, "Gen Z"), (1981, "Millennial"), (1965, "Gen Xer"), (1946, "Boomer"))


def cohort(birth_year: int) -> str:
    for start, name in COHORTS:
        if birth_year >= start:
            return name
    return "Silent Generation"


def signals(stats: SegmentStats) -> list[Signal]:
    """The segment's distinguishing traits, strongest first."""
    out: list[Signal] = []
    for attribute, cat in stats.categories.items():
        for lv in cat.levels:
            if lv.share >= MIN_SHARE and lv.overall > 0 and lv.share / lv.overall >= MIN_LIFT:
                strength = lv.share * math.log(lv.share / lv.overall)
                out.append(
                    Signal(
                        attribute,
                        lv.level,
                        1,
                        lv.share,
                        lv.overall,
                        None,
                        cat.known,
                        cat.source,
                        strength,
                    )
                )
    for attribute, num in stats.numbers.items():
        d = num.std_diff
        # a number most members lack (a purchase interval when most bought once) does not
        # describe the segment: "Frequent" for lapsed one-time buyers would be false
        if abs(d) >= MIN_STD_DIFF and covers_typical_member(num.n, stats.members(num.source)):
            out.append(
                Signal(
                    attribute,
                    None,
                    1 if d > 0 else -1,
                    None,
                    None,
                    d,
                    num.n,
                    num.source,
                    abs(d) / 2,
                )
            )
    return sorted(out, key=lambda s: (-s.strength, s.attribute, s.level or ""))


def _matches(rule: Rule, signal: Signal) -> bool:
    if not re.search(rule.attribute, signal.attribute):
        return False
    if signal.level is None:
        return rule.level == ("+" if signal.direction > 0 else "-")
    if rule.level in ("+", "-"):
        return False
    return re.search(rule.level, signal.level.replace("_", " "), re.IGNORECASE) is not None


@dataclass(frozen=True)
class Epithet:
    text: str
    used: list[Signal]


def _parent(female_share: float | None) -> str:
    if female_share is not None and female_share >= 0.7:
        return "Mom"
    if female_share is not None and female_share <= 0.3:
        return "Dad"
    return "Parent"


def choose_epithet(
    found: list[Signal],
    *,
    negative: bool,
    birth_year: int | None,
    female_share: float | None,
    b2b: bool = False,
) -> Epithet:
    """``[modifier] noun`` from the strongest matching traits (see the module doc)."""
    nouns: list[tuple[int, float, str, Signal]] = []
    modifiers: list[tuple[float, str, Signal]] = []
    for order, sig in enumerate(found):
        for rule in RULES:
            if not _matches(rule, sig):
                continue
            if rule.noun and (rule.tier > 0 or negative):
                noun = rule.noun.replace("{parent}", _parent(female_share))
                nouns.append((rule.tier, -(sig.strength + TIER_BONUS.get(rule.tier, 0)), noun, sig))
            if rule.modifier and (rule.tier > 0 or negative or rule.noun is None):
                modifiers.append((sig.strength - order * 1e-9, rule.modifier, sig))
    nouns.sort(key=lambda x: (x[0] != 0, x[1]))
    modifiers.sort(key=lambda x: -x[0])
    # A behavioural noun must be about as strong as the strongest modifier: a weak "3-4
    # times a week" must not turn an eco-conscious segment into "Fitness Enthusiasts".
    if nouns and nouns[0][0] == 2 and modifiers and -nouns[0][1] < BEHAVIOUR_NOUN * modifiers[0][0]:
        nouns = [n for n in nouns if n[0] != 2]
    used: list[Signal] = []
    if nouns:
        noun, sig = nouns[0][2], nouns[0][3]
        used.append(sig)
    elif b2b:
        noun = "Team"
    elif birth_year is not None:
        noun = cohort(birth_year)
    else:
        noun = "Customer"
    # A negative persona is named by its problem alone ("Serial Returner"); only a risk
    # modifier may qualify it ("At-risk Support Drain"), never a habit ("Busy").
    allowed = [m for m in modifiers if not negative or m[1] in NEGATIVE_MODIFIERS]
    modifier = next(
        (m for m in allowed if m[1].lower() not in noun.lower() and m[2] not in used), None
    )
    # A behavioural noun that brought its own modifier ("Fitness" + "Enthusiast") keeps it.
    if nouns and modifier is not None:
        own = [
            r.modifier
            for r in RULES
            if r.noun == nouns[0][2] and r.modifier and _matches(r, nouns[0][3])
        ]
        if own and nouns[0][0] == 2:
            modifier = (0.0, own[0], nouns[0][3])
    if modifier is None:
        return Epithet(noun, used)
    if modifier[2] not in used:
        used.append(modifier[2])
    return Epithet(f"{modifier[1]} {noun}", used)
