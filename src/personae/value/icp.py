"""The ideal customer profile (ICP) and lead fit scores.

What sets the most valuable customers apart: every attribute value is compared between
the top share of customers by predicted CLV (the top decile by default) and everyone, as
a lift (how many times more common it is among the top customers), a Wilson 95% interval
of its share among them and a two-proportion z-test against the rest. Values that
over-index with enough support and significance make up the ICP document.

Fit scoring reuses the same counts as a naive-Bayes log-likelihood ratio: each known
attribute of a profile or lead adds ``log(P(value | top) / P(value | rest))``, both shares
smoothed towards the overall share (an m-estimate). The raw score is turned into 0–100 as
its percentile among current customers, so "80" reads "looks more like the best
customers than 80% of customers do"; tiers A–D are quarters of that scale. The reasons
behind a score are its largest terms.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from personae.engine import DuckDBEngine, quote_literal
from personae.locale.money import money_text
from personae.profiles.build import (
    AGE_BAND,
    COUNTRY,
    EMPLOYEE_BAND,
    GENDER,
    REVENUE_BAND,
    SENIORITY,
)
from personae.runs import StepCannotRun
from personae.value.estimate import value_basis
from personae.value.transactions import optional_columns

# Profile attributes the ICP looks at, by family (only those present and non-empty count).
B2C_ATTRIBUTES = {
    "demographic": [
        "gender", "age_band", "country", "income_band", "marital_status", "education",
        "household", "children",
    ],
    "behavioural": [
        "preferred_channel", "top_category_1", "interest_1", "top_device", "preferred_daypart",
        "preferred_order_weekday", "acquisition_channel", "loyalty_tier",
        "email_engagement", "discount_use", "return_behaviour",
    ],
    "psychographic": [
        "survey_hear_about", "survey_matters_most", "survey_exercise", "survey_household",
    ],
}  # fmt: skip
B2B_ATTRIBUTES = {
    "firmographic": ["industry", "employee_band", "revenue_band", "country"],
    "behavioural": ["plan", "seat_use", "acquisition_channel"],
}
# Banded behaviour, so numbers compare as categories a reader understands.
BANDS_SQL = {
    "email_engagement": "CASE WHEN email_open_rate IS NULL THEN NULL "
    "WHEN email_open_rate >= 0.4 THEN 'opens most emails' "
    "WHEN email_open_rate >= 0.15 THEN 'opens some emails' ELSE 'rarely opens emails' END",
    "discount_use": "CASE WHEN discount_share IS NULL THEN NULL "
    "WHEN discount_share >= 0.5 THEN 'mostly buys on discount' "
    "WHEN discount_share > 0 THEN 'sometimes uses discounts' ELSE 'never uses discounts' END",
    "return_behaviour": "CASE WHEN return_rate IS NULL THEN NULL "
    "WHEN return_rate >= 0.25 THEN 'returns often' "
    "WHEN return_rate > 0 THEN 'returns occasionally' ELSE 'never returns' END",
    "seat_use": "CASE WHEN seat_utilisation IS NULL THEN NULL "
    "WHEN seat_utilisation >= 0.9 THEN 'uses nearly every seat' "
    "WHEN seat_utilisation >= 0.6 THEN 'uses most seats' ELSE 'many unused seats' END",
}

BAND_SOURCE = {
    "email_engagement": "email_open_rate",
    "discount_use": "discount_share",
    "return_behaviour": "return_rate",
    "seat_use": "seat_utilisation",
}

# Lead-file columns (normalised: lower case, non-alphanumerics as _) -> profile attribute.
LEAD_ALIASES = {
    "gender": "gender", "sex": "gender",
    "age": "age", "age_years": "age", "birth_date": "birth_date", "date_of_birth": "birth_date",
    "dob": "birth_date", "age_band": "age_band", "age_group": "age_band",
    "country": "country", "country_code": "country",
    "heard_about_us": "survey_hear_about", "how_did_you_hear_about_us": "survey_hear_about",
    "heard_about": "survey_hear_about", "lead_source": "survey_hear_about",
    "source": "survey_hear_about",
    "interest": "top_category_1", "interests": "top_category_1", "category": "top_category_1",
    "favourite_category": "top_category_1", "favorite_category": "top_category_1",
    "income": "income_band", "income_band": "income_band", "marital_status": "marital_status",
    "education": "education", "household": "household", "children": "children",
    "industry": "industry", "sector": "industry",
    "employees": "employees", "employee_count": "employees", "company_size": "employees",
    "headcount": "employees", "number_of_employees": "employees",
    "employee_band": "employee_band",
    "annual_revenue": "annual_revenue", "revenue": "annual_revenue",
    "revenue_band": "revenue_band", "plan": "plan",
    "job_title": "job_title", "title": "job_title",
}  # fmt: skip
SMOOTHING = 20.0  # pseudo-counts of the m-estimate behind the fit weights
ID_ALIASES = ("id", "lead_id", "prospect_id", "contact_id", "customer_id", "email")


class IcpError(StepCannotRun):
    """The ICP cannot be learned or a lead file cannot be scored; says why and the fix."""


@dataclass
class IcpTrait:
    family: str
    attribute: str
    value: str
    top_share: float
    base_share: float
    lift: float
    ci_low: float
    ci_high: float
    p_value: float
    top_count: int


@dataclass
class IdealCustomerProfile:
    entity: str  # "customer" or "account"
    top_share: float
    top_count: int
    population: int
    top_mean_clv: float
    mean_clv: float
    top_revenue_share: float
    traits: list[IcpTrait] = field(default_factory=list)
    numeric: list[dict] = field(default_factory=list)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    calibration: list[float] = field(default_factory=list)  # raw-score percentiles 0..100

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=float)

    @classmethod
    def from_json(cls, text: str) -> IdealCustomerProfile:
        d = json.loads(text)
        d["traits"] = [IcpTrait(**t) for t in d["traits"]]
        return cls(**d)


# --------------------------------------------------------------------------- learning
def icp_frame(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, str, dict[str, list[str]]]:
    """The entities the ICP is learned on, their CLV and their banded attributes."""
    eng = DuckDBEngine(con)
    if not eng.has_table("value_scores"):
        raise IcpError(
            "no value scores: the ideal customer profile is learned from customer value, "
            "which needs orders. Fix: add an orders source (`personae add FILE -w WORKSPACE "
            "--kind orders`), or run `personae value` if you have one."
        )
    basis = value_basis(con)
    if basis is not None and not basis.monetary:
        raise IcpError(
            "purchase counts only — no order amounts in the data, so there is no lifetime "
            "value to rank customers by. Fix: if the orders have an amount or total column, "
            "map it (`personae sources check` shows the mapping) and run `personae run` again."
        )
    b2b = eng.has_table("account_value_scores") and bool(
        con.execute("SELECT count(*) FROM account_value_scores").fetchall()[0][0]
    )
    if b2b:
        families = B2B_ATTRIBUTES
        frame = con.execute(
            f"""
            SELECT a.account_id AS entity_id, a.clv, a.industry, a.employee_band,
                   a.revenue_band, ap.country, a.plan,
                   {BANDS_SQL["seat_use"].replace("seat_utilisation", "a.seat_utilisation")}
                       AS seat_use,
                   acq.acquisition_channel, a.mrr * 12 AS revenue
            FROM account_value_scores a
            LEFT JOIN account_profiles ap ON ap.account_id = a.account_id
            LEFT JOIN (SELECT account_id, min(acquisition_channel) AS acquisition_channel
                       FROM value_scores WHERE account_id IS NOT NULL
                       GROUP BY account_id) acq ON acq.account_id = a.account_id
            WHERE a.churn_band <> 'churned'
            """
        ).df()
        return frame, "account", families
    have = set(eng.columns("profiles")) | {"acquisition_channel"}
    numeric = optional_columns(
        con,
        "profiles",
        {
            c: "DOUBLE"
            for c in (
                "orders",
                "avg_order_value",
                "days_between_orders",
                "email_open_rate",
                "sessions",
                "discount_share",
                "return_rate",
                "age",
            )
        },
        "p",
    )
    cols = []
    for fam in B2C_ATTRIBUTES.values():
        for a in fam:
            if a in BANDS_SQL:
                if BAND_SOURCE[a] in have:
                    cols.append(f"{BANDS_SQL[a]} AS {a}")
            elif a == "acquisition_channel":
                cols.append("v.acquisition_channel")
            elif a in have:
                cols.append(f"p.{a}")
    frame = con.execute(
        f"""
        SELECT p.profile_id AS entity_id, v.clv, v.spend AS revenue, {numeric},
               {", ".join(cols)}
        FROM value_scores v JOIN profiles p ON p.profile_id = v.profile_id
        WHERE v.clv IS NOT NULL
        """
    ).df()
    families = {f: [a for a in attrs if a in frame.columns] for f, attrs in B2C_ATTRIBUTES.items()}
    return frame, "customer", families


def learn_icp(
    frame: pd.DataFrame,
    entity: str,
    families: dict[str, list[str]],
    *,
    top_share: float = 0.10,
    min_lift: float = 1.2,
    min_support: int = 5,
    alpha: float = 0.05,
) -> IdealCustomerProfile:
    """Compare the top ``top_share`` by CLV with everyone; keep what over-indexes."""
    n = len(frame)
    if n < 20:
        raise IcpError(
            f"only {n} {entity}s have a predicted CLV; the ideal customer profile needs at "
            "least 20 to compare the best with the rest. Fix: ingest more order history."
        )
    clv = frame["clv"].to_numpy(dtype=float)
    if np.nanmax(clv) - np.nanmin(clv) <= 0:
        raise IcpError(
            f"every {entity} has the same predicted CLV, so no group stands out. "
            "Fix: check the orders source (values, dates) and rerun `personae value`."
        )
    k = max(min_support, round(n * top_share))
    order = np.lexsort((frame["entity_id"].to_numpy(), -clv))
    top = np.zeros(n, dtype=bool)
    top[order[:k]] = True
    revenue = frame["revenue"].to_numpy(dtype=float)
    icp = IdealCustomerProfile(
        entity=entity,
        top_share=top_share,
        top_count=int(k),
        population=int(n),
        top_mean_clv=float(np.nanmean(clv[top])),
        mean_clv=float(np.nanmean(clv)),
        top_revenue_share=float(np.nansum(revenue[top]) / max(np.nansum(revenue), 1e-9)),
    )
    z = stats.norm.ppf(0.975)
    for family, attrs in families.items():
        for attr in attrs:
            col = frame[attr].astype("string")
            known = col.notna().to_numpy()
            if known.sum() < min_support:
                continue
            vals = col.fillna("").to_numpy()
            n_top, n_all = int((top & known).sum()), int(known.sum())
            n_rest = n_all - n_top
            levels = sorted(set(vals[known].tolist()))
            weights = {}
            for v in levels:
                hit = known & (vals == v)
                c_top, c_all = int((hit & top).sum()), int(hit.sum())
                c_rest = c_all - c_top
                # m-estimate: shrink both shares towards the overall share, so a value
                # that a small top group happens not to contain is not ruled out.
                base = c_all / n_all
                weights[v] = math.log((c_top + SMOOTHING * base) / (n_top + SMOOTHING)) - math.log(
                    (c_rest + SMOOTHING * base) / (n_rest + SMOOTHING)
                )
                if n_top == 0:
                    continue
                p_top, p_all = c_top / n_top, c_all / n_all
                lift = p_top / p_all if p_all else 0.0
                lo, hi = _wilson(c_top, n_top, z)
                pval = _two_proportion_p(c_top, n_top, c_rest, n_rest)
                if lift >= min_lift and c_top >= min_support and pval < alpha:
                    icp.traits.append(
                        IcpTrait(family, attr, v, p_top, p_all, lift, lo, hi, pval, c_top)
                    )
            icp.weights[attr] = weights
    icp.traits.sort(key=lambda t: (-t.lift, t.attribute, t.value))
    for col in ("orders", "avg_order_value", "days_between_orders", "email_open_rate",
                "sessions", "discount_share", "return_rate", "age", "mrr"):  # fmt: skip
        if col in frame:
            x = frame[col].to_numpy(dtype=float)
            if np.isfinite(x).sum() >= min_support:
                icp.numeric.append(
                    {
                        "attribute": col,
                        "top_median": float(np.nanmedian(x[top])),
                        "median": float(np.nanmedian(x)),
                    }
                )
    raw = raw_scores(icp, frame)
    icp.calibration = [float(q) for q in np.percentile(raw, np.arange(101))]
    return icp


def _wilson(c: int, n: int, z: float) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = c / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def _two_proportion_p(c1: int, n1: int, c2: int, n2: int) -> float:
    if n1 == 0 or n2 == 0:
        return 1.0
    p = (c1 + c2) / (n1 + n2)
    se = math.sqrt(max(p * (1 - p) * (1 / n1 + 1 / n2), 1e-18))
    return float(2 * stats.norm.sf(abs(c1 / n1 - c2 / n2) / se))


# ---------------------------------------------------------------------------- scoring
def raw_scores(
    icp: IdealCustomerProfile, frame: pd.DataFrame, attributes: list[str] | None = None
) -> np.ndarray:
    """Sum of log-likelihood ratios over the attributes the frame knows."""
    total = np.zeros(len(frame))
    for attr in attributes or list(icp.weights):
        if attr not in frame or attr not in icp.weights:
            continue
        w = icp.weights[attr]
        vals = frame[attr].astype("string").fillna("").to_numpy()
        total += np.array([w.get(v, 0.0) for v in vals.tolist()])
    return total


def fit_scores(
    icp: IdealCustomerProfile,
    frame: pd.DataFrame,
    attributes: list[str] | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """0–100 fit, tier A–D and the reasons, per row of ``frame``.

    With ``attributes`` (the columns a lead file has) and ``reference`` (the customers the
    ICP was learned on), the percentile scale is recomputed on those attributes only, so a
    lead file with fewer columns is not penalised for what it does not say.
    """
    attrs = [a for a in (attributes or list(icp.weights)) if a in icp.weights]
    raw = raw_scores(icp, frame, attrs)
    calib = np.asarray(icp.calibration)
    if reference is not None:
        calib = np.percentile(raw_scores(icp, reference, attrs), np.arange(101))
    score = np.interp(raw, calib, np.arange(101), left=0, right=100)
    score = np.round(score, 1)
    tier = np.select([score >= 75, score >= 50, score >= 25], ["A", "B", "C"], "D")
    reasons = []
    for i in range(len(frame)):
        terms = []
        for attr in attrs:
            v = frame[attr].iloc[i]
            if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
                continue
            w = icp.weights[attr].get(str(v))
            if w is None:
                continue
            terms.append((w, attr, str(v)))
        terms.sort(key=lambda t: -abs(t[0]))
        text = []
        for w, attr, v in terms[:3]:
            if abs(w) < 0.1:
                continue
            lift = math.exp(w)
            if w > 0:
                text.append(f"{attr} = {v}: {lift:.1f}x more common among top {icp.entity}s")
            else:
                text.append(f"{attr} = {v}: {1 / lift:.1f}x less common among top {icp.entity}s")
        reasons.append("; ".join(text) if text else "no distinguishing attributes known")
    return pd.DataFrame({"fit_score": score, "fit_tier": tier, "fit_reasons": reasons})


# ------------------------------------------------------------------------------ leads
def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def read_leads(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Load a lead CSV and map its columns onto profile attributes (banded like profiles).

    Returns the frame (original columns plus mapped attributes) and the mapped attributes.
    """
    if not path.exists():
        raise IcpError(f"{path}: no such file. Fix: pass the path of a CSV file of leads.")
    try:
        raw = con.execute(
            f"SELECT * FROM read_csv({quote_literal(str(path))}, all_varchar = true, header = true)"
        ).df()
    except duckdb.Error as exc:
        raise IcpError(
            f"{path}: cannot be read as CSV ({exc}). Fix: save it as CSV with a header."
        ) from exc
    if raw.empty:
        raise IcpError(f"{path}: has no rows. Fix: export the leads with at least one row.")
    return map_leads(con, raw, str(path))


