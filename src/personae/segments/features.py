"""The feature matrix: which attributes describe an entity, and how a model sees them.

Two views of the same attributes come out of one fitted :class:`FeatureMatrix`:

- ``codes``: a sparse one-hot matrix for the latent class model. Categories keep their
  levels (rare ones pooled into "(other)"); numbers become quantile bins, so skewed money,
  counts and bounded rates need no distributional assumption. (Known limit: when most
  values sit at one point, e.g. 85% zero tickets, the coinciding quantiles merge that point
  with the values above it.) A missing value
  is an all-zero row block: the model marginalises it instead of dropping the entity.
- ``embedding``: a dense matrix for the Gaussian mixture, k-means and HDBSCAN. Numbers are
  log-transformed when skewed and robust-scaled (median, interquartile range) with a
  missing-value flag; categories are one-hot, each attribute's block scaled so that an
  attribute with thirty levels weighs no more than one with two. PCA (fitted on the sample)
  then keeps the directions that carry variance.

Entities are persons for B2C and accounts for B2B; an account's attributes include its
people's, aggregated (mean of numbers, most common category) under a ``people_`` prefix.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp

from personae.config import GovernanceSettings
from personae.engine import DuckDBEngine, quote_ident
from personae.governance.consent import consent_filter
from personae.runs import StepCannotRun
from personae.text.facets import FACETS


class FeatureError(StepCannotRun):
    """A configured attribute does not exist, or nothing is left to segment on."""


class NothingVaries(FeatureError):
    """Every attribute has one value (or none) across the entities: the data cannot split
    them, which is a fact about the data, not a mistake (the segment step then keeps one
    group for everyone)."""


# What a person is clustered on by default: behaviour (how much, how often, how, when),
# engagement, service, demographics and stated preferences. Value outputs (CLV, churn risk)
# are left out on purpose: they describe segments, they do not define them.
PERSON_NUMERIC = (
    "orders",
    "avg_order_value",
    "days_between_orders",
    "return_rate",
    "discount_share",
    "sessions",
    "mobile_share",
    "desktop_share",
    "email_open_rate",
    "email_click_rate",
    "support_tickets",
    "mean_rating",
    "age",
    "survey_nps",
    "text_sentiment",
)
PERSON_CATEGORICAL = (
    "gender",
    "top_category_1",
    "top_category_2",
    "preferred_channel",
    "preferred_order_daypart",
    "preferred_order_weekday",
    "top_device",
    "interest_1",
    "interest_2",
    "preferred_daypart",
    "loyalty_tier",
    "survey_*",
)
# Firmographics, contract and usage of the account, then its people's behaviour.
ACCOUNT_NUMERIC = (
    "employees",
    "annual_revenue",
    "mrr",
    "seats",
    "seat_utilisation",
    "tenure_days",
    "contacts",
    "revenue",
    "events_recent",
    "events_before",
    "tickets_90d",
    "satisfaction",
    "people",
    *(f"people_{c}" for c in PERSON_NUMERIC if c not in ("orders", "avg_order_value")),
)
ACCOUNT_CATEGORICAL = (
    "industry",
    "employee_band",
    "revenue_band",
    "plan",
    "country",
    "people_gender",
    "people_seniority",
    "people_buying_committee_role",
    "people_preferred_channel",
    "people_top_device",
    "people_interest_1",
    "people_interest_2",
    "people_preferred_daypart",
    "people_survey_*",
)
# Shown in descriptions although not clustered on.
PERSON_DESCRIBE = (
    "revenue",
    "clv",
    "churn_risk",
    "recency_days",
    "age_band",
    "country",
    "seniority",
    "rfm_group",
)
ACCOUNT_DESCRIBE = ("clv", "churn_risk", "days_to_renewal")
# Person attributes aggregated onto their account (besides the clustered ones).
PEOPLE_EXTRA = ("age_band", "seniority", "buying_committee_role", "country")

PERSON_WHERE = "NOT anonymous AND coalesce(orders, 0) > 0"
TEXT_COLUMNS = tuple(f"text_{facet}" for facet in FACETS)


def resolve_entity(con: duckdb.DuckDBPyConnection, setting: str) -> str:
    """``auto`` segments accounts when the workspace has any (B2B), else persons."""
    if setting != "auto":
        return setting
    engine = DuckDBEngine(con)
    if engine.has_table("account_profiles"):
        n = con.execute("SELECT count(*) FROM account_profiles").fetchall()[0][0]
        if n:
            return "account"
    return "person"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    engine = DuckDBEngine(con)
    return engine.columns(table) if engine.has_table(table) else []


def person_attributes_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Every profile column plus the value scores profiles lack, one row per profile."""
    if not DuckDBEngine(con).has_table("profiles"):
        raise FeatureError("no profiles yet. Fix: run `personae build` first.")
    profile_cols = set(_columns(con, "profiles"))
    value_cols = [c for c in _columns(con, "value_scores") if c not in profile_cols]
    if not value_cols:
        return "SELECT p.*, p.profile_id AS entity_id FROM profiles p"
    extra = ", ".join(f"v.{quote_ident(c)}" for c in value_cols)
    return (
        f"SELECT p.*, {extra}, p.profile_id AS entity_id FROM profiles p "
        "LEFT JOIN value_scores v ON v.profile_id = p.profile_id"
    )


