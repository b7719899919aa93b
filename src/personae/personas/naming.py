"""First names for personas: plausible for the segment's gender, birth cohort and country.

A persona's name is invented, but it should not jar: "Sarah" reads as a woman born in the
1980s, "Margaret" as one born in the 1940s. For the US and Great Britain we keep our own table
of the most popular names per birth decade (US: Social Security Administration decade lists;
GB: ONS England & Wales lists for the middle year of each decade), so the pick tracks the
cohort. Other countries use Faker's localised gendered first-name lists, which carry no
cohort information but at least sound local.

Every pick is deterministic: a candidate order is a weighted shuffle keyed by
``hashlib.sha256`` of the caller's ``key`` (a stable segment signature), never Python's
salted ``hash()``, so the same segment gets the same name in every run and process.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

DECADES = (1940, 1950, 1960, 1970, 1980, 1990, 2000, 2010)

# Most popular names per birth decade, most popular first (about the top 10 of each list).
# fmt: off
_US: dict[str, dict[int, tuple[str, ...]]] = {
    "female": {
        1940: ("Mary", "Linda", "Barbara", "Patricia", "Carol", "Sandra", "Nancy", "Sharon",
               "Judith", "Susan"),
        1950: ("Mary", "Linda", "Patricia", "Susan", "Deborah", "Barbara", "Debra", "Karen",
               "Nancy", "Donna"),
        1960: ("Lisa", "Mary", "Susan", "Karen", "Kimberly", "Patricia", "Linda", "Donna",
               "Michelle", "Cynthia"),
        1970: ("Jennifer", "Amy", "Melissa", "Michelle", "Kimberly", "Lisa", "Angela",
               "Heather", "Stephanie", "Nicole"),
        1980: ("Jessica", "Jennifer", "Amanda", "Ashley", "Sarah", "Stephanie", "Melissa",
               "Nicole", "Elizabeth", "Heather"),
        1990: ("Jessica", "Ashley", "Emily", "Sarah", "Samantha", "Amanda", "Brittany",
               "Elizabeth", "Taylor", "Megan"),
        2000: ("Emily", "Madison", "Emma", "Olivia", "Hannah", "Abigail", "Isabella",
               "Samantha", "Elizabeth", "Ashley"),
        2010: ("Emma", "Olivia", "Sophia", "Isabella", "Ava", "Mia", "Abigail", "Emily",
               "Charlotte", "Madison"),
    },
    "male": {
        1940: ("James", "Robert", "John", "William", "Richard", "David", "Charles", "Thomas",
               "Michael", "Ronald"),
        1950: ("James", "Michael", "Robert", "John", "David", "William", "Richard", "Thomas",
               "Mark", "Charles"),
        1960: ("Michael", "David", "John", "James", "Robert", "Mark", "William", "Richard",
               "Thomas", "Jeffrey"),
        1970: ("Michael", "Christopher", "Jason", "David", "James", "John", "Robert", "Brian",
               "William", "Matthew"),
        1980: ("Michael", "Christopher", "Matthew", "Joshua", "David", "James", "Daniel",
               "Robert", "John", "Joseph"),
        1990: ("Michael", "Christopher", "Matthew", "Joshua", "Jacob", "Nicholas", "Andrew",
               "Daniel", "Tyler", "Joseph"),
        2000: ("Jacob", "Michael", "Joshua", "Matthew", "Daniel", "Christopher", "Andrew",
               "Ethan", "Joseph", "William"),
        2010: ("Noah", "Liam", "Jacob", "William", "Mason", "Ethan", "Michael", "Alexander",
               "James", "Elijah"),
    },
}

_GB: dict[str, dict[int, tuple[str, ...]]] = {
    "female": {
        1940: ("Margaret", "Patricia", "Christine", "Mary", "Jean", "Ann", "Susan", "Janet",
               "Maureen", "Barbara"),
        1950: ("Susan", "Linda", "Christine", "Margaret", "Janet", "Patricia", "Carol",
               "Elizabeth", "Mary", "Anne"),
        1960: ("Susan", "Julie", "Karen", "Jacqueline", "Deborah", "Tracey", "Jane", "Helen",
               "Diane", "Sharon"),
        1970: ("Sarah", "Claire", "Nicola", "Emma", "Lisa", "Joanne", "Michelle", "Helen",
               "Samantha", "Karen"),
        1980: ("Sarah", "Laura", "Gemma", "Emma", "Rebecca", "Claire", "Victoria", "Samantha",
               "Rachel", "Amy"),
        1990: ("Rebecca", "Lauren", "Jessica", "Charlotte", "Hannah", "Sophie", "Amy", "Emily",
               "Laura", "Emma"),
        2000: ("Emily", "Ellie", "Jessica", "Sophie", "Chloe", "Lucy", "Olivia", "Charlotte",
               "Katie", "Megan"),
        2010: ("Amelia", "Olivia", "Isla", "Emily", "Poppy", "Ava", "Isabella", "Jessica",
               "Lily", "Sophie"),
    },
    "male": {
        1940: ("John", "David", "Michael", "Peter", "Robert", "Anthony", "Brian", "Alan",
               "William", "James"),
        1950: ("David", "John", "Stephen", "Michael", "Peter", "Robert", "Paul", "Alan",
               "Christopher", "Richard"),
        1960: ("David", "Paul", "Andrew", "Mark", "John", "Michael", "Stephen", "Ian",
               "Robert", "Richard"),
        1970: ("Paul", "Mark", "David", "Andrew", "Richard", "Christopher", "James", "Simon",
               "Michael", "Matthew"),
        1980: ("Christopher", "James", "David", "Daniel", "Michael", "Matthew", "Andrew",
               "Richard", "Paul", "Mark"),
        1990: ("Thomas", "James", "Jack", "Daniel", "Matthew", "Ryan", "Joshua", "Luke",
               "Samuel", "Jordan"),
        2000: ("Jack", "Joshua", "Thomas", "James", "Daniel", "Samuel", "Oliver", "William",
               "Benjamin", "Joseph"),
        2010: ("Oliver", "Jack", "Harry", "Jacob", "Charlie", "Thomas", "George", "Noah",
               "James", "William"),
    },
}

# English names given to both girls and boys in each decade; preferred for unknown gender.
_NEUTRAL: dict[int, tuple[str, ...]] = {
    1940: ("Terry", "Leslie", "Lynn", "Marion", "Billie"),
    1950: ("Terry", "Leslie", "Kim", "Tracy", "Lynn", "Jody"),
    1960: ("Kelly", "Tracy", "Jamie", "Kim", "Terry", "Robin"),
    1970: ("Jamie", "Casey", "Kelly", "Jody", "Shannon", "Robin"),
    1980: ("Jordan", "Casey", "Jamie", "Taylor", "Alex", "Morgan"),
    1990: ("Taylor", "Jordan", "Alex", "Morgan", "Riley", "Casey"),
    2000: ("Riley", "Jordan", "Alex", "Taylor", "Avery", "Morgan"),
    2010: ("Avery", "Riley", "Charlie", "Quinn", "Rowan", "Jordan"),
}

# fmt: on

_TABLES = {"US": _US, "GB": _GB}

# ISO 3166 alpha-2 country → Faker locale, for countries without a cohort table.
# fmt: off
LOCALES: dict[str, str] = {
    "US": "en_US", "GB": "en_GB", "CA": "en_CA", "AU": "en_AU", "NZ": "en_NZ",
    "IE": "en_IE", "IN": "en_IN", "PH": "en_PH", "NG": "en_NG", "KE": "en_KE",
    "PK": "en_PK", "BD": "en_BD", "ZA": "zu_ZA", "DE": "de_DE", "AT": "de_AT",
    "CH": "de_CH", "LI": "de_LI", "LU": "de_LU", "FR": "fr_FR", "BE": "nl_BE",
    "NL": "nl_NL", "ES": "es_ES", "MX": "es_MX", "AR": "es_AR", "CL": "es_CL",
    "CO": "es_CO", "IT": "it_IT", "PT": "pt_PT", "BR": "pt_BR", "PL": "pl_PL",
    "CZ": "cs_CZ", "SK": "sk_SK", "HU": "hu_HU", "RO": "ro_RO", "BG": "bg_BG",
    "HR": "hr_HR", "SI": "sl_SI", "GR": "el_GR", "CY": "el_CY", "TR": "tr_TR",
    "SE": "sv_SE", "NO": "no_NO", "DK": "da_DK", "FI": "fi_FI", "IS": "is_IS",
    "EE": "et_EE", "LV": "lv_LV", "LT": "lt_LT", "RU": "ru_RU", "UA": "uk_UA",
    "IL": "he_IL", "IR": "fa_IR", "SA": "ar_SA", "AE": "ar_AE", "EG": "ar_EG",
    "JP": "ja_JP", "KR": "ko_KR", "CN": "zh_CN", "TW": "zh_TW", "TH": "th_TH",
    "VN": "vi_VN", "ID": "id_ID", "MT": "mt_MT", "GE": "ka_GE", "AM": "hy_AM",
}
# fmt: on
_COUNTRY_ALIASES = {"UK": "GB", "USA": "US"}
_UNKNOWN_COUNTRY = {"", "UNKNOWN", "NONE", "NULL", "N/A", "NA", "XX", "ZZ"}

# How far down a cohort's popularity ranking a name may fall: weight = 1 / (rank + 1) ** 0.8.
_RANK_DECAY = 0.8
# Soft preference for a new initial letter: looked for among this many next free candidates.
_INITIAL_WINDOW = 4


@dataclass(frozen=True)
class NameRequest:
    """What one persona's name is chosen from (``key`` is its stable segment signature)."""

    gender: str
    birth_year: int
    country: str
    key: str


