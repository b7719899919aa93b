"""Titles for any domain (issue 22 item 2): a third business with its own vocabulary.

A bakery, invented here (not the demo generator): a trade segment ordering in bulk by phone
on invoice, early-morning app buyers of sourdough, seasonal celebration-cake gift buyers and
a plain segment. Each segment's figures are real :class:`SegmentStats` built from the
planted shares, so ``signals`` and ``choose_epithet`` run unchanged on them.
"""

from __future__ import annotations

import tomllib

import pytest

from personae.config import PersonaSettings
from personae.personas import epithet as ep
from personae.personas.facts import CategoryStat, LevelShare, NumberStat, SegmentStats

COHORT_WORDS = {"gen z", "millennial", "gen xer", "boomer", "silent generation"}


def cat(attribute: str, shares: dict[str, tuple[float, float]], known: int = 200) -> CategoryStat:
    """A category: level -> (share in the segment, share among everyone)."""
    levels = [LevelShare(lv, round(s * known), s, o) for lv, (s, o) in shares.items()]
    return CategoryStat(attribute, "profiles", known, levels)


def num(attribute: str, mean: float, overall_mean: float, sd: float, n: int = 200) -> NumberStat:
    return NumberStat(attribute, "profiles", n, mean, mean, overall_mean, overall_mean, sd)


def bakery() -> dict[str, SegmentStats]:
    """Four planted bakery segments (200 members each)."""
    trade = SegmentStats(1, 200, 0)
    trade.categories = {
        "preferred_channel": cat("preferred_channel", {"phone": (0.8, 0.2), "app": (0.2, 0.5)}),
        "payment_method": cat("payment_method", {"invoice": (0.85, 0.2), "card": (0.15, 0.8)}),
        "top_category_1": cat("top_category_1", {"sourdough": (0.5, 0.4)}),
    }
    trade.numbers = {
        "item_count": num("item_count", 40, 6, 10),
        "avg_order_value": num("avg_order_value", 310, 22, 60),
        "age": num("age", 41, 40, 12),
    }
    morning = SegmentStats(2, 200, 0)
    morning.categories = {
        "preferred_channel": cat("preferred_channel", {"app": (0.9, 0.5)}),
        "preferred_order_daypart": cat(
            "preferred_order_daypart", {"early morning": (0.8, 0.25), "evening": (0.1, 0.3)}
        ),
        "top_category_1": cat("top_category_1", {"sourdough": (0.75, 0.4)}),
    }
    morning.numbers = {"orders": num("orders", 14, 5, 4), "age": num("age", 33, 40, 12)}
    gifts = SegmentStats(3, 200, 0)
    gifts.categories = {
        "top_category_1": cat(
            "top_category_1", {"celebration cakes": (0.7, 0.2), "sourdough": (0.2, 0.4)}
        ),
        "interest_1": cat("interest_1", {"/occasions/christmas": (0.5, 0.15)}),
    }
    gifts.numbers = {
        "days_between_orders": num("days_between_orders", 120, 30, 40),
        "avg_order_value": num("avg_order_value", 60, 22, 60),
        "age": num("age", 52, 40, 12),
    }
    plain = SegmentStats(4, 200, 0)
    plain.categories = {"top_category_1": cat("top_category_1", {"sourdough": (0.42, 0.4)})}
    plain.numbers = {"age": num("age", 30, 40, 12)}
    return {"trade": trade, "morning": morning, "gifts": gifts, "plain": plain}


PLANTED = {
    "trade": ("trade", "business", "bulk", "invoice", "phone"),
    "morning": ("sourdough", "app", "morning", "loyal"),
    "gifts": ("celebration", "cake", "gift", "christmas", "seasonal"),
}


def titles(stats: dict[str, SegmentStats], extra=()) -> dict[str, str]:
    found = {
        k: ep.choose_epithet(
            ep.signals(s),
            negative=False,
            birth_year=2026 - round(s.numbers["age"].mean),
            female_share=None,
            extra=extra,
        )
        for k, s in stats.items()
    }
    distinct = ep.make_distinct(list(found.values()))
    return {k: e.text for k, e in zip(found, distinct, strict=True)}


def test_each_bakery_title_names_its_planted_concept():
    got = titles(bakery())
    for key, words in PLANTED.items():
        title = got[key].lower()
        assert any(w in title for w in words), (key, got[key])
        assert title not in COHORT_WORDS, (key, got[key])
        # a planted behaviour exists: the noun is not a cohort
        assert not any(title.endswith(c) for c in COHORT_WORDS), (key, got[key])
    # the trade segment is a B2B buyer, not a life stage
    assert got["trade"].endswith(("Trade Buyer", "Business Buyer")), got["trade"]
    # nothing distinguishes the plain segment: its cohort is the honest title
    assert got["plain"] == ep.cohort(2026 - 30)


