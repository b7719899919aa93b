"""How well a column's contents fit a field's expected shape: a score in [0, 1] and why.

The score is mostly the share of values with the shape; identifiers also weigh how the
values repeat (a record's own id is unique, an order id repeats in runs over its lines,
a customer reference repeats anywhere), numbers their range (a 1–5 rating, a count).
Loose shapes (names, short text, categories) never score above 0.7 on contents alone:
they fit too many columns to decide anything without a header.
"""

from __future__ import annotations

import re
from datetime import date

from personae.ingest.discover.expect import Expectation
from personae.ingest.discover.profile import ColumnProfile, country_words, currency_words

MAX_BOOLEAN_SPELLINGS = 8  # yes/no, y/n, true/false, 1/0: two values in four spellings


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _id_share(p: ColumnProfile) -> float:
    ident = max(p.share("id_token"), p.share("uuid"))
    return max(0.0, ident - 0.5 * p.share("phone") - p.share("email"))


def _small_integers(p: ColumnProfile) -> bool:
    """Values such as 1..12: a count, a line number or a rating, not an identifier."""
    return (
        p.share("integer") > 0.95
        and p.int_max is not None
        and p.int_max <= 31
        and p.distinct <= 31
        and p.non_null > p.distinct
    )


def _years(p: ColumnProfile) -> bool:
    """Whole numbers between 1900 and 2100 that repeat: years (of birth, of founding)."""
    return (
        p.share("integer") > 0.95
        and p.int_min is not None
        and p.int_max is not None
        and p.int_min >= 1900
        and p.int_max <= 2100
        and p.unique < 0.9
    )


def _plausible_epoch(p: ColumnProfile) -> float:
    """Share of Unix times (seconds or milliseconds) between 2000 and 2040."""
    lo, hi = p.int_min, p.int_max
    if not p.share("epoch") or lo is None or hi is None:
        return 0.0
    ok = (lo >= 9.4e8 and hi <= 2.3e9) or (lo >= 9.4e11 and hi <= 2.3e12)
    ok = ok or (lo >= 9.4e14 and hi <= 2.3e15)  # microseconds (BigQuery exports)
    return p.share("epoch") if ok else 0.0


def _identifier(p: ColumnProfile, role: str) -> tuple[float, str]:
    ident = _id_share(p)
    if ident < 0.5 or _small_integers(p) or _years(p):
        return 0.0, f"not identifiers ({_pct(ident)} id-like)"
    unique, runs = p.unique, p.contiguous
    if role == "key":
        if unique >= 0.98:
            return ident, f"{_pct(ident)} id-like, every value different"
        factor = 0.5 if (runs or 0) >= 0.9 else unique * 0.6
        return ident * factor, f"{_pct(ident)} id-like but repeating ({_pct(unique)} distinct)"
    if role == "group_key":
        if unique >= 0.98:
            return ident * 0.95, f"{_pct(ident)} id-like, every value different"
        if (runs or 0) >= 0.9:
            return ident, f"{_pct(ident)} id-like, repeating in runs of rows (one record's lines)"
        return ident * 0.45, f"{_pct(ident)} id-like, repeating across the file"
    # a reference to someone or something else
    if unique >= 0.98:
        return ident * 0.75, f"{_pct(ident)} id-like, every value different"
    if (runs or 0) >= 0.9:
        return ident * 0.8, f"{_pct(ident)} id-like, repeating in runs"
    return ident, f"{_pct(ident)} id-like, repeating across the file (references)"


def _time(p: ColumnProfile, date_only: bool) -> tuple[float, str]:
    text = p.share("timestamp")
    epoch = _plausible_epoch(p)
    share = max(text, 0.8 * epoch)
    timed = p.share("has_time")
    factor = (1 - 0.3 * timed) if date_only else (0.85 + 0.15 * max(timed, epoch))
    what = "dates" if timed < 0.5 else "timestamps"
    if epoch > text:
        what = "Unix times"
    return share * factor, f"{_pct(share)} {what}"


def _text(p: ColumnProfile) -> tuple[float, str]:
    words = p.avg_words
    score = p.share("letters") * min(1.0, max(0.0, (words - 3) / 7))
    return score, f"free text, {words:.0f} words on average"


def _loose(p: ColumnProfile, kind: str) -> tuple[float, str]:
    letters = p.share("letters")
    other = p.share("email") + p.share("timestamp") + 0.5 * p.share("id_token") + p.share("url")
    base = max(0.0, letters - other)
    if kind == "short_text":
        factor = 1.0 if p.avg_words <= 12 else 0.4
        return 0.7 * base * factor, f"short text ({p.avg_words:.0f} words)"
    if kind == "name":
        factor = p.share("capitalised") if p.avg_words <= 4 else 0.2
        return 0.7 * base * factor, "capitalised names"
    if kind == "category":
        few = p.distinct <= max(15, 0.1 * p.non_null)
        return (0.7 if few else 0.3) * base, f"{p.distinct} distinct labels"
    if kind == "code":
        score = p.share("code") - p.share("timestamp") - p.share("email")
        return 0.6 * max(0.0, score), "short codes"
    if kind == "postal_code":
        return 0.6 * p.share("postal"), f"{_pct(p.share('postal'))} postcode-like"
    return 0.5, "any value"


_FRACTION = re.compile(r"^[0-9]+(\.[0-9]+)?\s*(/|out of|von|sur)\s*(5|10)$")


def _written_rating(value: str) -> bool:
    """A rating as the ingest reads it besides a number: stars, "4/5", a word (positive)."""
    from personae.ingest.parsers import rating_words

    v = value.strip().lower()
    return "★" in v or "⭐" in v or bool(_FRACTION.match(v)) or v in rating_words()


