"""The planted personas: every behavioural knob that makes one archetype differ from another.

An archetype is pure data. The generators read these numbers; ``archetypes.json`` in the
truth directory is written from the same objects, so the tests (and later the persona
evaluation) compare against exactly what was planted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from personae.demo.catalog import (
    CITY_TAGS,
    INDUSTRIES,
    RETAIL_CAMPAIGNS,
    RETAIL_CATEGORIES,
    RETAIL_CONTENT,
    ROLES,
    SAAS_CAMPAIGNS,
    SAAS_CONTENT,
    SAAS_FEATURES,
    SAAS_PLANS,
)
from personae.demo.common import weights


def hours(peaks: dict[int, float], base: float = 0.15) -> list[float]:
    """A 24-hour profile: a low floor during waking hours plus the archetype's peaks."""
    w = [0.02 if h < 6 else base for h in range(24)]
    for h, v in peaks.items():
        w[h] += v
    return w


@dataclass(frozen=True)
class Question:
    """A structured survey question with its answer options."""

    qid: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Archetype:
    """One planted persona (a person type in retail, an account type in SaaS)."""

    key: str
    label: str
    description: str
    negative: bool
    share: float
    # who
    female: float = 0.5
    age: tuple[int, int] = (25, 60)
    uk_share: float = 0.15
    city_tags: dict[str, float] = field(default_factory=dict)
    # what and how often
    categories: dict[str, float] = field(default_factory=dict)
    rhythm: str = "regular"  # regular | seasonal
    gap_days: float = 30.0
    gap_shape: float = 3.0  # gamma shape: higher = more clockwork
    extra_lines: float = 0.5
    extra_qty: float = 0.2
    # where and when
    # online/store/app (SaaS: online/sales)
    channels: dict[str, float] = field(default_factory=dict)
    devices: dict[str, float] = field(default_factory=dict)
    hours: list[float] = field(default_factory=lambda: hours({}))
    weekdays: list[float] = field(default_factory=lambda: [1.0] * 7)
    # engagement
    email_open: float = 0.25
    email_click: float = 0.2  # given open
    unsubscribe: float = 0.01  # per email received
    content: dict[str, float] = field(default_factory=dict)
    utm: dict[str, float] = field(default_factory=dict)
    coupon_rate: float = 0.15
    discount: tuple[float, float] = (0.10, 0.20)
    return_rate: float = 0.04
    cancel_rate: float = 0.02
    browse_sessions: float = 1.2
    # voice
    survey_rate: float = 0.25
    ticket_rate: float = 0.10
    tickets_mean: float = 1.3
    review_rate: float = 0.15
    social_rate: float = 0.05
    handle_rate: float = 0.3
    nps: tuple[float, float] = (8.0, 1.5)
    rating: tuple[float, float] = (4.3, 0.8)
    answers: dict[str, dict[str, float]] = field(default_factory=dict)
    loyalty: dict[str, float] = field(default_factory=dict)
    # SaaS firmographics
    industries: dict[str, float] = field(default_factory=dict)
    employees: tuple[int, int] = (0, 0)
    plans: dict[str, float] = field(default_factory=dict)
    contacts: tuple[int, int] = (1, 1)
    roles: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)
    seat_use: tuple[float, float] = (0.7, 1.0)
    churn: float = 0.05
    annual_billing: float = 0.2

    def traits(self) -> dict:
        """JSON-ready definition for ``truth/archetypes.json``."""
        d = asdict(self)
        d["hours"] = [round(x, 3) for x in self.hours]
        return d


