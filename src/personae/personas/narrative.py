"""An optional language-model bio for a persona, accepted only when a fact checker passes it.

The persona builder writes every sentence of a persona from computed figures, so the
document is faithful but reads like a table. A language model can turn the same facts into
a friendlier paragraph; it can also invent figures ("she spends $500 a month") and details
("she drives a Tesla"). So the model only ever sees the facts, and its answer is kept only
when :func:`check_narrative` finds nothing in it that the facts do not say:

* **Numbers.** Every number in the answer (digits, with currency signs, thousands
  separators, decimals, ``%``, ``×``/``x``, ``k``/``M``/``bn`` and ``thousand``/``million``;
  and spelled-out numbers: zero to ninety-nine, "a hundred", "twice", "double", "triple",
  "a dozen", "half", "a third", "two thirds", "a quarter", "three quarters", "a fifth",
  "a tenth") must equal a number in the facts, or that number rounded to the precision the
  answer shows (441.9 allows 442, 4.9× allows 5×, 12,480 allows 12.5k; 1,200 has no
  decimals and therefore means exactly 1200). Units are ignored ("68%" is 68), so a number
  may be reused in another sense — the claim check below is what catches that, partly.
* **Claims.** Every sentence must be made of the facts' words: of its *content words*
  (lower-cased, apostrophes dropped, plurals and common suffixes stripped; minus stop
  words, the persona's name, number words and a short allowlist of narrative words such as
  "typically" or "customers"), at least :data:`SUPPORT_THRESHOLD` (75 %) must occur in the
  facts. 75 % lets a sentence rephrase ("she typically exercises" for "68% exercise",
  "buying" for "buy") but not carry a new subject: a four-word sentence may bring one new
  word, a two-word one none. On top of the ratio, two things reject a sentence outright: a
  capitalised word in mid-sentence that the facts never use (a brand, a place, a name), and
  a negation ("not", "never", "doesn't") when the facts contain none of that negation — an
  inverted claim is the most misleading kind.

This is a crude, conservative check: it rejects some faithful paraphrases, and it cannot
tell "68% exercise" from "68% do not exercise" when both words appear somewhere in the
facts. A rejected narrative costs nothing — the builder's own bio stays — so erring towards
rejection is the right trade.

The request is a plain OpenAI-compatible ``POST {base_url}/chat/completions`` made with the
standard library; nothing leaves the machine unless ``[personas.narrative] enabled = true``,
and what leaves is exactly the facts (already aggregated and PII-scrubbed), never a row of
the workspace.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from personae.config import NarrativeSettings
from personae.personas.schema import Claim, Narrative, Persona
from personae.text.stopwords import STOP_WORDS

log = logging.getLogger(__name__)

#: Share of a sentence's content words that must occur in the facts (see the module doc).
SUPPORT_THRESHOLD = 0.75
#: The prompt asks for 3–5 sentences; one more is tolerated (a split sentence), not a page.
MAX_SENTENCES = 6
#: The most of a raw answer kept for the log.
RAW_LIMIT = 4000
#: The most of a response body read from the server.
_READ_LIMIT = 1_000_000

SYSTEM_PROMPT = """\
You write the short biography of a marketing persona. The user message is a JSON document \
with the persona's name, title and role, a list of facts about the real customers the \
persona stands for, and some real customer quotes.

