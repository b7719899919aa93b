"""PII scrubber for customer quotes.

Personas quote real customers, so every quote must be safe to show to anyone who can read a
persona. :class:`PiiScrubber` replaces personal data with bracketed placeholders and counts
what it replaced, so callers can both show a safe text and decide that a text needing many
redactions is not worth quoting at all.

Kinds and placeholders (``Scrubbed.redactions`` keys):

``email``
    ``a.b+tag@sub.example.co.uk``, ``name @ domain.com`` and obfuscations such as
    ``name at domain dot com``, ``name (at) domain [dot] com``.
``url``
    ``http(s)://…``, ``ftp://…``, ``www.…`` and bare domains (``shop.example.co.uk/path``).
``ip``
    IPv4 addresses.
``card``
    Card-like numbers: 13–19 digits, optionally grouped with spaces or dashes, first digit
    not 0 (Luhn is *not* checked: card-like is enough); also "card ending in 1234".
``account``
    IBANs, SSN-shaped numbers (``123-45-6789``), ids next to a keyword ("order #123456",
    "customer ID: C-99812", "invoice no. 4471"), id-shaped tokens (``ACC-000123``,
    ``INV-2024-00123``, ``#12345``) and any remaining run of six or more digits.
``postcode``
    UK and Canadian postcodes, US ZIP+4, "NY 10001", and anything after "zip"/"postcode".
``address``
    Street addresses: "221B Baker Street", "Hauptstraße 5", "12 rue de la Paix",
    "Calle Mayor 5".
``phone``
    Numbers found by :class:`phonenumbers.PhoneNumberMatcher` for ``default_region`` (valid
    numbers only), plus any number written like a phone number anywhere in the world:
    7–15 digits with spaces, dots, dashes, slashes or parentheses, or with a ``+``/``00``
    prefix, optionally with an extension ("ext. 12", "x12").
``handle``
    Social handles (``@name``, ``u/name``).
``name``
    People's names; see below.

Names are the hard part, because many names are also ordinary words. The scrubber combines:

* the caller's ``known_names`` (first and last names from the customer profiles): a
  capitalised, upper- or lower-case token that is one of them is replaced (lookup is
  case- and accent-insensitive, whole words only) — except that names which are also common
  English words ("will", "may", "hope", "grace", "young", "price") are only replaced in a
  name context or next to another name ("Will Smith"), and calendar words ("May", "June")
  only after "my name is", "Dear", "Mr" and the like;
* a gazetteer built from Faker's offline first- and last-name lists (en_US, en_GB, en_IE,
  en_IN, de_DE, fr_FR, es_ES, it_IT, nl_NL, pt_BR) used *with context*: after "my name is",
  "I'm", "this is", "ask for", "spoke to", "thanks", "Hi", "Dear", "Mr/Ms/Dr", before "from
  support", "helped", "said", "was so helpful", in sign-offs ("— Sarah", "Regards, Sarah"),
  and as two consecutive capitalised name tokens ("Sarah Miller"). A capitalised gazetteer
  *first* name in the middle of a sentence that is not a common word ("I spoke with
  Jennifer") is replaced even without context;
* after "my name is", "Mr", "Dear" and sign-off words, any capitalised word is taken as a
  name, gazetteer or not; a name is extended over following capitalised name-like tokens,
  particles ("van", "de") and initials, and the whole run becomes one ``[name]``.

The trade-off is deliberate: over-redaction (a brand called "Mercedes", the title "Rose Gold
Edition" when "Rose" and "Gold" are customers' names) costs a slightly odd quote, a leak
costs a customer's privacy. What is knowingly left alone: lower-case common words, a
gazetteer name that starts a sentence with no context ("Grace was great" *is* caught by the
right context; "Grace sorted it out" is not), a surname-only mention in mid-sentence with
no context ("Garcia"), months and weekdays without a strong context, and names in scripts
other than Latin.

``allow`` lists the company's own handle, domain, support address or phone number, which
look like PII but are not personal.

Scrubbing runs to a fixed point (a second pass must find nothing), so for every ``text``,
``contains_pii(scrub(text).text)`` is False. Placeholders are inert: they are protected
from later detectors, and placeholders already present in the input are left as they are.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

__all__ = [
    "KINDS",
    "PiiScrubber",
    "Scrubbed",
    "common_words",
    "default_scrubber",
    "gazetteer",
    "name_key",
    "placeholder",
]

KINDS: tuple[str, ...] = (
    "email",
    "url",
    "ip",
    "card",
    "account",
    "postcode",
    "address",
    "phone",
    "handle",
    "name",
)


def placeholder(kind: str) -> str:
    """The text that replaces a redacted item of ``kind``."""
    return f"[{kind}]"


@dataclass(frozen=True)
class Scrubbed:
    """A scrubbed text and how many items of each kind were replaced."""

    text: str
    redactions: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of replaced items, all kinds together."""
        return sum(self.redactions.values())


# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

_GAZETTEER_LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
)