# ------------------------------------------------------------------ retail
RETAIL_QUESTIONS: list[Question] = [
    Question(
        "hear_about",
        "How did you hear about us?",
        (
            "Friend or family",
            "Instagram",
            "Facebook ad",
            "Search engine",
            "Walked past a store",
            "Newspaper or magazine",
            "Blog or podcast",
            "Coupon or deal site",
            "Email",
        ),
    ),
    Question(
        "matters_most",
        "What matters most when you choose a product?",
        (
            "Price",
            "Quality and purity of ingredients",
            "Convenience",
            "Sustainability and packaging",
            "Performance results",
            "Safe for my family",
            "Expert advice",
            "Beautiful presentation",
        ),
    ),
    Question(
        "nps",
        "How likely are you to recommend us to a friend? (0-10)",
        tuple(str(i) for i in range(11)),
    ),
    Question(
        "exercise",
        "How often do you exercise?",
        (
            "Never",
            "Less than once a week",
            "1-2 times a week",
            "3-4 times a week",
            "5+ times a week",
            "Daily walks",
        ),
    ),
    Question(
        "household",
        "Which best describes your household?",
        (
            "Single",
            "Couple, no kids",
            "Family with young children",
            "Family with teenagers",
            "Empty nesters",
            "Retired",
        ),
    ),
]
SAAS_QUESTIONS: list[Question] = [
    Question(
        "hear_about",
        "How did you first hear about us?",
        (
            "Colleague recommendation",
            "Search engine",
            "LinkedIn",
            "Review site (G2, Capterra)",
            "Product Hunt",
            "Sales outreach",
            "Conference or webinar",
            "Partner or agency",
        ),
    ),
    Question(
        "use_case",
        "What is your primary use case?",
        (
            "Project tracking",
            "Client reporting",
            "Executive dashboards",
            "Workflow automation",
            "Data analysis",
            "Compliance and audit",
        ),
    ),
    Question(
        "nps",
        "How likely are you to recommend us to a colleague? (0-10)",
        tuple(str(i) for i in range(11)),
    ),
    Question(
        "hours_week",
        "How many hours per week do you spend in Tallyboard?",
        ("Less than 1", "1-5", "6-10", "11-20", "More than 20"),
    ),
    Question(
        "key_feature",
        "Which capability matters most to your team?",
        (
            "Automations",
            "Integrations",
            "Dashboards",
            "Security and SSO",
            "Mobile app",
            "Price",
            "Reporting exports",
        ),
    ),
]
FREE_TEXT_QUESTIONS = {
    "retail": [
        ("goal", "What are you hoping to achieve with our products?"),
        ("pain_point", "What is the most frustrating part of shopping for wellness products?"),
        ("motivation", "Why did you choose us?"),
        ("objection", "What almost stopped you from buying?"),
    ],
    "saas": [
        ("goal", "What are you trying to accomplish with Tallyboard?"),
        ("pain_point", "What is the biggest obstacle in your team's workflow today?"),
        ("motivation", "Why did your team choose Tallyboard?"),
        ("objection", "What almost stopped you from signing up?"),
    ],
}

_WEEKDAY_EVENINGS = [1.0, 1.0, 1.0, 1.0, 0.6, 0.5, 1.0]
_WORKDAYS = [1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.2]

