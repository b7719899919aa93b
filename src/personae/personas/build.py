"""Turn each primary and negative segment into a persona document (``personae personas``).

The order of work, per segment: gather its figures (:mod:`.facts`), find its distinguishing
traits and epithet (:mod:`.epithet`), word the factual sections (:mod:`.sections`), ask the
text step for its voice (themes and real quotes), map its journey (:mod:`.journey`), derive
guidance (:mod:`.guidance`), measure quality; then name and draw everyone at once so names
stay distinct. Documents are stored in the ``personas`` table, one row per persona and
version: a re-run on unchanged data keeps the version, changed data adds one.

When the segment step kept one group for everyone (the data could not split the customers,
:func:`personae.segments.build.single_group`), its persona describes the whole base: the
bio says so and why, themes are not compared with an average they are, and without orders
the size says "no purchases" rather than leaving revenue blank.

Minimum group size (``[governance] min_group_size``, k): a segment of fewer than k is not
made a persona (the result's warnings say which and why); within a persona every fact,
trait, theme, quote and journey stage rests on at least k members (see
:mod:`personae.governance.kanon`), and the quality evidence states the rule.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from personae.config import PersonaSettings
from personae.governance.kanon import (
    DEFAULT_MIN_GROUP_SIZE,
    check_k,
    fewer_than,
    small,
    small_cell,
)
from personae.personas import epithet as ep
from personae.personas import facts as fx
from personae.personas import sections as sx
from personae.personas.avatar import avatar_svg
from personae.personas.guidance import guidance
from personae.personas.locale import home_country
from personae.personas.naming import (
    NameRequest,
    assign_names,
    normalise_country,
    normalise_gender,
)
from personae.personas.schema import (
    EMPATHY_QUADRANTS,
    Claim,
    Evidence,
    Fact,
    JourneyStage,
    Naming,
    Persona,
    QualityFigures,
    Quote,
    SizeFigures,
    VoiceTheme,
)
from personae.personas.wording import habit_word, people_word, share_words
from personae.runs import StepCannotRun
from personae.segments.build import single_group
from personae.segments.describe import humanise, money, percent
from personae.value.estimate import COUNTS_ONLY_CELL, ValueBasis, value_basis

VOICE_FACETS = {
    "goal": "goals",
    "pain_point": "pain_points",
    "frustration": "frustrations",
    "motivation": "motivations",
    "objection": "objections",
}
THEMES_PER_FACET = 3
# A quote from a theme the segment shares with everyone adds little; prefer these facets.
QUOTE_FACETS = ("goal", "pain_point", "motivation", "objection", "frustration")


# The symbol the sentences use -> the ISO code documents and reports carry.


class PersonaError(StepCannotRun):
    """Personas cannot be built; the message says what to run first."""


@dataclass
class PersonaResult:
    personas: list[Persona]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Draft:
    """A persona before naming: everything but the name, title text and avatar."""

    segment: int
    role: str
    description: dict
    stats: fx.SegmentStats
    signals: list[ep.Signal]
    epithet: ep.Epithet
    gender: str
    female_share: float | None
    age: int
    birth_year: int
    country: str
    naming_basis: list[Evidence]
    key: str
    parts: dict = field(default_factory=dict)


def _signature(role: str, signals: list[ep.Signal]) -> str:
    """A stable key for the segment: its role and strongest traits, not its number."""
    top = sorted(f"{s.attribute}={s.level or s.direction}" for s in signals[:4])
    return hashlib.sha1(("|".join([role, *top])).encode()).hexdigest()[:10]


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(p for p in out.split("-") if p)


class PersonaBuilder:
    """Builds persona documents from a segmented workspace.

    ``as_of`` fixes "today" for ages and birth cohorts (defaults to the value scores'
    as-of date, so a re-run next month names the same personas the same way).
    ``min_group_size`` is k of ``[governance] min_group_size`` (see the module doc).
    """

    def __init__(
        self,
        settings: PersonaSettings | None = None,
        *,
        currency: str = "USD",
        as_of: datetime | None = None,
        progress: Callable[[str], None] | None = None,
        min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    ) -> None:
        self.settings = settings or PersonaSettings()
        self.min_group_size = check_k(min_group_size)
        self.currency = currency
        self.as_of = as_of
        self.progress = progress
        # what the value figures rest on (read from value_models in build)
        self.basis: ValueBasis | None = None
        # the customers' country when a segment shows none, and how it was decided
        self.home: tuple[str, str] = ("US", "")
        # (reason, fix) when the segment step kept one group for everyone (read in build)
        self.single: tuple[str, str] | None = None
        self.purchases = True  # whether any customer has an order (read in build)

    # ------------------------------------------------------------------ public
    def build(self, con: duckdb.DuckDBPyConnection) -> PersonaResult:
        start = time.perf_counter()
        timings: dict[str, float] = {}
        for table, step in (("segments", "segment"), ("profiles", "build")):
            if not con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
            ).fetchall()[0][0]:
                raise PersonaError(f"no {table} table. Fix: run `personae {step}` first.")
        entity = fx.segment_entity(con)
        fx.register_population(con, entity)
        k = self.min_group_size
        self.basis = value_basis(con)
        self.single = single_group(con)
        self.home = home_country(con)
        self.purchases = entity == "account" or _has_purchases(con)
        money = self.basis is None or self.basis.monetary
        stats = fx.gather(con, entity, k, money=money)
        timings["facts"] = time.perf_counter() - start
        descriptions = self._descriptions(con)
        as_of = self.as_of or self._as_of(con)
        drafts = []
        warnings: list[str] = []
        unit = "accounts" if entity == "account" else "customers"
        for d in descriptions:
            if d["role"] not in ("primary", "negative"):
                continue
            if small(int(d["size"]), k):
                warnings.append(
                    f"segment {d['segment']} ({d['role']}): no persona built — "
                    f"{fewer_than(k, unit)} (minimum group size)"
                )
                continue
            drafts.append(self._draft(d, stats[d["segment"]], entity, as_of.year))
        for draft, distinct in zip(
            drafts, ep.make_distinct([d.epithet for d in drafts]), strict=True
        ):
            draft.epithet = distinct
        self._name(drafts, entity)
        data_version = self.data_version(con)
        personas: list[Persona] = []
        for draft in drafts:
            if self.progress:
                self.progress(f"Writing persona {draft.parts['name']}, the {draft.epithet.text}")
            t = time.perf_counter()
            fx.register_members(con, draft.segment)
            persona = self._persona(con, draft, entity, data_version, warnings)
            personas.append(persona)
            timings[f"persona {draft.segment}"] = time.perf_counter() - t
        from personae.personas.journey import drop_record_links

        drop_record_links(con)
        t = time.perf_counter()
        if self.settings.narrative.enabled:
            self._narrate(personas, warnings)
        timings["narrative"] = time.perf_counter() - t
        store(con, personas)
        return PersonaResult(personas, time.perf_counter() - start, warnings, timings)

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _descriptions(con: duckdb.DuckDBPyConnection) -> list[dict]:
        frame = con.execute(
            "SELECT segment, name, role, size, share, revenue_share, mean_value, stability, "
            "reasons, sentences, differences FROM segment_descriptions ORDER BY segment"
        ).df()
        out = []
        for row in frame.to_dict("records"):
            row["differences"] = json.loads(row["differences"] or "[]")
            row["reasons"] = list(row["reasons"] if row["reasons"] is not None else [])
            out.append(row)
        return out

    @staticmethod
    def _as_of(con: duckdb.DuckDBPyConnection) -> datetime:
        try:
            got = con.execute("SELECT max(as_of) FROM value_scores").fetchall()[0][0]
        except duckdb.Error:
            got = None
        if got is None:
            try:
                got = con.execute("SELECT max(as_of) FROM profiles").fetchall()[0][0]
            except duckdb.Error:
                got = None
        return got if isinstance(got, datetime) else datetime.now(UTC)

    @staticmethod
    def data_version(con: duckdb.DuckDBPyConnection) -> str:
        """A fingerprint of the segments the personas are built on."""
        rows = con.execute(
            "SELECT segment, size, round(share, 6), round(coalesce(mean_value, 0), 2), name "
            "FROM segment_descriptions ORDER BY segment"
        ).fetchall()
        return hashlib.sha1(repr(rows).encode()).hexdigest()[:12]

    # ------------------------------------------------------------------ drafting
    def _draft(self, d: dict, stats: fx.SegmentStats, entity: str, year: int) -> _Draft:
        signals = ep.signals(stats)
        gender_stat = stats.categories.get("gender")
        female = gender_stat.level("female") if gender_stat else None
        female_share = female.share if female else None
        top_gender = gender_stat.top if gender_stat else None
        gender = normalise_gender(top_gender.level if top_gender else None)
        if top_gender is not None and top_gender.share < 0.55:
            gender = "unknown"
        age_stat = stats.numbers.get("age")
        age = round(age_stat.median) if age_stat else 40
        country_stat = stats.categories.get("account_country") or stats.categories.get("country")
        known = country_stat.top.level if country_stat and country_stat.top else None
        home, home_note = self.home
        country = normalise_country(self.settings.country or known or home)
        negative = d["role"] == "negative"
        epithet = ep.choose_epithet(
            signals,
            negative=negative,
            birth_year=year - age if age_stat else None,
            female_share=female_share,
            b2b=entity == "account",
            extra=ep.user_rules(self.settings.epithets),
        )
        basis: list[Evidence] = []
        if gender_stat and top_gender:
            basis.append(sx.level_evidence(gender_stat, top_gender, "typical gender"))
        if age_stat:
            basis.append(sx.number_evidence(age_stat))
        if country_stat and country_stat.top:
            basis.append(sx.level_evidence(country_stat, country_stat.top, "typical country"))
        elif not self.settings.country:
            basis.append(Evidence(kind="model", source="locale", note=home_note))
        if not basis:
            basis.append(
                Evidence(kind="model", source="personas", note="no demographics: default name")
            )
        return _Draft(
            segment=int(d["segment"]),
            role=d["role"],
            description=d,
            stats=stats,
            signals=signals,
            epithet=epithet,
            gender=gender,
            female_share=female_share,
            age=age,
            birth_year=year - age,
            country=country,
            naming_basis=basis,
            key=_signature(d["role"], signals),
        )

    def _name(self, drafts: list[_Draft], entity: str) -> None:
        names = assign_names(
            [NameRequest(d.gender, d.birth_year, d.country, d.key) for d in drafts]
        )
        used_ids: set[str] = set()
        for draft, name in zip(drafts, names, strict=True):
            base = _slug(draft.epithet.text) or f"segment-{draft.segment}"
            pid = base
            n = 2
            while pid in used_ids:
                pid, n = f"{base}-{n}", n + 1
            used_ids.add(pid)
            draft.parts["name"] = name
            draft.parts["id"] = pid
            draft.parts["avatar"] = avatar_svg(
                draft.gender,
                draft.age,
                draft.key,
                professional=entity == "account",
                title=f"Illustration of {name}, the {draft.epithet.text}",
            )

    # ------------------------------------------------------------------ one persona
    def _persona(
        self,
        con: duckdb.DuckDBPyConnection,
        draft: _Draft,
        entity: str,
        data_version: str,
        warnings: list[str],
    ) -> Persona:
        d, stats = draft.description, draft.stats
        name, epithet = draft.parts["name"], draft.epithet.text
        negative = draft.role == "negative"
        title = Claim(
            text=f"{name}, the {epithet}",
            evidence=[s.evidence() for s in draft.epithet.used]
            or [Evidence(kind="model", source="personas", note="birth cohort of the median age")],
        )
        demographics = sx.demographics(stats)
        firmographics = sx.firmographics(stats) if entity == "account" else []
        psycho = sx.psychographics(stats)
        behaviour = sx.buying_behaviour(stats, self.currency)
        channels = sx.communication_channels(stats)
        voice = self._voice(con, warnings)
        themes = {facet: self._themes(voice, facet) for facet in VOICE_FACETS}
        quotes = self._quotes(voice)
        journey = self._journey(con, warnings)
        reasons = [
            Claim(
                text=r,
                evidence=[
                    Evidence(
                        kind="statistic",
                        source="segment_descriptions.reasons",
                        note="negative-segment rule: a measure at least negative_ratio × "
                        "the average (see docs/segments.md)",
                        n=int(d["size"]),
                    )
                ],
            )
            for r in d["reasons"]
        ] if negative else []  # fmt: skip
        size = self._size(d, entity)
        bio = self._bio(draft, name, size, demographics, firmographics, behaviour, themes)
        empathy = self._empathy(quotes, themes, behaviour, stats)
        advice = guidance(
            negative=negative,
            reasons=reasons,
            behaviour=behaviour,
            channels=channels,
            psychographics=psycho,
            goals=themes["goal"],
            motivations=themes["motivation"],
            pains=themes["pain_point"] + themes["frustration"],
            objections=themes["objection"],
            journey=journey,
        )
        persona = Persona(
            id=draft.parts["id"],
            segment=draft.segment,
            segment_name=str(d["name"]),
            role=draft.role,  # type: ignore[arg-type]
            entity=entity,  # type: ignore[arg-type]
            name=name,
            title=title,
            epithet=epithet,
            naming=Naming(
                first_name=name,
                gender=draft.gender,  # type: ignore[arg-type]
                age=draft.age,
                birth_decade=draft.birth_year // 10 * 10,
                country=draft.country,
                avatar_svg=draft.parts["avatar"],
                basis=draft.naming_basis,
            ),
            bio=bio,
            demographics=demographics,
            firmographics=firmographics,
            psychographics=psycho,
            goals=themes["goal"],
            pain_points=themes["pain_point"],
            frustrations=themes["frustration"],
            motivations=themes["motivation"],
            objections=themes["objection"],
            quotes=quotes,
            buying_behaviour=behaviour,
            communication_channels=channels,
            empathy_map=empathy,
            journey=journey,
            guidance=advice,
            size=size,
            quality=QualityFigures(
                coverage=0,
                distinctiveness=0,
                stability=None,
                prevalence=0,
                evidence=[Evidence(kind="model", source="personas")],
            ),
            data_version=data_version,
        )
        persona.quality = self._quality(con, persona, draft)
        return persona

    def _size(self, d: dict, entity: str) -> SizeFigures:
        unit = "accounts" if entity == "account" else "customers"
        mean_clv = d["mean_value"]
        mean_clv = None if mean_clv is None or not math.isfinite(mean_clv) else float(mean_clv)
        basis = self.basis
        note = basis.sentence() if basis is not None else ""
        money = basis is None or basis.monetary
        if basis is None and not self.purchases:
            note = NO_PURCHASES
            counted = "share of everyone segmented; no purchases, so no revenue or value"
        elif not money:
            counted = "share of everyone segmented; " + COUNTS_ONLY_CELL
        elif basis is not None and basis.fallback:
            counted = (
                "share and revenue share of everyone segmented; mean lifetime value "
                "estimated from past purchase rates (value_scores)"
            )
        else:
            counted = (
                "share and revenue share of everyone segmented; mean predicted lifetime "
                "value from value_scores"
            )
        return SizeFigures(
            customers=int(d["size"]),
            share=float(d["share"]),
            revenue_share=_share_or_none(d["revenue_share"]) if money else None,
            mean_clv=mean_clv if money else None,
            currency=self.currency,
            value_note=note,
            evidence=[
                Evidence(
                    kind="statistic",
                    source="segment_descriptions",
                    attribute="size",
                    segment_value=float(d["size"]),
                    n=int(d["size"]),
                    note=f"{unit} in the segment; {counted}",
                )
            ],
        )

    # ------------------------------------------------------------------ voice
    def _voice(self, con: duckdb.DuckDBPyConnection, warnings: list[str]):
        from personae.text.build import scrubber_for
        from personae.text.voice import VoiceError, group_voice

        try:
            return group_voice(
                con,
                "profile_id IN (SELECT profile_id FROM _persona_members)",
                top=THEMES_PER_FACET,
                quotes=max(self.settings.quotes, 2),
                scrubber=scrubber_for(con, []),
                min_group_size=self.min_group_size,
                quote_from="p.profile_id IN (SELECT profile_id FROM _persona_members "
                "WHERE typical)",
            )
        except VoiceError as exc:
            warnings.append(f"no voice of the customer: {exc}")
            return None

    def _themes(self, voice, facet: str) -> list[VoiceTheme]:
        if voice is None:
            return []
        quotes = {q.theme_label: q for q in voice.quotes.get(facet, [])}
        writers = voice.writers.get(facet, 0)
        if small(writers, self.min_group_size):
            return []
        out = []
        everyone = self.single is not None  # the group is the average: no lift to state
        for t in voice.themes.get(facet, [])[:THEMES_PER_FACET]:
            if t.lift < 1.0 and out and not everyone:
                continue
            q = quotes.get(t.label)
            evidence = [
                Evidence(
                    kind="statistic",
                    source="text_profile_attributes",
                    attribute=f"theme_{facet}",
                    level=t.label,
                    segment_value=t.share,
                    overall_value=t.overall,
                    lift=t.lift,
                    n=writers,
                    note="mean member share of the theme among members who wrote about "
                    f"this facet; {self._holders(t.members)} have it as their main theme",
                )
            ]
            if q is not None:
                evidence.append(
                    Evidence(
                        kind="quote",
                        source=f"text_snippets ({q.source})",
                        record_ids=[q.record_id],
                        note=f"snippet {q.snippet_id}",
                    )
                )
            out.append(
                VoiceTheme(
                    facet=facet,
                    label=t.label,
                    share=t.share,
                    lift=t.lift,
                    quote=q.text if q else None,
                    text=f"{humanise(t.label).capitalize()} — {percent(t.share)} of what "
                    f"they write on this" + ("" if everyone else f" ({t.lift:.1f}× the average)"),
                    evidence=evidence,
                )
            )
        return out

    def _holders(self, n: int) -> str:
        """A count of members in words, never a small one (the minimum group size)."""
        k = self.min_group_size
        return fewer_than(k, "members") if small_cell(n, k) else f"{n:,} members"

    def _quotes(self, voice) -> list[Quote]:
        if voice is None:
            return []
        picked: list[Quote] = []
        seen: set[str] = set()
        rounds = [[qs[i] for qs in (voice.quotes.get(f, []) for f in QUOTE_FACETS) if len(qs) > i]
                  for i in range(5)]  # fmt: skip
        for q in (q for r in rounds for q in r):
            if len(picked) >= self.settings.quotes:
                break
            if q.record_id in seen or (q.profile_id and q.profile_id in seen):
                continue
            seen.update({q.record_id, q.profile_id or q.record_id})
            picked.append(
                Quote(
                    facet=q.facet,
                    source_kind=q.source,
                    record_id=q.record_id,
                    theme=q.theme_label,
                    sentiment=q.sentiment,
                    text=q.text,
                    evidence=[
                        Evidence(
                            kind="quote",
                            source=f"text_snippets ({q.source})",
                            record_ids=[q.record_id],
                            note=f"document {q.doc_id}, snippet {q.snippet_id}; PII scrubbed",
                        )
                    ],
                )
            )
        return picked

    # ------------------------------------------------------------------ journey
    def _journey(self, con: duckdb.DuckDBPyConnection, warnings: list[str]) -> list[JourneyStage]:
        try:
            from personae.personas.journey import journey_map
        except ImportError:  # pragma: no cover - the module ships with the package
            return []
        try:
            return journey_map(con, "_persona_members", min_group_size=self.min_group_size)
        except duckdb.Error as exc:
            warnings.append(f"journey map skipped: {exc}")
            return []

    # ------------------------------------------------------------------ writing
    def _bio(
        self,
        draft: _Draft,
        name: str,
        size: SizeFigures,
        demographics: list[Fact],
        firmographics: list[Fact],
        behaviour: list[Fact],
        themes: dict[str, list[VoiceTheme]],
    ) -> list[Claim]:
        """Three to five sentences over the strongest facts; the template of each sentence
        is picked from the persona key, so personas do not all read alike."""
        pick = int(draft.key[:4], 16)
        unit = "accounts" if firmographics else "customers"
        they = {"female": "She", "male": "He"}.get(draft.gender, "They")
        if self.single is not None:  # the one group for everyone: say so, and why
            reason, fix = self.single
            opener = [
                f"{name} stands for all {size.customers:,} {unit}: this persona describes "
                f"everyone, in one group, because {reason}."
            ] * 2
            size = size.model_copy(
                update={
                    "evidence": [
                        *size.evidence,
                        Evidence(kind="model", source="segment_models", note=fix),
                    ]
                }
            )
        elif size.revenue_share is None:  # no purchases in the workspace
            opener = [
                f"{name} stands for {size.customers:,} {unit}, {percent(size.share)} of the base.",
                f"{percent(size.share)} of {unit} ({size.customers:,}) look like {name}.",
            ]
        else:
            opener = [
                f"{name} stands for {size.customers:,} {unit}, {percent(size.share)} of the "
                f"base, who bring {percent(size.revenue_share)} of revenue.",
                f"{percent(size.share)} of {unit} ({size.customers:,}) look like {name}; "
                f"together they bring {percent(size.revenue_share)} of revenue.",
            ]
        out = [Claim(text=opener[pick % 2], evidence=size.evidence)]
        who = self._who(demographics, firmographics)
        if who is not None:
            out.append(who)
        # only what holds for the typical member: a purchase interval that rests on the few
        # who bought twice is in the facts, with whom it describes, not in the bio
        how = [f for f in behaviour if f.label in ("Purchase frequency", "Channel", "Time of day",
                                                     "Order value")
               and (f.coverage is None or f.coverage >= share_words().min_coverage)]  # fmt: skip
        if how:
            bits = {f.label: f for f in how}
            words = []
            if "Purchase frequency" in bits:
                words.append(f"buys {bits['Purchase frequency'].value}")
            if "Order value" in bits:
                words.append(f"spends about {bits['Order value'].value} an order")
            for label in ("Channel", "Time of day"):
                if label in bits:
                    f = bits[label]
                    words.append(f"{habit_word(f.share or 0.0)} {f.value}")
            subject = they if they != "They" else "They"
            verb_fix = (lambda w: w) if they != "They" else (
                lambda w: w.replace("buys ", "buy ").replace("spends ", "spend "))  # fmt: skip
            sentence = f"{subject} " + verb_fix(", ".join(words)) + "."
            out.append(Claim(text=sentence, evidence=[e for f in how for e in f.evidence]))
        goal = themes["goal"][:1] or themes["motivation"][:1]
        pain = themes["pain_point"][:1] or themes["frustration"][:1]
        if goal:
            g = goal[0]
            text = [f"What matters most in their own words: “{g.label}”.",
                    f"They keep coming back to “{g.label}”."][pick // 4 % 2]  # fmt: skip
            out.append(Claim(text=text, evidence=g.evidence))
        if pain:
            p = pain[0]
            out.append(Claim(text=f"What gets in the way: “{p.label}”.", evidence=p.evidence))
        return out

    @staticmethod
    def _who(demographics: list[Fact], firmographics: list[Fact]) -> Claim | None:
        """ "Mostly women (92%), 43 years old, family with young children, in the US." """
        facts = {f.label: f for f in (firmographics or demographics)}
        words, used = [], []
        for label, fmt in (
            ("Gender", lambda f: f"{people_word(f.share or 0)} {f.value} ({percent(f.share)})"),
            ("Age", lambda f: f"{f.value} years old"),
            ("Household", lambda f: f.value.lower()),
            ("Industry", lambda f: f"in {f.value} ({percent(f.share or 0)})"),
            ("Company size", lambda f: f"{f.value}"),
            ("Typical contact", lambda f: f"typically reached through a {f.value}"),
            (
                "Country",
                lambda f: f"in the {f.value}" if f.value in ("US", "UK") else f"in {f.value}",
            ),
        ):
            f = facts.get(label)
            if label == "Gender" and f is not None:
                overall = f.evidence[0].overall_value if f.evidence else None
                if people_word(f.share or 0.0, overall) is None:
                    continue  # half and half, or no more than everyone: no claim
            if f is not None and (f.share is None or f.share >= 0.3):
                words.append(fmt(f))
                used.append(f)
        if not words:
            return None
        text = words[0][:1].upper() + words[0][1:] + "".join(", " + w for w in words[1:]) + "."
        return Claim(text=text, evidence=[e for f in used for e in f.evidence])

    def _empathy(
        self,
        quotes: list[Quote],
        themes: dict[str, list[VoiceTheme]],
        behaviour: list[Fact],
        stats: fx.SegmentStats,
    ) -> dict[str, list[Claim]]:
        says = [Claim(text=f"“{q.text}”", evidence=q.evidence) for q in quotes[:3]]
        thinks = [
            Claim(text=f"Wants: {t.label}", evidence=t.evidence) for t in themes["goal"][:2]
        ] + [
            Claim(text=f"Hesitates over: {t.label}", evidence=t.evidence)
            for t in themes["objection"][:1]
        ]
        does = [Claim(text=f.text, evidence=f.evidence) for f in behaviour[:4]]
        feels = [
            Claim(text=f"Frustrated by: {t.label}", evidence=t.evidence)
            for t in (themes["pain_point"][:1] + themes["frustration"][:1])
        ]
        sentiment = stats.numbers.get("text_sentiment")
        if sentiment is not None and sentiment.n:
            mood = (
                "positive"
                if sentiment.mean > 0.05
                else "negative"
                if sentiment.mean < -0.05
                else "mixed"
            )
            feels.append(
                Claim(
                    text=f"Mostly {mood} when they write to us (mean sentiment "
                    f"{sentiment.mean:+.2f}, overall {sentiment.overall_mean:+.2f})",
                    evidence=[sx.number_evidence(sentiment, "mean")],
                )
            )
        out = {"says": says, "thinks": thinks, "does": does, "feels": feels}
        return {k: out[k] for k in EMPATHY_QUADRANTS}

    # ------------------------------------------------------------------ quality
    def _quality(
        self, con: duckdb.DuckDBPyConnection, persona: Persona, draft: _Draft
    ) -> QualityFigures:
        slots = {
            "who": bool(persona.demographics or persona.firmographics),
            "psychographics": bool(persona.psychographics),
            "goals": bool(persona.goals),
            "pain points": bool(persona.pain_points or persona.frustrations),
            "motivations": bool(persona.motivations),
            "objections": bool(persona.objections),
            "quotes": len(persona.quotes) >= 3,
            "buying behaviour": bool(persona.buying_behaviour),
            "channels": bool(persona.communication_channels),
            "journey": bool(persona.journey),
        }
        coverage = sum(slots.values()) / len(slots)
        effects = []
        for s in draft.signals[:8]:
            if s.level is not None and s.share is not None and s.overall is not None:
                h = 2 * math.asin(math.sqrt(s.share)) - 2 * math.asin(math.sqrt(s.overall))
                effects.append(abs(h))
            elif s.std_diff is not None:
                effects.append(abs(s.std_diff))
        distinct = sum(effects) / len(effects) if effects else 0.0
        stability = draft.description.get("stability")
        stability = float(stability) if stability is not None and math.isfinite(stability) else None
        prevalence, claimed = self._prevalence(con, draft)
        k = self.min_group_size
        people = int(draft.stats.people)
        prevalence_note = (
            "prevalence: share of members matching at least half of the claimed traits they "
            "have values for: " + "; ".join(claimed)
        )
        if small(people, k) or small_cell(round(prevalence * people), k):
            prevalence = 0.0
            prevalence_note = (
                f"prevalence: not shown — {fewer_than(k, 'members')} (minimum group size)"
            )
        missing = [name for name, v in slots.items() if not v]
        return QualityFigures(
            coverage=coverage,
            distinctiveness=distinct,
            stability=stability,
            prevalence=prevalence,
            evidence=[
                Evidence(
                    kind="model",
                    source="personas",
                    segment_value=coverage,
                    note="coverage: sections filled from data"
                    + (f"; missing: {', '.join(missing)}" if missing else ""),
                ),
                Evidence(
                    kind="statistic",
                    source="personas",
                    segment_value=distinct,
                    n=people,
                    note=f"distinctiveness: mean |effect size| of the {len(effects)} "
                    "strongest traits (Cohen's h for shares, standardised difference "
                    "for numbers)",
                ),
                Evidence(
                    kind="statistic",
                    source="segment_descriptions.stability",
                    segment_value=stability,
                    note="mean bootstrap Jaccard of the segment",
                ),
                Evidence(
                    kind="statistic",
                    source="profiles",
                    segment_value=prevalence,
                    n=people,
                    note=prevalence_note,
                ),
                Evidence(
                    kind="model",
                    source="governance",
                    note=f"minimum group size {k}: facts, traits, themes, quotes and journey "
                    f"stages resting on {fewer_than(k, 'members')} are not shown",
                ),
            ],
        )

    @staticmethod
    def _prevalence(con: duckdb.DuckDBPyConnection, draft: _Draft) -> tuple[float, list[str]]:
        """Share of members who match at least half of the claimed category traits (those
        in the title and the strongest person-level ones) they have a value for."""
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name='profiles'"
            ).fetchall()
        }
        claimed = []
        for s in [*draft.epithet.used, *draft.signals]:
            if s.level is None or s.attribute not in columns or s.source != "profiles":
                continue
            if any(c[0] == s.attribute for c in claimed):
                continue
            claimed.append((s.attribute, s.level))
            if len(claimed) >= 4:
                break
        if not claimed:
            return 0.0, []
        known = " + ".join(f"CASE WHEN p.{a} IS NOT NULL THEN 1 ELSE 0 END" for a, _ in claimed)
        hits = " + ".join(
            f"CASE WHEN CAST(p.{a} AS VARCHAR) = ? THEN 1 ELSE 0 END" for a, _ in claimed
        )
        row = con.execute(
            f"SELECT avg(CASE WHEN k > 0 AND h * 2 >= k THEN 1.0 ELSE 0.0 END) FROM ("
            f"SELECT {known} AS k, {hits} AS h FROM profiles p "
            "JOIN _persona_members USING (profile_id))",
            [lv for _, lv in claimed],
        ).fetchall()[0][0]
        return float(row or 0.0), [f"{a} = {lv}" for a, lv in claimed]

    # ------------------------------------------------------------------ narrative
    def _narrate(self, personas: list[Persona], warnings: list[str]) -> None:
        from personae.personas.narrative import NarrativeWriter, facts_from_persona

        writer = NarrativeWriter(self.settings.narrative)
        for persona in personas:
            outcome = writer.write(facts_from_persona(persona))
            if outcome.narrative is not None:
                persona.narrative = outcome.narrative
            else:
                warnings.append(f"narrative for {persona.name} rejected: {outcome.reason}")


def store(con: duckdb.DuckDBPyConnection, personas: list[Persona]) -> None:
    """Keep every version: unchanged documents keep their version, changed ones add one."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS personas (id VARCHAR, version INTEGER, current BOOLEAN, "
        "segment INTEGER, role VARCHAR, name VARCHAR, title VARCHAR, data_version VARCHAR, "
        "document JSON, built_at TIMESTAMP)"
    )
    latest = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "SELECT id, max(version), arg_max(data_version, version) FROM personas GROUP BY id"
        ).fetchall()
    }
    con.execute("UPDATE personas SET current = false")
    now = datetime.now(UTC).replace(tzinfo=None)
    for p in personas:
        version, data_version = latest.get(p.id, (0, None))
        doc = p.model_dump_json()
        if data_version == p.data_version and version:
            con.execute(
                "UPDATE personas SET current = true, document = ?, segment = ?, name = ?, "
                "title = ? WHERE id = ? AND version = ?",
                [doc, p.segment, p.name, p.title.text, p.id, version],
            )
            continue
        con.execute(
            "INSERT INTO personas VALUES (?, ?, true, ?, ?, ?, ?, ?, ?, ?)",
            [p.id, version + 1, p.segment, p.role, p.name, p.title.text, p.data_version, doc, now],
        )


