"""Orders per profile, in the shape the value models need.

Value is measured on *kept* revenue: returned and cancelled lines are not money a
customer brought, and a discount is already taken off. What an order is worth is defined
once, in :mod:`personae.ingest.revenue` (its ``order_total`` once, else its lines'
quantity × unit price − discount); every sum here reads its ``line_revenue``. The BG/NBD model
counts purchase *days* (two orders on one day are one purchase occasion, as in Fader,
Hardie & Lee's CDNOW data), measured in days from epoch seconds so both engines agree.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from personae.engine import DuckDBEngine, quote_literal
from personae.ingest.revenue import order_lines_table
from personae.locale.resolve import conversion_rates
from personae.profiles.attributes import epoch

KEPT = "lower(coalesce(status, 'completed')) NOT IN ('returned', 'cancelled', 'refunded')"


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Columns of a workspace table (empty when the table does not exist)."""
    eng = DuckDBEngine(con)
    return set(eng.columns(table)) if eng.has_table(table) else set()


def optional_columns(
    con: duckdb.DuckDBPyConnection, table: str, wanted: dict[str, str], alias: str = ""
) -> str:
    """``alias.col AS col`` for each wanted column the table has, else ``NULL AS col``
    (typed): profiles only hold the attribute families their sources allow."""
    have = columns_of(con, table)
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"{prefix}{c} AS {c}" if c in have else f"CAST(NULL AS {t}) AS {c}"
        for c, t in wanted.items()
    )


def stage_value_orders(con: duckdb.DuckDBPyConnection, as_of: str) -> int:
    """Write ``value_orders``: one row per profile and order, with its kept value.

    ``account_key`` is the B2B account the order belongs to: the order's own account id,
    its customer id when that is a known account (invoices addressed to the account), or
    the account of the person who placed it.
    """
    cols = columns_of(con, "raw_orders")
    if not cols:
        con.execute(
            "CREATE OR REPLACE TABLE value_orders (profile_id VARCHAR, order_key VARCHAR, "
            "order_date TIMESTAMP, order_day BIGINT, net_value DOUBLE, gross_value DOUBLE, "
            "returned_value DOUBLE, kept BOOLEAN, account_key VARCHAR, channel VARCHAR)"
        )
        return 0
    order_key = "o.order_id" if "order_id" in cols else "CAST(o._source_row AS VARCHAR)"
    # each line's share of its order's revenue (personae.ingest.revenue: an order-level
    # total once per order, else quantity × unit price − discount)
    total = "coalesce(o.line_revenue, 0)"
    status = "o.status" if "status" in cols else "NULL"
    channel = "o.channel" if "channel" in cols else "CAST(NULL AS VARCHAR)"
    accounts = "account_id" in columns_of(con, "raw_accounts")
    own_account = "o.account_id" if "account_id" in cols else "CAST(NULL AS VARCHAR)"
    customer_account = (
        "CASE WHEN o.customer_id IN (SELECT account_id FROM raw_accounts) THEN o.customer_id END"
        if accounts and "customer_id" in cols
        else "CAST(NULL AS VARCHAR)"
    )
    as_of_sql = f"TIMESTAMP {quote_literal(as_of)}"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE value_orders AS
        SELECT rp.profile_id, {order_key} AS order_key,
               min(o.order_date) AS order_date,
               CAST(floor({epoch("min(o.order_date)")} / 86400) AS BIGINT) AS order_day,
               coalesce(sum(CASE WHEN {KEPT.replace("status", status)} THEN {total} END), 0)
                   AS net_value,
               coalesce(sum({total}), 0) AS gross_value,
               coalesce(sum(CASE WHEN lower({status}) = 'returned' THEN {total} END), 0)
                   AS returned_value,
               bool_or({KEPT.replace("status", status)}) AS kept,
               coalesce(max({own_account}), max({customer_account}), max(p.account_id))
                   AS account_key,
               max({channel}) AS channel
        FROM {order_lines_table(cols, rates=conversion_rates(con))} o
        JOIN record_profiles rp ON rp.source_kind = 'orders'
             AND rp.source_file = o._source_file AND rp.source_row = o._source_row
        LEFT JOIN profiles p ON p.profile_id = rp.profile_id
        WHERE rp.profile_id IS NOT NULL AND o.order_date <= {as_of_sql}
        GROUP BY rp.profile_id, {order_key}
        """
    )
    return con.execute("SELECT count(*) FROM value_orders").fetchall()[0][0]


def purchase_summary(
    con: duckdb.DuckDBPyConnection, as_of: str, return_cost_share: float = 0.0
) -> pd.DataFrame:
    """Per buying profile: BG/NBD inputs (days) and RFM inputs.

    frequency = purchase days after the first, recency = days from the first to the last
    purchase day, T = days from the first purchase to ``as_of``; monetary = mean value of
    the *repeat* purchase days (the Gamma-Gamma convention), spend = all kept revenue.
    A purchase's value is its kept revenue less ``return_cost_share`` of what was returned
    (handling a return costs money), floored at one cent: the spend model needs positive
    values.
    """
    as_of_day = f"CAST(floor({epoch(f'TIMESTAMP {quote_literal(as_of)}')} / 86400) AS BIGINT)"
    return con.execute(
        f"""
        WITH days AS (
            SELECT profile_id, order_day,
                   greatest(sum(net_value) - {float(return_cost_share)} * sum(returned_value),
                            0.01) AS value,
                   count(*) AS orders
            FROM value_orders WHERE kept GROUP BY profile_id, order_day
        ), ranked AS (
            SELECT *, row_number() OVER (PARTITION BY profile_id ORDER BY order_day) AS k
            FROM days
        )
        SELECT profile_id,
               CAST(count(*) - 1 AS DOUBLE) AS frequency,
               CAST(max(order_day) - min(order_day) AS DOUBLE) AS recency,
               CAST({as_of_day} - min(order_day) AS DOUBLE) AS T,
               coalesce(avg(CASE WHEN k > 1 THEN value END), 0) AS monetary,
               sum(orders) AS orders,
               sum(value) AS spend,
               CAST({as_of_day} - max(order_day) AS DOUBLE) AS recency_days
        FROM ranked GROUP BY profile_id ORDER BY profile_id
        """
    ).df()


def as_float(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy(dtype=float)


def orders_have_amounts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any staged order carries money. Orders without an amount (all empty or
    zero) still count as purchases, but there is no spend to model or report."""
    row = con.execute("SELECT coalesce(bool_or(gross_value > 0), false) FROM value_orders")
    return bool(row.fetchall()[0][0])
