"""``personae.toml``: the workspace's settings, validated so that a mistake names its key.

The file written by ``personae init`` lists every setting with its default and a comment;
:data:`DEFAULT_TOML` is that text. Loading goes through pydantic models that forbid unknown
keys, and :class:`ConfigError` turns pydantic's errors into one line per bad key with the fix.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from personae.ingest.schema import KINDS

CONFIG_FILE = "personae.toml"


class ConfigError(Exception):
    """``personae.toml`` is unreadable or holds a bad setting."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(_Strict):
    name: str = "personae"
    database: str = "personae.duckdb"
    # the reporting currency (ISO code, e.g. "GBP"); empty = inferred from the orders
    currency: str = ""
    # orders in other currencies: units of the reporting currency per unit ({EUR = 0.85})
    currency_rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for code, rate in value.items():
            if not re.fullmatch(r"[A-Za-z]{3}", code) or not rate > 0:
                raise ValueError(
                    f"currency_rates needs ISO codes and positive rates, e.g. EUR = 0.85; "
                    f"got {code} = {rate}"
                )
        return {c.upper(): float(r) for c, r in value.items()}


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'UTC', "
            "'Europe/London' or 'America/New_York'"
        ) from None
    return value


class EngineSettings(_Strict):
    backend: Literal["duckdb", "spark"] = "duckdb"
    spark_cores: int = Field(2, ge=1)
    spark_memory: str = Field("2g", pattern=r"^[0-9]+[kmgt]$")
    memory_limit: str = Field("", pattern=r"^$|^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    threads: int = Field(0, ge=0)


class IngestSettings(_Strict):
    """``default_calling_code`` "" = that of the phone region (``[identity] region``)."""

    timezone: str = "UTC"
    date_order: Literal["MDY", "DMY"] = "MDY"
    default_calling_code: str = Field("", pattern=r"^(\+?[0-9]{1,3})?$")
    batch_rows: int = Field(50_000, ge=100)
    strict: bool = False

    _tz = field_validator("timezone")(_check_timezone)


IDENTIFIER_TYPES = (
    "user_id",
    "crm_id",
    "external_id",
    "email",
    "phone",
    "social_handle",
    "device_id",
    "anonymous_id",
    "response_id",
)
"""Person identifier types, highest priority first (the default ``priority``)."""


class FuzzySettings(_Strict):
    enabled: bool = False
    threshold: float = Field(0.95, ge=0.5, le=1.0)


class IdentitySettings(_Strict):
    # "" = the region the data's phone numbers show (see ``region``)
    default_region: str = Field("", pattern=r"^([A-Z]{2})?$")
    # what the ingested files showed (ingest_decisions), set by the workspace on connect
    _inferred_region: str = PrivateAttr("")
    email_strip_plus_tags: bool = True
    email_ignore_dots_domains: list[str] = Field(
        default_factory=lambda: ["gmail.com", "googlemail.com"]
    )
    blocked_values: list[str] = Field(
        default_factory=lambda: [
            "",
            "0",
            "-1",
            "null",
            "none",
            "nil",
            "n/a",
            "na",
            "undefined",
            "unknown",
            "anonymous",
            "guest",
            "test",
            "-",
            "none@none.com",
            "0000000000",
        ]
    )
    blocked_email_locals: list[str] = Field(
        default_factory=lambda: [
            "test",
            "none",
            "null",
            "noreply",
            "no-reply",
            "donotreply",
            "na",
            "n/a",
            "unknown",
            "asdf",
            "example",
        ]
    )
    blocked_email_domains: list[str] = Field(
        default_factory=lambda: ["example.com", "example.org", "test.com", "none.com"]
    )
    priority: list[str] = Field(default_factory=lambda: list(IDENTIFIER_TYPES))
    limits: dict[str, int] = Field(
        default_factory=lambda: {
            "user_id": 1,
            "crm_id": 3,
            "external_id": 5,
            "email": 5,
            "phone": 5,
            "social_handle": 3,
            "device_id": 10,
            "anonymous_id": 100,
            "response_id": 1000,
        }
    )
    fuzzy: FuzzySettings = Field(default_factory=FuzzySettings)

    @field_validator("priority")
    @classmethod
    def _all_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in IDENTIFIER_TYPES]
        if unknown or len(set(value)) != len(value):
            raise ValueError(
                "list each identifier type at most once, highest priority first, from: "
                + ", ".join(IDENTIFIER_TYPES)
            )
        # types left out (e.g. added by a newer personae) rank lowest, in default order
        return value + [t for t in IDENTIFIER_TYPES if t not in value]

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, value: dict[str, int]) -> dict[str, int]:
        for key, limit in value.items():
            if key not in IDENTIFIER_TYPES:
                raise ValueError(
                    f"unknown identifier type {key!r}; use one of: {', '.join(IDENTIFIER_TYPES)}"
                )
            if limit < 1:
                raise ValueError(f"limit for {key} must be at least 1")
        return value

    @property
    def region(self) -> str:
        """The phone region in force: the setting, else what the data showed, else US."""
        return self.default_region or self._inferred_region or "US"


