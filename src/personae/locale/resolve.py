"""The workspace's reporting currency, decided once per run: the setting, else the orders.

Why: every report and persona formats money through format_money with one currency code; it
must come from ``[workspace] currency`` when set, else from the orders' currency column, and
the ingest report must say which and on what evidence.
"""

from __future__ import annotations

import duckdb

from personae.locale.money import infer_currency


def reporting_currency(con: duckdb.DuckDBPyConnection, setting: str = "") -> tuple[str, str]:
    """Return (ISO code, one-line statement). Undecided or mixed data falls back to USD."""
    if setting.strip():
        code = setting.strip().upper()
        return code, f"currency {code} (set in [workspace] currency)"
    cols = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'raw_orders'"
        ).fetchall()
    }
    values: list[str] = []
    if "currency" in cols:
        rows = con.execute(
            "SELECT currency, count(*) FROM raw_orders WHERE currency IS NOT NULL GROUP BY 1"
        ).fetchall()
        values = [str(v) for v, n in rows for _ in range(int(n))]
    inferred = infer_currency((), (), currency_column=values)
    return (inferred.currency or "USD"), inferred.statement()
