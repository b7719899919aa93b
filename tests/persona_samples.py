"""Hand-built persona documents and profile sections for the report tests.

They stand in for the persona builder's output until it exists, so they are written the
way the builder is meant to write them: every claim carries its evidence, quotes carry
their record ids, and the figures are plausible for the demo scenarios (Greenleaf retail
and the SaaS platform). Three personas cover a primary and a negative B2C persona and a
B2B account persona with firmographics.
"""

from __future__ import annotations

import python_avatars as pa

from personae.personas.avatar import avatar_svg
from personae.personas.schema import (
    Claim,
    Evidence,
    Fact,
    Guidance,
    JourneyStage,
    Naming,
    Persona,
    QualityFigures,
    Quote,
    SizeFigures,
    VoiceTheme,
)
from personae.reports.charts import render_svg
from personae.reports.sections import Chart, ReportSection, Table

DIFF = "segment_descriptions.differences"


def stat(
    attribute: str,
    seg: float,
    overall: float,
    *,
    n: int,
    level: str | None = None,
    p: float | None = 1e-6,
    source: str = DIFF,
    note: str | None = None,
) -> Evidence:
    """A statistic; lift for shares (with a level), a standardised difference otherwise."""
    is_share = level is not None
    return Evidence(
        kind="statistic",
        source=source,
        attribute=attribute,
        level=level,
        segment_value=seg,
        overall_value=overall,
        lift=round(seg / overall, 2) if is_share and overall else None,
        std_diff=None if is_share else round((seg - overall) / max(abs(overall) * 0.5, 1), 2),
        p_value=p,
        n=n,
        note=note,
    )


def quote_ev(record_id: str) -> Evidence:
    return Evidence(kind="quote", source="text_snippets", record_ids=[record_id])


def claim(text: str, *evidence: Evidence) -> Claim:
    return Claim(text=text, evidence=list(evidence))


def fact(label: str, value: str, text: str, *evidence: Evidence, share=None) -> Fact:
    return Fact(label=label, value=value, text=text, evidence=list(evidence), share=share)


def theme(
    facet: str, label: str, share: float, lift: float, text: str, quote: str, record: str, n: int
) -> VoiceTheme:
    return VoiceTheme(
        facet=facet,
        label=label,
        share=share,
        lift=lift,
        text=text,
        quote=quote,
        evidence=[
            Evidence(
                kind="statistic",
                source="text_themes",
                attribute=f"{facet}_theme",
                level=label,
                segment_value=share,
                overall_value=round(share / lift, 3),
                lift=lift,
                p_value=0.0004,
                n=n,
            ),
            quote_ev(record),
        ],
    )


def quote(
    text: str, kind: str, record: str, facet: str, theme_label: str, sentiment: float
) -> Quote:
    return Quote(
        text=text,
        source_kind=kind,
        record_id=record,
        facet=facet,
        theme=theme_label,
        sentiment=sentiment,
        evidence=[quote_ev(record)],
    )


def avatar(**kwargs) -> str:
    return pa.Avatar(style=pa.AvatarStyle.CIRCLE, background_color="#E0E7FF", **kwargs).render()


def stage(
    name: str,
    reached: int,
    n: int,
    prev: int | None,
    touch: list[Fact],
    sentiment: float | None,
    sentiment_n: int,
    claims: list[Claim] | None = None,
) -> JourneyStage:
    conversion = None if prev is None else round(reached / prev, 3)
    return JourneyStage(
        stage=name,
        reached=reached,
        reached_share=round(reached / n, 3),
        conversion=conversion,
        drop_off=None if conversion is None else round(1 - conversion, 3),
        touchpoints=touch,
        sentiment=sentiment,
        sentiment_n=sentiment_n,
        claims=claims or [],
    )


def touch(label: str, value: str, share: float, n: int, overall: float) -> Fact:
    return fact(
        label,
        value,
        f"{label}: {value}",
        stat("touchpoint", share, overall, level=label.lower(), n=n, source="raw_events"),
        share=share,
    )


