"""Minimum group size: no published figure rests on fewer than k people.

A persona, a segment sentence, a chart bar or a quote is *about* a group of people. When
that group is small, the figure says something about a few identifiable individuals rather
than about a kind of customer, so every publishing step applies the same rules
(``[governance] min_group_size``, k, default 10):

* **groups** — a statistic (a share, a mean, a median, a persona) is published only when
  the group it is computed over has at least k people (:func:`small`);
* **cells** — a count inside a group (the people holding a category level, reaching a
  journey stage, sitting in an RFM cell) is published only when it is zero or at least k
  (:func:`small_cell`): zero discloses nobody, 1..k-1 would;
* **categories** — in a distribution, levels held by fewer than k people are merged into
  "Other"; when that pool itself stays under k the next-smallest levels join it, so the
  pooled cell can never be subtracted back out of the total (:func:`pool_small`);
* **histograms** — adjacent bins are merged until each holds at least k (:func:`merge_bins`);
* whatever is left out says so in words a reader sees (:func:`fewer_than`,
  :func:`suppressed`).

The rules only ever *remove or merge*; they never change a figure that is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

DEFAULT_MIN_GROUP_SIZE = 10
OTHER = "Other"
# Evidence notes and journey claims of withheld figures start with this word, so readers
# (and tests) can tell a suppressed stage from one nobody reached.
SUPPRESSED = "suppressed"

K = TypeVar("K")


def check_k(k: int) -> int:
    """``k`` as an int ≥ 1; a wrong value fails loudly instead of publishing everything."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(
            f"min_group_size must be a whole number ≥ 1, got {k!r}. "
            "Fix: set [governance] min_group_size in personae.toml (default 10)."
        )
    return k


def small(n: float | None, k: int) -> bool:
    """True when a group of ``n`` people is too small to publish a statistic about.

    An unknown size (None) counts as small: a figure nobody can vouch for is not published.
    An empty group is small too (there is no statistic to publish).
    """
    return n is None or n < k


def small_cell(n: float | None, k: int) -> bool:
    """True when a count of people inside a group must not be published: 1 ≤ n < k.

    Zero is publishable ("nobody did"): it identifies no one.
    """
    return n is None or 0 < n < k


def fewer_than(k: int, noun: str = "people") -> str:
    """The words every note uses: "fewer than 10 people"."""
    return f"fewer than {k:,} {noun}"


def suppressed(what: str, k: int, noun: str = "people") -> str:
    """A visible note for a withheld figure: "Segment 7: not shown — fewer than 10 customers
    (minimum group size)."""
    return f"{what}: not shown — {fewer_than(k, noun)} (minimum group size)."


def keep_if(value, n: float | None, k: int):
    """``value`` when its group of ``n`` people is large enough, else None."""
    return None if small(n, k) else value


@dataclass(frozen=True)
class Pooled:
    """A distribution after pooling: what is shown, what was merged into "Other"."""

    kept: dict[str, int]  # level -> people, in the input order
    other: int  # people merged into the "Other" cell (0, or ≥ k)
    merged: list[str] = field(default_factory=list)  # levels merged into it
    hidden: int = 0  # people not shown at all (only when the whole group is under k)

    @property
    def total(self) -> int:
        return sum(self.kept.values()) + self.other + self.hidden

    def cells(self, other: str = OTHER) -> dict[str, int]:
        """The published cells, "Other" last when anything was merged."""
        out = dict(self.kept)
        if self.other:
            out[other] = out.get(other, 0) + self.other
        return out

    def note(self, k: int, noun: str = "people", other: str = OTHER) -> str | None:
        """What a reader is told about the pooling, or None when nothing was pooled."""
        if self.hidden:
            return f"Not shown: {fewer_than(k, noun)} in all (minimum group size)."
        if self.merged:
            return (
                f"Values held by {fewer_than(k, noun)} are merged into “{other}” "
                "(minimum group size)."
            )
        return None


def pool_small(counts: Mapping[str, int] | Iterable[tuple[str, int]], k: int) -> Pooled:
    """Merge the levels held by fewer than ``k`` people into one "Other" cell.

    When the pooled cell itself holds fewer than ``k``, the smallest remaining levels join
    it until it reaches ``k`` (otherwise "Other = total − the rest" would give the small
    count back). A group of fewer than ``k`` in all is hidden entirely.
    """
    items = list(counts.items()) if isinstance(counts, Mapping) else list(counts)
    items = [(str(level), int(n)) for level, n in items]
    total = sum(n for _, n in items)
    if 0 < total < k:
        return Pooled({}, 0, [level for level, n in items if n > 0], hidden=total)
    kept = {level: n for level, n in items if not small_cell(n, k)}
    merged = [level for level, n in items if small_cell(n, k)]
    other = sum(n for level, n in items if level in merged)
    while 0 < other < k:
        candidates = [(n, level) for level, n in kept.items() if n > 0]
        if not candidates:
            break
        n, level = min(candidates)
        del kept[level]
        merged.append(level)
        other += n
    order = {level: i for i, (level, _) in enumerate(items)}
    merged.sort(key=order.__getitem__)
    return Pooled(kept, other, merged)


def hidden_cells(counts: Mapping[K, int], k: int) -> set[K]:
    """The cells of a table to blank out: every small cell, and as many more of the smallest
    as it takes for the blanked cells to hold ``k`` or more together (so a printed total
    cannot give a small one back)."""
    by_key = {i: key for i, key in enumerate(counts)}
    pooled = pool_small([(str(i), int(counts[key])) for i, key in by_key.items()], k)
    if pooled.hidden:
        return set(counts)
    return {by_key[int(i)] for i in pooled.merged}


def merge_bins(bins: Sequence[tuple[float, float, int]], k: int) -> list[tuple[float, float, int]]:
    """Histogram bins ``(start, end, n)`` in order, adjacent ones merged so every published
    bin holds at least ``k`` people. Empty bins are dropped (they draw nothing); a group of
    fewer than ``k`` in all gives no bins."""
    out: list[tuple[float, float, int]] = []
    run: tuple[float, float, int] | None = None
    for start, end, n in bins:
        if n <= 0:
            continue
        run = (run[0], end, run[2] + n) if run is not None else (start, end, n)
        if run[2] >= k:
            out.append(run)
            run = None
    if run is not None and out:  # the tail joins the last bin; alone, the group is under k
        start, _, n = out.pop()
        out.append((start, run[1], n + run[2]))
    return out
