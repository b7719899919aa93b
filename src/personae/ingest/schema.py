"""What each source kind holds: its canonical fields, their types, and the spellings we accept.

This module is the contract between the outside world and the workspace. Every source
kind becomes one ``raw_<kind>`` table whose columns are the canonical field names below,
typed, plus lineage columns. Header spellings are matched after normalisation (lower
case, letters and digits only), so ``Email Address``, ``E-mail`` and ``email_address``
all find the ``email`` field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    """Logical types; ``personae.ingest.parsers`` turns messy text into each of them."""

    STRING = "string"
    TIMESTAMP = "timestamp"
    DATE = "date"
    MONTH = "month"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    JSON = "json"


SQL_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "VARCHAR",
    FieldType.TIMESTAMP: "TIMESTAMP",
    FieldType.DATE: "DATE",
    FieldType.MONTH: "DATE",
    FieldType.DECIMAL: "DOUBLE",
    FieldType.INTEGER: "BIGINT",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.JSON: "VARCHAR",
}


@dataclass(frozen=True)
class Field:
    """One canonical column of a source kind.

    ``minimum``/``maximum`` reject values outside a plausible range (a negative quantity
    is a data error, not a return). ``choices`` makes a field a strict enumeration;
    ``synonyms`` maps accepted spellings to the canonical value without rejecting
    anything else.
    """

    name: str
    type: FieldType = FieldType.STRING
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)
    lowercase: bool = False
    # an amount of money: its currency symbols and header hints are the currency evidence
    money: bool = False
    # a 1-5 rating: stars, fractions and words are read too (ingest/ratings.toml)
    rating: bool = False

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Derived:
    """A column computed from the typed fields of the same row (no information is added)."""

    name: str
    sql: str
    sql_type: str
    description: str = ""


@dataclass(frozen=True)
class RowRule:
    """A check that spans fields; ``invalid_sql`` is true for a row that breaks it.

    It may compare enumerated fields (``type = 'alias'``) and test whether free-text fields
    are present (``user_id IS NULL``); it does not see free text itself.
    """

    code: str
    invalid_sql: str
    message: str


@dataclass(frozen=True)
class SourceKind:
    """A kind of customer data source and its ``raw_<name>`` table."""

    name: str
    description: str
    fields: tuple[Field, ...]
    derived: tuple[Derived, ...] = ()
    rules: tuple[RowRule, ...] = ()
    # Helper expressions evaluated once per row before ``derived`` (name, sql).
    lets: tuple[tuple[str, str], ...] = ()
    # Fields whose stored value is completed from elsewhere in the row (name, sql reading the
    # field itself and the others), applied after parsing and before ``derived``.
    completions: tuple[tuple[str, str], ...] = ()
    dedup_key: str | None = None  # a field whose value identifies a record (else a row hash)

    @property
    def table(self) -> str:
        return f"raw_{self.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def normalise_header(name: str) -> str:
    """The comparison key for a header: ``'E-Mail Address '`` -> ``'emailaddress'``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


# Fields several kinds share.
_EMAIL = Field(
    "email",
    aliases=(
        "email address",
        "e-mail",
        "mail",
        "email_addr",
        "customer email",
        "requester email",
        "requester_email",
        "user email",
    ),
    description="Email address as written; identity resolution normalises it.",
)
_PHONE = Field(
    "phone",
    aliases=(
        "phone number",
        "phone_number",
        "mobile",
        "telephone",
        "tel",
        "mobile phone",
        "cell",
        "mobile number",
        "contact number",
        "work phone",
        "billing phone",
        "customer phone",
        "requester phone",
        "caller",
        "caller number",
        "caller id",
        "from number",
    ),
    description="Phone number as written; `phone_e164` holds the normalised form.",
)
_CUSTOMER_ID = Field(
    "customer_id",
    aliases=(
        "customer id",
        "customer",
        "user id",
        "userid",
        "customer number",
        "client id",
        "shopper id",
    ),
    description="The shop's customer/account number (Segment userId).",
)
_CONTACT_ID = Field(
    "contact_id",
    aliases=("contact id", "crm id", "record id", "lead id"),
    description="The CRM's record id for a contact.",
)
_ACCOUNT_ID = Field(
    "account_id",
    aliases=("account id", "company id", "account", "org id", "organization id", "organisation id"),
    description="B2B account (company) id.",
)
_CURRENCY = Field("currency", aliases=("currency code", "ccy"), description="ISO 4217 code.")
_CHANNEL = Field(
    "channel",
    lowercase=True,
    aliases=("sales channel", "source channel"),
    description="Where it happened (online, store, app, email, chat, …).",
)


