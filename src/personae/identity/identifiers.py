"""Which fields of each source kind identify a person or an account, and how to normalise them.

Identity resolution only ever compares *normalised* identifiers: ``' Ann@Example.com\\t'`` and
``'ann@example.com'`` are one node of the identity graph. Every rule here is a SQL expression
in the portable dialect (it runs on DuckDB and, transpiled, on Spark), so the same function
serves the graph build, the record → profile lookup and ``personae identity explain``.

Phone numbers are the exception: they go through Google's ``phonenumbers`` library, which no
SQL engine has. It is applied once per *distinct* raw value and the answers are kept in a
lookup table, so a million customers cost a few seconds, not minutes, and re-runs only parse
new numbers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import phonenumbers
import pyarrow as pa

from personae.config import IDENTIFIER_TYPES, IdentitySettings
from personae.engine import quote_ident, quote_literal
from personae.ingest.schema import KINDS

ACCOUNT = "account_id"
"""Not a person identifier: it ties a person (or a record) to a B2B account."""

# Which fields hold identifiers, and the identifier type each holds by default. A field of
# one of these names holds the same kind of identifier in every source kind, so a kind that
# gains a field (tickets' caller phone, orders' billing phone) is resolved on it with no
# code of its own. A source can override a field's type in ``[sources.NAME.identifiers]``
# (for example B2B orders whose ``customer_id`` is the account's id).
FIELD_IDENTIFIERS: dict[str, str] = {
    "customer_id": "user_id",
    "contact_id": "crm_id",
    "email": "email",
    "phone": "phone",
    "social_handle": "social_handle",
    "anonymous_id": "anonymous_id",
    "account_id": ACCOUNT,
}
# Fields whose meaning depends on their kind (Segment's names; a survey's respondent).
KIND_IDENTIFIERS: dict[str, dict[str, str]] = {
    "events": {"user_id": "user_id", "previous_id": "anonymous_id", "group_id": ACCOUNT},
    "survey_responses": {"response_id": "response_id"},
    "social_posts": {"handle": "social_handle"},
}


def _default_fields() -> dict[str, dict[str, str]]:
    """Kind -> {field: identifier type}, from the kinds' fields and derived columns."""
    out: dict[str, dict[str, str]] = {}
    for kind in KINDS.values():
        extra = KIND_IDENTIFIERS.get(kind.name, {})
        names = [f.name for f in kind.fields] + [d.name for d in kind.derived]
        fields = {
            n: extra.get(n) or FIELD_IDENTIFIERS[n]
            for n in names
            if n in extra or n in FIELD_IDENTIFIERS
        }
        if fields:
            out[kind.name] = fields
    return out


DEFAULT_FIELDS: dict[str, dict[str, str]] = _default_fields()
"""Kind -> {field: identifier type} for every kind (see FIELD_IDENTIFIERS)."""

# Identifiers that events carry inside their JSON: a phone in identify traits, the device id
# of mobile SDKs (context.device.id) and up to two custom ids in Segment's
# context.externalIds (as "type:id").
EVENT_JSON_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("phone", "json_extract_string(traits, '$.phone')"),
    ("device_id", "json_extract_string(context, '$.device.id')"),
    *(
        (
            "external_id",
            f"json_extract_string(context, '$.externalIds[{i}].type') || ':' || "
            f"json_extract_string(context, '$.externalIds[{i}].id')",
        )
        for i in range(2)
    ),
)


@dataclass(frozen=True)
class IdentifierColumn:
    """One identifier in the records of one kind: its type and the SQL giving its raw value."""

    id_type: str
    raw_sql: str
    label: str  # the field name, for explanations


def identifier_columns(
    kind: str, columns: Iterable[str], overrides: Mapping[str, str] | None = None
) -> list[IdentifierColumn]:
    """The identifier columns of a raw table (``columns`` are the ones it actually has)."""
    present = set(columns)
    fields = dict(DEFAULT_FIELDS.get(kind, {}))
    fields.update(overrides or {})
    out = [
        IdentifierColumn(id_type, quote_ident(field), field)
        for field, id_type in fields.items()
        if id_type != "none" and field in present
    ]
    if kind == "events":
        for id_type, sql in EVENT_JSON_IDENTIFIERS:
            source = "traits" if "traits" in sql else "context"
            if source in present:
                out.append(IdentifierColumn(id_type, sql, f"{source} JSON"))
    return out


# Characters stripped around identifiers: space, tab, newlines, no-break space, BOM.
_SPACE_CHARS = "' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(65279)"


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in sorted(set(values))) + ")"