NO_PURCHASES = (
    "No purchases: the data holds no orders, so there is no revenue or lifetime value. "
    "To add them: `personae add FILE -w WORKSPACE --kind orders`, then `personae run`."
)


def _has_purchases(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any profile has an order (the value step may simply not have run yet)."""
    try:
        return bool(con.execute("SELECT coalesce(max(orders), 0) > 0 FROM profiles").fetchone()[0])
    except duckdb.Error:  # no orders column: no orders source was ever built
        return False


def _share_or_none(value) -> float | None:
    """A revenue share, or None when there is no revenue to share (NaN, NULL)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def load_personas(con: duckdb.DuckDBPyConnection) -> list[Persona]:
    """The current persona documents, primary first, in segment order."""
    rows = con.execute(
        "SELECT document FROM personas WHERE current ORDER BY role = 'negative', segment"
    ).fetchall()
    return [Persona.model_validate_json(r[0]) for r in rows]


def summary_rows(personas: list[Persona]) -> list[dict]:
    """One row per persona for terminal tables and the README."""
    return [
        {
            "persona": p.title.text,
            "role": p.role,
            "customers": p.size.customers,
            "share": percent(p.size.share),
            "revenue": "" if p.size.revenue_share is None else percent(p.size.revenue_share),
            "mean_clv": money(p.size.mean_clv, p.size.currency) if p.size.mean_clv else "",
            "stability": f"{p.quality.stability:.2f}" if p.quality.stability else "",
            "prevalence": percent(p.quality.prevalence),
        }
        for p in personas
    ]