# --------------------------------------------------------------------------- Sarah


def sarah() -> Persona:
    n = 1012
    return Persona(
        id="person-primary-s1-family-app",
        segment=1,
        segment_name="Family wellness, app, evenings",
        role="primary",
        entity="person",
        name="Sarah",
        title=claim(
            "Sarah, the Busy Professional Mom",
            stat("gender", 0.81, 0.52, level="female", n=n),
            stat("survey_household", 0.74, 0.31, level="children at home", n=644),
        ),
        epithet="the Busy Professional Mom",
        naming=Naming(
            first_name="Sarah",
            gender="female",
            age=38,
            birth_decade=1980,
            country="US",
            avatar_svg=avatar(
                top=pa.HairType.LONG_NOT_TOO_LONG,
                hair_color=pa.HairColor.BROWN_DARK,
                skin_color=pa.SkinColor.LIGHT,
                clothing=pa.ClothingType.BLAZER_SWEATER,
                clothing_color="#4338CA",
                mouth=pa.MouthType.SMILE,
                eyes=pa.EyeType.HAPPY,
            ),
            basis=[
                stat("gender", 0.81, 0.52, level="female", n=n),
                stat("age", 38.0, 41.5, n=n, source="profiles", note="median age of members"),
                stat("country", 0.88, 0.85, level="US", n=n, source="profiles", p=0.21),
            ],
        ),
        bio=[
            claim(
                "Sarah keeps the whole family's wellness stocked, mostly from the app in the "
                "evening after the kids are in bed.",
                stat("top_device", 0.64, 0.38, level="app", n=n),
                stat("order_daypart", 0.58, 0.31, level="evening", n=n),
            ),
            claim(
                "She reorders every 25 days on average, a $68 basket of family vitamins and "
                "self-care.",
                stat("days_between_orders", 25.1, 41.2, n=n),
                stat("average_order_value", 68.0, 61.5, n=n),
            ),
            claim(
                "Time is her scarcest resource: anything that makes reordering faster wins her.",
                stat("goal_theme", 0.41, 0.19, level="save time", n=402, source="text_themes"),
            ),
        ],
        demographics=[
            fact(
                "Age",
                "38 (median)",
                "Age: 38 (median)",
                stat("age", 38.0, 41.5, n=n, source="profiles"),
            ),
            fact(
                "Gender",
                "Female",
                "Gender: Female (81%)",
                stat("gender", 0.81, 0.52, level="female", n=n),
                share=0.81,
            ),
            fact(
                "Household",
                "Children at home",
                "74% of those who answered the survey have children at home, 2.4× everyone.",
                stat("survey_household", 0.74, 0.31, level="children at home", n=644),
                share=0.74,
            ),
            fact(
                "Country",
                "United States",
                "Country: United States (88%)",
                stat("country", 0.88, 0.85, level="US", n=n, p=0.21),
                share=0.88,
            ),
        ],
        psychographics=[
            fact(
                "Interests",
                "Family wellness, self-care",
                "Family wellness is her first interest (46%, 2.9× everyone).",
                stat("interest_1", 0.46, 0.16, level="family wellness", n=n),
                share=0.46,
            ),
            fact(
                "Loyalty tier",
                "Gold",
                "Loyalty tier: Gold (34%)",
                stat("loyalty_tier", 0.34, 0.17, level="gold", n=n),
                share=0.34,
            ),
        ],
        goals=[
            theme(
                "goal",
                "Save time",
                0.41,
                2.2,
                "Wants family wellness shopping to take minutes, not an evening.",
                "I need to reorder the kids' vitamins in two taps, not twenty.",
                "survey_responses:18233",
                402,
            ),
            theme(
                "goal",
                "Healthy family",
                0.33,
                1.8,
                "Wants products she can trust for the whole family.",
                "Everything I buy has to be safe for a six-year-old.",
                "survey_responses:20511",
                402,
            ),
        ],
        pain_points=[
            theme(
                "pain_point",
                "Out of stock",
                0.29,
                2.6,
                "Staples being out of stock breaks her routine.",
                "Third time this month the kids' multivitamin is out of stock.",
                "tickets:T-88412",
                311,
            ),
            theme(
                "pain_point",
                "Slow delivery",
                0.22,
                1.4,
                "Deliveries that take more than three days leave gaps.",
                "Five days for vitamins is too long when you've just run out.",
                "reviews:R-10293",
                311,
            ),
        ],
        frustrations=[
            theme(
                "frustration",
                "App logs out",
                0.18,
                3.1,
                "Being logged out of the app mid-checkout.",
                "The app logged me out again right at checkout.",
                "tickets:T-90114",
                208,
            ),
        ],
        motivations=[
            theme(
                "motivation",
                "Trusted ingredients",
                0.37,
                1.9,
                "Buys because the ingredients are clean and family-safe.",
                "I trust the ingredient lists, that's why I stay.",
                "survey_responses:19987",
                380,
            ),
        ],
        objections=[
            theme(
                "objection",
                "Subscription price",
                0.21,
                1.6,
                "Hesitates at subscription prices without a family bundle.",
                "A family bundle would make the subscription worth it.",
                "survey_responses:21450",
                190,
            ),
        ],
        quotes=[
            quote(
                "I need to reorder the kids' vitamins in two taps, not twenty.",
                "survey",
                "survey_responses:18233",
                "goal",
                "Save time",
                0.1,
            ),
            quote(
                "Third time this month the kids' multivitamin is out of stock.",
                "ticket",
                "tickets:T-88412",
                "pain_point",
                "Out of stock",
                -0.62,
            ),
            quote(
                "Love the calming bath salts, my evening ritual once the house is quiet.",
                "review",
                "reviews:R-11820",
                "motivation",
                "Self-care",
                0.84,
            ),
            quote(
                "Restocked the family shelf @greenleaf in 5 minutes flat, mom win.",
                "social",
                "social_posts:S-4471",
                "goal",
                "Save time",
                0.71,
            ),
        ],
        buying_behaviour=[
            fact(
                "Purchase frequency",
                "Every 25 days",
                "Orders every 25 days (everyone: 41).",
                stat("days_between_orders", 25.1, 41.2, n=n),
            ),
            fact(
                "Average order value",
                "$68",
                "Average order value: $68",
                stat("average_order_value", 68.0, 61.5, n=n),
            ),
            fact(
                "Top category",
                "Family wellness",
                "Top category: Family wellness (39%)",
                stat("top_category_1", 0.39, 0.14, level="family wellness", n=n),
                share=0.39,
            ),
            fact(
                "Device",
                "App (64%)",
                "Device: App (64%)",
                stat("top_device", 0.64, 0.38, level="app", n=n),
                share=0.64,
            ),
        ],
        communication_channels=[
            fact(
                "Preferred channel",
                "App push",
                "Preferred channel: App push (61%)",
                stat("preferred_channel", 0.61, 0.29, level="app push", n=n),
                share=0.61,
            ),
            fact(
                "Email",
                "Opens 48%",
                "She opens 48% of emails (everyone 31%).",
                stat("email_open_rate", 0.48, 0.31, n=n),
            ),
            fact(
                "Social",
                "Instagram",
                "Social: Instagram (22%)",
                stat("social_network", 0.22, 0.12, level="instagram", n=388),
                share=0.22,
            ),
        ],
        empathy_map={
            "says": [
                claim(
                    "“I need to reorder the kids' vitamins in two taps.”",
                    quote_ev("survey_responses:18233"),
                )
            ],
            "thinks": [
                claim(
                    "Is this safe for the whole family?",
                    stat(
                        "goal_theme",
                        0.33,
                        0.18,
                        level="healthy family",
                        n=402,
                        source="text_themes",
                    ),
                )
            ],
            "does": [
                claim(
                    "Reorders from the app in the evening, every 3–4 weeks.",
                    stat("order_daypart", 0.58, 0.31, level="evening", n=n),
                )
            ],
            "feels": [
                claim(
                    "Stretched for time; relieved when an order just works.",
                    stat("text_sentiment", 0.21, 0.08, n=512, source="text_docs"),
                )
            ],
        },
        journey=[
            stage(
                "awareness",
                1012,
                n,
                None,
                [touch("Instagram", "22% first touch", 0.22, n, 0.12)],
                0.32,
                41,
            ),
            stage(
                "consideration",
                968,
                n,
                1012,
                [touch("App browse", "71% of sessions", 0.71, n, 0.44)],
                0.18,
                66,
            ),
            stage(
                "purchase",
                968,
                n,
                968,
                [touch("App checkout", "64% of orders", 0.64, n, 0.38)],
                -0.12,
                219,
                [
                    claim(
                        "Checkout logouts drag sentiment down at purchase.",
                        quote_ev("tickets:T-90114"),
                    )
                ],
            ),
            stage(
                "retention",
                702,
                n,
                968,
                [touch("Reorder reminder", "opened by 52%", 0.52, n, 0.30)],
                0.27,
                188,
            ),
            stage(
                "advocacy",
                233,
                n,
                702,
                [touch("Reviews", "23% write one", 0.23, n, 0.11)],
                0.61,
                120,
            ),
        ],
        guidance=Guidance(
            messaging=[
                claim(
                    "Lead with time saved: “Restock the family in two taps.”",
                    stat("goal_theme", 0.41, 0.19, level="save time", n=402, source="text_themes"),
                )
            ],
            channels=[
                claim(
                    "App push at 8–9 pm, then email; skip daytime sends.",
                    stat("preferred_channel", 0.61, 0.29, level="app push", n=n),
                    stat("order_daypart", 0.58, 0.31, level="evening", n=n),
                )
            ],
            content={
                "awareness": [
                    claim(
                        "Instagram reels of quick family routines.",
                        stat("social_network", 0.22, 0.12, level="instagram", n=388),
                    )
                ],
                "consideration": [
                    claim(
                        "Ingredient transparency pages for kids' products.",
                        stat(
                            "motivation_theme",
                            0.37,
                            0.19,
                            level="trusted ingredients",
                            n=380,
                            source="text_themes",
                        ),
                    )
                ],
                "retention": [
                    claim(
                        "Reorder reminders timed to her 25-day rhythm.",
                        stat("days_between_orders", 25.1, 41.2, n=n),
                    )
                ],
            },
            offers=[
                claim(
                    "A family subscription bundle answers her price objection.",
                    stat(
                        "objection_theme",
                        0.21,
                        0.13,
                        level="subscription price",
                        n=190,
                        source="text_themes",
                    ),
                )
            ],
            avoid=[
                claim(
                    "Out-of-stock staples in campaigns: her top pain point.",
                    stat(
                        "pain_point_theme",
                        0.29,
                        0.11,
                        level="out of stock",
                        n=311,
                        source="text_themes",
                    ),
                )
            ],
        ),
        size=SizeFigures(
            customers=n,
            share=0.21,
            revenue_share=0.27,
            mean_clv=412.5,
            currency="USD",
            evidence=[
                Evidence(
                    kind="records",
                    source="segments",
                    n=n,
                    note="members of segment 1 among 4,819 buying customers",
                ),
                Evidence(
                    kind="model",
                    source="value_scores",
                    attribute="clv_12m",
                    segment_value=412.5,
                    overall_value=318.0,
                    n=n,
                ),
            ],
        ),
        quality=QualityFigures(
            coverage=0.92,
            distinctiveness=0.84,
            stability=0.88,
            prevalence=0.71,
            evidence=[
                Evidence(
                    kind="model",
                    source="segment_models",
                    attribute="jaccard",
                    segment_value=0.88,
                    n=200,
                    note="mean of 20 bootstrap refits",
                )
            ],
        ),
        data_version="d41f2c9b7e10",
    )


