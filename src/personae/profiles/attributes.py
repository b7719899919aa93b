"""The attribute families of a unified profile, as portable SQL over the raw tables.

Each family is one ``SELECT ... GROUP BY profile_id`` over the records of one or two kinds,
with every record mapped to its profile through its identity signature. Families only read
columns their kinds actually hold (``Columns``), so a workspace without, say, reviews still
builds. Time-based attributes are measured from an explicit ``as_of`` timestamp; day counts
come from epoch seconds, because DuckDB and Spark disagree on ``date_diff`` boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from personae.engine import quote_literal

Columns = Mapping[str, Sequence[str]]  # kind -> columns present (non-empty) in raw_<kind>
Stage = Callable[[str, str], str]  # stage(name, sql) materialises sql, returns the table name

SECONDS_PER_DAY = 86400


def epoch(ts_sql: str) -> str:
    """Whole epoch seconds of a timestamp, identical on both engines."""
    return f"CAST(floor(epoch({ts_sql})) AS BIGINT)"


def days_between(later_sql: str, earlier_sql: str) -> str:
    return f"CAST(floor(({epoch(later_sql)} - {epoch(earlier_sql)}) / {SECONDS_PER_DAY}) AS BIGINT)"


def weekday(ts_sql: str) -> str:
    """0 = Monday … 6 = Sunday, from epoch days (1970-01-01 was a Thursday)."""
    return f"CAST((floor({epoch(ts_sql)} / {SECONDS_PER_DAY}) + 3) % 7 AS INTEGER)"


def daypart(ts_sql: str) -> str:
    h = f"hour({ts_sql})"
    return (
        f"CASE WHEN {h} < 5 THEN 'night' WHEN {h} < 12 THEN 'morning' "
        f"WHEN {h} < 17 THEN 'afternoon' WHEN {h} < 22 THEN 'evening' ELSE 'night' END"
    )


def timed_rows(base: str, ts_sql: str) -> str:
    """The rows of ``base`` whose file gives times of day, not dates alone (a SELECT).

    A file of dates without times reads as midnight everywhere — or as one or two UTC hours
    once a time zone is applied (23:00 and 00:00 across daylight saving) — and every customer
    would then "usually buy at night". A time of day is only claimed from a file whose rows
    carry more than two distinct times; weekdays and dates are read from every file.
    """
    tod = f"hour({ts_sql}) * 3600 + minute({ts_sql}) * 60 + second({ts_sql})"
    return (
        f"SELECT * FROM {base} WHERE _source_file IN (SELECT _source_file FROM {base} "
        f"GROUP BY _source_file HAVING count(DISTINCT {tod}) > 2)"
    )


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(day_sql: str) -> str:
    cases = " ".join(f"WHEN {i} THEN '{d}'" for i, d in enumerate(WEEKDAYS))
    return f"CASE {day_sql} {cases} END"


def ratio(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN CAST({num} AS DOUBLE) / {den} END"


def top_n(values_sql: str, key: str, n: int, prefix: str) -> str:
    """Per ``key``, the ``n`` most frequent values of ``values_sql`` (a SELECT of key, value,
    weight) as columns ``prefix_1..n``; ties broken by value so both engines agree."""
    cols = ", ".join(
        f"max(CASE WHEN rank = {i} THEN value END) AS {prefix}_{i}" for i in range(1, n + 1)
    )
    return f"""
        SELECT {key}, {cols} FROM (
            SELECT {key}, value, row_number() OVER (
                PARTITION BY {key} ORDER BY sum(weight) DESC, value) AS rank
            FROM ({values_sql}) v WHERE value IS NOT NULL GROUP BY {key}, value
        ) r WHERE rank <= {n} GROUP BY {key}
    """


def most_frequent(values_sql: str, key: str, name: str) -> str:
    return top_n(values_sql, key, 1, name).replace(f"AS {name}_1", f"AS {name}")


@dataclass(frozen=True)
class Family:
    """One attribute family: its name, the kinds it needs and its SQL builder."""

    name: str
    needs: tuple[str, ...]
    sql: Callable[[Callable[[str], str], Columns, str, Stage], str]
    # sql(records, columns, as_of, stage) where records(kind) is a FROM-able subquery of that
    # kind's records with a profile_id column, and stage() materialises an intermediate that
    # several aggregates read (so the records are joined to their profiles only once).


def _has(columns: Columns, kind: str, *cols: str) -> bool:
    return all(c in columns.get(kind, ()) for c in cols)


def _col(columns: Columns, kind: str, col: str, alias: str | None = None, cast: str = "") -> str:
    alias = alias or col
    if _has(columns, kind, col):
        return f"{col} AS {alias}"
    return f"CAST(NULL AS {cast or 'VARCHAR'}) AS {alias}"


def orders_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    c = columns
    status = "lower(status)" if _has(c, "orders", "status") else "'completed'"
    # each line's share of its order's revenue and items (personae.ingest.revenue): an
    # order-level total counts once per order, else the lines' quantity × price − discount
    total = "coalesce(line_revenue, 0)"
    discount = (
        "(coalesce(discount, 0) > 0"
        + (" OR coupon_code IS NOT NULL)" if _has(c, "orders", "coupon_code") else ")")
        if _has(c, "orders", "discount")
        else ("coupon_code IS NOT NULL" if _has(c, "orders", "coupon_code") else "FALSE")
    )
    qty = "line_items"
    order_key = "order_id" if _has(c, "orders", "order_id") else "CAST(_source_row AS VARCHAR)"
    channel = "channel" if _has(c, "orders", "channel") else "CAST(NULL AS VARCHAR)"
    category = "category" if _has(c, "orders", "category") else "CAST(NULL AS VARCHAR)"
    recs = records("orders")
    base = f"""
        SELECT profile_id, _source_file, {order_key} AS order_key, order_date,
               {status} AS status, {total} AS line_total, {qty} AS qty,
               {discount} AS discounted, {channel} AS channel, {category} AS category
        FROM {recs} WHERE profile_id IS NOT NULL AND order_date <= {as_of}
    """
    kept = "status NOT IN ('returned', 'cancelled', 'refunded')"
    base = stage("orders_lines", base)
    agg = f"""
        SELECT profile_id,
               count(DISTINCT CASE WHEN {kept} THEN order_key END) AS orders,
               coalesce(sum(CASE WHEN {kept} THEN line_total END), 0) AS revenue,
               min(order_date) AS first_order_at,
               max(CASE WHEN {kept} THEN order_date END) AS last_order_at,
               {ratio("sum(CASE WHEN status = 'returned' THEN qty ELSE 0 END)", "sum(qty)")}
                   AS return_rate,
               {
        ratio(
            "count(DISTINCT CASE WHEN discounted THEN order_key END)", "count(DISTINCT order_key)"
        )
    } AS discount_share,
               count(DISTINCT order_key) AS orders_incl_returns
        FROM {base} o GROUP BY profile_id
    """
    cats = top_n(
        f"SELECT profile_id, category AS value, line_total AS weight FROM {base} o WHERE {kept}",
        "profile_id",
        3,
        "top_category",
    )
    chan = most_frequent(
        f"SELECT profile_id, channel AS value, 1 AS weight FROM {base} o",
        "profile_id",
        "preferred_channel",
    )
    dpart = most_frequent(
        f"SELECT profile_id, {daypart('order_date')} AS value, 1 AS weight "
        f"FROM ({timed_rows(base, 'order_date')}) o",
        "profile_id",
        "preferred_order_daypart",
    )
    wday = most_frequent(
        f"SELECT profile_id, {weekday_name(weekday('order_date'))} AS value, 1 AS weight "
        f"FROM {base} o",
        "profile_id",
        "preferred_order_weekday",
    )
    return f"""
        SELECT a.profile_id, a.orders, a.revenue,
               CASE WHEN a.orders > 0 THEN a.revenue / a.orders END AS avg_order_value,
               a.first_order_at, a.last_order_at,
               {days_between(as_of, "a.last_order_at")} AS recency_days,
               CASE WHEN a.orders > 1 THEN CAST({
        days_between("a.last_order_at", "a.first_order_at")
    } AS DOUBLE) / (a.orders - 1) END AS days_between_orders,
               a.return_rate, a.discount_share,
               t.top_category_1, t.top_category_2, t.top_category_3,
               ch.preferred_channel, dp.preferred_order_daypart, wd.preferred_order_weekday
        FROM ({agg}) a
        LEFT JOIN ({cats}) t ON t.profile_id = a.profile_id
        LEFT JOIN ({chan}) ch ON ch.profile_id = a.profile_id
        LEFT JOIN ({dpart}) dp ON dp.profile_id = a.profile_id
        LEFT JOIN ({wday}) wd ON wd.profile_id = a.profile_id
    """


def events_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    c = columns
    device = "lower(device_type)" if _has(c, "events", "device_type") else "CAST(NULL AS VARCHAR)"
    session_id = (
        "coalesce(anonymous_id, user_id)"
        if _has(c, "events", "anonymous_id")
        else ("user_id" if _has(c, "events", "user_id") else "CAST(_source_row AS VARCHAR)")
    )
    category = "CAST(NULL AS VARCHAR)"
    if _has(c, "events", "properties"):
        category = "json_extract_string(properties, '$.category')"
    if _has(c, "events", "page_path"):
        category = (
            f"coalesce({category}, CASE WHEN type = 'page' THEN "
            "nullif(split_part(page_path, '/', 2), '') END)"
        )
    base = f"""
        SELECT profile_id, _source_file, type, timestamp, {device} AS device,
               {session_id} || '/' || CAST(CAST(timestamp AS DATE) AS VARCHAR) AS session,
               {category} AS interest
        FROM {records("events")} WHERE profile_id IS NOT NULL AND timestamp <= {as_of}
    """
    base = stage("events_rows", base)
    agg = f"""
        SELECT profile_id, count(*) AS events,
               count(DISTINCT session) AS sessions,
               sum(CASE WHEN type = 'page' THEN 1 ELSE 0 END) AS page_views,
               sum(CASE WHEN type = 'screen' THEN 1 ELSE 0 END) AS screen_views,
               {ratio("sum(CASE WHEN device = 'mobile' THEN 1 ELSE 0 END)", "count(device)")}
                   AS mobile_share,
               {ratio("sum(CASE WHEN device = 'desktop' THEN 1 ELSE 0 END)", "count(device)")}
                   AS desktop_share,
               {ratio("sum(CASE WHEN device = 'tablet' THEN 1 ELSE 0 END)", "count(device)")}
                   AS tablet_share,
               min(timestamp) AS first_seen_at, max(timestamp) AS last_seen_at
        FROM {base} e GROUP BY profile_id
    """
    dev = most_frequent(
        f"SELECT profile_id, device AS value, 1 AS weight FROM {base} e",
        "profile_id",
        "top_device",
    )
    interests = top_n(
        f"SELECT profile_id, interest AS value, 1 AS weight FROM {base} e",
        "profile_id",
        3,
        "interest",
    )
    dpart = most_frequent(
        f"SELECT profile_id, {daypart('timestamp')} AS value, 1 AS weight "
        f"FROM ({timed_rows(base, 'timestamp')}) e",
        "profile_id",
        "preferred_daypart",
    )
    return f"""
        SELECT a.*, d.top_device, i.interest_1, i.interest_2, i.interest_3, p.preferred_daypart,
               {days_between(as_of, "a.last_seen_at")} AS days_since_last_seen
        FROM ({agg}) a
        LEFT JOIN ({dev}) d ON d.profile_id = a.profile_id
        LEFT JOIN ({interests}) i ON i.profile_id = a.profile_id
        LEFT JOIN ({dpart}) p ON p.profile_id = a.profile_id
    """


def email_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    campaign = "campaign_id" if _has(columns, "email_events", "campaign_id") else "timestamp"
    return f"""
        SELECT profile_id,
               count(DISTINCT CASE WHEN event = 'sent' THEN {campaign} END) AS emails_sent,
               count(DISTINCT CASE WHEN event = 'open' THEN {campaign} END) AS emails_opened,
               count(DISTINCT CASE WHEN event = 'click' THEN {campaign} END) AS emails_clicked,
               max(CASE WHEN event = 'unsubscribe' THEN 1 ELSE 0 END) = 1 AS unsubscribed,
               {
        ratio(
            "count(DISTINCT CASE WHEN event = 'open' THEN " + campaign + " END)",
            "count(DISTINCT CASE WHEN event = 'sent' THEN " + campaign + " END)",
        )
    }
                   AS email_open_rate,
               {
        ratio(
            "count(DISTINCT CASE WHEN event = 'click' THEN " + campaign + " END)",
            "count(DISTINCT CASE WHEN event = 'sent' THEN " + campaign + " END)",
        )
    }
                   AS email_click_rate
        FROM (SELECT profile_id, lower(event) AS event, {campaign}
              FROM {records("email_events")}
              WHERE profile_id IS NOT NULL AND (timestamp IS NULL OR timestamp <= {as_of})) x
        GROUP BY profile_id
    """


def tickets_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    sat = _col(columns, "tickets", "satisfaction", "satisfaction", "DOUBLE")
    return f"""
        SELECT profile_id, count(*) AS support_tickets,
               avg(satisfaction) AS support_satisfaction
        FROM (SELECT profile_id, {sat} FROM {records("tickets")}
              WHERE profile_id IS NOT NULL AND (created_at IS NULL OR created_at <= {as_of})) t
        GROUP BY profile_id
    """


def reviews_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    rating = _col(columns, "reviews", "rating", "rating", "DOUBLE")
    return f"""
        SELECT profile_id, count(*) AS reviews, avg(rating) AS mean_rating
        FROM (SELECT profile_id, {rating} FROM {records("reviews")}
              WHERE profile_id IS NOT NULL AND (created_at IS NULL OR created_at <= {as_of})) r
        GROUP BY profile_id
    """


def social_sql(records: Callable[[str], str], columns: Columns, as_of: str, stage: Stage) -> str:
    return f"""
        SELECT profile_id, count(*) AS social_posts FROM {records("social_posts")}
        WHERE profile_id IS NOT NULL AND (created_at IS NULL OR created_at <= {as_of})
        GROUP BY profile_id
    """


FAMILIES: tuple[Family, ...] = (
    Family("orders", ("orders",), orders_sql),
    Family("events", ("events",), events_sql),
    Family("email", ("email_events",), email_sql),
    Family("tickets", ("tickets",), tickets_sql),
    Family("reviews", ("reviews",), reviews_sql),
    Family("social", ("social_posts",), social_sql),
)


# A survey question whose answers are few and repeat, or few and short (a small survey's
# "Walking past" / "A friend", a 0-10 score), is a choice list (a profile attribute
# ``survey_<id>``); the rest is free text for the voice-of-customer step. One rule for both,
# so a question is never both. (Answers of fewer than three words on average: fewer than
# two spaces.)
STRUCTURED_QUESTION_RULE = (
    "count(DISTINCT answer) <= 30 AND (count(DISTINCT answer) * 3 <= count(*) "
    "OR avg(length(answer) - length(replace(answer, ' ', ''))) < 2)"
)


def structured_questions_sql(table: str = "raw_survey_responses") -> str:
    """Question ids whose answers form a choice list (see :data:`STRUCTURED_QUESTION_RULE`)."""
    return f"""
        SELECT question_id FROM {table}
        WHERE question_id IS NOT NULL AND answer IS NOT NULL
        GROUP BY question_id
        HAVING {STRUCTURED_QUESTION_RULE}
    """


def survey_sql(records: Callable[[str], str], questions: Sequence[str], as_of: str) -> str:
    """Structured survey answers as attributes ``survey_<question_id>`` (latest answer)."""
    base = f"""
        SELECT profile_id, question_id, answer, submitted_at,
               coalesce(response_id, CAST(_source_row AS VARCHAR)) AS response_key
        FROM {records("survey_responses")}
        WHERE profile_id IS NOT NULL AND (submitted_at IS NULL OR submitted_at <= {as_of})
    """
    cols = "".join(
        f", max(CASE WHEN question_id = {quote_literal(q)} THEN answer END) AS survey_{_safe(q)}"
        for q in questions
    )
    latest = f"""
        SELECT profile_id, question_id, answer FROM (
            SELECT profile_id, question_id, answer, row_number() OVER (
                PARTITION BY profile_id, question_id ORDER BY submitted_at DESC, answer) AS r
            FROM ({base}) b) x WHERE r = 1
    """
    return f"""
        SELECT c.profile_id, c.survey_responses{cols.replace("max(CASE", "max(CASE")}
        FROM (SELECT profile_id, count(DISTINCT response_key) AS survey_responses
              FROM ({base}) b GROUP BY profile_id) c
        LEFT JOIN ({latest}) l ON l.profile_id = c.profile_id
        GROUP BY c.profile_id, c.survey_responses
    """


def _safe(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")
    return out or "q"
