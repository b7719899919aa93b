"""Offline language identification for short customer texts (the ``language`` column).

Survey answers, support tickets, reviews and social posts arrive without a language tag, but
sentiment, themes and quotes all assume English. The ``language`` column lets a pipeline
keep, route or report the texts it cannot read, so it has to be filled for every text, on
any machine, at millions of rows.

Why not a downloaded model (fastText ``lid.176``, CLD3, langdetect profiles)? Pipelines run
where there is no network at run time and where a model file is one more artefact to pin,
mirror and audit. Their accuracy also mostly pays off on the long tail of languages; the
customer texts we see are overwhelmingly in a handful of Western European languages.

Why function words? The most frequent words of a language — articles, pronouns,
prepositions, auxiliaries, conjunctions — are a closed, small set, and even an eight-word
ticket contains several of them ("the", "and", "my" / "el", "y", "me" / "der", "und",
"ich"), whatever the product, brand or typo. Content words are where short texts differ and
misspell; function words are what they share. Each language gets a frozenset of about 100 of
them, a text scores one hit per token found in a language's set, and the best language
wins. Words several languages share ("de", "a", "la", "me", "in", "no") count for each of
them, so they help a text clear the threshold but the unique ones decide. A few characters
break ties: ß/ä/ö/ü for German, ñ/¿/¡ for Spanish, ã/õ for Portuguese, ì/ò for Italian,
ç/ê/î/û/œ for French, "ij" for Dutch; è/à/ù (French or Italian) and á/í/ó/ú (Spanish or
Portuguese) separate one pair from the other.

Limits, on purpose:

* A language must score at least 2 hits (1 for a text of at most three words) *and* beat
  the runner-up; otherwise the answer is ``default`` ("und", undetermined). Most one- and
  two-word texts ("Great product", "Price", "Vitamin D3 1000 IU", "Top!!") carry no
  function word and come back "und" — honestly undetermined rather than guessed.
* Close pairs need a few words to separate: Spanish vs Portuguese, French vs Italian
  share many function words, and a three-word Spanish/Portuguese text can be "und".
* Mixed-language texts get the language with the most function words. Languages outside
  ``LANGUAGES`` come back "und", or occasionally as a neighbour (Catalan as Spanish or
  French, Afrikaans as Dutch).

Speed: per text, one lower-casing, one regex ``findall`` and one dict lookup per token;
:func:`detect_languages` caches identical texts (survey choice answers, copy-pasted
complaints), so a column of a million short texts takes seconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["LANGUAGES", "detect_language", "detect_languages"]

#: ISO 639-1 codes this module can return (besides ``default``).
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl")


def _words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated words (compact and easy to proofread)."""
    return frozenset(text.split())


# Very frequent function words per language. Words that are also common English content
# words ("want" and "door" in Dutch, "come" in Italian, "i" as an Italian article) are
# left out of the other languages so English texts do not leak into them; so is Dutch "of"
# ("or"), which with the shared "is" tied headline English ("Day 3 of prep is done") with
# Dutch; and French "y", which is far more often Spanish "and". Elided French
# and Italian forms keep their apostrophe ("l'", "qu'", "dell'"), as the tokenizer emits.
_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """
        the a an and or but if of to in on at for with from by about as into than then so
        not no is are was were be been being am has have had do does did will would can
        could should may might must i me my mine you your yours he him his she her it its we
        us our they them their this that these those there here what which who when where
        why how all any some every each just very too also only again still after before
        because while up out off over now never ever per don't didn't doesn't isn't wasn't
        aren't can't won't couldn't wouldn't haven't hasn't i'm i've i'd it's you're they're
        that's there's dont didnt doesnt isnt wasnt cant wont im ive thats u ur more most
        much many other same such both through down without since until though yet already
        today get got please thanks thank
        """
    ),
    "es": _words(
        """
        el la los las un una unos unas lo al del de y o que en a por para con sin sobre
        entre hasta desde pero porque como cuando donde muy más ya no sí si también todo
        todos nada nadie nunca siempre es son está están estoy era fue ser estar hay ha he
        han hemos tengo tiene tienen me mi mis te tu tus su sus se le les nos yo él ella
        ellos usted ustedes nosotros este esta esto estos estas ese esa eso otra otro vez
        aún todavía después antes ahora bien gracias hola qué cómo
        """
    ),
    "fr": _words(
        """
        le la les l' un une des du de d' au aux et ou mais donc car ni que qu' qui quoi ne
        n' pas plus jamais rien personne je j' tu il elle on nous vous ils elles me m' te t'
        se s' lui leur mon ma mes ton ta tes son sa ses notre nos votre vos ce c' cet cette
        ces est sont suis était été être ai a avons avez ont avait eu fait dans sur sous
        avec sans pour par chez entre vers depuis pendant très aussi encore déjà toujours
        trop bien tout tous toute toutes comme quand où si parce puis après avant merci
        bonjour en jusqu' lorsqu' puisqu'
        """
    ),
    "de": _words(
        """
        der die das den dem des ein eine einen einem einer eines und oder aber denn dass
        weil wenn als ob wie was wer wo ich du er sie es wir ihr mich mir dich dir uns euch
        ihn ihm ihnen mein meine meinen meiner dein sein seine ihre unser unsere ist sind
        bin bist war waren wird werden wurde hat habe haben hatte kann können muss soll will
        nicht kein keine keinen nichts nie noch schon auch nur sehr zu zum zur mit von vom
        bei beim für auf aus nach über unter vor durch ohne gegen um im am an in bis seit so
        dann immer wieder hier jetzt danke bitte hallo man sich mal doch ja
        """
    ),
    "pt": _words(
        """
        o a os as um uma uns umas do da dos das no na nos nas ao aos à de em por para com
        sem sobre entre até pelo pela pelos pelas e ou mas porque como quando onde que se
        não sim já ainda também muito muita mais nada ninguém nunca sempre é são está estão
        estou estava foi era ser ter tem têm tenho tinha há vou vai eu você vocês ele ela
        eles elas nós me te lhe meu minha meus seu sua seus nosso nossa isso isto este esta
        esse essa aquele depois antes agora bem só obrigado obrigada olá
        """
    ),
    "it": _words(
        """
        il lo la gli le un uno una un' l' di del della dei delle dello degli dell' al alla
        ai alle allo all' da dal dalla dall' in nel nella nei nell' con su sul sulla sull'
        per tra fra e ed o ma che non è sono sei era stato stata ho hai ha abbiamo hanno mi
        ti ci c' vi si ne io tu lui lei noi voi loro mio mia miei tuo suo sua nostro questo
        questa quest' quello quella quell' anche ancora già più molto tutto tutti niente
        nessuno mai sempre perché quando dove se solo poi dopo prima grazie ciao
        """
    ),
    "nl": _words(
        """
        de het een en maar dat die dit deze is zijn was waren ben bent wordt werd worden heb
        hebt heeft hebben had hadden kan kon kunnen moet moeten zou zal wil ik jij je u hij
        zij ze wij we mij me ons onze mijn jouw uw hun haar niet geen nooit nog wel ook al
        dan als naar van voor met op aan in uit bij om te tot over na zonder tegen onder er
        hier daar nu toen omdat wat hoe waar wie zo veel erg heel meer alleen toch weer mee
        bedankt alstublieft graag hallo
        """
    ),
}

