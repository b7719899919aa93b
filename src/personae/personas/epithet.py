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

The rules are plain data (``epithets.toml``): marketers can read them, and a workspace adds
its own words in ``[personas.epithets]`` (:func:`user_rules`). A trait no rule names still
speaks, in the data's own vocabulary: its level humanised ("Sourdough Buyer", "Phone-order
Customer") or a plain number word ("Big-basket"), ranked after every rule word; so the
cohort is the noun only where no trait gives one. :func:`make_distinct` keeps the titles of
one workspace apart by giving the weaker of two equal titles its next-best words.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

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
    persons_only: bool = False  # a B2B sign among persons, meaningless for account personas


def _load() -> dict:
    """The word rules, tuning and vocabulary from ``epithets.toml`` (read once, at import)."""
    text = resources.files("personae.personas").joinpath("epithets.toml").read_text("utf-8")
    return tomllib.loads(text)


_DATA = _load()
# Order matters only for equal strength. Levels are matched case-insensitively.
RULES: tuple[Rule, ...] = tuple(
    Rule(
        r["attribute"],
        r["level"],
        r.get("modifier"),
        r.get("noun"),
        int(r.get("tier", 3)),
        bool(r.get("persons_only", False)),
    )
    for r in _DATA["rule"]
)
TIER_BONUS = {int(k): float(v) for k, v in _DATA["tuning"]["tier_bonus"].items()}
NEGATIVE_MODIFIERS = tuple(_DATA["tuning"]["negative_modifiers"])
BEHAVIOUR_NOUN = float(_DATA["tuning"]["behaviour_noun"])
COHORTS = tuple((int(y), str(n)) for y, n in _DATA["tuning"]["cohorts"])
OLDEST_COHORT = str(_DATA["tuning"]["oldest_cohort"])
_VOCAB = _DATA["vocabulary"]
MAX_LEVEL_WORDS = int(_VOCAB["max_words"])
CATEGORY_WORDS = tuple(
    (c["attribute"], c.get("modifier"), c.get("noun")) for c in _VOCAB["category"]
)
NUMBER_WORDS: dict[str, str] = dict(_VOCAB["numbers"])
GENERIC_NOUN = "Customer"
# a workspace's own words come before every built-in word of the same kind
USER_BONUS = 100.0


def user_rules(words: dict[str, object]) -> tuple[Rule, ...]:
    """Rules from ``[personas.epithets]``: ``"attribute=level" = "Noun"`` (the level a
    case-insensitive regular expression, the attribute one too) or ``"attribute+"`` /
    ``"attribute-"`` for a number; the value a noun, or ``{ modifier = ..., noun = ... }``.
    A user's noun ranks with life stage (tier 1) and comes before the built-in rules."""
    out: list[Rule] = []
    for key, value in words.items():
        if "=" in key:
            attribute, level = (x.strip() for x in key.split("=", 1))
        elif key.endswith(("+", "-")):
            attribute, level = key[:-1].strip(), key[-1]
        else:
            raise ValueError(
                f"[personas.epithets] key {key!r}: write 'attribute=level' or 'attribute+' / "
                "'attribute-'"
            )
        if isinstance(value, str):
            out.append(Rule(attribute, level, noun=value, tier=1))
        else:
            got = dict(value) if isinstance(value, dict) else value.model_dump()  # type: ignore[union-attr]
            tier = int(got.get("tier") or 1)
            out.append(Rule(attribute, level, got.get("modifier"), got.get("noun"), tier))
    return tuple(out)


def humanise(level: str) -> str:
    """A level as title words: the last part of a page path, dashes and underscores as
    spaces, each word capitalised ("/products/sourdough-loaf" -> "Sourdough Loaf")."""
    text = level.strip().rstrip("/")
    if "/" in text:
        text = text.rsplit("/", 1)[-1]
    text = re.sub(r"[-_]+", " ", text).strip()
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def cohort(birth_year: int) -> str:
    for start, name in COHORTS:
        if birth_year >= start:
            return name
    return OLDEST_COHORT


