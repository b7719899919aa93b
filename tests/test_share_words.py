"""Share words follow the number (issue "Personas that read right", item 4): the bands in
personas/share_words.toml, read the way a marketer reads the sentence next to the figure."""

from __future__ import annotations

import pytest

from personae.personas.wording import covers_typical_member, habit_word, people_word


@pytest.mark.parametrize(
    ("share", "overall", "word"),
    [
        (0.95, 0.5, "almost all"),
        (0.72, 0.5, "mostly"),
        (0.51, 0.5, None),  # half and half: no claim about gender at all
        (0.56, 0.5, "slightly more"),
        (0.58, 0.56, None),  # a majority, but no more than among everyone
        (0.45, 0.3, None),  # under half is never "mostly"
    ],
)
def test_people_words(share: float, overall: float, word: str | None) -> None:
    assert people_word(share, overall) == word


@pytest.mark.parametrize(
    ("share", "word"),
    [(0.93, "almost always"), (0.7, "mostly"), (0.55, "more often than not"), (0.4, "most often")],
)
def test_habit_words(share: float, word: str) -> None:
    assert habit_word(share) == word


def test_a_figure_on_a_minority_is_not_the_typical_members() -> None:
    assert not covers_typical_member(42, 700)  # 6% bought twice
    assert covers_typical_member(350, 700)
    assert not covers_typical_member(0, 0)