def test_seasonal_needs_a_seasonal_signal():
    stats = bakery()["gifts"]
    assert "Seasonal" in titles({"gifts": stats})["gifts"]
    # the same long interval without the Christmas page is not seasonal
    stats.categories.pop("interest_1")
    alone = SegmentStats(
        3, 200, 0, {}, {"days_between_orders": stats.numbers["days_between_orders"]}
    )
    alone.numbers["age"] = stats.numbers["age"]
    text = titles({"gifts": alone})["gifts"]
    assert "Seasonal" not in text, text


def test_big_spenders_get_their_order_value_not_seasonal():
    s = SegmentStats(5, 200, 0)
    s.numbers = {
        "avg_order_value": num("avg_order_value", 14 * 22, 22, 40),
        "days_between_orders": num("days_between_orders", 56, 30, 40),
        "age": num("age", 45, 40, 12),
    }
    text = titles({"big": s})["big"]
    assert text.startswith("Big-basket"), text
    assert "Seasonal" not in text


def test_level_words_are_humanised():
    assert ep.humanise("/occasions/christmas-gifts") == "Christmas Gifts"
    assert ep.humanise("celebration_cakes") == "Celebration Cakes"
    s = SegmentStats(6, 200, 0)
    s.categories = {"preferred_channel": cat("preferred_channel", {"phone": (0.8, 0.2)})}
    e = ep.choose_epithet(ep.signals(s), negative=False, birth_year=1990, female_share=None)
    assert e.text == "Phone-order Customer"
    assert [sig.level for sig in e.used] == ["phone"]


def test_titles_within_a_workspace_are_distinct():
    stats = bakery()
    # two at-risk segments of one workspace, one more at risk than the other
    for key, d in (("a", 1.6), ("b", 0.8)):
        s = SegmentStats(10 + len(key), 200, 0)
        s.numbers = {
            "churn_risk": num("churn_risk", 0.2 + d * 0.1, 0.2, 0.1),
            "recency_days": num("recency_days", 200 + d * 50, 90, 60),
            "age": num("age", 40, 40, 12),
        }
        s.categories = {"top_category_1": cat("top_category_1", {"rye": (0.5, 0.3)})}
        stats[key] = s
    got = titles(stats)
    assert len(set(got.values())) == len(got), got
    assert not any(any(ch.isdigit() for ch in t) for t in got.values()), got
    # the stronger at-risk segment keeps the best title; the weaker one moved
    single = ep.choose_epithet(
        ep.signals(stats["a"]), negative=False, birth_year=1986, female_share=None
    )
    assert got["a"] == single.text


def test_workspace_words_override_the_built_in_ones():
    text = """
    [epithets]
    "top_category=sourdough" = "Sourdough Regular"
    "item_count+" = { modifier = "Wholesale", noun = "Cafe Owner" }
    """
    settings = PersonaSettings(**tomllib.loads(text))
    extra = ep.user_rules(settings.epithets)
    got = titles(bakery(), extra=extra)
    assert got["morning"].endswith("Sourdough Regular"), got
    assert got["trade"].endswith("Cafe Owner") and "Wholesale" in got["trade"], got
    with pytest.raises(ValueError, match="attribute=level"):
        PersonaSettings(epithets={"sourdough": "Regular"})


def test_demo_rules_still_come_from_the_data_file():
    assert any(r.noun == "Serial Returner" and r.tier == 0 for r in ep.RULES)
    assert ep.cohort(1990) == "Millennial" and ep.cohort(1930) == "Silent Generation"


def test_the_written_default_config_documents_and_reads_epithets(tmp_path):
    from personae.config import default_toml, load_config

    text = default_toml("bakery")
    assert "[personas.epithets]" in text
    path = tmp_path / "personae.toml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path).personas.epithets == {}
    on = text.replace(
        '# "top_category=sourdough" = "Sourdough Regular"',
        '"top_category=sourdough" = "Sourdough Regular"',
    )
    path.write_text(on, encoding="utf-8")
    words = load_config(path).personas.epithets
    got = titles(bakery(), extra=ep.user_rules(words))
    assert got["morning"].endswith("Sourdough Regular"), got


def test_person_b2b_signs_do_not_name_account_personas():
    s = SegmentStats(7, 200, 40)
    s.categories = {"job_title": cat("job_title", {"head chef": (0.6, 0.2)})}
    person = ep.choose_epithet(ep.signals(s), negative=False, birth_year=None, female_share=None)
    assert person.text.endswith("Business Buyer"), person.text
    account = ep.choose_epithet(
        ep.signals(s), negative=False, birth_year=None, female_share=None, b2b=True
    )
    assert "Business Buyer" not in account.text, account.text