def account_attributes_sql(
    con: duckdb.DuckDBPyConnection, people: list[str], consent: str = "TRUE"
) -> str:
    """Every account column, its value scores, and ``people_*`` aggregates of its people.

    ``people`` names the person attributes to aggregate: numbers by their mean (a rate or a
    count per person), categories by their most common value among the account's people.
    ``consent`` (a predicate on ``profiles``) keeps people who refused the segmentation
    purpose out of their account's aggregates.
    """
    account_cols = _columns(con, "account_profiles")
    if not account_cols:
        raise FeatureError(
            "no accounts to segment (account_profiles is empty). Fix: set [segments] "
            'entity = "person", or ingest an accounts source and run `personae build`.'
        )
    value_cols = [c for c in _columns(con, "account_value_scores") if c not in account_cols]
    profile_types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'profiles'"
        ).fetchall()
    )
    aggs = ["count(*) AS people"]
    for c in people:
        if c not in profile_types:
            continue
        typ = profile_types[c].upper()
        numeric = any(t in typ for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))
        expr = _mean_sql(quote_ident(c)) if numeric else _mode_sql(quote_ident(c))
        if c in PERSON_NUMERIC and not numeric:
            expr = _mean_sql(f"try_cast({quote_ident(c)} AS DOUBLE)")
        aggs.append(f"{expr} AS {quote_ident('people_' + c)}")
    value_join = ""
    value_select = ""
    if value_cols:
        value_select = ", " + ", ".join(f"v.{quote_ident(c)}" for c in value_cols)
        value_join = "LEFT JOIN account_value_scores v ON v.account_id = a.account_id "
    return (
        f"SELECT a.*{value_select}, pa.* EXCLUDE (account_id), a.account_id AS entity_id "
        f"FROM account_profiles a {value_join}"
        f"LEFT JOIN (SELECT account_id, {', '.join(aggs)} FROM profiles "
        f"WHERE account_id IS NOT NULL AND NOT anonymous AND ({consent}) GROUP BY account_id) pa "
        "ON pa.account_id = a.account_id"
    )


def _mode_sql(column: str) -> str:
    """The most common value, ties to the smallest: DuckDB's ``mode`` breaks ties by
    whichever thread saw a value first, and one account's category flipping between runs
    was enough to change the chosen segmentation of the same data."""
    return (
        f"(list_sort(list_transform(map_entries(histogram({column})), "
        "lambda e: {'n': -(e.value::BIGINT), 'v': e.key})))[1].v"
    )


def _mean_sql(column: str) -> str:
    """The mean rounded to 12 decimals: a parallel sum adds in a varying order, and the
    last bits of the result would otherwise differ from run to run."""
    return f"round(avg({column}), 12)"


def expand(patterns: list[str] | tuple[str, ...], available: list[str]) -> list[str]:
    """Names and glob patterns (``survey_*``) → existing columns, in a stable order."""
    out: list[str] = []
    for p in patterns:
        hits = sorted(fnmatch.filter(available, p)) if any(ch in p for ch in "*?[") else [p]
        out.extend(h for h in hits if h not in out)
    return out


def check_known(requested: list[str], available: list[str], setting: str) -> None:
    """A configured attribute that does not exist is an error naming it and the fix."""
    import difflib

    unknown = [c for c in requested if not any(ch in c for ch in "*?[") and c not in available]
    if not unknown:
        return
    hints = []
    for c in unknown:
        close = difflib.get_close_matches(c, available, n=3)
        hints.append(f"{c!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    raise FeatureError(
        f"[segments] {setting} names unknown attribute(s): {'; '.join(hints)}. "
        f"Known attributes: {', '.join(sorted(available))}. "
        f"Fix: edit [segments] {setting} in personae.toml."
    )


@dataclass
class FeatureSet:
    """The attributes one segmentation uses, and the SQL that yields them per entity."""

    entity: str
    numeric: list[str]
    categorical: list[str]
    describe: list[str]
    source_sql: str
    where: str
    # people who refused the segmentation purpose ([governance] segment_purpose) are left
    # out: ``consent`` is a predicate on the source rows (``_src``), TRUE when nobody is
    consent: str = "TRUE"
    purpose: str = ""


