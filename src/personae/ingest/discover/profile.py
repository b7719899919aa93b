"""Measure what a column's values look like: shapes, uniqueness, runs, vocabulary.

Each shape is the share of the column's non-empty sampled values that have it (an e-mail
address, a phone number, a timestamp the ingest parser reads, money, a 1–5 rating, …).
The shape tests run as one DuckDB query over the sample, with the ingest's own parsing
macros, so "92% timestamps" means 92% of the values that ingest will read as timestamps;
counting (distinct values, runs of repeats, word lists) is done in Python on the sample.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pyarrow as pa

from personae.engine import connect
from personae.ingest import parsers
from personae.ingest.discover.sample import Sample
from personae.ingest.schema import normalise_header

_MISSING = {"", "null", "none", "n/a", "na", "nan", "nat", "-", "--", "?"}

# Values that can be dates at all (the parser is tried on these only: it is the slow test).
_DATEISH = (
    r"regexp_matches(v, '[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}|[0-9]{1,2}\.? [A-Za-z]{3,9}\.? "
    r"[0-9]{4}|[A-Za-z]{3,9}\.? [0-9]{1,2},? [0-9]{4}|^[0-9]{8}$|^[0-9]{4}-[0-9]{2}-[0-9]{2}')"
)
_TSV_SQL = (
    f"CASE WHEN length(v) BETWEEN 6 AND 40 AND {_DATEISH} THEN "
    "coalesce(personae_timestamp(v, 'UTC', false), personae_timestamp(v, 'UTC', true)) END"
)
_TS = "ts"  # computed once per value (see _shape_stats)
_DIGITS_ONLY = r"regexp_full_match(v, '[0-9]+')"
# name -> SQL condition on the cleaned value ``v`` (a non-NULL VARCHAR)
_SHAPES: dict[str, str] = {
    "email": r"regexp_full_match(v, '[^@\s]+@[^@\s]+\.[^@\s]+')",
    "timestamp": f"(NOT {_DIGITS_ONLY} AND {_TS})",
    "epoch": r"regexp_full_match(v, '[0-9]{9,10}|[0-9]{12,13}|[0-9]{16}')",
    "has_time": r"regexp_matches(v, '[0-9]{1,2}:[0-9]{2}')",
    "phone": (
        r"regexp_full_match(v, '(\+|00|\()?[0-9][0-9 ().\-/]{5,22}[0-9]')"
        r" AND regexp_matches(v, '^(\+|0|\()|[ ().\-/]')"
        f" AND NOT {_TS}"
        # a number of the default plan, or a national one with its trunk 0 ("030 901820",
        # "07700 900123") of any plan
        " AND ((CASE WHEN length(v) < 26 THEN personae_phone_e164(v) END) IS NOT NULL"
        r" OR (regexp_full_match(v, '\(?0[1-9][0-9 ()\-/]{5,18}[0-9]')"
        " AND length(regexp_replace(v, '[^0-9]', '', 'g')) BETWEEN 8 AND 13))"
    ),
    "integer": r"regexp_full_match(v, '[-+]?[0-9]+')",
    "natural": r"regexp_full_match(v, '\+?[0-9]{1,7}')",
    "decimal": "personae_decimal(v) IS NOT NULL",
    # a number, possibly with a currency mark ("£12.50", "12,50 EUR"), not a code such as
    # "ORD-0001" (which the money parser would read as a number behind a currency code)
    # (a leading zero before another digit, "030 901820" or "01234", is a code, not a number)
    "number": (
        "personae_decimal(v) IS NOT NULL AND NOT regexp_matches(v, '^0[0-9]') AND "
        "(NOT regexp_matches(v, '[A-Za-z]') OR regexp_full_match(upper(v), '{_CURRENCY_NUMBER}'))"
    ),
    "fraction": r"regexp_matches(v, '[0-9][.,][0-9]{1,4}\s*[^0-9.,]*$')",
    "two_decimals": r"regexp_matches(v, '[0-9][.,][0-9]{2}(\s*[^0-9.,]*)?$')",
    "money_mark": r"regexp_matches(v, '[$£€¥₹]|^[A-Z]{3}\s?[0-9]|[0-9]\s?[A-Z]{3}$|^\([0-9]')",
    "boolean": "personae_boolean(v) IS NOT NULL",
    "json_object": "starts_with(v, '{') AND json_valid(v)",
    "json_array": "starts_with(v, '[') AND json_valid(v)",
    "url": r"regexp_matches(lower(v), '^https?://')",
    "uuid": (
        r"regexp_full_match(lower(v), "
        r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')"
    ),
    "id_token": (
        r"regexp_full_match(v, '#?[A-Za-z0-9][A-Za-z0-9_\-./:]{0,79}')"
        r" AND regexp_matches(v, '[0-9]')"
        r" AND NOT regexp_full_match(v, '[-+]?[0-9]+[.,][0-9]+')"
        f" AND NOT (NOT {_DIGITS_ONLY} AND {_TS})"
    ),
    "handle": r"regexp_full_match(v, '@[A-Za-z0-9_.]{1,40}')",
    "domain": (
        r"regexp_full_match(lower(v), "
        r"'(https?://)?(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}/?')"
        " AND strpos(v, '@') = 0"
    ),
    "month": r"regexp_full_match(v, '[0-9]{4}[-/](0?[1-9]|1[0-2])|(0?[1-9]|1[0-2])/[0-9]{4}')",
    "question": r"regexp_matches(v, '\?\s*$')",
    "letters": r"regexp_matches(v, '[A-Za-zÀ-ÿ]')",
    "stars": r"regexp_full_match(v, '★{1,5}☆{0,4}|[1-5](\.0)?\s*/\s*5|[1-5] stars?')",
    "capitalised": r"regexp_full_match(v, '[A-ZÀ-Þ][^\s0-9@]*( [A-ZÀ-Þa-z][^\s0-9@]*){0,3}')",
    "postal": (
        r"regexp_full_match(v, '[A-Za-z0-9]{2,5}[ -]?[A-Za-z0-9]{0,4}')"
        r" AND regexp_matches(v, '[0-9]')"
    ),
    "code": r"regexp_full_match(v, '[A-Za-z0-9][A-Za-z0-9_\-./]{1,39}')",
}


def _currency_number_re() -> str:
    codes = "|".join(c.upper() for c in vocab()["currencies"])
    num = r"[-+]?[0-9][0-9.,\s']*"
    return rf"[-+(]?\s*({codes}|R\$)\s*{num}\)?|[-+(]?{num}\s*({codes})\)?"


@dataclass
class ColumnProfile:
    """What one column's sampled values look like."""

    name: str
    position: int
    rows: int  # records sampled
    non_null: int
    shares: dict[str, float]  # shape -> share of the non-empty values
    counts: Counter[str]  # cleaned value -> occurrences
    avg_len: float = 0.0
    avg_words: float = 0.0
    int_min: int | None = None
    int_max: int | None = None
    num_min: float | None = None
    num_max: float | None = None
    year_min: int | None = None  # years of the values read as dates
    year_max: int | None = None
    contiguous: float | None = None  # of the repeated values, the share that repeat in one run
    symbols: Counter[str] = field(default_factory=Counter)  # currency marks seen

    @property
    def norm(self) -> str:
        return normalise_header(self.name)

    @property
    def distinct(self) -> int:
        return len(self.counts)

    @property
    def distinct_folded(self) -> int:
        """Distinct values ignoring case ("Yes" and "yes" are one)."""
        return len({v.lower() for v in self.counts})

    @property
    def unique(self) -> float:
        """Distinct values over non-empty values (1.0: every value differs)."""
        return self.distinct / self.non_null if self.non_null else 0.0

    @property
    def null_share(self) -> float:
        return 1 - self.non_null / self.rows if self.rows else 1.0

    def share(self, shape: str) -> float:
        return self.shares.get(shape, 0.0)

    def vocab_share(self, words: frozenset[str]) -> float:
        """Share of the non-empty values that are one of ``words`` (lower case)."""
        if not self.non_null:
            return 0.0
        hits = sum(n for v, n in self.counts.items() if v.lower() in words)
        return hits / self.non_null

    def examples(self, n: int = 3) -> list[str]:
        return [v for v, _ in self.counts.most_common(n)]


