"""What one staged file says about its currency and its phone region.

Why here, at ingest: the parsers strip ``£`` and read ``07700 900123`` with a default calling
code, so after loading the evidence is gone. Each file's verdict is kept as an
``ingest_decisions`` row (topics ``currency`` and ``phone_region``); the workspace's
reporting currency and phone region are then decided from all files
(:mod:`personae.locale.resolve`) and stated in the ingest report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import duckdb

from personae.ingest.dialect import Decision
from personae.ingest.schema import SourceKind
from personae.locale.money import infer_currency
from personae.locale.phones import country_code_of, infer_phone_region, is_country_header

SAMPLE = 5000  # values per column looked at; symbols and prefixes repeat, so this is plenty
UNDECIDED = "undecided"


def _values(con: duckdb.DuckDBPyConnection, stage: str, column: str) -> list[str]:
    """Up to SAMPLE non-empty values of a staged column (``__s<i>``, see validate.py)."""
    rows = con.execute(
        f"SELECT CAST({column} AS VARCHAR) FROM {stage} "
        f"WHERE _reject IS NULL AND {column} IS NOT NULL LIMIT {SAMPLE}"
    ).fetchall()
    return [r[0] for r in rows]


def _country(con: duckdb.DuckDBPyConnection, stage: str, columns: list[str]) -> str | None:
    """The most common ISO country of the file's country columns, when it holds a clear
    majority (two thirds of the known values); names such as "United Kingdom" count too."""
    counts: Counter[str] = Counter()
    for c in columns:
        for v in _values(con, stage, c):
            code = country_code_of(v)
            if code:
                counts[code] += 1
    if not counts:
        return None
    code, n = counts.most_common(1)[0]
    return code if n * 3 >= 2 * sum(counts.values()) else None


def locale_decisions(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    stage: str,
    mapping: Mapping[str, str],
    headers: Sequence[str],
    region_fallback: str = "US",
) -> list[Decision]:
    """The file's currency (when it has money) and phone region (when it has phones).

    ``mapping`` maps fields to the file's headers, ``headers`` are the staged columns in order.
    """
    out: list[Decision] = []
    index = {h: i for i, h in enumerate(headers)}
    staged = {f: f"__s{index[h]}" for f, h in mapping.items() if h in index}
    headers_of = dict(mapping)
    mapping = staged
    # mapped country fields, and unmapped columns whose header says country ("Country",
    # "Billing Country"): evidence only, the data stays as it is
    country_cols = [c for f, c in mapping.items() if "country" in f] + [
        f"__s{i}"
        for i, h in enumerate(headers)
        if is_country_header(h) and h not in headers_of.values()
    ]
    country = _country(con, stage, country_cols) if country_cols else None
    money = [f for f in kind.fields if f.money and f.name in mapping]
    if money or "currency" in mapping:
        values = [v for f in money for v in _values(con, stage, mapping[f.name])]
        codes: list[str] = []
        if "currency" in mapping:
            codes = _values(con, stage, mapping["currency"])
        hint_headers = [headers_of[f.name] for f in money] or list(headers)
        found = infer_currency(hint_headers, values, currency_column=codes, country=country)
        out.append(
            Decision(
                "currency",
                found.currency or UNDECIDED,
                found.statement(),
                field=money[0].name if money else "currency",
                column=headers_of[money[0].name] if money else headers_of.get("currency"),
                severity="info" if found.currency else "warning",
            )
        )
    phone_col = mapping.get("phone")
    if phone_col:
        region, statement = infer_phone_region(
            _values(con, stage, phone_col), country=country, default=region_fallback
        )
        out.append(
            Decision(
                "phone_region",
                region or UNDECIDED,
                statement,
                field="phone",
                column=headers_of["phone"],
                severity="info" if region else "warning",
            )
        )
    return out
