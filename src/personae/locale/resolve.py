"""The workspace's reporting currency, decided once per run: the setting, else the orders.

Why: every report and persona formats money through format_money with one currency code; it
must come from ``[workspace] currency`` when set, else from the orders' currency column, and
the ingest report must say which and on what evidence.
"""

from __future__ import annotations

from collections import Counter

import duckdb

from personae.ingest.decisions import latest_decisions
from personae.locale.money import money_table


def reporting_currency(con: duckdb.DuckDBPyConnection, setting: str = "") -> tuple[str, str]:
    """Return (ISO code, one-line statement): the setting, else the orders' currency column
    (the most common code when several), else what the files' money columns showed, else USD."""
    if setting.strip():
        code = setting.strip().upper()
        return code, f"currency {code} (set in [workspace] currency)"
    counts = order_currencies(con)
    if counts is not None:
        if len(counts) == 1:
            code, n = next(iter(counts.items()))
            return code, f"currency {code} (currency column of the orders: {n:,} rows)"
        if counts:
            listed = ", ".join(f"{c} {n:,}" for c, n in sorted(counts.items()))
            code = max(sorted(counts), key=lambda c: counts[c])
            return code, (
                f"currency {code}, the most common of several in the orders ({listed} lines); "
                "set [workspace] currency to choose another"
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
        code = max(sorted(decided), key=lambda c: decided[c])
        return code, (
            f"currency {code}, the most common of several ({counts}): amounts of the other "
            "files are added as if they were {code}; set [workspace] currency, and a currency "
            "column in those files, so they can be converted"
        ).replace("{code}", code)
    return "USD", (
        "currency undecided (no currency column, symbol or code in the money columns); set "
        "[workspace] currency in personae.toml; default used: USD"
    )


def _latest(con: duckdb.DuckDBPyConnection, topic: str) -> list[tuple[str, str, str]]:
    """(file, decision, evidence) of each file's latest ingest for one topic."""
    return [(f, d, e) for f, t, _, d, e, _ in latest_decisions(con) if t == topic]


def order_currencies(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Order lines per currency code of the orders' currency column (None: no column)."""
    cols = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'raw_orders'"
        ).fetchall()
    }
    if "currency" not in cols:
        return None
    return {
        str(v): int(n)
        for v, n in con.execute(
            "SELECT upper(trim(currency)), count(*) FROM raw_orders "
            "WHERE nullif(trim(currency), '') IS NOT NULL GROUP BY 1"
        ).fetchall()
    }


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


RATES_TABLE = "currency_rates"


def plan_conversion(
    con: duckdb.DuckDBPyConnection, reporting: str, rates: dict[str, float]
) -> tuple[dict[str, float] | None, list[str]]:
    """(code -> rate, or None when the orders hold only the reporting currency; what the
    reports must say about each other currency)."""
    counts = order_currencies(con)
    if counts is None or set(counts) <= {reporting}:
        return None, []
    known = {reporting: 1.0, **rates}
    reference = reference_rates(reporting)
    dated = money_table()["reference_rates"]["as_of"]
    said: list[str] = []
    for code, n in sorted(counts.items()):
        if code == reporting:
            continue
        if code in known:
            said.append(f"{code} ({n:,} order lines) converted at {known[code]:g} {reporting} "
                        f"per {code} (set in [workspace] currency_rates)")  # fmt: skip
        elif code in reference:
            known[code] = reference[code]
            said.append(
                f"{code} ({n:,} order lines) converted at {reference[code]:.4g} {reporting} per "
                f"{code}, an approximate reference rate ({dated}); "
                f"set [workspace] currency_rates = {{ {code} = ... }} for your own"
            )
    said += [
        f"{code} ({n:,} order lines): amounts left out of revenue and value, as there is no "
        f"rate for {code}; set [workspace] currency_rates = {{ {code} = ... }} in personae.toml"
        for code, n in sorted(counts.items())
        if code not in known
    ]
    return known, said


def reference_rates(reporting: str) -> dict[str, float]:
    """The fallback rates of money.toml, as units of ``reporting`` per unit of each code."""
    table = {k: v for k, v in money_table()["reference_rates"].items() if k != "as_of"}
    base = table.get(reporting)
    if not base:
        return {}
    return {code: eur / base for code, eur in table.items() if code != reporting}


def write_conversion(
    con: duckdb.DuckDBPyConnection, reporting: str, rates: dict[str, float]
) -> list[str]:
    """Write ``currency_rates`` (code, rate; empty for one currency) and return the notes.

    Every step that sums money reads the orders through :mod:`personae.ingest.revenue`, which
    multiplies each line by its currency's rate; a currency without a rate gets none, so
    its amounts are left out of revenue and value instead of being added as if they were
    the reporting currency.
    """
    known, said = plan_conversion(con, reporting, rates)
    con.execute(f"CREATE OR REPLACE TABLE {RATES_TABLE} (code VARCHAR, rate DOUBLE)")
    if known:
        con.executemany(
            f"INSERT INTO {RATES_TABLE} VALUES (?, ?)", [[c, r] for c, r in known.items()]
        )
    return said


def conversion_rates(con: duckdb.DuckDBPyConnection) -> dict[str, float] | None:
    """The rates :func:`write_conversion` stored, or None (one currency: nothing to convert)."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [RATES_TABLE]
    ).fetchall()[0][0]:
        return None
    rows = con.execute(f"SELECT code, rate FROM {RATES_TABLE}").fetchall()
    return {c: float(r) for c, r in rows} or None
