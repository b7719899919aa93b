"""The optional LLM narrative: the fact checker, and the request against a real local server.

The server is a real ``ThreadingHTTPServer`` on 127.0.0.1 that records every request and
answers with canned OpenAI-style chat completions, so the tests exercise the real HTTP
client (headers, timeouts, error statuses) without any network.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from personae.config import NarrativeSettings
from personae.personas.narrative import (
    NarrativeFacts,
    NarrativeWriter,
    check_narrative,
    facts_from_persona,
    find_numbers,
)
from personae.personas.schema import (
    Claim,
    Evidence,
    Fact,
    Guidance,
    JourneyStage,
    Naming,
    Persona,
    QualityFigures,
    Quote,
    SizeFigures,
    VoiceTheme,
)

FACTS = NarrativeFacts(
    name="Maya",
    title="Maya, the Early-Morning Athlete",
    role="primary",
    facts=[
        "68% exercise 5+ times a week (4.9× the average)",
        "They are 29 on average",
        "Their predicted lifetime value is $441.9 on average",
        "61% buy through the mobile app",
        "Goal: quick protein after workouts (42% of writers, 2.1× the average)",
        "Pain point: late deliveries (18% of writers)",
        "The segment has 12,480 customers, 12.5% of all customers",
        "33% answered the survey",
    ],
    quotes=["I need my shake right after the gym", "Delivery took a week, my tubs ran out"],
)

FAITHFUL = (
    "Maya is 29 on average and exercises 5+ times a week, like 68% of the customers she "
    "stands for (4.9× the average). Her goal is quick protein after workouts, twice the "
    "average. She buys through the mobile app, as 61% do. Late deliveries are a pain point: "
    '"Delivery took a week, my tubs ran out." Her predicted lifetime value is about $442.'
)


# --------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------


def test_faithful_narrative_has_no_problems() -> None:
    assert check_narrative(FAITHFUL, FACTS) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Her predicted lifetime value is $441.9.",  # as written
        "Her predicted lifetime value is $442.",  # rounded to fewer decimals
        "Her predicted lifetime value is 442 dollars.",  # currency symbol is a unit
        "Her predicted lifetime value is €441.9.",
        "The segment has 12480 customers.",  # thousands separator
        "The segment has 12,480 customers.",
        "The segment has 12.5k customers.",  # scaled and rounded to hundreds
        "The segment has 12.5 thousand customers.",
        "The segment has 12% of all customers.",  # 12.5 rounded (half to even)
        "The segment has 13% of all customers.",  # 12.5 rounded (half up)
        "68 percent exercise 5+ times a week.",  # "68%" is 68
        "68% exercise 5+ times a week, 4.9x the average.",  # × written as x
        "68% exercise 5+ times a week, 4.9 × the average.",
        "68% exercise 5+ times a week, 5× the average.",  # 4.9 rounded
        "Forty-two percent of writers have quick protein after workouts as a goal.",
        "Forty two percent of writers have quick protein after workouts as a goal.",
        "Quick protein after workouts is a goal for twice the average.",  # 2.1×
        "A third answered the survey.",  # 33%
        "She is one of the customers who exercise.",  # "one of" is not a count
    ],
)
def test_numbers_in_the_facts_are_accepted(sentence: str) -> None:
    assert check_narrative(sentence, FACTS) == []


@pytest.mark.parametrize(
    ("sentence", "number"),
    [
        ("Her predicted lifetime value is $441.", "$441"),  # 441.9 does not round to 441
        ("Her predicted lifetime value is $440.", "$440"),  # 1 significant figure too few
        ("Her predicted lifetime value is $441.95.", "$441.95"),  # more precise than known
        ("The segment has 1,248 customers.", "1,248"),
        ("The segment has 12,500 customers.", "12,500"),  # no decimals: means exactly
        ("The segment has 12.4k customers.", "12.4k"),
        ("68% exercise 5+ times a week, 5.9x the average.", "5.9x"),
        ("They are 31 on average.", "31"),
        ("They are -29 on average.", "-29"),
        ("Forty-three percent of writers have quick protein after workouts as a goal.", None),
        ("Quick protein after workouts is a goal for thrice the average.", "thrice"),
        ("Half exercise 5+ times a week.", "Half"),  # 50% is not in the facts
        ("Three quarters exercise 5+ times a week.", "Three quarters"),
        ("She exercises seven times a week.", "seven"),
        ("She is one customer.", "one"),
    ],
)
def test_numbers_not_in_the_facts_are_rejected(sentence: str, number: str | None) -> None:
    problems = check_narrative(sentence, FACTS)
    number = number or sentence.split(" percent")[0]
    assert problems == [f"number '{number}' is not in the facts"]


def test_numbers_are_found_in_digits_and_words() -> None:
    found = [m.text for m in find_numbers("Ages 18–24, $1,234.5 and 4.9× or twenty-one, half")]
    assert found == ["18", "24", "$1,234.5", "4.9×", "twenty-one", "half"]
    assert [str(v) for v, _ in find_numbers("B2B in Q3 costs 3.5M")[0].readings] == ["3.5E+6"]


@pytest.mark.parametrize(
    "sentence",
    [
        "She drives a Tesla.",
        "She drives to the gym every morning.",
        "She buys a Tesla through the mobile app.",  # 3 of 4 words known, but a brand
        "She trains for marathons with her husband.",
        "She never exercises.",  # a negation the facts do not make
        "She doesn't buy through the mobile app.",
    ],
)
def test_invented_claims_are_rejected(sentence: str) -> None:
    problems = check_narrative(sentence, FACTS)
    assert len(problems) == 1
    assert problems[0].startswith("sentence 1 ")
    assert sentence in problems[0]


def test_the_failing_sentence_is_named_among_faithful_ones() -> None:
    text = FAITHFUL + " She drives a Tesla to work."
    problems = check_narrative(text, FACTS)
    assert len(problems) == 1
    assert problems[0].startswith("sentence 6 ")
    assert "tesla" in problems[0]


def test_paraphrase_and_narrative_words_are_accepted() -> None:
    text = (
        "Maya typically exercises 5+ times a week. "
        "Customers like Maya usually buy through the mobile app. "
        "She needs her shake right after the gym!"
    )
    assert check_narrative(text, FACTS) == []


def test_empty_and_overlong_bios_are_rejected() -> None:
    assert check_narrative("  ", FACTS) == ["the bio is empty"]
    long = " ".join(["Maya exercises 5+ times a week."] * 7)
    assert check_narrative(long, FACTS) == ["the bio has 7 sentences; at most 6 are accepted"]


# --------------------------------------------------------------------------------------
# facts_from_persona
# --------------------------------------------------------------------------------------


def _evidence(**extra: object) -> list[Evidence]:
    return [Evidence(kind="statistic", source="segment_descriptions.differences", **extra)]


def _persona() -> Persona:
    """A minimal persona document, with PII-like evidence that must never reach the model."""
    secret = _evidence(record_ids=["survey:jane.doe@example.com"], note="row of jane@example.com")
    return Persona(
        id="person-primary-s1",
        segment=1,
        segment_name="Early risers",
        role="primary",
        entity="person",
        name="Maya",
        title=Claim(text="Maya, the Early-Morning Athlete", evidence=_evidence()),
        epithet="the Early-Morning Athlete",
        naming=Naming(
            first_name="Maya",
            gender="female",
            age=29,
            birth_decade=1990,
            country="US",
            avatar_svg="<svg xmlns='http://www.w3.org/2000/svg'></svg>",
            basis=_evidence(),
        ),
        bio=[Claim(text="Maya exercises before work.", evidence=secret)],
        demographics=[
            Fact(text="They are 29 on average", label="Age", value="29", evidence=secret)
        ],
        goals=[
            VoiceTheme(
                text="Goal: quick protein after workouts (42% of writers)",
                facet="goal",
                label="quick protein",
                share=0.42,
                lift=2.1,
                quote="Protein right after the gym, please",
                evidence=secret,
            )
        ],
        buying_behaviour=[
            Fact(
                text="61% buy through the mobile app", label="Channel", value="app", evidence=secret
            )
        ],
        quotes=[
            Quote(
                text="I need my shake right after the gym",
                facet="goal",
                source_kind="survey",
                record_id="jane.doe@example.com",
                evidence=secret,
            ),
            Quote(
                text="Protein right after the gym, please",
                facet="goal",
                source_kind="review",
                record_id="r-2",
                evidence=secret,
            ),
        ],
        empathy_map={"feels": [Claim(text="Feels rushed in the morning", evidence=secret)]},
        journey=[
            JourneyStage(
                stage="purchase",
                reached=900,
                reached_share=0.9,
                touchpoints=[
                    Fact(text="Orders in the app", label="Touchpoint", value="app", evidence=secret)
                ],
                claims=[Claim(text="90% reach a purchase", evidence=secret)],
            )
        ],
        guidance=Guidance(messaging=[Claim(text="Lead with speed of delivery", evidence=secret)]),
        size=SizeFigures(
            customers=1000,
            share=0.125,
            revenue_share=0.2,
            mean_clv=441.9,
            currency="USD",
            evidence=_evidence(),
        ),
        quality=QualityFigures(
            coverage=0.8, distinctiveness=0.5, stability=0.9, prevalence=0.6, evidence=_evidence()
        ),
        data_version="abc",
    )


def test_facts_from_persona_collects_every_claim_about_the_customers() -> None:
    facts = facts_from_persona(_persona())
    assert (facts.name, facts.title, facts.role) == (
        "Maya",
        "Maya, the Early-Morning Athlete",
        "primary",
    )
    for text in [
        "Maya exercises before work.",
        "They are 29 on average",
        "Goal: quick protein after workouts (42% of writers)",
        "61% buy through the mobile app",
        "Feels rushed in the morning",
        "Orders in the app",
        "90% reach a purchase",
    ]:
        assert text in facts.facts
    size = [fact for fact in facts.facts if fact.startswith("The segment has")]
    assert size == [
        "The segment has 1,000 customers, 12.5% of all customers, bringing 20.0% of revenue"
    ]
    # quotes once each, the theme's example quote deduplicated with the quote list
    assert facts.quotes == [
        "I need my shake right after the gym",
        "Protein right after the gym, please",
    ]
    # guidance is advice, not a fact about the customers
    assert "Lead with speed of delivery" not in facts.facts


# --------------------------------------------------------------------------------------
# The request, against a real local server
# --------------------------------------------------------------------------------------


class FakeLLM:
    """Records requests; answers with a canned status and body after an optional delay."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.body = b"{}"
        self.delay = 0.0
        self.url = ""

    def answer(self, content: str, model: str = "fake-model-1") -> None:
        completion = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        self.status = 200
        self.body = json.dumps(completion).encode()

    def answer_bio(self, bio: str) -> None:
        self.answer(json.dumps({"bio": bio}))


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "raw": raw}
            )
            if fake.delay:
                time.sleep(fake.delay)
            try:
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1/"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _settings(url: str, **extra: object) -> NarrativeSettings:
    values: dict = {
        "enabled": True,
        "base_url": url,
        "model": "fake-model",
        "api_key_env": "PERSONAE_TEST_NARRATIVE_KEY",
        "timeout_seconds": 5,
        "temperature": 0.3,
    }
    values.update(extra)
    return NarrativeSettings(**values)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONAE_TEST_NARRATIVE_KEY", raising=False)


