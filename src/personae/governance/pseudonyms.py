"""Pseudonymisation: identifiers and personal data stored as keyed hashes.

With ``[governance] pseudonymise = true`` every identifier and name, address and contact
field is replaced *as it is inserted* (inside the insert statement, so a readable value is
never written to the database file) by a token ``ps_<hmac>``. The readable value goes to
the ``vault`` table, which only admins can read through the app.

Identity resolution keeps working because the token is computed from the identifier's
*normalised* form (the resolver's own rules: case, spaces, plus-tags, E.164 phones) and
the resolver passes tokens through unchanged: two spellings of one email become one token.
What is lost: fuzzy matching on names and addresses can only match them exactly, and
free text (reviews, tickets, answers) is kept as written (the text step scrubs PII from
what it publishes).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import duckdb
import pyarrow as pa

from personae.config import IdentitySettings
from personae.engine import quote_ident as q
from personae.identity.identifiers import ACCOUNT, DEFAULT_FIELDS, Normaliser
from personae.ingest.schema import SourceKind

PREFIX = "ps_"
UDF = "personae_pseudonym"
# Personal fields that are not identifiers, and what kind of value each holds.
PERSONAL_FIELDS = {
    "first_name": "name",
    "last_name": "name",
    "address": "address",
    "postal_code": "postal_code",
    "phone_e164": "phone",
    "handle": "social_handle",
}
# Personal keys inside Segment JSON, replaced by tokens (traits) or dropped (context).
TRAIT_KEYS = {"email": "email", "phone": "phone", "firstName": "name", "lastName": "name"}
CONTEXT_DROPPED = ("ip", "traits")

VAULT_DDL = """CREATE TABLE IF NOT EXISTS vault (
    token VARCHAR PRIMARY KEY, value_type VARCHAR, value VARCHAR)"""


class Pseudonymiser:
    """Builds the SQL that replaces a kind's personal columns by tokens."""

    def __init__(self, key: bytes, identity: IdentitySettings) -> None:
        self.key = key
        self.norm = Normaliser(identity)

    def token(self, value_type: str, value: str) -> str:
        digest = hmac.new(self.key, f"{value_type}:{value}".encode(), hashlib.sha256)
        return PREFIX + digest.hexdigest()[:24]

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register the keyed hash as a SQL function on this connection."""

        def udf(values: pa.Array, types: pa.Array) -> pa.Array:
            out = [
                None if v is None else self.token(t, v)
                for v, t in zip(values.to_pylist(), types.to_pylist(), strict=True)
            ]
            return pa.array(out, pa.string())

        with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
            con.remove_function(UDF)
        con.create_function(
            UDF, udf, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow", side_effects=False
        )
        con.execute(VAULT_DDL)

    def normalised(self, value_type: str, expr: str) -> str:
        """The canonical text a token is computed from (NULL for junk)."""
        if value_type == "phone":
            return f"personae_phone_e164(CAST({expr} AS VARCHAR))"
        if value_type in ("name", "address", "postal_code"):
            return f"nullif(lower(trim(CAST({expr} AS VARCHAR))), '')"
        return self.norm.sql(value_type, expr)

    def fields(self, kind: SourceKind, names: list[str]) -> dict[str, str]:
        """Column → value type of the kind's personal columns that the table has."""
        present = set(names)
        out = {
            col: t
            for col, t in DEFAULT_FIELDS.get(kind.name, {}).items()
            if t != ACCOUNT and col in present
        }
        if kind.name == "events" and "email" in present:
            out["email"] = "email"
        out.update({c: t for c, t in PERSONAL_FIELDS.items() if c in present})
        return out

    def column_sql(self, kind: SourceKind, names: list[str], column: str, expr: str) -> str:
        """``expr`` for ``column`` as stored: a token for personal columns."""
        value_type = self.fields(kind, names).get(column)
        if value_type is not None:
            return f"{UDF}({self.normalised(value_type, expr)}, '{value_type}')"
        if kind.name == "events" and column == "traits" and column in names:
            patch = ", ".join(
                f"'{k}', {UDF}({self.normalised(t, f'json_extract_string({expr}, {q_(k)})')},"
                f" '{t}')"
                for k, t in TRAIT_KEYS.items()
            )
            return (
                f"CASE WHEN {expr} IS NULL THEN NULL ELSE "
                f"CAST(json_merge_patch({expr}, json_object({patch})) AS JSON) END"
            )
        if kind.name == "events" and column == "context" and column in names:
            drop = ", ".join(f"'{k}', NULL" for k in CONTEXT_DROPPED)
            return (
                f"CASE WHEN {expr} IS NULL THEN NULL ELSE "
                f"CAST(json_merge_patch({expr}, json_object({drop})) AS JSON) END"
            )
        return expr

    def vault_sql(self, kind: SourceKind, names: list[str], rows_sql: str) -> str | None:
        """An INSERT keeping each new token's readable value (None: nothing personal)."""
        parts = []
        for column, value_type in self.fields(kind, names).items():
            value = self.normalised(value_type, f"v.{q(column)}")
            parts.append(
                f"SELECT {UDF}({value}, '{value_type}') AS token, '{value_type}' AS value_type, "
                f"{value} AS value FROM ({rows_sql}) v"
            )
        if kind.name == "events" and "traits" in names:
            for k, value_type in TRAIT_KEYS.items():
                value = self.normalised(value_type, f"json_extract_string(v.traits, {q_(k)})")
                parts.append(
                    f"SELECT {UDF}({value}, '{value_type}'), '{value_type}', {value} "
                    f"FROM ({rows_sql}) v"
                )
        if not parts:
            return None
        return (
            "INSERT INTO vault SELECT DISTINCT token, value_type, value FROM ("
            + " UNION ALL ".join(parts)
            + ") WHERE token IS NOT NULL ON CONFLICT (token) DO NOTHING"
        )


def q_(key: str) -> str:
    return "'$." + key + "'"


def is_token(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX)


def reveal(con: duckdb.DuckDBPyConnection, tokens: list[str]) -> dict[str, str]:
    """Readable values of tokens (admins only: callers check the role and audit it)."""
    if not tokens:
        return {}
    con = con.cursor()  # a cursor of its own: the caller may hold an unfinished result
    con.register("_tokens", pa.table({"token": pa.array(sorted(set(tokens)), pa.string())}))
    try:
        rows = con.execute(
            "SELECT v.token, v.value FROM vault v JOIN _tokens t USING (token)"
        ).fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        con.unregister("_tokens")
    return dict(rows)
