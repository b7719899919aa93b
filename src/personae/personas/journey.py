"""The journey map of a group of customers: awareness → consideration → purchase → retention
→ advocacy, from the event, order, email, survey, review, ticket and text data.

A stage is a *behaviour on record*, so each member is tested for each stage independently
(a store buyer has no web visits yet clearly bought). ``conversion`` is the share of the
previous stage's members who also reached this one, so it stays in 0..1 even when the data
skips a step; ``drop_off`` is ``1 - conversion``.

Stage rules (event names compare case-insensitively; the sets are module constants):

* **awareness** — any recorded first touch: an event of any type (a visit, a session, an
  app screen, an identify call), an email received (any email event but a bounce), an
  acquisition channel credited in ``value_scores``, or a "how did you hear about us" survey
  answer. Touchpoints: acquisition channels, UTM sources of their events, survey answers.
* **consideration** — browsed or engaged: a :data:`CONSIDERATION_EVENTS` track event
  (Segment e-commerce browsing, SaaS sign-up/trial/demo), any other track event that is not
  a purchase, renewal, advocacy or :data:`NON_ENGAGEMENT_EVENTS` event (product use, e.g.
  "Query Run"), or a page/screen view whose path or name holds one of
  :data:`CONSIDERATION_PAGE_WORDS` (product, pricing, docs, cart ...). Touchpoints: devices,
  and the viewed categories (``properties.category``) or else the page sections.
* **purchase** — at least one kept order (``raw_orders`` through ``record_profiles``; not
  returned, cancelled or refunded), a :data:`PURCHASE_EVENTS` event whose
  ``properties.order_id`` the order file does not hold (an order the file knows is counted
  from the file only, whoever it is linked to), or a :data:`RENEWAL_EVENTS` event. Distinct
  orders are the order ids plus those event-only purchases. For B2B people
  (``profiles.account_id``) an order of their account counts (``value_orders.account_key``):
  the people of a paying account are its users. Touchpoints: order channel, payment method,
  coupon/discount use.
* **retention** — buyers who bought again (≥ 2 distinct orders, or a renewal event) or who
  were still active in the last :data:`ACTIVE_DAYS` days before the profiles' ``as_of``
  (any event, or an email opened/clicked). Touchpoints: email opens and clicks, app
  screens, support contact by ticket channel.
* **advocacy** — members who recommend: NPS ≥ :data:`PROMOTER_MIN` (survey questions
  :data:`NPS_QUESTIONS`), a review rated ≥ :data:`REVIEW_MIN_RATING`, a social post with
  sentiment ≥ :data:`POSITIVE_SENTIMENT` (``text_docs``), a "yes" to a
  :data:`REFERRAL_QUESTIONS` question, or an :data:`ADVOCACY_EVENTS` event. Touchpoints:
  NPS promoters, review platforms, social platforms, referrals.

Sentiment per stage is the mean ``text_docs.sentiment`` of the members' documents that
:data:`STAGE_DOCUMENTS` attributes to the stage (a document may serve two stages):
awareness ← survey goals and pain points (the need that brought them); consideration ←
objections and survey motivations (why they chose us); purchase ← reviews (the product they
bought); retention ← support tickets; advocacy ← social posts and reviews rated ≥ 4.
``sentiment_n`` is the number of documents with a score.

Minimum group size (``[governance] min_group_size``, k): a stage reached by 1..k-1
members is withheld (left out of the map; a claim on a neighbouring stage says so), a
conversion needs k members at the stage before and a converting count of 0 or ≥ k, a
touchpoint value needs k members, a stage's sentiment k writers, and a count in a claim
is stated only when it is 0 or ≥ k.

Events, emails and orders after the profiles' ``as_of`` are ignored, as in the profiles.
Everything runs in DuckDB on temporary tables joined to the members table, one pass per
source, so a million profiles and tens of millions of events cost a handful of scans.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from personae.engine import DuckDBEngine, quote_literal
from personae.governance.kanon import (
    DEFAULT_MIN_GROUP_SIZE,
    SUPPRESSED,
    check_k,
    fewer_than,
    small,
    small_cell,
)
from personae.personas.schema import JOURNEY_STAGES, Claim, Evidence, Fact, JourneyStage


# ----------------------------------------------------------------------------- stage rules
def _event_lists() -> dict:
    """journey_events.toml: the event names of each stage (data, so a shop can add its own)."""
    with open(Path(__file__).with_name("journey_events.toml"), "rb") as fh:
        return tomllib.load(fh)


_EVENTS = _event_lists()
CONSIDERATION_EVENTS = frozenset(_EVENTS["consideration"])
PURCHASE_EVENTS = frozenset(_EVENTS["purchase"])
RENEWAL_EVENTS = frozenset(_EVENTS["renewal"])
ADVOCACY_EVENTS = frozenset(_EVENTS["advocacy"])
NON_ENGAGEMENT_EVENTS = frozenset(_EVENTS["non_engagement"])
# Any other track event counts as engagement (feature use in a product).
OTHER_TRACK_EVENTS_ENGAGE = bool(_EVENTS["other_track_events_engage"])
CONSIDERATION_PAGE_WORDS = tuple(_EVENTS["consideration_page_words"])
EMAIL_NOT_RECEIVED = ("bounce", "bounced", "dropped", "deferred", "failed", "blocked")
EMAIL_OPENS = ("open", "opened", "email opened")
EMAIL_CLICKS = ("click", "clicked", "email link clicked")
HEAR_ABOUT_QUESTIONS = ("hear_about", "heard_about", "how_heard", "referral_source")
NPS_QUESTIONS = ("nps", "likely_to_recommend", "recommend")
REFERRAL_QUESTIONS = ("referred_friend", "has_referred", "would_refer", "referral")
YES_ANSWERS = ("yes", "y", "true", "1")
PROMOTER_MIN = 9
REVIEW_MIN_RATING = 4
POSITIVE_SENTIMENT = 0.05  # VADER's positive threshold, as in the text step
ACTIVE_DAYS = 90
KEPT_STATUS = "lower(coalesce(status, 'completed')) NOT IN ('returned', 'cancelled', 'refunded')"


@dataclass(frozen=True)
class DocRule:
    """Which ``text_docs`` rows speak for a stage (``None`` matches anything)."""

    source: str | None = None
    facet: str | None = None
    min_rating: int | None = None


STAGE_DOCUMENTS: dict[str, tuple[DocRule, ...]] = {
    "awareness": (DocRule("survey", "goal"), DocRule("survey", "pain_point")),
    "consideration": (DocRule(None, "objection"), DocRule("survey", "motivation")),
    "purchase": (DocRule("review"),),
    "retention": (DocRule("ticket"),),
    "advocacy": (DocRule("social"), DocRule("review", min_rating=REVIEW_MIN_RATING)),
}

_T = "_journey_"  # prefix of this module's temporary tables
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _in(values: frozenset[str] | tuple[str, ...]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in sorted(values)) + ")"


def _pct(x: float | None) -> str:
    if x is None:
        return "–"
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{round(100 * x)}%"


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def rule_sql(rule: DocRule, alias: str = "d") -> str:
    """The SQL condition of one :class:`DocRule` on ``text_docs``."""
    parts = []
    if rule.source is not None:
        parts.append(f"{alias}.source = {quote_literal(rule.source)}")
    if rule.facet is not None:
        parts.append(f"{alias}.facet = {quote_literal(rule.facet)}")
    if rule.min_rating is not None:
        parts.append(f"{alias}.rating >= {int(rule.min_rating)}")
    return "(" + (" AND ".join(parts) or "TRUE") + ")"


# ----------------------------------------------------------------------------- the map
class _Journey:
    """One journey computation on a connection; temp tables are dropped at the end."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        members: str,
        top: int,
        min_group: int = DEFAULT_MIN_GROUP_SIZE,
    ) -> None:
        if not _IDENT.match(members):
            raise ValueError(f"members must name a table, got {members!r}")
        self.con = con
        self.eng = DuckDBEngine(con)
        self.members = members
        self.top = max(int(top), 0)
        self.min_group = check_k(min_group)
        self.created: list[str] = []
        self._cols: dict[str, set[str]] = {}

    # -- helpers
    def cols(self, table: str) -> set[str]:
        if table not in self._cols:
            self._cols[table] = set(self.eng.columns(table)) if self.eng.has_table(table) else set()
        return self._cols[table]

    def col(self, table: str, name: str, alias: str = "r", cast: str = "VARCHAR") -> str:
        return f"{alias}.{name}" if name in self.cols(table) else f"CAST(NULL AS {cast})"

    def temp(self, name: str, sql: str) -> str:
        full = _T + name
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {full} AS {sql}")
        self.created.append(full)
        return full

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def linked(self, kind: str, table: str, target: str = _T + "m") -> str | None:
        """FROM clause of ``table`` rows (alias r) joined to the profile each belongs to
        (alias m, from ``target``: the members unless said otherwise)."""
        if not self.cols(table) or not self.eng.has_table("record_profiles"):
            return None
        if not {"_source_file", "_source_row"} <= self.cols(table):
            return None
        links = record_links(self.con, kind)
        return (
            f"{table} r JOIN {links} rp "
            "ON rp.source_file = r._source_file AND rp.source_row = r._source_row "
            f"JOIN {target} m ON m.profile_id = rp.profile_id"
        )

    # -- staging
    def stage_members(self) -> int:
        self.temp(
            "m",
            f"SELECT DISTINCT CAST(profile_id AS VARCHAR) AS profile_id FROM {self.members} "
            "WHERE profile_id IS NOT NULL",
        )
        return int(self.rows(f"SELECT count(*) FROM {_T}m")[0][0])

    def stage_as_of(self) -> str:
        as_of = None
        if "as_of" in self.cols("profiles"):
            as_of = self.rows("SELECT max(as_of) FROM profiles")[0][0]
        if as_of is None and "timestamp" in self.cols("raw_events"):
            as_of = self.rows("SELECT max(timestamp) FROM raw_events")[0][0]
        self.as_of = f"TIMESTAMP {quote_literal(str(as_of))}" if as_of else "current_timestamp"
        return self.as_of

    def stage_events(self) -> None:
        """``_journey_ev``: member events reduced to distinct (class, touchpoint) rows."""
        src = self.linked("events", "raw_events")
        t = "raw_events"
        if src is None:
            self.temp(
                "ev",
                "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS type, "
                "CAST(NULL AS VARCHAR) AS cls, CAST(NULL AS VARCHAR) AS device, "
                "CAST(NULL AS VARCHAR) AS utm_source, CAST(NULL AS VARCHAR) AS category, "
                "CAST(NULL AS VARCHAR) AS section, CAST(NULL AS VARCHAR) AS buy_key, "
                "CAST(NULL AS TIMESTAMP) AS last_at, 0 AS n WHERE FALSE",
            )
            return
        props = "properties" in self.cols(t)
        # json_valid first: one malformed properties string must not fail the whole map
        prop = (
            "CASE WHEN json_valid(r.properties) THEN json_extract_string(r.properties, '$.{}') END"
        )
        category = prop.format("category") if props else "NULL"
        order_id = prop.format("order_id") if props else "NULL"
        ts = self.col(t, "timestamp", cast="TIMESTAMP")
        # snake_case names (GA4's view_item) read as the spaced names of the lists
        event = f"replace(lower(trim({self.col(t, 'event')})), '_', ' ')"
        path = self.col(t, "page_path")
        name = self.col(t, "name")
        pages_re = quote_literal("|".join(re.escape(w) for w in CONSIDERATION_PAGE_WORDS))
        other = (
            "WHEN ev IS NOT NULL AND ev <> '' AND type = 'track' THEN 'consider'"
            if OTHER_TRACK_EVENTS_ENGAGE
            else ""
        )
        self.temp(
            "ev",
            f"""
            SELECT profile_id, type, cls,
                   CASE WHEN cls = 'consider' THEN device END AS device, utm_source,
                   CASE WHEN cls = 'consider' THEN category END AS category,
                   CASE WHEN cls = 'consider' THEN section END AS section,
                   CASE WHEN cls = 'purchase' THEN buy_key END AS buy_key,
                   max(ts) AS last_at, count(*) AS n
            FROM (
                SELECT *, CASE
                    WHEN type = 'track' AND ev IN {_in(PURCHASE_EVENTS)} THEN 'purchase'
                    WHEN type = 'track' AND ev IN {_in(RENEWAL_EVENTS)} THEN 'renewal'
                    WHEN type = 'track' AND ev IN {_in(ADVOCACY_EVENTS)} THEN 'advocacy'
                    WHEN type = 'track' AND ev IN {_in(CONSIDERATION_EVENTS)} THEN 'consider'
                    WHEN type = 'track' AND ev IN {_in(NON_ENGAGEMENT_EVENTS)} THEN 'passive'
                    {other}
                    WHEN type IN ('page', 'screen') AND regexp_matches(
                        lower(coalesce(path, '') || ' ' || coalesce(name, '')), {pages_re})
                        THEN 'consider'
                    WHEN type IN ('page', 'screen') THEN 'visit'
                    ELSE 'other' END AS cls
                FROM (
                    SELECT m.profile_id, lower(trim({self.col(t, "type")})) AS type,
                           {event} AS ev, {path} AS path, {name} AS name,
                           nullif(trim({self.col(t, "device_type")}), '') AS device,
                           nullif(trim({self.col(t, "utm_source")}), '') AS utm_source,
                           nullif(trim({category}), '') AS category,
                           coalesce(nullif(regexp_extract({path}, '^(/[^/?#]+(/[^/?#]+)?)', 1),
                                           ''), nullif(trim({name}), '')) AS section,
                           coalesce({order_id}, {self.col(t, "message_id")},
                                    r._source_file || ':' || CAST(r._source_row AS VARCHAR))
                               AS buy_key,
                           {ts} AS ts
                    FROM {src}
                    WHERE {ts} IS NULL OR {ts} <= {self.as_of}
                ) e
            ) c
            GROUP BY ALL
            """,
        )

    def stage_orders(self) -> None:
        """``_journey_ord``: orders per member (own orders, and for B2B the account's)."""
        t = "raw_orders"
        src = self.linked("orders", t, _T + "scope")
        empty = (
            "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS order_key, "
            "CAST(NULL AS BOOLEAN) AS kept, CAST(NULL AS VARCHAR) AS channel, "
            "CAST(NULL AS VARCHAR) AS payment, CAST(NULL AS BOOLEAN) AS coupon WHERE FALSE"
        )
        if src is None:
            self.temp("ord", empty)
            return
        c = self.cols(t)
        b2b = "account_id" in self.cols("profiles") and "account_key" in self.cols("value_orders")
        # the profiles whose orders matter: the members, and for B2B their colleagues
        scope = f"SELECT profile_id FROM {_T}m"
        if b2b:
            self.temp(
                "acc",
                f"SELECT DISTINCT p.account_id FROM profiles p JOIN {_T}m m "
                "ON m.profile_id = p.profile_id WHERE p.account_id IS NOT NULL",
            )
            scope += (
                f" UNION SELECT p.profile_id FROM profiles p JOIN {_T}acc a "
                "ON a.account_id = p.account_id"
            )
        self.temp("scope", scope)
        order_key = "r.order_id" if "order_id" in c else "CAST(r._source_row AS VARCHAR)"
        kept = KEPT_STATUS.replace("status", "r.status") if "status" in c else "TRUE"
        coupon = []
        if "coupon_code" in c:
            coupon.append("nullif(trim(r.coupon_code), '') IS NOT NULL")
        if "discount" in c:
            coupon.append("coalesce(r.discount, 0) > 0")
        coupon_sql = " OR ".join(coupon) or "NULL"
        date = (
            f"(r.order_date IS NULL OR r.order_date <= {self.as_of})"
            if "order_date" in c
            else "TRUE"
        )
        self.temp(
            "orders",
            f"""
            SELECT m.profile_id, {order_key} AS order_key, bool_or({kept}) AS kept,
                   max(nullif(trim({self.col(t, "channel")}), '')) AS channel,
                   max(nullif(trim({self.col(t, "payment_method")}), '')) AS payment,
                   bool_or({coupon_sql}) AS coupon
            FROM {src} WHERE {date}
            GROUP BY ALL
            """,
        )
        own = f"SELECT m.profile_id, o.* EXCLUDE (profile_id) FROM {_T}m m JOIN {_T}orders o "
        own += "ON o.profile_id = m.profile_id"
        if b2b:
            self.temp(
                "ord",
                f"""
                {own}
                UNION
                SELECT m.profile_id, o.* EXCLUDE (profile_id)
                FROM {_T}m m JOIN profiles p ON p.profile_id = m.profile_id
                JOIN (SELECT DISTINCT profile_id, order_key, account_key FROM value_orders
                      WHERE account_key IS NOT NULL) v ON v.account_key = p.account_id
                JOIN {_T}orders o ON o.profile_id = v.profile_id AND o.order_key = v.order_key
                """,
            )
        else:
            self.temp("ord", own)

    def stage_email(self) -> None:
        t = "raw_email_events"
        src = self.linked("email_events", t)
        if src is None:
            self.temp(
                "mail",
                "SELECT CAST(NULL AS VARCHAR) AS profile_id, FALSE AS received, "
                "FALSE AS opened, FALSE AS clicked, CAST(NULL AS TIMESTAMP) AS engaged_at "
                "WHERE FALSE",
            )
            return
        ev = f"lower(trim({self.col(t, 'event')}))"
        ts = self.col(t, "timestamp", cast="TIMESTAMP")
        self.temp(
            "mail",
            f"""
            SELECT m.profile_id,
                   bool_or(coalesce({ev}, '') NOT IN {_in(EMAIL_NOT_RECEIVED)}) AS received,
                   bool_or({ev} IN {_in(EMAIL_OPENS)}) AS opened,
                   bool_or({ev} IN {_in(EMAIL_CLICKS)}) AS clicked,
                   max(CASE WHEN {ev} IN {_in(EMAIL_OPENS + EMAIL_CLICKS)} THEN {ts} END)
                       AS engaged_at
            FROM {src} WHERE {ts} IS NULL OR {ts} <= {self.as_of}
            GROUP BY m.profile_id
            """,
        )

    def stage_acquisition(self) -> None:
        if "acquisition_channel" in self.cols("value_scores"):
            sql = (
                f"SELECT m.profile_id, any_value(v.acquisition_channel) AS channel "
                f"FROM {_T}m m JOIN value_scores v ON v.profile_id = m.profile_id "
                "WHERE nullif(trim(v.acquisition_channel), '') IS NOT NULL GROUP BY 1"
            )
        else:
            sql = "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS channel "
            sql += "WHERE FALSE"
        self.temp("acq", sql)

    def stage_surveys(self) -> None:
        """``_journey_sv``: (member, kind, answer) for first-touch, NPS and referral answers."""
        t = "raw_survey_responses"
        src = self.linked("survey_responses", t)
        if src is None or not {"question_id", "answer"} <= self.cols(t):
            self.temp(
                "sv",
                "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS kind, "
                "CAST(NULL AS VARCHAR) AS answer WHERE FALSE",
            )
            return
        q = "lower(trim(r.question_id))"
        a = "trim(r.answer)"
        self.temp(
            "sv",
            f"""
            SELECT DISTINCT m.profile_id,
                   CASE WHEN {q} IN {_in(HEAR_ABOUT_QUESTIONS)} THEN 'hear_about'
                        WHEN {q} IN {_in(NPS_QUESTIONS)} THEN
                             CASE WHEN TRY_CAST({a} AS DOUBLE) >= {PROMOTER_MIN}
                                  THEN 'promoter' ELSE 'nps' END
                        ELSE CASE WHEN lower({a}) IN {_in(YES_ANSWERS)}
                                  THEN 'referral' ELSE 'no_referral' END
                   END AS kind,
                   {a} AS answer
            FROM {src}
            WHERE ({q} IN {_in(HEAR_ABOUT_QUESTIONS + NPS_QUESTIONS + REFERRAL_QUESTIONS)})
              AND nullif({a}, '') IS NOT NULL
            """,
        )

    def stage_reviews(self) -> None:
        t = "raw_reviews"
        src = self.linked("reviews", t)
        if src is None:
            sql = "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS platform,"
            sql += " CAST(NULL AS DOUBLE) AS rating WHERE FALSE"
        else:
            sql = (
                f"SELECT m.profile_id, nullif(trim({self.col(t, 'platform')}), '') AS platform, "
                f"TRY_CAST({self.col(t, 'rating')} AS DOUBLE) AS rating FROM {src}"
            )
        self.temp("rev", sql)

    def stage_social(self) -> None:
        """Members' social posts with their sentiment (text step); platform = channel."""
        c = self.cols("text_docs")
        if not {"source", "profile_id", "sentiment", "record_id"} <= c:
            sql = "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS platform,"
            sql += " CAST(NULL AS DOUBLE) AS sentiment WHERE FALSE"
        else:
            channel = "d.channel" if "channel" in c else "CAST(NULL AS VARCHAR)"
            sql = (
                f"SELECT m.profile_id, d.record_id, any_value(nullif(trim({channel}), '')) "
                "AS platform, avg(d.sentiment) AS sentiment "
                f"FROM text_docs d JOIN {_T}m m ON m.profile_id = d.profile_id "
                "WHERE d.source = 'social' GROUP BY 1, 2"
            )
        self.temp("soc", sql)

    def stage_tickets(self) -> None:
        t = "raw_tickets"
        src = self.linked("tickets", t)
        if src is None:
            sql = "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS channel "
            sql += "WHERE FALSE"
        else:
            sql = (
                f"SELECT DISTINCT m.profile_id, coalesce(nullif(trim("
                f"{self.col(t, 'channel')}), ''), 'unknown') AS channel FROM {src}"
            )
        self.temp("tix", sql)

    def stage_flags(self) -> None:
        """``_journey_f``: one row per member with a boolean per stage and its parts."""
        active_from = f"{self.as_of} - INTERVAL {int(ACTIVE_DAYS)} DAY"
        t = _T
        # an event for an order the order file knows (whoever it is linked to) is that
        # order, not another purchase: anonymous visitor profiles often carry the
        # "Order Completed" of an order that identity resolution put on the buyer
        known = (
            "SELECT DISTINCT order_id AS order_key FROM raw_orders WHERE order_id IS NOT NULL"
            if "order_id" in self.cols("raw_orders")
            else f"SELECT order_key FROM {t}ord"
        )
        self.temp(
            "buy",
            f"""
            SELECT profile_id, order_key AS buy_key FROM {t}ord WHERE kept
            UNION
            SELECT e.profile_id, e.buy_key FROM {t}ev e
            WHERE e.cls = 'purchase' AND NOT EXISTS (
                SELECT 1 FROM ({known}) k WHERE k.order_key = e.buy_key)
            """,
        )
        self.temp(
            "f",
            f"""
            WITH ev AS (
                SELECT profile_id, TRUE AS any_event,
                       bool_or(cls = 'consider') AS consider,
                       bool_or(cls = 'renewal') AS renewal,
                       bool_or(cls = 'advocacy') AS adv_event,
                       max(last_at) AS last_at
                FROM {t}ev GROUP BY profile_id
            ), buy AS (
                SELECT profile_id, count(DISTINCT buy_key) AS purchases FROM {t}buy
                GROUP BY profile_id
            ), sv AS (
                SELECT profile_id, bool_or(kind = 'hear_about') AS heard,
                       bool_or(kind = 'promoter') AS promoter,
                       bool_or(kind = 'referral') AS referral
                FROM {t}sv GROUP BY profile_id
            ), rev AS (
                SELECT profile_id, TRUE AS good_review FROM {t}rev
                WHERE rating >= {REVIEW_MIN_RATING} GROUP BY profile_id
            ), soc AS (
                SELECT profile_id, TRUE AS good_post FROM {t}soc
                WHERE sentiment >= {POSITIVE_SENTIMENT} GROUP BY profile_id
            ), base AS (
                SELECT m.profile_id,
                       coalesce(ev.any_event, FALSE) AS with_events,
                       coalesce(mail.received, FALSE) AS with_email,
                       acq.channel IS NOT NULL AS with_channel,
                       coalesce(sv.heard, FALSE) AS with_survey,
                       coalesce(ev.consider, FALSE) AS consider,
                       coalesce(buy.purchases, 0) AS purchases,
                       coalesce(ev.renewal, FALSE) AS renewal,
                       coalesce(ev.last_at >= {active_from}, FALSE)
                           OR coalesce(mail.engaged_at >= {active_from}, FALSE) AS active,
                       coalesce(sv.promoter, FALSE) AS promoter,
                       coalesce(rev.good_review, FALSE) AS good_review,
                       coalesce(soc.good_post, FALSE) AS good_post,
                       coalesce(sv.referral, FALSE) OR coalesce(ev.adv_event, FALSE)
                           AS referral
                FROM {t}m m
                LEFT JOIN ev ON ev.profile_id = m.profile_id
                LEFT JOIN {t}mail mail ON mail.profile_id = m.profile_id
                LEFT JOIN {t}acq acq ON acq.profile_id = m.profile_id
                LEFT JOIN buy ON buy.profile_id = m.profile_id
                LEFT JOIN sv ON sv.profile_id = m.profile_id
                LEFT JOIN rev ON rev.profile_id = m.profile_id
                LEFT JOIN soc ON soc.profile_id = m.profile_id
            )
            SELECT *,
                   with_events OR with_email OR with_channel OR with_survey AS awareness,
                   consider AS consideration,
                   purchases > 0 OR renewal AS purchase,
                   purchases >= 2 OR renewal AS repeat,
                   (purchases > 0 OR renewal) AND (purchases >= 2 OR renewal OR active)
                       AS retention,
                   promoter OR good_review OR good_post OR referral AS advocacy
            FROM base
            """,
        )

    # -- figures
    def counts(self) -> dict[str, int]:
        s = JOURNEY_STAGES
        exprs = [f"count_if({x})" for x in s]
        exprs += [f"count_if({a} AND {b})" for a, b in itertools.pairwise(s)]
        parts = (
            "with_events", "with_email", "with_channel", "with_survey", "repeat", "active",
            "promoter", "good_review", "good_post", "referral",
        )  # fmt: skip
        exprs += [f"count_if(purchase AND {p})" for p in ("repeat", "active")]
        exprs += [f"count_if({p})" for p in parts]
        exprs.append("count_if(purchase AND NOT consideration)")
        row = self.rows(f"SELECT {', '.join(exprs)} FROM {_T}f")[0]
        keys = list(s) + [f"{b}&prev" for b in s[1:]]
        keys += ["buyers_repeat", "buyers_active", *parts, "buy_no_consider"]
        return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}

    def sentiment(self) -> dict[str, tuple[float | None, int]]:
        out: dict[str, tuple[float | None, int]] = {s: (None, 0) for s in JOURNEY_STAGES}
        c = self.cols("text_docs")
        if not {"source", "facet", "profile_id", "sentiment"} <= c:
            return out
        for stage, rules in STAGE_DOCUMENTS.items():
            if "rating" not in c and any(r.min_rating is not None for r in rules):
                rules = tuple(r for r in rules if r.min_rating is None)
            if not rules:
                continue
            cond = " OR ".join(rule_sql(r) for r in rules)
            mean, n, writers = self.rows(
                f"SELECT avg(d.sentiment), count(d.sentiment), count(DISTINCT d.profile_id) "
                f"FROM text_docs d JOIN {_T}m m ON m.profile_id = d.profile_id "
                f"WHERE ({cond}) AND d.sentiment IS NOT NULL AND NOT isnan(d.sentiment)"
            )[0]
            if small(writers, self.min_group):  # a mood of fewer than k writers: not shown
                continue
            out[stage] = (None if not n else float(mean), int(n))
        return out

    def shares(self, pairs_sql: str, stage: str, reached: int) -> list[tuple[str, int, float]]:
        """Top values of (profile_id, value) pairs among the members who reached ``stage``,
        each held by at least ``min_group`` of them."""
        if small(reached, self.min_group) or self.top == 0:
            return []
        rows = self.rows(
            f"""
            SELECT CAST(value AS VARCHAR) AS value, count(DISTINCT p.profile_id) AS n
            FROM ({pairs_sql}) p JOIN {_T}f f ON f.profile_id = p.profile_id
            WHERE f.{stage} AND p.value IS NOT NULL
            GROUP BY 1 HAVING count(DISTINCT p.profile_id) >= {self.min_group}
            ORDER BY n DESC, value LIMIT {self.top}
            """
        )
        return [(str(v), int(n), n / reached) for v, n in rows]

    def touchpoints(self, stage: str, reached: int) -> list[Fact]:
        t = _T
        # (label, source table, attribute, pairs SQL, how counted)
        specs: list[tuple[str, str, str, str, str]] = []
        if stage == "awareness":
            specs = [
                ("Came through", "value_scores", "acquisition_channel",
                 f"SELECT profile_id, channel AS value FROM {t}acq",
                 "credited acquisition channel (value_scores.acquisition_channel)"),
                ("Arrived from", "raw_events", "utm_source",
                 f"SELECT DISTINCT profile_id, utm_source AS value FROM {t}ev",
                 "at least one event with this utm_source"),
                ("Heard about us via", "raw_survey_responses", "hear_about",
                 f"SELECT profile_id, answer AS value FROM {t}sv WHERE kind = 'hear_about'",
                 "answered this to 'how did you hear about us'"),
            ]  # fmt: skip
        elif stage == "consideration":
            has_cat = bool(
                self.rows(f"SELECT count(*) FROM {t}ev WHERE category IS NOT NULL")[0][0]
            )
            specs = [
                ("Device", "raw_events", "device_type",
                 f"SELECT DISTINCT profile_id, device AS value FROM {t}ev",
                 "browsed or engaged on this device type"),
            ]  # fmt: skip
            if has_cat:
                specs.append(
                    ("Browsed", "raw_events", "properties.category",
                     f"SELECT DISTINCT profile_id, category AS value FROM {t}ev",
                     "viewed or engaged with this category")
                )  # fmt: skip
            else:
                specs.append(
                    ("Visited", "raw_events", "page_path",
                     f"SELECT DISTINCT profile_id, section AS value FROM {t}ev",
                     "viewed this page section or screen")
                )  # fmt: skip
        elif stage == "purchase":
            specs = [
                ("Order channel", "raw_orders", "channel",
                 f"SELECT DISTINCT profile_id, channel AS value FROM {t}ord WHERE kept",
                 "at least one kept order through this channel"),
                ("Payment", "raw_orders", "payment_method",
                 f"SELECT DISTINCT profile_id, payment AS value FROM {t}ord WHERE kept",
                 "paid at least one kept order this way"),
                ("Coupon or discount", "raw_orders", "coupon_code",
                 f"SELECT DISTINCT profile_id, 'used' AS value FROM {t}ord WHERE coupon",
                 "at least one order with a coupon code or a discount"),
            ]  # fmt: skip
        elif stage == "retention":
            specs = [
                ("Email", "raw_email_events", "event",
                 f"SELECT profile_id, 'opens' AS value FROM {t}mail WHERE opened "
                 f"UNION ALL SELECT profile_id, 'clicks' FROM {t}mail WHERE clicked",
                 "opened / clicked at least one email"),
                ("App", "raw_events", "type",
                 f"SELECT DISTINCT profile_id, 'screen views' AS value FROM {t}ev "
                 "WHERE type = 'screen'",
                 "at least one app screen view"),
                ("Support", "raw_tickets", "channel",
                 f"SELECT profile_id, channel AS value FROM {t}tix",
                 "contacted support through this channel"),
            ]  # fmt: skip
        elif stage == "advocacy":
            specs = [
                ("NPS", "raw_survey_responses", "nps",
                 f"SELECT DISTINCT profile_id, 'promoter ({PROMOTER_MIN}-10)' AS value "
                 f"FROM {t}sv WHERE kind = 'promoter'",
                 f"answered {PROMOTER_MIN} or 10 to the recommend question"),
                ("Reviews on", "raw_reviews", "platform",
                 f"SELECT profile_id, coalesce(platform, 'unknown') AS value FROM {t}rev "
                 f"WHERE rating >= {REVIEW_MIN_RATING}",
                 f"a review rated {REVIEW_MIN_RATING}+ on this platform"),
                ("Posts on", "text_docs", "channel",
                 f"SELECT profile_id, coalesce(platform, 'unknown') AS value FROM {t}soc "
                 f"WHERE sentiment >= {POSITIVE_SENTIMENT}",
                 "a positive social post on this platform"),
                ("Referral", "raw_survey_responses", "referral",
                 f"SELECT DISTINCT profile_id, 'referred someone' AS value FROM {t}sv "
                 f"WHERE kind = 'referral' UNION SELECT DISTINCT profile_id, "
                 f"'referred someone' FROM {t}ev WHERE cls = 'advocacy'",
                 "said yes to a referral question or sent a referral"),
            ]  # fmt: skip
        facts = []
        for label, source, attribute, pairs, how in specs:
            for value, n, share in self.shares(pairs, stage, reached):
                facts.append(
                    Fact(
                        label=label,
                        value=_words(value),
                        share=share,
                        text=f"{label} {_words(value)}: {_pct(share)} of those at {stage}",
                        evidence=[
                            Evidence(
                                kind="records",
                                source=source,
                                attribute=attribute,
                                level=value,
                                segment_value=share,
                                n=reached,
                                note=f"{n:,} of {reached:,} members who reached {stage} ({how})",
                            )
                        ],
                    )
                )
        return facts