_N = len(LANGUAGES)

# word -> indices (into LANGUAGES) of the languages listing it: one dict lookup per token.
_WORD_LANGS: dict[str, tuple[int, ...]] = {}
for _i, _lang in enumerate(LANGUAGES):
    for _w in _WORDS[_lang]:
        _WORD_LANGS[_w] = (*_WORD_LANGS.get(_w, ()), _i)

# Characters typical of a language, used only to break a tie: the tied language with the
# most distinct hint characters in the text wins. Accents several languages use are listed
# for each of them (è/à/ù: French and Italian; á/í/ó/ú: Spanish and Portuguese), so they
# separate French from Spanish, or Italian from Portuguese, but not the pairs sharing them.
_HINTS: dict[str, frozenset[str]] = {
    "en": frozenset(),
    "es": frozenset("ñ¿¡áíóú"),
    "fr": frozenset("çêîûœëïâôèàù"),
    "de": frozenset("äöüß"),
    "pt": frozenset("ãõçâêôáíóú"),
    "it": frozenset("ìòèàù"),
    "nl": frozenset(),  # the digraph "ij", see _hint
}

# Elided French/Italian prefixes become tokens of their own ("l'avion" -> "l'", "avion";
# "dell'ordine" -> "dell'", "ordine") while English contractions stay whole ("don't").
_ELIDED = "qu|lorsqu|puisqu|jusqu|quoiqu|dell|dall|nell|sull|all|quest|quell|un|[cdjlmnst]"
_TOKEN = re.compile(rf"\b(?:{_ELIDED})'(?=[^\W\d_])|[^\W\d_]+(?:'[^\W\d_]+)*")


def _hint(text: str, lang_index: int) -> int:
    lang = LANGUAGES[lang_index]
    if lang == "nl":
        return int("ij" in text)
    hints = _HINTS[lang]
    return sum(1 for ch in hints if ch in text)


def _detect(text: object) -> str | None:
    """The language of ``text``, or None when undetermined."""
    if not isinstance(text, str):
        return None
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    scores = [0] * _N
    lookup = _WORD_LANGS.get
    for token in tokens:
        langs = lookup(token)
        if langs:
            for i in langs:
                scores[i] += 1
    best = max(scores)
    if best < (1 if len(tokens) <= 3 else 2):
        return None
    tied = [i for i in range(_N) if scores[i] == best]
    if len(tied) == 1:
        return LANGUAGES[tied[0]]
    hints = [_hint(text, i) for i in tied]
    top = max(hints)
    if top == 0 or hints.count(top) > 1:
        return None
    return LANGUAGES[tied[hints.index(top)]]


def detect_language(text: str | None, default: str = "und") -> str:
    """ISO 639-1 code of the language of a short text, or ``default`` when undetermined.

    Undetermined means: no letters (None, blank, emoji, numbers), too few function words, or
    a tie between languages that no characteristic character breaks.
    """
    return _detect(text) or default


def detect_languages(texts: Sequence[str | None], default: str = "und") -> list[str]:
    """:func:`detect_language` for each text, in order; identical texts are detected once."""
    cache: dict[object, str] = {}
    out: list[str] = []
    append = out.append
    for text in texts:
        lang = cache.get(text)
        if lang is None:
            lang = cache[text] = _detect(text) or default
        append(lang)
    return out
