"""Phone region inferred from the data's phone numbers (calling codes via phonenumbers).

Why: numbers were parsed with a US default; a UK CRM's "07700 900123" must be read as GB.
A "+44" prefix names the region; national numbers alone ("07700 900123") fit several
regions' plans (DE validates it, GB's drama range does not), so only a country column settles
them. No evidence -> undecided, with the config key and the default stated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import phonenumbers


def infer_phone_region(
    values: Iterable[str], country: str | None = None, default: str = "US"
) -> tuple[str | None, str]:
    """Return (region or None, one-line statement with the evidence)."""
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
            region = phonenumbers.region_code_for_number(num)
            if region:
                intl[region] += 1
        else:
            national.append(v)
    if intl:
        region, n = intl.most_common(1)[0]
        code = phonenumbers.country_code_for_region(region)
        return region, f"phone region {region} (+{code} on {n} of {sum(intl.values())} numbers)"
    if country:
        region = country.strip().upper()
        if phonenumbers.country_code_for_region(region):
            n = len(national)
            return region, f"phone region {region} (country column; {n} national numbers)"
    return None, (
        f"phone region undecided ({len(national)} numbers without a calling code); "
        "set [workspace] phone_region in personae.toml; "
        f"default used: {default}"
    )