def normalise_gender(gender: str | None) -> str:
    """'female', 'male' or 'unknown' (non-binary, missing and unrecognised values)."""
    g = (gender or "").strip().lower()
    if g in {"f", "female", "woman", "w"}:
        return "female"
    if g in {"m", "male", "man"}:
        return "male"
    return "unknown"


def normalise_country(country: str | None) -> str:
    """ISO alpha-2 upper case; missing/unknown countries become 'US' (the en_US default)."""
    from personae.locale.phones import country_code_of

    named = country_code_of(country)  # "United Kingdom", "Deutschland", "uk" as exports write
    c = named or (country or "").strip().upper()
    c = _COUNTRY_ALIASES.get(c, c)
    return "US" if c in _UNKNOWN_COUNTRY else c


def birth_decade(birth_year: int | float | None) -> int:
    """The table decade for a birth year, clamped to 1940s..2010s (missing → 1980s)."""
    if birth_year is None or (isinstance(birth_year, float) and not math.isfinite(birth_year)):
        return 1980
    decade = int(birth_year) // 10 * 10
    return min(max(decade, DECADES[0]), DECADES[-1])


def choose_name(gender: str, birth_year: int, country: str, key: str) -> str:
    """The most likely name for one persona: the first of its deterministic candidates."""
    return candidates(gender, birth_year, country, key)[0]