def feature_set(
    con: duckdb.DuckDBPyConnection, settings, governance: GovernanceSettings | None = None
) -> FeatureSet:
    """Resolve ``[segments]`` (entity, attribute lists, population) against the workspace.

    ``governance`` (default: the shipped ``[governance]`` defaults) names the purpose a
    person must consent to before they are segmented.
    """
    gov = governance or GovernanceSettings()
    purpose, default = gov.segment_purpose, gov.consent_default
    entity = resolve_entity(con, settings.entity)
    if entity == "account":
        person_categorical = expand(PERSON_CATEGORICAL, _columns(con, "profiles"))
        people = list(
            dict.fromkeys([*PERSON_NUMERIC, *person_categorical, *TEXT_COLUMNS, *PEOPLE_EXTRA])
        )
        sql = account_attributes_sql(
            con, people, consent_filter(con, purpose, default, "profiles.profile_id")
        )
        consent = "TRUE"  # an account is not a person; its people were filtered above
        default_num, default_cat, describe = ACCOUNT_NUMERIC, ACCOUNT_CATEGORICAL, ACCOUNT_DESCRIBE
        text_cols = [f"people_{c}" for c in TEXT_COLUMNS]
        where = settings.where or "true"
    else:
        sql = person_attributes_sql(con)
        default_num, default_cat, describe = PERSON_NUMERIC, PERSON_CATEGORICAL, PERSON_DESCRIBE
        text_cols = list(TEXT_COLUMNS)
        where = settings.where
        consent = consent_filter(con, purpose, default, "_src.entity_id")
    available = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM ({sql}) LIMIT 0").fetchall()]
    if not where:
        # buyers when the workspace has purchases; without orders, every known person (the
        # segments then rest on behaviour, surveys, texts and demographics)
        where = PERSON_WHERE if "orders" in available else "NOT anonymous"
    check_known(settings.numeric, available, "numeric")
    check_known(settings.categorical, available, "categorical")
    numeric = expand(settings.numeric or default_num, available)
    numeric = [c for c in numeric if c in available]
    categorical = [
        c
        for c in expand(settings.categorical or default_cat, available)
        if c in available and c not in numeric
    ]
    if settings.text:
        categorical += [c for c in text_cols if c in available and c not in categorical]
    describe_cols = [c for c in describe if c in available]
    return FeatureSet(entity, numeric, categorical, describe_cols, sql, where, consent, purpose)


