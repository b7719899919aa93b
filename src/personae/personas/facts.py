"""Per-segment statistics a persona is written from: one aggregation pass over the workspace.

Every persona statement is a sentence over one of these figures, so each figure keeps what
a reader needs to check it: the table it came from, the members it was computed on and the
same figure among everyone segmented (the baseline a "more than average" is judged by).

Minimum group size (``[governance] min_group_size``, k): a figure is kept only when it rests
on at least k members — a category over fewer than k known values, a level held by fewer
than k, a number known for fewer than k are left out of :func:`gather`'s result, so no
section, epithet or name basis can cite them.

All aggregation happens in DuckDB with one ``GROUP BY segment`` query per attribute over
the segmented population, so a million profiles cost a few dozen scans, not a Python loop.

Population tables (temporary, on the caller's connection):

* ``_persona_pop(profile_id, segment, typical)``: the people — for B2C the segmented
  persons, for B2B every known person of a segmented account (their segment is the
  account's). ``typical`` marks the members a persona may quote: not outliers, and at
  least as sure a member as the segment's median (see :func:`register_population`);
* ``_persona_accounts(account_id, segment)``: B2B only, the segmented accounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from personae.engine import DuckDBEngine
from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, small, small_cell
from personae.value.estimate import MONEY_ATTRIBUTES

# Person attributes read from the unified profile (and value scores); missing columns are
# skipped, so a workspace without surveys or without orders still gets a persona.
PERSON_CATEGORIES = (
    "gender", "age_band", "country", "survey_household", "household", "marital_status",
    "income_band", "education", "loyalty_tier", "interest_1", "top_category_1",
    "preferred_channel", "preferred_order_daypart", "preferred_order_weekday",
    "preferred_daypart", "top_device", "acquisition_channel", "churn_band",
    "seniority", "buying_committee_role", "job_title", "payment_method",
)  # fmt: skip
PERSON_NUMBERS = (
    "age", "orders", "revenue", "avg_order_value", "days_between_orders", "return_rate",
    "discount_share", "email_open_rate", "email_click_rate", "support_tickets", "sessions",
    "mobile_share", "text_sentiment", "recency_days", "clv", "churn_risk", "survey_nps",
    "mean_rating", "item_count", "quantity",
)  # fmt: skip
# Money figures: left out when the orders carry no amounts (their zeros are not spend).
MONEY_NUMBERS = MONEY_ATTRIBUTES
# From value_scores rather than profiles (profiles has its own orders/recency).
VALUE_COLUMNS = ("acquisition_channel", "churn_band", "clv", "churn_risk")
ACCOUNT_CATEGORIES = ("industry", "employee_band", "revenue_band", "plan", "country", "churn_band")
ACCOUNT_NUMBERS = (
    "employees", "mrr", "seats", "seat_utilisation", "contacts", "tenure_days", "clv",
    "churn_risk", "tickets_90d", "days_to_renewal",
)  # fmt: skip


@dataclass(frozen=True)
class LevelShare:
    level: str
    count: int  # members with this level
    share: float  # of members with a known value
    overall: float  # the same share among everyone segmented

    @property
    def lift(self) -> float:
        return self.share / self.overall if self.overall > 0 else math.inf


@dataclass(frozen=True)
class CategoryStat:
    attribute: str
    source: str  # table the values come from
    known: int  # members with a value
    levels: list[LevelShare]  # most common first

    @property
    def top(self) -> LevelShare | None:
        return self.levels[0] if self.levels else None

    def level(self, name: str) -> LevelShare | None:
        return next((lv for lv in self.levels if lv.level == name), None)


@dataclass(frozen=True)
class NumberStat:
    attribute: str
    source: str
    n: int
    median: float
    mean: float
    overall_median: float
    overall_mean: float
    overall_sd: float

    @property
    def std_diff(self) -> float:
        return (self.mean - self.overall_mean) / self.overall_sd if self.overall_sd > 0 else 0.0


@dataclass
class SegmentStats:
    """The figures of one segment, for its people (and, for B2B, its accounts)."""

    segment: int
    people: int
    accounts: int
    categories: dict[str, CategoryStat] = field(default_factory=dict)
    numbers: dict[str, NumberStat] = field(default_factory=dict)

    def members(self, source: str) -> int:
        """How many members a figure from ``source`` could describe (its denominator)."""
        return self.accounts if source == "account_profiles" else self.people


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    eng = DuckDBEngine(con)
    if not eng.has_table(table):
        return set()
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def segment_entity(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT DISTINCT entity FROM segments").fetchall()
    if not rows:
        raise ValueError("the segments table is empty. Fix: run `personae segment` first.")
    return str(rows[0][0])


def register_population(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Create ``_persona_pop`` (and ``_persona_accounts`` for B2B); see the module doc.

    Why ``typical``: a persona's quotes speak for the whole segment, so they should come
    from people who clearly belong to it. Borderline members (membership probability below
    the segment's median) and outliers are counted in every figure but not quoted.
    """
    seg_cols = _columns(con, "segments")
    proba = "s.probability" if "probability" in seg_cols else "1.0"
    outlier = "coalesce(s.outlier, false)" if "outlier" in seg_cols else "false"
    typical = (
        f"NOT {outlier} AND {proba} >= coalesce(median({proba}) OVER (PARTITION BY s.segment), 0)"
    )
    if entity == "account":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _persona_accounts AS "
            f"SELECT s.entity_id AS account_id, s.segment, {typical} AS typical "
            "FROM segments s WHERE s.entity = 'account'"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _persona_pop AS "
            "SELECT p.profile_id, a.segment, a.typical FROM profiles p "
            "JOIN _persona_accounts a ON a.account_id = p.account_id "
            "WHERE NOT coalesce(p.anonymous, false)"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _persona_pop AS "
            f"SELECT s.entity_id AS profile_id, s.segment, {typical} AS typical "
            "FROM segments s WHERE s.entity = 'person'"
        )


