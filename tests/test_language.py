"""Language identification: short customer texts in seven languages, noise, and the demo corpus."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from personae.text.language import LANGUAGES, detect_language, detect_languages

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The delivery was late again and nobody answered my email",
        "I love the new formula, it tastes so much better than before",
        "Can you please cancel my subscription? I was charged twice this month.",
        "The leggings are too small and the return label doesn't work",
        "Great service, the staff at the store were really helpful with my questions",
        "Why is there no tracking number for my order?",
    ],
    "es": [
        "El pedido llegó tarde y nadie me contestó",
        "Me encanta la crema, pero el envase es muy pequeño",
        "¿Por qué me cobraron dos veces el mismo pedido?",
        "La talla no es la correcta y quiero devolverlo",
        "Muy buen servicio, los productos llegaron en perfecto estado",
        "Todavía no he recibido el reembolso que me prometieron",
    ],
    "fr": [
        "La livraison est arrivée avec trois jours de retard",
        "Je n'ai toujours pas reçu mon remboursement",
        "Le produit est très bien mais l'emballage était abîmé",
        "Pourquoi est-ce que ma commande a été annulée sans explication ?",
        "Service client au top, ils m'ont répondu en moins d'une heure",
        "C'est la deuxième fois que je reçois le mauvais article",
    ],
    "de": [
        "Die Lieferung kam zu spät und niemand hat auf meine E-Mail geantwortet",
        "Ich habe die falsche Größe bekommen und möchte sie umtauschen",
        "Das Produkt ist super, aber leider viel zu teuer",
        "Warum wurde mir der Betrag zweimal abgebucht?",
        "Sehr freundlicher Kundenservice, ich bestelle gerne wieder",
        "Der Gutscheincode funktioniert nicht an der Kasse",
    ],
    "pt": [
        "O pedido chegou atrasado e ninguém respondeu o meu email",
        "Adorei o creme, mas a embalagem veio danificada",
        "Ainda não recebi o reembolso da minha devolução",
        "Por que fui cobrado duas vezes pela mesma compra?",
        "O atendimento foi ótimo e resolveram tudo muito rápido",
        "A cor do produto é diferente da foto do site",
    ],
    "it": [
        "Il pacco è arrivato in ritardo e nessuno mi ha risposto",
        "Ho ricevuto la taglia sbagliata e vorrei fare un cambio",
        "Il prodotto è ottimo ma la spedizione costa troppo",
        "Perché mi avete addebitato due volte lo stesso ordine?",
        "Servizio clienti gentilissimo, hanno risolto tutto in un giorno",
        "Non riesco ad applicare il codice sconto nell'app",
    ],
    "nl": [
        "De bezorging was weer te laat en niemand heeft mijn e-mail beantwoord",
        "Ik heb de verkeerde maat gekregen en wil het ruilen",
        "Het product is goed maar de verzendkosten zijn te hoog",
        "Waarom is mijn bestelling nog steeds niet verzonden?",
        "Vriendelijke klantenservice, ze hebben alles snel opgelost",
        "De kortingscode werkt niet bij het afrekenen",
    ],
}

CASES = [(lang, text) for lang, texts in SENTENCES.items() for text in texts]


def test_languages_cover_the_brief() -> None:
    assert set(LANGUAGES) >= {"en", "es", "fr", "de", "pt", "it", "nl"}
    assert set(SENTENCES) == set(LANGUAGES)


@pytest.mark.parametrize(
    ("lang", "text"), CASES, ids=[f"{lg}-{i}" for i, (lg, _) in enumerate(CASES)]
)
def test_customer_sentences(lang: str, text: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "i ordred teh shoes but they never arived, can u help me pls",
        "hi my pakage hasnt come yet its been 2 weeks whats going on",
        "cant log in to my acount since the update!!",
        "wrong size AGAIN. want refund not store credit",
        "thx for the quick reply, the replacment came today",
        "Ur app keeps crashing when i try to checkout",
    ],
)
def test_english_with_typos(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text", [None, "", "   ", "\n\t", "🙂🙂🔥", "12345", "5/5 !!!", "👍 10/10"]
)
def test_no_letters_is_undetermined(text: str | None) -> None:
    assert detect_language(text) == "und"


@pytest.mark.parametrize("text", ["Great product", "Price", "Okay", "Seamless Leggings"])
def test_too_few_function_words_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


@pytest.mark.parametrize(
    "text",
    ["Vitamin D3 1000 IU", "Oat Energy Bars 12-pack", "Rosehip Face Oil 30ml", "SPF 50 Sun Cream"],
)
def test_product_names_are_not_a_wrong_language(text: str) -> None:
    assert detect_language(text) in {"und", "en"}


def test_custom_default() -> None:
    assert detect_language(None, default="xx") == "xx"
    assert detect_language("🙂", default="") == ""
    assert detect_language("Great product", default="unknown") == "unknown"
    assert detect_language("The box was empty", default="xx") == "en"
    assert detect_languages([None, "The box was empty"], default="?") == ["?", "en"]


def test_apostrophes_and_elision() -> None:
    # French and Italian elisions split off ("l'", "c'", "dell'"); English contractions
    # stay whole; typographic apostrophes count the same as straight ones.
    assert detect_language("C'est l'appli qu'il faut") == "fr"
    assert detect_language("L'ordine dell'altro giorno") == "it"
    assert detect_language("I don't think it's right") == "en"
    assert detect_language("I don’t think it’s right") == "en"


def test_case_and_unicode_forms() -> None:
    assert detect_language("EL PEDIDO LLEGÓ TARDE Y NADIE ME CONTESTÓ") == "es"
    decomposed = "Die Lieferung kam zu spa\u0308t und ich bin sehr unzufrieden"
    assert detect_language(decomposed) == "de"


def test_detect_languages_matches_per_text_and_keeps_order() -> None:
    texts: list[str | None] = [text for _, text in CASES]
    texts += [None, "", "🙂", "Great product", texts[0], texts[7], None, texts[0]]
    texts = texts[::-1]
    got = detect_languages(texts)
    assert got == [detect_language(t) for t in texts]
    assert len(got) == len(texts)
    assert detect_languages([]) == []
    assert detect_languages(("Das ist gut so", "Das ist gut so")) == ["de", "de"]


# ---- the demo corpus: every free text is English ---------------------------------------------

# Survey questions answered in free text (the others are choices or a 0-10 score).
FREE_TEXT_QUESTIONS = {"goal", "pain_point", "motivation", "objection"}


def _csv_rows(path: Path) -> list[dict]:
    # The demo plants latin-1 bytes and broken rows; read leniently.
    text = path.read_bytes().decode("utf-8", errors="replace")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _jsonl_rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _free_texts(data: Path) -> dict[str, list[str]]:
    survey = [
        r["Answer"]
        for r in _csv_rows(data / "survey_responses.csv")
        if r.get("Question ID") in FREE_TEXT_QUESTIONS
    ]
    sources = {
        "survey": survey,
        "reviews": [r.get("Body") for r in _csv_rows(data / "reviews.csv")],
        "tickets": [r.get("body") for r in _jsonl_rows(data / "support_tickets.jsonl")],
        "social": [r.get("text") for r in _jsonl_rows(data / "social_posts.jsonl")],
    }
    return {
        name: [t for t in texts if isinstance(t, str) and t.strip()]
        for name, texts in sources.items()
    }


def test_demo_free_texts_are_english(retail_data: Path) -> None:
    # Overall, not per source: social posts are headline English ("Refill day again:
    # low-waste wins #zerowaste") with few function words, so some are rightly "und".
    texts = _free_texts(retail_data)
    items: list[str] = []
    for name, source in texts.items():
        assert len(source) >= 50, (name, len(source))
        items += source
    langs = detect_languages(items)
    share = langs.count("en") / len(langs)
    misses = [(t, lg) for t, lg in zip(items, langs, strict=True) if lg != "en"]
    assert share >= 0.97, (share, misses[:10])
    # Undetermined is acceptable; calling English texts another language is not.
    wrong = [(t, lg) for t, lg in misses if lg != "und"]
    assert len(wrong) <= 0.005 * len(items), wrong[:10]
