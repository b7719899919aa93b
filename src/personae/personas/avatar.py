"""Offline SVG avatars for personas, drawn with ``python_avatars``.

The face is illustrative, like the name, but it should fit the segment: grey hair for a
70-year-old, a blazer for a B2B buyer, long or short hair following the typical gender
presentation. Everything else (skin tone, hair colour, eyes, clothing colour ...) is picked
from diverse, friendly sets by SHA-256 of the persona ``key``, so the same persona always
gets the same face, in every run and process.

``python_avatars`` output is not safe to inline several times in one HTML page: its ids
(``mask-2``, ``path-1`` ...) repeat across avatars, some repeat within one avatar, a few
``fill="url(#...)"`` references point at ids it renamed, and parts carry foreign metadata
(``blush:`` attributes, RDF). :func:`sanitise_svg` rewrites every id with a per-key prefix,
re-points every reference at the nearest matching element, and keeps plain SVG only.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import TypeVar
from xml.etree import ElementTree as ET

import python_avatars as pa

from personae.personas.naming import normalise_gender

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG = f"{{{SVG_NS}}}"
_HREFS = ("href", f"{{{XLINK_NS}}}href")

H = pa.HairType
# Long styles for female presentation, short for male; unknown draws from both.
LONG_HAIR = (
    H.BIG_HAIR, H.BOB, H.BUN, H.CURLY, H.CURVY, H.LONG_NOT_TOO_LONG, H.MIA_WALLACE,
    H.STRAIGHT_1, H.STRAIGHT_2, H.STRAIGHT_STRAND, H.FRO, H.FRO_BAND, H.DREADS,
)  # fmt: skip
SHORT_HAIR = (
    H.CAESAR, H.CAESAR_SIDE_PART, H.SHORT_CURLY, H.SHORT_FLAT, H.SHORT_ROUND,
    H.SHORT_WAVED, H.SHORT_DREADS_1, H.FRIZZLE, H.QUIFF, H.SIDES,
)  # fmt: skip
NATURAL_HAIR_COLOURS = (
    pa.HairColor.BLACK, pa.HairColor.BROWN_DARK, pa.HairColor.BROWN, pa.HairColor.AUBURN,
    pa.HairColor.BLONDE, pa.HairColor.BLONDE_GOLDEN, pa.HairColor.RED,
)  # fmt: skip
# Grey shades: "salt and pepper" for some 50-60-year-olds, silver for everyone over 60.
GREYING = "#A9A9A9"
GREY_HAIR = (pa.HairColor.SILVER_GRAY.value, "#C9C9C9")
SKIN_TONES = (
    pa.SkinColor.PALE, pa.SkinColor.LIGHT, pa.SkinColor.TANNED, pa.SkinColor.BROWN,
    pa.SkinColor.DARK_BROWN, pa.SkinColor.BLACK,
)  # fmt: skip
PROFESSIONAL_CLOTHES = (
    pa.ClothingType.BLAZER_SHIRT, pa.ClothingType.BLAZER_SWEATER,
    pa.ClothingType.COLLAR_SWEATER,
)  # fmt: skip
CASUAL_CLOTHES = (
    pa.ClothingType.SHIRT_CREW_NECK, pa.ClothingType.SHIRT_SCOOP_NECK,
    pa.ClothingType.SHIRT_V_NECK, pa.ClothingType.HOODIE, pa.ClothingType.OVERALL,
)  # fmt: skip
C = pa.ClothingColor
PROFESSIONAL_COLOURS = (C.BLACK, C.BLUE_03, C.HEATHER, C.GRAY_02, C.BLUE_02, C.GRAY_01)
CASUAL_COLOURS = (
    C.BLUE_01, C.BLUE_02, C.PASTEL_BLUE, C.PASTEL_GREEN, C.PASTEL_ORANGE, C.PASTEL_YELLOW,
    C.PINK, C.RED, C.HEATHER, C.GRAY_01,
)  # fmt: skip
# Friendly expressions only: never sad, scared, eating, vomiting ...
MOUTHS = (pa.MouthType.SMILE, pa.MouthType.DEFAULT, pa.MouthType.TWINKLE)
EYES = (pa.EyeType.DEFAULT, pa.EyeType.HAPPY, pa.EyeType.SQUINT)
EYEBROWS = (
    pa.EyebrowType.DEFAULT, pa.EyebrowType.DEFAULT_NATURAL, pa.EyebrowType.RAISED_EXCITED,
    pa.EyebrowType.RAISED_EXCITED_NATURAL, pa.EyebrowType.FLAT_NATURAL,
)  # fmt: skip
BEARDS = (
    pa.FacialHairType.BEARD_LIGHT, pa.FacialHairType.BEARD_MEDIUM,
    pa.FacialHairType.MOUSTACHE_FANCY, pa.FacialHairType.BEARD_MAGESTIC,
)  # fmt: skip
GLASSES = (pa.AccessoryType.PRESCRIPTION_1, pa.AccessoryType.PRESCRIPTION_2, pa.AccessoryType.ROUND)
BACKGROUNDS = ("#CFE8FC", "#D7F2E3", "#FBE3D0", "#EADCF8", "#FFF1C1", "#DDE3EA")

_T = TypeVar("_T")


def avatar_svg(
    gender: str,
    age: float | None,
    key: str,
    *,
    professional: bool = False,
    title: str | None = None,
    size: int | None = None,
) -> str:
    """A self-contained SVG avatar for one persona, safe to inline next to others.

    ``gender`` is 'female', 'male' or anything else (unknown); ``age`` the segment's
    typical age (missing → 40); ``key`` the stable segment signature, which also prefixes
    every id. ``title`` becomes the SVG ``<title>`` (its accessible name); without one the
    image is marked decorative. ``size`` sets a width in px (height keeps the aspect);
    by default the SVG has only a ``viewBox`` and scales to its container.
    """
    avatar = pa.Avatar(**avatar_parts(gender, age, key, professional=professional))
    return sanitise_svg(avatar.render(), id_prefix=id_prefix(key), title=title, size=size)


def id_prefix(key: str) -> str:
    """The id prefix of one persona's avatar: a letter start, then 8 hex digits of the key."""
    return f"av{hashlib.sha256(key.encode()).hexdigest()[:8]}-"


