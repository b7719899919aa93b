"""One money formatter and the currency inference rules, both driven by money.toml.

Why: reports used to hard-code "$"; a UK shop's £ amounts must read as £ everywhere, and a
workspace's reporting currency is decided once (config, else the data) and stated with evidence.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("money.toml")


@cache
def _table() -> dict:
    return tomllib.loads(_DATA.read_text(encoding="utf-8"))


def money_table() -> dict:
    """money.toml: currencies, symbols, codes, country currencies and reference rates."""
    return _table()


def format_money(
    amount: float, currency: str | None = "USD", *, whole_from: float | None = None
) -> str:
    """Format amount in currency: symbol before for known codes, the code after otherwise.

    ``whole_from``: amounts at least this large (in absolute value) drop the cents, so a
    report reads "£1,234" while "£9.50" keeps them; None keeps the currency's decimals.
    """
    code = (currency or "").upper()
    spec = _table()["currencies"].get(code)
    decimals = int(spec.get("decimals", 2)) if spec else 2
    if whole_from is not None and abs(amount) >= whole_from:
        decimals = 0
    sign = "-" if amount < 0 else ""
    number = f"{abs(amount):,.{decimals}f}"
    if spec is None:
        return f"{sign}{number} {code}".rstrip()
    return f"{sign}{spec['symbol']}{number}"


@dataclass
class CurrencyInference:
    """The reporting currency the data points to, or None when it cannot settle it."""

    currency: str | None
    evidence: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    per_currency: dict[str, int] = field(default_factory=dict)

    def statement(self) -> str:
        """One line for the ingest report."""
        ev = "; ".join(self.evidence) or "no currency evidence"
        if len(self.per_currency) > 1:
            counts = ", ".join(f"{c} {n}" for c, n in sorted(self.per_currency.items()))
            return (
                f"several currencies ({counts}): not added together; set "
                "[workspace] currency_rates in personae.toml to convert"
            )
        if self.currency:
            return f"currency {self.currency} ({ev})"
        cands = "/".join(self.candidates) or "none"
        return (
            f"currency undecided (candidates {cands}; {ev}); set [workspace] currency "
            "in personae.toml; default used: USD"
        )


_CODE_RE = re.compile(r"\b([A-Z]{3})\b")


def _codes_in(text: str) -> list[str]:
    known = set(_table()["codes"]["known"])
    return [c for c in _CODE_RE.findall(text.upper()) if c in known]


def _symbols_in(text: str) -> list[str]:
    syms = sorted(_table()["symbols"], key=len, reverse=True)
    found = []
    rest = text
    for s in syms:
        if s in rest:
            found.append(s)
            rest = rest.replace(s, " ")
    return found


def infer_currency(
    headers: Iterable[str],
    values: Iterable[str],
    currency_column: Iterable[str] = (),
    country: str | None = None,
) -> CurrencyInference:
    """Infer the currency from header hints, money symbols and a currency-code column.

    A lone ambiguous symbol ($, ¥) is settled only by country evidence (country code such as
    "GB", "US", "CA"); otherwise the inference is undecided.
    """
    table = _table()
    evidence: list[str] = []
    votes: Counter[str] = Counter()
    col = Counter(c.strip().upper() for c in currency_column if c and c.strip())
    if col:
        evidence.append("currency column: " + ", ".join(f"{c} ×{n}" for c, n in col.items()))
        if len(col) > 1:
            return CurrencyInference(None, evidence, sorted(col), dict(col))
        return CurrencyInference(next(iter(col)), evidence)
    for h in headers:
        for code in _codes_in(h):
            votes[code] += 1
            evidence.append(f'header "{h}"')
        for sym in _symbols_in(h):
            if len(table["symbols"][sym]) == 1:
                votes[table["symbols"][sym][0]] += 1
                evidence.append(f'header "{h}"')
    ambiguous: list[str] = []
    sym_counts: Counter[str] = Counter()
    for v in values:
        for sym in _symbols_in(v or ""):
            sym_counts[sym] += 1
    for sym, n in sym_counts.items():
        codes = table["symbols"][sym]
        evidence.append(f'"{sym}" in {n} values')
        if len(codes) == 1:
            votes[codes[0]] += n
        else:
            ambiguous.extend(codes)
    if votes:
        if len(votes) > 1:
            return CurrencyInference(None, evidence, sorted(votes), dict(votes))
        return CurrencyInference(next(iter(votes)), evidence)
    if ambiguous:
        by_country = table.get("country_currency", {}).get((country or "").upper())
        if by_country in ambiguous:
            evidence.append(f"country {country.upper()}")  # type: ignore[union-attr]
            return CurrencyInference(by_country, evidence)
        return CurrencyInference(None, evidence, sorted(set(ambiguous)))
    return CurrencyInference(None, evidence)


WHOLE_FROM = 100.0  # amounts from this size on are shown without cents in reports


def money_text(amount: float | None, currency: str | None = "USD") -> str:
    """An amount as every report and persona writes it: "£1,234", "£9.50", "–" when missing.

    The one formatter of the reporting layer (profile report, persona report, segment
    descriptions, web library), so a workspace's money reads the same everywhere.
    """
    if amount is None:
        return "–"
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return "–"
    if value != value:  # NaN
        return "–"
    return format_money(value, currency, whole_from=WHOLE_FROM)