# --------------------------------------------------------------------------- Marco


def marco() -> Persona:
    n = 480
    return Persona(
        id="person-negative-s6-returns",
        segment=6,
        segment_name="High returns, many tickets",
        role="negative",
        entity="person",
        name="Marco",
        title=claim("Marco, the Serial Returner", stat("return_rate", 0.46, 0.09, n=n)),
        epithet="the Serial Returner",
        naming=Naming(
            first_name="Marco",
            gender="male",
            age=31,
            birth_decade=1990,
            country="US",
            avatar_svg=avatar(
                top=pa.HairType.SHORT_WAVED,
                hair_color=pa.HairColor.BLACK,
                skin_color=pa.SkinColor.TANNED,
                clothing=pa.ClothingType.HOODIE,
                clothing_color="#B91C1C",
                facial_hair=pa.FacialHairType.BEARD_LIGHT,
                facial_hair_color=pa.HairColor.BLACK,
                mouth=pa.MouthType.SERIOUS,
                eyebrows=pa.EyebrowType.DEFAULT_NATURAL,
            ),
            basis=[
                stat("gender", 0.58, 0.46, level="male", n=n, p=0.003),
                stat("age", 31.0, 41.5, n=n, source="profiles"),
            ],
        ),
        bio=[
            claim(
                "Marco sends back nearly half of what he orders: 46% of items, five times "
                "the average.",
                stat("return_rate", 0.46, 0.09, n=n),
            ),
            claim(
                "He opens a support ticket every other order, mostly about refunds.",
                stat("support_tickets", 2.8, 0.6, n=n),
                stat("ticket_category", 0.63, 0.22, level="refund", n=n),
            ),
        ],
        demographics=[
            fact(
                "Age",
                "31 (median)",
                "Age: 31 (median)",
                stat("age", 31.0, 41.5, n=n, source="profiles"),
            ),
            fact(
                "Gender",
                "Male",
                "Gender: Male (58%)",
                stat("gender", 0.58, 0.46, level="male", n=n, p=0.003),
                share=0.58,
            ),
        ],
        goals=[
            theme(
                "goal",
                "Try before committing",
                0.38,
                2.9,
                "Orders several sizes or variants to decide at home.",
                "I order three and keep the one that works.",
                "survey_responses:30112",
                140,
            ),
        ],
        pain_points=[
            theme(
                "pain_point",
                "Refund speed",
                0.44,
                3.4,
                "Refunds that take more than a week.",
                "Still waiting on my refund after 12 days.",
                "tickets:T-77120",
                210,
            ),
        ],
        quotes=[
            quote(
                "Still waiting on my refund after 12 days.",
                "ticket",
                "tickets:T-77120",
                "pain_point",
                "Refund speed",
                -0.74,
            ),
            quote(
                "Ordered three, kept one, as usual. Returns are free so why not.",
                "review",
                "reviews:R-55410",
                "goal",
                "Try before committing",
                0.05,
            ),
            quote(
                "Another return label printed, this is getting old @greenleaf",
                "social",
                "social_posts:S-9012",
                "frustration",
                "Returns hassle",
                -0.41,
            ),
        ],
        buying_behaviour=[
            fact(
                "Return rate",
                "46% of items",
                "Returns 46% of items (everyone 9%).",
                stat("return_rate", 0.46, 0.09, n=n),
            ),
            fact(
                "Purchase frequency",
                "Every 34 days",
                "Orders every 34 days.",
                stat("days_between_orders", 34.0, 41.2, n=n, p=0.04),
            ),
            fact(
                "Average order value",
                "$118",
                "Average order value: $118",
                stat("average_order_value", 118.0, 61.5, n=n),
            ),
            fact(
                "Device",
                "Desktop (52%)",
                "Device: Desktop (52%)",
                stat("top_device", 0.52, 0.33, level="desktop", n=n),
                share=0.52,
            ),
        ],
        communication_channels=[
            fact(
                "Preferred channel",
                "Email",
                "Preferred channel: Email (44%)",
                stat("preferred_channel", 0.44, 0.37, level="email", n=n, p=0.08),
                share=0.44,
            ),
        ],
        journey=[
            stage("awareness", 480, n, None, [], None, 0),
            stage("consideration", 470, n, 480, [], None, 0),
            stage("purchase", 470, n, 470, [], -0.35, 140),
            stage("retention", 190, n, 470, [], -0.52, 96),
            stage("advocacy", 12, n, 190, [], None, 0),
        ],
        guidance=Guidance(
            deter=[
                claim(
                    "Stop free returns on multi-size orders above two variants.",
                    stat("return_rate", 0.46, 0.09, n=n),
                ),
                claim(
                    "Exclude him from paid look-alike audiences.",
                    Evidence(
                        kind="model",
                        source="value_scores",
                        attribute="clv_12m",
                        segment_value=-22.0,
                        overall_value=318.0,
                        n=n,
                    ),
                ),
            ],
            avoid=[
                claim(
                    "“Free returns” as a headline message.",
                    stat(
                        "goal_theme",
                        0.38,
                        0.13,
                        level="try before committing",
                        n=140,
                        source="text_themes",
                    ),
                )
            ],
        ),
        size=SizeFigures(
            customers=n,
            share=0.10,
            revenue_share=0.04,
            mean_clv=-22.0,
            currency="USD",
            evidence=[Evidence(kind="records", source="segments", n=n)],
        ),
        quality=QualityFigures(
            coverage=0.68,
            distinctiveness=1.42,
            stability=0.91,
            prevalence=0.77,
            evidence=[
                Evidence(
                    kind="model",
                    source="segment_models",
                    attribute="jaccard",
                    segment_value=0.91,
                    n=200,
                )
            ],
        ),
        data_version="d41f2c9b7e10",
    )


