"""Acquisition cost: which channel and campaign brought each customer, and at what cost.

Attribution reads the UTM-tagged visits in the event data. ``first_touch`` (the default)
credits the first tagged visit ever seen for the customer; ``last_touch`` the last tagged
visit before their first purchase. A campaign's channel comes from the marketing-spend
file when the campaign is there (its names are the UTM campaign names), else from the UTM
medium. Customers with no tagged visit are ``direct``. CAC = spend / new customers over
the months the spend file covers; CLV:CAC compares the mean predicted CLV of the
customers a channel brought with what one of them cost.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

from personae.value.transactions import columns_of

Attribution = Literal["first_touch", "last_touch"]

# UTM medium -> marketing channel, for campaigns the spend file does not name.
MEDIUM_CHANNEL = {
    "cpc": "paid_search",
    "ppc": "paid_search",
    "paidsearch": "paid_search",
    "paid_search": "paid_search",
    "paid_social": "paid_social",
    "paidsocial": "paid_social",
    "social": "organic_social",
    "display": "display",
    "banner": "display",
    "email": "email",
    "newsletter": "email",
    "affiliate": "affiliate",
    "organic": "organic",
    "referral": "referral",
}


def _medium_case(expr: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MEDIUM_CHANNEL.items())
    return f"CASE lower({expr}) {whens} ELSE lower({expr}) END"


def first_touches(con: duckdb.DuckDBPyConnection, rule: Attribution) -> str:
    """SQL of (profile_id, channel, campaign, touched_at) per acquired customer."""
    ev = columns_of(con, "raw_events")
    if not {"utm_campaign", "utm_medium", "timestamp"} <= ev:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS channel, "
            "CAST(NULL AS VARCHAR) AS campaign, CAST(NULL AS TIMESTAMP) AS touched_at "
            "WHERE FALSE"
        )
    spend_known = "campaign" in columns_of(con, "raw_marketing_spend")
    camp_channel = (
        "(SELECT campaign, any_value(channel) AS channel FROM raw_marketing_spend "
        "GROUP BY campaign)"
        if spend_known
        else "(SELECT CAST(NULL AS VARCHAR) AS campaign, CAST(NULL AS VARCHAR) AS channel)"
    )
    window = "TRUE" if rule == "first_touch" else "e.timestamp <= f.first_order"
    order = "e.timestamp ASC" if rule == "first_touch" else "e.timestamp DESC"
    return f"""
        SELECT profile_id, channel, campaign, touched_at FROM (
            SELECT rp.profile_id,
                   coalesce(cc.channel, {_medium_case("e.utm_medium")}) AS channel,
                   e.utm_campaign AS campaign, e.timestamp AS touched_at,
                   row_number() OVER (PARTITION BY rp.profile_id
                                      ORDER BY {order}, e._source_file, e._source_row) AS k
            FROM raw_events e
            JOIN record_profiles rp ON rp.source_kind = 'events'
                 AND rp.source_file = e._source_file AND rp.source_row = e._source_row
            JOIN (SELECT profile_id, min(order_date) AS first_order FROM value_orders
                  WHERE kept GROUP BY profile_id) f ON f.profile_id = rp.profile_id
            LEFT JOIN {camp_channel} cc ON cc.campaign = e.utm_campaign
            WHERE e.utm_campaign IS NOT NULL AND e.utm_medium IS NOT NULL AND {window}
        ) t WHERE k = 1
    """


def acquisition_costs(
    con: duckdb.DuckDBPyConnection,
    rule: Attribution,
    clv_sql: str = "SELECT profile_id, clv FROM value_scores",
) -> pd.DataFrame:
    """CAC per channel and campaign, and CLV:CAC, over the months the spend file covers.

    Rows with ``campaign = '*'`` are channel totals. Channels that spent nothing (organic,
    referral, direct) show their customers and CLV with CAC 0 and no ratio.
    """
    if "spend" not in columns_of(con, "raw_marketing_spend"):
        return pd.DataFrame()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _acq_touch AS {first_touches(con, rule)}")
    return con.execute(
        f"""
        WITH period AS (
            SELECT min(month) AS start_month, max(month) + INTERVAL 1 MONTH AS end_month
            FROM raw_marketing_spend
        ), newcomers AS (
            SELECT f.profile_id, coalesce(t.channel, 'direct') AS channel,
                   coalesce(t.campaign, '(none)') AS campaign, v.clv
            FROM (SELECT profile_id, min(order_date) AS first_order FROM value_orders
                  WHERE kept GROUP BY profile_id) f
            CROSS JOIN period
            LEFT JOIN _acq_touch t ON t.profile_id = f.profile_id
            LEFT JOIN ({clv_sql}) v ON v.profile_id = f.profile_id
            WHERE f.first_order >= period.start_month AND f.first_order < period.end_month
        ), spend AS (
            SELECT channel, campaign, sum(spend) AS spend FROM raw_marketing_spend
            GROUP BY channel, campaign
        ), by_campaign AS (
            SELECT coalesce(s.channel, n.channel) AS channel,
                   coalesce(s.campaign, n.campaign) AS campaign,
                   coalesce(s.spend, 0) AS spend, count(n.profile_id) AS customers,
                   avg(n.clv) AS mean_clv
            FROM spend s FULL OUTER JOIN newcomers n
                 ON n.channel = s.channel AND n.campaign = s.campaign
            GROUP BY ALL
        ), by_channel AS (
            SELECT channel, '*' AS campaign, sum(spend) AS spend, sum(customers) AS customers,
                   sum(mean_clv * customers) / nullif(sum(customers), 0) AS mean_clv
            FROM by_campaign GROUP BY channel
        )
        SELECT channel, campaign, round(spend, 2) AS spend, customers,
               CASE WHEN customers > 0 THEN round(spend / customers, 2) END AS cac,
               round(mean_clv, 2) AS mean_clv,
               CASE WHEN customers > 0 AND spend > 0
                    THEN round(mean_clv / (spend / customers), 2) END AS clv_to_cac
        FROM (SELECT * FROM by_channel UNION ALL SELECT * FROM by_campaign)
        ORDER BY channel, campaign = '*' DESC, spend DESC, campaign
        """
    ).df()


def acquisition_channel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per customer: the channel and campaign credited with acquiring them."""
    return con.execute(
        "SELECT profile_id, channel AS acquisition_channel, campaign AS acquisition_campaign "
        "FROM _acq_touch"
    ).df()