def _words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated text (easier to read and edit)."""
    return frozenset(text.split())


# Words that never start a name on their own (articles, pronouns, ...). Name particles are
# kept separately: they join two name tokens but are not names alone.
_FUNCTION_WORDS = _words(
    """a about above across after again against all almost along already also although always
    am among an and another any anyone anything anyway are around as at back be because been
    before behind being below between both but by can cannot could did do does doing done
    down during each either else enough even ever every everyone everything few for from get
    got had has have having he her here hers herself him himself his how however i if in into
    is it its itself just last least less many me might mine more most much must my myself
    neither never next no nobody none nor not nothing now of off often on once one only onto
    or other others our ours ourselves out over own per perhaps please quite rather same she
    should since so some someone something sometimes still such than that the their theirs
    them themselves then there these they this those though through thus to too toward
    towards under until up upon us very via was we were what whatever when where whether
    which while who whom whose why with within without would yet you your yours yourself
    ok okay hi hello hey thanks thank yes yeah nope im ive id dont didnt cant wont isnt
    team support service customer customers sir madam everyone folks guys valued"""
)

_PARTICLES = _words(
    "van von der den de del della di da das dos du la le ter ten bin ibn al el mac st"
)

# Lower-case English words that are also first or last names. A known customer name that is
# one of these is only redacted when capitalised mid-sentence or in a name context.
_NAME_WORDS = _words(
    """will may hope grace joy faith charity patience prudence mercy constance verity honor
    honour felicity serenity harmony melody destiny trinity liberty justice chance unity
    summer autumn winter spring dawn eve day night noon sky rain storm snow frost river brook
    stone rock clay sandy sand dusty rusty misty sunny stormy windy cliff dale glen dell vale
    field fields wood woods forest heath moor marsh hill hills lane lanes park parks ford
    brooks banks bank shore lake pool well wells waters water ray rays star
    rose lily iris ivy daisy holly hazel heather violet olive jasmine willow laurel myrtle
    poppy pansy fern basil sage rosemary ginger pepper candy honey cherry berry apple peach
    plum ruby pearl amber crystal jade opal coral diamond gem jewel goldie gold silver penny
    sterling cash price cost rich poor worth more best good fair noble grand great royal
    mark marks bill bills pat sue rob art gene guy mat matt max ken kit dick bob jack jay rod
    chip buck hank pete nick rick drew bud earl duke king queen prince princess baron knight
    bishop pope dean deacon abbot chancellor marshall major sargent sergeant judge
    baker butcher butler carter cook cooper draper farmer fisher fowler fuller gardener
    glazier glover hunter mason miller porter potter sawyer sexton shepherd singer skinner
    slater smith spinner stewart tailor tanner thatcher turner walker ward warden waterman
    weaver webster wright archer bowman bowler carver chandler collier dyer painter parker
    barber barker brewer cutter dealer fletcher forester hooper keeper lister mercer
    reeve sellers tucker
    brown black white green grey gray red reed read reid blue rusty golden scarlet
    young old long short small little large tall strong swift sharp bright smart wise
    hardy savage stout moody merry lucky loyal happy jolly sweet keen bold free freeman
    fresh frank earnest ernest hale hearty gentle proper
    fox wolf bear bull lamb hart hare buck drake crane finch swan wren robin hawk crow
    raven heron sparrow nightingale parrot peacock swallow partridge fish salmon herring
    pike bass cod trout roach bird birch oak ash elm pine maple cedar aspen thorn bush
    house hall halls church chapel castle tower bridge bridges mill mills wall walls gate
    gates street cross crosses court page pace story storey floor room case key keys job
    law lord power powers rush hunt chase gross grimes graves grant graham glass post
    sales stack junk date fee eco bones brand brands doctor parent company lot man love
    moon sun lane bell bells ring rings horn hood cannon gamble riddle ridge rails spears
    swords sparks flowers flood silk pringle tank villa victory warrior forum supple
    boner bean beard bale bail booth brick branch burns cotton cousins crowe cruise curry
    drum english french fay fry gay gill hicks holder hull lace lacey lance lawless leach
    marry master miles monk monks moss nash north south east west pierce plover poland
    shine stark steed steele stokes stern summers tate ware watts weeks winters york
    amble agate bath bond bowers cable chance clay cole craven creed cross diver divine
    english harsh heron ivory lucid march mayo mustard shannon spence spencer
    art ball bishop black carry case clear deep early fall job noble real short small
    story strong wall warmer wells"""
)

_CALENDAR = _words(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday christmas easter halloween
    thanksgiving valentine valentines hanukkah ramadan diwali"""
)

# Capitalised first names that are more often a place or a product in customer text: only
# redacted in a name context (never by the "first name in mid-sentence" rule).
_PLACES_AND_BRANDS = _words(
    """paris london sydney berlin austin dallas houston phoenix denver chelsea jordan georgia
    virginia carolina florida dakota india china madison victoria florence lincoln
    washington orlando savannah aurora alexa siri cortana mercedes tesla amazon apple
    google dell ford chanel zara lexus kia skoda toyota jersey kent york brooklyn hudson
    santa christian"""
)

_PLACEHOLDER_WORDS = frozenset(KINDS)


@lru_cache(maxsize=1 << 16)
def name_key(s: str) -> str:
    """Lookup key: case-folded, apostrophes removed, accents stripped (cached: names repeat)."""
    s = s.casefold().replace("'", "").replace("’", "")
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common English words: used to keep ordinary words that happen to be names."""
    words = set(_NAME_WORDS) | set(_FUNCTION_WORDS) | set(_CALENDAR) | set(_PLACEHOLDER_WORDS)
    try:  # ~1,000 everyday English words, offline
        from faker.providers.lorem.en_US import Provider as Lorem

        words.update(w.lower() for w in Lorem.word_list)
    except ImportError:  # pragma: no cover - faker is a dependency
        pass
    return frozenset(words)


_NAME_PIECE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) from Faker's offline name lists, as lookup keys."""
    first: set[str] = set()
    last: set[str] = set()
    for loc in _GAZETTEER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):  # pragma: no cover - depends on faker version
            continue
        for attr in dir(provider):
            if attr.startswith("first_names"):
                target = first
            elif attr.startswith("last_names"):
                target = last
            else:
                continue
            values = getattr(provider, attr)
            if not isinstance(values, dict | tuple | list):
                continue
            for name in values:
                for piece in _NAME_PIECE.findall(str(name)):
                    key = name_key(piece)
                    if len(key) >= 2 and key not in _FUNCTION_WORDS and key not in _PARTICLES:
                        target.add(key)
    return frozenset(first), frozenset(last)