RETAIL: list[Archetype] = [
    Archetype(
        "busy_parent",
        "Busy Professional Mom",
        "Working mother of young kids buying family wellness and a little self-care on the "
        "app in the evenings, every three to four weeks.",
        negative=False,
        share=0.20,
        female=0.93,
        age=(35, 50),
        uk_share=0.15,
        city_tags={"suburb": 0.7, "metro": 0.25, "green": 0.05},
        categories={
            "kids_family_wellness": 0.38,
            "natural_skincare": 0.17,
            "supplements": 0.15,
            "aromatherapy_home": 0.15,
            "herbal_tea": 0.1,
            "gift_sets": 0.05,
        },
        gap_days=25,
        gap_shape=6.0,
        extra_lines=1.0,
        extra_qty=0.4,
        channels={"app": 0.6, "online": 0.32, "store": 0.08},
        devices={"mobile": 0.78, "tablet": 0.14, "desktop": 0.08},
        hours=hours({20: 1.6, 21: 2.0, 22: 1.2, 13: 0.3}, base=0.08),
        weekdays=_WEEKDAY_EVENINGS,
        email_open=0.34,
        email_click=0.22,
        unsubscribe=0.006,
        content={
            "family-wellness": 0.35,
            "immunity": 0.25,
            "quick-recipes": 0.2,
            "sleep": 0.15,
            "deals": 0.05,
        },
        utm={
            "fb_prospecting": 0.35,
            "weekly_newsletter": 0.25,
            "brand_search": 0.2,
            "retargeting": 0.2,
        },
        coupon_rate=0.2,
        survey_rate=0.28,
        review_rate=0.12,
        social_rate=0.03,
        handle_rate=0.25,
        nps=(8.3, 1.2),
        rating=(4.4, 0.6),
        answers={
            "hear_about": {
                "Friend or family": 0.35,
                "Facebook ad": 0.35,
                "Email": 0.1,
                "Search engine": 0.1,
                "Instagram": 0.1,
            },
            "matters_most": {"Safe for my family": 0.5, "Convenience": 0.35, "Price": 0.15},
            "exercise": {"Less than once a week": 0.45, "1-2 times a week": 0.4, "Never": 0.15},
            "household": {"Family with young children": 0.8, "Family with teenagers": 0.2},
        },
        loyalty={"silver": 0.4, "gold": 0.4, "bronze": 0.2},
    ),
    Archetype(
        "fitness_enthusiast",
        "Fitness Enthusiast",
        "Twenty-something athlete ordering sports nutrition and activewear in frequent small "
        "baskets, early mornings, discovered us on Instagram.",
        negative=False,
        share=0.20,
        female=0.42,
        age=(22, 35),
        uk_share=0.15,
        city_tags={"metro": 0.75, "green": 0.15, "suburb": 0.1},
        categories={
            "sports_nutrition": 0.5,
            "activewear": 0.25,
            "yoga_fitness_gear": 0.15,
            "supplements": 0.1,
        },
        gap_days=15,
        gap_shape=4.0,
        extra_lines=0.15,
        extra_qty=0.1,
        channels={"app": 0.5, "online": 0.42, "store": 0.08},
        devices={"mobile": 0.88, "desktop": 0.1, "tablet": 0.02},
        hours=hours({6: 1.5, 7: 2.0, 8: 1.0, 12: 0.6}, base=0.1),
        weekdays=_WORKDAYS,
        email_open=0.2,
        email_click=0.25,
        unsubscribe=0.012,
        content={"training": 0.4, "protein": 0.3, "recovery": 0.25, "deals": 0.05},
        utm={
            "ig_reels": 0.45,
            "tiktok_creators": 0.25,
            "content_partners": 0.15,
            "generic_search": 0.15,
        },
        coupon_rate=0.12,
        survey_rate=0.2,
        review_rate=0.15,
        social_rate=0.12,
        handle_rate=0.6,
        nps=(8.0, 1.3),
        rating=(4.2, 0.8),
        answers={
            "hear_about": {
                "Instagram": 0.6,
                "Friend or family": 0.15,
                "Blog or podcast": 0.15,
                "Search engine": 0.1,
            },
            "matters_most": {
                "Performance results": 0.6,
                "Quality and purity of ingredients": 0.25,
                "Price": 0.15,
            },
            "exercise": {"5+ times a week": 0.65, "3-4 times a week": 0.35},
            "household": {"Single": 0.6, "Couple, no kids": 0.4},
        },
        loyalty={"gold": 0.35, "platinum": 0.25, "silver": 0.3, "bronze": 0.1},
    ),
    Archetype(
        "mindful_retiree",
        "Mindful Retiree",
        "Retired customer buying supplements and herbal tea in store or on a desktop, reads "
        "every newsletter, values expert advice.",
        negative=False,
        share=0.15,
        female=0.6,
        age=(60, 75),
        uk_share=0.2,
        city_tags={"sunbelt": 0.7, "suburb": 0.2, "green": 0.1},
        categories={
            "supplements": 0.48,
            "herbal_tea": 0.35,
            "aromatherapy_home": 0.1,
            "gift_sets": 0.07,
        },
        gap_days=40,
        gap_shape=5.0,
        extra_lines=0.7,
        extra_qty=0.3,
        channels={"store": 0.65, "online": 0.32, "app": 0.03},
        devices={"desktop": 0.7, "tablet": 0.26, "mobile": 0.04},
        hours=hours({9: 1.5, 10: 2.0, 11: 1.5}, base=0.1),
        weekdays=[0.8, 1.0, 1.2, 1.2, 0.8, 0.4, 0.2],
        email_open=0.56,
        email_click=0.3,
        unsubscribe=0.002,
        content={
            "healthy-aging": 0.45,
            "herbal-remedies": 0.35,
            "sleep": 0.15,
            "mindfulness": 0.05,
        },
        utm={"weekly_newsletter": 0.55, "seo": 0.3, "generic_search_bing": 0.15},
        coupon_rate=0.08,
        survey_rate=0.42,
        review_rate=0.1,
        social_rate=0.005,
        handle_rate=0.05,
        nps=(8.8, 1.0),
        rating=(4.5, 0.5),
        answers={
            "hear_about": {
                "Walked past a store": 0.4,
                "Newspaper or magazine": 0.3,
                "Email": 0.15,
                "Friend or family": 0.15,
            },
            "matters_most": {
                "Expert advice": 0.45,
                "Quality and purity of ingredients": 0.45,
                "Price": 0.1,
            },
            "exercise": {"Daily walks": 0.7, "1-2 times a week": 0.2, "Never": 0.1},
            "household": {"Retired": 0.6, "Empty nesters": 0.4},
        },
        loyalty={"gold": 0.45, "platinum": 0.2, "silver": 0.3, "bronze": 0.05},
    ),
    Archetype(
        "eco_millennial",
        "Eco-conscious Millennial",
        "Values-driven shopper buying sustainable home goods and clean skincare online, writes "
        "reviews and posts about brands on social media.",
        negative=False,
        share=0.15,
        female=0.65,
        age=(25, 38),
        uk_share=0.18,
        city_tags={"green": 0.75, "metro": 0.25},
        categories={
            "sustainable_home": 0.4,
            "natural_skincare": 0.33,
            "herbal_tea": 0.12,
            "aromatherapy_home": 0.1,
            "yoga_fitness_gear": 0.05,
        },
        gap_days=32,
        gap_shape=3.0,
        extra_lines=0.6,
        extra_qty=0.2,
        channels={"online": 0.72, "app": 0.2, "store": 0.08},
        devices={"mobile": 0.55, "desktop": 0.42, "tablet": 0.03},
        hours=hours({19: 1.0, 20: 1.2, 10: 0.8, 11: 0.8}, base=0.15),
        weekdays=[0.6, 0.6, 0.6, 0.6, 0.8, 1.6, 1.6],
        email_open=0.3,
        email_click=0.2,
        unsubscribe=0.008,
        content={"zero-waste": 0.45, "clean-beauty": 0.3, "ethical-sourcing": 0.25},
        utm={"content_partners": 0.35, "seo": 0.3, "ig_reels": 0.2, "weekly_newsletter": 0.15},
        coupon_rate=0.08,
        survey_rate=0.3,
        review_rate=0.38,
        social_rate=0.16,
        handle_rate=0.7,
        nps=(8.2, 1.5),
        rating=(4.1, 1.0),
        answers={
            "hear_about": {
                "Blog or podcast": 0.45,
                "Instagram": 0.25,
                "Friend or family": 0.2,
                "Search engine": 0.1,
            },
            "matters_most": {
                "Sustainability and packaging": 0.7,
                "Quality and purity of ingredients": 0.3,
            },
            "exercise": {
                "3-4 times a week": 0.45,
                "1-2 times a week": 0.4,
                "5+ times a week": 0.15,
            },
            "household": {"Couple, no kids": 0.55, "Single": 0.45},
        },
        loyalty={"silver": 0.5, "bronze": 0.3, "gold": 0.2},
    ),
    Archetype(
        "gift_shopper",
        "Seasonal Gift Shopper",
        "Buys premium gift sets a few times a year around the holidays, Valentine's Day and "
        "Mother's Day; big baskets, little engagement in between.",
        negative=False,
        share=0.10,
        female=0.55,
        age=(30, 62),
        uk_share=0.12,
        city_tags={"metro": 0.5, "suburb": 0.4, "sunbelt": 0.1},
        categories={
            "gift_sets": 0.62,
            "aromatherapy_home": 0.18,
            "natural_skincare": 0.1,
            "herbal_tea": 0.1,
        },
        rhythm="seasonal",
        gap_days=120,
        extra_lines=1.3,
        extra_qty=1.2,
        channels={"online": 0.7, "store": 0.25, "app": 0.05},
        devices={"desktop": 0.6, "mobile": 0.35, "tablet": 0.05},
        hours=hours({12: 1.5, 13: 1.2, 21: 0.6}, base=0.12),
        weekdays=_WORKDAYS,
        email_open=0.17,
        email_click=0.15,
        unsubscribe=0.01,
        content={"gift-guides": 0.7, "deals": 0.2, "mindfulness": 0.1},
        utm={
            "generic_search": 0.4,
            "retargeting": 0.3,
            "dynamic_product_ads": 0.2,
            "brand_search": 0.1,
        },
        coupon_rate=0.1,
        survey_rate=0.18,
        review_rate=0.12,
        social_rate=0.02,
        handle_rate=0.15,
        nps=(7.8, 1.5),
        rating=(4.4, 0.6),
        answers={
            "hear_about": {
                "Search engine": 0.5,
                "Friend or family": 0.3,
                "Walked past a store": 0.2,
            },
            "matters_most": {"Beautiful presentation": 0.65, "Convenience": 0.25, "Price": 0.1},
            "exercise": {
                "1-2 times a week": 0.5,
                "Less than once a week": 0.3,
                "3-4 times a week": 0.2,
            },
            "household": {
                "Couple, no kids": 0.3,
                "Family with teenagers": 0.3,
                "Empty nesters": 0.25,
                "Single": 0.15,
            },
        },
        loyalty={"bronze": 0.5, "silver": 0.35, "gold": 0.15},
    ),
    Archetype(
        "serial_returner",
        "Serial Returner",
        "Orders activewear and skincare in several sizes, sends back nearly half of it and "
        "opens a stream of support tickets; costly to serve.",
        negative=True,
        share=0.10,
        female=0.6,
        age=(24, 45),
        uk_share=0.15,
        city_tags={"metro": 0.6, "suburb": 0.4},
        categories={
            "activewear": 0.55,
            "natural_skincare": 0.2,
            "yoga_fitness_gear": 0.15,
            "gift_sets": 0.1,
        },
        gap_days=24,
        gap_shape=2.0,
        extra_lines=1.6,
        extra_qty=0.6,
        channels={"online": 0.8, "app": 0.17, "store": 0.03},
        devices={"mobile": 0.7, "desktop": 0.25, "tablet": 0.05},
        hours=hours({22: 1.2, 23: 1.0, 0: 0.4, 14: 0.5}, base=0.12),
        email_open=0.2,
        email_click=0.15,
        unsubscribe=0.01,
        content={"returns-policy": 0.45, "deals": 0.3, "training": 0.25},
        utm={"retargeting": 0.4, "fb_prospecting": 0.3, "generic_search": 0.3},
        coupon_rate=0.25,
        return_rate=0.47,
        survey_rate=0.2,
        ticket_rate=0.85,
        tickets_mean=4.0,
        review_rate=0.2,
        social_rate=0.04,
        handle_rate=0.3,
        nps=(3.5, 2.0),
        rating=(2.3, 1.1),
        answers={
            "hear_about": {"Facebook ad": 0.4, "Search engine": 0.35, "Instagram": 0.25},
            "matters_most": {"Price": 0.45, "Convenience": 0.35, "Performance results": 0.2},
            "exercise": {
                "1-2 times a week": 0.5,
                "3-4 times a week": 0.3,
                "Less than once a week": 0.2,
            },
            "household": {"Single": 0.5, "Couple, no kids": 0.5},
        },
        loyalty={"bronze": 0.6, "silver": 0.4},
    ),
    Archetype(
        "discount_hunter",
        "Discount Hunter",
        "Arrives through coupon sites, only ever buys with a promo code, spends little and "
        "unsubscribes from email quickly.",
        negative=True,
        share=0.08,
        female=0.5,
        age=(20, 60),
        uk_share=0.12,
        city_tags={"metro": 0.3, "suburb": 0.4, "sunbelt": 0.15, "green": 0.15},
        categories={c: 1.0 for c in RETAIL_CATEGORIES},
        gap_days=45,
        gap_shape=1.5,
        extra_lines=0.3,
        extra_qty=0.1,
        channels={"online": 0.85, "app": 0.1, "store": 0.05},
        devices={"desktop": 0.5, "mobile": 0.45, "tablet": 0.05},
        hours=hours({}, base=0.2),
        email_open=0.28,
        email_click=0.35,
        unsubscribe=0.12,
        content={"deals": 0.8, "returns-policy": 0.1, "gift-guides": 0.1},
        utm={"coupon_partners": 0.75, "generic_search": 0.15, "retargeting": 0.1},
        coupon_rate=0.97,
        discount=(0.2, 0.4),
        return_rate=0.06,
        survey_rate=0.12,
        ticket_rate=0.15,
        review_rate=0.05,
        social_rate=0.01,
        handle_rate=0.05,
        nps=(5.5, 2.0),
        rating=(3.6, 1.0),
        answers={
            "hear_about": {"Coupon or deal site": 0.8, "Search engine": 0.2},
            "matters_most": {"Price": 0.9, "Convenience": 0.1},
            "exercise": {
                "Never": 0.25,
                "Less than once a week": 0.3,
                "1-2 times a week": 0.3,
                "3-4 times a week": 0.15,
            },
            "household": {"Single": 0.4, "Couple, no kids": 0.3, "Family with teenagers": 0.3},
        },
        loyalty={"bronze": 0.9, "silver": 0.1},
    ),
]

