"""Score every (column, field) pair of a file for one kind, assign columns to fields, and
say how sure each assignment is and how well the kind fits the file as a whole.

A pair's score joins what the contents say (``fit.content_fit``) with what the header
says (``expect.header_score``): 0.6 × contents + 0.4 × header, so a column whose
contents fit perfectly scores 0.6 with a meaningless header and 1.0 with a telling one.
Contents below the field's floor veto the pair whatever the header. Columns are then
assigned to fields by the assignment with the largest total score (each column feeds at
most one field). An assignment's confidence is how much the total would lose if that
field took its best other column instead: a choice between two equally good columns has
no confidence, and is asked for rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from personae.ingest.discover.expect import Expectation, expectations, header_score, one_of
from personae.ingest.discover.fit import content_fit
from personae.ingest.discover.profile import ColumnProfile, vocab
from personae.ingest.schema import KINDS, normalise_header

ASSIGN_MIN = 0.3  # least score for a column to feed a field
CONFIDENT = 0.5  # least confidence for a decision to be taken without asking


@dataclass
class Pair:
    column: str
    field: str
    score: float
    content: float
    header: float
    evidence: list[str]


@dataclass
class FieldChoice:
    """One decided column → field, with how sure it is and why."""

    field: str
    column: str
    score: float
    confidence: float
    evidence: list[str]
    alternatives: list[str] = field(default_factory=list)  # other columns that fit
    source: str = "discovered"  # or "preset", "relation", "config"
    rival: str | None = None  # the field the column would feed instead, when as good


@dataclass
class KindFit:
    """How one kind fits a file: its best mapping and its score."""

    kind: str
    score: float
    mapping: dict[str, FieldChoice]
    missing: list[str]  # required fields without a column
    notes: list[str] = field(default_factory=list)


Boosts = Mapping[tuple[str, str], tuple[float, str]]  # (column, field) -> (added score, why)


def pair_score(
    p: ColumnProfile,
    e: Expectation,
    boost: tuple[float, str] | None = None,
    min_header: float = 0.0,
) -> Pair:
    content, why_content = content_fit(p, e)
    header, why_header = header_score(p.name, e)
    evidence = [why_content] + ([why_header] if why_header else [])
    if content < e.floor or content <= 0 or (header < min_header and boost is None):
        score = 0.0
    elif e.needs_header and header == 0 and boost is None:
        score = 0.0  # a yes/no or a count could be anything: the header must say which
    else:
        score = 0.6 * content + 0.4 * header
    if boost is not None and score > 0:
        score += boost[0]
        evidence.append(boost[1])
    return Pair(p.name, e.field, min(score, 1.2), content, header, evidence)


def _solve(scores: np.ndarray) -> list[tuple[int, int]]:
    """(row, column) pairs of the assignment with the largest total (zero pairs dropped)."""
    if scores.size == 0:
        return []
    rows, cols = linear_sum_assignment(-scores)
    return [(r, c) for r, c in zip(rows, cols, strict=True) if scores[r, c] > 0]


def _total(scores: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(sum(scores[r, c] for r, c in pairs))


def fit_kind(
    profiles: list[ColumnProfile],
    kind: str,
    *,
    fixed: Mapping[str, FieldChoice] | None = None,
    boosts: Boosts | None = None,
    forbid: set[tuple[str, str]] | None = None,
    file_name: str = "",
    min_header: float = 0.0,
) -> KindFit:
    """The best mapping of the file's columns to ``kind``'s fields, scored.

    ``fixed`` choices (a preset's, the config's) are kept as they are; the other fields are
    assigned from the remaining columns. ``boosts`` add evidence from outside the file
    (its values are another file's identifiers); ``forbid`` rules pairs out;
    ``min_header`` takes only columns whose header names the field (a preset's extras).
    """
    exps = expectations(kind)
    fixed = dict(fixed or {})
    boosts = boosts or {}
    forbid = forbid or set()
    used = {c.column for c in fixed.values()}
    cols = [p for p in profiles if p.name not in used and p.non_null]
    free = [e for e in exps if e.field not in fixed]
    pairs = {
        (i, j): pair_score(p, e, boosts.get((p.name, e.field)), min_header)
        for i, p in enumerate(cols)
        for j, e in enumerate(free)
    }
    scores = np.zeros((len(cols), len(free)))
    for (i, j), pr in pairs.items():
        if pr.score >= ASSIGN_MIN and (pr.column, pr.field) not in forbid:
            scores[i, j] = pr.score
    chosen = _solve(scores)
    best_total = _total(scores, chosen)
    mapping: dict[str, FieldChoice] = dict(fixed)
    for i, j in chosen:
        pr = pairs[(i, j)]
        alt_scores = scores.copy()
        alt_scores[i, j] = 0.0
        alt = _solve(alt_scores)
        loss = best_total - _total(alt_scores, alt)
        rival = next((free[c].field for r, c in alt if r == i), None)
        strength = min(1.0, pr.score / 0.55)
        margin = min(1.0, loss / 0.15)
        others = [
            cols[k].name
            for k in np.argsort(-scores[:, j])
            if k != i and scores[k, j] >= max(ASSIGN_MIN, pr.score - 0.15)
        ]
        mapping[free[j].field] = FieldChoice(
            free[j].field,
            pr.column,
            pr.score,
            round(strength * margin, 2),
            pr.evidence,
            others,
            rival=rival,
        )
    notes = _order_level_guard(kind, mapping)
    notes += _shared_own_key(kind, mapping, profiles)
    missing = [e.field for e in exps if e.required and e.field not in mapping]
    missing += [
        " or ".join(group) for group in one_of(kind) if not any(f in mapping for f in group)
    ]
    score = _kind_score(exps, mapping, len([p for p in profiles if p.non_null]), missing)
    score += _file_hint(kind, file_name)
    return KindFit(kind, round(score, 3), mapping, missing, notes)


def _kind_score(
    exps: tuple[Expectation, ...], mapping: dict[str, FieldChoice], n_columns: int, missing
) -> float:
    required = [e for e in exps if e.required]
    weights = sum(e.weight for e in required) or 1.0
    fit_required = sum(e.weight * mapping[e.field].score for e in required if e.field in mapping)
    fit_required /= weights
    support = sum(
        e.weight * mapping[e.field].score for e in exps if not e.required and e.field in mapping
    )
    explained = sum(c.score for c in mapping.values()) / max(n_columns, 1)
    score = 0.45 * fit_required + 0.35 * min(1.0, support / 2.5) + 0.2 * min(1.0, 1.5 * explained)
    if missing:
        score *= 0.35
    return score


def _file_hint(kind: str, file_name: str) -> float:
    name = file_name.lower()
    hints = vocab()["file_hints"].get(kind, [])
    return 0.08 if name and any(h in name for h in hints) else 0.0


def _shared_own_key(
    kind: str, mapping: dict[str, FieldChoice], profiles: list[ColumnProfile]
) -> list[str]:
    """A shop's customer list has one key, "Customer No": it identifies the record (the
    kind's own key, e.g. ``contact_id``) and the customer (``customer_id``). The assignment
    gives each column one field, so when the own key is left without a column and another
    identifier's column is unique per row, that column serves as both."""
    own = next((f.name for f in KINDS[kind].fields if f.required), "")
    if not own.endswith("_id") or own in mapping:
        return []
    by_name = {p.name: p for p in profiles}
    for name, choice in list(mapping.items()):
        prof = by_name.get(choice.column)
        if not name.endswith("_id") or prof is None or not prof.counts:
            continue
        if max(prof.counts.values()) == 1 and sum(prof.counts.values()) == prof.non_null:
            mapping[own] = replace(
                choice,
                field=own,
                evidence=[*choice.evidence, f"also the record's own key (as {name})"],
                alternatives=[],
                rival=None,
            )
            return [f"'{choice.column}' is both {name} and the record's key {own}"]
    return []


def _order_level_guard(kind: str, mapping: dict[str, FieldChoice]) -> list[str]:
    """A money column whose header says total is the order's total, not a unit price: it
    becomes ``order_total`` (counted once per order), and an item count beside it becomes
    ``item_count``, not the quantity of one line at that price (quantity × total would
    multiply the revenue)."""
    if kind != "orders" or "unit_price" not in mapping or "order_total" in mapping:
        return []
    price = normalise_header(mapping["unit_price"].column)
    words = [normalise_header(w) for w in vocab()["money"]["total_words"]]
    if not any(w and w in price for w in words) or mapping["unit_price"].source == "preset":
        return []
    total = mapping.pop("unit_price")
    mapping["order_total"] = replace(total, field="order_total")
    notes = [f"{total.column!r} is an order total, so it is order_total, not unit_price"]
    if "quantity" in mapping and "item_count" not in mapping:
        count = mapping.pop("quantity")
        mapping["item_count"] = replace(count, field="item_count")
        notes.append(
            f"{count.column!r} beside it is the order's item count (item_count), not the "
            "quantity of one line"
        )
    return notes
    price = normalise_header(mapping["unit_price"].column)
    words = [normalise_header(w) for w in vocab()["money"]["total_words"]]
    if not any(w and w in price for w in words) or mapping["unit_price"].source == "preset":
        return []
    count = mapping.pop("quantity")
    return [
        f"{mapping['unit_price'].column!r} is an order total, so {count.column!r} (an item "
        "count) is not mapped to quantity; each row counts as one purchase of that total"
    ]