def load_frame(con: duckdb.DuckDBPyConnection, fs: FeatureSet) -> pd.DataFrame:
    """One row per entity of the population: ``entity_id`` plus every attribute used."""
    cols = list(dict.fromkeys([*fs.numeric, *fs.categorical, *fs.describe]))
    num = set(fs.numeric) | {"revenue", "clv", "churn_risk", "recency_days", "days_to_renewal"}
    select = ", ".join(
        f"try_cast({quote_ident(c)} AS DOUBLE) AS {quote_ident(c)}"
        if c in num
        else f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
        for c in cols
    )
    try:
        table = con.sql(
            f"SELECT entity_id, {select} FROM ({fs.source_sql}) AS _src "
            f"WHERE ({fs.where}) AND ({fs.consent}) ORDER BY entity_id"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise FeatureError(
            f"[segments] where = {fs.where!r} failed: {exc}. Fix: edit [segments] where."
        ) from None
    return table.to_pandas()


def consent_excluded(con: duckdb.DuckDBPyConnection, fs: FeatureSet) -> int:
    """How many entities of the ``where`` population were left out for want of consent."""
    if fs.consent == "TRUE":
        return 0
    return int(
        con.execute(
            f"SELECT count(*) FROM ({fs.source_sql}) AS _src "
            f"WHERE ({fs.where}) AND NOT ({fs.consent})"
        ).fetchall()[0][0]
    )


@dataclass
class _Numeric:
    name: str
    log: bool
    centre: float
    scale: float
    edges: np.ndarray
    missing_flag: bool


@dataclass
class _Categorical:
    name: str
    levels: list[str]


@dataclass
class FeatureMatrix:
    """Learns transforms on a frame (``fit``) and applies them (``codes``, ``embedding``).

    ``bins`` quantile bins per number for the latent class model; levels held by fewer
    than ``min_level_share`` of entities are pooled into "(other)" so a typo-level does not
    become a segment; at most ``max_levels`` levels are kept per attribute.
    """

    numeric: list[str]
    categorical: list[str]
    bins: int = 5
    min_level_share: float = 0.005
    max_levels: int = 30
    numbers_: list[_Numeric] = field(default_factory=list)
    categories_: list[_Categorical] = field(default_factory=list)
    dropped_: dict[str, str] = field(default_factory=dict)

    OTHER = "(other)"

    def fit(self, frame: pd.DataFrame) -> FeatureMatrix:
        self.numbers_, self.categories_, self.dropped_ = [], [], {}
        for c in self.numeric:
            v = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
            seen = v[~np.isnan(v)]
            if len(np.unique(seen)) < 2:
                self.dropped_[c] = "fewer than two distinct values"
                continue
            log = bool(seen.min() >= 0 and pd.Series(seen).skew() > 2)
            t = np.log1p(seen) if log else seen
            q25, centre, q75 = np.percentile(t, [25, 50, 75])
            scale = float(q75 - q25) or float(t.std()) or 1.0
            edges = np.unique(np.quantile(seen, np.linspace(0, 1, self.bins + 1)[1:-1]))
            missing = float(np.isnan(v).mean())
            self.numbers_.append(_Numeric(c, log, float(centre), scale, edges, missing > 0.01))
        for c in self.categorical:
            s = frame[c].dropna().astype(str)
            s = s[s != ""]
            counts = s.value_counts()
            if len(counts) < 2:
                self.dropped_[c] = "fewer than two distinct values"
                continue
            keep = counts[counts >= max(5, self.min_level_share * len(frame))]
            levels = sorted(keep.index[: self.max_levels].tolist())
            if len(levels) < len(counts):
                levels.append(self.OTHER)
            if len(levels) < 2:
                self.dropped_[c] = "one common value (the rest too rare)"
                continue
            self.categories_.append(_Categorical(c, levels))
        if not self.numbers_ and not self.categories_:
            raise NothingVaries(
                "no attribute varies across the entities, so there is nothing to segment on. "
                "Fix: check [segments] numeric / categorical and that `personae build` ran."
            )
        return self

    @property
    def attributes(self) -> list[str]:
        return [n.name for n in self.numbers_] + [c.name for c in self.categories_]

    def _category_codes(self, frame: pd.DataFrame, cat: _Categorical) -> np.ndarray:
        values = frame[cat.name].astype("string")
        raw = values.to_numpy(dtype=object, na_value=None)
        code = pd.Index(cat.levels).get_indexer(raw).astype(np.int64)
        if self.OTHER in cat.levels:
            present = (values.notna() & (values != "")).to_numpy(dtype=bool)
            code = np.where((code < 0) & present, cat.levels.index(self.OTHER), code)
        return code

    def codes(self, frame: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray]:
        """Sparse one-hot rows and the attribute index of every column (latent class)."""
        n = len(frame)
        blocks, groups = [], []
        attr = 0
        for num in self.numbers_:
            v = pd.to_numeric(frame[num.name], errors="coerce").to_numpy(dtype=float)
            code = np.digitize(v, num.edges)
            code[np.isnan(v)] = -1
            blocks.append(_one_hot(code, len(num.edges) + 1, n))
            groups += [attr] * (len(num.edges) + 1)
            attr += 1
        for cat in self.categories_:
            blocks.append(_one_hot(self._category_codes(frame, cat), len(cat.levels), n))
            groups += [attr] * len(cat.levels)
            attr += 1
        return sp.hstack(blocks, format="csr"), np.asarray(groups)

    def embedding(self, frame: pd.DataFrame) -> np.ndarray:
        """Dense scaled numbers, missing flags and weighted one-hot categories."""
        n = len(frame)
        parts: list[np.ndarray] = []
        for num in self.numbers_:
            v = pd.to_numeric(frame[num.name], errors="coerce").to_numpy(dtype=float)
            t = np.log1p(np.maximum(v, 0)) if num.log else v
            z = np.clip((t - num.centre) / num.scale, -5, 5)
            missing = np.isnan(z)
            parts.append(np.where(missing, 0.0, z)[:, None])
            if num.missing_flag:
                parts.append(missing[:, None].astype(float))
        for cat in self.categories_:
            code = self._category_codes(frame, cat)
            block = _one_hot(code, len(cat.levels), n).toarray()
            parts.append(block / np.sqrt(len(cat.levels) / 2))
        return np.hstack(parts) if parts else np.zeros((n, 0))


def _one_hot(code: np.ndarray, width: int, n: int) -> sp.csr_matrix:
    rows = np.nonzero(code >= 0)[0]
    return sp.csr_matrix(
        (np.ones(len(rows)), (rows, code[rows])), shape=(n, width), dtype=np.float64
    )