# --------------------------------------------------------------------------------------------
# Patterns (order of application is the order of `_pipeline`)
# --------------------------------------------------------------------------------------------

_TRAILING_PUNCT = ".,;:!?'\")]}>"

_URL_SCHEME = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]+", re.IGNORECASE)
_URL_WWW = re.compile(r"(?<![\w.@-])www\d{0,3}\.[^\s<>\"'`]+", re.IGNORECASE)
_SAFE_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|io|co|uk|de|fr|es|nl|eu|ch|dk|se|fi|pl|ie|pt|cz|"
    "ca|au|nz|jp|cn|br|mx|ar|ru|tv|fm|ly|gl|app|dev|xyz|online|shop|store|tech|ai"
)
# Two-letter TLDs that are also English words: a bare domain needs a path ("go.to/x").
_AMBIGUOUS_TLDS = "at|be|in|is|it|me|my|no|so|to|us|do|go|la|am|im|on|or|an|as"
_DOMAIN_LABELS = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
_URL_BARE = re.compile(
    rf"(?<![\w@./\-]){_DOMAIN_LABELS}(?:{_SAFE_TLDS})(?![\w-])(?:[/?#][^\s<>\"'`]*)?",
    re.IGNORECASE,
)
_URL_BARE_AMBIGUOUS = re.compile(
    rf"(?<![\w@./\-]){_DOMAIN_LABELS}(?:{_AMBIGUOUS_TLDS})[/?#][^\s<>\"'`]*", re.IGNORECASE
)

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+ ?@ ?(?:[\w-]+\.)+[A-Za-z]{2,24}(?![\w-])")
_OBF_AT = r"(?P<at>\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_OBF_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_OBF_TLDS = (
    "com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|eu|info|biz|me|us|ca|au|ch|at|be|se|no|dk|"
    "pl|ie|in|jp|br|mx|ru|app|dev|xyz|ai"
)
_EMAIL_OBFUSCATED = re.compile(
    rf"(?<![\w.%+-])[\w.%+-]+{_OBF_AT}[\w-]+(?:{_OBF_DOT}[\w-]+)*?{_OBF_DOT}(?:{_OBF_TLDS})"
    r"(?![\w-])",
    re.IGNORECASE,
)
_OBF_HINT = re.compile(r"\bat\b|\bdot\b|@", re.IGNORECASE)
_OBF_STRONG = re.compile(r"[\[({<]\s*(?:at|dot)\s*[\])}>]|\sdot\s", re.IGNORECASE)
_MAIL_PROVIDERS = _words(
    """gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol protonmail proton
    pm gmx web mail yandex zoho fastmail hey tutanota t-online orange free laposte wanadoo
    btinternet sky virginmedia comcast verizon att libero"""
)

_HANDLE = re.compile(r"(?<![\w@./])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,29}[A-Za-z0-9_])?(?![\w@])")
_REDDIT = re.compile(r"(?<![\w/])u/[A-Za-z0-9_-]{3,20}\b")

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b", re.I)
_CARD_ENDING = re.compile(r"\b(?:ending|ends)\s+(?:in|with)\s+\d{4}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\w+.,/#-])\d(?:[ -]?\d){12,18}(?![\w]|[ -]?\d|[.,]\d)")
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_IP = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w]|\.\d)"
)

# Addresses sit on one line: only spaces and tabs ([ \t]) between their words, and street
# names are letters, so a postcode or an id on the next line is not swallowed.
_L = r"[^\W\d_]"  # a letter
_ADDRESS_EN = re.compile(
    r"\b\d{1,5}[A-Za-z]?(?:[-/]\d{1,5})?,?[ \t]+(?:[A-Z][a-z'’.-]*[ \t]+){1,4}?"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Terrace|Crescent|"
    r"Parkway|Pkwy|Highway|Hwy|Square|Sq|Gardens|Mews|Court|Ct)\b\.?"
    r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?[ \t]*[\w-]+|[ \t]+#[ \t]*\w+)?"
)
_ADDRESS_DE = re.compile(
    rf"\b[A-ZÄÖÜ]{_L}*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm)"
    r"[ \t]*\d{1,4}(?:[ \t]?[a-z](?!\w))?(?!\w)"
    rf"|\b[A-ZÄÖÜ]{_L}*[ \t]+(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse)"
    r"[ \t]*\d{1,4}[a-z]?(?!\w)"
)
_ADDRESS_FR = re.compile(
    r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|place|allée|"
    r"allee|chemin|impasse|quai|route|cours)[ \t]+(?:(?i:de|du|des|la|le|l'|d')[ \t]*)*"
    rf"[A-ZÉÈÀ]{_L}*(?:[ \t]+(?:(?:de|du|des|la|le|l'|d')[ \t]*)?[A-ZÉÈÀ]{_L}*){{0,3}}"
)
_ADDRESS_ES = re.compile(
    r"\b(?:Calle|C/|Avenida|Avda\.?|Plaza|Paseo|Carrer)[ \t]+(?:(?:de|del|la|los|las)[ \t]+)*"
    rf"[A-ZÁÉÍÓÚÑ]{_L}*(?:[ \t]+(?:de[ \t]+)?[A-ZÁÉÍÓÚÑ]{_L}*){{0,3}},?[ \t]*"
    r"(?:n[º°o]\.?[ \t]*)?\d{1,4}\b"
)