def _evidence(source: str, value: float | None, n: int, note: str) -> Evidence:
    return Evidence(kind="records", source=source, segment_value=value, n=n, note=note)


_LEAD_TOUCH = {
    "Came through": "Their leading acquisition channel",
    "Arrived from": "The leading campaign source of their visits",
    "Heard about us via": "The most common answer to 'how did you hear about us'",
}


def _conversion(k: dict[str, int], stage: str, min_group: int) -> float | None:
    """Share of the stage before that reached ``stage``: None for the entry stage, and when
    the stage before has fewer than ``min_group`` members or the converting count is a
    small cell (1..min_group-1)."""
    i = JOURNEY_STAGES.index(stage)
    if not i:
        return None
    prev = JOURNEY_STAGES[i - 1]
    if small(k[prev], min_group) or small_cell(k[f"{stage}&prev"], min_group):
        return None
    return k[f"{stage}&prev"] / k[prev]


def _claims(
    stage: str,
    k: dict[str, int],
    total: int,
    touch: list[Fact],
    min_group: int = DEFAULT_MIN_GROUP_SIZE,
) -> list[Claim]:
    """1–2 plain-English statements per stage, each with the figures it rests on; a count
    under the minimum group size is never stated."""
    if total == 0:
        return []
    stages = JOURNEY_STAGES
    i = stages.index(stage)
    prev = stages[i - 1] if i else None
    reached = k[stage]
    conv = _conversion(k, stage, min_group)

    def shown(n: int) -> bool:
        return n > 0 and not small_cell(n, min_group)

    out: list[Claim] = []

    def conversion_claim(source: str, doing: str, prev_words: str) -> None:
        if conv is None:
            return
        out.append(
            Claim(
                text=f"{_pct(conv)} of those who {prev_words} {doing}; {_pct(1 - conv)} did not.",
                evidence=[
                    _evidence(
                        source,
                        conv,
                        k[prev],
                        f"{k[f'{stage}&prev']:,} of the {k[prev]:,} members at {prev} also "
                        f"reached {stage}",
                    )
                ],
            )
        )

    if stage == "awareness":
        parts = [
            (k["with_events"], "tracked visits or app use"),
            (k["with_email"], "emails received"),
            (k["with_channel"], "a credited acquisition channel"),
            (k["with_survey"], "a 'how did you hear' answer"),
        ]
        listed = ", ".join(f"{n:,} with {w}" for n, w in parts if shown(n))
        out.append(
            Claim(
                text=f"{_pct(reached / total)} of them have a recorded first touch"
                + (f" ({listed})." if listed else "."),
                evidence=[
                    _evidence(
                        "raw_events, raw_email_events, value_scores, raw_survey_responses",
                        reached / total,
                        total,
                        f"{reached:,} of {total:,} members with any event, email received, "
                        "acquisition channel or first-touch survey answer",
                    )
                ],
            )
        )
        if touch:
            f = touch[0]
            out.append(
                Claim(
                    text=f"{_LEAD_TOUCH.get(f.label, f.label)}: {f.value} "
                    f"({_pct(f.share)} of those aware).",
                    evidence=list(f.evidence),
                )
            )
    elif stage == "consideration":
        conversion_claim(
            "raw_events",
            "went on to browse or engage (product views, cart, checkout or product use)",
            "had a first touch",
        )
    elif stage == "purchase":
        conversion_claim(
            "raw_orders, raw_events", "bought (an order, subscription or payment)", "engaged"
        )
        if shown(k["buy_no_consider"]):
            n = k["buy_no_consider"]
            share = n / reached if reached else None
            out.append(
                Claim(
                    text=f"{n:,} buyers ({_pct(share)} of buyers) have no browsing on record: "
                    "they bought in store, through sales or on an untracked device.",
                    evidence=[
                        _evidence(
                            "raw_orders, raw_events",
                            share,
                            reached,
                            f"{n:,} of {reached:,} buyers without a consideration event",
                        )
                    ],
                )
            )
    elif stage == "retention":
        buyers = k["purchase"]
        rep = k["buyers_repeat"] / buyers if buyers else 0.0
        act = k["buyers_active"] / buyers if buyers else 0.0
        if not small(buyers, min_group) and not small_cell(k["buyers_repeat"], min_group):
            out.append(
                Claim(
                    text=f"{_pct(rep)} of buyers bought again; {_pct(1 - rep)} stopped after "
                    "the first order.",
                    evidence=[
                        _evidence(
                            "raw_orders, raw_events",
                            rep,
                            buyers,
                            f"{k['buyers_repeat']:,} of {buyers:,} buyers with 2+ orders or a "
                            "renewal",
                        )
                    ],
                )
            )
        if not small(buyers, min_group) and not small_cell(k["buyers_active"], min_group):
            out.append(
                Claim(
                    text=f"{_pct(act)} of buyers were active in the last {ACTIVE_DAYS} days "
                    "(visits, app use or email opens).",
                    evidence=[
                        _evidence(
                            "raw_events, raw_email_events",
                            act,
                            buyers,
                            f"{k['buyers_active']:,} of {buyers:,} buyers with an event or an "
                            f"email open/click in the {ACTIVE_DAYS} days before as_of",
                        )
                    ],
                )
            )
    elif stage == "advocacy":
        conversion_claim(
            "raw_survey_responses, raw_reviews, text_docs, raw_events",
            "recommend us",
            "stayed",
        )
        signals = [
            (k["promoter"], f"gave NPS {PROMOTER_MIN}–10"),
            (k["good_review"], f"wrote reviews rated {REVIEW_MIN_RATING}–5"),
            (k["good_post"], "posted positively on social media"),
            (k["referral"], "referred someone"),
        ]
        listed = ", ".join(f"{n:,} {w}" for n, w in signals if shown(n))
        if listed:
            out.append(
                Claim(
                    text=f"{_pct(reached / total)} of them recommend us: {listed}.",
                    evidence=[
                        _evidence(
                            "raw_survey_responses, raw_reviews, text_docs, raw_events",
                            reached / total,
                            total,
                            f"{reached:,} of {total:,} members with at least one signal",
                        )
                    ],
                )
            )
    return out[:2]


