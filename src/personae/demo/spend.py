"""Monthly marketing spend per channel and campaign (names match the UTM campaigns)."""

from __future__ import annotations

import numpy as np

from personae.demo.catalog import RETAIL_CAMPAIGNS, SAAS_CAMPAIGNS
from personae.demo.common import Rows
from personae.demo.mess import BadSpec

SPEND_COLUMNS = ["Month", "Channel", "Campaign", "Spend", "Currency", "Impressions", "Clicks"]
SPEND_BAD = [
    BadSpec("negative_value", "Spend"),
    BadSpec("missing_required", "Month"),
    BadSpec("missing_required", "Channel"),
    BadSpec("bad_number", "Spend"),
]
_CPM = {
    "paid_search": 28.0,
    "paid_social": 9.0,
    "display": 3.5,
    "email": 0.6,
    "affiliate": 6.0,
    "organic": 0.0,
    "referral": 0.0,
}
_CTR = {
    "paid_search": 0.045,
    "paid_social": 0.011,
    "display": 0.003,
    "email": 0.03,
    "affiliate": 0.02,
    "organic": 0.05,
    "referral": 0.04,
}


def spend(scenario: str, customers: int, rng: np.random.Generator) -> Rows:
    """One row per month x campaign; organic and referral carry zero spend."""
    camps = RETAIL_CAMPAIGNS if scenario == "retail" else SAAS_CAMPAIGNS
    scale = customers * (0.9 if scenario == "retail" else 25.0)
    cols: list[list] = [[] for _ in SPEND_COLUMNS]
    for m in range(24):
        year, month = 2024 + (10 + m) // 12, (10 + m) % 12 + 1
        season = 1.6 if month in (11, 12) else (1.15 if month in (2, 5) else 1.0)
        for channel, _src, _med, name in camps:
            budget = scale * season * rng.uniform(0.5, 1.5) / len(camps)
            paid = _CPM[channel] > 0
            impressions = (
                budget / _CPM[channel] * 1000 if paid else scale * rng.uniform(20, 60) / len(camps)
            )
            clicks = impressions * _CTR[channel] * rng.uniform(0.7, 1.3)
            amount = round(budget, 2) if paid else 0.0
            spend_txt = (
                (f"{amount:.2f}" if rng.random() < 0.8 else f"${amount:,.2f}") if paid else "0"
            )
            vals = (
                f"{year}-{month:02d}",
                channel,
                name,
                spend_txt,
                "USD",
                str(int(impressions)),
                str(int(clicks)),
            )
            for c, v in zip(cols, vals, strict=True):
                c.append(v)
    return Rows("marketing_spend", list(SPEND_COLUMNS), cols, [""] * len(cols[0]))
