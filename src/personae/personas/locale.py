"""Which country the customers live in, for personas' names and faces.

A persona named "Brittany" in a Leeds shop's report tells the reader the tool did not look.
A segment's own country column decides first; without one, the workspace's evidence:
the country most profiles name, then the phone region the ingest decided from the numbers,
then a currency that belongs to one country (pounds → GB; euros name no country). Only
when none of them exists is the default, US, used — and the naming basis says so and how
to set ``[personas] country``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import duckdb

from personae.engine import DuckDBEngine
from personae.locale.phones import country_code_of
from personae.locale.resolve import phone_region, reporting_currency

DEFAULT_COUNTRY = "US"


@cache
def _currency_countries() -> dict[str, str]:
    """Currency -> its one country, from money.toml (a currency of several is left out)."""
    data = tomllib.loads(
        resources.files("personae.locale").joinpath("money.toml").read_text("utf-8")
    )
    owners: dict[str, list[str]] = {}
    for country, code in data["country_currency"].items():
        owners.setdefault(code, []).append(country)
    return {code: cs[0] for code, cs in owners.items() if len(cs) == 1}


def home_country(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(ISO country, the sentence saying how it was decided) for the whole workspace."""
    if DuckDBEngine(con).has_table("profiles"):
        columns = {r[0] for r in con.execute("DESCRIBE profiles").fetchall()}
        if "country" in columns:
            rows = con.execute(
                "SELECT country, count(*) AS n FROM profiles WHERE country IS NOT NULL "
                "GROUP BY 1 ORDER BY n DESC, country LIMIT 5"
            ).fetchall()
            for value, n in rows:
                code = country_code_of(value)
                if code:
                    return code, f"country {code}: the most common among profiles ({n:,})"
    region, _ = phone_region(con)
    if region:
        return region, f"country {region}: the phone region the ingest read from the numbers"
    code, how = reporting_currency(con)
    country = _currency_countries().get(code)
    if country and "undecided" not in how:
        return country, f"country {country}: the only country of the data's currency, {code}"
    return DEFAULT_COUNTRY, (
        "no country, phone region or one-country currency in the data: names are "
        f"{DEFAULT_COUNTRY} names. Fix: set [personas] country (e.g. GB) in personae.toml"
    )