# --------------------------------------------------------------------------- Priya (B2B)


def priya() -> Persona:
    n = 214
    return Persona(
        id="account-primary-s2-scaling-startup",
        segment=2,
        segment_name="Fast-growing software startups on Pro",
        role="primary",
        entity="account",
        name="Priya",
        title=claim(
            "Priya, the Scaling Startup Lead",
            stat("industry", 0.58, 0.21, level="software", n=n),
            stat("employee_band", 0.61, 0.24, level="51-200", n=n),
        ),
        epithet="the Scaling Startup Lead",
        naming=Naming(
            first_name="Priya",
            gender="female",
            age=34,
            birth_decade=1990,
            country="US",
            # the project's own avatar module (the other two are raw python_avatars output)
            avatar_svg=avatar_svg(
                "female", 34, "account-primary-s2", professional=True, title="Priya"
            ),
            basis=[
                stat("people_gender", 0.52, 0.47, level="female", n=n, p=0.3),
                stat("people_age", 34.0, 39.0, n=n, source="profiles"),
            ],
        ),
        bio=[
            claim(
                "Priya runs operations at an 85-person software startup that doubled last "
                "year; her team lives in automations and integrations.",
                stat("employees", 85.0, 310.0, n=n, source="account_profiles"),
                stat("feature_automations", 0.82, 0.35, n=n, source="raw_events"),
            ),
            claim(
                "They add seats every quarter and use 87% of the ones they pay for.",
                stat("seat_utilisation", 0.87, 0.61, n=n),
            ),
        ],
        firmographics=[
            fact(
                "Industry",
                "Software (58%)",
                "Industry: Software (58%)",
                stat("industry", 0.58, 0.21, level="software", n=n),
                share=0.58,
            ),
            fact(
                "Company size",
                "51–200 employees",
                "Company size: 51–200 employees (61%)",
                stat("employee_band", 0.61, 0.24, level="51-200", n=n),
                share=0.61,
            ),
            fact(
                "Plan",
                "Pro (71%)",
                "Plan: Pro (71%)",
                stat("plan", 0.71, 0.33, level="pro", n=n),
                share=0.71,
            ),
            fact(
                "Buying role",
                "Champion",
                "Her buying-committee role: Champion (44%)",
                stat("people_buying_committee_role", 0.44, 0.27, level="champion", n=n),
                share=0.44,
            ),
        ],
        goals=[
            theme(
                "goal",
                "Automate busywork",
                0.47,
                2.4,
                "Wants recurring work to run itself as the team scales.",
                "Every manual handoff we automate buys back a day a week.",
                "survey_responses:S-2210",
                96,
            ),
        ],
        pain_points=[
            theme(
                "pain_point",
                "API limits",
                0.31,
                3.0,
                "Hits API rate limits on heavy integration days.",
                "We hit the API limit by 11am on sprint days.",
                "tickets:T-5521",
                71,
            ),
        ],
        objections=[
            theme(
                "objection",
                "Per-seat pricing",
                0.27,
                1.7,
                "Per-seat pricing punishes fast hiring.",
                "Every new hire is another seat invoice.",
                "reviews:G2-3310",
                55,
            ),
        ],
        quotes=[
            quote(
                "Every manual handoff we automate buys back a day a week.",
                "survey",
                "survey_responses:S-2210",
                "goal",
                "Automate busywork",
                0.52,
            ),
            quote(
                "We hit the API limit by 11am on sprint days.",
                "ticket",
                "tickets:T-5521",
                "pain_point",
                "API limits",
                -0.48,
            ),
            quote(
                "Best integrations in the category; pricing hurts as we grow.",
                "review",
                "reviews:G2-3310",
                "objection",
                "Per-seat pricing",
                0.22,
            ),
        ],
        buying_behaviour=[
            fact(
                "MRR",
                "$1,450",
                "Monthly recurring revenue: $1,450 on average.",
                stat("mrr", 1450.0, 980.0, n=n),
            ),
            fact("Seats", "34", "Seats: 34 on average", stat("seats", 34.0, 22.0, n=n)),
            fact(
                "Seat utilisation",
                "87%",
                "Seat utilisation: 87%",
                stat("seat_utilisation", 0.87, 0.61, n=n),
            ),
        ],
        communication_channels=[
            fact(
                "Preferred channel",
                "LinkedIn",
                "Preferred channel: LinkedIn (39%)",
                stat("people_preferred_channel", 0.39, 0.18, level="linkedin", n=n),
                share=0.39,
            ),
            fact(
                "Device",
                "Desktop (78%)",
                "Device: Desktop (78%)",
                stat("people_top_device", 0.78, 0.55, level="desktop", n=n),
                share=0.78,
            ),
        ],
        empathy_map={
            "says": [
                claim(
                    "“Every manual handoff we automate buys back a day a week.”",
                    quote_ev("survey_responses:S-2210"),
                )
            ],
            "does": [
                claim(
                    "Connects three or more integrations in the first month.",
                    stat("integrations_30d", 3.4, 1.2, n=n, source="raw_events"),
                )
            ],
        },
        journey=[
            stage("awareness", 214, n, None, [], None, 0),
            stage(
                "consideration",
                201,
                n,
                214,
                [touch("Free trial", "94% start one", 0.94, n, 0.62)],
                0.24,
                33,
            ),
            stage("purchase", 188, n, 201, [], 0.11, 21),
            stage("retention", 170, n, 188, [], -0.05, 64),
            stage("advocacy", 58, n, 170, [], 0.44, 29),
        ],
        guidance=Guidance(
            messaging=[
                claim(
                    "Sell hours saved by automation, shown per team size.",
                    stat(
                        "goal_theme",
                        0.47,
                        0.2,
                        level="automate busywork",
                        n=96,
                        source="text_themes",
                    ),
                )
            ],
            channels=[
                claim(
                    "LinkedIn and in-product prompts; desktop first.",
                    stat("people_preferred_channel", 0.39, 0.18, level="linkedin", n=n),
                )
            ],
            offers=[
                claim(
                    "Volume seat pricing at 50+ seats.",
                    stat(
                        "objection_theme",
                        0.27,
                        0.16,
                        level="per-seat pricing",
                        n=55,
                        source="text_themes",
                    ),
                )
            ],
        ),
        size=SizeFigures(
            customers=n,
            share=0.22,
            revenue_share=0.31,
            mean_clv=18400.0,
            currency="USD",
            evidence=[Evidence(kind="records", source="segments", n=n)],
        ),
        quality=QualityFigures(
            coverage=0.81,
            distinctiveness=0.66,
            stability=0.79,
            prevalence=0.64,
            evidence=[
                Evidence(
                    kind="model",
                    source="segment_models",
                    attribute="jaccard",
                    segment_value=0.79,
                    n=120,
                )
            ],
        ),
        data_version="7ab03e55c1d2",
    )


