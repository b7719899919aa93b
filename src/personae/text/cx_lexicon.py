"""Customer-experience (CX) lexicon that extends VADER for orders, tickets, reviews and posts.

VADER's lexicon was built from social-media text; customer texts differ in three ways this
module addresses, each as plain data so it can be reviewed and extended without touching the
scoring code (see docs/sentiment.md):

* **Missing CX vocabulary.** Complaints are often told with no classic sentiment word at all
  ("late", "out of stock", "still waiting", "never replied", "charged twice"), and praise with
  service words ("on time", "seamless", "went above and beyond"). ``WORDS`` and ``PHRASES`` add
  them on VADER's -4..+4 scale. Multi-word phrases are merged into one token before scoring, so
  VADER's negation ("delivery was *not* late") and intensifiers ("*extremely* slow") apply to
  them exactly as to single words.
* **Words VADER rates that are neutral in CX.** "support" (the department), "please", "gift",
  "friend" (referral), "credit card", "customer success", "kind regards"... A value of ``0.0``
  removes a word from the lexicon (it becomes an ordinary word again, so it no longer blocks
  negation or boosting of its neighbours); a ``0.0`` phrase is merged but carries no valence.
* **Intensifiers and negators** customers use that VADER does not list ("too slow",
  "super helpful", "nobody replied").

Valences were set by hand, guided by the tuning set ``tests/data/sentiment_dev.csv``; the
held-out ``tests/data/sentiment_eval.csv`` was not used to choose them.
"""

from __future__ import annotations

from itertools import product

# ---------------------------------------------------------------------------------------------
# Single words: new CX vocabulary and re-weighted VADER entries (0.0 = neutral, removed).
# ---------------------------------------------------------------------------------------------

_NEGATIVE_WORDS: dict[str, float] = {
    # delivery and fulfilment
    "late": -1.5,
    "delayed": -1.6,
    "delay": -1.2,
    "delays": -1.3,
    "overdue": -1.3,
    "missing": -1.5,
    "waiting": -0.5,
    # damaged goods
    "melted": -1.5,
    "leaking": -1.6,
    "leaky": -1.5,
    "cracked": -1.6,
    "smashed": -2.0,
    "shattered": -2.0,
    "dented": -1.2,
    "squashed": -1.2,
    "soaked": -1.3,
    "spilled": -1.3,
    "spilt": -1.3,
    "expired": -1.8,
    # product quality (apparel, supplements, skincare)
    "faded": -1.2,
    "ripped": -1.8,
    "snapped": -1.6,
    "shrunk": -1.5,
    "shrank": -1.5,
    "pilling": -1.2,
    "see-through": -1.4,
    "flimsy": -1.8,
    "cheaply": -1.4,
    "scratchy": -1.2,
    "chalky": -1.5,
    "clumpy": -1.3,
    "lumpy": -1.2,
    "gritty": -1.2,
    "fishy": -1.2,
    "rancid": -2.2,
    "stale": -1.3,
    "greasy": -1.0,
    "sticky": -0.8,
    "heartburn": -1.5,
    "headache": -1.5,
    "headaches": -1.5,
    "nausea": -1.8,
    "nauseous": -1.8,
    "bloated": -1.2,
    "bloating": -1.2,
    "breakout": -1.6,
    "breakouts": -1.6,
    "hives": -1.6,
    "irritation": -1.6,
    "stinging": -1.4,
    # service
    "hassle": -1.5,
    "fuss": -1.0,
    "unresponsive": -2.0,
    "unanswered": -1.8,
    "ghosted": -2.0,
    "unhelpful": -1.8,
    "rude": -2.3,
    "pushy": -1.8,
    "chasing": -1.2,
    "spam": -1.5,
    "spammy": -1.5,
    "nightmare": -2.5,
    "joke": -1.0,
    # billing and price
    "overcharged": -2.2,
    "overcharge": -2.0,
    "overcharging": -2.2,
    "overbilled": -2.0,
    "double-charged": -2.0,
    "overpriced": -2.0,
    "pricey": -0.8,
    "expensive": -1.0,
    "refund": -0.5,
    "refunds": -0.5,
    "chargeback": -1.8,
    "rip-off": -2.5,
    "ripoff": -2.5,
    "canceled": -1.0,
    # software (SaaS, app, checkout)
    "slow": -1.5,
    "slowly": -1.2,
    "slower": -1.2,
    "sluggish": -1.6,
    "laggy": -1.6,
    "lag": -1.0,
    "buggy": -2.0,
    "glitchy": -1.8,
    "glitch": -1.2,
    "glitches": -1.3,
    "bug": -1.0,
    "bugs": -1.2,
    "crashes": -1.8,
    "crashed": -1.8,
    "crashing": -1.8,
    "freezes": -1.5,
    "frozen": -1.2,
    "outage": -2.0,
    "outages": -2.0,
    "downtime": -1.5,
    "timeout": -1.3,
    "timeouts": -1.3,
    "unusable": -2.5,
    "clunky": -1.5,
    "outdated": -1.2,
    "confusing": -1.5,
    "complicated": -1.2,
    "convoluted": -1.5,
    "unintuitive": -1.6,
    "inaccurate": -1.8,
    "incorrect": -1.5,
    "unreliable": -2.0,
    "flaky": -1.5,
    "downgrade": -1.5,
    "issue": -1.0,
    "issues": -1.0,
    "pointless": -1.5,
    "excessive": -1.2,
    "rubbish": -2.0,
    "garbage": -2.0,
    "junk": -1.8,
    "breaks": -1.5,
    "hole": -1.2,
    "holes": -1.2,
    "cardboard": -1.2,  # "tastes like cardboard"
    "chalk": -1.2,
    # frequent misspellings of strong words
    "disapointed": -2.1,
    "dissapointed": -2.1,
    "disapointing": -2.2,
    "dissapointing": -2.2,
    "terible": -2.1,
    "horible": -2.5,
}