def _consent(purpose: str) -> Field:
    return Field(
        f"consent_{purpose}",
        FieldType.BOOLEAN,
        aliases=(
            f"consent {purpose}",
            f"{purpose} consent",
            f"consent_{purpose.replace('ization', 'isation')}",
            f"{purpose.replace('ization', 'isation')} consent",
        ),
        description=f"Consent to use the person's data for {purpose} (blank = unknown).",
    )


_CONSENT = (_consent("analytics"), _consent("personalization"), _consent("advertising"))

_PHONE_E164 = Derived(
    "phone_e164",
    "personae_phone_e164(phone)",
    "VARCHAR",
    "Phone in E.164 form (+15555550123), NULL where it cannot be read.",
)


CONTACTS = SourceKind(
    "contacts",
    "CRM contacts (people), one row per CRM record; CRM duplicates are expected.",
    (
        Field(
            "contact_id",
            required=True,
            aliases=_CONTACT_ID.aliases,
            description=_CONTACT_ID.description,
        ),
        _CUSTOMER_ID,
        _EMAIL,
        _PHONE,
        Field("first_name", aliases=("first name", "firstname", "given name", "forename")),
        Field("last_name", aliases=("last name", "lastname", "surname", "family name")),
        Field("gender", lowercase=True, aliases=("sex",)),
        Field(
            "birth_date", FieldType.DATE, aliases=("date of birth", "dob", "birthday", "birthdate")
        ),
        Field("address", aliases=("street address", "street", "address line 1", "address1")),
        Field("city", aliases=("town",)),
        Field("region", aliases=("state", "province", "county", "state/province")),
        Field("postal_code", aliases=("zip", "zip code", "zipcode", "postcode", "postal code")),
        Field("country", aliases=("country code", "nation")),
        Field(
            "created_at",
            FieldType.TIMESTAMP,
            aliases=("created date", "created", "signup date", "created on", "date created"),
        ),
        Field("loyalty_tier", aliases=("loyalty tier", "tier", "loyalty level")),
        Field("social_handle", aliases=("social handle", "twitter", "instagram", "handle")),
        _ACCOUNT_ID,
        Field("job_title", aliases=("job title", "title", "position")),
        Field("role", lowercase=True, aliases=("buying role", "persona role", "contact role")),
        # demographics some CRMs hold; used by profiles where present
        Field("age", FieldType.INTEGER, aliases=("stated age", "age years")),
        Field("income", aliases=("income band", "household income", "income range")),
        Field("marital_status", aliases=("marital status", "relationship status")),
        Field("education", aliases=("education level", "highest education")),
        Field("household", aliases=("household type", "household size", "household status")),
        Field("children", aliases=("kids", "number of children", "has children")),
        *_CONSENT,
    ),
    derived=(_PHONE_E164,),
)

