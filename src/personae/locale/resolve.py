"""The workspace's reporting currency, decided once per run: the setting, else the orders.

Why: every report and persona formats money through format_money with one currency code; it
must come from ``[workspace] currency`` when set, else from the orders' currency column, and
the ingest report must say which and on what evidence.
"""

from __future__ import annotations

from collections import Counter

import duckdb


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
    if "currency" in cols:
        counts = {
            str(v).strip().upper(): int(n)
            for v, n in con.execute(
                "SELECT currency, count(*) FROM raw_orders WHERE nullif(trim(currency), '') "
                "IS NOT NULL GROUP BY 1"
            ).fetchall()
        }
        if len(counts) == 1:
            code, n = next(iter(counts.items()))
            return code, f"currency {code} (currency column of the orders: {n:,} rows)"
        if counts:
            listed = ", ".join(f"{c} {n:,}" for c, n in sorted(counts.items()))
            return "USD", (
                f"several currencies in the orders ({listed}): set [workspace] currency and "
                "[currency] rates in personae.toml to convert them"
            )
    rows = _latest(con, "currency")
    decided = Counter(d for _, d, _ in rows if d != "undecided")
    if len(decided) == 1:
        code = next(iter(decided))
        files = [f.rsplit("/", 1)[-1] for f, d, _ in rows if d == code]
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        return code, f"currency {code} (shown by the money columns of {shown})"
    if len(decided) > 1:
        counts = ", ".join(f"{c} in {n} files" for c, n in sorted(decided.items()))
        return "USD", (
            f"several currencies ({counts}): not added together; set [workspace] currency "
            "and [currency] rates in personae.toml"
        )
    return "USD", (
        "currency undecided (no currency column, symbol or code in the money columns); set "
        "[workspace] currency in personae.toml; default used: USD"
    )


def _latest(con: duckdb.DuckDBPyConnection, topic: str) -> list[tuple[str, str, str]]:
    """(file, decision, evidence) of each file's latest ingest for one topic."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ingest_decisions'"
    ).fetchall()[0][0]:
        return []
    return con.execute(
        """
        SELECT source_file, decision, evidence FROM ingest_decisions d
        WHERE topic = ? AND decided_at = (SELECT max(decided_at) FROM ingest_decisions e
                                           WHERE e.source_file = d.source_file)
        ORDER BY source_file""",
        [topic],
    ).fetchall()


def phone_region(con: duckdb.DuckDBPyConnection, setting: str = "") -> tuple[str | None, str]:
    """(region or None, statement): the setting, else the region most files' numbers showed."""
    if setting.strip():
        code = setting.strip().upper()
        return code, f"phone region {code} (set in [identity] default_region)"
    rows = _latest(con, "phone_region")
    decided = Counter(d for _, d, _ in rows if d != "undecided")
    if not decided:
        if rows:
            return None, rows[0][2]
        return None, "phone region undecided (no phone numbers ingested); default used: US"
    region, n = decided.most_common(1)[0]
    others = ", ".join(f"{r} in {k}" for r, k in decided.items() if r != region)
    return region, (
        f"phone region {region} (shown by {n} of {len(rows)} files with phone numbers"
        + (f"; also {others}" if others else "")
        + ")"
    )