def avatar_parts(gender: str, age: float | None, key: str, *, professional: bool = False) -> dict:
    """The ``python_avatars.Avatar`` arguments chosen for a persona (see module docstring)."""
    g = normalise_gender(gender)
    years = 40.0 if age is None or not math.isfinite(float(age)) else float(age)

    if g == "female":
        hair_styles: Sequence[pa.HairType] = LONG_HAIR
    elif g == "male":
        # Past 60 the receding "sides" cut is as likely as all the others together.
        hair_styles = SHORT_HAIR + (H.SIDES,) * (len(SHORT_HAIR) if years >= 60 else 0)
    else:
        hair_styles = LONG_HAIR + SHORT_HAIR

    skin = _pick(key, "skin", SKIN_TONES)
    if years >= 60:
        hair_colour = _pick(key, "grey", GREY_HAIR)
    elif years >= 50 and _unit(key, "greying") < 0.5:
        hair_colour = GREYING
    else:
        # Darker skin tones mostly come with black or dark brown hair.
        dark = skin in (pa.SkinColor.BROWN, pa.SkinColor.DARK_BROWN, pa.SkinColor.BLACK)
        palette = NATURAL_HAIR_COLOURS[:2] if dark and _unit(key, "dark") < 0.85 else None
        hair_colour = _pick(key, "hair-colour", palette or NATURAL_HAIR_COLOURS).value

    facial_hair = pa.FacialHairType.NONE
    if g == "male" and _unit(key, "beard?") < (0.2 if years < 25 else 0.4):
        facial_hair = _pick(key, "beard", BEARDS if years >= 45 else BEARDS[:3])

    glasses_chance = 0.1 if years < 30 else 0.25 if years < 45 else 0.45 if years < 60 else 0.65
    accessory = pa.AccessoryType.NONE
    if _unit(key, "glasses?") < glasses_chance:
        accessory = _pick(key, "glasses", GLASSES)

    return {
        "style": pa.AvatarStyle.CIRCLE,
        "background_color": _pick(key, "background", BACKGROUNDS),
        "top": _pick(key, "hair", hair_styles),
        "hair_color": hair_colour,
        "facial_hair": facial_hair,
        "facial_hair_color": hair_colour,
        "skin_color": skin,
        "eyebrows": _pick(key, "eyebrows", EYEBROWS),
        "eyes": _pick(key, "eyes", EYES),
        "nose": pa.NoseType.DEFAULT,
        "mouth": _pick(key, "mouth", MOUTHS),
        "accessory": accessory,
        "clothing": _pick(key, "clothes", PROFESSIONAL_CLOTHES if professional else CASUAL_CLOTHES),
        "clothing_color": _pick(
            key, "clothes-colour", PROFESSIONAL_COLOURS if professional else CASUAL_COLOURS
        ),
        "shirt_graphic": pa.ClothingGraphic.NONE,
    }