ACCOUNTS = SourceKind(
    "accounts",
    "B2B accounts (companies) from the CRM.",
    (
        Field("account_id", required=True, aliases=_ACCOUNT_ID.aliases),
        Field("name", aliases=("account name", "company", "company name", "organization")),
        Field("domain", aliases=("website", "company domain", "web domain")),
        Field("industry", aliases=("sector", "vertical")),
        Field(
            "employees",
            FieldType.INTEGER,
            minimum=0,
            aliases=("employee count", "number of employees", "headcount", "company size"),
        ),
        Field(
            "annual_revenue",
            FieldType.DECIMAL,
            money=True,
            minimum=0,
            aliases=("annual revenue", "revenue", "arr company"),
        ),
        Field("country", aliases=("country code", "hq country")),
        Field("plan", lowercase=True, aliases=("subscription plan", "tier", "edition")),
        Field(
            "created_at", FieldType.TIMESTAMP, aliases=("created date", "created", "customer since")
        ),
        Field(
            "renewal_date", FieldType.DATE, aliases=("renewal date", "renews on", "contract end")
        ),
        Field(
            "seats", FieldType.INTEGER, minimum=0, aliases=("licenses", "licences", "seat count")
        ),
        Field("seats_used", FieldType.INTEGER, minimum=0, aliases=("seats used", "active seats")),
        Field(
            "mrr", FieldType.DECIMAL, minimum=0, money=True, aliases=("monthly recurring revenue",)
        ),
    ),
)

ORDERS = SourceKind(
    "orders",
    "Orders, one row per line item (a one-line order is one row). Returns are a status.",
    (
        Field(
            "order_id",
            required=True,
            aliases=(
                "order id",
                "order number",
                "order no",
                "invoice id",
                "invoice number",
                "transaction id",
            ),
        ),
        Field(
            "line_number",
            FieldType.INTEGER,
            minimum=0,
            aliases=("line", "line no", "line item", "item number"),
        ),
        Field(
            "order_date",
            FieldType.TIMESTAMP,
            required=True,
            aliases=(
                "order date",
                "ordered at",
                "date",
                "created at",
                "purchase date",
                "invoice date",
            ),
        ),
        _CUSTOMER_ID,
        _EMAIL,
        _PHONE,
        _ACCOUNT_ID,
        Field("product_id", aliases=("sku", "product id", "item id", "product code")),
        Field("product_name", aliases=("product name", "product", "item name", "description")),
        Field("category", aliases=("product category", "department")),
        Field(
            "quantity", FieldType.INTEGER, minimum=1, aliases=("qty", "units", "quantity ordered")
        ),
        Field(
            "unit_price",
            FieldType.DECIMAL,
            money=True,
            minimum=0,
            aliases=("unit price", "price", "item price"),
        ),
        Field(
            "discount",
            FieldType.DECIMAL,
            minimum=0,
            money=True,
            aliases=("discount amount", "discounts"),
        ),
        Field(
            "order_total",
            FieldType.DECIMAL,
            money=True,
            minimum=0,
            aliases=(
                "order total",
                "total",
                "grand total",
                "order amount",
                "total amount",
                "amount",
                "order value",
                "total price",
                "total paid",
            ),
            description=(
                "The whole order's total as charged (an order-level export, or an order-level "
                "column repeated on or given on the first of its lines): counted once per "
                "order, it replaces the sum of the lines' quantity × unit price − discount."
            ),
        ),
        Field(
            "item_count",
            FieldType.INTEGER,
            minimum=0,
            aliases=("item count", "items", "items sold", "number of items", "total items"),
            description="How many items the whole order holds (else the sum of quantity).",
        ),
        _CURRENCY,
        _CHANNEL,
        Field("store_id", aliases=("store id", "store", "location id")),
        Field(
            "status",
            lowercase=True,
            aliases=("order status", "line status"),
            synonyms={
                "complete": "completed",
                "fulfilled": "completed",
                "paid": "completed",
                "return": "returned",
                "refunded": "returned",
                "canceled": "cancelled",
                # Shopify's financial status "voided" and WooCommerce's "failed": no sale
                "voided": "cancelled",
                "failed": "cancelled",
            },
        ),
        Field(
            "coupon_code",
            aliases=("coupon code", "coupon", "promo code", "discount code", "voucher"),
        ),
        Field(
            "payment_method", lowercase=True, aliases=("payment method", "payment type", "tender")
        ),
    ),
    derived=(
        _PHONE_E164,
        Derived(
            "line_total",
            "coalesce(quantity, 1) * unit_price - coalesce(discount, 0)",
            "DOUBLE",
            "quantity × unit price − discount.",
        ),
    ),
)

