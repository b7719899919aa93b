"""The demo's events written as a Google Analytics 4 BigQuery export (``--format exports``).

Why a writer of its own: the other vendor files are flat tables, written by inverting their
preset's ``[columns]`` (:mod:`personae.demo.exports`). GA4's ``events_YYYYMMDD`` table is
nested, and much of what a Segment message says sits in GA4 conventions rather than in
columns: a page call is an event named ``page_view`` whose URL is the ``page_location``
parameter, every parameter is a record of a key and one typed value member, the time is
microseconds since the epoch written as a string (BigQuery writes INT64 as a string in
JSON), and there is no event id. This module writes what a shop's
``bq extract --destination_format NEWLINE_DELIMITED_JSON 'analytics_N.events_*'`` holds for
the same messages (layout: support.google.com/analytics/answer/7029846 and
developers.google.com/analytics/bigquery/event-schema), one line per native line, so every
record keeps its row number and the truth needs only its file name and bad rows rewritten.

What GA4 cannot carry is left out, as it is in a real export: Segment's ``identify``
traits (GA4 forbids personal data; the call becomes a ``login`` event with the user id),
an alias's ``previousId``, the user agent and IP address. Track events keep their name in
GA4's snake_case (``Product Viewed`` -> ``product_viewed``, a valid custom event name).

Planted faults keep their meaning: a line that is not JSON stays as it is (``bad_json``);
a time that cannot be read is written as it was (``bad_timestamp`` on event_timestamp); a
message without its id has no GA4 counterpart (the export derives none), so it is
written without its time and planted as ``missing_required`` on event_timestamp.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ENCODING = "utf-8"
ERRORS = "surrogateescape"
STREAM_ID = "4417000001"  # one web/app data stream, as a property with one stream has
TIME_COLUMN = "event_timestamp"

# Segment call type -> the GA4 event that stands for it (track keeps its own name).
EVENT_OF_TYPE = {
    "page": "page_view",
    "screen": "screen_view",
    "identify": "login",
    "alias": "login",
}
# A page's properties that GA4 sends as its automatically collected page parameters.
PAGE_PARAMS = {"url": "page_location", "title": "page_title", "referrer": "page_referrer"}
APP_PLATFORMS = {"android": "ANDROID", "ios": "IOS", "ipados": "IOS"}


def snake_case(name: str) -> str:
    """An event name as GA4 allows it: letters, digits and underscores, lower case."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or "event"


def micros(timestamp: str) -> str | None:
    """An ISO time (with ``Z``, an offset or none = UTC) as microseconds since the epoch."""
    try:
        t = datetime.fromisoformat(timestamp.strip())
    except (ValueError, AttributeError):
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    delta = t - datetime(1970, 1, 1, tzinfo=UTC)
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def typed_value(value: Any) -> dict[str, Any]:
    """A parameter's value record: exactly one typed member set, as GA4 writes it."""
    member: dict[str, Any] = {
        "string_value": None,
        "int_value": None,
        "float_value": None,
        "double_value": None,
    }
    if isinstance(value, bool):
        member["int_value"] = "1" if value else "0"
    elif isinstance(value, int):
        member["int_value"] = str(value)
    elif isinstance(value, float):
        member["double_value"] = value
    elif isinstance(value, str):
        member["string_value"] = value
    else:  # a list or object (an order's products): GA4 has no nested parameter values
        member["string_value"] = json.dumps(value, separators=(",", ":"))
    return member


def _bundle_id(message_id: str) -> str:
    """A per-message number, so the id ingest derives (pseudo id, time, name, bundle) is
    unique where the messages were, and the same where a message was sent twice."""
    return str(int(hashlib.sha1(message_id.encode()).hexdigest()[:12], 16))


def _pseudo_id(anonymous_id: str) -> str:
    """GA4's client id looks like ``random.first-visit-seconds``; made from the cookie id."""
    digest = hashlib.sha1(anonymous_id.encode()).hexdigest()
    return f"{int(digest[:8], 16)}.{1_700_000_000 + int(digest[8:16], 16) % 100_000_000}"


def _consent(context: dict) -> dict | None:
    prefs = (context.get("consent") or {}).get("categoryPreferences")
    if not isinstance(prefs, dict):
        return None

    def storage(key: str) -> str | None:
        return None if prefs.get(key) is None else ("Yes" if prefs[key] else "No")

    return {
        "analytics_storage": storage("Analytics"),
        "ads_storage": storage("Advertising"),
        "uses_transient_token": "No",
    }


