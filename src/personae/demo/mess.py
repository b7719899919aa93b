"""The realistic mess: identifier variants, junk identifiers and planted bad rows.

Identity mess keeps every record valid (it only makes linking harder); bad rows break
exactly one thing per record and are listed in ``truth/bad_rows.csv`` with the reason code
the ingester must report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from personae.demo.common import Rows

JUNK_EMAILS = ["test@test.com", "null", "none@none.com", "N/A"]
JUNK_IDS = ["0", "-1"]
JUNK_PHONE = "0000000000"

BAD_TIMESTAMPS = [
    "31/31/2023",
    "not a date",
    "2023-13-45",
    "99/99/9999",
    "2024-00-10",
    "sometime last week",
]
BAD_NUMBERS = {
    "default": ["abc", "n/a-ish", "twelve", "??"],
    "qty": ["two", "three", "a few"],
    "rating": ["five", "four stars", "great"],
}


def email_variant(email: str, rnd: random.Random, p_case: float, p_space: float) -> str:
    """The same address as another system would store it: odd case, stray whitespace."""
    if rnd.random() < p_case:
        local, _, dom = email.partition("@")
        r = rnd.random()
        if r < 0.5:
            local = ".".join(p[:1].upper() + p[1:] for p in local.split("."))
            dom = dom[:1].upper() + dom[1:]
        elif r < 0.75:
            local, dom = local.upper(), dom.upper()
        else:
            local = local[:1].upper() + local[1:]
        email = f"{local}@{dom}"
    if rnd.random() < p_space:
        email = rnd.choice(["  ", " ", ""]) + email + rnd.choice([" ", "  ", "\t"])
    return email


def phone_variant(area: str, line: str, uk: bool, style: int) -> str:
    """One of the accepted spellings of a person's phone number."""
    if uk:
        return f"{'+44' if style % 2 == 0 else '0044'} {area} {line}"
    ex, ln = line[:3], line[3:]
    return [
        f"+1 {area}-{ex}-{ln}",
        f"({area}) {ex}-{ln}",
        f"{area}.{ex}.{ln}",
        f"{area}{ex}{ln}",
        f"001 {area} {ex} {ln}",
    ][style % 5]


def phones(people, idx: np.ndarray, rng: np.random.Generator, style_bias: int = 0) -> list[str]:
    """Format the phone of each person in ``idx``; each source prefers its own style."""
    styles = np.where(rng.random(len(idx)) < 0.6, style_bias, rng.integers(0, 5, len(idx)))
    area, line, uk = people.phone_area, people.phone_line, people.uk
    return [
        phone_variant(area[i], line[i], bool(uk[i]), s)
        for i, s in zip(idx.tolist(), styles.tolist(), strict=True)
    ]


def typo_name(name: str, rnd: random.Random) -> str:
    """A CRM-duplicate style typo: dropped, doubled or swapped letter."""
    if len(name) < 3:
        return name + name[-1:]
    j = rnd.randrange(1, len(name) - 1)
    r = rnd.random()
    if r < 0.4:
        return name[:j] + name[j + 1 :]
    if r < 0.7:
        return name[:j] + name[j] + name[j:]
    return name[:j] + name[j + 1] + name[j] + name[j + 2 :]


@dataclass(frozen=True)
class BadSpec:
    """Which reason codes a file can carry and in which column (header as written)."""

    reason: str
    column: str
    kind: str = "default"


@dataclass
class BadRow:
    local: int
    reason: str
    column: str


LINE_LEVEL = {"bad_encoding", "bad_json", "column_count"}


def plant_bad_rows(
    rows: Rows,
    specs: list[BadSpec],
    rate: float,
    rng: np.random.Generator,
    rnd: random.Random,
    text_column: str | None,
    is_json: bool,
    parquet: bool,
) -> list[BadRow]:
    """Corrupt about ``rate`` of the records of ``rows`` in place, one problem each.

    Line-level faults are only flagged here (``rows.faults``); the writer produces the broken
    bytes. Records in ``rows.protected`` (e.g. duplicated events) are never touched.
    """
    options = [s for s in specs if not (parquet and s.reason in LINE_LEVEL)]
    if not parquet:
        if is_json:
            options.append(BadSpec("bad_json", ""))
        else:
            options.append(BadSpec("column_count", ""))
            if text_column:
                options.append(BadSpec("bad_encoding", text_column))
    n = len(rows)
    if n == 0 or not options:
        return []
    k = int(rng.binomial(n, rate))
    cand = rng.choice(n, size=min(n, k + len(rows.protected)), replace=False)
    chosen = [int(i) for i in cand if int(i) not in rows.protected][:k]
    out = []
    for i in sorted(chosen):
        spec = options[rnd.randrange(len(options))]
        if spec.reason in LINE_LEVEL:
            if spec.reason == "bad_encoding":
                col = rows.col(spec.column)
                v = col[i] or "Rene"
                j = rnd.randrange(0, len(v) + 1)
                col[i] = v[:j] + "\udce9" + v[j:]  # written as the latin-1 byte 0xE9
                rows.faults[i] = "bad_encoding"
            else:
                rows.faults[i] = (
                    spec.reason
                    if spec.reason == "bad_json"
                    else rnd.choice(["column_count+", "column_count-"])
                )
            out.append(BadRow(i, spec.reason, ""))
            continue
        col = rows.col(spec.column)
        if spec.reason == "bad_timestamp":
            col[i] = rnd.choice(BAD_TIMESTAMPS)
        elif spec.reason == "missing_required":
            col[i] = None if is_json else ""
        elif spec.reason == "negative_value":
            v = str(col[i]).strip().lstrip("$£").replace(",", "") or "1"
            col[i] = "-" + (v if v not in ("0", "0.0", "0.00") else "1")
        elif spec.reason == "bad_number":
            col[i] = rnd.choice(BAD_NUMBERS[spec.kind])
        elif spec.reason == "out_of_range":
            col[i] = rnd.choice(["0", "9"]) if spec.kind == "rating" else "7"
            if is_json and spec.kind != "rating":
                col[i] = 7
        out.append(BadRow(i, spec.reason, spec.column))
    return out