def sample_personas() -> list[Persona]:
    return [sarah(), marco(), priya()]


# --------------------------------------------------------------------------- sections


def _bar_svg(labels: list[str], values: list[float], title: str) -> str:
    """A tiny hand-drawn SVG bar chart with ids and references (as real charts have)."""
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * 28
        bars.append(
            f'<text x="0" y="{y + 14}" font-size="12">{label}</text>'
            f'<rect x="110" y="{y}" width="{value * 3:.0f}" height="18" fill="url(#grad)"/>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="'
        f'{30 + 28 * len(labels)}" viewBox="0 0 420 {30 + 28 * len(labels)}">'
        f"<title>{title}</title>"
        '<defs><linearGradient id="grad"><stop offset="0" stop-color="#6366f1"/>'
        '<stop offset="1" stop-color="#4338ca"/></linearGradient></defs>' + "".join(bars) + "</svg>"
    )


def altair_svg() -> str:
    """A real Altair chart rendered offline, through the project's chart helper."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(
        {
            "month": ["May", "Jun", "Jul", "Aug", "Sep", "Oct"],
            "customers": [310, 342, 365, 351, 398, 420],
        }
    )
    chart = (
        alt.Chart(df)
        .mark_line(point=True, color="#4338ca")
        .encode(x=alt.X("month:N", sort=None), y="customers:Q")
        .properties(width=380, height=180)
    )
    return render_svg(chart, "new-customers", "New customers per month, May to October.")


def sample_sections(*, with_altair: bool = True) -> list[ReportSection]:
    charts = [
        Chart(
            key="age-bands",
            title="Customers by age band",
            svg=_bar_svg(
                ["18–24", "25–34", "35–44", "45–54", "55+"], [8, 27, 31, 19, 15], "Age bands"
            ),
            alt="Bar chart: most customers are 25 to 44 years old (58%).",
            caption="Share of buying customers per age band; profiles table.",
        )
    ]
    if with_altair:
        charts.append(
            Chart(
                key="new-customers",
                title="New customers per month",
                svg=altair_svg(),
                alt="Line chart: new customers grew from 310 in May to 420 in October.",
                caption="First orders per calendar month; orders table.",
            )
        )
    return [
        ReportSection(
            key="who",
            title="Who the customers are",
            intro="4,819 buying customers, 85% in the US and 15% in the UK.",
            charts=charts,
            tables=[
                Table(
                    title="Customers by country",
                    columns=["Country", "Customers", "Share", "Mean CLV"],
                    rows=[
                        ["United States", "4,096", "85%", "$331"],
                        ["United Kingdom", "723", "15%", "£248"],
                    ],
                    numeric=[False, True, True, True],
                    note="Countries under 20 customers are pooled.",
                )
            ],
            notes=["Age is known for 71% of customers (CRM birth date or survey answer)."],
        ),
        ReportSection(
            key="value",
            title="Value",
            intro="Where revenue comes from and how much a customer is worth.",
            tables=[
                Table(
                    title="Value by tier",
                    columns=["Tier", "Customers", "Revenue share", "Mean CLV"],
                    rows=[
                        ["Top 10%", "482", "41%", "$1,310"],
                        ["Middle 40%", "1,928", "44%", "$402"],
                        ["Bottom 50%", "2,409", "15%", "$88"],
                    ],
                    numeric=[False, True, True, True],
                )
            ],
        ),
    ]
