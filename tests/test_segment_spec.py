"""Segment message checks and normalisation: errors name the field; the Spec's time rules."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from personae.web.segment_spec import (
    MessageError,
    decode_body,
    encode,
    messages_from_request,
    normalise,
)

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def _field(fn, *args, **kwargs) -> str:
    with pytest.raises(MessageError) as info:
        fn(*args, **kwargs)
    return info.value.field


def test_each_call_needs_its_own_fields() -> None:
    assert _field(normalise, {"userId": "u"}, "", NOW, call="track") == "event"
    assert _field(normalise, {"event": "E"}, "", NOW, call="track") == "userId"
    assert _field(normalise, {"userId": "u"}, "", NOW, call="group") == "groupId"
    assert _field(normalise, {"userId": "u"}, "", NOW, call="alias") == "previousId"
    assert _field(normalise, {"previousId": "a"}, "", NOW, call="alias") == "userId"
    assert _field(normalise, {"userId": "u", "traits": [1]}, "", NOW, call="identify") == "traits"
    assert _field(normalise, {"userId": {"a": 1}}, "", NOW, call="identify") == "userId"
    assert _field(normalise, {"userId": "u", "type": "page"}, "", NOW, call="track") == "type"


def test_batch_errors_name_the_message_index() -> None:
    doc = {
        "batch": [{"type": "track", "userId": "u", "event": "E"}, {"type": "track", "userId": "u"}]
    }
    assert _field(messages_from_request, doc, "batch", NOW) == "batch[1].event"
    bad_time = {"batch": [{"type": "page", "anonymousId": "a", "timestamp": "yesterday"}]}
    assert _field(messages_from_request, bad_time, "batch", NOW) == "batch[0].timestamp"
    assert _field(messages_from_request, {"batch": {}}, "batch", NOW) == "batch"
    assert _field(messages_from_request, {"batch": [{"userId": "u"}]}, "batch", NOW) == (
        "batch[0].type"
    )


def test_timestamp_is_corrected_for_device_clock_skew() -> None:
    # the device clock runs 1 hour fast: it says it sent at 13:00:10 an event of 13:00:00
    msg = normalise(
        {
            "userId": "u",
            "event": "E",
            "timestamp": "2026-11-24T13:00:00Z",
            "sentAt": "2026-11-24T13:00:10Z",
        },
        "",
        NOW,
        call="track",
    )
    assert msg["receivedAt"] == "2026-11-24T12:00:00.000Z"
    assert msg["timestamp"] == "2026-11-24T11:59:50.000Z"
    assert msg["originalTimestamp"] == "2026-11-24T13:00:00.000Z"
    plain = normalise({"userId": "u", "event": "E"}, "", NOW, call="track")
    assert plain["timestamp"] == plain["receivedAt"]
    assert plain["messageId"]
    kept = normalise(
        {"userId": "u", "event": "E", "timestamp": "2026-11-20T08:00:00+02:00"},
        "",
        NOW,
        call="track",
    )
    assert kept["timestamp"] == "2026-11-20T06:00:00.000Z"


def test_batch_defaults_apply_to_each_message_and_messages_win() -> None:
    sent = (NOW - timedelta(seconds=5)).isoformat()
    doc = {
        "batch": [
            {"type": "track", "userId": "u", "event": "E", "context": {"ip": "1.2.3.4"},
             "timestamp": (NOW - timedelta(seconds=65)).isoformat()},
        ],
        "context": {"library": {"name": "analytics-python"}, "ip": "9.9.9.9"},
        "sentAt": sent,
    }  # fmt: skip
    [(mid, msg)] = messages_from_request(doc, "batch", NOW)
    assert msg["context"] == {"library": {"name": "analytics-python"}, "ip": "1.2.3.4"}
    assert msg["timestamp"] == "2026-11-24T11:59:00.000Z"  # 60 s before sending, 5 s in flight
    assert mid == msg["messageId"]


def test_size_limits_and_gzip() -> None:
    big = {"userId": "u", "event": "E", "properties": {"blob": "x" * 33_000}}
    msg = normalise(big, "", NOW, call="track")
    with pytest.raises(MessageError, match="32 KB"):
        encode(msg, "")
    with pytest.raises(MessageError, match="500 KB"):
        decode_body(b"{" + b" " * 600_000 + b"}", None)
    body = b'{"userId": "u", "event": "E"}'
    assert decode_body(gzip.compress(body), "gzip") == body
    with pytest.raises(MessageError, match="500 KB"):  # a small gzip bomb stops at the limit
        decode_body(gzip.compress(b" " * 5_000_000), "gzip")
    with pytest.raises(MessageError, match="gzip"):
        decode_body(b"not gzip", "gzip")
