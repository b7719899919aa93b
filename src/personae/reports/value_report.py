"""``reports/value.md``: what the customers are worth, who is slipping away, what each
channel costs — with the model checks a sceptical analyst asks for first.

The lifetime-value model is validated on the workspace's own data: it is refitted on the
history up to six months before ``as_of`` and its predicted purchases in the last six
months are compared with what actually happened (chart ``value_holdout.svg``).

Minimum group size (k): groups (RFM groups, churn bands) of fewer than k are pooled into
one "other" row, holdout rows and cross-sell suggestions of fewer than k are left out, and
an acquisition channel with fewer than k new customers shows no per-customer figures —
each with a line saying so.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd

from personae.governance.kanon import (
    DEFAULT_MIN_GROUP_SIZE,
    check_k,
    fewer_than,
    pool_small,
    small_cell,
)
from personae.locale.money import money_text
from personae.value.estimate import ValueBasis
from personae.value.fallback import SHRINK_DAYS
from personae.value.rfm import RFM_GROUP_DESCRIPTIONS

HOLDOUT_DAYS = 182


def _table(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> list[str]:
    formats = formats or {}
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = []
        for c, v in zip(cols, row, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif c in formats:
                cells.append(format(v, formats[c]))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def pooled(
    frame: pd.DataFrame,
    key: str,
    count: str,
    means: dict[str, tuple[str, int]],
    k: int,
    other: str = "other",
) -> tuple[pd.DataFrame, str]:
    """Rows of ``frame`` whose ``count`` is under ``k`` pooled into one ``other`` row.

    ``means`` maps an output column to (the column of its *sum*, decimals): means are
    computed from sums after pooling, so the pooled row's means are exact. The sum columns
    are dropped. Returns the table and the note to print ("" when nothing was pooled).
    """
    pool = pool_small(zip(frame[key].astype(str), frame[count].astype(int), strict=True), k)
    is_small = frame[key].astype(str).isin(pool.merged)
    out = frame[~is_small].copy()
    if is_small.any():
        row = {key: other, count: int(frame.loc[is_small, count].sum())}
        for total, _ in means.values():
            row[total] = frame.loc[is_small, total].sum()
        if not pool.hidden:
            out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    for col, (total, digits) in means.items():
        out[col] = (out[total] / out[count]).round(digits)
    out = out.drop(columns=[t for t, _ in means.values()])
    note = ""
    if pool.hidden:
        note = f"Not shown: {fewer_than(k, 'people')} in all (minimum group size)."
    elif pool.merged:
        note = f"Groups of {fewer_than(k, 'people')} are pooled as “{other}” (minimum group size)."
    return out, note


def holdout_check(
    con: duckdb.DuckDBPyConnection,
    as_of: str,
    out_dir: Path,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> list[str]:
    """Refit on the calibration period and compare holdout purchases; the report lines.
    Rows of fewer than ``min_group_size`` customers are left out of the table and chart."""
    from personae.value.clv import (
        BetaGeo,
        ModelInputError,
        calibration_holdout,
        holdout_chart,
        holdout_comparison,
    )

    tx = con.execute(
        "SELECT profile_id, order_date FROM value_orders WHERE kept ORDER BY profile_id"
    ).df()
    end = pd.Timestamp(as_of)
    cal_end = end - pd.Timedelta(days=HOLDOUT_DAYS)
    if tx.empty or tx["order_date"].min() >= cal_end:
        return ["Not enough history for a holdout check (needs orders older than six months)."]
    try:
        summary = calibration_holdout(tx, "profile_id", "order_date", cal_end, end, 1.0)
        bg = BetaGeo().fit(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
        comparison = holdout_comparison(bg, summary)
    except ModelInputError as exc:
        return [f"Holdout check skipped: {exc}"]
    few = comparison["customers"].astype(int) < min_group_size
    comparison = comparison[~few].reset_index(drop=True)
    chart = holdout_chart(comparison, out_dir / "value_holdout.svg")
    actual = float(summary["frequency_holdout"].sum())
    predicted = float(
        bg.predict_purchases(
            summary["duration_holdout"].to_numpy(dtype=float),
            summary["frequency_cal"],
            summary["recency_cal"],
            summary["T_cal"],
        ).sum()
    )
    lines = [
        f"Refitted on orders up to {cal_end.date()} ({len(summary):,} customers), the model "
        f"predicted {predicted:,.0f} repeat purchases in the {HOLDOUT_DAYS} days after; "
        f"{actual:,.0f} happened ({(predicted - actual) / max(actual, 1):+.1%}). "
        f"Chart: [{chart.name}]({chart.name}).",
        "",
    ]
    show = comparison.copy()
    lines += _table(show, {c: ".2f" for c in show.columns if show[c].dtype.kind == "f"})
    if few.any():
        lines += ["", f"Rows of {fewer_than(min_group_size, 'customers')} are not shown "
                  "(minimum group size)."]  # fmt: skip
    return lines


def _fallback_lines(result) -> list[str]:
    """The historical estimate's formula and the fits that failed, for the analyst."""
    rate = result.params.get("population_rate_per_day", 0.0)
    lines = [
        "## Lifetime value estimate (historical purchase rates)",
        "",
        "Each customer's purchase rate is their repeat purchase days per day since their "
        f"first purchase, shrunk towards everyone's rate ({rate * 30.4375:.2f} a month) by "
        f"{SHRINK_DAYS:g} days of it; churn risk = 1 − exp(−days since the last purchase / "
        "their usual gap between purchases); expected purchases = (1 − churn risk) × rate × "
        "horizon"
        + (
            "; CLV = expected purchases per month × their mean value per purchase, "
            "discounted monthly."
            if result.monetary
            else "."
        )
        + " See docs/value.md.",
        "",
        "Fits tried:",
        "",
    ]
    lines += [f"- {f}" for f in result.checks.get("fit_failures", [])]
    return [*lines, ""]