def register_members(con: duckdb.DuckDBPyConnection, segment: int) -> int:
    """``_persona_members(profile_id, typical)``: the people of one segment; returns their
    number."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _persona_members AS "
        "SELECT profile_id, typical FROM _persona_pop WHERE segment = ?",
        [segment],
    )
    return con.execute("SELECT count(*) FROM _persona_members").fetchall()[0][0]


def _people_source(con: duckdb.DuckDBPyConnection) -> tuple[str, set[str]]:
    """A relation with profile_id plus every person attribute, and its column names."""
    prof = _columns(con, "profiles")
    value = _columns(con, "value_scores")
    cols = [f"p.{c}" for c in sorted(prof) if c not in VALUE_COLUMNS or c not in value]
    joined = [f"v.{c}" for c in VALUE_COLUMNS if c in value]
    rel = f"(SELECT {', '.join(cols + joined)} FROM profiles p "
    rel += "LEFT JOIN value_scores v USING (profile_id))" if value else ")"
    return rel, (prof | {c for c in VALUE_COLUMNS if c in value})


def _account_source(con: duckdb.DuckDBPyConnection) -> tuple[str, set[str]]:
    acc = _columns(con, "account_profiles")
    value = _columns(con, "account_value_scores")
    extra = [c for c in ("clv", "churn_risk", "churn_band", "tickets_90d") if c in value]
    extra += [c for c in ("seat_utilisation", "days_to_renewal") if c in value and c not in acc]
    cols = [f"a.{c}" for c in sorted(acc)] + [f"v.{c}" for c in extra]
    rel = f"(SELECT {', '.join(cols)} FROM account_profiles a "
    rel += "LEFT JOIN account_value_scores v USING (account_id))" if value else ")"
    return rel, acc | set(extra)


def _category(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    key: str,
    pop: str,
    column: str,
    source: str,
    min_group: int = DEFAULT_MIN_GROUP_SIZE,
) -> dict[int, CategoryStat]:
    frame = con.execute(
        f"SELECT m.segment, CAST(a.{column} AS VARCHAR) AS level, count(*) AS n "
        f"FROM {pop} m JOIN {rel} a USING ({key}) "
        f"WHERE a.{column} IS NOT NULL AND trim(CAST(a.{column} AS VARCHAR)) <> '' "
        "GROUP BY ALL"
    ).df()
    if frame.empty:
        return {}
    overall = frame.groupby("level")["n"].sum()
    overall = overall / overall.sum()
    out: dict[int, CategoryStat] = {}
    for seg, group in frame.groupby("segment"):
        known = int(group["n"].sum())
        if small(known, min_group):
            continue
        group = group.sort_values(["n", "level"], ascending=[False, True])
        levels = [
            LevelShare(str(r.level), int(r.n), r.n / known, float(overall[r.level]))
            for r in group.itertuples()
            if not small_cell(int(r.n), min_group)
        ]
        if levels:
            out[int(seg)] = CategoryStat(column, source, known, levels)
    return out


def _number(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    key: str,
    pop: str,
    column: str,
    source: str,
    min_group: int = DEFAULT_MIN_GROUP_SIZE,
) -> dict[int, NumberStat]:
    frame = con.execute(
        f"SELECT m.segment, count(x) AS n, median(x) AS median, avg(x) AS mean, "
        f"stddev_samp(x) AS sd FROM {pop} m "
        f"JOIN (SELECT {key}, CAST({column} AS DOUBLE) AS x FROM {rel}) a USING ({key}) "
        "WHERE x IS NOT NULL AND isfinite(x) GROUP BY GROUPING SETS ((m.segment), ())"
    ).df()
    if frame.empty:
        return {}
    everyone = frame[frame["segment"].isna()]
    if everyone.empty or not everyone["n"].iloc[0]:
        return {}
    o = everyone.iloc[0]
    out = {}
    for r in frame[frame["segment"].notna()].itertuples():
        if small(int(r.n), min_group):
            continue
        out[int(r.segment)] = NumberStat(
            column,
            source,
            int(r.n),
            float(r.median),
            float(r.mean),
            float(o["median"]),
            float(o["mean"]),
            float(o["sd"]) if pd.notna(o["sd"]) else 0.0,
        )
    return out


def gather(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    *,
    money: bool = True,
) -> dict[int, SegmentStats]:
    """Every segment's figures resting on at least ``min_group_size`` members (see the module
    doc). Needs :func:`register_population` first. ``money=False`` (orders without
    amounts) leaves out the person money figures (:data:`MONEY_NUMBERS`)."""
    sizes = dict(con.execute("SELECT segment, count(*) FROM _persona_pop GROUP BY 1").fetchall())
    accounts: dict[int, int] = {}
    if entity == "account":
        accounts = dict(
            con.execute("SELECT segment, count(*) FROM _persona_accounts GROUP BY 1").fetchall()
        )
    segments = [int(s) for (s,) in con.execute("SELECT DISTINCT segment FROM segments").fetchall()]
    stats = {s: SegmentStats(s, int(sizes.get(s, 0)), int(accounts.get(s, 0))) for s in segments}

    people, have = _people_source(con)
    survey = sorted(
        c for c in have if c.startswith("survey_") and c not in ("survey_nps", "survey_responses")
    )

    def collect(kind: str, rel: str, key: str, pop: str, columns, prefix: str = "") -> None:
        """Aggregate each column present in ``rel`` and file it under every segment."""
        aggregate = _category if kind == "categories" else _number
        for column in dict.fromkeys(columns):
            if column not in (have if not prefix else acc_have):
                continue
            if prefix:
                source = "account_profiles"
            else:
                source = "value_scores" if column in VALUE_COLUMNS else "profiles"
            found = aggregate(con, rel, key, pop, column, source, min_group_size)
            for seg, stat in found.items():
                if seg in stats:
                    getattr(stats[seg], kind)[prefix + column] = stat

    acc_have: set[str] = set()
    collect("categories", people, "profile_id", "_persona_pop", [*PERSON_CATEGORIES, *survey])
    numbers = [c for c in PERSON_NUMBERS if money or c not in MONEY_NUMBERS]
    collect("numbers", people, "profile_id", "_persona_pop", numbers)
    if entity == "account":
        rel, acc_have = _account_source(con)
        acc = ("account_id", "_persona_accounts")
        collect("categories", rel, *acc, ACCOUNT_CATEGORIES, prefix="account_")
        collect("numbers", rel, *acc, ACCOUNT_NUMBERS, prefix="account_")
    return stats