def test_faithful_answer_is_accepted(llm: FakeLLM) -> None:
    llm.answer_bio(FAITHFUL)
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert outcome.status == "accepted" and outcome.accepted
    assert outcome.narrative is not None
    assert outcome.narrative.bio == FAITHFUL
    assert outcome.narrative.checked is True
    assert outcome.narrative.model == "fake-model-1"  # the model that answered
    assert outcome.reason is None and outcome.problems == []
    assert len(llm.requests) == 1
    assert llm.requests[0]["path"] == "/v1/chat/completions"  # trailing slash stripped


def test_request_carries_the_rules_and_only_the_facts(llm: FakeLLM) -> None:
    llm.answer_bio(FAITHFUL)
    facts = facts_from_persona(_persona())
    NarrativeWriter(_settings(llm.url)).write(facts)
    (request,) = llm.requests
    assert request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["raw"])
    assert set(body) == {"model", "temperature", "response_format", "messages"}
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0.3
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    for rule in ("only the given facts", "number", "3 to 5 sentences", '{"bio": "..."}'):
        assert rule in system["content"]
    assert json.loads(user["content"]) == facts.to_payload()
    assert "They are 29 on average" in user["content"]
    # evidence, record ids and the avatar stay home
    raw = request["raw"].decode()
    assert "@" not in raw
    assert "<svg" not in raw
    assert "segment_descriptions" not in raw


