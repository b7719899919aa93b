"""A small, explicit profanity and toxicity screen for quotes.

A persona is read by marketing, sales and executives, so quotes that swear or insult are
left out; the screen only has to decide *whether* a text is quotable, not censor it.

The word list is deliberately short and factual: common English swear words, sexual
vulgarities, a handful of widely recognised slurs and two self-harm taunts. Mild words
("damn", "hell", "crap", "sucks") and positive slang ("badass", "kick-ass") are *not* on the
list: customers use them casually, and dropping those quotes would bias personas towards
polite customers. Some words that are slurs in one sense and ordinary in another ("chink in
the armour") are left out for the same reason.

Matching is on whole words, so "class", "assess", "Scunthorpe", "cocktail", "Dickens" and
"shiitake" are clean. Simple obfuscation is undone first: case, leetspeak inside words
(``sh1t``, ``a$$``, ``@ss``, ``b!tch``), stretched letters (``fuuuck``), masking characters
(``f*ck``, ``f**k``, ``s#!t``, ``f***``: each mask stands for one letter and must complete a
listed word) and spaced-out letters (``f u c k``, ``s.h.i.t``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["is_profane", "profanity_terms"]

# term -> regex source of accepted forms (before the per-letter stretching). Every form is
# matched as a whole word.
_TERMS: dict[str, tuple[str, ...]] = {
    "fuck": (
        "fuck",
        "fucks",
        "fucked",
        "fucker",
        "fuckers",
        "fucking",
        "fuckin",
        "fuckup",
        "fuckface",
        "fuckwit",
        "fuckhead",
        "motherfucker",
        "motherfuckers",
        "motherfucking",
        "clusterfuck",
        "fuk",
        "fuking",
        "fuq",
        "fck",
        "fcking",
        "fckn",
        "fkn",
        "fking",
        "fvck",
        "phuck",
        "phuk",
    ),
    "shit": (
        "shit",
        "shits",
        "shitty",
        "shitter",
        "shite",
        "shithead",
        "shithole",
        "shitshow",
        "shitload",
        "bullshit",
        "horseshit",
        "dipshit",
        "apeshit",
        "batshit",
    ),
    "ass": (
        "ass",
        "asses",
        "asshole",
        "assholes",
        "asshat",
        "arse",
        "arsehole",
        "arseholes",
        "jackass",
        "dumbass",
        "smartass",
    ),
    "bitch": ("bitch", "bitches", "bitchy", "bitching"),
    "bastard": ("bastard", "bastards"),
    "cunt": ("cunt", "cunts"),
    "dick": ("dick", "dicks", "dickhead", "dickheads"),
    "cock": ("cock", "cocks", "cocksucker", "cocksuckers"),
    "prick": ("prick", "pricks"),
    "pussy": ("pussy", "pussies"),
    "twat": ("twat", "twats"),
    "wanker": ("wank", "wanker", "wankers", "wanking"),
    "bollocks": ("bollocks",),
    "piss": ("piss", "pissed", "pissing", "pissy"),
    "slut": ("slut", "sluts", "slutty"),
    "whore": ("whore", "whores"),
    "douchebag": ("douchebag", "douchebags", "douche"),
    "tits": ("tits", "titties"),
    "wtf": ("wtf", "stfu", "gtfo"),
    "slur": (
        "nigger",
        "niggers",
        "nigga",
        "niggas",
        "faggot",
        "faggots",
        "fag",
        "fags",
        "retard",
        "retards",
        "retarded",
        "spic",
        "spics",
        "kike",
        "kikes",
        "tranny",
        "trannies",
    ),
}
_PHRASES: dict[str, str] = {
    "kill yourself": r"kill\s+(?:yo)?ur\s*self|kill\s+yourself|kys",
}

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "i", "€": "e"})  # fmt: skip
_MASKS = "*#%"
_TOKEN = re.compile(r"[^\s]+")
_EDGE_PUNCT = "\"'“”‘’.,;:?!()[]{}<>…-–—_~"
_SPACED = re.compile(r"(?<![a-z])(?:[a-z][ .\-_]){2,}[a-z](?![a-z])")
_RUN = re.compile(r"([a-z])\1{2,}")
# Positive slang that contains a listed word after a hyphen.
_HARMLESS = re.compile(r"\b(kick|bad)[- ](ass)\b")


def _stretch(form: str) -> str:
    """'fuck' -> 'f+u+c+k': inner letters may repeat ('fuuuck').

    The last letter is matched exactly, otherwise 'asses' + 's' would match 'assess'; long
    runs at the end ('fuckkk', 'asssss') are handled by the run-collapsing variants.
    """
    return "".join(re.escape(c) + "+" for c in form[:-1]) + re.escape(form[-1])


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    alternatives: list[str] = []
    group_term: dict[str, str] = {}
    for i, (term, forms) in enumerate(_TERMS.items()):
        group = f"t{i}"
        group_term[group] = term
        body = "|".join(_stretch(f) for f in sorted(forms, key=len, reverse=True))
        alternatives.append(f"(?P<{group}>{body})")
    for j, (term, source) in enumerate(_PHRASES.items()):
        group = f"p{j}"
        group_term[group] = term
        alternatives.append(f"(?P<{group}>{source})")
    pattern = re.compile(r"(?<![a-z])(?:" + "|".join(alternatives) + r")(?![a-z])")
    return pattern, group_term


@lru_cache(maxsize=1)
def _forms_by_length() -> dict[int, list[tuple[str, str]]]:
    """(form, term) pairs by length, for matching masked words such as 'f**k'."""
    out: dict[int, list[tuple[str, str]]] = {}
    for term, forms in _TERMS.items():
        for form in forms:
            out.setdefault(len(form), []).append((form, term))
    return out


def _normalise_token(token: str) -> str | None:
    """Lower-case, de-leet a token; None for tokens without a single letter."""
    t = token.lower()
    # Leading punctuation never belongs to a word; trailing '!' and '|' are punctuation too
    # ("shit!!"), while inner ones are leetspeak ("sh!t"). '$' and '@' are kept ("a$$").
    t = t.strip(_EDGE_PUNCT.replace("-", "")).rstrip("!|")
    if not any(c.isalpha() for c in t):
        return None
    if any(c in t for c in "013457@$!|€"):
        t = t.translate(_LEET)
    return t


def _masked_terms(token: str) -> list[str]:
    """Terms that a masked token ('f*ck', 'f**k', 's#!t', 'f***') stands for."""
    t = token.lower().strip(_EDGE_PUNCT)
    # Markdown emphasis (**word**) is not masking.
    t = t.strip("*") if t.startswith("*") and t.endswith("*") else t.lstrip(_MASKS)
    if not t or not any(c in _MASKS for c in t):
        return []
    letters = sum(c.isalpha() for c in t)
    if letters == 0 or not t[0].isalpha():
        return []
    t = t.translate(_LEET)
    if not all(c.isalpha() or c in _MASKS for c in t):
        return []
    found: list[str] = []
    for form, term in _forms_by_length().get(len(t), ()):
        if all(c in _MASKS or c == f for c, f in zip(t, form, strict=True)) and term not in found:
            found.append(term)
    return found[:1]  # 's**t' is one profanity, whichever it stands for


def profanity_terms(text: str) -> list[str]:
    """The listed terms found in ``text`` (canonical form, first occurrence order, unique).

    Canonical forms ("fuck", "shit", "slur", ...) are returned rather than the matched text,
    so callers can log *why* a quote was dropped without repeating the text.
    """
    if not text:
        return []
    pattern, group_term = _matcher()
    found: list[str] = []

    def add(term: str) -> None:
        if term not in found:
            found.append(term)

    words: list[str] = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        for term in _masked_terms(token):
            add(term)
        norm = _normalise_token(token)
        if norm is not None:
            words.append(norm)
    normalised = _HARMLESS.sub(r"\1\2", " ".join(words))
    variants = {normalised, _RUN.sub(r"\1", normalised), _RUN.sub(r"\1\1", normalised)}
    variants |= {_SPACED.sub(_join_spaced, v) for v in variants}
    hits: list[tuple[int, str]] = []
    for variant in variants:
        hits.extend((m.start(), group_term[m.lastgroup or ""]) for m in pattern.finditer(variant))
    for _, term in sorted(hits):
        add(term)
    return found


def _join_spaced(m: re.Match[str]) -> str:
    """'f u c k' -> 'fuck'."""
    return re.sub(r"[ .\-_]", "", m.group())


def is_profane(text: str) -> bool:
    """True if ``text`` contains a listed profanity, slur or taunt (see module docstring)."""
    return bool(profanity_terms(text))
