"""Persona facets: which part of a text is a goal, a motivation, a pain point, a
frustration or an objection.

Evidence, strongest first:

1. **The survey question** an answer came from. "What almost stopped you from buying?" is
   an objection whatever words the answer uses. Questions map to facets by the workspace's
   ``[text.questions]`` table (a question id, or words the question contains → facet), then
   by the question id itself (``goal``, ``pain_point`` …), then by the default wording rules
   in :data:`DEFAULT_QUESTION_RULES`. The whole answer is one snippet of that facet.
2. **The source.** A support ticket is a problem by definition: a pain point, or a
   frustration when it is negative and says so with a cue such as "again", "still",
   "third time".
3. **Cue phrases and sentiment**, sentence by sentence, for reviews, posts and answers to
   questions with no facet: "I wanted to …" is a goal, "I almost didn't …" an objection,
   "because a friend recommended…" a motivation; otherwise a clearly negative sentence is a
   pain point (a frustration when strongly negative) and a clearly positive one says what
   they value (a motivation). Neutral sentences with no cue say nothing about the persona
   and are left out. Greetings, sign-offs and requests to support are never snippets.

A snippet keeps ``how`` it got its facet (question, source, cue, sentiment) so a report can
show, and a user can challenge, the evidence behind each facet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from personae.text.quotes import split_sentences

FACETS = ("goal", "motivation", "pain_point", "frustration", "objection")
FACET_TITLES = {
    "goal": "Goals",
    "motivation": "Motivations",
    "pain_point": "Pain points",
    "frustration": "Frustrations",
    "objection": "Objections",
}
# a question mapped to "auto" is read sentence by sentence; "ignore" drops its answers
QUESTION_CHOICES = (*FACETS, "auto", "ignore")

# Question wording → facet, tried in order (first match wins). Objections first: "What
# almost stopped you…" must not be read as a pain point because it contains "stop".
DEFAULT_QUESTION_RULES: tuple[tuple[str, str], ...] = (
    # catch-all comment boxes first: "anything else you want to tell us" is not a goal
    (
        r"anything else|any other (comments?|feedback|thoughts)|other comments|additional "
        r"(comments?|feedback)|tell us more",
        "auto",
    ),
    (
        r"almost|nearly|hesitat|put you off|hold(s|ing)? you back|stopp?(ed|ing)? you|"
        r"reservations?|doubts?|concerns? (did|do) you have|worr(y|ied)|(what|why) not\b",
        "objection",
    ),
    (r"frustrat|annoy|hate|worst|disappoint|fed up|irritat", "frustration"),
    (r"obstacle|challenge|problem|difficult|pain|struggle|hardest|issue|barrier", "pain_point"),
    (
        r"why did you (choose|pick|buy|sign|select|switch|join|decide)|what made you|"
        r"reason|convinc|decid|love about|like (most )?about|(do|did) you (choose|pick)",
        "motivation",
    ),
    (
        r"hop(e|ing) to|achieve|accomplish|goal|trying to|want to|looking (for|to)|"
        r"need to|objective|aim|help you",
        "goal",
    ),
)
# Question ids that name their facet (``pain_points``, ``Goal`` …).
_ID_FACETS = {
    "goal": "goal",
    "goals": "goal",
    "motivation": "motivation",
    "motivations": "motivation",
    "pain": "pain_point",
    "pain_point": "pain_point",
    "pain_points": "pain_point",
    "painpoint": "pain_point",
    "frustration": "frustration",
    "frustrations": "frustration",
    "objection": "objection",
    "objections": "objection",
}

_GOAL = re.compile(
    r"\b(i|we)(\s+(really|just|mainly|mostly|also))?\s+"
    r"(want(ed)?|need(ed)?|hope[ds]?|wish(ed)?|would like|would love|am hoping|was hoping|"
    r"were hoping|are hoping|am trying|was trying|are trying|were trying|"
    r"am looking|are looking|was looking)\s+(to|for)\b|"
    r"\b(i|we)'(m|re|d) (hoping|trying|looking|like|love) to\b|"
    r"\b(my|our) (main |only |real )?(goal|aim|plan|priority) (is|was)\b|"
    r"\bso (that )?(i|we) (can|could)\b",
    re.IGNORECASE,
)
_OBJECTION = re.compile(
    r"\b(almost|nearly) (didn'?t|did not|stopped|gave up|went|walked|cancelled|bought)|"
    r"\b(i|we) (was|were|am|are) (worried|hesitant|unsure|not sure|skeptical|sceptical|"
    r"afraid|concerned|nervous|on the fence)|"
    r"\b(wasn'?t|weren'?t) (sure|convinced)|\bon the fence\b|\bsecond thoughts\b|"
    r"\bput (me|us) off\b|\bput off by\b|\bhesitat\w*|\bthe only thing\b|"
    r"\bmy (only |main |biggest )?(worry|concern|doubt|hesitation)\b",
    re.IGNORECASE,
)
_MOTIVATION = re.compile(
    r"\b(because|recommended|recommend|chose|picked|switched|the reason|that's why|"
    r"sold me|won me over|convinced me|swore by|swears by|word of mouth)\b",
    re.IGNORECASE,
)
_FRUSTRATION = re.compile(
    r"\b(again|still|never|ridiculous|unacceptable|fed up|sick of|tired of|third time|"
    r"second time|waste of|annoying|annoyed|frustrat\w*|furious|useless|a joke|"
    r"every (single )?time|no one|nobody)\b",
    re.IGNORECASE,
)
# Sentences that are only politeness or a request to the support desk say nothing about
# the customer; they are never snippets on their own.
_PLEASANTRY = re.compile(
    r"^\W*(?i:hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|thanks?( you)?|"
    r"thank you( so much| very much)?|many thanks|cheers|regards|best( regards)?|"
    r"kind regards|please help|help|sincerely|thx|ty)\b"
    # followed by at most a name or "team" — "Hello, where is my order?" says something
    r"(?:[\s,]+(?:(?i:team|there|all|everyone|folks|support|guys)|[A-Z][\w'-]*)){0,2}\W*$"
)
_REQUEST = re.compile(
    r"^\W*(can|could|would|will) (you|someone|somebody|anyone)\b|^\W*please\b|"
    r"\b(let me know|get back to me|look into (it|this))\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _terminated(sentence: str) -> str:
    """A sentence ending in punctuation (a ticket's subject line has none)."""
    return sentence if sentence[-1:] in ".!?…" else sentence + "."


@dataclass(frozen=True)
class Snippet:
    """One facet-bearing piece of a document."""

    doc: int  # row of the document in the caller's list
    facet: str
    text: str
    how: str  # question | source | cue | sentiment
    compound: float  # sentiment of the snippet text


@dataclass(frozen=True)
class QuestionFacet:
    """How one survey question is read, and why (shown in the text report)."""

    facet: str  # a facet, "auto" or "ignore"
    rule: str  # "[text.questions] …", "question id", "wording: …" or "no rule matched"


class FacetRules:
    """Sorts documents into facet snippets; see the module docstring for the evidence used.

    Args:
        questions: the workspace's ``[text.questions]``: a question id (exact, any case) or
            words the question text contains (any case) → a facet, ``"auto"`` (read by cues
            and sentiment) or ``"ignore"``. Checked before the built-in rules.
        negative_threshold: a sentence at or below this compound is a pain point.
        frustration_threshold: at or below this it is a frustration (angry, not just a
            problem); so is a negative sentence with a frustration cue.
        motivation_threshold: a cue-less sentence at or above this says what they value.
        min_words: shorter sentences ("Love it!") carry no facet.
    """

    def __init__(
        self,
        questions: Mapping[str, str] | None = None,
        negative_threshold: float = -0.05,
        frustration_threshold: float = -0.5,
        motivation_threshold: float = 0.3,
        min_words: int = 3,
    ) -> None:
        self.questions = {str(k): str(v) for k, v in (questions or {}).items()}
        for key, facet in self.questions.items():
            if facet not in QUESTION_CHOICES:
                raise ValueError(
                    f"[text.questions] {key!r} = {facet!r}: use one of "
                    + ", ".join(QUESTION_CHOICES)
                )
        self.negative_threshold = negative_threshold
        self.frustration_threshold = frustration_threshold
        self.motivation_threshold = motivation_threshold
        self.min_words = min_words
        # whole words only at the start: "aim" is not in "claim", "pain" not in "Spain"
        self._rules = [
            (re.compile(rf"\b(?:{rx})", re.IGNORECASE), f) for rx, f in DEFAULT_QUESTION_RULES
        ]

    def question_facet(self, question_id: str | None, question: str | None) -> QuestionFacet:
        """The facet of a survey question and the rule that decided it."""
        qid = (question_id or "").strip()
        text = (question or "").strip()
        for key, facet in self.questions.items():
            if qid and key.casefold() == qid.casefold():
                return QuestionFacet(facet, f"[text.questions] {key!r}")
            if text and key.casefold() in text.casefold():
                return QuestionFacet(facet, f"[text.questions] {key!r}")
        if qid.casefold() in _ID_FACETS:
            return QuestionFacet(_ID_FACETS[qid.casefold()], "question id")
        for rx, facet in self._rules:
            m = rx.search(text)
            if m:
                return QuestionFacet(facet, f"wording: {m.group(0)!r}")
        return QuestionFacet("auto", "no rule matched: read sentence by sentence")

    def sentence_facet(self, sentence: str, compound: float) -> tuple[str, str] | None:
        """(facet, how) of one sentence from a review, post or unmapped answer, or None."""
        if _GOAL.search(sentence):
            return "goal", "cue"
        if _OBJECTION.search(sentence):
            return "objection", "cue"
        if compound <= self.frustration_threshold:
            return "frustration", "sentiment"
        if compound <= self.negative_threshold:
            if _FRUSTRATION.search(sentence):
                return "frustration", "cue"
            return "pain_point", "sentiment"
        if _MOTIVATION.search(sentence):
            return "motivation", "cue"
        if compound >= self.motivation_threshold:
            return "motivation", "sentiment"
        return None

    def ticket_facet(self, text: str, compound: float) -> str:
        """A ticket is a pain point; a frustration when it is negative and says so ("still
        no refund", "third time", "ridiculous"). Sentiment strength alone is not enough:
        a plain report of a broken item scores strongly negative without any anger."""
        if compound <= self.negative_threshold and _FRUSTRATION.search(text):
            return "frustration"
        return "pain_point"

    def content(self, text: str) -> list[str]:
        """The sentences of ``text`` that say something: no greetings, sign-offs, requests
        to support, or sentences shorter than ``min_words``."""
        out = []
        for line in text.splitlines():
            for sentence in split_sentences(" ".join(line.split())):
                if _PLEASANTRY.match(sentence) or _REQUEST.search(sentence):
                    continue
                if len(_WORDS.findall(sentence)) < self.min_words:
                    continue
                out.append(sentence)
        return out

    def snippets(
        self,
        sources: Sequence[str],
        question_facets: Sequence[str | None],
        texts: Sequence[str],
        compounds: Sequence[float],
        score: Callable[[list[str]], Sequence[float]],
    ) -> list[Snippet]:
        """Every snippet of every document, in document order.

        ``question_facets`` holds the facet of each survey answer's question (None for other
        sources); ``compounds`` the sentiment of each whole document (NaN: not scored, e.g.
        another language — such documents get no snippets); ``score`` scores a list of
        sentences (one call for all of them).
        """
        out: list[Snippet] = []
        pending: list[tuple[int, str]] = []  # sentences whose facet needs their own sentiment
        for i, (source, qf, text, compound) in enumerate(
            zip(sources, question_facets, texts, compounds, strict=True)
        ):
            if not isinstance(text, str) or compound != compound:  # NaN: not scored
                continue
            if source == "survey" and qf in FACETS:
                body = " ".join(text.split())
                if len(_WORDS.findall(body)) >= self.min_words:
                    out.append(Snippet(i, str(qf), body, "question", float(compound)))
                continue
            if source == "survey" and qf == "ignore":
                continue
            if source == "ticket":
                body = " ".join(_terminated(s) for s in self.content(text))
                if body:
                    facet = self.ticket_facet(body, float(compound))
                    out.append(Snippet(i, facet, body, "source", float(compound)))
                continue
            pending.extend((i, s) for s in self.content(text))
        if pending:
            scores = score([s for _, s in pending])
            for (i, sentence), c in zip(pending, scores, strict=True):
                got = self.sentence_facet(sentence, float(c))
                if got is not None:
                    out.append(Snippet(i, got[0], sentence, got[1], float(c)))
        out.sort(key=lambda s: s.doc)
        return out