@cache
def vocab() -> dict:
    """The word lists of vocab.toml (currencies, countries, file-name hints, …)."""
    text = resources.files("personae.ingest.discover").joinpath("vocab.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def country_words() -> frozenset[str]:
    import phonenumbers

    words = vocab()["countries"]
    regions = {r.lower() for r in phonenumbers.SUPPORTED_REGIONS}
    return frozenset(regions | {"uk"} | set(words["alpha3"]) | set(words["names"]))


@cache
def currency_words() -> frozenset[str]:
    return frozenset(vocab()["currencies"])


_SYMBOL_RE = re.compile(r"R\$|[$£€¥₹]|\b[A-Z]{3}\b")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip(" \t\r\n\u00a0\ufeff")
    return None if v.lower() in _MISSING else v


def _runs(values: list[str]) -> float | None:
    """Of the values that repeat, the share whose occurrences form one unbroken run."""
    runs: Counter[str] = Counter()
    prev = None
    for v in values:
        if v != prev:
            runs[v] += 1
        prev = v
    totals = Counter(values)
    repeated = [v for v, n in totals.items() if n > 1]
    if not repeated:
        return None
    return sum(1 for v in repeated if runs[v] == 1) / len(repeated)


def profile_sample(sample: Sample) -> list[ColumnProfile]:
    """A profile per column of the sample."""
    cleaned = [[_clean(v) for v in col] for col in sample.values]
    stats = _shape_stats(cleaned)
    profiles = []
    for i, name in enumerate(sample.columns):
        present = [v for v in cleaned[i] if v is not None]
        s = stats[i]
        n = len(present)
        shares = {k: (s[k] / n if n else 0.0) for k in _SHAPES}
        symbols: Counter[str] = Counter()
        if shares["money_mark"] > 0:
            for v in present[:500]:
                symbols.update(m.upper() for m in _SYMBOL_RE.findall(v))
        profiles.append(
            ColumnProfile(
                name=name,
                position=i,
                rows=sample.rows,
                non_null=n,
                shares=shares,
                counts=Counter(present),
                avg_len=s["avg_len"] or 0.0,
                avg_words=s["avg_words"] or 0.0,
                int_min=s["int_min"],
                int_max=s["int_max"],
                num_min=s["num_min"],
                num_max=s["num_max"],
                year_min=s["year_min"],
                year_max=s["year_max"],
                contiguous=_runs(present),
                symbols=symbols,
            )
        )
    return profiles


def _shape_stats(columns: list[list[str | None]]) -> list[dict]:
    """Counts of each shape per column, in one query with the ingest's parsing macros.

    The sample is stacked into one long (column, value) table so that each shape test is
    planned once, whatever the number of columns (planning the macros is the slow part).
    """
    if not columns:
        return []
    col_ids: list[int] = []
    cells: list[str] = []
    for i, col in enumerate(columns):
        for v in col:
            if v is not None:
                col_ids.append(i)
                cells.append(v)
    con = connect()
    try:
        parsers.install(con)
        con.register(
            "_long",
            pa.table({"c": pa.array(col_ids, pa.int32()), "v": pa.array(cells, pa.string())}),
        )
        money_re = _currency_number_re().replace("'", "''")
        parts = [
            f"count_if({cond.replace('{_CURRENCY_NUMBER}', money_re)})" for cond in _SHAPES.values()
        ]
        parts += [
            "avg(length(v))",
            "avg(len(string_split(v, ' ')))",
            "min(TRY_CAST(v AS BIGINT))",
            "max(TRY_CAST(v AS BIGINT))",
            "min(personae_decimal(v))",
            "max(personae_decimal(v))",
            "min(year(tsv))",
            "max(year(tsv))",
        ]
        rows = con.execute(
            f"SELECT c, {', '.join(parts)} FROM (SELECT c, v, tsv, tsv IS NOT NULL AS ts FROM "
            f"(SELECT c, v, {_TSV_SQL} AS tsv FROM _long)) GROUP BY c"
        ).fetchall()
    finally:
        con.close()
    by_col = {r[0]: r[1:] for r in rows}
    out = []
    names = [
        *_SHAPES,
        *("avg_len", "avg_words", "int_min", "int_max", "num_min", "num_max"),
        *("year_min", "year_max"),
    ]
    for i in range(len(columns)):
        got = by_col.get(i)
        if got is None:
            stats = dict.fromkeys(names)
            stats.update(dict.fromkeys(_SHAPES, 0))
        else:
            stats = dict(zip(names, got, strict=True))
        out.append(stats)
    return out