def _fallback(sig: Signal) -> tuple[str | None, str | None]:
    """Modifier and noun from the data's own vocabulary for a trait no rule matched."""
    if sig.level is None:
        word = NUMBER_WORDS.get(sig.attribute + ("+" if sig.direction > 0 else "-"))
        return word, None
    words = humanise(sig.level)
    if not words or len(words.split()) > MAX_LEVEL_WORDS or re.fullmatch(r"[\d.,%\s]+", words):
        return None, None
    for attribute, modifier, noun in CATEGORY_WORDS:
        if re.search(attribute, sig.attribute):

            def fill(t: str | None) -> str | None:
                if t is None:
                    return None
                out = t.replace("{level}", words)
                # "Phone-order": a one-word level joins its suffix; later words keep case
                return out[:1].upper() + out[1:]

            return fill(modifier), fill(noun)
    return None, None


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
    # next-best distinct titles, best first, for :func:`make_distinct`
    alternatives: tuple[tuple[str, tuple[Signal, ...]], ...] = ()
    strength: float = 0.0


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
    extra: tuple[Rule, ...] = (),
) -> Epithet:
    """``[modifier] noun`` from the strongest matching traits (see the module doc).

    ``extra`` are the workspace's own rules (:func:`user_rules`), tried before the built-in
    ones. A trait no rule matches offers words from the data's own vocabulary
    (:func:`_fallback`); those rank after every rule word, so they name a segment only where
    the rules have nothing, and a cohort word only where no trait gives a word at all."""
    rules = tuple(r for r in (*extra, *RULES) if not (b2b and r.persons_only))
    nouns: list[tuple[int, float, str, Signal]] = []
    modifiers: list[tuple[float, str, Signal]] = []
    spare_nouns: list[tuple[float, str, Signal]] = []
    spare_mods: list[tuple[float, str, Signal]] = []
    for order, sig in enumerate(found):
        matched = False
        for rule in rules:
            if not _matches(rule, sig):
                continue
            matched = True
            bonus = USER_BONUS if rule in extra else 0.0
            if rule.noun and (rule.tier > 0 or negative):
                noun = rule.noun.replace("{parent}", _parent(female_share))
                strength = sig.strength + TIER_BONUS.get(rule.tier, 0) + bonus
                nouns.append((rule.tier, -strength, noun, sig))
            if rule.modifier and (rule.tier > 0 or negative or rule.noun is None):
                modifiers.append((sig.strength + bonus - order * 1e-9, rule.modifier, sig))
        if not matched:
            mod, noun = _fallback(sig)
            if mod:
                spare_mods.append((sig.strength - order * 1e-9, mod, sig))
            if noun and not negative:
                spare_nouns.append((sig.strength - order * 1e-9, noun, sig))
    nouns.sort(key=lambda x: (x[0] != 0, x[1]))
    modifiers.sort(key=lambda x: -x[0])
    spare_mods.sort(key=lambda x: -x[0])
    spare_nouns.sort(key=lambda x: -x[0])
    # A behavioural noun must be about as strong as the strongest modifier: a weak "3-4
    # times a week" must not turn an eco-conscious segment into "Fitness Enthusiasts".
    if nouns and nouns[0][0] == 2 and modifiers and -nouns[0][1] < BEHAVIOUR_NOUN * modifiers[0][0]:
        nouns = [n for n in nouns if n[0] != 2]
    # A negative persona is named by its problem alone ("Serial Returner"); only a risk
    # modifier may qualify it ("At-risk Support Drain"), never a habit ("Busy").
    allowed = [m for m in modifiers if not negative or m[1] in NEGATIVE_MODIFIERS]
    if not negative:
        allowed += spare_mods
    default = "Team" if b2b else None
    if default is None:
        default = GENERIC_NOUN if birth_year is None else cohort(birth_year)
    noun_options: list[tuple[str, Signal | None]] = [(n[2], n[3]) for n in nouns]
    noun_options += [(n[1], n[2]) for n in spare_nouns]
    noun_options.append((default, None))

    def title(noun: str, nsig: Signal | None, first: bool) -> tuple[str, list[Signal]]:
        used = [nsig] if nsig is not None else []
        mod = next(
            (m for m in allowed if m[1].lower() not in noun.lower() and m[2] not in used), None
        )
        # A behavioural noun that brought its own modifier ("Fitness" + "Enthusiast") keeps it
        # and so does a workspace's own noun with its modifier ("Wholesale Cafe Owner")
        if first and nouns and mod is not None:
            own = [
                r.modifier
                for r in rules
                if r.noun == nouns[0][2]
                and r.modifier
                and (nouns[0][0] == 2 or r in extra)
                and _matches(r, nouns[0][3])
            ]
            if own:
                mod = (0.0, own[0], nouns[0][3])
        if mod is None:
            return noun, used
        if mod[2] not in used:
            used.append(mod[2])
        return f"{mod[1]} {noun}", used

    text, used = title(*noun_options[0], first=bool(nouns))
    # next-best titles: another modifier with the same noun, then the next nouns
    options: list[tuple[str, tuple[Signal, ...]]] = []
    seen = {text.lower()}
    for noun, nsig in noun_options:
        base = [nsig] if nsig is not None else []
        for m in [None, *allowed]:
            if m is not None and (m[1].lower() in noun.lower() or m[2] in base):
                continue
            alt = noun if m is None else f"{m[1]} {noun}"
            if alt.lower() in seen:
                continue
            seen.add(alt.lower())
            options.append((alt, tuple(base + ([m[2]] if m is not None else []))))
    strength = sum(s.strength for s in used)
    return Epithet(text, used, tuple(options), strength)


def make_distinct(epithets: list[Epithet]) -> list[Epithet]:
    """The same epithets, made distinct within one workspace: when two would read the
    same, the weaker one (less strength behind its words) takes its next-best title that no
    other persona has. Never a number suffix: a segment with no distinct alternative keeps
    its title."""
    out = list(epithets)
    order = sorted(range(len(out)), key=lambda i: -out[i].strength)
    taken: set[str] = set()
    for i in order:
        e = out[i]
        if e.text.lower() in taken:
            alt = next((a for a in e.alternatives if a[0].lower() not in taken), None)
            if alt is not None:
                e = Epithet(alt[0], list(alt[1]), e.alternatives, e.strength)
                out[i] = e
        taken.add(e.text.lower())
    return out