_POSITIVE_WORDS: dict[str, float] = {
    # speed and reliability
    "quick": 1.5,
    "quickly": 1.5,
    "quicker": 1.5,
    "fast": 1.5,
    "faster": 1.3,
    "fastest": 1.8,
    "speedy": 1.6,
    "prompt": 1.5,
    "promptly": 1.6,
    "swift": 1.5,
    "swiftly": 1.5,
    "early": 0.8,
    "reliable": 1.8,
    "reliably": 1.5,
    "seamless": 2.0,
    "seamlessly": 2.0,
    "smooth": 1.6,
    "smoothly": 1.6,
    "smoother": 1.6,
    "painless": 1.8,
    "effortless": 2.0,
    "intuitive": 1.8,
    "accurate": 1.2,
    "affordable": 1.2,
    # people
    "knowledgeable": 1.8,
    "professional": 1.2,
    "polite": 1.6,
    "courteous": 1.8,
    "attentive": 1.8,
    "patient": 1.0,
    # resolution
    "resolved": 2.0,
    "solved": 2.0,
    "fixed": 1.5,
    "fixing": 1.0,
    "sorting": 1.0,
    "sorted": 1.5,
    "refunded": 1.0,
    "replaced": 0.5,
    "replied": 0.8,
    "responded": 0.8,
    "answered": 0.8,
    # product quality
    "well-made": 1.8,
    "sturdy": 1.5,
    "durable": 1.6,
    "breathable": 1.3,
    "squat-proof": 1.5,
    "hydrating": 1.2,
    "hydrated": 1.0,
    "glowing": 1.5,
    # advocacy and social-media slang
    "recommend": 2.0,
    "recommending": 2.0,
    "recommended": 1.5,
    "obsessed": 2.0,
    "shoutout": 1.5,
    "shout-out": 1.5,
    "legend": 2.5,
    "legends": 2.5,
    "life-saver": 2.8,
    "gamechanger": 2.5,
    "game-changer": 2.5,
    "fire": 1.5,  # the fire emoji ("🔥") and "this is fire"; literal fires are rare here
    "10/10": 2.5,
    "5/5": 2.5,
    "4/5": 1.5,
    "2/5": -1.2,
    "1/5": -2.2,
    "1/10": -2.2,
    "0/10": -2.5,
    "awsome": 3.1,
}