def map_leads(
    con: duckdb.DuckDBPyConnection, raw: pd.DataFrame, source: str
) -> tuple[pd.DataFrame, list[str]]:
    """Map text lead columns onto profile attributes; ``source`` names them in errors.

    Serves both the lead CSV and the profile API's posted lead.
    """
    path = source
    mapping = {}
    for col in raw.columns:
        target = LEAD_ALIASES.get(_norm(col))
        if target and target not in mapping.values():
            mapping[col] = target
    if not mapping:
        known = sorted({c for c in LEAD_ALIASES})
        raise IcpError(
            f"{path}: none of its columns ({', '.join(map(str, raw.columns))}) is an attribute "
            f"the ideal customer profile knows. Fix: name the columns like the profile "
            f"attributes, e.g. {', '.join(known[:12])}, ..."
        )
    con.register("_leads_raw", raw)
    try:
        exprs = []
        for col, target in mapping.items():
            c = f'"{col}"'
            v = f"lower(trim({c}))"
            if target == "gender":
                exprs.append(f"{GENDER.format(v=v)} AS gender")
            elif target == "country":
                exprs.append(f"{COUNTRY.format(v=v)} AS country")
            elif target == "age":
                exprs.append(f"{AGE_BAND.format(a=f'TRY_CAST({c} AS DOUBLE)')} AS age_band")
            elif target == "birth_date":
                age = f"date_diff('year', TRY_CAST({c} AS DATE), current_date)"
                exprs.append(f"{AGE_BAND.format(a=age)} AS age_band")
            elif target == "employees":
                e = f"TRY_CAST(replace({c}, ',', '') AS DOUBLE)"
                exprs.append(f"{EMPLOYEE_BAND.format(e=e)} AS employee_band")
            elif target == "annual_revenue":
                r = f"TRY_CAST(regexp_replace({c}, '[$,£€ ]', '', 'g') AS DOUBLE)"
                exprs.append(f"{REVENUE_BAND.format(r=r)} AS revenue_band")
            elif target == "job_title":
                exprs.append(f"{SENIORITY.format(t=v)} AS seniority")
            else:
                exprs.append(f"nullif(trim({c}), '') AS {target}")
        mapped = con.execute(f"SELECT {', '.join(exprs)} FROM _leads_raw").df()
    finally:
        con.unregister("_leads_raw")
    mapped = mapped.loc[:, ~mapped.columns.duplicated()]
    return pd.concat([raw, mapped.add_prefix("_attr_")], axis=1), list(mapped.columns)