_POSTCODE_UK = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b")
_POSTCODE_CA = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b")
_ZIP4 = re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])")
_STATE_ZIP = re.compile(
    r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|"
    r"NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC),?\s+"
    r"(?P<v>\d{5})\b"
)
_POSTCODE_CTX = re.compile(
    r"\b(?:zip(?:\s*code)?|zipcode|post\s*code|postal\s*code|plz|code\s+postal)\s*[:#]?\s*"
    r"(?P<v>[A-Z0-9]{2,5}(?:[ -][A-Z0-9]{3,4})?)\b",
    re.IGNORECASE,
)

_ACCOUNT_CTX = re.compile(
    r"\b(?:account|acct|acc|a/c|order|customer|cust|client|member(?:ship)?|invoice|inv|ticket|"
    r"case|ref(?:erence)?|booking|confirmation|tracking|policy|contract|subscription|user|"
    r"loyalty|serial|licen[cs]e|transaction|txn|receipt|claim|reservation|parcel|shipment|"
    r"consignment|rma|iban|routing|sort\s+code)\b"
    r"(?P<mark>(?:\s*(?:number|num|nr|no|id|code|ref)\b\.?)?\s*(?:[:#]|\bis\b)?)\s*"
    r"(?P<v>#?[A-Za-z0-9](?:[A-Za-z0-9/_-]*[A-Za-z0-9])?)",
    re.IGNORECASE,
)
_ACCOUNT_ID = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,5}[-_/]?\d{5,}[A-Z0-9]*|[A-Z]{2,5}-\d{2,4}-\d{3,})(?![\w-])"
)
_ACCOUNT_MARK = re.compile(r"[:#]|\b(?:number|num|nr|no|id|code|ref)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_HASH_ID = re.compile(r"(?<![\w&])#\d{4,}\b")
_DIGIT_RUN = re.compile(r"(?<!\d)\d{6,}(?!\d)")

_PHONE = re.compile(
    r"(?<![\w+#])(?<![A-Za-z]-)(?:\+|\b00)?\(?\d[\d \t().\-/]{5,}\d"
    r"(?:[ \t]*(?:ext\.?|extension|x|\#)[ \t]*\d{1,6}\b)?",
    re.IGNORECASE,
)
_PHONE_EXT = re.compile(r"[ \t]*(?:ext\.?|extension|x|\#)[ \t]*\d{1,6}$", re.IGNORECASE)
_DATE_LIKE = re.compile(
    r"^\(?(?:\d{1,4}([./-])\d{1,2}\1\d{1,4}|(?:19|20)\d{2}\s?[-/]\s?(?:19|20)?\d{2})\)?$"
)
_LONG_SEPARATOR = re.compile(r"[ \t().\-/]{5,}")
_CURRENCY = frozenset("$€£¥₹")
_DIGIT = re.compile(r"\d")

# ---- names -----------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*")
_STRONG_LEFT = re.compile(
    r"(?:\bmy\s+name\s+is|\bmy\s+name's|\bname\s*(?:is|:)|\bnamed|\bcalled\s+me|\bcall\s+me|"
    r"\bi\s+am\s+called|\bi'm\s+called|\b(?:mr|mrs|ms|mx|miss|dr|prof|mister|madam|dear)\.?|"
    r"\bsigned|\bsincerely|\bregards|\byours(?:\s+(?:truly|sincerely|faithfully))?,|"
    r"\bbest\s+wishes)\s*[,:]?\s*\Z"
)
_WEAK_LEFT = re.compile(
    r"(?:\bi'?m|\bi\s+am|\bthis\s+is|\bit's|\bask(?:ed|ing)?\s+for|"
    r"\b(?:speak|spoke|spoken|speaking|talk|talked|talking|chat|chatted|chatting|worked|"
    r"working|dealt|dealing)\s+(?:to|with)|"
    r"\b(?:helped|served|assisted|contacted|called|emailed|sorted|handled|recommended)\s+by|"
    r"\bthank(?:s|\s+you)?(?:\s+so\s+much)?(?:\s+to)?|\bthx|\bty|\bcheers|\bhi|\bhiya|\bhello|"
    r"\bhey|\bgood\s+(?:morning|afternoon|evening)|\bagent|\brep|\brepresentative|\badvis[oe]r|"
    r"\bconsultant|\bcolleague|\bmanager|\bsupervisor|\btechnician|\bengineer|\bdriver|"
    r"\bcourier|\bhusband|\bwife|\bpartner|\bson|\bdaughter|\bfriend|\bboss|\bmum|\bmom|\bdad|"
    r"\bsister|\bbrother|\bcalled|\bshout-?out\s+to|\bkudos\s+to|\bcredit\s+to|\bcontact|"
    r"\bmeet|\bmet|[—–~]|\s-)[ \t]*[,:]?[ \t]*\Z"
)
_RIGHT = re.compile(
    r"\s*(?:from\s+(?:the\s+|your\s+|customer\s+)?(?:support|service|care|billing|sales|"
    r"help\s*desk|team|onboarding|success|accounts|store|shop|front\s+desk|warehouse)|"
    r"(?:at|in)\s+(?:the\s+)?(?:support|billing|customer\s+service|help\s*desk)|"
    r"(?:helped|said|says|told|called|rang|emailed|e-mailed|messaged|texted|replied|responded|"
    r"answered|fixed|sorted|resolved|explained|refunded|promised|assured|confirmed|offered|"
    r"walked\s+me|got\s+back|went\s+above|was\s+(?:so\s+|very\s+|super\s+|really\s+|"
    r"extremely\s+|incredibly\s+|absolutely\s+)?(?:helpful|kind|rude|friendly|patient|lovely|"
    r"polite|professional|unhelpful|knowledgeable|courteous|sweet|dismissive))\b)"
)
_SIGNOFF_STRONG = re.compile(
    r"(?:\bthanks?(?:\s+you)?(?:\s+again)?|\bcheers|\bbest|\bregards|\bsincerely|\bthx|\blove|"
    r"\bta|\bxx*|\bxo+|\bwarmly|\brespectfully)\s*[,!.:]?\s*\Z"
)
# "Thanks,\nAaron" with more text after it: a sign-off line that is not the very end.
_SIGNOFF_LINE = re.compile(
    r"\b(?:thanks?(?:\s+you)?(?:\s+again)?|cheers|best|regards|love|ta|thx)\s*[,!.]?[ \t]*\n\s*\Z"
)
_SIGNOFF_DASH = re.compile(r"(?:[—–~]|(?:^|\s)-)\s*\Z")
_SIGNOFF_NEWLINE = re.compile(r"\n\s*\Z")
_SIGNOFF_TAIL = re.compile(r"[\s.!,)\]]*$")
_SENTENCE_START = frozenset(".!?…:;\"“”'‘([{-—–•*>#\n\r")

# A private-use character per kind stands in for a placeholder while scrubbing, so later
# detectors cannot match inside (or across) what was already replaced.
_SENTINEL_BASE = 0xE000
_PUA = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int  # end of the name part (a possessive "'s" is not part of it)
    text: str
    key: str
    case: str  # "cap", "upper", "lower", "other"
    known: bool
    first: bool
    last: bool
    common: bool
    calendar: bool
    function: bool


class PiiScrubber:
    """Replaces personal data in free text with ``[kind]`` placeholders.

    ``known_names``: first and last names (or full names, split on spaces and hyphens) of
    the customers; tens of thousands are fine (a set lookup per token).
    ``extra_patterns``: ``kind -> regex`` applied before the built-in detectors; the
    placeholder is ``[kind]``.
    ``default_region``: region for :mod:`phonenumbers` (numbers without a country code).
    ``allow``: strings that are never redacted although they look like PII — typically the
    company's own handle, domain or support address (``"@greenleaf"``, ``"greenleaf.com"``).
    Compared case-insensitively with a whole match (for URLs: also with the host name).
    """

    def __init__(
        self,
        known_names: Iterable[str] = (),
        extra_patterns: dict[str, str] | None = None,
        default_region: str = "US",
        allow: Iterable[str] = (),
    ) -> None:
        self.default_region = default_region.upper()
        self._allow = frozenset(a.strip().casefold() for a in allow if a and a.strip())
        self._allow_digits = frozenset(
            d for d in (re.sub(r"\D", "", a) for a in self._allow) if len(d) >= 6
        )
        self._first, self._last = gazetteer()
        self._common = common_words()
        pieces: set[str] = set()
        for name in known_names:
            if name:
                pieces.update(_NAME_PIECE.findall(str(name)))
        keys = {name_key(p) for p in pieces}
        self._known = frozenset(
            k for k in keys if len(k) >= 2 and k not in _FUNCTION_WORDS and k not in _PARTICLES
        )
        self._extra = [(k, re.compile(p)) for k, p in (extra_patterns or {}).items()]
        kinds = list(KINDS)
        for k, _ in self._extra:
            if k not in kinds:
                kinds.append(k)
        self._kinds = tuple(kinds)
        self._sentinel = {k: chr(_SENTINEL_BASE + i) for i, k in enumerate(kinds)}
        self._from_sentinel = {chr(_SENTINEL_BASE + i): placeholder(k) for i, k in enumerate(kinds)}
        self._to_sentinel = re.compile(
            "|".join(re.escape(placeholder(k)) for k in sorted(kinds, key=len, reverse=True))
        )
        self._placeholder_to_sentinel = {placeholder(k): self._sentinel[k] for k in kinds}
        self._restore = str.maketrans(self._from_sentinel)

    # ---- public API ----------------------------------------------------------------------

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind this scrubber can report (built-in kinds plus ``extra_patterns``)."""
        return self._kinds

    def scrub(self, text: str) -> Scrubbed:
        """Replace every PII item in ``text``; runs to a fixed point."""
        if not text:
            return Scrubbed(text or "", {})
        counts: dict[str, int] = {}
        # Private-use characters would be mistaken for placeholders: replace them first.
        work = _PUA.sub("\ufffd", text)
        work = self._to_sentinel.sub(lambda m: self._placeholder_to_sentinel[m.group()], work)
        # Repeat until a pass finds nothing: a replacement can expose a new context (rare;
        # a second pass is normally the last). Each pass only removes text, so this ends.
        for _ in range(20):
            before = sum(counts.values())
            work = self._pipeline(work, counts)
            if sum(counts.values()) == before:
                break
        out = work.translate(self._restore)
        return Scrubbed(out, {k: v for k, v in counts.items() if v})

    def contains_pii(self, text: str) -> bool:
        """True if :meth:`scrub` would change ``text``."""
        return self.scrub(text).text != text

    # ---- the pipeline ---------------------------------------------------------------------

    def _pipeline(self, t: str, counts: dict[str, int]) -> str:
        for kind, rx in self._extra:
            t = self._sub(rx, kind, t, counts)
        low = t.lower()
        if "://" in t:
            t = self._sub(_URL_SCHEME, "url", t, counts, _strip_url)
        if "@" in t:
            t = self._sub(_EMAIL, "email", t, counts)
        if _OBF_HINT.search(t):
            t = self._sub(_EMAIL_OBFUSCATED, "email", t, counts, _obfuscated_email_ok)
        if "www" in low:
            t = self._sub(_URL_WWW, "url", t, counts, _strip_url)
        if "." in t:
            t = self._sub(_URL_BARE, "url", t, counts, _strip_url)
            t = self._sub(_URL_BARE_AMBIGUOUS, "url", t, counts, _strip_url)
        if "@" in t:
            t = self._sub(_HANDLE, "handle", t, counts)
        if "u/" in t:
            t = self._sub(_REDDIT, "handle", t, counts)
        if _DIGIT.search(t):
            t = self._numbers(t, counts)
        return self._names(t, counts)

    def _numbers(self, t: str, counts: dict[str, int]) -> str:
        # Most specific shapes first; each later pattern only sees what is left.
        t = self._sub(_IBAN, "account", t, counts, _iban_ok)
        t = self._sub(_ZIP4, "postcode", t, counts, _not_inside_number)
        t = self._sub(_CARD_ENDING, "card", t, counts)
        t = self._sub(_CARD, "card", t, counts, _card_ok)
        t = self._sub_group(_ACCOUNT_CTX, "account", t, counts, _account_ok)
        t = self._sub(_SSN, "account", t, counts, _not_inside_number)
        t = self._sub(_ACCOUNT_ID, "account", t, counts)
        # International phone numbers before the looser shapes (IP, postcodes, ids).
        t = self._sub(_PHONE, "phone", t, counts, _international_phone_ok)
        t = self._sub(_IP, "ip", t, counts)
        for rx in (_ADDRESS_EN, _ADDRESS_DE, _ADDRESS_FR, _ADDRESS_ES):
            t = self._sub(rx, "address", t, counts)
        t = self._sub(_POSTCODE_UK, "postcode", t, counts)
        t = self._sub(_POSTCODE_CA, "postcode", t, counts)
        t = self._sub_group(_STATE_ZIP, "postcode", t, counts)
        t = self._sub_group(_POSTCODE_CTX, "postcode", t, counts, _postcode_ok)
        t = self._sub(_HASH_ID, "account", t, counts)
        if sum(c.isdigit() for c in t) >= 7:
            t = self._phones_lib(t, counts)
        t = self._sub(_PHONE, "phone", t, counts, _phone_ok)
        return self._sub(_DIGIT_RUN, "account", t, counts)

    def _phones_lib(self, t: str, counts: dict[str, int]) -> str:
        spans: list[tuple[int, int]] = []
        try:
            matcher = PhoneNumberMatcher(t, self.default_region, leniency=Leniency.VALID)
            for m in matcher:
                raw = _PHONE_EXT.sub("", m.raw_string)
                if self._allow and self._allowed(m.raw_string):
                    continue
                if sum(c.isdigit() for c in raw) >= 7 and not _DATE_LIKE.match(raw.strip()):
                    spans.append((m.start, m.end))
        except phonenumbers.NumberParseException:  # pragma: no cover - defensive
            return t
        if not spans:
            return t
        out, pos = [], 0
        for s, e in spans:
            out.append(t[pos:s])
            out.append(self._sentinel["phone"])
            pos = e
        out.append(t[pos:])
        counts["phone"] = counts.get("phone", 0) + len(spans)
        return "".join(out)

    def _sub(
        self,
        rx: re.Pattern[str],
        kind: str,
        t: str,
        counts: dict[str, int],
        check: Callable[[re.Match[str]], str | bool | None] | None = None,
    ) -> str:
        """Replace matches of ``rx``; ``check`` may veto (falsy) or return a trailing rest."""
        sentinel = self._sentinel[kind]

        def repl(m: re.Match[str]) -> str:
            if self._allow and self._allowed(m.group()):
                return m.group()
            rest = ""
            if check is not None:
                verdict = check(m)
                if not verdict:
                    return m.group()
                if isinstance(verdict, str):  # text to put back after the placeholder
                    rest = verdict
            counts[kind] = counts.get(kind, 0) + 1
            return sentinel + rest

        return rx.sub(repl, t)

    def _sub_group(
        self,
        rx: re.Pattern[str],
        kind: str,
        t: str,
        counts: dict[str, int],
        check: Callable[[re.Match[str]], bool] | None = None,
    ) -> str:
        """Replace only the named group ``v`` of each match of ``rx``."""
        sentinel = self._sentinel[kind]

        def repl(m: re.Match[str]) -> str:
            if check is not None and not check(m):
                return m.group()
            if self._allow and self._allowed(m.group("v")):
                return m.group()
            counts[kind] = counts.get(kind, 0) + 1
            s, e = m.span("v")
            whole = m.group()
            return whole[: s - m.start()] + sentinel + whole[e - m.start() :]

        return rx.sub(repl, t)

    def _allowed(self, found: str) -> bool:
        value = found.strip().rstrip(_TRAILING_PUNCT).casefold()
        if value in self._allow:
            return True
        if self._allow_digits and re.sub(r"\D", "", value) in self._allow_digits:
            return True
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value).split("/")[0].split("?")[0]
        return host in self._allow or host.removeprefix("www.") in self._allow

    # ---- names ---------------------------------------------------------------------------

    def _tok(self, m: re.Match[str]) -> _Tok:
        word = m.group()
        end = m.end()
        if len(word) > 3 and word[-2:] in ("'s", "’s"):
            word = word[:-2]
            end -= 2
        if word[0].isupper():
            case = "upper" if len(word) > 1 and word.isupper() else "cap"
        elif word.islower():
            case = "lower"
        else:
            case = "other"
        if "-" not in word:
            key = name_key(word)
            known = key in self._known
            first = key in self._first
            last = key in self._last
            common = key in self._common
            function = key in _FUNCTION_WORDS or key in _PARTICLES or len(key) < 2
        else:  # "Jean-Luc", "Smith-Jones" are names; "twice-a-day", "green-washing" are not
            keys = [name_key(p) for p in word.split("-")]
            key = "".join(keys)
            in_gaz = [k in self._first or k in self._last for k in keys]
            known = key in self._known or all(k in self._known for k in keys)
            first = keys[0] in self._first and all(in_gaz)
            last = all(in_gaz)
            common = any(k in self._common for k in keys)
            function = any(k in _FUNCTION_WORDS or len(k) < 2 for k in keys)
        calendar = key in _CALENDAR
        return _Tok(m.start(), end, word, key, case, known, first, last, common, calendar, function)

    def _names(self, t: str, counts: dict[str, int]) -> str:
        toks = [self._tok(m) for m in _WORD.finditer(t)]
        if not toks:
            return t
        low = t.lower().replace("’", "'")
        n = len(toks)
        hit = [False] * n

        def left(i: int, rx: re.Pattern[str]) -> bool:
            s = toks[i].start
            return rx.search(low, max(0, s - 48), s) is not None

        def weak(i: int) -> bool:
            return left(i, _WEAK_LEFT) or left(i, _SIGNOFF_LINE)

        def right(i: int) -> bool:
            return _RIGHT.match(low, toks[i].end) is not None

        def initial(i: int) -> bool:
            j = toks[i].start - 1
            while j >= 0 and t[j] in " \t":
                j -= 1
            return j < 0 or t[j] in _SENTENCE_START

        for i, k in enumerate(toks):
            if k.function or k.case == "other" or k.text.casefold() in self._allow:
                continue
            gaz = k.first or k.last
            if k.case == "cap":
                if left(i, _STRONG_LEFT):
                    hit[i] = not k.common or gaz or k.known
                elif not k.calendar:
                    hit[i] = (
                        (k.known and not k.common)
                        or ((k.known or gaz) and (weak(i) or right(i)))
                        or (
                            k.first
                            and not k.common
                            and k.key not in _PLACES_AND_BRANDS
                            and not initial(i)
                        )
                    )
            elif k.case == "upper":
                hit[i] = not k.calendar and (
                    (k.known and not k.common)
                    or ((k.known or gaz) and left(i, _STRONG_LEFT))
                    or ((k.known or gaz) and not k.common and weak(i))
                )
            elif not (k.common or k.calendar):  # lower case
                hit[i] = (k.known and len(k.key) >= 3) or (
                    (k.first or k.known) and (left(i, _STRONG_LEFT) or weak(i))
                )

        def gap(i: int) -> str:
            return t[toks[i].end : toks[i + 1].start]

        def namelike(k: _Tok) -> bool:
            return (
                k.case in ("cap", "upper")
                and not k.function
                and not k.calendar
                and (k.first or k.last or k.known or not k.common)
            )

        # Two capitalised name tokens in a row: "Sarah Miller", "Will Smith".
        for i in range(n - 1):
            a, b = toks[i], toks[i + 1]
            if (
                a.case == "cap"
                and b.case == "cap"
                and gap(i) == " "
                and (a.first or a.known)
                and (b.last or b.known)
                and not (a.common and b.common)
                and not (a.calendar or b.calendar)
                and not (a.function or b.function)
            ):
                hit[i] = hit[i + 1] = True

        # Sign-offs: the last one to three capitalised tokens after "Regards," / "— ".
        tail_start = n
        while (
            tail_start > 0
            and n - tail_start < 3
            and toks[tail_start - 1].case in ("cap", "upper")
            and (tail_start == n or gap(tail_start - 1) in (" ", ". "))
        ):
            tail_start -= 1
        tail = toks[tail_start:]
        if (
            tail
            and not any((k.function and not _initial(k)) or k.calendar for k in tail)
            and _SIGNOFF_TAIL.fullmatch(t, toks[-1].end + _possessive(toks[-1], t))
        ):
            strong = left(tail_start, _SIGNOFF_STRONG) or left(tail_start, _STRONG_LEFT)
            dash = left(tail_start, _SIGNOFF_DASH)
            newline = left(tail_start, _SIGNOFF_NEWLINE)
            for i, k in enumerate(tail, start=tail_start):
                name_ish = k.first or k.last or k.known
                if (
                    (strong and (name_ish or not k.common))
                    or (dash and name_ish)
                    or (newline and name_ish and not k.common)
                ):
                    hit[i] = True

        # Extend names over following surname-like tokens, particles and initials.
        for i in range(n - 1):
            if not hit[i] or hit[i + 1]:
                continue
            b = toks[i + 1]
            g = gap(i)
            if g not in (" ", ". ") and not (g == " " and b.case == "lower"):
                continue
            if namelike(b) or (len(b.text) == 1 and b.text.isupper()):
                hit[i + 1] = True
            elif (
                b.key in _PARTICLES
                and i + 2 < n
                and gap(i + 1) == " "
                and toks[i + 2].case == "cap"
            ):
                hit[i + 1] = hit[i + 2] = True
        # An initial before a name: "J. Smith".
        for i in range(1, n):
            a = toks[i - 1]
            if (
                hit[i]
                and not hit[i - 1]
                and len(a.text) == 1
                and a.text.isupper()
                and t[a.end : toks[i].start] in (". ", " ")
            ):
                hit[i - 1] = True

        if not any(hit):
            return t
        spans: list[list[int]] = []
        for i in range(n):
            if not hit[i]:
                continue
            s, e = toks[i].start, toks[i].end
            if len(toks[i].text) == 1 and t[e : e + 1] == ".":
                e += 1  # an initial keeps its dot inside the placeholder
            if spans and t[spans[-1][1] : s].strip(" \t") in ("", "."):
                spans[-1][1] = e
            else:
                spans.append([s, e])
        sentinel = self._sentinel["name"]
        out, pos = [], 0
        for s, e in spans:
            out.append(t[pos:s])
            out.append(sentinel)
            pos = e
        out.append(t[pos:])
        counts["name"] = counts.get("name", 0) + len(spans)
        return "".join(out)


def _initial(tok: _Tok) -> bool:
    """A single capital letter ("J" in "J. Smith")."""
    return len(tok.text) == 1 and tok.text.isupper()


def _possessive(tok: _Tok, t: str) -> int:
    """Length of a possessive ``'s`` right after a token (0 if none)."""
    return 2 if t[tok.end : tok.end + 2] in ("'s", "’s") else 0


# ---- match checks ------------------------------------------------------------------------------


def _strip_url(m: re.Match[str]) -> str | bool:
    """Keep sentence punctuation that follows a URL outside the placeholder."""
    url = m.group()
    stripped = url
    while stripped and stripped[-1] in _TRAILING_PUNCT:
        if stripped[-1] == ")" and stripped.count("(") >= stripped.count(")"):
            break
        stripped = stripped[:-1]
    if not stripped:
        return False
    return url[len(stripped) :] or True


def _obfuscated_email_ok(m: re.Match[str]) -> bool:
    text = m.group()
    if _OBF_STRONG.search(text) or "@" in m.group("at"):
        return True
    # Plain " at " with real dots ("look at amazon.com") is only an e-mail address for the
    # big mail providers ("john at gmail.com"); the bare-domain URL rule catches the rest.
    domain = text[m.end("at") - m.start() :].split(".")[0].strip().lower()
    return domain in _MAIL_PROVIDERS


def _iban_ok(m: re.Match[str]) -> bool:
    compact = re.sub(r"[ -]", "", m.group())
    return 15 <= len(compact) <= 34 and sum(c.isdigit() for c in compact) >= 8


def _account_ok(m: re.Match[str]) -> bool:
    value = m.group("v")
    digits = sum(c.isdigit() for c in value)
    marked = bool(_ACCOUNT_MARK.search(m.group("mark"))) or value.startswith("#")
    if not marked and _YEAR.fullmatch(value):
        return False  # "in case 2024 ..." is a year, not a case number
    return digits >= (3 if marked else 4)


def _postcode_ok(m: re.Match[str]) -> bool:
    return any(c.isdigit() for c in m.group("v"))


def _phone_ok(m: re.Match[str]) -> bool:
    raw = m.group()
    body = _PHONE_EXT.sub("", raw).strip()
    digits = sum(c.isdigit() for c in body) - (2 if body.startswith("00") else 0)
    if not 7 <= digits <= 15:
        return False
    if _DATE_LIKE.match(body) or _LONG_SEPARATOR.search(body):
        return False
    start = m.start()
    before = m.string[max(0, start - 2) : start].strip()
    if before and before[-1] in _CURRENCY:
        return False
    prefixed = body.startswith(("+", "00", "("))
    separated = any(not c.isdigit() for c in body.lstrip("+"))
    return prefixed or separated


_INTERNATIONAL_PREFIX = re.compile(r"(?:\+|\b00)\d{1,4}[ .\-]?\(?\Z")


_NUMBER_BEFORE = re.compile(r"[\d)][ \t./-]{0,3}\Z")


def _card_ok(m: re.Match[str]) -> bool:
    """Card-like: no leading 0, and not the rest of "+49 800 1234567890"."""
    before = m.string[max(0, m.start() - 8) : m.start()]
    return m.group()[0] != "0" and not _INTERNATIONAL_PREFIX.search(before)


def _not_inside_number(m: re.Match[str]) -> bool:
    """Not the tail of a longer number ("(11) / 96123-4567", "+1 123 45 6789")."""
    before = m.string[max(0, m.start() - 8) : m.start()]
    return not _NUMBER_BEFORE.search(before) and not _INTERNATIONAL_PREFIX.search(before)


def _international_phone_ok(m: re.Match[str]) -> bool:
    text = m.group()
    prefixed = text.startswith("+") or (text.startswith("00") and text[2:3] in "123456789")
    return prefixed and _phone_ok(m)


@lru_cache(maxsize=1)
def default_scrubber() -> PiiScrubber:
    """A shared scrubber without known names (the gazetteer is built once per process)."""
    return PiiScrubber()