def test_invented_number_is_rejected(llm: FakeLLM) -> None:
    bio = FAITHFUL.replace("$442", "$500")
    llm.answer_bio(bio)
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert outcome.status == "rejected" and outcome.narrative is None
    assert outcome.problems == ["number '$500' is not in the facts"]
    assert "$500" in (outcome.reason or "")
    assert json.loads(outcome.raw or "")["bio"] == bio  # kept for the log


def test_invented_claim_is_rejected(llm: FakeLLM) -> None:
    llm.answer_bio(FAITHFUL + " She drives a Tesla to the gym.")
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert outcome.status == "rejected"
    assert len(outcome.problems) == 1 and "Tesla" in outcome.problems[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Maya is 29 on average.", "the model's answer is not JSON"),
        ('{"biography": "Maya is 29 on average."}', 'the model\'s answer has no "bio" field'),
        ('{"bio": ""}', 'the model\'s "bio" is not a non-empty string'),
        ('["bio"]', 'the model\'s answer has no "bio" field'),
    ],
)
def test_malformed_answers_are_rejected(llm: FakeLLM, content: str, reason: str) -> None:
    llm.answer(content)
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert (outcome.status, outcome.reason, outcome.raw) == ("rejected", reason, content)


def test_answer_in_a_code_fence_is_read(llm: FakeLLM) -> None:
    llm.answer("```json\n" + json.dumps({"bio": FAITHFUL}) + "\n```")
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert outcome.accepted


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>busy</html>", "the server's response is not JSON"),
        (b'{"choices": []}', "the response has no choices[0].message.content"),
        (
            b'{"choices": [{"message": {"content": null}}]}',
            "the response's message content is not text",
        ),
    ],
)
def test_malformed_responses_are_rejected(llm: FakeLLM, body: bytes, reason: str) -> None:
    llm.body = body
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert (outcome.status, outcome.reason, outcome.raw) == ("rejected", reason, body.decode())