# VADER words that describe the domain rather than an opinion in customer texts.
_NEUTRALISED_WORDS: dict[str, float] = {
    "please": 0.0,  # request marker in tickets ("Please send the invoice")
    "support": 0.0,  # the department ("Support is slow")
    "gift": 0.0,  # a purchase occasion in retail
    "friend": 0.0,  # referral source ("A friend told me about you")
    "friends": 0.0,
    "accept": 0.0,  # "What payment methods do you accept?"
    "share": 0.0,  # product feature ("share a dashboard")
    "shared": 0.0,
    "alert": 0.0,  # product feature ("Slack alerts")
    "intelligence": 0.0,  # "business intelligence"
    "engagement": 0.0,  # a metric
    "growth": 0.0,  # a metric / a team
    "wish": 0.0,  # "I wish it had..." is a request, often a complaint
    "sorry": 0.0,
    "honestly": 0.0,  # discourse marker ("Honestly, the delivery is awful")
    "surely": 0.0,
    "apologize": 0.0,
    "promised": 0.0,  # mostly "as promised" inside complaints
    "promise": 0.0,
    "cancel": 0.0,  # a request ("How do I cancel?"); "cancelled" keeps VADER's -1.0
    "help": 0.8,  # "can you help me" is a request; praise uses "helpful", "great help"
    "hope": 0.5,
    "hoping": 0.5,
    "hopefully": 0.8,
    "interested": 0.5,
    "interest": 0.5,
    "healthy": 0.8,  # product descriptor in a wellness shop
    "natural": 0.5,
    "okay": 0.5,  # "It's okay" is a three-star verdict
    "ok": 0.6,
}

# ---------------------------------------------------------------------------------------------
# Multi-word phrases, matched on lower-cased, punctuation-stripped tokens (longest first).
# ---------------------------------------------------------------------------------------------