# ------------------------------------------------------------------ saas
SAAS: list[Archetype] = [
    Archetype(
        "scaling_startup",
        "Scaling Startup Team",
        "Fast-growing software and fintech startups on the Pro plan; champions wire up "
        "automations, integrations and the API, heavy daily usage.",
        negative=False,
        share=0.22,
        female=0.38,
        age=(24, 42),
        uk_share=0.2,
        industries={"Software": 0.5, "Fintech": 0.3, "E-commerce": 0.2},
        employees=(20, 250),
        plans={"pro": 0.6, "starter": 0.3, "enterprise": 0.1},
        contacts=(2, 6),
        roles={"champion": 0.35, "end_user": 0.45, "decision_maker": 0.2},
        features={
            "Automation Created": 0.25,
            "Integration Connected": 0.2,
            "Query Run": 0.1,
            "Task Completed": 0.2,
            "Board Viewed": 0.15,
            "User Invited": 0.1,
        },
        seat_use=(0.85, 1.0),
        churn=0.04,
        annual_billing=0.15,
        channels={"online": 0.9, "sales": 0.1},
        devices={"desktop": 0.85, "mobile": 0.15},
        hours=hours({10: 1.0, 14: 1.0, 16: 1.0, 21: 0.6}, base=0.2),
        weekdays=[1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.3],
        email_open=0.28,
        email_click=0.25,
        unsubscribe=0.01,
        content={
            "docs/automation": 0.3,
            "docs/api": 0.3,
            "docs/integrations": 0.25,
            "blog/startup-growth": 0.15,
        },
        utm={"launch_referrals": 0.35, "seo": 0.35, "generic_search": 0.3},
        browse_sessions=4.0,
        survey_rate=0.3,
        ticket_rate=0.25,
        review_rate=0.15,
        social_rate=0.08,
        handle_rate=0.5,
        nps=(8.6, 1.0),
        rating=(4.5, 0.5),
        answers={
            "hear_about": {
                "Product Hunt": 0.45,
                "Colleague recommendation": 0.3,
                "Search engine": 0.25,
            },
            "use_case": {"Workflow automation": 0.6, "Project tracking": 0.4},
            "hours_week": {"11-20": 0.5, "More than 20": 0.3, "6-10": 0.2},
            "key_feature": {"Automations": 0.5, "Integrations": 0.5},
        },
    ),
    Archetype(
        "enterprise_ops",
        "Enterprise Operations Buyer",
        "Large regulated enterprises buying Enterprise through sales on annual contracts; IT "
        "security and finance in the loop, SSO and audit logs matter most.",
        negative=False,
        share=0.16,
        female=0.45,
        age=(32, 60),
        uk_share=0.25,
        industries={
            "Manufacturing": 0.3,
            "Healthcare": 0.25,
            "Financial Services": 0.25,
            "Logistics": 0.2,
        },
        employees=(2000, 60000),
        plans={"enterprise": 0.95, "pro": 0.05},
        contacts=(4, 8),
        roles={
            "decision_maker": 0.2,
            "it_security": 0.25,
            "finance": 0.15,
            "end_user": 0.3,
            "champion": 0.1,
        },
        features={
            "SSO Configured": 0.15,
            "Audit Log Viewed": 0.2,
            "Permission Changed": 0.2,
            "Report Exported": 0.25,
            "Board Viewed": 0.2,
        },
        seat_use=(0.6, 0.85),
        churn=0.03,
        annual_billing=0.95,
        channels={"sales": 0.95, "online": 0.05},
        devices={"desktop": 0.97, "mobile": 0.03},
        hours=hours({9: 1.5, 10: 1.5, 14: 1.2, 15: 1.0}, base=0.05),
        weekdays=_WORKDAYS,
        email_open=0.15,
        email_click=0.15,
        unsubscribe=0.004,
        content={"security": 0.35, "docs/sso": 0.3, "docs/permissions": 0.2, "customers": 0.15},
        utm={"linkedin_abm": 0.5, "brand_search": 0.3, "partner_directory": 0.2},
        browse_sessions=2.0,
        survey_rate=0.2,
        ticket_rate=0.2,
        review_rate=0.06,
        social_rate=0.01,
        handle_rate=0.1,
        nps=(7.6, 1.2),
        rating=(4.0, 0.7),
        answers={
            "hear_about": {
                "Sales outreach": 0.45,
                "Conference or webinar": 0.35,
                "Review site (G2, Capterra)": 0.2,
            },
            "use_case": {"Compliance and audit": 0.5, "Executive dashboards": 0.5},
            "hours_week": {"1-5": 0.5, "6-10": 0.35, "Less than 1": 0.15},
            "key_feature": {"Security and SSO": 0.7, "Reporting exports": 0.3},
        },
    ),
    Archetype(
        "agency_power_user",
        "Marketing Agency Power User",
        "Small marketing agencies that build client reports and dashboards from templates, "
        "share them with clients, active on LinkedIn and review sites.",
        negative=False,
        share=0.2,
        female=0.58,
        age=(25, 45),
        uk_share=0.3,
        industries={"Marketing & Advertising": 0.75, "Media": 0.25},
        employees=(8, 80),
        plans={"pro": 0.75, "starter": 0.25},
        contacts=(2, 5),
        roles={"champion": 0.4, "end_user": 0.4, "decision_maker": 0.2},
        features={
            "Client Report Shared": 0.3,
            "Template Used": 0.25,
            "Dashboard Created": 0.25,
            "Report Exported": 0.2,
        },
        seat_use=(0.8, 1.0),
        churn=0.06,
        annual_billing=0.1,
        channels={"online": 1.0},
        devices={"desktop": 0.75, "mobile": 0.2, "tablet": 0.05},
        hours=hours({11: 1.0, 15: 1.2, 17: 1.0}, base=0.15),
        weekdays=_WORKDAYS,
        email_open=0.32,
        email_click=0.3,
        unsubscribe=0.01,
        content={"blog/agency-reporting": 0.45, "templates": 0.4, "docs/dashboards": 0.15},
        utm={"linkedin_abm": 0.3, "fb_prospecting": 0.35, "content_partners": 0.35},
        browse_sessions=3.5,
        survey_rate=0.3,
        ticket_rate=0.15,
        review_rate=0.35,
        social_rate=0.18,
        handle_rate=0.7,
        nps=(8.4, 1.2),
        rating=(4.5, 0.6),
        answers={
            "hear_about": {
                "LinkedIn": 0.45,
                "Review site (G2, Capterra)": 0.35,
                "Partner or agency": 0.2,
            },
            "use_case": {"Client reporting": 0.8, "Executive dashboards": 0.2},
            "hours_week": {"11-20": 0.45, "6-10": 0.35, "More than 20": 0.2},
            "key_feature": {"Reporting exports": 0.5, "Dashboards": 0.5},
        },
    ),
    Archetype(
        "smb_owner",
        "Small Business Owner",
        "Owner-operators of small shops, restaurants and trades on Free or Starter, using the "
        "mobile app evenings and weekends; price is the main worry.",
        negative=False,
        share=0.2,
        female=0.48,
        age=(28, 62),
        uk_share=0.2,
        industries={
            "Retail": 0.3,
            "Hospitality": 0.25,
            "Professional Services": 0.25,
            "Construction": 0.2,
        },
        employees=(1, 25),
        plans={"free": 0.4, "starter": 0.55, "pro": 0.05},
        contacts=(1, 2),
        roles={"decision_maker": 0.8, "end_user": 0.2},
        features={"Task Completed": 0.4, "Board Viewed": 0.35, "Comment Added": 0.25},
        seat_use=(0.9, 1.0),
        churn=0.1,
        annual_billing=0.05,
        channels={"online": 1.0},
        devices={"mobile": 0.65, "tablet": 0.15, "desktop": 0.2},
        hours=hours({7: 0.6, 20: 1.4, 21: 1.2}, base=0.12),
        weekdays=[0.8, 0.8, 0.8, 0.8, 0.8, 1.3, 1.3],
        email_open=0.22,
        email_click=0.2,
        unsubscribe=0.02,
        content={"blog/small-business": 0.5, "pricing": 0.35, "help/billing": 0.15},
        utm={"generic_search": 0.45, "fb_prospecting": 0.35, "seo": 0.2},
        browse_sessions=2.5,
        survey_rate=0.2,
        ticket_rate=0.12,
        review_rate=0.1,
        social_rate=0.05,
        handle_rate=0.25,
        nps=(7.9, 1.5),
        rating=(4.2, 0.8),
        answers={
            "hear_about": {
                "Search engine": 0.55,
                "Colleague recommendation": 0.25,
                "LinkedIn": 0.2,
            },
            "use_case": {"Project tracking": 0.85, "Workflow automation": 0.15},
            "hours_week": {"1-5": 0.6, "Less than 1": 0.2, "6-10": 0.2},
            "key_feature": {"Price": 0.5, "Mobile app": 0.5},
        },
    ),
    Archetype(
        "data_team",
        "Analytics-Driven Mid-Market",
        "Mid-market insurers and e-commerce firms whose data teams connect warehouses, run "
        "SQL and schedule reports; evaluate carefully, expand seats steadily.",
        negative=False,
        share=0.12,
        female=0.4,
        age=(27, 50),
        uk_share=0.2,
        industries={"Insurance": 0.35, "E-commerce": 0.35, "Education": 0.3},
        employees=(200, 2000),
        plans={"pro": 0.55, "enterprise": 0.45},
        contacts=(3, 7),
        roles={"champion": 0.3, "end_user": 0.45, "decision_maker": 0.15, "finance": 0.1},
        features={
            "Query Run": 0.35,
            "Data Source Connected": 0.2,
            "Scheduled Report Created": 0.25,
            "Dashboard Created": 0.2,
        },
        seat_use=(0.75, 0.95),
        churn=0.04,
        annual_billing=0.5,
        channels={"online": 0.5, "sales": 0.5},
        devices={"desktop": 0.95, "mobile": 0.05},
        hours=hours({9: 0.8, 13: 1.0, 15: 1.2, 16: 1.2}, base=0.1),
        weekdays=_WORKDAYS,
        email_open=0.3,
        email_click=0.3,
        unsubscribe=0.006,
        content={"docs/sql": 0.4, "blog/data-culture": 0.35, "docs/integrations": 0.25},
        utm={"content_partners": 0.4, "generic_search": 0.35, "linkedin_abm": 0.25},
        browse_sessions=3.5,
        survey_rate=0.25,
        ticket_rate=0.2,
        review_rate=0.15,
        social_rate=0.04,
        handle_rate=0.3,
        nps=(8.1, 1.2),
        rating=(4.3, 0.6),
        answers={
            "hear_about": {
                "Conference or webinar": 0.4,
                "Search engine": 0.3,
                "Review site (G2, Capterra)": 0.3,
            },
            "use_case": {"Data analysis": 0.8, "Executive dashboards": 0.2},
            "hours_week": {"More than 20": 0.4, "11-20": 0.4, "6-10": 0.2},
            "key_feature": {"Integrations": 0.5, "Dashboards": 0.3, "Reporting exports": 0.2},
        },
    ),
    Archetype(
        "at_risk_support_drain",
        "At-risk Support Drain",
        "Accounts that bought more seats than they use, barely log in, file many support "
        "tickets, score NPS low and often cancel at renewal.",
        negative=True,
        share=0.1,
        female=0.45,
        age=(28, 55),
        uk_share=0.2,
        industries={i: 1.0 for i in INDUSTRIES},
        employees=(40, 600),
        plans={"pro": 0.6, "starter": 0.4},
        contacts=(2, 5),
        roles={"decision_maker": 0.3, "end_user": 0.4, "finance": 0.15, "it_security": 0.15},
        features={"Board Viewed": 0.6, "Report Exported": 0.2, "Permission Changed": 0.2},
        seat_use=(0.1, 0.35),
        churn=0.55,
        annual_billing=0.2,
        channels={"online": 0.7, "sales": 0.3},
        devices={"desktop": 0.8, "mobile": 0.2},
        hours=hours({10: 0.8, 15: 0.8}, base=0.15),
        weekdays=_WORKDAYS,
        email_open=0.1,
        email_click=0.1,
        unsubscribe=0.03,
        content={"help/troubleshooting": 0.5, "help/billing": 0.3, "pricing": 0.2},
        utm={"generic_search": 0.4, "retargeting": 0.35, "brand_search": 0.25},
        browse_sessions=0.6,
        survey_rate=0.3,
        ticket_rate=0.9,
        tickets_mean=5.0,
        review_rate=0.15,
        social_rate=0.03,
        handle_rate=0.2,
        nps=(3.0, 1.8),
        rating=(2.2, 1.0),
        answers={
            "hear_about": {"Search engine": 0.5, "Sales outreach": 0.5},
            "use_case": {"Project tracking": 0.6, "Executive dashboards": 0.4},
            "hours_week": {"Less than 1": 0.7, "1-5": 0.3},
            "key_feature": {"Price": 0.6, "Dashboards": 0.4},
        },
    ),
]

