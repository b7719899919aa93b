"""The persona document: what a persona holds, and where every statement in it comes from.

A persona is semi-fictional by design (a name and a face stand for a segment), so the
document separates the two kinds of content sharply:

* **Claims** (:class:`Claim` and its subclasses) are statements about real customers. Each
  carries at least one :class:`Evidence`: the statistic it rests on (segment value, overall
  value, lift, p-value, the number of members it was computed on, and the table it came
  from) or the source records behind it (a quote's survey response, ticket or review id).
  ``tests/test_persona_provenance.py`` walks every document and fails on a claim without
  evidence.
* **The invented parts** (name and avatar) carry the facts they were chosen *from*
  (typical gender, birth cohort, country) so a reader can see they are illustrative.

The JSON Schema of :class:`Persona` is published as ``docs/persona.schema.json``
(``personae personas --schema`` prints it); a test keeps the file in step with this module.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

JOURNEY_STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")
EMPATHY_QUADRANTS = ("says", "thinks", "does", "feels")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """What a claim rests on: a statistic over the segment, or source records."""

    kind: Literal["statistic", "quote", "records", "model"] = Field(
        description="statistic: a computed figure; quote: a customer's own words; records: "
        "counted source records (events, orders); model: a fitted model's output."
    )
    source: str = Field(
        description="Where it was computed from: a workspace table (e.g. "
        "'segment_descriptions.differences', 'profiles', 'value_scores', 'raw_events', "
        "'text_snippets') or a computation named in docs/personas.md."
    )
    attribute: str | None = Field(None, description="Profile attribute or measure.")
    level: str | None = Field(None, description="Category level, for a categorical attribute.")
    segment_value: float | None = Field(None, description="The value among segment members.")
    overall_value: float | None = Field(None, description="The same value among everyone.")
    lift: float | None = Field(None, description="segment_value / overall_value.")
    std_diff: float | None = Field(None, description="Standardised difference, for numbers.")
    p_value: float | None = Field(None, description="Bonferroni-adjusted test p-value.")
    n: int | None = Field(None, description="Members the figure was computed on.")
    record_ids: list[str] = Field(
        default_factory=list, description="Source record ids (quotes, examples)."
    )
    note: str | None = Field(None, description="How the figure was computed, in words.")


class Claim(_Model):
    """A statement about the segment's real customers, with its evidence."""

    text: str
    evidence: list[Evidence] = Field(min_length=1)


class Fact(Claim):
    """A labelled attribute value: 'Age: 29 on average', 'Channel: app (61%)'."""

    label: str
    value: str
    share: float | None = Field(None, description="Share of members it applies to, 0..1.")
    coverage: float | None = Field(
        None,
        description="Share of members the figure rests on (those with a value), 0..1; under "
        "half, the figure is not stated as the persona's.",
    )


class VoiceTheme(Claim):
    """A goal, pain point, frustration, motivation or objection from what members wrote."""

    facet: str
    label: str
    share: float = Field(description="Mean member share of this theme (writers of the facet).")
    lift: float = Field(description="Share in the segment over share among everyone.")
    quote: str | None = Field(None, description="A real member quote of the theme, if any.")


class Quote(Claim):
    """A real quote: PII-scrubbed, with the record it came from."""

    facet: str
    source_kind: str = Field(description="survey | ticket | review | social")
    record_id: str
    theme: str | None = None
    sentiment: float | None = None


class Naming(_Model):
    """The invented name and face, and the facts they were chosen from."""

    first_name: str
    gender: Literal["female", "male", "unknown"]
    age: int = Field(description="The segment's median age (or typical age band midpoint).")
    birth_decade: int
    country: str
    avatar_svg: str = Field(description="Self-contained SVG (no external references).")
    basis: list[Evidence] = Field(min_length=1)


