"""``personae value``: RFM, lifetime value, churn risk, upsell and acquisition cost.

Reads ``profiles``, ``account_profiles`` and the raw orders, events, tickets and spend
(through ``record_profiles``); writes

* ``value_scores`` — one row per person profile that bought anything, B2C or B2B;
* ``account_value_scores`` — one row per B2B account (contractual value and churn);
* ``acquisition_costs`` — CAC and CLV:CAC per channel and campaign;
* ``value_models`` — the fitted model parameters, fit statistics and checks (JSON).

The heavy lifting per record (joins, grouping) runs in the engine; the models work on
the per-profile summary, fitted on a sample when it is large and applied to everyone in
vectorised chunks.
"""

from __future__ import annotations

import contextlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from personae.config import ValueSettings
from personae.engine import DuckDBEngine, quote_literal
from personae.profiles.attributes import epoch
from personae.runs import StepCannotRun
from personae.value.acquisition import acquisition_channel, acquisition_costs
from personae.value.churn import account_risk, retail_drivers, risk_band
from personae.value.clv import (
    BetaGeo,
    GammaGamma,
    ModelInputError,
    customer_lifetime_value,
    spend_frequency_correlation,
)
from personae.value.estimate import check_fit, fallback_reason, model_name
from personae.value.fallback import FALLBACK_NAME, historical_estimate
from personae.value.rfm import rfm_table
from personae.value.transactions import (
    as_float,
    columns_of,
    optional_columns,
    orders_have_amounts,
    purchase_summary,
    stage_value_orders,
)
from personae.value.upsell import category_cross_sell, plan_upgrades

OUTPUT_TABLES = ("value_scores", "account_value_scores", "acquisition_costs", "value_models")
DAYS_PER_MONTH = 30.4375


class ValueStepError(StepCannotRun):
    """The value step cannot run on this workspace; the message says why and what to do."""


PENALIZER_LADDER = (0.001, 0.01, 0.1)  # tried in turn when a fit does not converge


@dataclass
class ValueResult:
    as_of: str
    customers: int
    accounts: int
    model: str  # "bg_nbd" (non-contractual) or "contractual"
    params: dict[str, float] = field(default_factory=dict)
    # None when the orders carry no amounts: purchase counts only, no money
    total_clv: float | None = 0.0
    monetary: bool = True
    # which model produced the numbers: "bgnbd+gamma_gamma", "... penalizer=0.1",
    # "bgnbd" (no amounts), "rfm_fallback" (the models did not fit; estimate_note says why)
    # or "contractual"
    estimate: str = ""
    estimate_note: str = ""
    expected_purchases: float = 0.0  # in the horizon, summed over customers
    horizon_months: int = 12
    at_risk: int = 0
    seconds: float = 0.0
    checks: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None  # reports/value.md, written by Workspace.value


def workspace_as_of(con: duckdb.DuckDBPyConnection) -> str:
    eng = DuckDBEngine(con)
    if not eng.has_table("profiles"):
        raise ValueStepError(
            "this workspace has no profiles yet. Fix: run `personae build` first "
            "(after `personae ingest`)."
        )
    value = con.execute("SELECT CAST(max(as_of) AS VARCHAR) FROM profiles").fetchall()[0][0]
    if value is None:
        raise ValueStepError(
            "the profiles table is empty. Fix: ingest data and run `personae build`."
        )
    return value


