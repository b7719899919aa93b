"""Words that follow the figures: how many members a share describes, and whether a figure
describes the typical member at all.

The bands live in ``share_words.toml`` so that a reader can check them against the number
printed next to each word, and a translator or a picky marketer can change them without
touching code. One function per question, used by the persona's facts, its bio and its
epithet alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ShareWords:
    people: tuple[tuple[float, str], ...]
    habits: tuple[tuple[float, str], ...]
    min_points_over_average: float
    min_coverage: float


@cache
def share_words() -> ShareWords:
    data = tomllib.loads(
        resources.files("personae.personas").joinpath("share_words.toml").read_text("utf-8")
    )

    def bands(key: str) -> tuple[tuple[float, str], ...]:
        rows = sorted(((float(b["floor"]), str(b["word"])) for b in data[key]), reverse=True)
        return tuple(rows)

    claims = data["claims"]
    return ShareWords(
        bands("people"),
        bands("habits"),
        float(claims["min_points_over_average"]),
        float(claims["min_coverage"]),
    )


def people_word(share: float, overall: float | None = None) -> str | None:
    """'almost all' / 'mostly' / 'slightly more' for a share of members, or None when the
    share is no claim: under half, or barely off the average ("slightly more women" for 51%
    where everyone is 50% women says nothing)."""
    words = share_words()
    weakest = words.people[-1][0]  # "slightly more": only said when off the average
    for floor, word in words.people:
        if share >= floor:
            near = overall is not None and share - overall < words.min_points_over_average
            return None if floor == weakest and near else word
    return None


def habit_word(share: float) -> str:
    """'almost always' / 'mostly' / 'more often than not' / 'most often' for the share of
    members a habit (channel, time of day) holds for."""
    for floor, word in share_words().habits:
        if share >= floor:
            return word
    return share_words().habits[-1][1]


def covers_typical_member(known: int, members: int) -> bool:
    """Whether a figure over ``known`` of ``members`` may be stated as the persona's."""
    return members > 0 and known / members >= share_words().min_coverage
