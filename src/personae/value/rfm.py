"""RFM: recency, frequency and monetary quintile scores and the named RFM groups.

Quintiles are taken over buying customers only. Ties are broken explicitly: every
customer with the same value gets the same score, the score of the *lowest* rank in the
tie (so 40% of customers with exactly one order all score F = 1, rather than being split
between 1 and 2 by an arbitrary order). Recency is reversed: recent buyers score 5.

The named groups follow the widely used R x F grid (the segment names marketers know
from RFM practice): ``champions`` bought recently and often, ``cant_lose_them`` used to
buy often but not lately, and so on. The grid is data (``RFM_GRID``), first match wins.
"""

from __future__ import annotations

import numpy as np

# (group, recency scores, frequency scores): the first matching row names the customer.
RFM_GRID: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = [
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("cant_lose_them", (1,), (4, 5)),
    ("at_risk", (1, 2), (3, 4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new_customers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("hibernating", (2,), (1, 2)),
    ("lost", (1,), (1, 2)),
]
RFM_GROUP_DESCRIPTIONS = {
    "champions": "bought recently, buy often and spend the most",
    "loyal": "buy often; respond to loyalty programmes",
    "cant_lose_them": "used to buy often and spend a lot, but not for a long time",
    "at_risk": "bought often a while ago; slipping away",
    "potential_loyalists": "recent customers with a few purchases",
    "new_customers": "bought for the first time very recently",
    "promising": "recent first-time buyers",
    "need_attention": "average recency and frequency",
    "about_to_sleep": "below-average recency and frequency",
    "hibernating": "last bought long ago, few purchases",
    "lost": "lowest recency and frequency",
}


def quintile_scores(values: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1–5 by rank, ties sharing the score of their lowest rank (NaN -> 0).

    When every customer has the same value there is no ranking at all: everyone scores
    the middle, 3 (not 1 — subscribers who all paid today are not all "lost")."""
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=np.int8)
    ok = ~np.isnan(v)
    n = int(ok.sum())
    if n == 0:
        return out
    if np.ptp(v[ok]) == 0:
        out[ok] = 3
        return out
    x = v[ok] if higher_is_better else -v[ok]
    order = np.sort(x)
    first_rank = np.searchsorted(order, x, side="left")  # 0-based rank of the tie's first
    out[ok] = (1 + np.floor(5 * first_rank / n)).astype(np.int8)
    return out


def rfm_groups(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The named RFM group per customer from its R and F scores ('' for non-buyers)."""
    out = np.full(len(r), "", dtype=object)
    done = np.zeros(len(r), dtype=bool)
    for name, rs, fs in RFM_GRID:
        hit = ~done & np.isin(r, rs) & np.isin(f, fs)
        out[hit] = name
        done |= hit
    return out


def rfm_table(
    recency_days: np.ndarray, orders: np.ndarray, spend: np.ndarray
) -> dict[str, np.ndarray]:
    """R, F, M scores, the three-digit RFM cell and the named group."""
    r = quintile_scores(recency_days, higher_is_better=False)
    f = quintile_scores(orders)
    m = quintile_scores(spend)
    cell = np.char.add(np.char.add(r.astype(str), f.astype(str)), m.astype(str))
    return {
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "rfm_cell": cell,
        "rfm_group": rfm_groups(r, f),
    }