def assign_names(requests: Sequence[NameRequest]) -> list[str]:
    """Distinct names for all personas of one workspace, in request order.

    Each request walks its own candidates and takes the first name not used by an earlier
    request. Among the next few free names of the same tier (same cohort) it prefers one
    whose initial is not taken yet, because readers tell "Sarah" and "Mary" apart faster
    than "Sarah" and "Susan"; it never leaves the tier for that, so cohort fit comes first.
    """
    used: set[str] = set()
    initials: set[str] = set()
    names: list[str] = []
    for req in requests:
        tiers = _tiers(req.gender, req.birth_year, req.country, req.key)
        free_tiers = ([n for n in tier if n.casefold() not in used] for tier in tiers)
        free = next((t for t in free_tiers if t), None)
        if free is None:  # every candidate taken (hundreds of identical requests): number them
            base, k = tiers[0][0], 2
            while f"{base} {k}".casefold() in used:
                k += 1
            free = [f"{base} {k}"]
        window = free[:_INITIAL_WINDOW]
        name = next((n for n in window if n[:1].casefold() not in initials), window[0])
        used.add(name.casefold())
        initials.add(name[:1].casefold())
        names.append(name)
    return names


def candidates(gender: str, birth_year: int, country: str, key: str) -> list[str]:
    """Every name this persona could get, best first (deterministic for the arguments)."""
    return [name for tier in _tiers(gender, birth_year, country, key) for name in tier]