def sanitise_svg(
    svg: str, *, id_prefix: str, title: str | None = None, size: int | None = None
) -> str:
    """Plain, self-contained SVG with every id prefixed and every reference resolved.

    Keeps SVG-namespace elements only (drops metadata, ``desc``, scripts, foreign
    attributes such as ``blush:color``), writes ``xlink:href`` as SVG 2 ``href``, removes
    fixed width/height (the ``viewBox`` stays) and any reference that is not local.
    """
    root = ET.fromstring(svg)
    _strip(root)
    parents = {child: parent for parent in root.iter() for child in parent}

    by_old: dict[str, list[ET.Element]] = {}
    taken: set[str] = set()
    for el in root.iter():
        old = el.get("id")
        if old is None:
            continue
        by_old.setdefault(old, []).append(el)
        base = id_prefix + (re.sub(r"[^A-Za-z0-9_-]+", "-", old).strip("-") or "id")
        new, n = base, 2
        while new in taken:
            new, n = f"{base}-{n}", n + 1
        taken.add(new)
        el.set("id", new)

    for el in list(root.iter()):
        for attr, value in list(el.attrib.items()):
            if attr in _HREFS:
                del el.attrib[attr]
                target = _resolve(value[1:], el, by_old, parents) if value[:1] == "#" else None
                if target is not None:
                    el.set("href", "#" + target)
            elif "url(" in value:
                _rewrite_urls(el, attr, value, by_old, parents)

    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    if size is not None:
        _, _, vb_w, vb_h = (float(v) for v in root.get("viewBox", "0 0 264 280").split())
        root.set("width", str(int(size)))
        root.set("height", str(round(size * vb_h / vb_w)))
    root.set("role", "img")
    if title:
        title_el = ET.Element(_SVG + "title")
        title_el.text = title
        root.insert(0, title_el)
    else:
        root.set("aria-hidden", "true")
    # Plain tag names plus an explicit xmlns: the output never depends on ElementTree's
    # global prefix registry (an "ns0:" or "svg:" prefix would break inline HTML).
    for el in root.iter():
        el.tag = el.tag.removeprefix(_SVG)
    attrs = {"xmlns": SVG_NS, **{k: v for k, v in root.attrib.items() if k != "xmlns"}}
    root.attrib.clear()
    root.attrib.update(attrs)
    return ET.tostring(root, encoding="unicode")


def _strip(root: ET.Element) -> None:
    """Drop what is not plain drawing: metadata, foreign elements and attributes, handlers."""
    drop_tags = {_SVG + t for t in ("title", "desc", "metadata", "script", "foreignObject")}
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in drop_tags or not str(child.tag).startswith(_SVG):
                parent.remove(child)
    for el in root.iter():
        for attr in list(el.attrib):
            if (attr.startswith("{") and attr not in _HREFS) or attr.startswith("on"):
                del el.attrib[attr]


def _rewrite_urls(el, attr, value, by_old, parents) -> None:
    """Re-point ``url(#x)`` references; a reference that cannot be resolved is removed."""
    ok = True

    def repl(match: re.Match) -> str:
        nonlocal ok
        target = _resolve(match.group(1), el, by_old, parents)
        ok = ok and target is not None
        return f"url(#{target})"

    new = re.sub(r"url\(\s*['\"]?#([^'\")\s]+)['\"]?\s*\)", repl, value)
    if ok and "url(" not in re.sub(r"url\(#[^)]+\)", "", new):
        el.set(attr, new)
    elif attr in ("fill", "stroke"):
        el.set(attr, "none")  # what a renderer paints for a missing paint server
    else:
        del el.attrib[attr]


def _resolve(old: str, el: ET.Element, by_old: dict, parents: dict) -> str | None:
    """The new id of the element ``old`` meant, seen from ``el``.

    With several elements of that id, the one sharing the deepest ancestor with ``el`` wins
    (the one from the same part file). An id python_avatars renamed without renaming the
    reference (``url(#linearGradient-2)`` → ``sunglasses_linearGradient-2``) is found by
    its suffix.
    """
    matches = by_old.get(old) or [e for k, v in by_old.items() if k.endswith("_" + old) for e in v]
    if not matches:
        return None
    chain = _ancestors(el, parents)
    depth = {a: i for i, a in enumerate(reversed(chain))}

    def shared(target: ET.Element) -> int:
        return max((depth[a] for a in _ancestors(target, parents) if a in depth), default=-1)

    return max(matches, key=shared).get("id")  # max keeps the first of equal depth


def _ancestors(el: ET.Element, parents: dict) -> list[ET.Element]:
    """``el`` and its ancestors, nearest first."""
    chain = [el]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
    return chain


def _unit(key: str, slot: str) -> float:
    """A uniform number in [0, 1) from SHA-256 of the key and what it decides."""
    digest = hashlib.sha256(f"{key}|{slot}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _pick(key: str, slot: str, options: Sequence[_T]) -> _T:
    """One of ``options``, chosen by the key for this slot."""
    return options[int(_unit(key, slot) * len(options))]