def _params(msg: dict) -> list[dict[str, Any]]:
    props = dict(msg.get("properties") or {})
    page = (msg.get("context") or {}).get("page") or {}
    params: dict[str, Any] = {}
    kind = msg.get("type")
    if kind == "page" or page:
        for native, ga4 in PAGE_PARAMS.items():
            value = props.pop(native, None) if kind == "page" else None
            value = value if value is not None else page.get(native)
            if value is not None:
                params[ga4] = value
        if kind == "page":
            props.pop("path", None)  # the path is page_location's
    if kind == "screen" and msg.get("name"):
        params["firebase_screen"] = msg["name"]
    if kind in ("identify", "alias"):
        params["method"] = "email"
    params.update(props)
    return [{"key": k, "value": typed_value(v)} for k, v in params.items() if v is not None]


def ga4_row(msg: dict, planted: str | None = None) -> dict[str, Any]:
    """One Segment message as a GA4 events table row (``planted``: its planted fault)."""
    context = msg.get("context") or {}
    kind = str(msg.get("type") or "track")
    name = EVENT_OF_TYPE.get(kind) or snake_case(str(msg.get("event") or kind))
    raw_time = str(msg.get("timestamp") or "")
    stamp = micros(raw_time)
    if planted == "missing_required":  # no message id: written without its time
        stamp, raw_time = None, ""
    day = ""
    if stamp is not None:
        day = datetime.fromtimestamp(int(stamp) / 1e6, UTC).strftime("%Y%m%d")
    received = micros(str(msg.get("receivedAt") or ""))
    offset = str(int(received) - int(stamp)) if received and stamp else None
    os_name = (context.get("os") or {}).get("name")
    device = context.get("device") or {}
    campaign = context.get("campaign") or {}
    anonymous = msg.get("anonymousId") or msg.get("userId") or msg.get("messageId") or ""
    platform = "WEB" if kind != "screen" else APP_PLATFORMS.get(str(os_name).lower(), "ANDROID")
    return {
        "event_date": day,
        TIME_COLUMN: stamp if stamp is not None else raw_time,
        "event_name": name,
        "event_params": _params(msg),
        "event_previous_timestamp": None,
        "event_value_in_usd": None,
        "event_bundle_sequence_id": _bundle_id(str(msg.get("messageId") or "")),
        "event_server_timestamp_offset": offset,
        "user_id": msg.get("userId"),
        "user_pseudo_id": _pseudo_id(str(anonymous)),
        "privacy_info": _consent(context),
        "user_properties": [],
        "user_first_touch_timestamp": None,
        "device": {
            "category": device.get("type"),
            "mobile_brand_name": None,
            "mobile_model_name": None,
            "operating_system": os_name,
            "operating_system_version": None,
            "language": None,
            "is_limited_ad_tracking": "No",
            "web_info": None,
        },
        "geo": {"city": None, "country": None, "continent": None, "region": None},
        "app_info": None,
        "traffic_source": (
            {
                "name": campaign.get("name"),
                "medium": campaign.get("medium"),
                "source": campaign.get("source"),
            }
            if campaign
            else None
        ),
        "stream_id": STREAM_ID,
        "platform": platform,
        "ecommerce": None,
        "items": [],
    }


def convert_ga4(
    native: Path, out: Path, planted: dict[int, tuple[str, str]]
) -> tuple[int, dict[int, int], list[tuple[int, str, str]]]:
    """Write the native Segment JSON Lines file as a GA4 export, line for line.

    ``planted``: the native file's bad rows (row -> reason, column). Returns the line
    count, the row map (the identity: each message keeps its line) and the vendor file's
    planted bad rows (row, reason, column)."""
    count = 0
    bad: list[tuple[int, str, str]] = []
    with (
        open(native, encoding=ENCODING, errors=ERRORS) as src,
        open(out, "w", encoding=ENCODING, errors=ERRORS, newline="\n") as dst,
    ):
        for line in src:
            count += 1
            reason = planted.get(count, ("", ""))[0] or None
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                dst.write(line if line.endswith("\n") else line + "\n")  # truncated, as it was
                bad.append((count, "bad_json", ""))
                continue
            dst.write(json.dumps(ga4_row(msg, reason), ensure_ascii=False) + "\n")
            if reason in ("missing_required", "bad_timestamp"):
                bad.append((count, reason, TIME_COLUMN))
            elif reason is not None:
                raise ValueError(f"{native.name} row {count}: no GA4 form for a {reason} row")
    return count, {i: i for i in range(1, count + 1)}, bad