def write_value_report(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    result,
    name: str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    currency: str = "USD",
) -> Path:
    """``currency``: the ISO code of the reporting currency (money columns are in it)."""
    k = check_k(min_group_size)
    cur = f" ({currency})"
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# Customer value — {name}", ""]
    basis = ValueBasis(result.estimate, result.monetary, result.estimate_note)
    fallback = result.model == "bg_nbd" and basis.fallback
    if result.model == "contractual":
        model = "contractual (B2B subscriptions)."
    elif fallback:
        model = "historical purchase rates (the statistical model did not fit)."
    elif result.monetary:
        model = "BG/NBD + Gamma-Gamma (non-contractual)."
    else:
        model = "BG/NBD (non-contractual; purchase counts only)."
    lines.append(
        f"Measured at {result.as_of}: {result.customers:,} buying customers"
        + (f", {result.accounts:,} accounts" if result.accounts else "")
        + ". Model: "
        + model
    )
    if basis.sentence():
        lines += ["", f"**{basis.sentence()}**"]
    if result.total_clv is None:
        lines += ["", f"{result.expected_purchases:,.0f} purchases expected over the next "
                  f"{result.horizon_months} months; {result.at_risk:,} at high churn risk "
                  "(≥ 60%).", ""]  # fmt: skip
    else:
        lines += ["", f"Total predicted CLV: **{money_text(result.total_clv, currency)}**; "
                  f"{result.at_risk:,} at high churn risk (≥ 60%).", ""]  # fmt: skip
    if getattr(result, "checks", {}).get("penalizer_note"):
        lines += [f"Note: {result.checks['penalizer_note']}.", ""]
    if fallback:
        lines += _fallback_lines(result)
    elif result.model == "bg_nbd":
        p = result.params
        spend_model = (
            f"Gamma-Gamma (spend per purchase): p = {p['p']:.4f}, q = {p['q']:.4f}, "
            f"γ = {p['v']:.4f}. "
            if "q" in p
            else "No spend model: the orders carry no amounts. "
        )
        lines += [
            "## Lifetime value model",
            "",
            "BG/NBD (purchase rate and dropout, time in days): "
            f"r = {p['r']:.4f}, α = {p['alpha']:.4f}, a = {p['a']:.4f}, b = {p['b']:.4f}. "
            + spend_model
            + f"Fitted on {result.checks['fit_sample']:,} customers "
            f"({result.checks['repeat_buyers']:,} repeat buyers).",
            "",
        ]
        ind = result.checks.get("spend_frequency_correlation")
        if ind:
            lines += [
                "**Gamma-Gamma independence check** (spend per purchase must not depend on "
                f"how often people buy): Pearson r = {ind['pearson_r']:.3f}, Spearman ρ = "
                f"{ind['spearman_rho']:.3f} over {ind['n']:,} repeat buyers — {ind['verdict']}",
                "",
            ]
        lines += ["### Holdout check", ""]
        lines += holdout_check(con, result.as_of, out_dir, k)
        lines.append("")
    rfm = con.execute(
        """
        SELECT rfm_group AS "group", count(*) AS customers,
               round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "share %",
               sum(spend) AS _spend, sum(clv) AS _clv, sum(churn_risk) AS _risk
        FROM value_scores GROUP BY rfm_group ORDER BY avg(spend) DESC
        """
    ).df()
    total = rfm["customers"].sum()
    means = {"mean churn risk": ("_risk", 3)}
    if result.monetary:
        means = {"mean spend" + cur: ("_spend", 2), "mean CLV" + cur: ("_clv", 2), **means}
    else:
        rfm = rfm.drop(columns=["_spend", "_clv"])
    rfm, note = pooled(rfm, "group", "customers", means, k)
    rfm["share %"] = (100.0 * rfm["customers"] / max(total, 1)).round(1)
    rfm["meaning"] = [RFM_GROUP_DESCRIPTIONS.get(g, "") for g in rfm["group"]]
    lines += ["## RFM groups", "", *_table(rfm), ""] + ([note, ""] if note else [])
    if result.model == "contractual":
        acc = con.execute(
            """
            SELECT churn_band AS band, count(*) AS accounts, round(sum(mrr), 2) AS mrr,
                   sum(clv) AS _clv
            FROM account_value_scores GROUP BY churn_band ORDER BY min(churn_risk)
            """
        ).df()
        acc, note = pooled(acc, "band", "accounts", {"mean CLV" + cur: ("_clv", 2)}, k)
        lines += ["## Account churn risk", "", *_table(acc), ""] + ([note, ""] if note else [])
        top = con.execute(
            """
            SELECT account_id, name, plan, round(mrr, 2) AS mrr, round(churn_risk, 2) AS risk,
                   churn_drivers AS drivers
            FROM account_value_scores WHERE churn_band IN ('high', 'critical')
            ORDER BY mrr DESC, account_id LIMIT 10
            """
        ).df()
        if not top.empty:
            lines += ["Largest accounts at risk:", "", *_table(top), ""]
    else:
        bands = con.execute(
            """
            SELECT churn_band AS band, count(*) AS customers, sum(clv) AS _clv,
                   sum(p_alive) AS _alive
            FROM value_scores GROUP BY churn_band ORDER BY min(churn_risk)
            """
        ).df()
        means = {"mean P(alive)": ("_alive", 3)}
        if result.monetary:
            means = {"mean CLV" + cur: ("_clv", 2), **means}
        else:
            bands = bands.drop(columns=["_clv"])
        bands, note = pooled(bands, "band", "customers", means, k)
        lines += ["## Churn risk", "", *_table(bands), ""] + ([note, ""] if note else [])
    acq = con.execute("SELECT * FROM acquisition_costs WHERE campaign = '*'").df()
    if not result.monetary:  # no lifetime value to set against the cost
        acq = acq.drop(columns=["mean_clv", "clv_to_cac"], errors="ignore")
    few_acq = ""
    if not acq.empty and "customers" in acq.columns:
        few = [small_cell(n, k) for n in acq["customers"].fillna(0).astype(int)]
        if any(few):
            per_customer = [c for c in ("customers", "cac", "mean_clv", "clv_to_cac") if c in acq]
            acq[per_customer] = acq[per_customer].astype(object)
            acq.loc[few, per_customer] = None
            few_acq = (
                f"A channel with {fewer_than(k, 'new customers')} shows no per-customer "
                "figures (minimum group size)."
            )
    if not acq.empty:
        lines += [
            "## Acquisition cost by channel",
            "",
            "New customers over the months of the spend file, credited by "
            "first-touch attribution unless configured otherwise (`[value] attribution`). "
            "Per-campaign figures are in the `acquisition_costs` table.",
            "",
            *_table(acq.drop(columns=["campaign"])),
            "",
        ] + ([few_acq, ""] if few_acq else [])
    up = con.execute(
        """
        SELECT split_part(upsell_suggestions, ' (', 1) AS "first suggestion", count(*) AS customers,
               round(avg(upsell_score), 1) AS "mean score"
        FROM value_scores WHERE coalesce(upsell_suggestions, '') <> ''
        GROUP BY 1 HAVING count(*) >= ? ORDER BY 2 DESC LIMIT 10
        """,
        [k],
    ).df()
    if not up.empty:
        lines += ["## Cross-sell: most common first suggestion", "", *_table(up), ""]
    path = out_dir / "value.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
