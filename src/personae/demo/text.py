"""Free-text composer: varied, archetype-flavoured answers, tickets, reviews and posts.

Sentences are assembled from parts (opener + core + specific + closer) whose slots hold
synonyms, so the same archetype says the same *thing* in many different *ways* — which is
what makes theme extraction realistic. A few percent of texts get a human typo.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from personae.demo import phrases_retail, phrases_saas

_SLOT = re.compile(r"\{([^{}]*)\}")

OPENERS = {
    "goal": [
        "I want to ",
        "I'm hoping to ",
        "My goal is to ",
        "Mainly to ",
        "I'd love to ",
        "Honestly just trying to ",
        "Trying to ",
        "Mostly I want to ",
        "We need to ",
        "Really I just want to ",
        "Hoping to ",
    ],
    "pain_point": [
        "",
        "Honestly, ",
        "For me, ",
        "The most frustrating thing is that ",
        "Biggest problem: ",
        "I find that ",
        "Ugh, ",
        "Easily the worst part: ",
        "The main issue is that ",
    ],
    "motivation": [
        "",
        "Because ",
        "Mainly because ",
        "Honestly, ",
        "We picked you because ",
        "Simple: ",
        "Mostly because ",
        "I think because ",
    ],
    "objection": [
        "",
        "Honestly, ",
        "To be fair, ",
        "Mostly that ",
        "I think ",
        "The only thing: ",
        "Probably that ",
    ],
}
CLOSERS = [
    "",
    ".",
    ".",
    "!",
    ". That's about it.",
    ". Thanks for asking.",
    "...",
    ". :)",
    ". Hope that helps.",
]


@lru_cache(maxsize=4096)
def _parse(template: str) -> tuple[tuple[str, ...] | str, ...]:
    """Split a template into literal strings and tuples of alternatives (cached)."""
    parts: list[tuple[str, ...] | str] = []
    pos = 0
    for m in _SLOT.finditer(template):
        if m.start() > pos:
            parts.append(template[pos : m.start()])
        parts.append(tuple(m.group(1).split("|")))
        pos = m.end()
    if pos < len(template):
        parts.append(template[pos:])
    return tuple(parts)


def expand(template: str, rnd: random.Random) -> str:
    """Fill every ``{a|b}`` slot with one random alternative."""
    return "".join(p if isinstance(p, str) else rnd.choice(p) for p in _parse(template))


def typo(text: str, rnd: random.Random) -> str:
    """Swap two adjacent letters or drop one, inside a word of four or more letters."""
    words = [i for i, w in enumerate(text.split(" ")) if len(w) >= 4 and w.isalpha()]
    if not words:
        return text
    parts = text.split(" ")
    i = rnd.choice(words)
    w = parts[i]
    j = rnd.randrange(1, len(w) - 1)
    swap = rnd.random() < 0.5
    parts[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if swap else w[:j] + w[j + 1 :]
    return " ".join(parts)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


class TextMaker:
    """Composes all free text for one scenario from a seeded ``random.Random``."""

    def __init__(self, scenario: str, rnd: random.Random, typo_rate: float = 0.04) -> None:
        self.rnd = rnd
        self.typo_rate = typo_rate
        mod = phrases_retail if scenario == "retail" else phrases_saas
        self.bank = mod.BANK
        self.social_bank = mod.SOCIAL
        self.ticket_mix = mod.TICKET_MIX
        self.tickets = mod.TICKETS
        self.review_titles = mod.REVIEW_TITLES
        self.review_bodies = mod.REVIEW_BODIES

    def _finish(self, text: str) -> str:
        if self.rnd.random() < self.typo_rate:
            text = typo(text, self.rnd)
        return text

    def clause(self, archetype: str, kind: str) -> str:
        """A bare core clause (no opener/closer), used to flavour tickets and reviews."""
        cores, _ = self.bank[archetype][kind]
        return expand(self.rnd.choice(cores), self.rnd)

    def answer(self, archetype: str, kind: str) -> str:
        """A survey answer of ``kind`` (goal, pain_point, motivation, objection)."""
        rnd = self.rnd
        cores, specifics = self.bank[archetype][kind]
        opener = rnd.choice(OPENERS[kind])
        text = opener + expand(rnd.choice(cores), rnd)
        if rnd.random() < 0.6:
            spec = expand(rnd.choice(specifics), rnd)
            text += (", " if rnd.random() < 0.5 else " ") + spec
        text = _cap(text)
        if rnd.random() < 0.25:  # a second thought, sometimes on a new line
            other = rnd.choice([k for k in OPENERS if k != kind])
            extra = _cap(expand(rnd.choice(self.bank[archetype][other][0]), rnd))
            text += ".\n" + extra if rnd.random() < 0.3 else ". " + extra
        text += rnd.choice(CLOSERS)
        return self._finish(text)

    def ticket_category(self, archetype: str) -> str:
        mix = self.ticket_mix[archetype]
        return self.rnd.choices(list(mix), weights=list(mix.values()))[0]

    def ticket(self, archetype: str, category: str, product: str) -> tuple[str, str]:
        """Subject and body of a support ticket, with an archetype-flavoured aside."""
        rnd = self.rnd
        subjects, bodies = self.tickets[category]
        subject = expand(rnd.choice(subjects), rnd).replace("@P", product)
        body = expand(rnd.choice(bodies), rnd).replace("@P", product)
        if rnd.random() < 0.5:
            body += " " + _cap(self.clause(archetype, "pain_point")) + "."
        greet = rnd.choice(["", "Hi,\n", "Hello,\n", "Hi team,\n", "Good morning. "])
        sign = rnd.choice(["", " Thanks.", " Thank you!", " Regards.", " Please help."])
        return self._finish(subject), self._finish(greet + body + sign)

    def review(self, archetype: str, rating: int, product: str) -> tuple[str, str]:
        """Title and body whose sentiment follows the star rating."""
        rnd = self.rnd
        mood = "pos" if rating >= 4 else ("neu" if rating == 3 else "neg")
        title = expand(rnd.choice(self.review_titles[mood]), rnd)
        body = expand(rnd.choice(self.review_bodies[mood]), rnd).replace("@P", product) + "."
        kind = "motivation" if mood == "pos" else "pain_point"
        if rnd.random() < 0.75:
            body += " " + _cap(self.clause(archetype, kind)) + rnd.choice([".", "!", "."])
        if rnd.random() < 0.3:
            body += " I wanted to " + self.clause(archetype, "goal") + "."
        return self._finish(title), self._finish(body)

    def social(self, archetype: str) -> str:
        """A short post, sometimes with one or two hashtags."""
        rnd = self.rnd
        cores, tags = self.social_bank[archetype]
        text = expand(rnd.choice(cores), rnd)
        r = rnd.random()
        if r < 0.6:
            text += " " + " ".join(rnd.sample(tags, k=1 if r < 0.35 else min(2, len(tags))))
        return self._finish(text)