def test_http_error_is_rejected(llm: FakeLLM) -> None:
    llm.status, llm.body = 500, b'{"error": "model crashed"}'
    outcome = NarrativeWriter(_settings(llm.url)).write(FACTS)
    assert outcome.status == "rejected"
    assert "HTTP 500" in (outcome.reason or "")
    assert "model crashed" in (outcome.raw or "")


def test_timeout_is_rejected(llm: FakeLLM) -> None:
    llm.answer_bio(FAITHFUL)
    llm.delay = 2.0
    outcome = NarrativeWriter(_settings(llm.url, timeout_seconds=0.2)).write(FACTS)
    assert outcome.status == "rejected"
    assert "within 0.2 s" in (outcome.reason or "")
    assert len(llm.requests) == 1


def test_unreachable_server_is_rejected() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = NarrativeWriter(_settings(f"http://127.0.0.1:{port}/v1")).write(FACTS)
    assert outcome.status == "rejected"
    assert (outcome.reason or "").startswith("cannot reach http://127.0.0.1:")


def test_disabled_sends_nothing(llm: FakeLLM) -> None:
    llm.answer_bio(FAITHFUL)
    outcome = NarrativeWriter(_settings(llm.url, enabled=False)).write(FACTS)
    assert outcome.status == "disabled" and outcome.narrative is None
    assert llm.requests == []


def test_authorization_only_when_the_key_is_set(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm.answer_bio(FAITHFUL)
    writer = NarrativeWriter(_settings(llm.url))
    writer.write(FACTS)
    monkeypatch.setenv("PERSONAE_TEST_NARRATIVE_KEY", "sk-local-123")
    writer.write(FACTS)
    without, with_key = llm.requests
    assert "Authorization" not in without["headers"]
    assert with_key["headers"]["Authorization"] == "Bearer sk-local-123"
