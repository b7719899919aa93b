"""Persona names and avatars: deterministic, fitting the cohort, safe to inline many times."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from xml.etree import ElementTree as ET

import faker
import pytest
import python_avatars as pa
from faker.providers.person.de_DE import Provider as GermanNames
from faker.providers.person.fr_FR import Provider as FrenchNames

from personae.personas.avatar import avatar_svg, id_prefix, sanitise_svg
from personae.personas.naming import LOCALES, NameRequest, assign_names, choose_name

KEYS = [f"segment-{i}" for i in range(60)]

# Popular names per cohort, written from the SSA / ONS lists independently of naming.py
# (broader than its table, so a correct pick from the table is always inside).
US_F_1980S = {
    "Jessica", "Jennifer", "Amanda", "Ashley", "Sarah", "Stephanie", "Melissa", "Nicole",
    "Elizabeth", "Heather", "Tiffany", "Michelle", "Amber", "Megan", "Amy", "Rachel",
    "Kimberly", "Christina", "Lauren", "Crystal", "Brittany", "Rebecca", "Laura", "Emily",
}  # fmt: skip
US_F_1950S = {
    "Mary", "Linda", "Patricia", "Susan", "Deborah", "Barbara", "Debra", "Karen", "Nancy",
    "Donna", "Cynthia", "Sandra", "Pamela", "Sharon", "Kathleen", "Carol", "Diane", "Brenda",
    "Cheryl", "Janet", "Elizabeth", "Kathy", "Margaret", "Janice",
}  # fmt: skip
US_F_1940S = {
    "Mary", "Linda", "Barbara", "Patricia", "Carol", "Sandra", "Nancy", "Sharon", "Judith",
    "Susan", "Betty", "Carolyn", "Margaret", "Shirley", "Judy", "Karen", "Donna", "Kathleen",
}  # fmt: skip
US_M_1980S = {
    "Michael", "Christopher", "Matthew", "Joshua", "David", "James", "Daniel", "Robert",
    "John", "Joseph", "Jason", "Justin", "Andrew", "Ryan", "William", "Brian", "Brandon",
    "Jonathan", "Nicholas", "Anthony", "Eric", "Adam", "Kevin", "Thomas", "Steven",
}  # fmt: skip
US_M_2010S = {
    "Noah", "Liam", "Jacob", "William", "Mason", "Ethan", "Michael", "Alexander", "James",
    "Elijah", "Benjamin", "Daniel", "Aiden", "Logan", "Jayden", "Matthew", "Lucas", "Oliver",
}  # fmt: skip
GB_M_1970S = {
    "Paul", "Mark", "David", "Andrew", "Richard", "Christopher", "James", "Simon", "Michael",
    "Matthew", "Stephen", "Lee", "Jason", "Ian", "Neil", "Darren", "Robert", "Daniel",
    "Gary", "Craig", "Steven", "Peter", "John",
}  # fmt: skip
FEMALE_ANY_ERA = US_F_1980S | US_F_1950S | US_F_1940S | {"Emma", "Olivia", "Sophia", "Ava"}
UNISEX = {"Taylor", "Jordan", "Alex", "Morgan", "Riley", "Casey", "Jamie", "Avery", "Quinn"}


def _picks(gender: str, year: int, country: str, keys=KEYS) -> list[str]:
    return [choose_name(gender, year, country, k) for k in keys]


# --------------------------------------------------------------------------- names


def test_names_are_deterministic_and_vary_with_the_key():
    assert _picks("female", 1985, "US") == _picks("female", 1985, "US")
    assert len(set(_picks("female", 1985, "US"))) >= 5  # the key really varies the pick


def test_us_names_fit_the_birth_cohort():
    eighties, fifties = _picks("female", 1985, "US"), _picks("female", 1950, "US")
    assert set(eighties) <= US_F_1980S
    assert set(fifties) <= US_F_1950S
    assert not set(eighties) & set(fifties)
    # weighted towards the most popular names of the cohort
    assert Counter(eighties).most_common(1)[0][0] in {"Jessica", "Jennifer", "Amanda"}
    assert Counter(fifties).most_common(1)[0][0] in {"Mary", "Linda", "Patricia"}


def test_gb_names_fit_the_cohort_and_uk_is_gb():
    assert set(_picks("male", 1975, "GB")) <= GB_M_1970S
    assert _picks("male", 1975, "uk") == _picks("male", 1975, "GB")


def test_gender_is_respected():
    men = _picks("male", 1985, "US")
    assert set(men) <= US_M_1980S
    assert not set(men) & FEMALE_ANY_ERA
    assert not set(_picks("female", 1985, "US")) & US_M_1980S
    # unknown (or non-binary) gender prefers names given to girls and boys alike
    assert set(_picks("unknown", 1992, "US")) <= UNISEX
    assert set(_picks("non-binary", 1992, "GB", KEYS[:10])) <= UNISEX


def test_birth_years_outside_the_table_are_clamped():
    assert set(_picks("female", 1925, "US")) <= US_F_1940S
    assert set(_picks("male", 2023, "US")) <= US_M_2010S


def test_other_countries_use_fakers_localised_gendered_names():
    german = _picks("female", 1980, "DE", KEYS[:20])
    assert set(german) <= set(GermanNames.first_names_female)
    assert len(set(german)) > 5
    french = _picks("male", 1980, "FR", KEYS[:20])
    assert set(french) <= set(FrenchNames.first_names_male)
    assert not set(french) & (
        set(FrenchNames.first_names_female) - set(FrenchNames.first_names_male)
    )


def test_every_mapped_locale_exists_in_faker_and_yields_a_name():
    assert set(LOCALES.values()) <= set(faker.config.AVAILABLE_LOCALES)
    for country in LOCALES:
        for gender in ("female", "male", "unknown"):
            assert choose_name(gender, 1980, country, "k").strip()


def test_assign_names_gives_distinct_stable_cohort_names():
    requests = [NameRequest("female", 1985, "US", "same-signature")] * 8
    names = assign_names(requests)
    assert len(set(names)) == 8
    assert set(names) <= US_F_1980S  # collisions take the next name of the same cohort
    assert names == assign_names(requests)
    assert names[0] == choose_name("female", 1985, "US", "same-signature")
    assert assign_names(requests[:3]) == names[:3]  # earlier personas keep their names
    # soft preference for distinct initials while the cohort offers them
    assert len({n[0] for n in names[:5]}) == 5


def test_assign_names_stays_distinct_beyond_the_table():
    names = assign_names([NameRequest("male", 1975, "GB", "s")] * 40)
    assert len({n.casefold() for n in names}) == 40
    mixed = [NameRequest(g, 1980, c, f"k{i}") for i, (g, c) in enumerate(
        [("female", "US"), ("female", "US"), ("male", "DE"), ("unknown", "US"), ("male", "US")]
    )]  # fmt: skip
    assert len(set(assign_names(mixed))) == len(mixed)


# --------------------------------------------------------------------------- avatars

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _ids(svg: str) -> list[str]:
    return [el.get("id") for el in ET.fromstring(svg).iter() if el.get("id") is not None]


def _refs(svg: str) -> set[str]:
    return set(re.findall(r"url\(\s*['\"]?#([^'\")\s]+)", svg)) | set(
        re.findall(r"href=\"#([^\"]+)\"", svg)
    )


def _ids_matching(svg: str, pattern: str) -> list[str]:
    return [i for i in _ids(svg) if re.search(pattern, i)]


def _grey(hex_colour: str) -> bool:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return max(r, g, b) - min(r, g, b) <= 0x18 and min(r, g, b) >= 0x90


def _hair_fills(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.get("fill") for el in root.iter() if el.get("id", "").endswith("Hair-Color")]


VARIETY = [
    (gender, age, professional)
    for gender in ("female", "male", "unknown")
    for age in (24, 38, 55, 71)
    for professional in (False, True)
]


def test_avatar_is_deterministic():
    assert avatar_svg("female", 34, "seg-a") == avatar_svg("female", 34, "seg-a")
    assert avatar_svg("female", 34, "seg-a") != avatar_svg("female", 34, "seg-b")


def test_avatar_is_self_contained_xml_that_scales():
    for i, (gender, age, pro) in enumerate(VARIETY):
        svg = avatar_svg(gender, age, f"v{i}", professional=pro)
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
        assert set(re.findall(r"https?://[^\"'\s)]*", svg)) == {"http://www.w3.org/2000/svg"}
        assert "<title" not in svg and "blush" not in svg and "xlink" not in svg
        assert re.match(r"<svg[ >]", svg)  # no namespace prefix, inlines into HTML as is
        refs = _refs(svg)
        assert refs, "python_avatars masks are referenced, so references must exist"
        assert refs <= set(_ids(svg)), f"dangling references in {gender} {age}"
    sized = ET.fromstring(avatar_svg("male", 40, "k", size=96, title="Avatar of Mike"))
    assert (sized.get("width"), sized.get("height")) == ("96", str(round(96 * 280 / 264)))
    assert sized.find("{http://www.w3.org/2000/svg}title").text == "Avatar of Mike"


def test_ids_are_prefixed_and_unique_across_avatars():
    a, b = avatar_svg("female", 30, "persona-a"), avatar_svg("female", 30, "persona-b")
    ids_a, ids_b = _ids(a), _ids(b)
    assert len(ids_a) == len(set(ids_a)) and len(ids_b) == len(set(ids_b))
    assert all(i.startswith(id_prefix("persona-a")) for i in ids_a)
    assert all(i.startswith(id_prefix("persona-b")) for i in ids_b)
    assert not set(ids_a) & set(ids_b)
    page = f"<div xmlns='http://www.w3.org/2000/svg'>{a}{b}</div>"  # both inlined at once
    page_ids = [el.get("id") for el in ET.fromstring(page).iter() if el.get("id")]
    assert len(page_ids) == len(set(page_ids))


def test_sanitise_repairs_references_python_avatars_leaves_dangling():
    # python_avatars renames gradient ids but not fill="url(#...)"; sunglasses use them.
    raw = pa.Avatar(
        accessory=pa.AccessoryType.WAYFARERS,
        top=pa.HairType.SHORT_FLAT,
        clothing=pa.ClothingType.HOODIE,
        eyes=pa.EyeType.DEFAULT,
        eyebrows=pa.EyebrowType.DEFAULT,
    ).render()
    clean = sanitise_svg(raw, id_prefix="t-")
    assert _refs(clean) <= set(_ids(clean))
    root = ET.fromstring(clean)
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    gradient_fills = [
        el.get("fill")[5:-1] for el in root.iter() if el.get("fill", "").startswith("url(#")
    ]
    assert gradient_fills  # kept and re-pointed, not dropped
    assert all(by_id[g].tag.endswith("linearGradient") for g in gradient_fills)
    assert XLINK_HREF not in clean and "xlink" not in clean


def test_sanitise_resolves_repeated_ids_locally_and_drops_external_references():
    raw = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:blush="http://design.blush" width="10px" height="10px" viewBox="0 0 10 10">'
        "<title>x</title><metadata><foo/></metadata><script>alert(1)</script>"
        '<g id="a"><defs><path id="p" d="M0 0"/></defs><use xlink:href="#p" blush:color="x"/></g>'
        '<g id="b"><defs><path id="p" d="M1 1"/></defs><use xlink:href="#p" onclick="x()"/>'
        '<rect fill="url(http://evil.example/x.svg#g)" mask="url(#nowhere)"/>'
        '<image href="https://evil.example/x.png"/></g></svg>'
    )
    clean = sanitise_svg(raw, id_prefix="z-")
    root = ET.fromstring(clean)
    ns = "{http://www.w3.org/2000/svg}"
    groups = {g.get("id"): g for g in root.iter(ns + "g")}
    assert set(groups) == {"z-a", "z-b"}
    for g in groups.values():  # each <use> points at the path of its own group
        path_id = g.find(f"{ns}defs/{ns}path").get("id")
        assert g.find(ns + "use").get("href") == "#" + path_id
    assert len(set(_ids(clean))) == len(_ids(clean)) == 4
    assert "http" not in clean.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"script|metadata|title|onclick|blush|xlink|nowhere", clean)
    rect = root.find(f"{ns}g/{ns}rect")
    assert rect.get("fill") == "none" and rect.get("mask") is None


def test_age_drives_grey_hair():
    for i in range(12):
        for gender in ("female", "male", "unknown"):
            old = _hair_fills(avatar_svg(gender, 70, f"old-{i}"))
            young = _hair_fills(avatar_svg(gender, 30, f"young-{i}"))
            assert old and all(_grey(f) for f in old), (gender, i, old)
            assert young and not any(_grey(f) for f in young), (gender, i, young)
    fifties = [_hair_fills(avatar_svg("female", 55, k))[0] for k in KEYS[:30]]
    assert 0 < sum(_grey(f) for f in fifties) < 30  # some grey in their fifties


def test_gender_drives_hair_and_facial_hair():
    women = [avatar_svg("female", 40, k) for k in KEYS[:30]]
    men = [avatar_svg("male", 40, k) for k in KEYS[:30]]
    assert all(_ids_matching(s, "Top-?Long-Hair") for s in women)
    assert not any(_ids_matching(s, "Top-?Short-Hair|Hairstyle-Quiff") for s in women)
    assert not any(_ids_matching(s, "Top-?Long-Hair") for s in men)
    beard = "Beard|Moustache|Facial-Hair-Color"
    assert not any(_ids_matching(s, beard) for s in women)
    bearded = sum(bool(_ids_matching(s, beard)) for s in men)
    assert 0 < bearded < len(men)  # only some keys


def test_glasses_become_more_likely_with_age():
    def with_glasses(age: int) -> int:
        return sum(bool(_ids_matching(avatar_svg("female", age, k), "_Resources-")) for k in KEYS)

    assert with_glasses(72) > with_glasses(24)


def test_expressions_are_friendly_and_clothing_follows_professional():
    for k in KEYS[:30]:
        casual = avatar_svg("unknown", 35, k)
        pro = avatar_svg("unknown", 35, k, professional=True)
        for svg in (casual, pro):
            mouths = {m.split("_Mouth-")[1] for m in _ids_matching(svg, "_Mouth-")}
            assert mouths and mouths <= {"Smile", "Default", "Twinkle"}
        assert _ids_matching(pro, "(?i)blazer|sweater")
        assert not _ids_matching(casual, "(?i)blazer|sweater")


def test_skin_tones_are_diverse():
    skins = set()
    for k in KEYS:
        root = ET.fromstring(avatar_svg("female", 35, k))
        skins |= {el.get("fill") for el in root.iter() if el.get("id", "").endswith("Skin-Color")}
    assert len(skins) >= 5


# --------------------------------------------------------------------------- processes

_PROBE = """
import hashlib, json
from personae.personas.avatar import avatar_svg
from personae.personas.naming import NameRequest, assign_names, choose_name
print(json.dumps({
    "choose": [choose_name(g, y, c, k) for g, y, c, k in %r],
    "assign": assign_names([NameRequest("female", 1985, "US", "x")] * 6),
    "svg": hashlib.sha256(avatar_svg("male", 63, "probe", professional=True).encode()).hexdigest(),
}))
"""


@pytest.mark.parametrize("hash_seed", ["1", "987"])
def test_same_output_in_another_process(hash_seed: str):
    cases = [("female", 1985, "US", "a"), ("male", 1962, "GB", "b"), ("female", 1990, "DE", "c"),
             ("unknown", 2001, "US", "d"), ("male", 1975, "JP", "e")]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE % (cases,)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(out.stdout)
    assert seen == {
        "choose": [choose_name(*case) for case in cases],
        "assign": assign_names([NameRequest("female", 1985, "US", "x")] * 6),
        "svg": hashlib.sha256(
            avatar_svg("male", 63, "probe", professional=True).encode()
        ).hexdigest(),
    }