def score_lead_file(
    con: duckdb.DuckDBPyConnection, icp: IdealCustomerProfile, reference: pd.DataFrame, path: Path
) -> tuple[Path, pd.DataFrame]:
    """Score every lead; write ``<name>.scored.csv`` beside the input; return both."""
    frame, attrs = read_leads(con, path)
    out = score_mapped_leads(icp, reference, frame, attrs, str(path))
    target = path.with_name(path.stem + ".scored.csv")
    out.to_csv(target, index=False, quoting=csv.QUOTE_MINIMAL)
    return target, out


def score_mapped_leads(
    icp: IdealCustomerProfile,
    reference: pd.DataFrame,
    frame: pd.DataFrame,
    attrs: list[str],
    path: str,
) -> pd.DataFrame:
    """The leads' own columns plus fit score, tier and reasons (from :func:`map_leads`)."""
    usable = [a for a in attrs if a in icp.weights]
    if not usable:
        raise IcpError(
            f"{path}: its columns map to {', '.join(attrs)}, but the ideal customer profile "
            f"was learned on {', '.join(icp.weights)}. Fix: add at least one of those columns."
        )
    view = frame[[f"_attr_{a}" for a in usable]].copy()
    view.columns = usable
    scored = fit_scores(icp, view, usable, reference)
    return pd.concat(
        [frame.drop(columns=[c for c in frame if c.startswith("_attr_")]), scored], axis=1
    )