_SEGMENT_TYPES = ("identify", "track", "page", "screen", "group", "alias")

# JSON paths read once per row (json_extract_string with a list parses each document once).
_CONTEXT_PATHS = {
    "page_url": "$.page.url",
    "page_path": "$.page.path",
    "referrer": "$.page.referrer",
    "utm_source": "$.campaign.source",
    "utm_medium": "$.campaign.medium",
    "utm_campaign": "$.campaign.name",
    "device_type": "$.device.type",
    "os_name": "$.os.name",
    "context_email": "$.traits.email",
    "consent_analytics": "$.consent.categoryPreferences.Analytics",
    "consent_personalization": "$.consent.categoryPreferences.Personalization",
    "consent_advertising": "$.consent.categoryPreferences.Advertising",
}


def _ctx(name: str) -> str:
    return f"_ctx[{list(_CONTEXT_PATHS).index(name) + 1}]"


# GA4's page_view parameters (page_location, page_referrer) are read as the page's URL.
_PROPERTY_PATHS = {
    "url": "$.url",
    "path": "$.path",
    "referrer": "$.referrer",
    "email": "$.email",
    "page_location": "$.page_location",
    "page_referrer": "$.page_referrer",
}


def _prop(name: str) -> str:
    return f"_props[{list(_PROPERTY_PATHS).index(name) + 1}]"


_URL_PATH = "'^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)'"  # a URL's path
_PAGE_URL = f"coalesce({_ctx('page_url')}, {_prop('url')}, {_prop('page_location')})"


def _ctx_bool(name: str) -> str:
    return f"personae_boolean({_ctx(name)})"