def _rating(p: ColumnProfile) -> tuple[float, str]:
    written = sum(n for v, n in p.counts.items() if _written_rating(v))
    if p.non_null and written / p.non_null >= 0.9:
        examples = ", ".join(repr(v) for v in p.examples(3))
        return 0.9 * written / p.non_null, f"ratings written as stars or words ({examples})"
    ints = p.share("integer")
    if p.share("stars") > 0.5:
        return 0.9 * p.share("stars"), "star ratings"
    if ints > 0.9 and p.int_min is not None and p.int_max is not None:
        if p.int_min >= 1 and p.int_max <= 5:
            return ints, f"whole numbers from {p.int_min} to {p.int_max} (a 1–5 rating)"
        # a few stray values (a 0, a 9, "great") are bad rows for quarantine, not a
        # different scale: judge by the share of values that are 1..5
        stars = _share_between(p, 1, 5)
        if stars >= 0.9:
            return stars, f"{_pct(stars)} whole numbers from 1 to 5 (a 1–5 rating)"
        if p.int_min >= 0 and p.int_max <= 10:
            return 0.5 * ints, f"whole numbers from {p.int_min} to {p.int_max} (a 0–10 scale)"
    return 0.0, "not a 1–5 rating"


def _share_between(p: ColumnProfile, lo: int, hi: int) -> float:
    """Share of the sampled values that are whole numbers from ``lo`` to ``hi``."""
    inside = sum(
        n for v, n in p.counts.items() if v.strip().isdigit() and lo <= int(v.strip()) <= hi
    )
    return inside / p.non_null if p.non_null else 0.0


def _money(p: ColumnProfile) -> tuple[float, str]:
    num = p.share("number")
    marks = max(p.share("fraction"), p.share("money_mark"))
    score = num * (0.55 + 0.45 * marks)
    if p.share("integer") > 0.99 and p.unique >= 0.98 and (p.int_max or 0) > 10_000:
        score *= 0.3  # unique large whole numbers: identifiers
    symbols = ", ".join(s for s, _ in p.symbols.most_common(2))
    return score, f"{_pct(num)} amounts" + (f" ({symbols})" if symbols else "")


def _count(p: ColumnProfile) -> tuple[float, str]:
    natural = p.share("natural")  # whole numbers from 0 up to seven digits
    return natural, f"{_pct(natural)} counts (whole numbers from {p.int_min} to {p.int_max})"


def _enum(p: ColumnProfile, e: Expectation) -> tuple[float, str]:
    share = p.vocab_share(e.vocab) if e.vocab else 0.0
    examples = ", ".join(repr(v) for v in p.examples(3))
    return share, f"{_pct(share)} {e.field} values ({examples})"


def _question(p: ColumnProfile) -> tuple[float, str]:
    marks = p.share("question")
    repeated = p.unique < 0.5
    score = min(1.0, 1.2 * marks) * (1.0 if repeated else 0.6)
    if score < 0.5 and repeated and p.avg_words >= 4:
        score = 0.6
    return score, f"{_pct(marks)} questions, repeated ({p.distinct} distinct)"


def content_fit(p: ColumnProfile, e: Expectation) -> tuple[float, str]:
    """The fit of a column's contents to a field, and a few words saying why."""
    if not p.non_null:
        return 0.0, "empty in the sample"
    shape = e.shape
    if shape in ("key", "group_key", "ref"):
        return _identifier(p, shape)
    if shape == "email":
        return p.share("email"), f"{_pct(p.share('email'))} e-mail addresses"
    if shape == "phone":
        return p.share("phone"), f"{_pct(p.share('phone'))} phone numbers"
    if shape in ("timestamp", "date"):
        return _time(p, shape == "date")
    if shape == "birth_date":
        score, why = _time(p, True)
        if p.year_max is not None and p.year_max > date.today().year - 10:
            return 0.3 * score, f"{why}, some in the last ten years (not birth dates)"
        return score, why
    if shape == "month":
        share = max(p.share("month"), 0.6 * p.share("timestamp"))
        return share, f"{_pct(share)} months"
    if shape == "money":
        return _money(p)
    if shape == "decimal":
        return p.share("number"), f"{_pct(p.share('number'))} numbers"
    if shape == "count":
        return _count(p)
    if shape == "integer":
        return p.share("integer"), f"{_pct(p.share('integer'))} whole numbers"
    if shape == "rating":
        return _rating(p)
    if shape == "boolean":
        # two values, perhaps in several spellings (an export merged from systems writes
        # yes, Y and true side by side); more spellings than that must all be yes/no words
        share = p.share("boolean")
        if p.distinct_folded > 3 and (p.distinct_folded > MAX_BOOLEAN_SPELLINGS or share < 0.95):
            share = 0.0
        if p.share("integer") > 0.99:
            share *= 0.7  # 0/1 flags: booleans or counts
        return share, f"{_pct(share)} yes/no values"
    if shape == "json":
        share = max(p.share("json_object"), 0.8 * p.share("json_array"))
        return share, f"{_pct(share)} JSON objects"
    if shape == "url":
        return p.share("url"), f"{_pct(p.share('url'))} web addresses"
    if shape == "text":
        return _text(p)
    if shape == "enum":
        return _enum(p, e)
    if shape == "country":
        share = p.vocab_share(country_words())
        return share, f"{_pct(share)} countries"
    if shape == "currency":
        share = p.vocab_share(currency_words())
        return share, f"{_pct(share)} currency codes"
    if shape == "domain":
        return p.share("domain"), f"{_pct(p.share('domain'))} web domains"
    if shape == "handle":
        return p.share("handle"), f"{_pct(p.share('handle'))} @handles"
    if shape == "question":
        return _question(p)
    return _loose(p, shape)