_NEGATIVE_PHRASES: dict[str, float] = {
    # stock and delivery
    "out of stock": -1.8,
    "sold out": -1.2,
    "still waiting": -1.8,
    "been waiting": -1.5,
    "still no": -1.5,
    "went missing": -1.8,
    "got lost": -1.5,
    "nothing arrived": -1.8,
    "never arrived": -2.2,
    "never came": -2.0,
    "never showed up": -2.0,
    "never received": -2.2,
    "never delivered": -2.0,
    "yet to arrive": -1.5,
    "yet to receive": -1.5,
    "where is my order": -1.5,
    "where's my order": -1.5,
    "where is my parcel": -1.5,
    "where's my parcel": -1.5,
    "where is my package": -1.5,
    "where's my package": -1.5,
    "where is my refund": -1.8,
    "where's my refund": -1.8,
    "took forever": -2.0,
    "takes forever": -2.0,
    "taking forever": -2.0,
    "take forever": -2.0,
    "took ages": -1.8,
    "takes ages": -1.8,
    "took a week": -1.2,
    "took weeks": -1.5,
    "took months": -1.5,
    "weeks later": -1.2,
    "a week later": -1.2,
    # service
    "on hold": -1.5,
    "hung up": -2.0,
    "had to chase": -1.8,
    "chase up": -1.2,
    "in circles": -1.2,
    "copy paste": -1.0,
    "copy-paste": -1.0,
    "canned response": -1.2,
    "no reply": -2.0,
    "no replies": -2.0,
    "zero replies": -2.0,
    "no response": -2.0,
    "no answer": -1.5,
    "no word": -1.2,
    "no update": -1.2,
    "no updates": -1.2,
    "no tracking": -1.2,
    "no refund": -2.0,
    "no explanation": -1.5,
    "without explanation": -1.5,
    "no warning": -1.5,
    "without warning": -1.5,
    "without notice": -1.2,
    "hit and miss": -1.2,
    "nothing special": -0.6,
    "nothing to write home about": -0.8,
    "nothing more": -0.4,
    "hit or miss": -1.2,
    "thanks for nothing": -2.5,
    "no thanks": -1.0,
    "oh great": -1.5,
    # billing
    "charged twice": -2.0,
    "billed twice": -2.0,
    "double charged": -2.0,
    "charged again": -1.5,
    "billed again": -1.5,
    "after cancelling": -1.2,
    "after canceling": -1.2,
    "after cancellation": -1.2,
    "hidden fees": -2.0,
    "hidden charges": -2.0,
    "price increase": -1.2,
    "price hike": -1.5,
    "gone up": -0.8,
    "went up": -0.8,
    "gone down": -0.8,
    "went down": -0.8,
    # product and software
    "broke out": -1.8,
    "break out": -1.8,
    "breaking out": -1.8,
    "fell apart": -2.0,
    "falls apart": -2.0,
    "falling apart": -2.0,
    "came apart": -1.8,
    "stopped working": -2.0,
    "not working": -2.0,
    "isn't working": -2.0,
    "doesn't work": -2.0,
    "does not work": -2.0,
    "didn't work": -1.8,
    "did not work": -1.8,
    "don't work": -1.8,
    "won't load": -1.8,
    "doesn't load": -1.8,
    "not loading": -1.8,
    "keeps crashing": -2.2,
    "is down": -1.5,
    "are down": -1.5,
    "was down": -1.5,
    "were down": -1.5,
    "been down": -1.5,
    "down again": -1.5,
    "marked as delivered": -1.0,  # status says delivered, customer says otherwise
    "marked it delivered": -1.0,
    "says delivered": -1.0,
    "shows delivered": -1.0,
    "shows as delivered": -1.0,
    "showing as delivered": -1.0,
    "logs me out": -1.5,
    "logged me out": -1.5,
    "logging me out": -1.5,
    "can't log in": -1.8,
    "cannot log in": -1.8,
    "can't login": -1.8,
    "unable to log in": -1.8,
    "did nothing": -1.5,
    "does nothing": -1.5,
    "don't match": -1.2,
    "doesn't match": -1.2,
    "do not match": -1.2,
    "didn't match": -1.2,
    "don't add up": -1.2,
    "doesn't add up": -1.2,
    "needs to be fixed": -1.5,
    "please help": -0.5,
    "see through": -1.2,
    # churn
    "never again": -2.0,
    "never ordering": -2.0,
    "never buying": -2.0,
    "won't be ordering": -1.8,
    "won't be back": -1.8,
    "won't be buying": -1.8,
    "stopped ordering": -1.5,
    "stopped using": -1.5,
    "looking at alternatives": -1.2,
    "look at alternatives": -1.2,
    "looking for alternatives": -1.2,
    # star ratings written out
    "zero stars": -2.5,
    "0 stars": -2.5,
    "one star": -2.2,
    "1 star": -2.2,
    "two stars": -1.2,
    "2 stars": -1.2,
}

