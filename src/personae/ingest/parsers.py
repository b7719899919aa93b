"""Parsers for messy values, written once as SQL macros so every engine row runs the same rules.

Why SQL and not Python: ingestion must keep up with a plain DuckDB copy of the data, so
parsing has to run vectorised inside the engine. The macros are installed on every
connection (:func:`install`) and the Python helpers at the bottom evaluate the very same
macros, so tests (including the hypothesis tests) exercise the code that ingests.

What is accepted, per type:
- timestamps: ISO 8601 with or without ``T``, fractional seconds, ``Z``/``±HH:MM``/``UTC``;
  ``MM/DD/YYYY[ HH:MM[:SS]][ AM/PM]`` (or ``DD/MM/YYYY`` with ``date_order = "DMY"``);
  ``DD.MM.YYYY``; ``YYYY/MM/DD``; ``1 Mar 2024``; ``Mar 1, 2024``; Unix seconds or
  milliseconds. Values without an offset are read in the configured time zone; all are
  stored as naive UTC. (Ingestion rejects years outside 1900–2100 as implausible.)
- numbers: currency symbols or ISO codes before or after (``$1,234.50``, ``EUR 12``,
  ``12,50 €``), thousands separators (``,`` ``.`` space ``'``), decimal comma, accounting
  negatives ``(12.00)``. A lone comma followed by exactly three digits (``1,234``) is a
  thousands separator.
- booleans: yes/no, true/false, y/n, t/f, 1/0, on/off, granted/denied, opted in/out.
- phones: any punctuation, ``+`` or ``00`` international prefix, national trunk ``0``,
  extensions dropped; the default calling code is used when none is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import duckdb

_BLANKS = " \t\n\r\u00a0\ufeff"  # space, tab, newline, CR, no-break space, BOM
_MISSING = ("", "null", "none", "n/a", "na", "nan", "nat", "-", "--", "?")


def sql_in(expr: str, values: tuple[str, ...] | list[str]) -> str:
    """``expr IN (values)`` written as IN-lists of at most four.

    DuckDB rewrites an IN-list of five or more constants in a way that loses CASE's
    short-circuit: the test then runs on every row, long JSON documents included (measured
    15x slower on Segment contexts). Chunks of four keep it lazy.
    """
    chunks = [values[i : i + 4] for i in range(0, len(values), 4)] or [()]
    parts = [f"{expr} IN ({', '.join(_quote(v) for v in chunk)})" for chunk in chunks if chunk]
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def _edge_blank(expr: str) -> str:
    """True when ``expr`` starts or ends with one of the blank characters."""
    likes = [f"{expr} LIKE {_quote(b + '%')}" for b in _BLANKS]
    likes += [f"{expr} LIKE {_quote('%' + b)}" for b in _BLANKS]
    return "(" + " OR ".join(likes) + ")"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_MDY = [
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
]
_DMY = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d/%m/%y",
]
_UNAMBIGUOUS = [
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%a, %d %b %Y %H:%M:%S",
    "%Y%m%d",
]
_MONTHS = ["%Y-%m", "%Y/%m", "%m/%Y", "%b %Y", "%B %Y", "%Y%m"]

_TRUE = (
    "true",
    "t",
    "yes",
    "y",
    "1",
    "on",
    "granted",
    "opt-in",
    "opted in",
    "opted-in",
    "subscribed",
    "x",
)
_FALSE = (
    "false",
    "f",
    "no",
    "n",
    "0",
    "off",
    "denied",
    "revoked",
    "opt-out",
    "opted out",
    "opted-out",
    "unsubscribed",
)

# An explicit offset after a time of day: 10:00Z, 10:00:00+02:00, 10:00:00.5 -0500, 10:00 UTC.
_OFFSET_RE = (
    r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$"
)
# A zone after a 12-hour time (Google Forms' CSV): 10:15:32 AM GMT, 1:15:32 PM GMT+1.
_ZONE_AFTER_AMPM_RE = r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})? ?(AM|PM|am|pm) (UTC|GMT)([+-][0-9]{1,2})?$"
_ZONED = ["%Y/%m/%d %I:%M:%S %p %Z", "%m/%d/%Y %I:%M:%S %p %Z", "%Y-%m-%d %I:%M:%S %p %Z"]


def _let(value: str, var: str, body: str) -> str:
    """Bind ``value`` to ``var`` inside ``body`` so it is planned and computed once.

    A macro parameter is substituted textually; a parameter used ten times would copy its
    argument ten times and planning time grows with every nested macro. A one-element list
    and a lambda is DuckDB's way to say "let var = value in body".
    """
    return f"list_transform([{value}], lambda {var}: {body})[1]"


def _list(formats: Sequence[str]) -> str:
    return "[" + ", ".join("'" + f + "'" for f in formats) + "]"


def macro_sql(calling_code: str = "1") -> list[str]:
    """The ``CREATE MACRO`` statements, in dependency order."""
    cc = calling_code.lstrip("+")
    if not cc.isdigit():
        raise ValueError(f"calling code must be digits, got {calling_code!r}")
    return [
        # DuckDB's trim() strips spaces only; exports also pad with tabs, newlines, NBSP.
        # Trimming with a character set is slow, so it runs only where a value starts or
        # ends with one (prefix/suffix LIKEs are cheap byte comparisons).
        # Excel's text prefix: Shopify's customer export writes '+15417543000 and '02134 so
        # a spreadsheet keeps the + and the leading zero; the apostrophe is not data.
        r"""CREATE OR REPLACE MACRO personae__unquote(t) AS
            CASE WHEN t LIKE '''%' AND regexp_full_match(t, '''[+0-9][0-9 ()./+\-]*')
                 THEN substr(t, 2) ELSE t END""",
        # (a macro's argument is substituted where it is used: unquote only the rare values
        # that need it, so the common path evaluates the value once)
        f"""CREATE OR REPLACE MACRO personae_trim(s) AS
            CASE WHEN {_edge_blank("CAST(s AS VARCHAR)")}
                 THEN personae__unquote(trim(CAST(s AS VARCHAR), {_quote(_BLANKS)}))
                 WHEN CAST(s AS VARCHAR) LIKE '''%'
                 THEN personae__unquote(CAST(s AS VARCHAR))
                 ELSE CAST(s AS VARCHAR) END""",
        # Every "missing" token is short: test the byte length (O(1)) before lower/trim, and
        # let CASE skip the rest for long values (CASE evaluates a branch only where needed).
        # A value starting with a digit is never a missing token (cheap byte comparison).
        f"""CREATE OR REPLACE MACRO personae__missing(s) AS
            CASE WHEN s IS NULL THEN true
                 WHEN strlen(CAST(s AS VARCHAR)) > 8 THEN false
                 WHEN CAST(s AS VARCHAR) >= '0' AND CAST(s AS VARCHAR) < ':' THEN false
                 ELSE {_let("lower(personae_trim(s))", "t", sql_in("t", _MISSING))} END""",
        """CREATE OR REPLACE MACRO personae_clean(s) AS
            CASE WHEN personae__missing(s) THEN NULL ELSE personae_trim(s) END""",
        # --- numbers ---------------------------------------------------------------------
        r"""CREATE OR REPLACE MACRO personae__num_body(c) AS
            regexp_replace(
              regexp_replace(
                regexp_replace(
                  regexp_replace(c, '^\((.*)\)$', '-\1'),
                  '^([-+]?)\s*(?:[A-Za-z]{3}|R\$|[$£€¥₹])\s*', '\1'),
                '\s*(?:[A-Za-z]{3}|[$£€¥₹])$', ''),
              '[\s''\x{00A0}]', '', 'g')""",
        r"""CREATE OR REPLACE MACRO personae__num_std(b) AS
            CASE
              WHEN b IS NULL OR NOT regexp_full_match(b, '[-+]?[0-9][0-9.,]*') THEN NULL
              WHEN strpos(b, '.') > 0 AND strpos(b, ',') > 0 THEN
                CASE WHEN strpos(reverse(b), '.') < strpos(reverse(b), ',')
                     THEN replace(b, ',', '')
                     ELSE replace(replace(b, '.', ''), ',', '.') END
              WHEN strpos(b, ',') > 0 THEN
                CASE WHEN regexp_full_match(b, '[-+]?[0-9]{1,3}(,[0-9]{3})+')
                       THEN replace(b, ',', '')
                     WHEN regexp_full_match(b, '[-+]?[0-9]+,[0-9]+') THEN replace(b, ',', '.')
                     ELSE NULL END
              WHEN regexp_full_match(b, '[-+]?[0-9]{1,3}(\.[0-9]{3}){2,}') THEN replace(b, '.', '')
              ELSE b END""",
        # Three paths, cheapest first (COALESCE only evaluates a path for rows still NULL):
        # a plain number is a cast; "$1,234.50" style (leading symbol, comma thousands,
        # dot decimals) is a strip and a cast; everything else takes the regular expressions.
        """CREATE OR REPLACE MACRO personae__finite(d) AS CASE WHEN isfinite(d) THEN d END""",
        """CREATE OR REPLACE MACRO personae__us_money(m) AS
            CASE WHEN strpos(m, ',') = 0 THEN TRY_CAST(m AS DOUBLE)
                 WHEN strpos(m, '.') > 0
                      AND strpos(reverse(m), '.') < strpos(reverse(m), ',')
                      AND regexp_full_match(m, '[0-9]{1,3}(,[0-9]{3})*\\.[0-9]*')
                   THEN TRY_CAST(replace(m, ',', '') AS DOUBLE) END""",
        f"""CREATE OR REPLACE MACRO personae__decimal_slow(c) AS
            TRY_CAST({_let("personae__num_body(c)", "b", "personae__num_std(b)")} AS DOUBLE)""",
        """CREATE OR REPLACE MACRO personae_decimal(s) AS
            COALESCE(personae__finite(TRY_CAST(s AS DOUBLE)),
                     personae__finite(personae__us_money(ltrim(CAST(s AS VARCHAR), '$£€ '))),
                     personae__decimal_slow(personae_clean(s)))""",
        # A column whose decimal separator was decided from the whole column (see
        # ingest/columns.py): a comma column reads 1.234,56 and 12,5; a point one 1,234.56.
        # A value that does not fit the column's convention is NULL (so it is quarantined)
        # rather than read the other way.
        r"""CREATE OR REPLACE MACRO personae__num_sep(b, comma) AS
            CASE
              WHEN b IS NULL THEN NULL
              WHEN comma THEN
                CASE WHEN regexp_full_match(b, '[-+]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]*)(,[0-9]+)?')
                      AND regexp_matches(b, '[0-9]')
                     THEN replace(replace(b, '.', ''), ',', '.') END
              ELSE
                CASE WHEN regexp_full_match(b, '[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?')
                      AND regexp_matches(b, '[0-9]')
                     THEN replace(b, ',', '') END
            END""",
        # Cheapest paths first, as in personae_decimal: a plain cast ("12.50"; in a comma
        # column "12,50" with the comma made a point), "$1,234.50" stripped and cast, then
        # the regular expressions for the rest (not wrapped in personae__finite: that would
        # evaluate them for every row; digits checked by a regular expression are finite).
        f"""CREATE OR REPLACE MACRO personae_decimal_comma(s) AS
            COALESCE(
              CASE WHEN strpos(CAST(s AS VARCHAR), '.') = 0 THEN personae__finite(
                  TRY_CAST(replace(CAST(s AS VARCHAR), ',', '.') AS DOUBLE)) END,
              TRY_CAST({
            _let("personae__num_body(personae_clean(s))", "b", "personae__num_sep(b, true)")
        } AS DOUBLE))""",
        f"""CREATE OR REPLACE MACRO personae_decimal_point(s) AS
            COALESCE(
              personae__finite(TRY_CAST(s AS DOUBLE)),
              personae__finite(personae__us_money(ltrim(CAST(s AS VARCHAR), '$£€ '))),
              TRY_CAST({
            _let("personae__num_body(personae_clean(s))", "b", "personae__num_sep(b, false)")
        } AS DOUBLE))""",
        """CREATE OR REPLACE MACRO personae__whole(d) AS
            CASE WHEN d = round(d) AND abs(d) < 9.0e18 THEN CAST(d AS BIGINT) END""",
        f"""CREATE OR REPLACE MACRO personae_integer(s) AS
            COALESCE(personae__whole(personae__finite(TRY_CAST(s AS DOUBLE))),
                     {_let("personae_decimal(s)", "d", "personae__whole(d)")})""",
        # --- booleans --------------------------------------------------------------------
        f"""CREATE OR REPLACE MACRO personae_boolean(s) AS
            {
            _let(
                "lower(personae_trim(s))",
                "t",
                f"CASE WHEN {sql_in('t', _TRUE)} THEN true "
                f"WHEN {sql_in('t', _FALSE)} THEN false END",
            )
        }""",
        # --- JSON ------------------------------------------------------------------------
        # JSON may be long: no trim (JSON allows surrounding white space), one parse.
        """CREATE OR REPLACE MACRO personae_json(s) AS
            CASE WHEN personae__missing(s) THEN NULL WHEN json_valid(s) THEN s END""",
        # --- timestamps ------------------------------------------------------------------
        f"""CREATE OR REPLACE MACRO personae__naive(c, dmy) AS
            COALESCE(
              TRY_CAST(c AS TIMESTAMP),
              CASE WHEN dmy THEN try_strptime(c, {_list(_DMY)})
                   ELSE try_strptime(c, {_list(_MDY)}) END,
              try_strptime(c, {_list(_UNAMBIGUOUS)}))""",
        """CREATE OR REPLACE MACRO personae__epoch(c) AS
            CASE
              WHEN regexp_full_match(c, '[0-9]{9,10}')
                THEN CAST(to_timestamp(CAST(c AS BIGINT)) AS TIMESTAMP)
              WHEN regexp_full_match(c, '[0-9]{12,13}') THEN epoch_ms(CAST(c AS BIGINT))
            END""",
        # Google Forms' CSV writes the form's zone after a 12-hour time:
        # "2024/03/05 1:15:32 PM GMT+1" (read with strptime's %Z, which takes GMT±N).
        f"""CREATE OR REPLACE MACRO personae__with_offset(c) AS
            CASE WHEN regexp_matches(c, '{_OFFSET_RE}')
                 THEN CAST(TRY_CAST(regexp_replace(c, '\\s*(UTC|GMT)$', 'Z') AS TIMESTAMPTZ)
                           AS TIMESTAMP)
                 WHEN regexp_matches(c, '{_ZONE_AFTER_AMPM_RE}')
                 THEN CAST(try_strptime(c, {_list(_ZONED)}) AS TIMESTAMP) END""",
        # In UTC the common non-ISO forms (MM/DD/YYYY …) are tried first; regular
        # expressions only run for what is left. Elsewhere an explicit offset must be found
        # first, because a wall-clock time is read in the configured zone.
        """CREATE OR REPLACE MACRO personae__ts_slow(c, tz, dmy) AS
            CASE
              WHEN tz = 'UTC' THEN COALESCE(personae__naive(c, dmy), personae__epoch(c),
                                            personae__with_offset(c))
              ELSE COALESCE(personae__with_offset(c),
                            CAST(timezone(tz, personae__naive(c, dmy)) AS TIMESTAMP),
                            personae__epoch(c))
            END""",
        # Fast path in UTC: DuckDB's own cast reads ISO 8601 with or without an offset.
        # Plausibility (years 1900-2100) is a check of the ingest, not of the parser.
        f"""CREATE OR REPLACE MACRO personae_timestamp(s, tz, dmy) AS
            CASE
              WHEN tz = 'UTC' THEN COALESCE(
                  CAST(TRY_CAST(s AS TIMESTAMPTZ) AS TIMESTAMP),
                  {_let("personae_clean(s)", "c", "personae__ts_slow(c, tz, dmy)")})
              ELSE {_let("personae_clean(s)", "c", "personae__ts_slow(c, tz, dmy)")}
            END""",
        # Excel serial day numbers (a date cell formatted "General", or a CSV saved from
        # one): days since 1899-12-30, the fraction is the time of day. Counting from
        # 1899-12-30 rather than 1900-01-01 absorbs Excel's phantom 1900-02-29 (Lotus 1-2-3's
        # leap-year bug) for every serial from 61 (1900-03-01) on; only 10000-73415
        # (1927-05-18 to 2100-12-31) are taken as dates, so years, counts and ids are not.
        r"""CREATE OR REPLACE MACRO personae__serial(d) AS
            CASE WHEN d >= 10000 AND d < 73416
                 THEN TIMESTAMP '1899-12-30 00:00:00'
                      + to_milliseconds(CAST(round(d * 86400000) AS BIGINT)) END""",
        r"""CREATE OR REPLACE MACRO personae_excel_serial(s) AS
            CASE WHEN regexp_full_match(personae_trim(s), '[0-9]{5}(\.[0-9]+)?')
                 THEN personae__serial(TRY_CAST(personae_trim(s) AS DOUBLE)) END""",
        """CREATE OR REPLACE MACRO personae_date(s, dmy) AS
            CAST(personae_timestamp(s, 'UTC', dmy) AS DATE)""",
        f"""CREATE OR REPLACE MACRO personae_month(s) AS
            COALESCE(
              CAST(try_strptime(personae_clean(s), {_list(_MONTHS)}) AS DATE),
              CAST(date_trunc('month', personae_date(s, false)) AS DATE))""",
        # --- phones ----------------------------------------------------------------------
        # "+44 (0)7700 900123": the bracketed trunk 0 is dialled only from inside the country
        r"""CREATE OR REPLACE MACRO personae__phone_digits(s) AS
            regexp_replace(
              regexp_replace(replace(lower(personae_trim(s)), '(0)', ''),
                             '\s*(x|ext\.?|extension)\s*[0-9]+$', ''),
              '[^0-9]', '', 'g')""",
        """CREATE OR REPLACE MACRO personae__phone_national(s, d, cc) AS
            CASE
              WHEN d = '' THEN NULL
              WHEN starts_with(personae_trim(s), '+') THEN d
              WHEN starts_with(d, '00') THEN substr(d, 3)
              WHEN cc = '1' AND length(d) = 11 AND starts_with(d, '1') THEN d
              WHEN starts_with(d, '0') THEN cc || substr(d, 2)
              ELSE cc || d END""",
        """CREATE OR REPLACE MACRO personae__phone_check(n) AS
            CASE WHEN regexp_full_match(n, '[1-9][0-9]{7,14}')
                  AND (NOT starts_with(n, '1') OR length(n) = 11)
                 THEN '+' || n END""",
        f"""CREATE OR REPLACE MACRO personae_phone_e164(s, cc := '{cc}') AS
            {
            _let(
                _let("personae__phone_digits(s)", "d", "personae__phone_national(s, d, cc)"),
                "n",
                "personae__phone_check(n)",
            )
        }""",
    ]


@cache
def rating_words() -> dict[str, int]:
    """ratings.toml's words and the 1-5 value each stands for."""
    import tomllib
    from pathlib import Path

    path = Path(__file__).with_name("ratings.toml")
    return {k: int(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8"))["words"].items()}


def rating_sql() -> str:
    """``personae_rating5(s)``: a rating written as stars, a fraction or a word, on 1-5."""
    whens = " ".join(f"WHEN {_quote(w)} THEN {n}" for w, n in rating_words().items())
    frac = r"'^([0-9]+(\.[0-9]+)?)\s*(/|out of|von|sur)\s*(5|10)$'"
    return f"""CREATE OR REPLACE MACRO personae_rating5(s) AS
        CASE
          WHEN s IS NULL THEN NULL
          WHEN strpos(s, '★') > 0 OR strpos(s, '⭐') > 0 THEN
            CAST(length(s) - length(replace(replace(s, '★', ''), '⭐', '')) AS BIGINT)
          WHEN regexp_matches(lower(trim(s)), {frac}) THEN
            CAST(round(CAST(regexp_extract(lower(trim(s)), {frac}, 1) AS DOUBLE)
                 * 5 / CAST(regexp_extract(lower(trim(s)), {frac}, 4) AS DOUBLE)) AS BIGINT)
          ELSE CASE lower(trim(s)) {whens} END
        END"""


def install(con: duckdb.DuckDBPyConnection, calling_code: str = "1") -> None:
    """Create the parsing macros on a connection (idempotent, cheap)."""
    for stmt in macro_sql(calling_code):
        con.execute(stmt)
    con.execute(rating_sql())


def install_phone(con: duckdb.DuckDBPyConnection, calling_code: str) -> None:
    """Re-create only the phone macro with another default calling code: a file whose
    numbers show their region (``+44`` ones, a country column) is read in that region."""
    phone = [s for s in macro_sql(calling_code) if "MACRO personae_phone_e164" in s]
    con.execute(phone[0])


# ---------------------------------------------------------------------------------------
# Python helpers: evaluate the same macros on a list of values (tests, one-off checks).

_helper_con: duckdb.DuckDBPyConnection | None = None


def _con() -> duckdb.DuckDBPyConnection:
    global _helper_con
    if _helper_con is None:
        from personae.engine import connect

        _helper_con = connect()
        install(_helper_con)
    return _helper_con


def _evaluate(expr: str, values: Sequence[Any]) -> list[Any]:
    import pyarrow as pa

    con = _con().cursor()
    con.execute("SET TimeZone = 'UTC'")
    con.register(
        "_vals",
        pa.table({"v": pa.array([None if v is None else str(v) for v in values], pa.string())}),
    )
    rows = con.execute(f"SELECT {expr} FROM _vals").fetchall()
    con.close()
    return [r[0] for r in rows]


def parse_timestamps(values: Sequence[Any], tz: str = "UTC", date_order: str = "MDY") -> list[Any]:
    """Parse strings to naive-UTC ``datetime`` (``None`` where unreadable)."""
    dmy = "true" if date_order.upper() == "DMY" else "false"
    return _evaluate(f"personae_timestamp(v, '{tz}', {dmy})", values)


def parse_dates(values: Sequence[Any], date_order: str = "MDY") -> list[Any]:
    dmy = "true" if date_order.upper() == "DMY" else "false"
    return _evaluate(f"personae_date(v, {dmy})", values)


def parse_decimals(values: Sequence[Any]) -> list[float | None]:
    return _evaluate("personae_decimal(v)", values)


def parse_decimals_with(values: Sequence[Any], decimal: str) -> list[float | None]:
    """Numbers of a column whose decimal separator is ``"comma"`` or ``"dot"``."""
    macro = "personae_decimal_comma" if decimal == "comma" else "personae_decimal_point"
    return _evaluate(f"{macro}(v)", values)


def parse_excel_serials(values: Sequence[Any]) -> list[Any]:
    return _evaluate("personae_excel_serial(v)", values)


def parse_integers(values: Sequence[Any]) -> list[int | None]:
    return _evaluate("personae_integer(v)", values)


def parse_booleans(values: Sequence[Any]) -> list[bool | None]:
    return _evaluate("personae_boolean(v)", values)


def parse_phones(values: Sequence[Any], calling_code: str = "1") -> list[str | None]:
    return _evaluate(f"personae_phone_e164(v, cc := '{calling_code}')", values)


def parse_json(values: Sequence[Any]) -> list[str | None]:
    return _evaluate("personae_json(v)", values)
