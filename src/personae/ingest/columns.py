"""Decide, per column of one staged file, what its values mean — from the whole column.

A single value often cannot say how to read it: ``03/04/2026`` is 3 April or March 4,
``1.234`` is one thousand two hundred and thirty-four or one point two three four. The
column can: one ``23/04/2026`` anywhere in it proves the day comes first, one ``12,50``
proves the comma is the decimal separator. Deciding value by value (as a parser must)
would read the first 10,000 rows of a UK export as US dates and reject the rest.

So before the checks run, one aggregate query over the staged file (DuckDB, vectorised:
no Python loop over values; a million rows take about a second) collects, for every date
and number field, the evidence below, and the decisions become per-field hints of
:class:`~personae.ingest.validate.ParseOptions`:

Dates (timestamp and date fields held as text)
  - a value whose first part is above 12 (``23/04/2026``) proves day-first (DMY), one
    whose second part is (``04/23/2026``) month-first (MDY); a four-digit first part is
    year-first (ISO, ``2026/04/23``) and needs no decision;
  - a column with proof of one order is read in that order, whole;
  - a column with no deciding value uses the source's ``date_order``, else the
    workspace's ``[ingest] date_order``, and the report says so;
  - a column with proof of both orders is an error: every row whose value in it is a
    day/month date goes to quarantine (``mixed_date_order``), naming the two rows that
    prove opposite orders. Nothing of it is half-read.
  - numbers of five digits between 10000 and 73415 are Excel serial dates (1927–2100),
    when every such number of the column is in that range.

Numbers (decimal and integer fields held as text)
  - ``12,5``, ``1.234,56``, ``0,5``, ``1.234.567`` prove a decimal comma; ``12.5``,
    ``1,234.56``, ``1,234,567`` a decimal point; ``1,234`` and ``1.234`` prove nothing;
  - a column with proof of one is read that way (a value that breaks it is quarantined,
    not read the other way); a column without proof follows the file's other number
    columns; a column with proof of both is read value by value, with a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import duckdb

from personae.engine import quote_literal as lit
from personae.ingest.dialect import Decision
from personae.ingest.schema import FieldType, SourceKind
from personae.ingest.validate import (
    ColumnHint,
    ParseOptions,
    day_month_first_sep,
    day_month_parts,
    day_month_second_sep,
)

_TEXT = ("VARCHAR", "JSON")
_DATE_TYPES = (FieldType.TIMESTAMP, FieldType.DATE)
_NUMBER_TYPES = (FieldType.DECIMAL, FieldType.INTEGER)
_YMD_RE = r"^[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"
_DOTTED_RE = r"^[0-9]{1,2}\.[0-9]{1,2}\.([0-9]{4}|[0-9]{2})([ T]|$)"
_SERIAL_RE = r"[0-9]{5}(\.[0-9]+)?"
SERIAL_RANGE = (10000, 73416)  # 1927-05-18 .. 2100-12-31
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_COMMA_RE = (
    r"[-+]?[0-9]*(\.[0-9]+)+,[0-9]+|[-+]?[0-9]+,([0-9]{1,2}|[0-9]{4,})"
    r"|[-+]?(0|[0-9]{4,}),[0-9]+|[-+]?[0-9]{1,3}(\.[0-9]{3}){2,}"
)
_DOT_RE = (
    r"[-+]?[0-9]*(,[0-9]+)+\.[0-9]+|[-+]?[0-9]+\.([0-9]{1,2}|[0-9]{4,})"
    r"|[-+]?(0|[0-9]{4,})\.[0-9]+|[-+]?[0-9]{1,3}(,[0-9]{3}){2,}"
)

# what each date aggregate is, in order (their SQL is built by _date_aggregates)
_DATE_STATS = (
    "filled",
    "day_month",
    "dmy_n",
    "dmy_row",
    "dmy_value",
    "mdy_n",
    "mdy_row",
    "mdy_value",
    "ymd_n",
    "dotted_n",
    "serial_n",
    "serial_row",
    "serial_value",
    "serial_out_n",
    "serial_out_row",
    "serial_out_value",
)
_NUMBER_STATS = (
    "separated",
    "comma_n",
    "comma_row",
    "comma_value",
    "dot_n",
    "dot_row",
    "dot_value",
)


def _date_flags(i: int) -> list[str]:
    """Per-row flags of date column ``i`` (value ``__v{i}``, day/month parts ``__a/__b``).

    Each regular expression runs only where a cheap test of a character position says it
    can match (CASE evaluates a branch only for the rows that need it).
    """
    v, a, b = f"__v{i}", f"__a{i}", f"__b{i}"
    pos = f"substr({v}, 5, 1)"
    ymd = f"({pos} IN ('-', '/', '.') AND regexp_matches({v}, {lit(_YMD_RE)}))"
    dotted = (
        f"((substr({v}, 2, 1) = '.' OR substr({v}, 3, 1) = '.') "
        f"AND regexp_matches({v}, {lit(_DOTTED_RE)}))"
    )
    serial = (
        f"((strlen({v}) = 5 OR substr({v}, 6, 1) = '.') "
        f"AND regexp_full_match({v}, {lit(_SERIAL_RE)}))"
    )
    number = f"TRY_CAST({v} AS DOUBLE)"
    in_range = f"({number} >= {SERIAL_RANGE[0]} AND {number} < {SERIAL_RANGE[1]})"
    return [
        f"coalesce({a} > 12 AND {a} <= 31 AND {b} BETWEEN 1 AND 12, false) AS __dmy{i}",
        f"coalesce({b} > 12 AND {b} <= 31 AND {a} BETWEEN 1 AND 12, false) AS __mdy{i}",
        f"coalesce({ymd}, false) AS __ymd{i}",
        f"coalesce({dotted}, false) AS __dotted{i}",
        f"coalesce(CASE WHEN {serial} THEN {in_range} END, false) AS __sok{i}",
        f"coalesce(CASE WHEN {serial} THEN NOT {in_range} END, false) AS __sbad{i}",
    ]


def _first(flag: str, v: str) -> list[str]:
    return [
        f"count(*) FILTER (WHERE {flag})",
        f"min(__r) FILTER (WHERE {flag})",
        f"arg_min({v}, __r) FILTER (WHERE {flag})",
    ]


def _date_aggregates(i: int) -> list[str]:
    v = f"__v{i}"
    out = [f"count({v})", f"count(__a{i})"]
    out += _first(f"__dmy{i}", v) + _first(f"__mdy{i}", v)
    out += [f"count(*) FILTER (WHERE __ymd{i})", f"count(*) FILTER (WHERE __dotted{i})"]
    return out + _first(f"__sok{i}", v) + _first(f"__sbad{i}", v)


def _number_flags(i: int) -> list[str]:
    v = f"__v{i}"
    separated = f"(strpos({v}, ',') > 0 OR strpos({v}, '.') > 0)"
    body = f"regexp_replace({v}, '[^0-9,.+-]', '', 'g')"
    out = [
        f"coalesce({separated} AND regexp_matches({v}, '[0-9][.,]|[.,][0-9]'), false) AS __sep{i}"
    ]
    for name, pattern in (("comma", _COMMA_RE), ("point", _DOT_RE)):
        cond = f"CASE WHEN {separated} THEN regexp_full_match({body}, {lit(pattern)}) END"
        out.append(f"coalesce({cond}, false) AS __{name}{i}")
    return out


def _number_aggregates(i: int) -> list[str]:
    v = f"__v{i}"
    return [
        f"count(*) FILTER (WHERE __sep{i})",
        *_first(f"__comma{i}", v),
        *_first(f"__point{i}", v),
    ]


def decide_columns(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    stage: str,
    columns: Sequence[str],
    types: Sequence[str],
    mapping: dict[str, str],
    options: ParseOptions,
) -> tuple[ParseOptions, list[Decision]]:
    """Per-field hints for one staged file and the decisions behind them (one query)."""
    index = {c: i for i, c in enumerate(columns)}
    dates, numbers = [], []
    for f in kind.fields:
        if f.name not in mapping:
            continue
        i = index[mapping[f.name]]
        if types[i].upper() not in _TEXT:
            continue  # typed columns (Parquet) need no reading
        if f.type in _DATE_TYPES:
            dates.append((f, i))
        elif f.type in _NUMBER_TYPES:
            numbers.append((f, i))
    if not dates and not numbers:
        return options, []
    date_cols = sorted({i for _, i in dates})
    all_cols = sorted(set(date_cols) | {i for _, i in numbers})
    # levels: clean text; the separators and numbers of day/month dates; per-row flags;
    # one row of aggregates
    clean = ", ".join(
        ["_source_row AS __r"] + [f"personae_clean(__s{i}) AS __v{i}" for i in all_cols]
    )
    seps = ["*"] + [f"{day_month_first_sep(f'__v{i}')} AS __p{i}" for i in date_cols]
    seconds = ["*"] + [f"{day_month_second_sep(f'__v{i}', f'__p{i}')} AS __q{i}" for i in date_cols]
    ints = ["*"]
    for i in date_cols:
        a, b = day_month_parts(f"__v{i}", f"__p{i}", f"__q{i}")
        ints += [f"{a} AS __a{i}", f"{b} AS __b{i}"]
    flags = ["__r"] + [f"__v{i}" for i in all_cols] + [f"__a{i}" for i in date_cols]
    for i in date_cols:
        flags += _date_flags(i)
    for i in sorted({i for _, i in numbers}):
        flags += _number_flags(i)
    outer: list[str] = []
    for _, i in dates:
        outer += _date_aggregates(i)
    for _, i in numbers:
        outer += _number_aggregates(i)
    sql = (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(flags)} FROM "
        f"(SELECT {', '.join(ints)} FROM (SELECT {', '.join(seconds)} FROM "
        f"(SELECT {', '.join(seps)} FROM (SELECT {clean} FROM {stage} WHERE _reject IS NULL)))))"
    )
    values = list(con.execute(sql).fetchall()[0])
    hints: dict[str, ColumnHint] = {}
    decisions: list[Decision] = []
    for f, i in dates:
        stats = dict(zip(_DATE_STATS, values[: len(_DATE_STATS)], strict=True))
        del values[: len(_DATE_STATS)]
        hint, found = _decide_date(f.name, columns[i], stats, options)
        hints[f.name] = hint
        decisions += found
    number_stats = []
    for f, i in numbers:
        stats = dict(zip(_NUMBER_STATS, values[: len(_NUMBER_STATS)], strict=True))
        del values[: len(_NUMBER_STATS)]
        number_stats.append((f, i, stats))
    decisions += _decide_numbers(number_stats, columns, hints)
    return replace(options, columns={**options.columns, **hints}), decisions


def _decide_date(
    name: str, column: str, s: dict, options: ParseOptions
) -> tuple[ColumnHint, list[Decision]]:
    out: list[Decision] = []
    hint = ColumnHint()
    if s["serial_n"] and not s["serial_out_n"]:
        hint = replace(hint, excel_serial=True)
        example = _EXCEL_EPOCH + dt.timedelta(days=float(s["serial_value"]))
        out.append(
            Decision(
                "excel_serial",
                "Excel serial dates",
                f"{s['serial_n']:,} day numbers read as dates counted from 1899-12-30, "
                f"e.g. {s['serial_value']} in row {s['serial_row']} is "
                f"{example:%Y-%m-%d %H:%M}",
                column,
                name,
                source_row=s["serial_row"],
            )
        )
    elif s["serial_out_n"]:
        out.append(
            Decision(
                "excel_serial",
                "not Excel serial dates",
                f"{s['serial_out_value']} in row {s['serial_out_row']} is outside "
                "10000-73415 (1927-2100), so the column's numbers are not read as dates",
                column,
                name,
                "warning",
                source_row=s["serial_out_row"],
            )
        )
    if s["dmy_n"] and s["mdy_n"]:
        first, second = sorted(
            [
                (s["dmy_row"], s["dmy_value"], "day first"),
                (s["mdy_row"], s["mdy_value"], "month first"),
            ]
        )
        proof = (
            f"row {first[0]} has {first[1]} ({first[2]}) and row {second[0]} has "
            f"{second[1]} ({second[2]})"
        )
        detail = (
            f"column {column!r} mixes day-first and month-first dates: {proof}, so none of "
            "its day/month dates can be trusted; re-export it in one format (ISO 8601 is "
            "safest) and ingest the file again"
        )
        hint = replace(hint, mixed_dates=detail)
        out.append(
            Decision(
                "date_order",
                "mixed",
                f"{proof}; its {s['day_month']:,} day/month values are quarantined "
                "(mixed_date_order)",
                column,
                name,
                "error",
                source_row=first[0],
            )
        )
        return hint, out
    for order, key, what in (("DMY", "dmy", "day"), ("MDY", "mdy", "month")):
        if s[f"{key}_n"]:
            others = s[f"{key}_n"] - 1
            more = f" (and {others:,} more values with the {what} above 12)" if others else ""
            out.append(
                Decision(
                    "date_order",
                    order,
                    f"decided by {s[f'{key}_value']} in row {s[f'{key}_row']}{more}",
                    column,
                    name,
                    source_row=s[f"{key}_row"],
                )
            )
            return replace(hint, date_order=order), out
    if s["day_month"]:
        out.append(
            Decision(
                "date_order",
                options.date_order.upper(),
                f"from the setting ({options.date_order_setting}), no deciding value among "
                f"{s['day_month']:,} day/month dates",
                column,
                name,
                "warning",
            )
        )
        return hint, out
    if s["dotted_n"]:
        out.append(
            Decision(
                "date_order",
                "DMY",
                f"{s['dotted_n']:,} dates written DD.MM.YYYY, day first by convention",
                column,
                name,
            )
        )
    elif s["ymd_n"]:
        out.append(
            Decision(
                "date_order",
                "YMD",
                f"year first (ISO 8601 or YYYY/MM/DD) in {s['ymd_n']:,} values",
                column,
                name,
            )
        )
    return hint, out


def _decide_numbers(
    stats: list[tuple], columns: Sequence[str], hints: dict[str, ColumnHint]
) -> list[Decision]:
    out: list[Decision] = []
    decided: dict[str, list[str]] = {"comma": [], "dot": []}
    undecided = []
    for f, i, s in stats:
        column = columns[i]
        if s["comma_n"] and s["dot_n"]:
            first, second = sorted(
                [
                    (s["comma_row"], s["comma_value"], "decimal comma"),
                    (s["dot_row"], s["dot_value"], "decimal point"),
                ]
            )
            out.append(
                Decision(
                    "decimal",
                    "mixed",
                    f"row {first[0]} has {first[1]} ({first[2]}) and row {second[0]} has "
                    f"{second[1]} ({second[2]}); read value by value",
                    column,
                    f.name,
                    "warning",
                    source_row=first[0],
                )
            )
            continue
        for sep, what in (("comma", "decimal comma"), ("dot", "decimal point")):
            if s[f"{sep}_n"]:
                decided[sep].append(column)
                hints[f.name] = replace(hints.get(f.name, ColumnHint()), decimal=sep)
                out.append(
                    Decision(
                        "decimal",
                        what,
                        f"decided by {s[f'{sep}_value']} in row {s[f'{sep}_row']}",
                        column,
                        f.name,
                        source_row=s[f"{sep}_row"],
                    )
                )
                break
        else:
            if s["separated"]:
                undecided.append((f, column))
    convention = None
    if decided["comma"] and not decided["dot"]:
        convention = "comma"
    elif decided["dot"] and not decided["comma"]:
        convention = "dot"
    for f, column in undecided:
        if convention:
            what = "decimal comma" if convention == "comma" else "decimal point"
            hints[f.name] = replace(hints.get(f.name, ColumnHint()), decimal=convention)
            shown = ", ".join(repr(c) for c in decided[convention][:3])
            out.append(
                Decision(
                    "decimal",
                    what,
                    f"no deciding value; as the file's other number columns ({shown})",
                    column,
                    f.name,
                )
            )
        else:
            out.append(
                Decision(
                    "decimal",
                    "value by value",
                    "no deciding value in the file (1,234 is read as 1234, 1.234 as 1.234)",
                    column,
                    f.name,
                    "warning",
                )
            )
    return out


def mixed_columns(decisions: Sequence[Decision]) -> list[Decision]:
    """The date columns that mix orders (errors: their rows went to quarantine)."""
    return [d for d in decisions if d.topic == "date_order" and d.severity == "error"]