SURVIVORSHIP_RULES = ("most_recent", "most_frequent", "source_priority")


class ProfileSettings(_Strict):
    as_of: str = Field("", pattern=r"^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    default_rule: Literal["most_recent", "most_frequent", "source_priority"] = "most_recent"
    rules: dict[str, Literal["most_recent", "most_frequent", "source_priority"]] = Field(
        default_factory=dict
    )
    source_priority: list[str] = Field(
        default_factory=lambda: [
            "contacts",
            "accounts",
            "orders",
            "events",
            "survey_responses",
            "tickets",
            "reviews",
            "email_events",
            "social_posts",
        ]
    )


class ValueSettings(_Strict):
    horizon_months: int = Field(12, ge=1, le=120)
    discount_rate: float = Field(0.01, ge=0, lt=1)
    fit_sample: int = Field(200_000, ge=100)
    penalizer: float = Field(0.0, ge=0)
    return_cost_share: float = Field(0.5, ge=0, le=1)
    seed: int = 0
    attribution: Literal["first_touch", "last_touch"] = "first_touch"
    top_share: float = Field(0.10, gt=0, lt=1)
    min_lift: float = Field(1.2, ge=1)
    min_support: int = Field(5, ge=1)


TEXT_QUESTION_CHOICES = (
    "goal",
    "motivation",
    "pain_point",
    "frustration",
    "objection",
    "auto",
    "ignore",
)


class TextSettings(_Strict):
    languages: list[str] = Field(default_factory=lambda: ["en", "und"])
    positive_threshold: float = Field(0.05, ge=-1, le=1)
    negative_threshold: float = Field(-0.05, ge=-1, le=1)
    frustration_threshold: float = Field(-0.5, ge=-1, le=1)
    motivation_threshold: float = Field(0.3, ge=-1, le=1)
    themes_per_facet: int = Field(0, ge=0, le=100)
    min_themes: int = Field(8, ge=2, le=100)
    max_themes: int = Field(40, ge=2, le=100)
    min_snippets: int = Field(40, ge=10)
    fit_sample: int = Field(100_000, ge=1000)
    seed: int = 0
    stop_words: list[str] = Field(default_factory=list)
    drop_product_names: bool = True
    allow: list[str] = Field(default_factory=list)
    quotes: int = Field(5, ge=1, le=50)
    quote_min_chars: int = Field(30, ge=1)
    quote_max_chars: int = Field(280, ge=20)
    questions: dict[str, Literal[TEXT_QUESTION_CHOICES]] = Field(  # type: ignore[valid-type]
        default_factory=dict
    )
    lexicon: dict[str, float] = Field(default_factory=dict)

    @field_validator("lexicon")
    @classmethod
    def _valence_scale(cls, value: dict[str, float]) -> dict[str, float]:
        for word, valence in value.items():
            if not -4.0 <= valence <= 4.0:
                raise ValueError(
                    f"{word!r} = {valence}: valences are on VADER's scale from -4 to 4"
                )
        return value

    @field_validator("languages")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (len(code) == 2 and code.isalpha() and code.islower()) and code != "und":
                raise ValueError(
                    f"{code!r}: use two-letter ISO 639-1 codes such as 'en', or 'und' for "
                    "texts whose language could not be told"
                )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TextSettings:
        if not self.frustration_threshold <= self.negative_threshold <= self.positive_threshold:
            raise ValueError(
                "thresholds must satisfy frustration_threshold <= negative_threshold <= "
                "positive_threshold"
            )
        if self.min_themes > self.max_themes:
            raise ValueError("min_themes must not exceed max_themes")
        if self.quote_min_chars > self.quote_max_chars:
            raise ValueError("quote_min_chars must not exceed quote_max_chars")
        return self


SEGMENT_ALGORITHMS = ("latent_class", "gmm", "kmeans")


class SegmentSettings(_Strict):
    entity: Literal["auto", "person", "account"] = "auto"
    where: str = ""
    algorithms: list[Literal[SEGMENT_ALGORITHMS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(SEGMENT_ALGORITHMS), min_length=1
    )
    k_min: int = Field(3, ge=2, le=30)
    k_max: int = Field(8, ge=2, le=30)
    bootstraps: int = Field(5, ge=2, le=100)
    min_jaccard: float = Field(0.75, ge=0, le=1)
    seed: int = 0
    sample: int = Field(10_000, ge=200)
    fit_sample: int = Field(200_000, ge=200)
    bins: int = Field(5, ge=2, le=20)
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    text: bool = True
    outliers: bool = True
    primary_max: int = Field(5, ge=1, le=20)
    primary_min: int = Field(3, ge=1, le=20)
    negative_ratio: float = Field(2.0, gt=1)

    @model_validator(mode="after")
    def _ordered(self) -> SegmentSettings:
        if self.k_min > self.k_max:
            raise ValueError("k_min must not exceed k_max")
        if self.primary_min > self.primary_max:
            raise ValueError("primary_min must not exceed primary_max")
        return self


class NarrativeSettings(_Strict):
    enabled: bool = False
    base_url: str = ""
    model: str = ""
    api_key_env: str = "PERSONAE_LLM_API_KEY"
    timeout_seconds: float = Field(60.0, gt=0)
    temperature: float = Field(0.2, ge=0, le=2)

    @model_validator(mode="after")
    def _complete(self) -> NarrativeSettings:
        if self.enabled and not (self.base_url and self.model):
            raise ValueError(
                "an enabled narrative needs base_url (an OpenAI-compatible endpoint, e.g. "
                "http://localhost:8000/v1) and model"
            )
        return self


class EpithetWords(_Strict):
    """A ``[personas.epithets]`` entry written as a table: the words a trait offers."""

    modifier: str | None = None
    noun: str | None = None
    tier: int | None = Field(None, ge=0, le=3)


class PersonaSettings(_Strict):
    quotes: int = Field(4, ge=3, le=5)
    country: str = ""
    pdf: bool = True
    # title words of this workspace: "attribute=level" or "attribute+"/"attribute-" -> a
    # noun, or {modifier, noun}; see personas/epithet.py user_rules and docs/personas.md
    epithets: dict[str, str | EpithetWords] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _epithet_keys(self) -> PersonaSettings:
        for key in self.epithets:
            if "=" not in key and not key.endswith(("+", "-")):
                raise ValueError(
                    f"[personas.epithets] key {key!r}: write 'attribute=level' (a category "
                    "level) or 'attribute+' / 'attribute-' (a number above / below average)"
                )
        return self

    narrative: NarrativeSettings = Field(default_factory=NarrativeSettings)


PURPOSES = ("analytics", "personalization", "advertising")


class GovernanceSettings(_Strict):
    segment_purpose: Literal["", "analytics", "personalization", "advertising"] = "analytics"
    consent_default: bool = True
    profile_api_purpose: Literal["", "analytics", "personalization", "advertising"] = (
        "personalization"
    )
    audience_purpose: Literal["", "analytics", "personalization", "advertising"] = "advertising"
    min_group_size: int = Field(10, ge=1)
    pseudonymise: bool = False
    key_env: str = "PERSONAE_KEY"
    erase_mentions: Literal["delete", "redact"] = "delete"


_ORIGIN = re.compile(r"(https?)://(\[[0-9a-f:.]+\]|[^/?#:@\s\[\]]+)(?::([0-9]{1,5}))?")


def _check_origins(value: list[str]) -> list[str]:
    """Browser origins as the ``Origin`` header spells them: ``scheme://host[:port]``.

    Lower-cased, with a default port dropped (browsers never send ``:443`` for https), so
    a listed origin matches the header by plain comparison at request time.
    """
    if "*" in value and len(value) > 1:
        raise ValueError(
            "'*' already allows every site; list either '*' alone or the sites' origins"
        )
    out = []
    for origin in value:
        if origin == "*":
            out.append(origin)
            continue
        match = _ORIGIN.fullmatch(origin.strip().lower())
        if match is None:
            raise ValueError(
                f"{origin!r} is not an origin; write scheme://host[:port] with no path or "
                "trailing slash, e.g. 'https://shop.example' or 'http://localhost:3000', "
                "or '*' for every site"
            )
        scheme, host, port = match.groups()
        default = {"http": "80", "https": "443"}[scheme]
        out.append(f"{scheme}://{host}" + (f":{port}" if port and port != default else ""))
    return out


class ServeSettings(_Strict):
    # sites whose pages may send events from the browser (CORS on the tracking API only)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(
                'must be a list of origins, e.g. ["https://shop.example"], or ["*"] for every site'
            )
        return _check_origins(value)


class AudienceSettings(_Strict):
    where: str = Field(min_length=1)
    description: str = ""
    columns: list[str] = Field(default_factory=list)


class SourceConfig(_Strict):
    kind: str
    paths: list[str] = Field(min_length=1)
    format: Literal["auto", "csv", "jsonl", "json", "parquet", "xlsx"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    timezone: str | None = None
    date_order: Literal["MDY", "DMY"] | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    encoding: str | None = None  # CSV text encoding; detected from the bytes when unset
    sheet: str | None = None  # the worksheet of a spreadsheet; the first one when unset
    identifiers: dict[str, str] = Field(default_factory=dict)
    # records written over several rows with their own fields on the first row only
    # (Shopify's order lines): the field shared by a record's rows, and the fields filled
    # down over its later rows before anything is checked (ingest/fill_down.py)
    group_by: str | None = None
    fill_down: list[str] = Field(default_factory=list)
    # the vendor layout (src/personae/ingest/presets/NAME.toml) whose computed fields ingest
    # adds: constants, words read as values, nested records flattened (ingest/nested.py)
    preset: str | None = None
    # a wide survey export (one row per respondent, one column per question): how many
    # header rows it has and which columns describe the respondent (ingest/wide.py)
    layout: Literal["long", "wide"] = "long"
    header_rows: int = Field(1, ge=1, le=3)
    metadata: list[str] = Field(default_factory=list)

    @field_validator("identifiers")
    @classmethod
    def _identifier_types(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = (*IDENTIFIER_TYPES, "account_id", "none")
        for field, id_type in value.items():
            if id_type not in allowed:
                raise ValueError(
                    f"{field} = {id_type!r}: unknown identifier type; use one of: "
                    + ", ".join(allowed)
                )
        return value

    @model_validator(mode="after")
    def _row_shape(self) -> SourceConfig:
        if self.fill_down and not self.group_by:
            raise ValueError(
                "fill_down needs group_by: set group_by to the field the rows of one record "
                'share (e.g. group_by = "order_id")'
            )
        kind = KINDS.get(self.kind)
        known = {f.name for f in kind.fields} if kind else set()
        for name in [self.group_by or "", *self.fill_down]:
            if name and kind and name not in known:
                raise ValueError(
                    f"group_by/fill_down name {name!r}, not a field of kind {self.kind!r}; "
                    f"use one of: {', '.join(sorted(known))}"
                )
        return self

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of: {', '.join(KINDS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class Config(_Strict):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    profiles: ProfileSettings = Field(default_factory=ProfileSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    text: TextSettings = Field(default_factory=TextSettings)
    segments: SegmentSettings = Field(default_factory=SegmentSettings)
    personas: PersonaSettings = Field(default_factory=PersonaSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    audiences: dict[str, AudienceSettings] = Field(default_factory=dict)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid settings"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            model: Any = Config
            for part in parent:
                fields = getattr(model, "model_fields", {})
                if part in fields:
                    model = fields[part].annotation
                elif part in KINDS or isinstance(part, str):
                    model = SourceConfig
            known = ", ".join(getattr(model, "model_fields", {}))
            lines.append(
                f"  - unknown key '{key}'. Known keys here: {known}. "
                "Fix: correct the spelling or remove it."
            )
        elif err["type"] == "missing":
            lines.append(f"  - missing key '{key}'. Fix: add it (see docs/configuration.md).")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - '{key}' = {err.get('input')!r}: {msg}.")
    return "\n".join(lines)


def load_config(path: Path) -> Config:
    """Read and validate a ``personae.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found. Fix: run `personae init` to create a workspace."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}). Fix: correct the line it names."
        ) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def toml_string(value: str) -> str:
    """A TOML basic string for ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def source_toml(name: str, source: SourceConfig) -> str:
    """The ``[sources.NAME]`` block for one source, as appended by ``add_source``."""
    lines = [
        f"\n[sources.{name}]",
        f"kind = {toml_string(source.kind)}",
        "paths = [" + ", ".join(toml_string(p) for p in source.paths) + "]",
    ]
    if source.format != "auto":
        lines.append(f"format = {toml_string(source.format)}")
    for key in ("timezone", "date_order", "delimiter", "encoding", "sheet"):
        value = getattr(source, key)
        if value is not None:
            lines.append(f"{key} = {toml_string(value)}")
    if source.identifiers:
        lines.append(f"[sources.{name}.identifiers]")
        lines += [f"{k} = {toml_string(v)}" for k, v in source.identifiers.items()]
    if source.columns:
        lines.append(f"[sources.{name}.columns]")
        lines += [f"{k} = {toml_string(v)}" for k, v in source.columns.items()]
    return "\n".join(lines) + "\n"


DEFAULT_TOML = """\
# personae workspace settings. Every setting is listed with its default value.
# Reference: docs/configuration.md

[workspace]
# A name shown in reports and the web app.
name = "{name}"
# The DuckDB database file, relative to this folder.
database = "personae.duckdb"
# The reporting currency (ISO code such as "GBP"); empty = inferred from the orders'
# currency column, else USD (the ingest report says which).
currency = ""
# Orders in other currencies are converted with these rates (units of the reporting
# currency per unit, e.g. {{ EUR = 0.85, USD = 0.79 }}); orders in a currency without a rate
# are left out of revenue and value, and the reports say so.
currency_rates = {{}}

[engine]
# Where identity resolution and profile building run: "duckdb" (embedded, the default) or
# "spark" (a local PySpark session; install personae[spark] and Java 17). Ingestion and the
# workspace database are always DuckDB; Spark reads the raw tables exported as Parquet.
backend = "duckdb"
# Spark only: local cores.
spark_cores = 2
# Spark only: driver memory (e.g. "2g", "8g").
spark_memory = "2g"
# DuckDB memory limit, e.g. "4GB" (empty: DuckDB's default, 80% of RAM). Work beyond it
# spills to disk next to the database, so large files never need more memory than this.
memory_limit = ""
# Worker threads (0: one per core).
threads = 0

[ingest]
# Time zone assumed for timestamps written without an offset (IANA name). Values with an
# offset (Z, +02:00) are converted; everything is stored as UTC.
timezone = "UTC"
# The order of day and month, "MDY" (US: 03/04/2024 is March 4) or "DMY" (April 3), for a
# date column none of whose values decides it: each column is first decided from its own
# values (one 23/04/2024 settles day-first), and the ingest report says how.
date_order = "MDY"
# Country calling code for phone numbers written without one (1 = US/Canada, 44 = UK);
# empty = that of [identity] default_region.
default_calling_code = ""
# Records per batch when streaming CSV and JSON Lines (memory stays flat whatever the size).
batch_rows = 50000
# When true, any rejected row makes `personae ingest` exit with status 1.
strict = false

[identity]
# Region assumed for phone numbers written without a country code (ISO 3166 code, "GB").
# Empty = decided from the data: "+44" numbers or a country column in each file, stated in
# reports/ingest.md; US when nothing shows it.
default_region = ""
# Email addresses: ignore "+tags" in the local part (ann+shop@x.com is ann@x.com).
email_strip_plus_tags = true
# Email domains where dots in the local part do not matter (a.nn@gmail.com is ann@gmail.com).
email_ignore_dots_domains = ["gmail.com", "googlemail.com"]
# Values that never link anything, whatever the identifier type (compared case-insensitively).
blocked_values = [
    "", "0", "-1", "null", "none", "nil", "n/a", "na", "undefined", "unknown", "anonymous",
    "guest", "test", "-", "none@none.com", "0000000000",
]
# Email addresses whose local part (before @) is one of these never link (test@anything).
blocked_email_locals = [
    "test", "none", "null", "noreply", "no-reply", "donotreply", "na", "n/a", "unknown", "asdf",
    "example",
]
# Email addresses at these domains never link.
blocked_email_domains = ["example.com", "example.org", "test.com", "none.com"]
# Identifier types, highest priority first. When a merge would break a limit below, the
# links of the lowest-priority identifiers are dropped instead (see docs/identity.md).
# (response_id: the id of one survey response, which ties its answer rows together.)
priority = [
    "user_id", "crm_id", "external_id", "email", "phone", "social_handle", "device_id",
    "anonymous_id", "response_id",
]
# Most identifiers of each type one profile may hold (merge guards).
[identity.limits]
user_id = 1
crm_id = 3
external_id = 5
email = 5
phone = 5
social_handle = 3
device_id = 10
anonymous_id = 100
response_id = 1000

# Probabilistic matching (Splink) of contact records that share no identifier, on name,
# date of birth, address and city; trained without labels.
[identity.fuzzy]
# Off by default: turn on when your CRM holds duplicates without a shared email or phone.
enabled = false
# Match probability at or above which two records are linked.
threshold = 0.95

[profiles]
# The date every time-based attribute is measured from (YYYY-MM-DD); empty: the latest
# timestamp in the data.
as_of = ""
# How a conflicting attribute value is chosen: most_recent (latest non-empty value),
# most_frequent, or source_priority (the first source kind in source_priority that has it).
default_rule = "most_recent"
# Per-attribute rules overriding default_rule, e.g. {{ gender = "most_frequent" }}.
rules = {{}}
# Source kinds in order of trust, for the source_priority rule and for breaking ties.
source_priority = [
    "contacts", "accounts", "orders", "events", "survey_responses", "tickets", "reviews",
    "email_events", "social_posts",
]

[value]
# Lifetime value horizon in months (CLV sums the expected, discounted revenue over it).
horizon_months = 12
# Monthly discount rate for CLV (0.01 = 1% a month, about 12.7% a year).
discount_rate = 0.01
# The CLV models are fitted on a random sample of at most this many customers, then
# applied to everyone (the fit is stable well below a million customers).
fit_sample = 200000
# L2 penalty on the model parameters (0: plain maximum likelihood).
penalizer = 0.0
# What a returned item costs, as a share of its price (shipping both ways, handling, stock
# that cannot be resold; industry estimates run from 20% to 66%): a purchase is worth its
# kept revenue less this share of the returned value, so serial returners are not stars.
return_cost_share = 0.5
# Random seed of the fit sample.
seed = 0
# Which marketing touch acquired a customer: "first_touch" (their first UTM-tagged visit)
# or "last_touch" (the last tagged visit before their first purchase).
attribution = "first_touch"
# The ideal customer profile compares this top share of customers by predicted CLV
# (0.10 = the top decile) with everyone.
top_share = 0.10
# An attribute value joins the ideal customer profile when it is at least this many times
# more common among the top customers than among all ...
min_lift = 1.2
# ... and at least this many top customers have it.
min_support = 5

[text]
# Voice of the customer (`personae text`): survey answers, tickets, reviews and posts.
# Languages analysed for sentiment, facets and themes (others are counted and kept);
# "und" = too short to tell (hashtag posts, two-word titles), mostly the main language.
languages = ["en", "und"]
# Sentiment labels: a compound at or above this is positive ...
positive_threshold = 0.05
# ... at or below this negative.
negative_threshold = -0.05
# A sentence at or below this is a frustration, not just a pain point.
frustration_threshold = -0.5
# A cue-less sentence at or above this says what customers value (a motivation).
motivation_threshold = 0.3
# Themes per facet: 0 chooses the number between min_themes and max_themes: the largest
# whose themes are still coherent (fine themes let small segments keep their own).
themes_per_facet = 0
# The smallest number of themes per facet tried ...
min_themes = 8
# ... and the largest (also capped at one theme per 20 snippets).
max_themes = 40
# A facet with fewer snippets than this gets no themes (too little to generalise from).
min_snippets = 40
# Snippets the themes are fitted on (a seeded sample; every snippet is then weighed).
fit_sample = 100000
# Seed of the samples and of NMF: the same seed gives the same themes.
seed = 0
# Words that are never theme terms (your brand and product names).
stop_words = []
# Leave the catalogue's product names (from the orders) out of theme terms, so themes are
# about the experience ("broke after a week"), not the product.
drop_product_names = true
# Strings never redacted from quotes although they look like PII (your handle, domain).
allow = []
# Quotes per group and facet ...
quotes = 5
# ... at least this many characters ...
quote_min_chars = 30
# ... and at most this many (trimmed to whole opening sentences).
quote_max_chars = 280

# Which survey question's answers belong to which persona facet (table below).
[text.questions]
# Which persona facet a survey question's answers belong to, where the built-in wording
# rules guess wrong: a question id, or words the question contains = goal | motivation |
# pain_point | frustration | objection | auto (read sentence by sentence) | ignore.
# "What almost stopped you" = "objection"

# Extra sentiment words (table below).
[text.lexicon]
# Extra sentiment words or phrases on VADER's -4..4 scale (0 makes a word neutral).
# "backordered" = -2.0

[segments]
# Customer segments (`personae segment`). What is segmented: "person" (B2C), "account"
# (B2B: each account with its people's attributes), or "auto" (accounts when there are any).
entity = "auto"
# Which entities are segmented, as SQL on their attributes (empty: persons who bought, that
# is "not anonymous and orders > 0"; every account).
where = ""
# Algorithms tried: latent_class (mixed data, numbers as quantile bins), gmm (Gaussian
# mixture) and kmeans, both on an embedding of the scaled, one-hot attributes.
algorithms = ["latent_class", "gmm", "kmeans"]
# The smallest number of segments tried ...
k_min = 3
# ... and the largest.
k_max = 8
# Bootstrap resamples per candidate: each segment's stability is its mean Jaccard overlap
# with its best match in the resampled solutions.
bootstraps = 5
# A candidate with any segment less stable than this is rejected.
min_jaccard = 0.75
# Seed of the samples and the fits: the same data and seed give the same segments.
seed = 0
# Entities the algorithm and k are chosen on (a seeded sample; bigger is slower).
sample = 10000
# Entities the chosen model is fitted on; every entity is then assigned.
fit_sample = 200000
# Numbers enter the latent class model as this many quantile bins.
bins = 5
# Numeric attributes clustered on (empty: the built-in set for the entity). Money and
# counts are log-transformed and robust-scaled; missing values are modelled, not dropped.
numeric = []
# Categorical attributes clustered on (empty: the built-in set for the entity).
categorical = []
# Also cluster on what people wrote: their main theme per facet from `personae text`.
text = true
# Flag outliers (HDBSCAN noise on the embedding) in the segments table.
outliers = true
# At most this many primary segments (ranked by size x mean value) ...
primary_max = 5
# ... and at least this many, when there are enough segments that are not negative.
primary_min = 3
# A segment is negative when returns, discount use, support tickets or churn risk are this
# many times the average (or when its mean value is below zero).
negative_ratio = 2.0

[personas]
# Personas (`personae personas`, `personae report`): one per primary and negative segment.
# Real quotes per persona (3 to 5).
quotes = 4
# Country whose names the personas get (ISO code such as "US", "GB", "DE"; empty: the
# segment's most common country).
country = ""
# Write a PDF one-pager per persona with `personae report` (WeasyPrint).
pdf = true

# Title words of your own ("Casey, the Sourdough Regular"); empty: the built-in words only.
[personas.epithets]
# A key is "attribute=level"
# (a category level, a case-insensitive regular expression) or "attribute+" / "attribute-"
# (a number above / below average); the value is a noun, or {{ modifier = "...", noun = "..." }}.
# Your words come before the built-in ones (personas/epithets.toml). For example:
# "top_category=sourdough" = "Sourdough Regular"
# "orders+" = {{ modifier = "Devoted" }}

[personas.narrative]
# Optional narrative bio from a language model. Off by default: nothing leaves the machine.
# The model gets only the computed facts, and an answer that states a number or claim not in
# the facts is rejected (the template bio is kept).
enabled = false
# An OpenAI-compatible endpoint, e.g. "http://localhost:8000/v1".
base_url = ""
# The model name the endpoint expects.
model = ""
# The environment variable that holds the API key (none is sent when it is unset).
api_key_env = "PERSONAE_LLM_API_KEY"
# Seconds to wait for an answer.
timeout_seconds = 60.0
# Sampling temperature.
temperature = 0.2

[governance]
# Privacy rules (docs/privacy.md). Consent is kept per purpose: analytics, personalization,
# advertising. Segments and personas use only profiles consenting to this purpose ("" for
# everyone).
segment_purpose = "analytics"
# Whether a profile with no recorded choice for a purpose counts as consenting (true suits
# legitimate interest or an opt-out regime; false is strict opt-in).
consent_default = true
# The profile API answers only for profiles consenting to this purpose ("" for all).
profile_api_purpose = "personalization"
# Audience exports include only profiles consenting to this purpose ("" for all).
audience_purpose = "advertising"
# No published statistic, chart cell, persona or quote comes from fewer people than this.
min_group_size = 10
# Store identifiers and personal data as keyed hashes (readable values only in the
# admin-only vault). Set before the first ingest.
pseudonymise = false
# Environment variable with the secret key for tombstones and pseudonyms (when unset, a
# random key is kept in the workspace's secret.key file).
key_env = "PERSONAE_KEY"
# Records of other people that mention an erased person's email, phone or id in their free
# text: "delete" them, or "redact" the mention (the record stays, with "[erased]").
erase_mentions = "delete"

[serve]
# `personae serve`. Sites whose web pages may send events to the tracking API from the
# browser (analytics.js), as origins: ["https://shop.example", "http://localhost:3000"].
# "*" allows every site (write keys are public in a web page anyway); [] allows none.
# Only the tracking routes answer cross-origin requests, never the profile API or pages.
cors_origins = ["*"]

# Rule-based audiences: one table per audience, a SQL condition on profile attributes, value
# scores (clv, clv_12m, churn_risk, ...) and segment. `personae audiences` lists and exports.
# [audiences.lapsed_vip]
# where = "clv_12m > 500 and recency_days > 90"
# description = "High-value customers who have not bought for three months"
# columns = ["email", "first_name", "clv"]   # exported besides profile_id (optional)

# Sources: one block per data source; `personae ingest` (without arguments) ingests them all.
# kind is one of: {kinds}
#
# [sources.crm]
# kind = "contacts"
# paths = ["data/crm_contacts.csv"]   # files or glob patterns, relative to this folder
# format = "auto"                     # auto | csv | jsonl | json | parquet | xlsx
# timezone = "America/New_York"       # optional, overrides [ingest] for this source
# date_order = "DMY"                  # optional: for date columns none of whose values decide
# delimiter = ";"                     # optional CSV delimiter (sniffed from the file)
# encoding = "cp1252"                 # optional CSV encoding (detected from the bytes)
# sheet = "Orders"                    # optional worksheet of an XLSX (default: the first)
# [sources.crm.columns]               # only where auto-detection needs help:
# email = "E-Mail Adresse"            # canonical field = column name in your file
# [sources.crm.identifiers]           # only where a field holds another kind of id:
# customer_id = "account_id"          # e.g. B2B orders whose customer is the account
"""


def default_toml(name: str) -> str:
    return DEFAULT_TOML.format(name=name.replace('"', ""), kinds=", ".join(KINDS))