class Normaliser:
    """SQL expressions that turn a raw identifier into its canonical form (or NULL).

    NULL means "does not link": missing, malformed or blocked. Blocked values are compared in
    lower case after trimming, for every identifier type.
    """

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.blocked = _in_list(v.strip().lower() for v in settings.blocked_values)

    def _not_blocked(self, value_sql: str, lowered_sql: str) -> str:
        return f"CASE WHEN {lowered_sql} IN {self.blocked} THEN NULL ELSE {value_sql} END"

    def sql(self, id_type: str, raw_sql: str) -> str:
        """The normalised value of ``raw_sql`` as an identifier of ``id_type``.

        A pseudonym (``ps_…``, governance/pseudonyms.py) is already normalised: it passes.
        """
        return self.rules(id_type, self.clean(id_type, raw_sql))

    def clean(self, id_type: str, raw_sql: str) -> str:
        """Stage 1: white space trimmed, lower-cased where case never matters.

        Kept apart so a caller can compute it once into a column and apply :meth:`rules` to
        that column: the rules mention their input many times, and engines do not always
        share the repeated work.
        """
        trimmed = f"trim(CAST({raw_sql} AS VARCHAR), {_SPACE_CHARS})"
        if id_type in ("email", "social_handle", "phone"):
            return f"lower({trimmed})"
        return trimmed

    def rules(self, id_type: str, c: str) -> str:
        """Stage 2: the canonical form of an already :meth:`clean` value (or NULL)."""
        return f"CASE WHEN starts_with({c}, 'ps_') THEN {c} ELSE {self._rules(id_type, c)} END"

    def _rules(self, id_type: str, c: str) -> str:
        if id_type == "email":
            return self._email(c)
        if id_type == "social_handle":
            handle = f"CASE WHEN {c} LIKE '@%' THEN substr({c}, 2) ELSE {c} END"
            return self._not_blocked(f"nullif({handle}, '')", handle)
        if id_type == "phone":
            # digits (and a leading +) only, extension dropped: "(221) 555-7549" and
            # "221.555.7549" are one key, so phonenumbers parses each number once; the
            # lookup table built by phone_lookup() maps the key to its E.164 form
            key = f"regexp_replace(regexp_replace({c}, '(ext|x).*$', ''), '[^0-9+]', '', 'g')"
            return self._not_blocked(f"nullif({key}, '')", c)
        if id_type == ACCOUNT:
            return self._not_blocked(f"nullif(upper({c}), '')", f"lower({c})")
        return self._not_blocked(f"nullif({c}, '')", f"lower({c})")

    def _email(self, e: str) -> str:
        s = self.settings
        local = f"split_part({e}, '@', 1)"
        domain = f"split_part({e}, '@', 2)"
        if s.email_strip_plus_tags:
            local = f"regexp_replace({local}, '[+].*$', '')"
        if s.email_ignore_dots_domains:
            dots = _in_list(d.lower() for d in s.email_ignore_dots_domains)
            local = f"CASE WHEN {domain} IN {dots} THEN replace({local}, '.', '') ELSE {local} END"
        canonical = f"{local} || '@' || {domain}"
        blocked_locals = _in_list(v.lower() for v in s.blocked_email_locals)
        blocked_domains = (
            _in_list(v.lower() for v in s.blocked_email_domains)
            if (s.blocked_email_domains)
            else "('')"
        )
        return (
            f"CASE WHEN {e} IS NULL OR {e} NOT LIKE '%_@_%._%' OR {e} LIKE '%@%@%' "
            f"OR {e} LIKE '% %' THEN NULL "
            f"WHEN {e} IN {self.blocked} OR split_part({e}, '@', 1) IN {blocked_locals} "
            f"OR {domain} IN {blocked_domains} THEN NULL ELSE {canonical} END"
        )


def parse_phone(raw: str, region: str) -> str | None:
    """E.164 form of a phone number written any way, or None when it cannot be a number.

    "Possible" rather than "valid": fictional ranges (555 numbers) are real enough inside a
    company's data, and validity tables go stale. Numbers with one repeated digit are junk.
    """
    text = raw.strip()
    if text.startswith("00"):  # the ITU international prefix, as written across Europe
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    national = str(number.national_number)
    if len(set(national)) <= 1:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PARALLEL_PHONES = 100_000
"""Above this many distinct numbers, parsing is spread over the machine's cores."""


def _parse_chunk(args: tuple[list[str], str]) -> list[str | None]:
    values, region = args
    # a pseudonym (governance/pseudonyms.py) stands for an already normalised number
    return [v if v.startswith("ps_") else parse_phone(v, region) for v in values]


def phone_lookup(raw_values: Iterable[str | None], region: str) -> pa.Table:
    """A (raw, e164) table for distinct raw phone keys; unparseable ones get NULL.

    ``phonenumbers`` is pure Python (~25k numbers a second on one core), so a million
    distinct numbers are parsed in worker processes (spawned, not forked: the parent holds
    DuckDB's and maybe Spark's threads).
    """
    raws = sorted({v for v in raw_values if v is not None})
    workers = min(os.cpu_count() or 1, 8)
    if len(raws) < PARALLEL_PHONES or workers < 2:
        parsed = _parse_chunk((raws, region))
    else:
        size = -(-len(raws) // (workers * 4))
        chunks = [(raws[i : i + size], region) for i in range(0, len(raws), size)]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            parsed = [e for chunk in pool.map(_parse_chunk, chunks) for e in chunk]
    return pa.table({"raw": pa.array(raws, pa.string()), "e164": pa.array(parsed, pa.string())})


def type_table(settings: IdentitySettings) -> pa.Table:
    """The identifier types with their priority (1 = highest) and per-profile limit."""
    order = settings.priority
    return pa.table(
        {
            "id_type": pa.array(order, pa.string()),
            "priority": pa.array(range(1, len(order) + 1), pa.int32()),
            "max_per_profile": pa.array(
                [settings.limits.get(t, 1_000_000) for t in order], pa.int64()
            ),
        }
    )


PERSON_TYPES = IDENTIFIER_TYPES
