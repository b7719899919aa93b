"""Mentions of a person in free text: their e-mail, phone number or id written in a record.

A support ticket from the phone line may carry no identifier column at all and still say
"Priya called from 07700 900123". Erasure, the subject-access export, the verification after
an erasure and the tombstones at re-ingest all look for such mentions with the rules below,
so what one of them finds the others find too.

What counts as a mention of the person, in any text column of any record (JSON included):

* **e-mail**: an address (``local@domain.tld``) that normalises by the identity rules (case,
  plus-tags, Gmail dots) to one of their e-mail identifiers;
* **phone**: a run of digit groups separated by at most three of ``space . - / ( )`` (an
  optional leading ``+``) of which some consecutive groups, read as digits, are their
  number: parsed in the workspace's phone region it gives their E.164 number
  (``+44 7700 900123``, ``0044 7700 900123``, ``+44 (0)7700 900123``), or the digits are
  their national significant number with or without one leading trunk ``0``
  (``07700 900123``, ``(0)7700-900-123``, ``7700900123``). A digit group inside a word
  (``ref07700900123``) is not a phone number;
* **id**: a token of letters, digits and ``_`` (pieces joined by ``.`` or ``-``) that holds a
  digit or an underscore and has six or more characters, or is nine or more digits — the
  whole token or one of its pieces equal, ignoring case, to one of their other identifiers
  (user id, CRM id, anonymous id, device id, …). Shorter ids ("C101") are too likely to be
  someone else's word to act on.

A name alone is never a mention (many people share one). In a record that mentions them, and
that the configuration keeps (``[governance] erase_mentions = "redact"``), their first and
last names are redacted too wherever both appear as whole words.

The search runs in SQL where the data is (candidates extracted with ``regexp_extract_all``,
one row per candidate), and only the distinct candidates are examined in Python, so a table
costs one scan whatever its size. :class:`Known` says which candidates are the person's: in
clear at erasure (:class:`ClearKnown`), by keyed hash at re-ingest (the tombstone guard).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import phonenumbers
import pyarrow as pa

from personae.config import IdentitySettings
from personae.identity.identifiers import Normaliser, parse_phone

ERASED = "[erased]"
DELETE, REDACT = "delete", "redact"

# Candidate patterns, valid both in RE2 (DuckDB) and Python's ``re`` with the same meaning.
EMAIL_RX = r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"  # on lower-cased text
# a boundary, an optional + and (, digit groups with short separators, and a letter right
# after (so a number glued to a word can be told apart and ignored)
PHONE_RX = r"(?:^|[^A-Za-z0-9])\+?\(?[0-9]+(?:[ .()/-]{1,3}[0-9]+)*[A-Za-z]?"
TOKEN_RX = r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*"

PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 17
TAIL_DIGITS = 7
_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_PY = {
    "email": re.compile(EMAIL_RX),
    "phone": re.compile(PHONE_RX),
    "token": re.compile(TOKEN_RX),
}


# -- the candidate grammar --------------------------------------------------------------------
def phone_parts(run: str) -> list[tuple[str, str]]:
    """(number to test, text as written) for each stretch of consecutive digit groups of a
    phone-like run with 7–17 digits. The number keeps a ``+`` written before its first
    group; the text includes that ``+``, and a ``(`` before it that closes inside it."""
    groups = [(m.start(), m.end()) for m in _DIGITS.finditer(run)]
    if groups and run[-1].isalpha():
        groups = groups[:-1]  # glued to a word: not a number of its own
    out = []
    for i, (start, _) in enumerate(groups):
        lead = start
        # a ( written before the first group belongs to it when it is closed inside it:
        # "(0)7700 900123", "(415) 555-0134"; "(+44 7700 900123" keeps its bracket
        if lead > 0 and run[lead - 1] == "(" and ")" in run[lead:]:
            lead -= 1
        if lead > 0 and run[lead - 1] == "+":
            lead -= 1
        plus = "+" in run[lead:start]
        digits = ""
        for j in range(i, len(groups)):
            digits += run[groups[j][0] : groups[j][1]]
            if len(digits) > PHONE_MAX_DIGITS:
                break
            if len(digits) >= PHONE_MIN_DIGITS:
                out.append((("+" if plus else "") + digits, run[lead : groups[j][1]]))
    return out


def distinctive_id(text: str) -> bool:
    """An id worth acting on in free text (see the module docstring)."""
    if text.isdigit():
        return len(text) >= 9
    return len(text) >= 6 and any(ch.isdigit() or ch == "_" for ch in text)


def id_parts(token: str) -> list[str]:
    """The token and its pieces (split at ``.`` and ``-``) that could be an id."""
    parts = {token, *re.split(r"[.-]", token)}
    return sorted(p for p in parts if distinctive_id(p))


def email_of(candidate: str) -> str:
    return candidate.lstrip(".")


# -- who the candidates belong to --------------------------------------------------------------
class Known(Protocol):
    """Which candidates are an erased person's, and what to do with the record (mode)."""

    def emails(self, canonical: Iterable[str]) -> dict[str, str]: ...

    def phones(self, numbers: Iterable[str]) -> dict[str, str]: ...

    def ids(self, tokens: Iterable[str]) -> dict[str, str]: ...

    def prefilter_sql(self, text_sql: str) -> str | None:
        """A cheap SQL test a text must pass to be worth extracting candidates from."""
        ...


def phone_forms(e164: str) -> tuple[str, str, str] | None:
    """(E.164, national significant number, region) of a number, None if unreadable."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return e164, phonenumbers.national_significant_number(number), region


def tail(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())[-TAIL_DIGITS:]


def phone_matches(candidate: str, e164: str, nsn: str, regions: Sequence[str]) -> bool:
    """A phone candidate is this number (the module docstring's rule)."""
    digits = candidate.lstrip("+")
    if not candidate.startswith("+") and digits in (nsn, "0" + nsn):
        return True
    return any(parse_phone(candidate, r) == e164 for r in regions)


@dataclass
class ClearKnown:
    """The person's identifiers in clear (at erasure, export and verification)."""

    emails_: set[str]
    phones_: set[str]  # E.164
    ids_: set[str]  # lower case
    regions: list[str]
    mode: str = DELETE
    _forms: list[tuple[str, str, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._forms = [f for f in (phone_forms(p) for p in sorted(self.phones_)) if f]

    def __bool__(self) -> bool:
        return bool(self.emails_ or self._forms or self.ids_)

    def emails(self, canonical: Iterable[str]) -> dict[str, str]:
        return {e: self.mode for e in canonical if e in self.emails_}

    def phones(self, numbers: Iterable[str]) -> dict[str, str]:
        tails = {tail(e) for e, _, _ in self._forms}
        out = {}
        for n in numbers:
            if tail(n) not in tails:
                continue
            for e164, nsn, region in self._forms:
                regions = list(dict.fromkeys([*self.regions, region]))
                if tail(n) == tail(e164) and phone_matches(n, e164, nsn, regions):
                    out[n] = self.mode
                    break
        return out

    def ids(self, tokens: Iterable[str]) -> dict[str, str]:
        return {t: self.mode for t in tokens if t.lower() in self.ids_}

    def prefilter_sql(self, text_sql: str) -> str | None:
        """Texts holding one of their e-mail domains, phone tails or ids (in clear we can
        skip most rows before extracting anything)."""
        conds = []
        domains = sorted({e.rsplit("@", 1)[-1] for e in self.emails_ if "@" in e})
        if domains:
            alts = "|".join(re2_escape("@" + d) for d in domains)
            conds.append(f"regexp_matches(lower({text_sql}), '{alts}')")
        tails = sorted({tail(e) for e, _, _ in self._forms})
        if tails:
            digits = f"regexp_replace({text_sql}, '[^0-9]', '', 'g')"
            conds += [f"contains({digits}, '{t}')" for t in tails]
        ids = sorted(i for i in self.ids_ if distinctive_id(i))
        if ids:
            alts = "|".join(re2_escape(i) for i in ids)
            conds.append(f"regexp_matches(lower({text_sql}), '{alts}')")
        return " OR ".join(f"({c})" for c in conds) if conds else "false"


_RE2_SPECIAL = set("\\.^$|?*+()[]{}")


def re2_escape(text: str) -> str:
    """Escape for DuckDB's RE2 (which rejects some of Python's ``re.escape`` output)."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in text).replace("'", "''")


# -- from candidates to hits ---------------------------------------------------------------------
def _normalise_emails(
    con: duckdb.DuckDBPyConnection, values: Sequence[str], identities: Sequence[IdentitySettings]
) -> dict[str, set[str]]:
    """raw e-mail -> its canonical forms under each identity setting."""
    out: dict[str, set[str]] = {}
    if not values:
        return out
    con.register("_mention_emails", pa.table({"v": pa.array(list(values), pa.string())}))
    try:
        for identity in identities:
            sql = Normaliser(identity).sql("email", "v")
            for raw, canon in con.execute(f"SELECT v, {sql} FROM _mention_emails").fetchall():
                if canon:
                    out.setdefault(raw, set()).add(canon)
    finally:
        con.unregister("_mention_emails")
    return out


def hot_candidates(
    con: duckdb.DuckDBPyConnection,
    candidates: Iterable[tuple[str, str]],
    known: Known,
    identities: Sequence[IdentitySettings],
) -> dict[tuple[str, str], dict[str, str]]:
    """(kind, candidate) -> {text as written: mode} for the candidates that are theirs."""
    by_kind: dict[str, set[str]] = {}
    for kind, c in candidates:
        if c:
            by_kind.setdefault(kind, set()).add(c)
    out: dict[tuple[str, str], dict[str, str]] = {}
    emails = sorted({email_of(c) for c in by_kind.get("email", ())})
    canon = _normalise_emails(con, emails, identities)
    theirs = known.emails({v for vs in canon.values() for v in vs})
    for c in by_kind.get("email", ()):
        modes = [theirs[v] for v in canon.get(email_of(c), ()) if v in theirs]
        if modes:
            out[("email", c)] = {email_of(c): _strongest(modes)}
    parts = {c: phone_parts(c) for c in by_kind.get("phone", ())}
    numbers = known.phones({n for ps in parts.values() for n, _ in ps})
    for c, ps in parts.items():
        hits = {text: numbers[n] for n, text in ps if n in numbers}
        if hits:
            out[("phone", c)] = hits
    pieces = {c: id_parts(c) for c in by_kind.get("token", ())}
    ids = known.ids({p for ps in pieces.values() for p in ps})
    for c, ps in pieces.items():
        hits = {p: ids[p] for p in ps if p in ids}
        if hits:
            out[("token", c)] = hits
    return out


def _strongest(modes: Iterable[str]) -> str:
    """Delete wins over redact (two erased people, two settings: the record goes)."""
    return DELETE if DELETE in set(modes) else REDACT


def _worth_sql(c: str = "c", kind: str = "kind") -> str:
    """SQL filter: candidates that could be a hit (cheap tests before Python sees them)."""
    return (
        f"({kind} = 'email' OR ({kind} = 'phone' AND length(regexp_replace({c}, '[^0-9]', '', "
        f"'g')) >= {PHONE_MIN_DIGITS}) OR ({kind} = 'token' AND length({c}) >= 6 AND "
        f"regexp_matches({c}, '[0-9_]')))"
    )


def scan(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    key_sql: str,
    text_sql: str,
    known: Known,
    identities: Sequence[IdentitySettings],
) -> dict[object, dict[str, str]]:
    """Row key -> {mention as written: mode} for the rows of ``relation`` (alias ``t``)
    whose text (``text_sql``) mentions an erased person."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _mention_cands AS "
        f"WITH r AS (SELECT {key_sql} AS k, {text_sql} AS s FROM {relation} t"
        + (f" WHERE {pre}" if (pre := known.prefilter_sql(text_sql)) else "")
        + "), "
        "x AS ("
        + " UNION ALL ".join(
            f"SELECT k, '{kind}' AS kind, unnest(regexp_extract_all({arg}, '{rx}')) AS c "
            "FROM r WHERE s IS NOT NULL"
            for kind, arg, rx in (
                ("email", "lower(s)", EMAIL_RX),
                ("phone", "s", PHONE_RX),
                ("token", "s", TOKEN_RX),
            )
        )
        + f") SELECT * FROM x WHERE {_worth_sql()}"
    )
    try:
        distinct = con.execute("SELECT DISTINCT kind, c FROM _mention_cands").fetchall()
        hot = hot_candidates(con, distinct, known, identities)
        if not hot:
            return {}
        keys = list(hot)
        con.register(
            "_mention_hot",
            pa.table(
                {
                    "kind": pa.array([k for k, _ in keys], pa.string()),
                    "c": pa.array([c for _, c in keys], pa.string()),
                }
            ),
        )
        try:
            rows = con.execute(
                "SELECT DISTINCT m.k, m.kind, m.c FROM _mention_cands m "
                "JOIN _mention_hot h ON h.kind = m.kind AND h.c = m.c"
            ).fetchall()
        finally:
            con.unregister("_mention_hot")
    finally:
        con.execute("DROP TABLE IF EXISTS _mention_cands")
    out: dict[object, dict[str, str]] = {}
    for k, kind, c in rows:
        found = out.setdefault(k, {})
        for text, mode in hot[(kind, c)].items():
            found[text] = _strongest([mode, found.get(text, REDACT)]) if text in found else mode
    return out


def scan_texts(
    con: duckdb.DuckDBPyConnection,
    texts: Sequence[str],
    known: Known,
    identities: Sequence[IdentitySettings],
) -> list[dict[str, str]]:
    """The same search on texts held in Python (files, event-log lines)."""
    found: list[list[tuple[str, str]]] = []
    for text in texts:
        cands = [("email", m.group(0)) for m in _PY["email"].finditer(text.lower())]
        cands += [("phone", m.group(0)) for m in _PY["phone"].finditer(text)]
        cands += [
            ("token", m.group(0)) for m in _PY["token"].finditer(text) if id_parts(m.group(0))
        ]
        found.append(cands)
    hot = hot_candidates(con, {c for cs in found for c in cs}, known, identities)
    out = []
    for cands in found:
        hits: dict[str, str] = {}
        for c in cands:
            for text, mode in hot.get(c, {}).items():
                hits[text] = _strongest([mode, hits[text]]) if text in hits else mode
        out.append(hits)
    return out


# -- redaction ---------------------------------------------------------------------------------
def _token_pattern(strings: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({s for s in strings if s}, key=len, reverse=True)
    if not words:
        return None
    alts = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alts})(?![A-Za-z0-9])", re.IGNORECASE)


def name_words(text: str, names: Iterable[tuple[str, str]]) -> set[str]:
    """Their first and last names, when both appear in ``text`` as whole words."""
    out: set[str] = set()
    for first, last in names:
        if not first or not last:
            continue
        a, b = _token_pattern([first]), _token_pattern([last])
        if a and b and a.search(text) and b.search(text):
            out.update((first, last))
    return out


def redact(text: str, hits: Iterable[str], replacement: str = ERASED) -> tuple[str, int]:
    """``text`` with every whole-token occurrence of ``hits`` (any case) replaced."""
    pattern = _token_pattern(hits)
    if pattern is None or text is None:
        return text, 0
    return pattern.subn(replacement, text)


def mask(data: bytes, hits: Iterable[str]) -> bytes:
    """``data`` with each occurrence of ``hits`` overwritten, keeping its length (event-log
    lines keep their byte offsets): ``[erased]`` padded with spaces, or ``#``s when the
    mention is shorter than that."""
    pattern = _token_pattern(hits)
    if pattern is None:
        return data
    text = data.decode("utf-8", "surrogateescape")

    def fill(m: re.Match[str]) -> str:
        n = len(m.group(0).encode("utf-8", "surrogateescape"))
        return (ERASED + " " * n)[:n] if n >= len(ERASED) else "#" * n

    out = pattern.sub(fill, text).encode("utf-8", "surrogateescape")
    return out if len(out) == len(data) else data


def words(text: str) -> list[str]:
    """The words of a text (letters, with inner apostrophes and hyphens), for names."""
    return [m.group(0) for m in _WORD.finditer(text or "")]


def strongest(modes: Iterable[str]) -> str:
    return _strongest(modes)


__all__ = [
    "DELETE",
    "ERASED",
    "REDACT",
    "ClearKnown",
    "Known",
    "hot_candidates",
    "mask",
    "name_words",
    "phone_parts",
    "redact",
    "scan",
    "scan_texts",
    "words",
]