EVENTS = SourceKind(
    "events",
    "Web and app analytics events in the Segment Spec (identify, track, page, screen, group, "
    "alias), from JSON Lines, Segment batch JSON, CSV or Parquet.",
    (
        Field(
            "message_id", required=True, aliases=("messageid", "message id", "event id", "eventid")
        ),
        Field(
            "type",
            required=True,
            lowercase=True,
            choices=_SEGMENT_TYPES,
            aliases=("event type", "call", "message type"),
        ),
        Field(
            "timestamp",
            FieldType.TIMESTAMP,
            required=True,
            aliases=("event time", "occurred at", "time", "event timestamp"),
        ),
        Field("user_id", aliases=("userid", "user id")),
        Field("anonymous_id", aliases=("anonymousid", "anonymous id", "device id", "cookie id")),
        Field("event", aliases=("event name", "action")),
        Field("name", aliases=("page name", "screen name")),
        Field("properties", FieldType.JSON, aliases=("props",)),
        Field("traits", FieldType.JSON),
        Field("context", FieldType.JSON),
        Field("previous_id", aliases=("previousid", "previous id")),
        Field("group_id", aliases=("groupid", "group id")),
        Field("sent_at", FieldType.TIMESTAMP, aliases=("sentat", "sent at")),
        Field("received_at", FieldType.TIMESTAMP, aliases=("receivedat", "received at")),
    ),
    derived=(
        Derived(
            "email",
            f"coalesce(json_extract_string(traits, '$.email'), "
            f"{_ctx('context_email')}, {_prop('email')})",
            "VARCHAR",
            "Email from traits, context.traits or properties.",
        ),
        Derived("page_url", _PAGE_URL, "VARCHAR"),
        Derived(
            "page_path",
            f"coalesce({_ctx('page_path')}, {_prop('path')}, "
            f"nullif(regexp_extract({_PAGE_URL}, {_URL_PATH}, 1), ''))",
            "VARCHAR",
            "The page's path, or the path of its URL.",
        ),
        Derived(
            "referrer",
            f"coalesce({_ctx('referrer')}, {_prop('referrer')}, {_prop('page_referrer')})",
            "VARCHAR",
        ),
        Derived("utm_source", _ctx("utm_source"), "VARCHAR"),
        Derived("utm_medium", _ctx("utm_medium"), "VARCHAR"),
        Derived("utm_campaign", _ctx("utm_campaign"), "VARCHAR"),
        Derived("device_type", f"lower({_ctx('device_type')})", "VARCHAR"),
        Derived("os_name", _ctx("os_name"), "VARCHAR"),
        Derived("consent_analytics", _ctx_bool("consent_analytics"), "BOOLEAN"),
        Derived("consent_personalization", _ctx_bool("consent_personalization"), "BOOLEAN"),
        Derived("consent_advertising", _ctx_bool("consent_advertising"), "BOOLEAN"),
    ),
    rules=(
        RowRule(
            "missing_identifier",
            "type <> 'alias' AND user_id IS NULL AND anonymous_id IS NULL",
            "a Segment message needs userId or anonymousId",
        ),
        RowRule(
            "missing_identifier",
            "type = 'alias' AND (previous_id IS NULL OR user_id IS NULL)",
            "an alias message needs previousId and userId",
        ),
        RowRule(
            "missing_required",
            "type = 'track' AND event IS NULL",
            "a track message needs an event name",
        ),
        RowRule(
            "missing_required",
            "type = 'group' AND group_id IS NULL",
            "a group message needs a groupId",
        ),
    ),
    lets=(
        (
            "_ctx",
            "json_extract_string(context, ["
            + ", ".join(f"'{p}'" for p in _CONTEXT_PATHS.values())
            + "])",
        ),
        (
            "_props",
            "json_extract_string(properties, ["
            + ", ".join(f"'{p}'" for p in _PROPERTY_PATHS.values())
            + "])",
        ),
    ),
    # Some server SDKs send identify traits only under context.traits; traits given at the
    # top level win over them (json_merge_patch lets the second document override the first).
    completions=(
        (
            "traits",
            "CASE WHEN json_type(context, '$.traits') = 'OBJECT' THEN "
            "json_merge_patch(json_extract(context, '$.traits'), coalesce(traits, '{}')) "
            "ELSE traits END",
        ),
    ),
    dedup_key="message_id",
)

EMAIL_EVENTS = SourceKind(
    "email_events",
    "Email engagement from the email service provider: sends, opens, clicks, unsubscribes.",
    (
        Field("email", required=True, aliases=(*_EMAIL.aliases, "recipient", "to")),
        Field(
            "event",
            required=True,
            lowercase=True,
            aliases=("activity", "event type", "action", "activity type"),
            synonyms={
                "send": "sent",
                "delivered": "sent",
                "opened": "open",
                "clicked": "click",
                "unsubscribed": "unsubscribe",
                "bounced": "bounce",
                "complaint": "spam",
            },
        ),
        Field(
            "timestamp",
            FieldType.TIMESTAMP,
            required=True,
            aliases=("event time", "date", "time", "activity date", "occurred at"),
        ),
        Field("campaign_id", aliases=("campaign id", "mailing id")),
        Field("campaign_name", aliases=("campaign name", "campaign", "mailing name")),
        Field("subject", aliases=("subject line",)),
        Field("url", aliases=("link", "link url", "clicked url")),
        _CONTACT_ID,
        _CUSTOMER_ID,
        _PHONE,
    ),
    derived=(_PHONE_E164,),
)

