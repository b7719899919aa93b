"""PII scrubber: every PII shape we support is removed; ordinary sentences survive.

The property tests generate PII items (with what must not survive) and carrier sentences,
scrub, and check that no original PII substring — and, for numbers, no run of six of the
original digits — is left, and that the kind's placeholder is there.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import phonenumbers
import pytest
from faker.providers.person.de_DE import Provider as DePerson
from faker.providers.person.en_GB import Provider as GbPerson
from faker.providers.person.en_US import Provider as UsPerson
from faker.providers.person.es_ES import Provider as EsPerson
from faker.providers.person.fr_FR import Provider as FrPerson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from personae.text.pii import _PLACES_AND_BRANDS as PLACES_AND_BRANDS
from personae.text.pii import KINDS, PiiScrubber, common_words, gazetteer, name_key

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- PII items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One piece of PII as written into a text, and what must not survive scrubbing."""

    text: str
    placeholders: tuple[str, ...]  # at least one of these must appear
    secrets: tuple[str, ...] = ()  # substrings (whole-word) that must not survive
    digits: str = ""  # no run of >= 6 of these digits may survive


def digits_of(s: str) -> str:
    return re.sub(r"\D", "", s)


def word_in(word: str, text: str) -> bool:
    """``word`` occurs in ``text`` not glued to other letters/digits (case-insensitive)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


PLACEHOLDER = re.compile(r"\[(?:" + "|".join(KINDS) + r")\]")


def assert_scrubbed(out: str, items: list[Item], carrier: str = "") -> None:
    out_digits = digits_of(out)
    words = PLACEHOLDER.sub(" ", out)  # a secret "name" must not match "[name]"
    for item in items:
        assert any(p in out for p in item.placeholders), (item, out)
        assert item.text not in out, (item, out)
        for secret in item.secrets:
            if not word_in(secret, carrier):
                assert not word_in(secret, words), (secret, item, out)
        d = item.digits
        for i in range(len(d) - 5):
            assert d[i : i + 6] not in out_digits, (d[i : i + 6], item, out)


_low = "abcdefghijklmnopqrstuvwxyz"
_alnum = _low + "0123456789"
label = st.text(_low, min_size=3, max_size=10)
local_part = st.builds(
    lambda a, b, digits, tag: a + (f".{b}" if b else "") + digits + (f"+{tag}" if tag else ""),
    st.text(_low, min_size=2, max_size=8),
    st.one_of(st.just(""), st.text(_low, min_size=2, max_size=8)),
    st.text("0123456789", max_size=3),
    st.one_of(st.just(""), st.text(_alnum, min_size=1, max_size=6)),
)
tld = st.sampled_from(["com", "co.uk", "de", "fr", "es", "io", "org", "net", "com.au", "shop"])
_OBF_TLDS = ["com", "org", "net", "de", "fr", "io", "co.uk"]


@st.composite
def emails(draw: st.DrawFn) -> Item:
    local = draw(local_part)
    sub = draw(st.one_of(st.just(""), label.map(lambda s: s + ".")))
    domain = draw(label)
    t = draw(tld)
    upper = draw(st.booleans())
    addr = f"{local}@{sub}{domain}.{t}"
    if upper:
        addr = addr.upper() if draw(st.booleans()) else addr.capitalize()
    return Item(addr, ("[email]",), secrets=(local, f"{domain}.{t}"))


@st.composite
def obfuscated_emails(draw: st.DrawFn) -> Item:
    local = draw(st.text(_low, min_size=3, max_size=8)) + draw(st.text("0123456789", max_size=2))
    style = draw(st.sampled_from(["word", "paren", "bracket", "upper", "provider", "spaced@"]))
    t = draw(st.sampled_from(_OBF_TLDS))
    if style == "provider":
        domain = draw(st.sampled_from(["gmail", "yahoo", "hotmail", "outlook", "icloud"]))
        return Item(f"{local} at {domain}.{t}", ("[email]",), secrets=(local,))
    domain = draw(label)
    dot_t = t.replace(".", " dot ")
    text = {
        "word": f"{local} at {domain} dot {dot_t}",
        "paren": f"{local}(at){domain}(dot){t.replace('.', '(dot)')}",
        "bracket": f"{local} [at] {domain} [dot] {t.replace('.', ' [dot] ')}",
        "upper": f"{local} AT {domain} DOT {t.replace('.', ' DOT ')}",
        "spaced@": f"{local} @ {domain} dot {dot_t}",
    }[style]
    return Item(text, ("[email]",), secrets=(local, domain))


@st.composite
def urls(draw: st.DrawFn) -> Item:
    scheme = draw(st.sampled_from(["https://", "http://", "www.", "https://www.", ""]))
    sub = draw(st.one_of(st.just(""), label.map(lambda s: s + ".")))
    domain = draw(label)
    t = draw(tld)
    path = draw(
        st.one_of(
            st.just(""),
            st.lists(st.text(_alnum + "-_", min_size=1, max_size=8), min_size=1, max_size=3).map(
                lambda parts: "/" + "/".join(parts)
            ),
        )
    )
    query = draw(st.one_of(st.just(""), st.text(_alnum, min_size=1, max_size=6).map("?q=".__add__)))
    url = f"{scheme}{sub}{domain}.{t}{path}{query if path or scheme else ''}"
    return Item(url, ("[url]",), secrets=(f"{domain}.{t}",))


REGIONS = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "CA", "IN", "BR", "JP", "CH", "IE"]
TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE]


@st.composite
def phones(draw: st.DrawFn) -> Item:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    national = str(example.national_number)
    # Vary the subscriber part so we are not testing one number per region.
    k = min(4, len(national) - 3)
    tail = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=k, max_size=k)))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-k]}{tail}", None)
    fmt = draw(st.sampled_from(["intl", "national", "e164", "00", "dots", "dashes", "slash"]))
    intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    nat = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    text = {
        "intl": intl,
        "national": nat,
        "e164": phonenumbers.format_number(number, PhoneNumberFormat.E164),
        "00": "00" + intl[1:],
        "dots": re.sub(r"[\s-]+", ".", intl),
        "dashes": re.sub(r"\s+", "-", intl),
        "slash": re.sub(r"\s+", " / ", nat, count=1),
    }[fmt]
    if draw(st.booleans()):
        text += draw(st.sampled_from([" ext. ", " x", " ext ", " extension "])) + str(
            draw(st.integers(1, 9999))
        )
    body = re.sub(r"\s*(ext\.?|x|extension)\s*\d+$", "", text)
    # A national number written as bare digits ("212340000", what phonenumbers prints for
    # numbers it cannot group) is only a long digit run: it goes as an account-like number.
    kinds = ("[phone]", "[account]") if body.isdigit() else ("[phone]",)
    return Item(text, kinds, digits=digits_of(body)[-9:])


@st.composite
def cards(draw: st.DrawFn) -> Item:
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("3456"))
    rest = draw(st.text("0123456789", min_size=length - 1, max_size=length - 1))
    digits = first + rest
    style = draw(st.sampled_from(["plain", "space4", "dash4", "amex"]))
    if style == "amex" and length == 15:
        text = f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    elif style in ("space4", "dash4"):
        sep = " " if style == "space4" else "-"
        text = sep.join(digits[i : i + 4] for i in range(0, length, 4))
    else:
        text = digits
    return Item(text, ("[card]",), digits=digits)


_IBAN_SHAPES = {  # country: BBAN pattern (n = digit, a = letter, c = alphanumeric)
    "DE": "n" * 18,
    "GB": "aaaa" + "n" * 14,
    "FR": "n" * 10 + "c" * 11 + "nn",
    "ES": "n" * 20,
    "NL": "aaaa" + "n" * 10,
    "IT": "a" + "n" * 10 + "c" * 12,
}


def iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


@st.composite
def ibans(draw: st.DrawFn) -> Item:
    country = draw(st.sampled_from(sorted(_IBAN_SHAPES)))
    alphabet = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    alphabet["c"] = alphabet["n"] + alphabet["a"]
    bban = "".join(draw(st.sampled_from(alphabet[c])) for c in _IBAN_SHAPES[country])
    iban = country + iban_check(country, bban) + bban
    text = (
        " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if draw(st.booleans()) else iban
    )
    return Item(text, ("[account]",), digits=digits_of(iban))


@st.composite
def account_ids(draw: st.DrawFn) -> Item:
    digits = draw(st.text("0123456789", min_size=4, max_size=10))
    style = draw(
        st.sampled_from(["prefixed", "order#", "orderno", "customer", "account", "invoice", "hash"])
    )
    if style == "prefixed":
        digits = digits.rjust(6, "0")
        prefix = draw(st.sampled_from(["ACC", "ORD", "CUST", "C", "AB", "INV", "TKT"]))
        value = f"{prefix}{draw(st.sampled_from(['-', '', '_']))}{digits}"
        return Item(value, ("[account]",), secrets=(value,), digits=digits)
    if style == "invoice":
        value = f"INV-{draw(st.integers(2015, 2030))}-{digits[:3].rjust(3, '0')}{digits[3:]}"
        return Item(value, ("[account]",), secrets=(value,), digits=digits_of(value))
    text = {
        "order#": f"order #{digits}",
        "orderno": f"Order No. {digits}",
        "customer": f"customer ID: {digits}",
        "account": f"account number {digits}",
        "hash": f"#{digits}",
    }[style]
    return Item(text, ("[account]",), secrets=(digits,), digits=digits)


@st.composite
def ssns(draw: st.DrawFn) -> Item:
    d = draw(st.text("0123456789", min_size=9, max_size=9))
    sep = draw(st.sampled_from(["-", " "]))
    return Item(f"{d[:3]}{sep}{d[3:5]}{sep}{d[5:]}", ("[account]",), digits=d)


@st.composite
def handles(draw: st.DrawFn) -> Item:
    name = draw(st.text(_alnum + "_", min_size=3, max_size=15))
    name = draw(st.sampled_from(_low)) + name
    return Item(f"@{name}", ("[handle]",), secrets=(name,))


@st.composite
def ips(draw: st.DrawFn) -> Item:
    octets = draw(st.lists(st.integers(0, 255), min_size=4, max_size=4))
    text = ".".join(map(str, octets))
    return Item(text, ("[ip]",), secrets=(text,))


@st.composite
def postcodes(draw: st.DrawFn) -> Item:
    style = draw(st.sampled_from(["uk", "ca", "zip", "zip4", "state"]))
    up = "ABDEFGHJLNPQRSTUWXYZ"
    if style == "uk":
        area = draw(st.sampled_from(["SW", "E", "M", "B", "EC", "NW", "G", "LS", "W", "N"]))
        number = draw(st.integers(1, 20))
        district = str(number) + (draw(st.sampled_from(["", "A", "B"])) if number < 10 else "")
        inward = (
            str(draw(st.integers(0, 9))) + draw(st.sampled_from(up)) + draw(st.sampled_from(up))
        )
        text = f"{area}{district} {inward}"
        return Item(text, ("[postcode]",), secrets=(text,))
    if style == "ca":
        a, b, c = (draw(st.sampled_from("ABCEGHJKLMNPRSTVXY")) for _ in range(3))
        d1, d2, d3 = (draw(st.integers(0, 9)) for _ in range(3))
        text = f"{a}{d1}{b} {d2}{c}{d3}"
        return Item(text, ("[postcode]",), secrets=(text,))
    zip5 = f"{draw(st.integers(0, 99999)):05d}"
    if style == "zip":
        return Item(f"zip code {zip5}", ("[postcode]",), secrets=(zip5,))
    if style == "zip4":
        text = f"{zip5}-{draw(st.integers(0, 9999)):04d}"
        return Item(text, ("[postcode]",), secrets=(text,), digits=digits_of(text))
    state = draw(st.sampled_from(["NY", "CA", "TX", "MA", "WA"]))
    return Item(f"{state} {zip5}", ("[postcode]",), secrets=(zip5,))


@st.composite
def addresses(draw: st.DrawFn) -> Item:
    number = str(draw(st.integers(1, 9999))) + draw(st.sampled_from(["", "B", "a"]))
    street = draw(st.sampled_from(["Baker", "Maple", "Oak Tree", "Church", "Harley", "Elmwood"]))
    style = draw(st.sampled_from(["en", "de", "fr"]))
    if style == "en":
        suffix = draw(st.sampled_from(["Street", "St", "Road", "Avenue", "Ave", "Lane", "Drive"]))
        text = f"{number} {street} {suffix}"
        secrets: tuple[str, ...] = (f"{street} {suffix}",)
    elif style == "de":
        name = draw(st.sampled_from(["Haupt", "Linden", "Berliner ", "Goethe"]))
        suffix = draw(st.sampled_from(["straße", "strasse", "weg", "allee", "platz"]))
        if name.endswith(" "):
            suffix = suffix.capitalize()
        text = f"{name}{suffix} {number.rstrip('Ba')}"
        secrets = (f"{name}{suffix}",)
    else:
        text = f"{number.rstrip('Ba')} rue de la {draw(st.sampled_from(['Paix', 'Gare', 'Poste']))}"
        secrets = (text,)
    return Item(text, ("[address]",), secrets=secrets)


def _alpha_names(values: object) -> list[str]:
    return sorted({v for v in values if isinstance(v, str) and v.isalpha() and len(v) >= 3})


FIRST, LAST = gazetteer()
COMMON = common_words()
CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august"}
CALENDAR |= {"september", "october", "november", "december"}
_PEOPLE = [UsPerson, GbPerson, DePerson, FrPerson, EsPerson]
FIRST_NAMES = [
    n
    for n in _alpha_names(x for p in _PEOPLE for x in p.first_names)
    if name_key(n) in FIRST and name_key(n) not in CALENDAR
]
LAST_NAMES = [
    n
    for n in _alpha_names(x for p in _PEOPLE for x in p.last_names)
    if name_key(n) in LAST and name_key(n) not in CALENDAR
]
RARE_FIRST = [
    n for n in FIRST_NAMES if name_key(n) not in COMMON and name_key(n) not in PLACES_AND_BRANDS
]
RARE_LAST = [n for n in LAST_NAMES if name_key(n) not in COMMON]

# Known customer names: syllable names that are not English words, plus real surnames.
_SYLLABLES = ["ka", "lo", "ri", "zen", "mar", "vo", "quin", "tel", "dra", "bex", "ul", "sha"]
_SYLLABLES += ["yev", "gor", "pi", "tra", "nu", "os", "ix", "wen", "jor", "fa", "ly", "ek"]
_rng = random.Random(7)
KNOWN_NAMES = sorted(
    {
        "".join(_rng.choice(_SYLLABLES) for _ in range(_rng.randint(2, 4))).capitalize()
        for _ in range(400)
    }
    - {w.capitalize() for w in COMMON}
)
KNOWN_NAMES += RARE_LAST[:200]

SCRUBBER = PiiScrubber(known_names=KNOWN_NAMES)


NAME_TEMPLATES_ANY = [  # contexts: any gazetteer first name (common words included)
    "My name is {F}.",
    "Dear {F}, thanks for the quick help",
    "Hi {F}, the order finally arrived",
    "Thanks {F}!",
    "Thank you so much {F} for sorting this",
    "I spoke with {F} yesterday about the refund",
    "I'm {F} and I love the app",
    "This is {F} again, still waiting",
    "Please ask for {F} next time",
    "Shout-out to {F} for the advice",
    "Great service overall — {F}",
    "Regards, {F}",
    "Cheers,\n{F}",
    "{F} from support sorted it out.",
    "{F} was so helpful on the phone!",
    "Then {F} explained everything twice.",
]
NAME_TEMPLATES_FULL = [  # first + last name
    "My name is {F} {L} and I approve",
    "Kind regards,\n{F} {L}",
    "Thanks {F} {L}, you rock",
    "Yesterday {F} {L} visited the store",
    "{F} {L} helped me with the setup.",
    "Ask for Mr. {L} at the desk",
    "I talked to Dr {L} about it",
]
NAME_TEMPLATES_RARE = [  # a rare first name with no context at all, mid-sentence
    "The parcel went to {F} instead of me.",
    "Honestly the app is fine, {F} uses it daily.",
]


@st.composite
def gazetteer_names(draw: st.DrawFn) -> tuple[str, list[str]]:
    kind = draw(st.sampled_from(["any", "full", "rare", "lower"]))
    if kind == "any":
        first = draw(st.sampled_from(FIRST_NAMES))
        return draw(st.sampled_from(NAME_TEMPLATES_ANY)).format(F=first), [first]
    if kind == "full":
        first, last = draw(st.sampled_from(RARE_FIRST)), draw(st.sampled_from(RARE_LAST))
        template = draw(st.sampled_from(NAME_TEMPLATES_FULL))
        names = [last] if "{F}" not in template else [first, last]
        return template.format(F=first, L=last), names
    if kind == "rare":
        first = draw(st.sampled_from(RARE_FIRST))
        return draw(st.sampled_from(NAME_TEMPLATES_RARE)).format(F=first), [first]
    first = draw(st.sampled_from(RARE_FIRST)).lower()
    template = draw(st.sampled_from(["my name is {f}", "hi {f}, quick question", "thanks {f}!"]))
    return template.format(f=first), [first]


KNOWN_TEMPLATES = [
    "{N} was here and loved it",
    "I think {N} is right about the price.",
    "Quote from {N}",
    "{N}'s order was late",
    "please ask {N} about it",
    '"{N}" said the box was crushed',
    "The rep ({N}) was great",
    "ok so {n} said the app was down",
    "{U} CALLED ME TWICE",
    "Sent to {N}.",
]


@st.composite
def known_names(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(KNOWN_NAMES))
    template = draw(st.sampled_from(KNOWN_TEMPLATES))
    return template.format(N=name, n=name.lower(), U=name.upper()), [name]


# Carrier sentences hold no digits, so any surviving digit run came from the PII.
CARRIERS = [
    "{}",
    "{}.",
    "Contact: {}",
    "You can reach me via {} anytime.",
    "({})",
    '"{}"',
    "Details below — {}!",
    "{}, thanks",
    "Please use {} next time",
    "Line one.\n{}\nLine three",
    "My info: {}; that's all",
    "[{}]",
    "<{}>",
    "Is {} right?",
    "Sent from {}",
]

pii_items = st.one_of(
    emails(),
    obfuscated_emails(),
    urls(),
    phones(),
    cards(),
    ibans(),
    account_ids(),
    ssns(),
    handles(),
    ips(),
    postcodes(),
    addresses(),
)


@st.composite
def pii_texts(draw: st.DrawFn) -> tuple[str, list[Item], str]:
    """A text with one to three PII items (numbers, addresses, names) in carrier sentences."""
    items = draw(st.lists(pii_items, min_size=1, max_size=3))
    joiner = draw(st.sampled_from([" and ", ", ", "; ", " or ", "\n"]))
    carrier = draw(st.sampled_from(CARRIERS))
    text = carrier.format(joiner.join(i.text for i in items))
    return text, items, carrier


# ---- property tests --------------------------------------------------------------------------


@SETTINGS
@given(pii_texts())
def test_no_pii_survives(case: tuple[str, list[Item], str]) -> None:
    text, items, carrier = case
    result = SCRUBBER.scrub(text)
    assert_scrubbed(result.text, items, carrier)
    assert result.total >= len(items)
    assert not SCRUBBER.contains_pii(result.text)


@SETTINGS
@given(st.one_of(gazetteer_names(), known_names()))
def test_names_are_replaced(case: tuple[str, list[str]]) -> None:
    text, names = case
    out = SCRUBBER.scrub(text).text
    assert "[name]" in out, (text, out)
    for name in names:
        assert not word_in(name, PLACEHOLDER.sub(" ", out)), (name, text, out)
    assert not SCRUBBER.contains_pii(out)


@SETTINGS
@given(pii_texts(), st.one_of(gazetteer_names(), known_names()))
def test_mixed_pii_and_names(case: tuple[str, list[Item], str], named: tuple[str, list[str]]):
    text, items, carrier = case
    name_text, names = named
    full = f"{name_text} {text}"
    out = SCRUBBER.scrub(full).text
    assert_scrubbed(out, items, carrier)
    for name in names:
        assert not word_in(name, PLACEHOLDER.sub(" ", out)), (name, full, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_scrub_is_a_fixed_point(text: str) -> None:
    once = SCRUBBER.scrub(text).text
    assert SCRUBBER.scrub(once).text == once
    assert not SCRUBBER.contains_pii(once)


# ---- examples --------------------------------------------------------------------------------

ORDINARY = [
    "I ordered 2 bottles for $24.99 on 3/14",
    "version 2.3 of the dashboard is much faster",
    "the 500 ml size is the best value",
    "we have 25 seats on the team plan",
    "delivery took 10 days, which is too long",
    "I will try it in May",
    "Hope this helps, will buy again.",
    "There is a grace period of 14 days.",
    "The price is right and the young kids love the gummies.",
    "May I suggest a bigger bottle?",
    "Great value. Rose Gold edition looks lovely.",
    "We paid 1,299.00 for 1200 units between 2019-2024.",
    "It arrived on 2024-03-14 at 10:30, and again on 14.03.2024.",
    "Rated 4.5 out of 5, would give 5 stars.",
    "Open 24/7, even at 10pm on a Sunday.",
    "Pricing went up 20% in Q3, from $49 to $59 per seat.",
    "We moved 3,500 contacts over in one afternoon.",
    "The Vitamin D3 Gummies are great for kids under 10.",
    "Good morning. What exactly is in the Elderberry Syrup?",
    "Hello,\nPage loads got much slower this week.",
    "Honestly, green-washing is everywhere.",
    "I need gear that survives twice-a-day training.",
    "The app logs me out right when I'm about to pay. Thanks for asking.",
    "Mostly I want to cut down on sick days this winter.",
    "Trying to get the whole family on one plan, it's 3x cheaper.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_survive(text: str) -> None:
    scrubber = PiiScrubber(known_names=["Will", "May", "Hope", "Grace", "Young", "Price", "Rose"])
    assert scrubber.scrub(text).text == text
    assert not scrubber.contains_pii(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mail john.smith+shop@mail.example.co.uk now", "email"),
        ("john dot smith at example dot com", "email"),
        ("see https://shop.example.com/orders?id=3", "url"),
        ("visit shop.example.co.uk/path today", "url"),
        ("call +44 20 7946 0958 please", "phone"),
        ("call (415) 555-2671 ext. 12", "phone"),
        ("ruf 030 / 1234567 an", "phone"),
        ("card 4111 1111 1111 1111 was charged", "card"),
        ("the card ending in 4242 was charged", "card"),
        ("IBAN DE89 3704 0044 0532 0130 00", "account"),
        ("order #123456 is late", "account"),
        ("ACC-000123 is mine", "account"),
        ("SSN 123-45-6789", "account"),
        ("follow @shopper_42", "handle"),
        ("I live at 221B Baker Street", "address"),
        ("postcode SW1A 1AA", "postcode"),
        ("server 192.168.1.25 is down", "ip"),
        ("my name is Xiomara", "name"),
    ],
)
def test_each_kind_has_its_placeholder(text: str, kind: str) -> None:
    result = SCRUBBER.scrub(text)
    assert f"[{kind}]" in result.text, result
    assert result.redactions.get(kind, 0) >= 1


def test_redaction_counts_and_full_names_become_one_placeholder() -> None:
    result = SCRUBBER.scrub("Sarah Miller and I emailed a@b.com and c@d.org. Regards, Tom")
    assert result.text == "[name] and I emailed [email] and [email]. Regards, [name]"
    assert result.redactions == {"email": 2, "name": 2}
    assert result.total == 4


def test_known_names_are_case_insensitive_whole_words() -> None:
    scrubber = PiiScrubber(known_names=["Quentworth", "Ann"])
    assert scrubber.scrub("quentworth and QUENTWORTH and Quentworth's").text == (
        "[name] and [name] and [name]'s"
    )
    assert scrubber.scrub("the annual plan from Annabel").text == "the annual plan from [name]"
    assert scrubber.scrub("Ann called").text == "[name] called"


def test_lower_case_common_words_are_kept_even_when_known_names() -> None:
    scrubber = PiiScrubber(known_names=["Will", "Hope", "Grace", "May", "Mark"])
    text = "I will hope for a grace period; may mark it later"
    assert scrubber.scrub(text).text == text
    assert scrubber.scrub("Thanks Grace, and Will from support").text == (
        "Thanks [name], and [name] from support"
    )


def test_allow_keeps_the_companys_own_contact_points() -> None:
    scrubber = PiiScrubber(allow=["@greenleaf", "greenleaf.com", "0800 123 4567"])
    text = "Love @greenleaf! See greenleaf.com or call 0800-123-4567, not @bob"
    assert scrubber.scrub(text).text == (
        "Love @greenleaf! See greenleaf.com or call 0800-123-4567, not [handle]"
    )


def test_extra_patterns_and_existing_placeholders() -> None:
    scrubber = PiiScrubber(extra_patterns={"voucher": r"\bGL-[A-Z]{4}\b"})
    result = scrubber.scrub("code GL-ABCD from [email]")
    assert result.text == "code [voucher] from [email]"
    assert result.redactions == {"voucher": 1}
    assert "voucher" in scrubber.kinds


def test_phonenumbers_region_matters_for_national_numbers() -> None:
    gb = PiiScrubber(default_region="GB")
    assert gb.scrub("ring 02079460958 today").text == "ring [phone] today"
    # Without the region the same digits are still removed (as an account-like number).
    assert SCRUBBER.scrub("ring 02079460958 today").text == "ring [account] today"


def test_generated_customer_text_is_left_alone() -> None:
    """Over-redaction check: the demo's free text holds no PII except brand handles."""
    from personae.demo import phrases_retail, phrases_saas
    from personae.demo.text import TextMaker

    scrubber = PiiScrubber(known_names=[*UsPerson.first_names, *UsPerson.last_names])
    changed: list[tuple[str, str]] = []
    for scenario, bank in (("retail", phrases_retail), ("saas", phrases_saas)):
        maker = TextMaker(scenario, random.Random(5))
        for archetype in bank.BANK:
            texts: list[str] = []
            for _ in range(20):
                texts += [maker.answer(archetype, k) for k in ("goal", "pain_point", "objection")]
                category = maker.ticket_category(archetype)
                texts += [" ".join(maker.ticket(archetype, category, "Gel"))]
                texts += [" ".join(maker.review(archetype, 2, "Gel")), maker.social(archetype)]
            for text in texts:
                result = scrubber.scrub(text)
                if set(result.redactions) - {"handle"}:
                    changed.append((text, result.text))
    assert changed == []