Rules:
1. Use only the given facts and quotes. Do not add any claim that is not in them: no new \
habits, products, brands, places, jobs, family members, feelings or reasons.
2. Do not write any number that is not in the facts. Copy figures as given; you may only \
round them to fewer decimals.
3. Write 3 to 5 sentences in the third person about the persona, by name.
4. Answer with a JSON object and nothing else: {"bio": "..."}."""


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeFacts:
    """Everything the model may say: the persona's identity and sentences with the figures.

    The fact sentences already contain the computed numbers, so the model has nothing to
    calculate and the checker has one place to look them up.
    """

    name: str
    title: str
    role: str
    facts: list[str]
    quotes: list[str] = field(default_factory=list)

    def to_payload(self) -> dict:
        """The JSON document sent as the user message (and nothing else is sent)."""
        return {
            "persona": {"name": self.name, "title": self.title, "role": self.role},
            "facts": list(self.facts),
            "quotes": list(self.quotes),
        }

    def texts(self) -> list[str]:
        """Every text the answer may draw words and numbers from."""
        return [self.name, self.title, self.role, *self.facts, *self.quotes]


def _unique(texts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        text = text.strip()
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out


def facts_from_persona(persona: Persona) -> NarrativeFacts:
    """Collect every statement about the persona's customers from a persona document.

    Taken: bio, the fact lists (demographics, firmographics, psychographics, buying
    behaviour, channels), the voice themes (goals, pain points, frustrations, motivations,
    objections), the empathy map, the journey's touchpoints and claims, and one sentence
    about the segment's size. Quotes (the quote list and the themes' example quotes) go to
    ``quotes``. Left out on purpose: the marketing guidance (advice, not facts about the
    customers), the quality figures (about the persona, not the customers) and the
    invented naming details.
    """
    claims: list[Claim] = [*persona.bio, *persona.demographics, *persona.firmographics]
    claims += persona.psychographics
    themes = [
        *persona.goals,
        *persona.pain_points,
        *persona.frustrations,
        *persona.motivations,
        *persona.objections,
    ]
    claims += themes
    claims += persona.buying_behaviour
    claims += persona.communication_channels
    for quadrant in persona.empathy_map.values():
        claims += quadrant
    for stage in persona.journey:
        claims += stage.touchpoints
        claims += stage.claims

    size = persona.size
    noun = "accounts" if persona.entity == "account" else "customers"
    size_sentence = (
        f"The segment has {size.customers:,} {noun}, {size.share * 100:.1f}% of all {noun}"
    )
    if size.revenue_share is not None:
        size_sentence += f", bringing {size.revenue_share * 100:.1f}% of revenue"
    quotes = [quote.text for quote in persona.quotes]
    quotes += [theme.quote for theme in themes if theme.quote]
    return NarrativeFacts(
        name=persona.name,
        title=persona.title.text,
        role=persona.role,
        facts=_unique([*(claim.text for claim in claims), size_sentence]),
        quotes=_unique(quotes),
    )


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberMention:
    """A number found in a text: what was written and the values it may stand for.

    A reading is ``(value, precision)``: the value in plain units and the number of
    decimals it was written with (negative for "12.5k": rounded to hundreds). A fraction
    word has two readings ("half" is 50 or 0.5).
    """

    text: str
    readings: tuple[tuple[Decimal, int], ...]


_SCALES = {"k": 3, "K": 3, "thousand": 3, "M": 6, "million": 6, "bn": 9, "billion": 9}

_DIGITS = re.compile(
    r"""
    (?<![\w.])                                # not inside a word or a longer number
    (?P<sign>[-\u2212](?=[$€£¥₹]?\d))?        # a minus sign right before the figure
    [$€£¥₹]?                                  # currency is a unit: ignored
    (?P<int>\d{1,3}(?:,\d{3})+|\d+)           # 1,234 or 1234
    (?P<dec>\.\d+)?
    (?:
        (?P<suffix>k|K|M|bn)\b                # 12.5k, $1.2M, 3bn
      | \s(?P<word>thousand|million|billion)\b
      | \s?(?:%|×)                            # 68%, 68 %, 4.9×
      | x\b                                   # 4.9x
    )?
    """,
    re.VERBOSE,
)

_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_UNITS = _UNIT_WORDS.split()
_TENS = _TENS_WORDS.split()
_UNIT_VALUE = {word: i for i, word in enumerate(_UNITS)}
_TENS_VALUE = {word: 20 + 10 * i for i, word in enumerate(_TENS)}
_MULTIPLES = {
    "twice": 2,
    "thrice": 3,
    "double": 2,
    "doubled": 2,
    "doubles": 2,
    "triple": 3,
    "tripled": 3,
    "triples": 3,
    "dozen": 12,
}
# (pattern, percent value, fraction value as text)
_FRACTIONS = (
    (r"two[-\s]thirds", 67, "0.67"),
    (r"three[-\s]quarters", 75, "0.75"),
    (r"(?:a|one)[-\s]third", 33, "0.33"),
    (r"(?:a|one)[-\s]quarter", 25, "0.25"),
    (r"(?:a|one)[-\s]fifth", 20, "0.2"),
    (r"(?:a|one)[-\s]tenth", 10, "0.1"),
    (r"half", 50, "0.5"),
)
# "one" is a pronoun or determiner in these phrases, not a count.
_ONE_NOT_A_NUMBER = re.compile(
    r"\b(?:no|any|every|each|the|this|that|which)\s+one\b|\bone\s+(?:of|another|day)\b"
)

_SPELLED: list[tuple[re.Pattern[str], str]] = [
    *((re.compile(rf"\b{pattern}\b"), "fraction") for pattern, _, _ in _FRACTIONS),
    (re.compile(r"\b(?:a|one)\s+hundred\b"), "hundred"),
    (
        re.compile(rf"\b(?:{'|'.join(_TENS)})(?:[-\s](?:{'|'.join(_UNITS[1:10])}))?\b"),
        "tens",
    ),
    (re.compile(rf"\b(?:{'|'.join(_UNITS)})\b"), "unit"),
    (re.compile(rf"\b(?:{'|'.join(_MULTIPLES)})\b"), "multiple"),
]

_FRACTION_WORDS = (
    "hundred thousand million billion half halves third thirds quarter quarters fifth fifths "
    "tenth tenths"
)

#: Words the number check reads, so the claim check leaves them alone.
NUMBER_WORDS: frozenset[str] = frozenset([*_UNITS, *_TENS, *_MULTIPLES, *_FRACTION_WORDS.split()])


def _decimals(text: str) -> int:
    return len(text) - 1 if text else 0


def _digit_mentions(text: str) -> Iterator[tuple[int, NumberMention]]:
    for match in _DIGITS.finditer(text):
        raw = match.group(0).strip()
        digits = match.group("int").replace(",", "") + (match.group("dec") or "")
        value = Decimal(digits)
        if match.group("sign"):
            value = -value
        scale = _SCALES.get(match.group("suffix") or match.group("word") or "", 0)
        value = value.scaleb(scale)
        precision = _decimals(match.group("dec") or "") - scale
        yield match.start(), NumberMention(raw, ((value, precision),))


def _spelled_mentions(text: str) -> Iterator[tuple[int, NumberMention]]:
    lower = text.lower()
    taken: list[tuple[int, int]] = []
    not_numbers = [m.span() for m in _ONE_NOT_A_NUMBER.finditer(lower)]

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for pattern, kind in _SPELLED:
        for match in pattern.finditer(lower):
            start, end = match.span()
            if not free(start, end):
                continue
            word = match.group(0)
            if kind == "unit" and any(a <= start and end <= b for a, b in not_numbers):
                continue
            if kind == "fraction":
                percent, fraction = next(
                    (p, f) for pat, p, f in _FRACTIONS if re.fullmatch(pat, word)
                )
                readings = (
                    (Decimal(percent), 0),
                    (Decimal(fraction), _decimals(fraction[fraction.index(".") :])),
                )
            elif kind == "hundred":
                readings = ((Decimal(100), 0),)
            elif kind == "tens":
                parts = re.split(r"[-\s]", word)
                value = _TENS_VALUE[parts[0]] + (_UNIT_VALUE[parts[1]] if len(parts) > 1 else 0)
                readings = ((Decimal(value), 0),)
            elif kind == "unit":
                readings = ((Decimal(_UNIT_VALUE[word]), 0),)
            else:
                readings = ((Decimal(_MULTIPLES[word]), 0),)
            taken.append((start, end))
            yield start, NumberMention(text[start:end], readings)


def find_numbers(text: str) -> list[NumberMention]:
    """Every number written in ``text``, in digits or in words, in reading order."""
    found = [*_digit_mentions(text), *_spelled_mentions(text)]
    return [mention for _, mention in sorted(found, key=lambda item: item[0])]


def _fact_values(facts: NarrativeFacts) -> set[Decimal]:
    values: set[Decimal] = set()
    for text in facts.texts():
        for mention in find_numbers(text):
            values.update(value for value, _ in mention.readings)
    return values


def _rounds_to(fact: Decimal, value: Decimal, precision: int) -> bool:
    """Whether ``fact`` shown with ``precision`` decimals reads ``value`` (either half rule)."""
    quantum = Decimal(1).scaleb(-precision)
    try:
        return any(
            fact.quantize(quantum, rounding=rounding) == value
            for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN)
        )
    except InvalidOperation:  # too many digits for the context: not a plausible rounding
        return False


def check_numbers(text: str, facts: NarrativeFacts) -> list[str]:
    """The numbers of ``text`` that no number of the facts supports, as problem strings."""
    known = _fact_values(facts)
    problems: list[str] = []
    for mention in find_numbers(text):
        supported = any(
            _rounds_to(fact, value, precision)
            for value, precision in mention.readings
            for fact in known
        )
        problem = f"number '{mention.text}' is not in the facts"
        if not supported and problem not in problems:
            problems.append(problem)
    return problems


# --------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------

#: Narrative words a faithful bio needs but the facts need not contain: pronouns, hedges,
#: frequency words and the words for "the customers this persona stands for".
_NARRATIVE_WORDS = """
    she her hers herself he him his himself they them their theirs themselves person
    typically typical usually usual often tends tend tended tending generally general
    likely commonly common mostly mainly largely frequently regularly sometimes
    customer customers member members segment segments group groups people persona
    shopper shoppers buyer buyers user users client clients peer peers others rest
    average averages overall compared comparison percent cent share times
    stand stands represent represents meet meets
