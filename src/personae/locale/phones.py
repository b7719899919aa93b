"""Phone region inferred from the data's phone numbers (calling codes via phonenumbers).

Why: numbers were parsed with a US default; a UK CRM's "07700 900123" must be read as GB.
A "+44" prefix names the region; national numbers alone ("07700 900123") fit several
regions' plans (DE validates it, GB's drama range does not), so only a country column settles
them. No evidence -> undecided, with the config key and the default stated.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import phonenumbers


@cache
def _countries() -> dict:
    return tomllib.loads(Path(__file__).with_name("countries.toml").read_text(encoding="utf-8"))


def country_code_of(value: str | None) -> str | None:
    """ISO alpha-2 code of a country cell ("GB", "uk", "United Kingdom", "Deutschland"),
    or None when it names no country we know."""
    v = (value or "").strip()
    if not v:
        return None
    table = _countries()
    if len(v) == 2 and v.isalpha():
        code = table["aliases"].get(v.upper(), v.upper())
        return code if phonenumbers.country_code_for_region(code) else None
    return table["names"].get(v.lower())


def is_country_header(header: str) -> bool:
    """Whether a header names a country ("Country", "Billing Country", "Land", "Pays")."""
    words = set(re.findall(r"[^\W\d_]+", header.lower()))
    return bool(words & set(_countries()["headers"]["words"]))


def calling_code_for(region: str) -> str:
    """The calling code of a region ("GB" -> "44"); "1" when the region is unknown."""
    return str(phonenumbers.country_code_for_region(region.upper()) or 1)


def region_of_calling_code(code: str) -> str:
    """The main region of a calling code ("44" -> "GB"); "" when unknown."""
    try:
        region = phonenumbers.region_code_for_country_code(int(code.lstrip("+")))
    except ValueError:
        return ""
    return "" if region in ("", "ZZ") else region


NATIONAL_SAMPLE = 300  # numbers without a calling code judged per file (a plan shows early)


def _fit(numbers: list[str], region: str) -> tuple[float, int]:
    """How well national numbers fit a region's plan: 1 per valid number, ½ per number of a
    possible length (fictional ranges such as Ofcom's 07700 900xxx are possible, not valid);
    and how many fit at all."""
    score, fitting = 0.0, 0
    for v in numbers:
        try:
            num = phonenumbers.parse(v, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            score, fitting = score + 1.0, fitting + 1
        elif phonenumbers.is_possible_number(num):
            score, fitting = score + 0.5, fitting + 1
    return score, fitting


def infer_phone_region(
    values: Iterable[str], country: str | None = None, default: str = "US"
) -> tuple[str | None, str]:
    """Return (region for numbers written without a calling code, or None; one-line statement).

    ``+44`` numbers name their region, but people write the calling code mostly for numbers
    from abroad, so they only propose candidates: the regions seen with ``+``, the country
    column's and ``default``. The candidate the national numbers fit best wins (a US
    "(212) 555-0147" is valid in US and not in GB; a UK "07700 900123" cannot be a US
    number). National numbers that fit none leave it undecided.
    """
    intl: Counter[str] = Counter()
    national: list[str] = []
    for raw in values:
        v = (raw or "").strip()
        if not v:
            continue
        if v.startswith(("+", "00")):
            try:
                num = phonenumbers.parse("+" + v[2:] if v.startswith("00") else v, None)
            except phonenumbers.NumberParseException:
                continue
            # the calling code names the region, valid number or not (Ofcom's drama range)
            region = phonenumbers.region_code_for_number(
                num
            ) or phonenumbers.region_code_for_country_code(num.country_code)
            if region and region != "ZZ":
                intl[region] += 1
        elif len(national) < NATIONAL_SAMPLE:
            national.append(v)
    seen = ", ".join(
        f"+{phonenumbers.country_code_for_region(r)} ×{n}" for r, n in intl.most_common(3)
    )
    country = (country or "").strip().upper()
    if country and not phonenumbers.country_code_for_region(country):
        country = ""
    if not national:
        if intl:
            region = intl.most_common(1)[0][0]
            return region, f"phone region {region} (every number has a calling code: {seen})"
        if country:
            return country, f"phone region {country} (country column; no phone numbers)"
        return None, f"phone region undecided (no phone numbers); default used: {default}"
    # candidates in order of preference when they fit equally: country, +prefixes, default
    candidates = list(dict.fromkeys([c for c in (country,) if c] + list(intl) + [default]))
    fits = {r: _fit(national, r) for r in candidates}
    best = max(candidates, key=lambda r: fits[r][0])  # max keeps the first of equal ones
    n = len(national)
    if fits[best][0] == 0:
        tried = "/".join(candidates)
        trunk = sum(v.lstrip("(").startswith("0") for v in national)
        hint = f"; {trunk} start with a trunk 0, so not US/Canada" if trunk else ""
        return None, (
            f"phone region undecided ({n} numbers without a calling code fit none of "
            f"{tried}{hint}); set [identity] default_region in personae.toml; "
            f"default used: {default}"
        )
    why = []
    if best == country:
        why.append("country column")
    if intl:
        why.append(f"calling codes seen: {seen}")
    if best == default and best != country and best not in intl:
        why.append("the default")
    fitting = fits[best][1]
    return best, (
        f"phone region {best} ({'; '.join(why)}; {fitting} of {n} numbers without a calling "
        "code fit its numbering plan)"
    )
