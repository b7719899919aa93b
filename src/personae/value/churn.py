"""Churn risk: a probability, a band and the main drivers, for shoppers and for accounts.

Retail is non-contractual: nobody announces they have left, so the risk is 1 - P(alive)
from the BG/NBD model, explained by how overdue the customer is against their own rhythm.
SaaS is contractual: an account leaves at a renewal, and the leading signals are seats
bought but not used, activity falling off, and support load. Those are combined in a
transparent logistic score whose weights are constants below (not learned: the demo has
no labelled churn history to learn from), and every driver that contributes is named.
"""

from __future__ import annotations

import numpy as np

BANDS = (("low", 0.3), ("medium", 0.6), ("high", 0.8), ("critical", 1.01))


def risk_band(risk: np.ndarray, bands: tuple[tuple[str, float], ...] = BANDS) -> np.ndarray:
    """Band name per risk value (upper bounds exclusive); '' where the risk is unknown."""
    out = np.full(len(risk), "", dtype=object)
    done = np.isnan(risk)
    for name, upper in bands:
        hit = ~done & (risk < upper)
        out[hit] = name
        done |= hit
    return out


def retail_drivers(
    p_alive: np.ndarray,
    recency_days: np.ndarray,
    frequency: np.ndarray,
    age_days: np.ndarray,
    days_since_seen: np.ndarray,
    unsubscribed: np.ndarray,
) -> list[str]:
    """Readable reasons behind each shopper's risk, most important first (';'-joined)."""
    usual_gap = np.where(
        frequency > 0, (age_days - recency_days) / np.maximum(frequency, 1), np.nan
    )
    overdue = recency_days / np.where(usual_gap > 0, usual_gap, np.nan)
    out = []
    for i in range(len(p_alive)):
        reasons: list[str] = []
        if frequency[i] == 0:
            reasons.append("only one purchase so far")
        if not np.isnan(overdue[i]) and overdue[i] >= 2:
            reasons.append(
                f"no purchase for {int(recency_days[i])} days, {overdue[i]:.1f}x their usual gap"
            )
        elif recency_days[i] >= 180:
            reasons.append(f"no purchase for {int(recency_days[i])} days")
        if not np.isnan(days_since_seen[i]) and days_since_seen[i] >= 90:
            reasons.append(f"not seen on site or app for {int(days_since_seen[i])} days")
        if unsubscribed[i]:
            reasons.append("unsubscribed from email")
        if not reasons:
            reasons.append(
                "buying on their usual rhythm"
                if p_alive[i] >= 0.7
                else f"quieter than their purchase pattern predicts (P(alive) {p_alive[i]:.0%})"
            )
        out.append("; ".join(reasons[:3]))
    return out


# Logistic weights of the account score: intercept and one weight per driver (each driver
# is scaled to 0..1). Chosen so an account with every warning sign is ~90% at risk and a
# healthy one ~8%.
ACCOUNT_WEIGHTS = {
    "intercept": -2.5,
    "unused_seats": 3.0,
    "activity_decline": 1.5,
    "inactive_30d": 1.0,
    "support_load": 1.2,
    "low_satisfaction": 0.8,
}


def account_risk(
    seat_utilisation: np.ndarray,
    events_recent: np.ndarray,
    events_before: np.ndarray,
    tickets_90d: np.ndarray,
    seats_used: np.ndarray,
    satisfaction: np.ndarray,
    days_to_renewal: np.ndarray,
    churned: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Annual churn probability and its drivers per account.

    ``events_recent`` counts the last 30 days of activity, ``events_before`` the 60 days
    before (so half of it is the comparable baseline).
    """
    # Unknown counts are no evidence of trouble: they count as zero / full use.
    events_recent = np.nan_to_num(events_recent)
    events_before = np.nan_to_num(events_before)
    tickets_90d = np.nan_to_num(tickets_90d)
    seats_used = np.nan_to_num(seats_used)
    util = np.nan_to_num(seat_utilisation, nan=1.0)
    unused = np.clip((0.7 - util) / 0.7, 0, 1)
    baseline = events_before / 2.0
    decline = np.where(
        baseline > 0, np.clip(1 - events_recent / np.maximum(baseline, 1e-9), 0, 1), 0
    )
    inactive = ((events_recent == 0) & (events_before > 0)).astype(float)
    load = np.clip(tickets_90d / np.maximum(seats_used, 10) * 2, 0, 1)
    unhappy = np.where(np.isnan(satisfaction), 0.0, np.clip((3.5 - satisfaction) / 2.5, 0, 1))
    w = ACCOUNT_WEIGHTS
    z = (
        w["intercept"]
        + w["unused_seats"] * unused
        + w["activity_decline"] * decline
        + w["inactive_30d"] * inactive
        + w["support_load"] * load
        + w["low_satisfaction"] * unhappy
    )
    risk = 1 / (1 + np.exp(-z))
    risk = np.where(churned, 1.0, risk)
    drivers = []
    for i in range(len(risk)):
        if churned[i]:
            drivers.append("already churned (no recurring revenue)")
            continue
        parts = [
            (w["unused_seats"] * unused[i], f"only {util[i]:.0%} of seats in use"),
            (w["activity_decline"] * decline[i], f"activity down {decline[i]:.0%} in 30 days"),
            (w["inactive_30d"] * inactive[i], "no activity in the last 30 days"),
            (w["support_load"] * load[i], f"{int(tickets_90d[i])} support tickets in 90 days"),
            (w["low_satisfaction"] * unhappy[i], f"support satisfaction {satisfaction[i]:.1f}/5"),
        ]
        named = [text for weight, text in sorted(parts, key=lambda p: -p[0]) if weight >= 0.3]
        if not np.isnan(days_to_renewal[i]) and 0 <= days_to_renewal[i] <= 90 and named:
            named.insert(0, f"renews in {int(days_to_renewal[i])} days")
        drivers.append("; ".join(named[:3]) if named else "healthy usage")
    return risk, drivers