"""
NARRATIVE_WORDS: frozenset[str] = frozenset(_NARRATIVE_WORDS.split())

_NEGATION_WORDS = "not no never nor neither none nothing nobody nowhere cannot without"
_NEGATIONS = frozenset(_NEGATION_WORDS.split())
_CONTRACTION_WORDS = """
    dont doesnt didnt isnt wasnt arent werent wont cant couldnt wouldnt shouldnt havent
    hasnt hadnt aint
"""
_NEGATED_CONTRACTIONS = frozenset(_CONTRACTION_WORDS.split())
#: Stop words for the claim check: the customer-text list, but negations carry meaning here.
CLAIM_STOP_WORDS: frozenset[str] = (STOP_WORDS - _NEGATIONS) - _NEGATED_CONTRACTIONS

_WORD = re.compile(r"[a-z0-9]+")
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][A-Za-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+|\n+")
_STEM_SUFFIXES = ("ingly", "edly", "ing", "ed", "ly", "er", "e")


def _words(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    text = re.sub(r"'s\b", "", text).replace("'", "")
    words = []
    for word in _WORD.findall(text):
        if word in _NEGATED_CONTRACTIONS:
            word = "not"
        words.append(word)
    return words


def _stem(word: str) -> str:
    """A crude stem: plural 's' off, then one common suffix, so both sides match loosely."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # shopp(ing) -> shop
    if len(word) > 3 and word.endswith("i"):
        word = word[:-1] + "y"  # happi(ly) -> happy
    return word