_POSITIVE_PHRASES: dict[str, float] = {
    "on time": 1.5,
    "ahead of schedule": 1.8,
    "earlier than expected": 1.8,
    "earlier than promised": 1.8,
    "quicker than expected": 1.8,
    "faster than expected": 1.8,
    "a day early": 1.5,
    "above and beyond": 3.0,
    "extra mile": 2.5,
    "just works": 2.0,
    "works well": 1.8,
    "works again": 1.5,
    "working again": 1.5,
    "works now": 1.5,
    "working now": 1.2,
    "as advertised": 1.5,
    "as described": 1.2,
    "true to size": 1.5,
    "well packaged": 1.5,
    "well packed": 1.5,
    "well made": 1.8,
    "value for money": 1.8,
    "worth every penny": 2.8,
    "worth it": 1.8,
    "worth the price": 1.8,
    "worth the money": 1.8,
    "game changer": 2.5,
    "life saver": 2.8,
    "no questions asked": 1.5,
    "no brainer": 2.0,
    "no-brainer": 2.0,
    "can't fault": 2.0,
    "cannot fault": 2.0,
    "can't complain": 1.5,
    "cannot complain": 1.5,
    "can't go wrong": 1.8,
    "couldn't be happier": 3.0,
    "could not be happier": 3.0,
    "buy again": 1.5,
    "order again": 1.5,
    "ordering again": 1.5,
    "buying again": 1.5,
    "purchase again": 1.5,
    "back in stock": 1.0,
    "thank you": 1.9,
    "many thanks": 1.0,
    "free sample": 1.0,
    "four stars": 1.5,
    "4 stars": 1.5,
    "five stars": 2.5,
    "5 stars": 2.5,
}

# Phrases that contain a VADER word but are formulaic or descriptive in customer texts.
_NEUTRAL_PHRASES: dict[str, float] = {
    # greetings and sign-offs
    "good morning": 0.0,
    "good afternoon": 0.0,
    "good evening": 0.0,
    "kind regards": 0.0,
    "kindest regards": 0.0,
    "best regards": 0.0,
    "warm regards": 0.0,
    "best wishes": 0.0,
    "thanks in advance": 0.0,
    "thank you in advance": 0.0,
    "hope you're well": 0.0,
    "hope you are well": 0.0,
    "hope this helps": 0.0,
    "hope that helps": 0.0,
    "have a nice day": 0.0,
    "have a good day": 0.0,
    "have a great day": 0.0,
    # "like" as a preposition or a polite request
    "would like": 0.0,
    "i'd like": 0.0,
    "we'd like": 0.0,
    "tastes like": 0.0,
    "taste like": 0.0,
    "smells like": 0.0,
    "smell like": 0.0,
    "looks like": 0.0,
    "look like": 0.0,
    "feels like": 0.0,
    "feel like": 0.0,
    "seems like": 0.0,
    "sounds like": 0.0,
    "just like": 0.0,
    "more like": 0.0,
    "something like": 0.0,
    "is like": 0.0,
    "it's like": 0.0,
    "was like": 0.0,
    # domain nouns
    "customer care": 0.0,
    "customer success": 0.0,
    "customer support": 0.0,
    "skin care": 0.0,
    "self care": 0.0,
    "credit card": 0.0,
    "gift card": 0.0,
    "gift cards": 0.0,
    "sugar free": 0.0,
    "gluten free": 0.0,
    "dairy free": 0.0,
    "free plan": 0.0,
    "free trial": 0.0,
    "free tier": 0.0,
    "business intelligence": 0.0,
    "sick days": 0.0,
    "blood pressure": 0.0,
    "blood sugar": 0.0,
    "best way": 0.0,
    "best practice": 0.0,
    "best practices": 0.0,
    "fat burner": 0.0,
    "fat burning": 0.0,
    "win rate": 0.0,
    "stress relief": 0.5,
    "pain relief": 0.5,
    "saved filters": 0.0,
    "saved reports": 0.0,
    "saved views": 0.0,
    "saved card": 0.0,
    "saved cards": 0.0,
    "saved searches": 0.0,
    "in stock": 0.0,
    "nothing but": 0.0,  # "nothing but praise": neither a negation nor a contrast
    "as expected": 0.0,
    "three stars": 0.0,
    "3 stars": 0.0,
}