def _tiers(gender: str, birth_year: int, country: str, key: str) -> list[list[str]]:
    """Candidate names in tiers of falling fit, each tier in weighted-shuffle order.

    For US/GB: gender-neutral names of the decade (unknown gender only), the cohort's own
    list, the neighbouring decades, the other decades, then Faker's list for the locale.
    Elsewhere: Faker's gendered list for the country's locale. A name appears once, in its
    best tier; empty tiers are dropped.
    """
    g = normalise_gender(gender)
    c = normalise_country(country)
    decade = birth_decade(birth_year)
    weights: list[dict[str, float]] = []
    table = _TABLES.get(c)
    if table is not None:
        near = [d for d in DECADES if abs(d - decade) == 10]
        far = [d for d in DECADES if abs(d - decade) > 10]
        if g == "unknown":
            weights.append(_ranked(_NEUTRAL[decade]))
        weights += [_cohort(table, g, [decade]), _cohort(table, g, near), _cohort(table, g, far)]
    weights.append(_faker_names(LOCALES.get(c, "en_US"), g))
    seen: set[str] = set()
    tiers: list[list[str]] = []
    for i, tier in enumerate(weights):
        ordered = [
            n
            for n in _weighted_order(tier, f"{key}|{g}|{c}|{decade}|{i}")
            if n.casefold() not in seen
        ]
        seen.update(n.casefold() for n in ordered)
        if ordered:
            tiers.append(ordered)
    return tiers


def _ranked(names: Iterable[str]) -> dict[str, float]:
    """Popularity weights from a ranked list (first = most popular)."""
    weights: dict[str, float] = {}
    for rank, name in enumerate(names):
        weights.setdefault(name, 1.0 / (rank + 1) ** _RANK_DECAY)
    return weights


def _cohort(table: dict, gender: str, decades: list[int]) -> dict[str, float]:
    """Weights of the names of some decades; unknown gender interleaves both lists."""
    genders = ["female", "male"] if gender == "unknown" else [gender]
    weights: dict[str, float] = {}
    for d in decades:
        for g in genders:
            for name, w in _ranked(table[g][d]).items():
                weights[name] = max(weights.get(name, 0.0), w)
    return weights


@lru_cache(maxsize=64)
def _faker_lists(locale: str) -> tuple[dict[str, float], dict[str, float]]:
    """(female, male) first-name weights from Faker's person provider for ``locale``.

    Providers store either plain tuples (uniform weight) or name → frequency mappings.
    A locale without gendered lists uses its plain ``first_names`` for both.
    """
    import faker  # imported lazily: only non-table countries need it

    fake = faker.Faker(locale)
    person = next(p for p in fake.get_providers() if ".person." in type(p).__module__)

    def weights(attr: str) -> dict[str, float]:
        names = getattr(person, attr, None) or getattr(person, "first_names", ())
        if isinstance(names, dict):
            return {str(n): float(w) for n, w in names.items() if float(w) > 0}
        return {str(n): 1.0 for n in names}

    return weights("first_names_female"), weights("first_names_male")


def _faker_names(locale: str, gender: str) -> dict[str, float]:
    """Faker's localised names for one gender; unknown gender pools both lists."""
    female, male = _faker_lists(locale)
    if gender == "female":
        return female
    if gender == "male":
        return male
    fw, mw = sum(female.values()) or 1.0, sum(male.values()) or 1.0
    pooled = {n: w / fw for n, w in female.items()}
    for n, w in male.items():
        pooled[n] = pooled.get(n, 0.0) + w / mw
    return pooled


def _weighted_order(weights: dict[str, float], seed: str) -> list[str]:
    """A weighted shuffle (Efraimidis–Spirakis): popular names tend to come first.

    Each name gets an exponential race time -ln(u) / weight with ``u`` from SHA-256 of the
    seed and the name, so the order depends only on the inputs, never on process state.
    """

    def race(item: tuple[str, float]) -> tuple[float, str]:
        name, weight = item
        digest = hashlib.sha256(f"{seed}|{name}".encode()).digest()
        u = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
        return (-math.log(u) / weight, name)

    return [name for name, _ in sorted(weights.items(), key=race)]