SCENARIO_ARCHETYPES = {"retail": RETAIL, "saas": SAAS}
SCENARIO_QUESTIONS = {"retail": RETAIL_QUESTIONS, "saas": SAAS_QUESTIONS}


@dataclass(frozen=True)
class Matrices:
    """Per-archetype probability tables, indexed ``[archetype, option]`` for ``pick``."""

    share: np.ndarray
    categories: np.ndarray
    channels: np.ndarray
    channel_names: list[str]
    devices: np.ndarray
    hours: np.ndarray
    weekdays: np.ndarray
    content: np.ndarray
    content_names: list[str]
    utm: np.ndarray
    campaigns: list[tuple[str, str, str, str]]
    city_tags: np.ndarray
    loyalty: np.ndarray
    answers: dict[str, np.ndarray]
    industries: np.ndarray
    plans: np.ndarray
    roles: np.ndarray
    features: np.ndarray


LOYALTY = ["bronze", "silver", "gold", "platinum"]
DEVICES = ["mobile", "desktop", "tablet"]


def matrices(scenario: str) -> Matrices:
    """Stack the sparse archetype dicts into dense matrices once per run."""
    arch = SCENARIO_ARCHETYPES[scenario]
    retail = scenario == "retail"
    channel_names = ["online", "store", "app"] if retail else ["online", "sales"]
    content_names = RETAIL_CONTENT if retail else SAAS_CONTENT
    campaigns = RETAIL_CAMPAIGNS if retail else SAAS_CAMPAIGNS
    camp_names = [c[3] for c in campaigns]
    questions = SCENARIO_QUESTIONS[scenario]

    def stack(get, options):
        return np.vstack([weights(options, get(a)) for a in arch])

    answers = {}
    for q in questions:
        if q.qid == "nps":
            continue
        answers[q.qid] = stack(lambda a, q=q: a.answers.get(q.qid, {}), list(q.options))
    return Matrices(
        share=np.array([a.share for a in arch]) / sum(a.share for a in arch),
        categories=stack(lambda a: a.categories, RETAIL_CATEGORIES),
        channels=stack(lambda a: a.channels, channel_names),
        channel_names=channel_names,
        devices=stack(lambda a: a.devices, DEVICES),
        hours=np.vstack([np.array(a.hours) / sum(a.hours) for a in arch]),
        weekdays=np.vstack([np.array(a.weekdays) / sum(a.weekdays) for a in arch]),
        content=stack(lambda a: a.content, content_names),
        content_names=content_names,
        utm=stack(lambda a: a.utm, camp_names),
        campaigns=campaigns,
        city_tags=stack(lambda a: a.city_tags or {t: 1.0 for t in CITY_TAGS}, CITY_TAGS),
        loyalty=stack(lambda a: a.loyalty or {"bronze": 1.0}, LOYALTY),
        answers=answers,
        industries=stack(lambda a: a.industries or {"Software": 1.0}, INDUSTRIES),
        plans=stack(lambda a: a.plans or {"pro": 1.0}, SAAS_PLANS),
        roles=stack(lambda a: a.roles or {"end_user": 1.0}, ROLES),
        features=stack(lambda a: a.features or {"Board Viewed": 1.0}, SAAS_FEATURES),
    )