# --------------------------------------------------------------------------- document
LABELS = {
    "age_band": "age", "top_category_1": "favourite category", "interest_1": "most browsed",
    "survey_hear_about": "heard about us via", "survey_matters_most": "what matters most",
    "survey_exercise": "exercise", "survey_household": "household",
    "preferred_order_weekday": "orders on", "employee_band": "employees",
    "revenue_band": "annual revenue", "top_device": "device",
}  # fmt: skip


def icp_markdown(icp: IdealCustomerProfile, workspace: str, currency: str = "USD") -> str:
    """The readable ICP document (money in ``currency``, the reporting currency's code)."""
    who = "customers" if icp.entity == "customer" else "accounts"
    lines = [
        f"# Ideal customer profile — {workspace}",
        "",
        f"The top {icp.top_share:.0%} of {who} by predicted lifetime value "
        f"({icp.top_count:,} of {icp.population:,}) have a mean predicted CLV of "
        f"{money_text(icp.top_mean_clv, currency)} against {money_text(icp.mean_clv, currency)} "
        f"for all {who}, and brought "
        f"{icp.top_revenue_share:.0%} of the revenue so far.",
        "",
        "## What sets them apart",
        "",
    ]
    if not icp.traits:
        lines.append("No attribute over-indexes significantly among the top " + who + ".")
    for family in dict.fromkeys(t.family for t in icp.traits):
        lines += [f"### {family.capitalize()}", ""]
        lines.append("| attribute | value | top share | everyone | lift | 95% CI (top) | p |")
        lines.append("|---|---|---|---|---|---|---|")
        for t in (t for t in icp.traits if t.family == family):
            lines.append(
                f"| {LABELS.get(t.attribute, t.attribute.replace('_', ' '))} | {t.value} | "
                f"{t.top_share:.0%} | {t.base_share:.0%} | {t.lift:.1f}x | "
                f"{t.ci_low:.0%}–{t.ci_high:.0%} | {_p(t.p_value)} |"
            )
        lines.append("")
    if icp.numeric:
        lines += ["## Behaviour in numbers (medians)", "", f"| measure | top {who} | all |",
                  "|---|---|---|"]  # fmt: skip
        for m in icp.numeric:
            money = m["attribute"] in ("avg_order_value", "mrr", "revenue", "clv")
            top, everyone = (
                (money_text(m["top_median"], currency), money_text(m["median"], currency))
                if money
                else (f"{m['top_median']:,.2f}", f"{m['median']:,.2f}")
            )
            lines.append(f"| {m['attribute'].replace('_', ' ')} | {top} | {everyone} |")
        lines.append("")
    lines += [
        "## In one paragraph",
        "",
        icp_summary_sentence(icp),
        "",
        "Lift is how many times more common a value is among the top "
        f"{who} than among all {who}; p is a two-proportion z-test of top against the rest. "
        "Score prospects against this profile with `personae score-leads FILE`.",
        "",
    ]
    return "\n".join(lines)


def icp_summary_sentence(icp: IdealCustomerProfile) -> str:
    if not icp.traits:
        return "The best customers look like everyone else on the attributes we know."
    best = {}
    for t in icp.traits:
        best.setdefault(t.attribute, t)
    parts = [
        f"{LABELS.get(t.attribute, t.attribute.replace('_', ' '))} {t.value} "
        f"({t.top_share:.0%}, {t.lift:.1f}x)"
        for t in list(best.values())[:5]
    ]
    who = "customers" if icp.entity == "customer" else "accounts"
    return f"Our most valuable {who} are typically: " + "; ".join(parts) + "."


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