class JourneyStage(_Model):
    """One stage of the journey: how many members reach it, how, and how they feel."""

    stage: Literal["awareness", "consideration", "purchase", "retention", "advocacy"]
    reached: int = Field(description="Members who reached this stage.")
    reached_share: float = Field(description="Share of all members who reached this stage.")
    conversion: float | None = Field(
        None, description="Share of the previous stage's members who reached this one."
    )
    drop_off: float | None = Field(None, description="1 - conversion.")
    touchpoints: list[Fact] = Field(default_factory=list)
    sentiment: float | None = Field(
        None, description="Mean sentiment (-1..1) of what members wrote at this stage."
    )
    sentiment_n: int = 0
    claims: list[Claim] = Field(default_factory=list)


class Guidance(_Model):
    """What marketing should do with this persona (rules over the facts, never free text)."""

    messaging: list[Claim] = Field(default_factory=list)
    channels: list[Claim] = Field(default_factory=list)
    content: dict[str, list[Claim]] = Field(
        default_factory=dict, description="Content ideas by journey stage."
    )
    offers: list[Claim] = Field(default_factory=list)
    avoid: list[Claim] = Field(default_factory=list)
    deter: list[Claim] = Field(
        default_factory=list,
        description="Negative personas only: how to stop attracting this kind of customer.",
    )


class SizeFigures(_Model):
    customers: int
    share: float
    revenue_share: float | None  # None: the workspace has no revenue (no orders)
    mean_clv: float | None
    currency: str
    evidence: list[Evidence] = Field(min_length=1)
    value_note: str = Field(
        "",
        description="What the value figures rest on, in plain words, when it is not the "
        "fitted lifetime-value model: the historical estimate (the model did not fit) or "
        "purchase counts only (no order amounts). Empty for a model that fitted.",
    )


class QualityFigures(_Model):
    """How much to trust the persona.

    * coverage: share of the persona's attribute slots filled from data (not left empty);
    * distinctiveness: mean |log lift| / standardised difference of its claimed traits —
      how different it is from the average customer;
    * stability: the segment's bootstrap Jaccard (from segmentation);
    * prevalence: share of members who match at least half of the persona's claimed
      category traits (the persona is not a caricature of a few).
    """

    coverage: float
    distinctiveness: float
    stability: float | None
    prevalence: float
    evidence: list[Evidence] = Field(min_length=1)


class Narrative(_Model):
    """An optional language-model narrative, accepted only when every figure checks out."""

    model: str
    bio: str
    checked: bool = Field(description="Every number and claim was found in the facts.")


class Persona(_Model):
    """One persona document (one per primary and negative segment)."""

    schema_version: str = SCHEMA_VERSION
    id: str = Field(description="Stable id: the entity, role and segment signature.")
    segment: int
    segment_name: str
    role: Literal["primary", "negative"]
    entity: Literal["person", "account"]
    name: str = Field(description="First name only: the persona is illustrative.")
    title: Claim = Field(description="'Sarah, the Busy Professional Mom': name + epithet.")
    epithet: str
    naming: Naming
    bio: list[Claim] = Field(min_length=1)
    demographics: list[Fact] = Field(default_factory=list)
    firmographics: list[Fact] = Field(default_factory=list)
    psychographics: list[Fact] = Field(default_factory=list)
    goals: list[VoiceTheme] = Field(default_factory=list)
    pain_points: list[VoiceTheme] = Field(default_factory=list)
    frustrations: list[VoiceTheme] = Field(default_factory=list)
    motivations: list[VoiceTheme] = Field(default_factory=list)
    objections: list[VoiceTheme] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    buying_behaviour: list[Fact] = Field(default_factory=list)
    communication_channels: list[Fact] = Field(default_factory=list)
    empathy_map: dict[str, list[Claim]] = Field(
        default_factory=dict, description="says, thinks, does, feels."
    )
    journey: list[JourneyStage] = Field(default_factory=list)
    guidance: Guidance = Field(default_factory=Guidance)
    size: SizeFigures
    quality: QualityFigures
    narrative: Narrative | None = None
    data_version: str = Field(description="Fingerprint of the inputs the persona was built on.")


def persona_json_schema() -> dict:
    """The published JSON Schema of a persona document."""
    schema = Persona.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://personae.dev/schema/persona-1.0.json"
    return schema