LINKS = "_record_links_"  # prefix of the per-kind record -> profile tables kept for reuse


def record_links(con: duckdb.DuckDBPyConnection, kind: str) -> str:
    """A temporary table of ``record_profiles`` for one source kind, made once per connection.

    ``record_profiles`` is a view over the identity tables; evaluating it for 17 M events
    costs more than the rest of a journey map together, and a persona build maps one journey
    per persona. Callers that change the data on the same connection afterwards must call
    :func:`drop_record_links`.
    """
    name = LINKS + re.sub(r"[^a-z0-9_]", "_", kind.lower())
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} AS SELECT source_file, source_row, profile_id "
        f"FROM record_profiles WHERE source_kind = {quote_literal(kind)} "
        "AND profile_id IS NOT NULL"
    )
    return name


def drop_record_links(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?)",
        [LINKS],
    ).fetchall()
    for (name,) in rows:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def journey_map(
    con: duckdb.DuckDBPyConnection,
    members: str = "_persona_members",
    *,
    top: int = 3,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> list[JourneyStage]:
    """The journey stages of the people in table ``members`` (column ``profile_id``).

    ``top`` is the number of touchpoint values kept per touchpoint kind. All five stages
    come back, in order, except those reached by 1..``min_group_size``-1 members (withheld;
    see the module docstring, with the stage rules). Temporary tables ``_journey_*`` are
    dropped on return.
    """
    j = _Journey(con, members, top, min_group_size)
    mg = j.min_group
    try:
        total = j.stage_members()
        j.stage_as_of()
        j.stage_events()
        j.stage_orders()
        j.stage_email()
        j.stage_acquisition()
        j.stage_surveys()
        j.stage_reviews()
        j.stage_social()
        j.stage_tickets()
        j.stage_flags()
        k = j.counts()
        feeling = j.sentiment()
        out = []
        withheld = []
        for stage in JOURNEY_STAGES:
            reached = k[stage]
            if small_cell(reached, mg):
                withheld.append(stage)
                out.append(None)
                continue
            conv = _conversion(k, stage, mg)
            touch = j.touchpoints(stage, reached)
            mean, n = feeling[stage]
            out.append(
                JourneyStage(
                    stage=stage,
                    reached=reached,
                    reached_share=reached / total if total else 0.0,
                    conversion=conv,
                    drop_off=None if conv is None else 1 - conv,
                    touchpoints=touch,
                    sentiment=mean,
                    sentiment_n=n,
                    claims=_claims(stage, k, total, touch, mg),
                )
            )
        return _without(out, withheld, total, mg)
    finally:
        for name in reversed(j.created):
            con.execute(f"DROP TABLE IF EXISTS {name}")


def withheld_claim(stage: str, total: int, min_group: int) -> Claim:
    """The visible note for a stage left out of the map under the minimum group size."""
    return Claim(
        text=f"{stage.capitalize()}: {fewer_than(min_group, 'members')} reached this stage, "
        "so it is not shown (minimum group size).",
        evidence=[
            _evidence(
                "personas",
                None,
                total,
                f"{SUPPRESSED}: the {stage} stage rests on {fewer_than(min_group, 'members')}",
            )
        ],
    )


def is_withheld_note(claim: Claim) -> bool:
    """True for the claim :func:`withheld_claim` adds (a note, not a finding)."""
    return any((e.note or "").startswith(SUPPRESSED) for e in claim.evidence)


def _without(
    stages: list[JourneyStage | None], withheld: list[str], total: int, min_group: int
) -> list[JourneyStage]:
    """Drop the withheld stages; each one's note goes on the nearest published stage before
    it (after it, when none comes before)."""
    kept = [s for s in stages if s is not None]
    for name in withheld:
        if not kept:
            break
        i = JOURNEY_STAGES.index(name)
        before = [s for s in kept if JOURNEY_STAGES.index(s.stage) < i]
        host = before[-1] if before else kept[0]
        host.claims.append(withheld_claim(name, total, min_group))
    return kept


OVERALL_MEMBERS = "_journey_all_members"


def overall_journey(
    con: duckdb.DuckDBPyConnection, *, top: int = 3, min_group_size: int = DEFAULT_MIN_GROUP_SIZE
) -> list[JourneyStage]:
    """The baseline journey of all customers who bought (known profiles with orders > 0)."""
    cols = set(DuckDBEngine(con).columns("profiles"))
    known = "NOT coalesce(anonymous, FALSE)" if "anonymous" in cols else "TRUE"
    bought = "coalesce(orders, 0) > 0" if "orders" in cols else "FALSE"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {OVERALL_MEMBERS} AS "
        f"SELECT profile_id FROM profiles WHERE {known} AND {bought}"
    )
    try:
        return journey_map(con, OVERALL_MEMBERS, top=top, min_group_size=min_group_size)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {OVERALL_MEMBERS}")


def stage_reached(stages: list[JourneyStage]) -> dict[str, int]:
    """``{stage: reached}``: a convenience for reports and tests."""
    return {s.stage: s.reached for s in stages}


__all__ = [
    "ACTIVE_DAYS",
    "ADVOCACY_EVENTS",
    "CONSIDERATION_EVENTS",
    "CONSIDERATION_PAGE_WORDS",
    "NON_ENGAGEMENT_EVENTS",
    "PURCHASE_EVENTS",
    "RENEWAL_EVENTS",
    "STAGE_DOCUMENTS",
    "DocRule",
    "journey_map",
    "overall_journey",
    "rule_sql",
    "stage_reached",
]