class ValueBuilder:
    """Computes every value table; parameters come from ``[value]`` in personae.toml."""

    def __init__(self, settings: ValueSettings | None = None) -> None:
        self.settings = settings or ValueSettings()

    # ------------------------------------------------------------------------------ run
    def run(self, con: duckdb.DuckDBPyConnection) -> ValueResult:
        started = time.perf_counter()
        as_of = workspace_as_of(con)
        orders = stage_value_orders(con, as_of)
        if orders == 0:
            raise ValueStepError(
                "no orders are linked to any profile, so there is no value to measure. "
                "Fix: add an orders source (`personae add FILE -w WORKSPACE --kind orders`) "
                "and run `personae run` again."
            )
        summary = purchase_summary(con, as_of, self.settings.return_cost_share)
        money = orders_have_amounts(con)
        if not money:  # the floor of one cent per purchase is not spend: there is none
            summary["spend"] = np.nan
            summary["monetary"] = np.nan
        accounts = self._accounts(con, as_of)
        contractual = not accounts.empty and accounts["mrr"].notna().any()
        result = ValueResult(
            as_of=as_of,
            customers=len(summary),
            accounts=len(accounts),
            model="bg_nbd",
            monetary=bool(money or contractual),  # B2B: the contract is the money
            horizon_months=self.settings.horizon_months,
        )
        scores = self._person_scores(con, summary, result, contractual)
        if contractual:
            result.model = "contractual"
            acc_scores = self._account_scores(accounts)
            scores = scores.merge(
                acc_scores[["account_id", "clv", "churn_risk"]].rename(
                    columns={
                        "account_id": "account_id",
                        "clv": "account_clv",
                        "churn_risk": "account_churn_risk",
                    }
                ),
                on="account_id",
                how="left",
            )
        else:
            acc_scores = pd.DataFrame({"account_id": pd.Series([], dtype=str)})
        eng = DuckDBEngine(con)
        eng.register("value_scores", _arrow(scores))
        eng.register("account_value_scores", _arrow(acc_scores))
        acq = acquisition_costs(
            con,
            self.settings.attribution,
            "SELECT profile_id, account_clv AS clv FROM value_scores"
            if contractual
            else "SELECT profile_id, clv FROM value_scores",
        )
        if not acq.empty:
            touch = acquisition_channel(con)
            scores = scores.drop(
                columns=["acquisition_channel", "acquisition_campaign"], errors="ignore"
            ).merge(touch, on="profile_id", how="left")
            eng.register("value_scores", _arrow(scores))
        eng.register("acquisition_costs", _arrow(acq if not acq.empty else _empty_acq()))
        con.execute("DROP TABLE IF EXISTS _acq_touch")
        if contractual:
            result.estimate = "contractual"
            result.total_clv = float(np.nansum(acc_scores["clv"]))
        elif money:
            result.total_clv = float(np.nansum(scores["clv"]))
        else:
            result.total_clv = None
        result.expected_purchases = float(np.nansum(scores["expected_purchases"]))
        risk = acc_scores["churn_risk"] if contractual else scores["churn_risk"]
        result.at_risk = int((risk >= 0.6).sum())
        result.seconds = time.perf_counter() - started
        con.execute("CREATE OR REPLACE TABLE value_models (name VARCHAR, document VARCHAR)")
        con.execute(
            "INSERT INTO value_models VALUES (?, ?)",
            [
                "summary",
                json.dumps(
                    _jsonable({k: v for k, v in vars(result).items() if k != "report_path"})
                ),
            ],
        )
        return result

    # ------------------------------------------------------------------- person level
    def _person_scores(
        self,
        con: duckdb.DuckDBPyConnection,
        summary: pd.DataFrame,
        result: ValueResult,
        contractual: bool,
    ) -> pd.DataFrame:
        s = self.settings
        f, r, t = (
            as_float(summary, "frequency"),
            as_float(summary, "recency"),
            as_float(summary, "T"),
        )
        mon = as_float(summary, "monetary")
        out = summary.rename(columns={"T": "age_days"}).copy()
        out = out.rename(columns={"recency": "recency", "age_days": "customer_age_days"})
        rfm = rfm_table(
            as_float(summary, "recency_days"),
            as_float(summary, "orders"),
            as_float(summary, "spend"),
        )
        for k, v in rfm.items():
            out[k] = v
        cols = optional_columns(
            con,
            "profiles",
            {"days_since_last_seen": "BIGINT", "unsubscribed": "BOOLEAN", "account_id": "VARCHAR"},
        )
        extra = con.execute(f"SELECT profile_id, {cols} FROM profiles").df()
        extra["unsub"] = extra.pop("unsubscribed").fillna(False).astype(bool)
        out = out.merge(extra, on="profile_id", how="left")
        if contractual:
            for col in ("p_alive", "expected_purchases", "expected_spend", "clv"):
                out[col] = np.nan
            out["churn_risk"] = np.nan
            out["churn_band"] = ""
            out["churn_drivers"] = ""
        else:
            horizon_days = s.horizon_months * DAYS_PER_MONTH
            fitted = self._fit(f, r, t, mon, result, result.monetary)
            if fitted is None:
                est = historical_estimate(
                    f,
                    r,
                    t,
                    as_float(summary, "spend") if result.monetary else None,
                    horizon_months=s.horizon_months,
                    period_length=DAYS_PER_MONTH,
                    discount_rate=s.discount_rate,
                )
                result.estimate = FALLBACK_NAME
                result.estimate_note = fallback_reason(result.checks["fit_failures"])
                result.params = est.params
                p_alive, risk = est.p_alive, est.churn_risk
                expected, spend, clv = est.expected_purchases, est.expected_spend, est.clv
            else:
                bg, gg = fitted
                p_alive = bg.p_alive_comparable(f, r, t)  # one-timers can have left too
                risk = 1 - p_alive
                expected = bg.predict_purchases(horizon_days, f, r, t)
                spend = clv = None
                if gg is not None:
                    spend = gg.expected_spend(f, mon)
                    clv = customer_lifetime_value(
                        bg,
                        gg,
                        f,
                        r,
                        t,
                        mon,
                        horizon=s.horizon_months,
                        period_length=DAYS_PER_MONTH,
                        discount_rate=s.discount_rate,
                    )
            nothing = np.full(len(f), np.nan)
            out["p_alive"] = np.round(p_alive, 4)
            out["expected_purchases"] = np.round(expected, 3)
            out["expected_spend"] = np.round(nothing if spend is None else spend, 2)
            out["clv"] = np.round(nothing if clv is None else clv, 2)
            out["churn_risk"] = np.round(risk, 4)
            out["churn_band"] = risk_band(risk)
            out["churn_drivers"] = retail_drivers(
                p_alive,
                as_float(summary, "recency_days"),
                f,
                t,
                out["days_since_last_seen"].to_numpy(dtype=float),
                out["unsub"].to_numpy(dtype=bool),
            )
        out["clv_decile"] = _deciles(out["clv"].to_numpy(dtype=float))
        upsell = category_cross_sell(con)
        out = out.merge(upsell, on="profile_id", how="left")
        out["acquisition_channel"] = None
        out["acquisition_campaign"] = None
        out["as_of"] = pd.Timestamp(result.as_of)
        return out.drop(columns=["unsub", "days_since_last_seen"])

    def _fit(
        self, f, r, t, mon, result: ValueResult, money: bool
    ) -> tuple[BetaGeo, GammaGamma | None] | None:
        """BG/NBD (and Gamma-Gamma when orders carry amounts) up the penalizer ladder;
        ``None`` when no rung gives a usable fit (the reasons are in ``result.checks``)."""
        s = self.settings
        idx = np.arange(len(f))
        if len(idx) > s.fit_sample:
            idx = np.sort(np.random.default_rng(s.seed).choice(len(f), s.fit_sample, replace=False))
        rep = idx[f[idx] > 0]
        # An unpenalised fit diverges on small or regular-buyer data (parameters run off to
        # infinity); a small penalty keeps them finite. The configured one is tried first,
        # then the ladder, and the report states which one was used. Warnings of a rung that
        # is not used are dropped: they describe a fit nobody sees.
        ladder = [s.penalizer] + [p for p in PENALIZER_LADDER if p > s.penalizer]
        horizon_days = s.horizon_months * DAYS_PER_MONTH
        failures: list[str] = []
        for penalizer in ladder:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    bg = BetaGeo(penalizer=penalizer).fit(f[idx], r[idx], t[idx])
                    gg = GammaGamma(penalizer=penalizer).fit(f[rep], mon[rep]) if money else None
                    # on the fit sample: a large workspace is not predicted five times
                    check_fit(bg, gg, f[idx], r[idx], t[idx], mon[idx], horizon_days)
                except ModelInputError as exc:
                    failures.append(f"penalizer {penalizer:g}: {exc}")
                    continue
            for w in caught:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            break
        else:
            result.checks = {"fit_failures": failures}
            return None
        check = None
        if money:
            with contextlib.suppress(ModelInputError):  # too few repeat buyers to measure it
                check = _jsonable(vars(spend_frequency_correlation(f[rep], mon[rep])))
        result.params = {**bg.params_, **(gg.params_ if gg is not None else {})}
        result.estimate = model_name(money, penalizer)
        result.checks = {
            "penalizer": penalizer,
            "penalizer_note": (
                f"the fit did not converge with penalizer {s.penalizer:g}; {penalizer:g} was "
                "used (set [value] penalizer to choose it)"
                if failures
                else ""
            ),
            "fit_failures": failures,
            "fit_sample": len(idx),
            "repeat_buyers": len(rep),
            "bg_log_likelihood": float(bg.log_likelihood_),
        }
        if money and check is not None:
            result.checks["spend_frequency_correlation"] = check
        return bg, gg

    # ------------------------------------------------------------------ account level
    def _accounts(self, con: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
        eng = DuckDBEngine(con)
        if not eng.has_table("account_profiles"):
            return pd.DataFrame()
        cols = set(eng.columns("account_profiles"))
        if "mrr" not in cols:
            return pd.DataFrame()
        at = f"TIMESTAMP {quote_literal(as_of)}"
        ev = "timestamp" in columns_of(con, "raw_events")
        tk = "created_at" in columns_of(con, "raw_tickets")
        sat = "satisfaction" in columns_of(con, "raw_tickets")
        day = f"CAST(floor(({epoch(at)} - {epoch('x.ts')}) / 86400) AS BIGINT)"
        events = (
            f"""SELECT p.account_id, count(*) FILTER (WHERE {day} < 30) AS events_recent,
                       count(*) FILTER (WHERE {day} >= 30 AND {day} < 90) AS events_before
                FROM (SELECT rp.profile_id, e.timestamp AS ts FROM raw_events e
                      JOIN record_profiles rp ON rp.source_kind = 'events'
                      AND rp.source_file = e._source_file AND rp.source_row = e._source_row
                      WHERE e.timestamp <= {at}) x
                JOIN profiles p ON p.profile_id = x.profile_id
                WHERE p.account_id IS NOT NULL GROUP BY p.account_id"""
            if ev
            else "SELECT NULL AS account_id, 0 AS events_recent, 0 AS events_before WHERE FALSE"
        )
        tickets = (
            f"""SELECT p.account_id, count(*) FILTER (WHERE {day} < 90) AS tickets_90d,
                       avg({"x.sat" if sat else "NULL"}) AS satisfaction
                FROM (SELECT rp.profile_id, t.created_at AS ts
                      {", t.satisfaction AS sat" if sat else ""} FROM raw_tickets t
                      JOIN record_profiles rp ON rp.source_kind = 'tickets'
                      AND rp.source_file = t._source_file AND rp.source_row = t._source_row
                      WHERE t.created_at <= {at}) x
                JOIN profiles p ON p.profile_id = x.profile_id
                WHERE p.account_id IS NOT NULL GROUP BY p.account_id"""
            if tk
            else "SELECT NULL AS account_id, 0 AS tickets_90d, NULL AS satisfaction WHERE FALSE"
        )
        return con.execute(
            f"""
            SELECT a.account_id, a.name, a.industry, a.employee_band, a.revenue_band, a.plan,
                   a.mrr, a.seats, a.seats_used, a.seat_utilisation, a.days_to_renewal,
                   a.tenure_days, coalesce(e.events_recent, 0) AS events_recent,
                   coalesce(e.events_before, 0) AS events_before,
                   coalesce(t.tickets_90d, 0) AS tickets_90d, t.satisfaction
            FROM account_profiles a
            LEFT JOIN ({events}) e ON e.account_id = a.account_id
            LEFT JOIN ({tickets}) t ON t.account_id = a.account_id
            ORDER BY a.account_id
            """
        ).df()

    def _account_scores(self, acc: pd.DataFrame) -> pd.DataFrame:
        s = self.settings
        mrr = acc["mrr"].to_numpy(dtype=float)
        # Churned: the renewal date passed without a renewal (a free plan has no revenue
        # but has not left).
        to_renewal = acc["days_to_renewal"].to_numpy(dtype=float)
        churned = (to_renewal < 0) & ~(np.nan_to_num(mrr) > 0)
        risk, drivers = account_risk(
            acc["seat_utilisation"].to_numpy(dtype=float),
            acc["events_recent"].to_numpy(dtype=float),
            acc["events_before"].to_numpy(dtype=float),
            acc["tickets_90d"].to_numpy(dtype=float),
            acc["seats_used"].to_numpy(dtype=float),
            acc["satisfaction"].to_numpy(dtype=float),
            acc["days_to_renewal"].to_numpy(dtype=float),
            churned,
        )
        # Contractual CLV: monthly revenue while the account stays, discounted; the annual
        # churn risk becomes a constant monthly survival rate.
        survive = np.power(np.clip(1 - risk, 1e-9, 1), 1 / 12)
        months = np.arange(1, s.horizon_months + 1)
        factor = (survive[:, None] ** months[None, :] / (1 + s.discount_rate) ** months).sum(1)
        out = acc.copy()
        out["clv"] = np.round(np.nan_to_num(mrr) * factor, 2)
        out["churn_risk"] = np.round(risk, 4)
        out["churn_band"] = np.where(churned, "churned", risk_band(risk))
        out["churn_drivers"] = drivers
        out["clv_decile"] = _deciles(out["clv"].to_numpy(dtype=float))
        up = plan_upgrades(acc)
        return out.merge(up, on="account_id", how="left")


def _deciles(values: np.ndarray) -> np.ndarray:
    """10 = the top tenth by value; ties share a decile; NaN -> 0."""
    out = np.zeros(len(values), dtype=np.int8)
    ok = ~np.isnan(values)
    if ok.any():
        v = np.sort(values[ok])
        rank = np.searchsorted(v, values[ok], side="right")  # ties go up together
        out[ok] = np.clip(np.ceil(10 * rank / ok.sum()), 1, 10).astype(np.int8)
    return out


def _empty_acq() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": pd.Series([], dtype=str),
            "campaign": pd.Series([], dtype=str),
            "spend": pd.Series([], dtype=float),
            "customers": pd.Series([], dtype="int64"),
            "cac": pd.Series([], dtype=float),
            "mean_clv": pd.Series([], dtype=float),
            "clv_to_cac": pd.Series([], dtype=float),
        }
    )


def _arrow(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
