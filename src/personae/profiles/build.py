"""Unified profiles: one row per resolved person (``profiles``) and per B2B account
(``account_profiles``), with ``profile_sources`` saying where each trait value came from.

Traits that sources may disagree on (name, gender, birth date, city, job title, …) are
gathered into one long table of candidate values and one value per attribute survives by a
configurable rule: ``most_recent`` non-empty value, ``most_frequent`` value, or
``source_priority`` (the most trusted source kind). Behavioural attributes are aggregates
(see :mod:`personae.profiles.attributes`). Everything is portable SQL run by an
:class:`~personae.engine.Engine`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from personae.config import ProfileSettings
from personae.engine import Engine, quote_literal
from personae.identity.identifiers import Normaliser
from personae.identity.resolve import Slots, signature_join_sql
from personae.ingest.revenue import order_lines_table
from personae.profiles.attributes import (
    FAMILIES,
    Columns,
    _safe,
    days_between,
    structured_questions_sql,
    survey_sql,
)

# Trait attributes and where they come from: kind -> [(attribute, SQL over the raw row)].
TRAIT_SOURCES: dict[str, list[tuple[str, str]]] = {
    "contacts": [
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("gender", "gender"),
        ("birth_date", "CAST(birth_date AS VARCHAR)"),
        ("city", "city"),
        ("region", "region"),
        ("postal_code", "postal_code"),
        ("country", "country"),
        ("loyalty_tier", "loyalty_tier"),
        ("job_title", "job_title"),
        ("buying_role", "role"),
        ("social_handle", "social_handle"),
        ("stated_age", "CAST(age AS VARCHAR)"),
        ("income_band", "income"),
        ("marital_status", "marital_status"),
        ("education", "education"),
        ("household", "household"),
        ("children", "children"),
    ],
    "events": [
        ("first_name", "json_extract_string(traits, '$.firstName')"),
        ("last_name", "json_extract_string(traits, '$.lastName')"),
        ("job_title", "json_extract_string(traits, '$.title')"),
        ("company", "json_extract_string(traits, '$.company')"),
        ("gender", "json_extract_string(traits, '$.gender')"),
        ("city", "json_extract_string(traits, '$.address.city')"),
        ("country", "json_extract_string(traits, '$.address.country')"),
    ],
}
TRAIT_TIME = {"contacts": "created_at", "events": "timestamp"}
TRAIT_NEEDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "gender": "gender",
    "birth_date": "birth_date",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
    "loyalty_tier": "loyalty_tier",
    "job_title": "job_title",
    "buying_role": "role",
    "social_handle": "social_handle",
    "stated_age": "age",
    "income_band": "income",
    "marital_status": "marital_status",
    "education": "education",
    "household": "household",
    "children": "children",
}
TRAITS = (
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "city",
    "region",
    "postal_code",
    "country",
    "loyalty_tier",
    "company",
    "job_title",
    "buying_role",
    "social_handle",
    "stated_age",
    "income_band",
    "marital_status",
    "education",
    "household",
    "children",
)

GENDER = """CASE
    WHEN {v} IN ('f', 'female', 'woman', 'w') THEN 'female'
    WHEN {v} IN ('m', 'male', 'man') THEN 'male'
    WHEN {v} IN ('non-binary', 'nonbinary', 'nb', 'non binary', 'other', 'diverse', 'x')
        THEN 'non-binary'
    ELSE NULL END"""
COUNTRY = """CASE
    WHEN {v} IN ('us', 'usa', 'united states', 'united states of america', 'u.s.', 'u.s.a.')
        THEN 'US'
    WHEN {v} IN ('gb', 'uk', 'united kingdom', 'great britain', 'england', 'scotland',
                 'wales', 'northern ireland') THEN 'GB'
    WHEN length({v}) = 2 THEN upper({v})
    ELSE upper({v}) END"""
CLEAN = {"gender": GENDER, "country": COUNTRY}

SENIORITY = """CASE
    WHEN {t} LIKE '%chief%' OR {t} LIKE 'c_o' OR {t} LIKE '% c_o' OR {t} LIKE '%founder%'
      OR {t} LIKE '%owner%' OR {t} LIKE '%president%' THEN 'executive'
    WHEN {t} LIKE '%vp%' OR {t} LIKE '%vice president%' OR {t} LIKE '%head of%'
      THEN 'vp'
    WHEN {t} LIKE '%director%' THEN 'director'
    WHEN {t} LIKE '%manager%' OR {t} LIKE '%lead%' THEN 'manager'
    WHEN {t} IS NULL THEN NULL
    ELSE 'individual contributor' END"""

# The buying-committee role: the CRM's own role when it has one, else inferred from
# seniority (executives and VPs decide, directors and managers influence, others use).
BUYING_ROLE = """CASE
    WHEN j.buying_role IS NOT NULL THEN j.buying_role
    WHEN j.job_title IS NULL THEN NULL
    WHEN ({s}) IN ('executive', 'vp') THEN 'decision_maker'
    WHEN ({s}) IN ('director', 'manager') THEN 'influencer'
    ELSE 'user' END"""

EMPLOYEE_BAND = """CASE
    WHEN {e} IS NULL THEN NULL WHEN {e} < 10 THEN '1-9' WHEN {e} < 50 THEN '10-49'
    WHEN {e} < 250 THEN '50-249' WHEN {e} < 1000 THEN '250-999' ELSE '1000+' END"""
REVENUE_BAND = """CASE
    WHEN {r} IS NULL THEN NULL WHEN {r} < 1000000 THEN '<1M' WHEN {r} < 10000000 THEN '1M-10M'
    WHEN {r} < 100000000 THEN '10M-100M' WHEN {r} < 1000000000 THEN '100M-1B'
    ELSE '1B+' END"""
AGE_BAND = """CASE
    WHEN {a} IS NULL THEN NULL WHEN {a} < 25 THEN '18-24' WHEN {a} < 35 THEN '25-34'
    WHEN {a} < 45 THEN '35-44' WHEN {a} < 55 THEN '45-54' WHEN {a} < 65 THEN '55-64'
    ELSE '65+' END"""

# Counts that are 0 (not unknown) for a profile with no records of that kind.
ZERO_WHEN_ABSENT = frozenset(
    {
        "orders",
        "revenue",
        "events",
        "sessions",
        "page_views",
        "screen_views",
        "emails_sent",
        "emails_opened",
        "emails_clicked",
        "support_tickets",
        "reviews",
        "social_posts",
        "survey_responses",
    }
)

OUTPUT_TABLES = ("profiles", "profile_sources", "account_profiles")


class ProfileBuilder:
    """Build ``profiles``, ``profile_sources`` and ``account_profiles`` on an engine."""

    def __init__(
        self, settings: ProfileSettings | None = None, rates: Mapping[str, float] | None = None
    ) -> None:
        self.settings = settings or ProfileSettings()
        # order currencies -> reporting currency (personae.locale.resolve), None = one currency
        self.rates = rates

    def as_of_sql(self, as_of: str) -> str:
        return f"CAST({quote_literal(as_of)} AS TIMESTAMP)"

    def records(
        self, slots: Slots, norm: Normaliser, kind: str, columns: Collection[str] = ()
    ) -> str:
        """``raw_<kind>`` with each record's profile_id and account key (a subquery).

        Order lines also carry ``line_revenue`` and ``line_items``, their shares of their
        order's revenue and items (:mod:`personae.ingest.revenue`, the one definition)."""
        table = f"raw_{kind}"
        if kind == "orders":
            table = order_lines_table(
                columns or ("order_id", "line_total", "quantity"), table, self.rates
            )
        return (
            f"(SELECT r.*, s.profile_id, s.account_key FROM {table} r "
            f"{signature_join_sql(slots, kind)})"
        )

    def _rule(self, attribute: str) -> str:
        return self.settings.rules.get(attribute, self.settings.default_rule)

    def _kind_rank(self, kind: str) -> int:
        order = self.settings.source_priority
        return order.index(kind) + 1 if kind in order else len(order) + 1

    def _traits(self, engine: Engine, columns: Columns, recs) -> None:
        parts = []
        for kind, traits in TRAIT_SOURCES.items():
            if kind not in columns:
                continue
            present = columns[kind]
            if kind == "events" and "traits" not in present:
                continue
            wanted = [
                (attribute, expr)
                for attribute, expr in traits
                if kind != "contacts" or TRAIT_NEEDS[attribute] in present
            ]
            if not wanted:
                continue
            time_col = TRAIT_TIME[kind]
            observed = time_col if time_col in present else "CAST(NULL AS TIMESTAMP)"
            values = []
            for attribute, expr in wanted:
                low = f"lower(trim(CAST({expr} AS VARCHAR)))"
                values.append(
                    (
                        CLEAN[attribute].format(v=low)
                        if attribute in CLEAN
                        else f"nullif(trim(CAST({expr} AS VARCHAR)), '')"
                    )
                    + f" AS t_{attribute}"
                )
            only = " AND traits IS NOT NULL" if kind == "events" else ""
            # one scan per kind into a narrow table, then one small SELECT per attribute
            engine.materialize(
                f"_pf_tr_{kind}",
                f"SELECT profile_id, {observed} AS observed_at, _source_file, _source_row, "
                f"{', '.join(values)} FROM {recs(kind)} x WHERE profile_id IS NOT NULL{only}",
            )
            for attribute, _ in wanted:
                parts.append(
                    f"SELECT profile_id, {quote_literal(attribute)} AS attribute, "
                    f"t_{attribute} AS value, observed_at, {quote_literal(kind)} AS kind, "
                    f"{self._kind_rank(kind)} AS kind_rank, _source_file, _source_row "
                    f"FROM _pf_tr_{kind} WHERE t_{attribute} IS NOT NULL"
                )
        if not parts:
            parts.append(
                "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS attribute,"
                " CAST(NULL AS VARCHAR) AS value, CAST(NULL AS TIMESTAMP) AS observed_at,"
                " CAST(NULL AS VARCHAR) AS kind, 0 AS kind_rank,"
                " CAST(NULL AS VARCHAR) AS _source_file, CAST(NULL AS BIGINT) AS _source_row"
                " WHERE 1 = 0"
            )
        engine.materialize(
            "_pf_candidates",
            "SELECT * FROM (" + " UNION ALL ".join(parts) + ") c WHERE value IS NOT NULL",
        )
        rule_case = (
            "CASE "
            + " ".join(
                f"WHEN c.attribute = {quote_literal(a)} THEN {quote_literal(self._rule(a))}"
                for a in TRAITS
            )
            + f" ELSE {quote_literal(self.settings.default_rule)} END"
        )
        engine.materialize(
            "profile_sources",
            f"""
            SELECT profile_id, attribute, value, rule, kind AS source_kind,
                   _source_file AS source_file, _source_row AS source_row, observed_at,
                   n_candidates, n_values
            FROM (
                SELECT c.*, {rule_case} AS rule, f.n_value,
                       count(*) OVER (PARTITION BY c.profile_id, c.attribute) AS n_candidates,
                       f.n_values,
                       row_number() OVER (
                           PARTITION BY c.profile_id, c.attribute ORDER BY
                           CASE WHEN {rule_case} = 'most_frequent' THEN -f.n_value ELSE 0 END,
                           CASE WHEN {rule_case} = 'source_priority' THEN c.kind_rank ELSE 0 END,
                           c.observed_at DESC NULLS LAST, c.kind_rank, c.value,
                           c._source_file, c._source_row) AS pick
                FROM _pf_candidates c
                JOIN (SELECT profile_id, attribute, value, count(*) AS n_value,
                             count(*) OVER (PARTITION BY profile_id, attribute) AS n_values
                      FROM _pf_candidates GROUP BY profile_id, attribute, value) f
                  ON f.profile_id = c.profile_id AND f.attribute = c.attribute
                 AND f.value = c.value
            ) x WHERE pick = 1
            """,
        )

    def _survey_questions(self, engine: Engine, columns: Columns) -> list[str]:
        """Questions with a small set of answers (structured ones) become attributes."""
        if not {"question_id", "answer"} <= set(columns.get("survey_responses", ())):
            return []
        got = engine.query(structured_questions_sql() + " ORDER BY question_id")
        return [q for q in got.column("question_id").to_pylist() if q]

    def run(
        self,
        engine: Engine,
        slots: Slots,
        norm: Normaliser,
        columns: Columns,
        as_of: str,
    ) -> None:
        """Build the profile tables in ``engine`` (identity must have run)."""
        cache: dict[str, str] = {}

        def recs(kind: str) -> str:
            if kind not in cache:
                cache[kind] = self.records(slots, norm, kind, columns.get(kind, ()))
            return cache[kind]

        at = self.as_of_sql(as_of)
        self._traits(engine, columns, recs)
        joins = []
        selects = []
        staged: list[str] = []

        def stage(name: str, sql: str) -> str:
            engine.materialize(f"_pf_{name}", sql)
            staged.append(f"_pf_{name}")
            return f"_pf_{name}"

        for family in FAMILIES:
            if not all(k in columns for k in family.needs):
                continue
            engine.materialize(f"_pf_{family.name}", family.sql(recs, columns, at, stage))
            joins.append(
                f"LEFT JOIN _pf_{family.name} f_{family.name} "
                f"ON f_{family.name}.profile_id = b.profile_id"
            )
            selects.append(self._all_but_id(engine, f"_pf_{family.name}", f"f_{family.name}"))
        questions = self._survey_questions(engine, columns)
        if "survey_responses" in columns:
            engine.materialize("_pf_survey", survey_sql(recs, questions, at))
            joins.append("LEFT JOIN _pf_survey f_survey ON f_survey.profile_id = b.profile_id")
            selects.append(self._all_but_id(engine, "_pf_survey", "f_survey"))
        self._base(engine)
        self._accounts(engine, columns, recs, at)
        trait_cols = ", ".join(
            f"max(CASE WHEN attribute = {quote_literal(a)} THEN value END) AS {a}" for a in TRAITS
        )
        engine.materialize(
            "_pf_traits",
            f"SELECT profile_id, {trait_cols} FROM profile_sources GROUP BY profile_id",
        )
        first_seen = [
            c
            for c in ("f_orders.first_order_at", "f_events.first_seen_at")
            if f"_pf_{c.split('.')[0][2:]}"
            in {f"_pf_{f.name}" for f in FAMILIES if all(k in columns for k in f.needs)}
        ]
        first = (
            f"least({', '.join(first_seen)})"
            if len(first_seen) > 1
            else (first_seen[0] if first_seen else "CAST(NULL AS TIMESTAMP)")
        )
        age = (
            "CASE WHEN t.birth_date IS NULL THEN CAST(t.stated_age AS INTEGER) ELSE "
            f"year({at}) - year(CAST(t.birth_date AS DATE)) - CASE WHEN "
            f"month({at}) * 100 + day({at}) < month(CAST(t.birth_date AS DATE)) * 100 "
            "+ day(CAST(t.birth_date AS DATE)) THEN 1 ELSE 0 END END"
        )
        select_extra = ("," + ", ".join(selects)) if selects else ""
        engine.materialize(
            "_pf_joined",
            f"""
            SELECT b.*, {self._all_but_id(engine, "_pf_traits", "t", "birth_date")},
                   CAST(t.birth_date AS DATE) AS birth_date, {age} AS age,
                   {first} AS first_seen_at_any
                   {select_extra}
            FROM _pf_base b
            LEFT JOIN _pf_traits t ON t.profile_id = b.profile_id
            {" ".join(joins)}
            """,
        )
        acct = engine.has_table("_pf_primary_account")
        engine.materialize(
            "profiles",
            f"""
            SELECT {self._all_but_id(engine, "_pf_joined", "j", "first_seen_at_any", keep_id=True)},
                   {AGE_BAND.format(a="j.age")} AS age_band,
                   {days_between(at, "j.first_seen_at_any")} AS tenure_days,
                   {SENIORITY.format(t="lower(j.job_title)")} AS seniority,
                   {BUYING_ROLE.format(s=SENIORITY.format(t="lower(j.job_title)"))}
                       AS buying_committee_role,
                   {
                "a.account_id, ap.name AS account_name, ap.industry, ap.employee_band, "
                "ap.revenue_band, ap.plan AS account_plan"
                if acct
                else "CAST(NULL AS VARCHAR) AS account_id"
            },
                   {at} AS as_of
            FROM _pf_joined j
            {
                "LEFT JOIN _pf_primary_account a ON a.profile_id = j.profile_id "
                "LEFT JOIN account_profiles ap ON ap.account_id = a.account_id"
                if acct
                else ""
            }
            """,
        )

    @staticmethod
    def _all_but_id(
        engine: Engine, table: str, alias: str, *skip: str, keep_id: bool = False
    ) -> str:
        """``alias.col, ...`` for every column of ``table`` but profile_id and ``skip``
        (``SELECT * EXCLUDE`` is DuckDB-only). Counts of things a profile has none of are 0,
        not missing."""
        drop = set(skip) | (set() if keep_id else {"profile_id"})
        return ", ".join(
            f"coalesce({alias}.{c}, 0) AS {c}" if c in ZERO_WHEN_ABSENT else f"{alias}.{c}"
            for c in engine.columns(table)
            if c not in drop
        )

    def _base(self, engine: Engine) -> None:
        """Profile ids with their identifier counts and best-known identifiers."""
        best = ", ".join(
            f"max(CASE WHEN id_type = '{t}' AND rank = 1 THEN id_value END) AS {t}"
            for t in ("user_id", "email", "phone")
        )
        engine.materialize(
            "_pf_base",
            f"""
            SELECT i.profile_id, i.identifiers, i.anonymous, r.records, r.source_kinds,
                   {", ".join(f"i.{t}" for t in ("user_id", "email", "phone"))}
            FROM (
                SELECT profile_id, count(*) AS identifiers,
                       -- only anonymous, device or survey-response ids: a visitor we
                       -- cannot name (never logged in, bought or gave an email)
                       max(CASE WHEN id_type IN ('anonymous_id', 'device_id', 'response_id')
                                THEN 0 ELSE 1 END) = 0 AS anonymous,
                       {best}
                FROM (
                    SELECT profile_id, id_type, id_value, row_number() OVER (
                        PARTITION BY profile_id, id_type ORDER BY n_records DESC, id_value
                    ) AS rank
                    FROM identity_map WHERE profile_id IS NOT NULL
                ) m GROUP BY profile_id
            ) i
            JOIN (
                SELECT profile_id, CAST(sum(n_records) AS BIGINT) AS records,
                       count(DISTINCT kind) AS source_kinds
                FROM identity_signatures WHERE profile_id IS NOT NULL GROUP BY profile_id
            ) r ON r.profile_id = i.profile_id
            """,
        )

    def _accounts(self, engine: Engine, columns: Columns, recs, at: str) -> None:
        if not engine.has_table("account_links"):
            return
        engine.materialize(
            "_pf_primary_account",
            """
            SELECT profile_id, account_id FROM (
                SELECT profile_id, account_id, row_number() OVER (
                    PARTITION BY profile_id ORDER BY
                    sum(CASE WHEN rule = 'email_domain' THEN 0 ELSE n_records END) DESC,
                    sum(n_records) DESC, account_id) AS r
                FROM account_links GROUP BY profile_id, account_id
            ) x WHERE r = 1
            """,
        )
        acols = set(columns.get("accounts", ()))
        if "account_id" not in acols:
            engine.materialize(
                "account_profiles",
                """
                SELECT account_id, CAST(NULL AS VARCHAR) AS name,
                       CAST(NULL AS VARCHAR) AS industry, CAST(NULL AS VARCHAR) AS employee_band,
                       CAST(NULL AS VARCHAR) AS revenue_band, CAST(NULL AS VARCHAR) AS plan,
                       count(*) AS contacts
                FROM _pf_primary_account GROUP BY account_id
                """,
            )
            return

        def col(name: str, cast: str = "VARCHAR") -> str:
            return name if name in acols else f"CAST(NULL AS {cast})"

        latest = f"""
            SELECT * FROM (
                SELECT upper(trim(account_id)) AS account_id, {col("name")} AS name,
                       lower(trim({col("domain")})) AS domain, {col("industry")} AS industry,
                       {col("employees", "BIGINT")} AS employees,
                       {col("annual_revenue", "DOUBLE")} AS annual_revenue,
                       {col("country")} AS country, {col("plan")} AS plan,
                       {col("created_at", "TIMESTAMP")} AS created_at,
                       {col("renewal_date", "DATE")} AS renewal_date,
                       {col("seats", "BIGINT")} AS seats,
                       {col("seats_used", "BIGINT")} AS seats_used,
                       {col("mrr", "DOUBLE")} AS mrr,
                       row_number() OVER (PARTITION BY upper(trim(account_id))
                                          ORDER BY _source_file DESC, _source_row DESC) AS r
                FROM raw_accounts WHERE account_id IS NOT NULL
            ) x WHERE r = 1
        """
        # every account: the CRM's, plus any seen only in links or orders (its CRM row may
        # have been quarantined, or the account table not exported at all)
        id_parts = [
            "SELECT upper(trim(account_id)) AS account_id FROM raw_accounts "
            "WHERE account_id IS NOT NULL",
            "SELECT account_id FROM account_links",
        ]
        if "orders" in columns:
            id_parts.append(
                f"SELECT account_key AS account_id FROM {recs('orders')} o "
                "WHERE account_key IS NOT NULL"
            )
        all_ids = " UNION ".join(id_parts)
        orders = ""
        if "orders" in columns:
            orders = f"""
            LEFT JOIN (
                SELECT account_key AS account_id,
                       count(DISTINCT CASE WHEN lower(coalesce(status, '')) NOT IN
                             ('returned', 'cancelled', 'refunded') THEN order_id END) AS orders,
                       sum(CASE WHEN lower(coalesce(status, '')) NOT IN
                             ('returned', 'cancelled', 'refunded') THEN line_revenue END)
                           AS revenue,
                       max(order_date) AS last_order_at
                FROM {recs("orders")} o
                WHERE account_key IS NOT NULL AND order_date <= {at}
                GROUP BY account_key
            ) o ON o.account_id = a.account_id
            """
        engine.materialize(
            "account_profiles",
            f"""
            SELECT a.account_id, a.name, a.domain, a.industry, a.employees,
                   {EMPLOYEE_BAND.format(e="a.employees")} AS employee_band,
                   a.annual_revenue, {REVENUE_BAND.format(r="a.annual_revenue")} AS revenue_band,
                   a.country, a.plan, a.mrr, a.seats, a.seats_used,
                   CASE WHEN a.seats > 0 THEN CAST(a.seats_used AS DOUBLE) / a.seats END
                       AS seat_utilisation,
                   a.created_at, a.renewal_date,
                   {days_between("CAST(a.renewal_date AS TIMESTAMP)", at)} AS days_to_renewal,
                   {days_between(at, "a.created_at")} AS tenure_days,
                   coalesce(m.contacts, 0) AS contacts
                   {", o.orders, o.revenue, o.last_order_at" if orders else ""}
            FROM (
                SELECT ids.account_id, l.name, l.domain, l.industry, l.employees,
                       l.annual_revenue, l.country, l.plan, l.mrr, l.seats, l.seats_used,
                       l.created_at, l.renewal_date
                FROM ({all_ids}) ids LEFT JOIN ({latest}) l ON l.account_id = ids.account_id
            ) a
            LEFT JOIN (SELECT account_id, count(*) AS contacts FROM _pf_primary_account
                       GROUP BY account_id) m ON m.account_id = a.account_id
            {orders}
            """,
        )

    @staticmethod
    def cleanup(engine: Engine) -> None:
        for f in FAMILIES:
            engine.drop(f"_pf_{f.name}")
        for name in (
            "_pf_orders_lines",
            "_pf_events_rows",
            "_pf_candidates",
            "_pf_survey",
            "_pf_tr_contacts",
            "_pf_tr_events",
            "_pf_base",
            "_pf_traits",
            "_pf_joined",
            "_pf_primary_account",
        ):
            engine.drop(name)


def survey_attribute_names(questions: Sequence[str]) -> list[str]:
    return [f"survey_{_safe(q)}" for q in questions]


def kinds_columns(layouts: Sequence, extra: Mapping[str, Sequence[str]] | None = None) -> Columns:
    cols: dict[str, Sequence[str]] = {lay.kind: list(lay.columns) for lay in layouts}
    cols.update(extra or {})
    return cols
