"""Property tests for the value parsers (the SQL macros ingestion runs, evaluated in DuckDB).

Each test renders a known value in one of the ways real exports write it, then checks that
parsing gives the value back. Examples are evaluated in batches to keep the suite fast.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from personae.ingest import parsers

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

naive_times = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 12, 31))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15)


def _offset_text(minutes: int, colon: bool = True) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


# How exports write an instant that carries its offset; each returns (text, expected UTC).
def _with_offset(dt: datetime, minutes: int, style: int) -> tuple[str, datetime]:
    utc = dt - timedelta(minutes=minutes)
    if style == 0:
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(minutes), utc.replace(microsecond=0)
    if style == 1:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + _offset_text(minutes), utc
    if style == 2:
        return dt.strftime("%Y-%m-%d %H:%M:%S") + _offset_text(minutes, colon=False), utc.replace(
            microsecond=0
        )
    # Z: the value is already UTC
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", dt.replace(
        microsecond=dt.microsecond // 1000 * 1000
    )


@SETTINGS
@given(st.lists(st.tuples(naive_times, offsets, st.integers(0, 3)), min_size=1, max_size=40))
def test_timestamps_with_offsets_become_utc(cases):
    texts, expected = zip(*(_with_offset(dt, m, s) for dt, m, s in cases), strict=True)
    assert parsers.parse_timestamps(list(texts)) == list(expected)


NAIVE_FORMATS = [
    ("%Y-%m-%d %H:%M:%S", "seconds"),
    ("%Y-%m-%dT%H:%M:%S", "seconds"),
    ("%m/%d/%Y %H:%M", "minutes"),
    ("%m/%d/%Y", "days"),
    ("%Y-%m-%d", "days"),
    ("%d %b %Y", "days"),
    ("%b %d, %Y", "days"),
    ("%Y/%m/%d %H:%M:%S", "seconds"),
    ("%d.%m.%Y", "days"),
]


def _truncate(dt: datetime, unit: str) -> datetime:
    if unit == "seconds":
        return dt.replace(microsecond=0)
    if unit == "minutes":
        return dt.replace(second=0, microsecond=0)
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)


@SETTINGS
@given(
    st.lists(st.tuples(naive_times, st.sampled_from(NAIVE_FORMATS)), min_size=1, max_size=40),
    st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]),
)
def test_naive_timestamps_are_read_in_the_configured_zone(cases, tz):
    zone = zoneinfo.ZoneInfo(tz)
    texts, expected = [], []
    for dt, (fmt, unit) in cases:
        local = _truncate(dt, unit)
        # Skip wall-clock times that DST makes ambiguous or impossible.
        assume(
            local.replace(tzinfo=zone, fold=0).utcoffset()
            == local.replace(tzinfo=zone, fold=1).utcoffset()
        )
        texts.append(dt.strftime(fmt))
        expected.append(local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None))
    assert parsers.parse_timestamps(texts, tz=tz) == expected


@SETTINGS
@given(st.lists(naive_times, min_size=1, max_size=40))
def test_day_month_order_is_configurable(times):
    days = [_truncate(t, "days") for t in times]
    assert (
        parsers.parse_timestamps([d.strftime("%d/%m/%Y") for d in days], date_order="DMY") == days
    )
    assert (
        parsers.parse_timestamps([d.strftime("%m/%d/%Y") for d in days], date_order="MDY") == days
    )


@SETTINGS
@given(
    st.lists(
        st.datetimes(min_value=datetime(1974, 1, 1), max_value=datetime(2090, 1, 1)),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_unix_epochs(times, millis):
    """9-10 digit seconds or 12-13 digit milliseconds (8 digits would read as YYYYMMDD)."""
    times = [
        t.replace(microsecond=0 if not millis else t.microsecond // 1000 * 1000) for t in times
    ]
    epoch = datetime(1970, 1, 1)
    unit = timedelta(milliseconds=1) if millis else timedelta(seconds=1)
    texts = [str((t - epoch) // unit) for t in times]
    assert parsers.parse_timestamps(texts) == times


def test_unreadable_dates_are_rejected():
    bad = ["31/31/2023", "not a date", "2023-13-45", "yesterday", "2024-02-30", "12/25"]
    assert parsers.parse_timestamps(bad) == [None] * len(bad)
    assert parsers.parse_timestamps(["", None, "  ", "N/A", "null"]) == [None] * 5


def _render_money(value: Decimal, style: int) -> str:
    negative = value < 0
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = f"{int(whole):,}"
    if style == 0:
        text = f"{abs(value):.2f}"
    elif style == 1:
        text = f"${groups}.{frac}"
    elif style == 2:
        text = f"{groups.replace(',', '.')},{frac} €"
    elif style == 3:
        text = f"USD {groups}.{frac}"
    elif style == 4:
        text = f"£{groups.replace(',', ' ')}.{frac}"
    else:
        text = f"{groups.replace(',', chr(39))}.{frac}"
    if negative:
        return f"({text})" if style in (1, 3) else f"-{text}"
    return text


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.decimals(
                min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
            ),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_money_with_symbols_and_separators(cases):
    texts = [_render_money(v, s) for v, s in cases]
    got = parsers.parse_decimals(texts)
    for (value, _), text, parsed in zip(cases, texts, got, strict=True):
        assert parsed == pytest.approx(float(value), abs=1e-6), text


@SETTINGS
@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=40))
def test_integers_with_thousands_separators(values):
    texts = [f"{v:,}" if i % 2 else str(v) for i, v in enumerate(values)]
    assert parsers.parse_integers(texts) == values
    # A fractional value is not a whole number.
    assert parsers.parse_integers([f"{v}.5" for v in values]) == [None] * len(values)


def test_words_are_not_numbers():
    assert parsers.parse_decimals(["abc", "two", "five", "1O0", "12.5.6", "$", "--"]) == [None] * 7


area = st.integers(200, 999).filter(lambda n: n % 100 != 11)
exchange = st.integers(200, 999)
line = st.integers(0, 9999)
US_STYLES = [
    "+1 {a}-{e}-{l}",
    "({a}) {e}-{l}",
    "{a}.{e}.{l}",
    "{a}{e}{l}",
    "001 {a} {e} {l}",
    "1-{a}-{e}-{l}",
    "+1 ({a}) {e} {l} x12",
]


@SETTINGS
@given(
    st.lists(st.tuples(area, exchange, line, st.sampled_from(US_STYLES)), min_size=1, max_size=40)
)
def test_us_phone_formats(cases):
    texts = [style.format(a=a, e=e, l=f"{ln:04d}") for a, e, ln, style in cases]
    expected = [f"+1{a}{e}{ln:04d}" for a, e, ln, _ in cases]
    assert parsers.parse_phones(texts) == expected


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(10**9, 10**10 - 1), st.sampled_from(["+44 {n}", "0044 {n}", "0{n}"])),
        min_size=1,
        max_size=40,
    )
)
def test_international_phones_and_national_trunk_prefix(cases):
    texts = [style.format(n=n) for n, style in cases]
    expected = [f"+44{n}" for n, _ in cases]
    assert parsers.parse_phones(texts, calling_code="44") == expected


def test_junk_phones_are_not_numbers():
    assert parsers.parse_phones(["0000000000", "abc", "", "12", "n/a"]) == [None] * 5


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=10,
)


@SETTINGS
@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), json_values, min_size=1, max_size=4),
        min_size=1,
        max_size=20,
    )
)
def test_json_objects_round_trip_and_truncated_ones_fail(objects):
    texts = [json.dumps(o) for o in objects]
    assert [json.loads(t) for t in parsers.parse_json(texts)] == objects
    assert parsers.parse_json([t[:-1] for t in texts]) == [None] * len(texts)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "yes",
                    "no",
                    "TRUE",
                    "false",
                    "Y",
                    "n",
                    "1",
                    "0",
                    "granted",
                    "denied",
                    "Opted In",
                    "opted out",
                ]
            ),
            st.sampled_from(["", " ", "  "]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_booleans(tokens):
    truthy = {"yes", "true", "y", "1", "granted", "opted in"}
    texts = [pad + t + pad for t, pad in tokens]
    assert parsers.parse_booleans(texts) == [t.lower() in truthy for t, _ in tokens]
    assert parsers.parse_booleans(["maybe", "", None]) == [None, None, None]


def test_excels_text_prefix_apostrophe_is_not_data():
    # Shopify's customer export (and any sheet saved from Excel) writes '+15417543000 and
    # '02134 so the spreadsheet keeps the plus and the leading zero
    got = parsers._evaluate(
        "personae_clean(v)", ["'+15417543000", "'02134", "O'Brien", "'SW1A 1AA", " '0044 1 "]
    )
    assert got == ["+15417543000", "02134", "O'Brien", "'SW1A 1AA", "0044 1"]
    assert parsers.parse_phones(["'+447700900123", "'07700 900123"], "44") == [
        "+447700900123",
        "+447700900123",
    ]
    assert parsers.parse_integers(["'00123"]) == [123]


def test_a_bracketed_trunk_zero_after_the_calling_code_is_dropped():
    assert parsers.parse_phones(["+44 (0)7700 900 601", "+49 (0)30 901820"], "1") == [
        "+447700900601",
        "+4930901820",
    ]