SURVEY_RESPONSES = SourceKind(
    "survey_responses",
    "Survey answers in long form: one row per answered question, each with its question.",
    (
        Field(
            "response_id", required=True, aliases=("response id", "submission id", "respondent id")
        ),
        Field(
            "submitted_at",
            FieldType.TIMESTAMP,
            aliases=("submitted at", "submitted", "response date", "date", "timestamp"),
        ),
        _EMAIL,
        _PHONE,
        _CUSTOMER_ID,
        _CONTACT_ID,
        Field("survey_name", aliases=("survey", "survey name", "form")),
        Field("question_id", aliases=("question id", "question code")),
        Field("question", aliases=("question text", "prompt")),
        Field("answer", aliases=("response", "answer text", "value")),
        # a numeric answer (a rating, a 0-10 scale) as a number; ``answer`` keeps its text
        Field("answer_value", FieldType.DECIMAL, aliases=("answer value", "numeric answer")),
    ),
    rules=(
        RowRule(
            "missing_required",
            "question IS NULL AND question_id IS NULL",
            "an answer needs its question (question or question_id)",
        ),
    ),
    derived=(_PHONE_E164,),
)

TICKETS = SourceKind(
    "tickets",
    "Customer support tickets.",
    (
        Field("ticket_id", required=True, aliases=("ticket id", "case id", "case number", "id")),
        Field(
            "created_at",
            FieldType.TIMESTAMP,
            required=True,
            aliases=("created at", "opened at", "created", "date"),
        ),
        _EMAIL,
        _PHONE,
        _CUSTOMER_ID,
        _ACCOUNT_ID,
        _CHANNEL,
        Field("subject", aliases=("title", "summary")),
        Field("body", aliases=("description", "message", "comment", "text")),
        Field("category", aliases=("topic", "type", "reason")),
        Field("priority", lowercase=True),
        Field("status", lowercase=True),
        Field(
            "resolved_at", FieldType.TIMESTAMP, aliases=("resolved at", "closed at", "solved at")
        ),
        Field(
            "satisfaction",
            FieldType.INTEGER,
            rating=True,
            minimum=1,
            maximum=5,
            aliases=("csat", "satisfaction score", "rating"),
        ),
    ),
    derived=(_PHONE_E164,),
)

REVIEWS = SourceKind(
    "reviews",
    "Product or company reviews.",
    (
        Field("review_id", required=True, aliases=("review id", "id")),
        Field(
            "created_at",
            FieldType.TIMESTAMP,
            aliases=("created at", "date", "review date", "submitted at"),
        ),
        _CUSTOMER_ID,
        _EMAIL,
        _PHONE,
        Field("product_id", aliases=("product id", "sku", "item id")),
        Field(
            "rating",
            FieldType.INTEGER,
            required=True,
            rating=True,
            minimum=1,
            maximum=5,
            aliases=("stars", "score", "star rating"),
        ),
        Field("title", aliases=("headline", "review title")),
        Field("body", aliases=("review", "text", "review text", "comment", "content")),
        Field("platform", aliases=("source", "site")),
        Field("verified_purchase", FieldType.BOOLEAN, aliases=("verified purchase", "verified")),
    ),
    derived=(_PHONE_E164,),
)

SOCIAL_POSTS = SourceKind(
    "social_posts",
    "Public social media posts that mention the brand.",
    (
        Field("post_id", required=True, aliases=("post id", "id", "tweet id")),
        Field(
            "created_at",
            FieldType.TIMESTAMP,
            aliases=("created at", "posted at", "date", "timestamp"),
        ),
        Field(
            "handle",
            required=True,
            aliases=("author", "username", "user", "screen name", "social handle"),
        ),
        Field("platform", lowercase=True, aliases=("network", "source")),
        Field("text", required=True, aliases=("body", "content", "message", "post")),
        Field("url", aliases=("link", "permalink")),
        Field("likes", FieldType.INTEGER, minimum=0, aliases=("like count", "favorites")),
        _EMAIL,
    ),
)

MARKETING_SPEND = SourceKind(
    "marketing_spend",
    "Marketing spend per channel (and campaign) per month, for acquisition cost.",
    (
        Field("month", FieldType.MONTH, required=True, aliases=("period", "date", "month start")),
        Field("channel", required=True, lowercase=True, aliases=("marketing channel", "source")),
        Field("campaign", aliases=("campaign name",)),
        Field(
            "spend",
            FieldType.DECIMAL,
            money=True,
            required=True,
            minimum=0,
            aliases=("cost", "amount", "spend amount"),
        ),
        _CURRENCY,
        Field("impressions", FieldType.INTEGER, minimum=0),
        Field("clicks", FieldType.INTEGER, minimum=0),
    ),
)

