"""Stop words for customer texts: scikit-learn's English list, adjusted for what customers write.

Theme extraction should surface *what* customers talk about (delivery, sizing, protein taste,
SSO login), not *how* they talk. Three adjustments to the generic English list:

1. **Words put back** (generic English stop words that name a subject in customer texts):
   ``bill`` and ``amount`` (billing), ``system`` (software), ``call`` (support calls),
   ``empty``/``full`` ("arrived empty", "full of sugar"), ``thin``/``thick`` (fabric),
   ``side`` ("side effects"), ``top`` (clothing), ``interest`` (charges), ``fill``
   (refills), ``detail``/``describe`` ("as described").
2. **Customer-domain words added**: greetings and sign-offs (hi, hello, thanks, regards,
   team), politeness and hedges (honestly, really, just, actually, basically, probably,
   maybe, guess, think), chat filler (lol, haha, tbh, ngl, smh, ugh, omg), contractions
   written without their apostrophe (the tokenizer drops apostrophes, so "don't" is
   ``dont`` and "I'm" is ``im``), vague nouns and verbs (thing, things, stuff, lot, bit,
   get, got, want, need, like), the scaffolding of complaints and survey answers ("the
   main issue is", "biggest problem:", "every single time", "thanks for asking", "hope
   that helps"), and ``product``/``products``/``item``/``items`` — in a
   store's own feedback every text is about a product, so the word separates nothing; the
   product's *name* does.
3. **Kept on purpose**: ``order`` and ``orders`` ("order hasn't arrived", "small orders"
   carry the delivery and shipping-fee themes), ``time`` ("on time"), ``customer`` and
   ``service`` ("customer service" is a theme), sentiment words (love, great, bad — a
   praise or complaint theme is a theme; sentiment is scored separately anyway).
   Negations, on the other hand, stay stop words (``not``, ``never``, ``no``, as in the
   generic list): themes are subjects, polarity belongs to sentiment.

Brand and company names depend on the deployment; pass them as ``extra_stop_words``.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

#: Generic English stop words that name a subject in customer texts.
KEPT_FROM_ENGLISH: frozenset[str] = frozenset(
    {
        "amount",
        "bill",
        "call",
        "describe",
        "detail",
        "empty",
        "fill",
        "full",
        "interest",
        "side",
        "system",
        "thick",
        "thin",
        "top",
    }
)

_CUSTOMER_WORDS = """
    hi hello hey dear thanks thank thx ty cheers regards team sorry ok okay yes yeah kindly
    honestly really just actually basically literally simply pretty quite maybe probably
    guess think thought sure definitely totally especially mainly mostly usually fair
    lol haha tbh ngl smh ugh omg btw imo pls plz
    im ive id ill dont doesnt didnt isnt wasnt arent werent wont cant couldnt wouldnt
    shouldnt havent hasnt hadnt youre youve youd youll theyre theyve thats theres whats
    lets its weve hes shes ones
    thing things stuff lot lots bit way get gets getting got gotten want wanted wants need
    needed needs like would also make makes made use used using say said know tell going let
    trying hoping hope able etc
    issue issues problem problems main biggest worst frustrating annoying single asking helps
    product products item items
"""

CUSTOMER_STOP_WORDS: frozenset[str] = frozenset(_CUSTOMER_WORDS.split())
"""Words with no theme in customer texts, beyond the generic English list. Line by line:
greetings, sign-offs and politeness; hedges and intensifiers; chat filler; contractions
without their apostrophe (two lines); vague nouns and verbs (three lines); the scaffolding
of complaints and survey answers ("the main issue is", "biggest problem:", "every single
time", "thanks for asking", "hope that helps" — the subject comes after them); and the words
for "product" — in a store's own feedback every text is about one, so they separate
nothing (the product's *name* does)."""

#: The stop-word set the theme model uses by default.
STOP_WORDS: frozenset[str] = (
    frozenset(ENGLISH_STOP_WORDS) - KEPT_FROM_ENGLISH
) | CUSTOMER_STOP_WORDS