def _suggestion_phrases() -> dict[str, float]:
    """'Would be nice/great if...': feature requests, which we label neutral, not praise."""
    adjectives = ("nice", "great", "good", "useful", "helpful", "handy", "cool", "awesome")
    out = {f"{lead} {adj}": 0.0 for lead, adj in product(("would be", "it'd be"), adjectives)}
    out.update({"would love": 0.5, "would love to see": 0.0, "i'd love": 0.5})
    return out


def _no_reply_phrases() -> dict[str, float]:
    """'nobody replied', 'never got back', 'haven't heard back': silence is a complaint."""
    verbs = (
        "replied",
        "responded",
        "answered",
        "got back",
        "called back",
        "called",
        "told me",
        "told us",
        "warned",
        "helped",
        "cares",
        "bothered",
        "followed up",
        "heard back",
        "came",
    )
    out: dict[str, float] = {}
    for who, verb in product(("nobody", "no one", "noone", "no-one", "never"), verbs):
        out[f"{who} {verb}"] = -2.0
    for aux, verb in product(
        ("haven't", "hasn't", "have not", "has not", "didn't", "did not", "not"),
        ("replied", "responded", "heard back", "got back", "received", "arrived", "been refunded"),
    ):
        out[f"{aux} {verb}"] = -1.8
    for aux, verb in product(
        ("didn't", "did not", "never"), ("reply", "respond", "answer", "arrive", "receive")
    ):
        out[f"{aux} {verb}"] = -1.8
    for subj in ("wasn't", "was not", "not", "never"):
        out[f"{subj} delivered"] = -1.8
    return out


def _emoji_phrases() -> dict[str, float]:
    """Emoji arrive as VADER's text descriptions; these ones carry CX sentiment VADER misses."""
    return {
        "face with rolling eyes": -1.5,
        "clown face": -1.5,
        "face with steam from nose": -1.8,
        "pouting face": -2.0,
        "persevering face": -1.5,
        "expressionless face": -1.0,
        "unamused face": -1.5,
        "person facepalming": -1.8,
        "man facepalming": -1.8,
        "woman facepalming": -1.8,
        "upside-down face": -0.5,
        "thumbs down": -1.8,
        "thumbs up": 1.8,
        "raising hands": 1.8,
        "clapping hands": 1.5,
        "folded hands": 1.0,
        "party popper": 1.5,
        "hundred points": 1.5,
        "glowing star": 1.5,
        "star-struck": 2.0,
        "face with tears of joy": 1.5,
    }


WORDS: dict[str, float] = {**_NEGATIVE_WORDS, **_POSITIVE_WORDS, **_NEUTRALISED_WORDS}
"""Single-token entries: new CX words and re-weighted VADER words (0.0 = neutral)."""

PHRASES: dict[str, float] = {
    **_suggestion_phrases(),
    **_no_reply_phrases(),
    **_emoji_phrases(),
    **_NEGATIVE_PHRASES,
    **_POSITIVE_PHRASES,
    **_NEUTRAL_PHRASES,
}
"""Multi-word entries (space-separated, lower case), merged into one token before scoring."""

BOOSTERS: dict[str, float] = {
    "too": 0.293,
    "super": 0.293,
    "pretty": 0.293,
    "way": 0.293,
    "insanely": 0.293,
    "ridiculously": 0.293,
    "seriously": 0.293,
    "definitely": 0.293,
    "truly": 0.293,
    "genuinely": 0.293,
    "certainly": 0.293,
}
"""Extra intensifiers (VADER's increment); they leave VADER's lexicon to act as boosters."""

NEGATORS: frozenset[str] = frozenset({"nobody", "noone", "no-one", "no one"})
"""Extra negation words ("nobody was helpful"); "no one" is matched as a phrase."""

SIGNOFFS: frozenset[str] = frozenset(
    {"thanks", "thank you", "thx", "ty", "cheers", "many thanks", "regards"}
)
"""Courtesy closings: after a complete sentence they are formula, not satisfaction."""
