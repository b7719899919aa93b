"""Shared building blocks: the fixed clock, the row container and vectorised formatters.

Everything here is deliberately column-oriented: a chunk of a source is a list of Python
lists (one per column), built with numpy draws and list comprehensions. That keeps a
million-customer run fast without ever formatting values one row at a time in a loop body.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import numpy as np

AS_OF = dt.date(2026, 10, 31)
DAY = 86_400
END_TS = int(dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp())
START_TS = END_TS + 1 - 730 * DAY  # 2024-11-01T00:00:00Z: two years of history

# Timestamp spellings the ingester accepts (see the module docstring of ``formats``).
TS_ISO_Z = 0  # 2025-03-04T18:22:11Z
TS_ISO_MS_Z = 1  # 2025-03-04T18:22:11.123Z
TS_ISO_OFFSET = 2  # 2025-03-04T13:22:11-05:00
TS_SPACE = 3  # 2025-03-04 18:22:11 (naive = UTC)
TS_DATE = 4  # 2025-03-04
TS_US_DATE = 5  # 03/04/2025
TS_US_DT = 6  # 03/04/2025 18:22


@dataclass
class Rows:
    """One chunk of one source file, column-major, every cell already a string (or None).

    ``person``/``account`` carry the ground truth for each record. ``faults`` marks records
    whose *serialised* form must be broken (bad_json, bad_encoding, column_count), which only
    the writer can do; value-level faults are applied to ``data`` directly.
    """

    name: str
    columns: list[str]
    data: list[list]
    person: list[str]
    account: list[str] | None = None
    faults: dict[int, str] = field(default_factory=dict)
    protected: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.person)

    def col(self, name: str) -> list:
        return self.data[self.columns.index(name)]

    def reorder(self, order: np.ndarray | list[int]) -> None:
        """Permute every column (and the truth) by ``order``; used to sort a chunk by time."""
        idx = order.tolist() if isinstance(order, np.ndarray) else order
        self.data = [[c[i] for i in idx] for c in self.data]
        self.person = [self.person[i] for i in idx]
        if self.account is not None:
            self.account = [self.account[i] for i in idx]


def py_random(rng: np.random.Generator) -> random.Random:
    """A stdlib Random derived from the chunk's numpy generator, for cheap scalar choices."""
    return random.Random(int(rng.integers(0, 2**62)))


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Sample one category per row from a per-row probability matrix (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(probs))
    return (u[:, None] > cum).sum(axis=1)


def weights(options: list[str], spec: dict[str, float]) -> np.ndarray:
    """A probability vector over ``options`` from a sparse {option: weight} dict."""
    w = np.array([spec.get(o, 0.0) for o in options], dtype=float)
    if w.sum() <= 0:
        w[:] = 1.0
    return w / w.sum()


def uuids(rng: np.random.Generator, n: int) -> list[str]:
    """Random UUID-4-shaped strings (deterministic given the generator)."""
    h = rng.bytes(16 * n).hex()
    out = []
    for i in range(0, 32 * n, 32):
        s = h[i : i + 32]
        out.append(f"{s[:8]}-{s[8:12]}-4{s[13:16]}-a{s[17:20]}-{s[20:]}")
    return out


def iso_base(ts: np.ndarray) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SS`` for epoch seconds, vectorised by numpy."""
    if len(ts) == 0:
        return []
    return np.datetime_as_string(
        np.asarray(ts, dtype="int64").astype("datetime64[s]"), unit="s"
    ).tolist()


def _us_date(s: str) -> str:
    return f"{s[5:7]}/{s[8:10]}/{s[:4]}"


_SIMPLE = {
    TS_ISO_Z: lambda s: s + "Z",
    TS_SPACE: lambda s: f"{s[:10]} {s[11:]}",
    TS_DATE: lambda s: s[:10],
    TS_US_DATE: _us_date,
    TS_US_DT: lambda s: f"{_us_date(s)} {s[11:16]}",
}


def fmt_ts(
    ts: np.ndarray,
    kinds: np.ndarray | int,
    rng: np.random.Generator | None = None,
    offsets: np.ndarray | None = None,
) -> list[str]:
    """Format epoch seconds in one of the accepted spellings per row.

    ``kinds`` is a scalar or one TS_* code per row. ``offsets`` (hours) is used by
    TS_ISO_OFFSET rows, which print the local wall time with its UTC offset.
    """
    ts = np.asarray(ts, dtype="int64")
    n = len(ts)
    k = np.full(n, kinds, dtype="int64") if np.isscalar(kinds) else np.asarray(kinds)
    if offsets is None:
        offsets = np.zeros(n, dtype="int64")
    local = np.where(k == TS_ISO_OFFSET, ts + offsets * 3600, ts)
    base = iso_base(local)
    out: list[str] = [""] * n
    ms = rng.integers(0, 1000, n).tolist() if rng is not None else [0] * n
    offs = offsets.tolist()
    for i, (kind, s) in enumerate(zip(k.tolist(), base, strict=True)):
        if kind == TS_ISO_MS_Z:
            out[i] = f"{s}.{ms[i]:03d}Z"
        elif kind == TS_ISO_OFFSET:
            o = offs[i]
            out[i] = f"{s}{'-' if o < 0 else '+'}{abs(o):02d}:00"
        else:
            out[i] = _SIMPLE[kind](s)
    return out


def money(values: np.ndarray) -> list[str]:
    """Plain two-decimal money strings (``19.99``)."""
    return [f"{v:.2f}" for v in np.round(np.asarray(values, dtype=float), 2).tolist()]


def groups_start(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group in a flat array built with ``np.repeat(ids, counts)``."""
    starts = np.zeros(len(counts), dtype="int64")
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return starts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0-based position of every flat element inside its group."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(groups_start(counts), counts)


def day_of_week(ts: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return ((np.asarray(ts) // DAY) + 3) % 7


def place_in_day(
    rng: np.random.Generator,
    days_ts: np.ndarray,
    hour_probs: np.ndarray,
    weekday_probs: np.ndarray | None = None,
) -> np.ndarray:
    """Move day-resolution timestamps to a preferred weekday and hour.

    ``hour_probs``/``weekday_probs`` are per-row matrices (24 and 7 columns) so every
    archetype keeps its own rhythm. The weekday shift stays within ±3 days and inside the
    history window.
    """
    day0 = (np.asarray(days_ts) // DAY) * DAY
    if weekday_probs is not None:
        want = pick(rng, weekday_probs)
        have = day_of_week(day0)
        delta = (want - have + 3) % 7 - 3
        day0 = day0 + delta * DAY
    hour = pick(rng, hour_probs)
    secs = hour * 3600 + rng.integers(0, 3600, len(day0))
    out = day0 + secs
    # stay inside the window by moving a week rather than piling up on its edges
    out = np.where(out < START_TS, out + 7 * DAY, out)
    out = np.where(out > END_TS, out - 7 * DAY, out)
    return np.clip(out, START_TS, END_TS)