def _vocabulary(facts: NarrativeFacts) -> set[str]:
    return {_stem(word) for text in facts.texts() for word in _words(text)}


def _ignored_words(facts: NarrativeFacts) -> set[str]:
    return set(CLAIM_STOP_WORDS | NARRATIVE_WORDS | NUMBER_WORDS) | set(_words(facts.name))


def content_words(sentence: str, facts: NarrativeFacts) -> list[str]:
    """The words of ``sentence`` that carry a claim (unique, in order)."""
    ignored = _ignored_words(facts)
    out: list[str] = []
    for word in _words(sentence):
        if word in ignored or word[0].isdigit() or len(word) < 2 or word in out:
            continue
        out.append(word)
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of a short bio: split after . ! ? followed by space, and at line breaks."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def check_claims(text: str, facts: NarrativeFacts) -> list[str]:
    """The sentences of ``text`` the facts do not support, as problem strings."""
    vocabulary = _vocabulary(facts)
    ignored = _ignored_words(facts)
    problems: list[str] = []
    for number, sentence in enumerate(split_sentences(text), start=1):
        words = content_words(sentence, facts)
        unknown = [word for word in words if _stem(word) not in vocabulary]
        negations = [word for word in unknown if word in _NEGATIONS]
        if negations:
            problems.append(
                f"sentence {number} negates where the facts do not "
                f"({', '.join(negations)}): {sentence!r}"
            )
            continue
        if words and (len(words) - len(unknown)) / len(words) < SUPPORT_THRESHOLD:
            problems.append(
                f"sentence {number} is not supported by the facts "
                f"({len(words) - len(unknown)} of {len(words)} content words found; "
                f"unknown: {', '.join(unknown)}): {sentence!r}"
            )
            continue
        first = re.search(r"[A-Za-z]", sentence)
        names = [
            match.group(0)
            for match in _CAPITALISED.finditer(sentence)
            if first is not None
            and match.start() != first.start()
            and match.group(0).lower() not in ignored
            and _stem(match.group(0).lower()) not in vocabulary
        ]
        if names:
            problems.append(
                f"sentence {number} names something the facts do not "
                f"({', '.join(names)}): {sentence!r}"
            )
    return problems


def check_narrative(text: str, facts: NarrativeFacts) -> list[str]:
    """Every problem with a narrative (empty list: accepted). See the module doc for rules."""
    if not text.strip():
        return ["the bio is empty"]
    problems = []
    count = len(split_sentences(text))
    if count > MAX_SENTENCES:
        problems.append(f"the bio has {count} sentences; at most {MAX_SENTENCES} are accepted")
    return problems + check_numbers(text, facts) + check_claims(text, facts)