PURPOSES: tuple[str, ...] = ("analytics", "personalization", "advertising")
"""The purposes a person can consent to (``[governance]`` names them the same way)."""

CONSENTS = SourceKind(
    "consents",
    "Consent choices from a consent-management platform or preference centre: one row per "
    "person, purpose and choice, with its time. A later denial withdraws an earlier grant.",
    (
        _EMAIL,
        _PHONE,
        _CUSTOMER_ID,
        _CONTACT_ID,
        Field(
            "anonymous_id",
            aliases=("anonymousid", "anonymous id", "cookie id", "device id", "visitor id"),
            description="The web/app anonymous id the choice was made under (a cookie banner).",
        ),
        Field(
            "purpose",
            required=True,
            choices=PURPOSES,
            aliases=("consent purpose", "consent type", "category", "consent category"),
            synonyms={
                "personalisation": "personalization",
                "ads": "advertising",
                "advertisement": "advertising",
                "targeting": "advertising",
            },
            description="analytics, personalization or advertising.",
        ),
        Field(
            "status",
            required=True,
            choices=("granted", "denied", "revoked"),
            aliases=("consent status", "choice", "consent", "decision", "opt in", "optin"),
            synonyms={
                "grant": "granted",
                "given": "granted",
                "yes": "granted",
                "y": "granted",
                "true": "granted",
                "1": "granted",
                "opt-in": "granted",
                "opted in": "granted",
                "opt in": "granted",
                "accepted": "granted",
                "deny": "denied",
                "no": "denied",
                "n": "denied",
                "false": "denied",
                "0": "denied",
                "opt-out": "denied",
                "opted out": "denied",
                "opt out": "denied",
                "declined": "denied",
                "rejected": "denied",
                "revoke": "revoked",
                "withdrawn": "revoked",
                "withdraw": "revoked",
            },
            description="granted, denied or revoked (yes/no, opt-in/opt-out are understood).",
        ),
        Field(
            "timestamp",
            FieldType.TIMESTAMP,
            aliases=(
                "consented at",
                "recorded at",
                "updated at",
                "changed at",
                "event time",
                "time",
                "date",
            ),
            description="When the choice was made (blank = when the file was ingested).",
        ),
        Field(
            "source",
            aliases=("collected via", "capture source", "collection point", "origin"),
            description="Where the choice was captured (cookie banner, preference centre, …).",
        ),
    ),
    derived=(_PHONE_E164,),
    rules=(
        RowRule(
            "missing_identifier",
            "email IS NULL AND phone IS NULL AND customer_id IS NULL AND contact_id IS NULL "
            "AND anonymous_id IS NULL",
            "a consent choice needs the person it belongs to: email, phone, customer_id, "
            "contact_id or anonymous_id",
        ),
    ),
)

KINDS: dict[str, SourceKind] = {
    k.name: k
    for k in (
        CONTACTS,
        ACCOUNTS,
        ORDERS,
        EVENTS,
        EMAIL_EVENTS,
        SURVEY_RESPONSES,
        TICKETS,
        REVIEWS,
        SOCIAL_POSTS,
        MARKETING_SPEND,
        CONSENTS,
    )
}


def get_kind(name: str) -> SourceKind:
    """Look up a kind by name; a typo gets the list of real kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown source kind {name!r}; choose one of: {', '.join(KINDS)}") from None


# A kind's own record id that a file may lack: each row is then a record of its own, keyed
# "<file name>#<row>" at ingest (a review export without review ids, a purchase list without
# order numbers). Not account_id: accounts are what other records point at.
ROW_KEYED = ("contact_id", "order_id", "message_id", "response_id", "ticket_id", "review_id",
             "post_id")  # fmt: skip