# --------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeOutcome:
    """What became of one narrative request: accepted, rejected (and why) or disabled."""

    status: Literal["accepted", "rejected", "disabled"]
    narrative: Narrative | None = None
    reason: str | None = None
    problems: list[str] = field(default_factory=list)
    raw: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


class _Rejected(Exception):
    """Internal: the answer cannot be used; carries the reason and the raw text."""

    def __init__(self, reason: str, raw: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= RAW_LIMIT:
        return text
    return text[:RAW_LIMIT] + f"... [{len(text) - RAW_LIMIT} more characters]"


def _strip_fence(content: str) -> str:
    """Tolerate an answer wrapped in a ``` fence, which some local servers still send."""
    match = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", content, flags=re.DOTALL)
    return match.group(1) if match else content


class NarrativeWriter:
    """Asks an OpenAI-compatible chat endpoint for a bio and keeps it only if it checks out.

    Never raises on a bad server or a bad answer: every failure becomes a rejected
    :class:`NarrativeOutcome` with a reason fit for the log, and the persona keeps its own
    bio.
    """

    def __init__(self, settings: NarrativeSettings) -> None:
        self.settings = settings

    @property
    def url(self) -> str:
        return self.settings.base_url.rstrip("/") + "/chat/completions"

    def request_body(self, facts: NarrativeFacts) -> dict:
        """The JSON body: model, temperature, JSON answer format, the rules and the facts."""
        return {
            "model": self.settings.model,
            "temperature": self.settings.temperature,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {
                    "role": "user",
                    "content": json.dumps(facts.to_payload(), ensure_ascii=False, indent=1),
                },
            ],
        }

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.settings.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def write(self, facts: NarrativeFacts) -> NarrativeOutcome:
        """Request a bio for ``facts``; accept it only if :func:`check_narrative` passes."""
        if not self.settings.enabled:
            return NarrativeOutcome("disabled", reason="narrative disabled in the settings")
        try:
            model, content = self._ask(facts)
            bio = self._bio(content)
        except _Rejected as rejected:
            log.warning("narrative for %s rejected: %s", facts.name, rejected.reason)
            return NarrativeOutcome("rejected", reason=rejected.reason, raw=_clip(rejected.raw))
        problems = check_narrative(bio, facts)
        if problems:
            reason = "the fact check failed: " + "; ".join(problems)
            log.warning("narrative for %s rejected: %s", facts.name, reason)
            return NarrativeOutcome(
                "rejected", reason=reason, problems=problems, raw=_clip(content)
            )
        log.info("narrative for %s accepted (model %s)", facts.name, model)
        narrative = Narrative(model=model, bio=bio, checked=True)
        return NarrativeOutcome("accepted", narrative=narrative, raw=_clip(content))

    def _ask(self, facts: NarrativeFacts) -> tuple[str, str]:
        """POST the request; return the answering model's name and the message content."""
        data = json.dumps(self.request_body(facts)).encode("utf-8")
        request = urllib.request.Request(self.url, data=data, headers=self._headers())
        timeout = self.settings.timeout_seconds
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(_READ_LIMIT).decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            detail = error.read(2000).decode("utf-8", errors="replace") if error.fp else ""
            raise _Rejected(
                f"the server at {self.url} answered HTTP {error.code} {error.reason}", detail
            ) from None
        except TimeoutError:
            raise _Rejected(f"no answer from {self.url} within {timeout:g} s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Rejected(f"no answer from {self.url} within {timeout:g} s") from None
            raise _Rejected(f"cannot reach {self.url}: {error.reason}") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise _Rejected(f"request to {self.url} failed: {error!r}") from None

        try:
            answer = json.loads(body)
        except json.JSONDecodeError:
            raise _Rejected("the server's response is not JSON", body) from None
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise _Rejected("the response has no choices[0].message.content", body) from None
        if not isinstance(content, str):
            raise _Rejected("the response's message content is not text", body)
        model = answer.get("model") if isinstance(answer, dict) else None
        return (model if isinstance(model, str) and model else self.settings.model), content

    @staticmethod
    def _bio(content: str) -> str:
        try:
            parsed = json.loads(_strip_fence(content))
        except json.JSONDecodeError:
            raise _Rejected("the model's answer is not JSON", content) from None
        if not isinstance(parsed, dict) or "bio" not in parsed:
            raise _Rejected('the model\'s answer has no "bio" field', content)
        bio = parsed["bio"]
        if not isinstance(bio, str) or not bio.strip():
            raise _Rejected('the model\'s "bio" is not a non-empty string', content)
        return bio.strip()
