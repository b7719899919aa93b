"""Segment HTTP Tracking API messages: checked and normalised before they are logged.

Every check names the field that failed (``batch[3].event``) so a developer can fix the
calling code from the error alone. Normalising follows the Segment Spec:

- ``receivedAt`` is the server's clock when the request arrived;
- ``originalTimestamp`` keeps the ``timestamp`` the client sent;
- ``timestamp`` is corrected for the device's clock skew as
  ``receivedAt - (sentAt - originalTimestamp)`` when ``sentAt`` is given, else it is the
  client's ``timestamp``, else ``receivedAt``;
- a batch's ``context``, ``integrations`` and ``sentAt`` apply to each of its messages
  (a message's own values win); a missing ``messageId`` is generated.

The limits are Segment's: 32 KB per message and 500 KB per request (after gunzip).
"""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import orjson

MESSAGE_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
TYPES = ("identify", "track", "page", "screen", "group", "alias")
_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_STRING_FIELDS = ("userId", "anonymousId", "event", "name", "groupId", "previousId", "messageId")


class MessageError(ValueError):
    """A message or request that cannot be accepted; ``field`` names where.

    ``code`` is the machine-readable reason and ``status`` the HTTP status it is answered
    with (Segment's libraries read ``code`` and ``message`` from an error body).
    """

    def __init__(
        self, field: str, problem: str, *, code: str = "invalid_field", status: int = 400
    ) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem
        self.code = code
        self.status = status


def too_large(field: str, problem: str, code: str = "body_too_large") -> MessageError:
    """A 413: the request or one message is over Segment's size limits."""
    return MessageError(field, problem, code=code, status=413)


def decode_body(body: bytes, encoding: str | None) -> bytes:
    """The request body, gunzipped when sent with ``Content-Encoding: gzip``.

    Decompression stops just past the batch limit, so a small gzip bomb costs nothing.
    """
    if encoding and encoding.lower().strip() == "gzip":
        try:
            inflater = zlib.decompressobj(wbits=31)
            body = inflater.decompress(body, BATCH_LIMIT + 1)
        except zlib.error as exc:
            raise MessageError(
                "", f"the body is not valid gzip ({exc})", code="bad_encoding"
            ) from None
    elif encoding and encoding.lower().strip() not in ("identity", ""):
        raise MessageError(
            "", f"Content-Encoding {encoding!r} is not supported; use gzip", code="bad_encoding"
        )
    if len(body) > BATCH_LIMIT:
        raise too_large("", "the request is larger than the 500 KB limit; send smaller batches")
    return body


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, whatever its ``Content-Type`` says.

    The header is not looked at: analytics.js sends ``text/plain`` (a "simple" request
    type, so the browser sends no preflight for it where it can), some server libraries
    send none at all.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MessageError("", f"the body is not valid JSON ({exc})", code="bad_json") from None
    if not isinstance(doc, dict):
        raise MessageError("", "the body must be a JSON object", code="bad_json")
    return doc


def pop_write_keys(doc: dict[str, Any], call: str) -> Any:
    """Remove every ``writeKey`` from the body and return the one to authenticate with.

    Write keys are credentials and must never reach the event log (and from it
    ``raw_events``). Clients put them at the top of the body and, as analytics.js does,
    in each message of a batch; all are removed, and the first one found is returned
    (the Authorization header, when sent, is used in preference by the caller).
    """
    found = doc.pop("writeKey", None)
    batch = doc.get("batch") if call == "batch" else None
    if isinstance(batch, list):
        for item in batch:
            if isinstance(item, dict) and "writeKey" in item:
                key = item.pop("writeKey")
                if found is None:
                    found = key
    return found


def parse_time(value: Any, field: str) -> datetime | None:
    """An ISO-8601 string (or epoch milliseconds) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise MessageError(
                field, f"{value!r} is not a time in epoch milliseconds between years 1 and 9999"
            ) from None
    if not isinstance(value, str):
        raise MessageError(field, "must be an ISO-8601 date-time string")
    try:
        got = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MessageError(
            field, f"{value[:40]!r} is not an ISO-8601 date-time (e.g. 2026-11-24T10:00:00Z)"
        ) from None
    if got.tzinfo is None:
        got = got.replace(tzinfo=UTC)
    try:
        return got.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise MessageError(field, f"{value[:40]!r} is out of the representable range") from None


def iso(dt: datetime) -> str:
    """UTC with milliseconds and a ``Z``, as Segment writes times (``isoformat`` is C-fast)."""
    if dt.tzinfo is not UTC:
        dt = dt.astimezone(UTC)
    return dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def normalise(
    msg: Any,
    path: str,
    received: datetime,
    *,
    call: str | None = None,
    defaults: dict[str, Any] | None = None,
    received_iso: str | None = None,
) -> dict[str, Any]:
    """Check one message and return it in the stored form (see the module docstring).

    ``received_iso`` is ``iso(received)`` when the caller has it already: a batch shares
    one receive time, and formatting it per message was a fifth of the batch path.
    """
    if not isinstance(msg, dict):
        raise MessageError(path or "body", "must be a JSON object")
    p = f"{path}." if path else ""
    kind = msg.get("type", call)
    if call is not None and msg.get("type") not in (None, call):
        raise MessageError(f"{p}type", f"is {msg.get('type')!r} but was sent to /v1/{call}")
    if kind not in TYPES:
        raise MessageError(f"{p}type", f"must be one of {', '.join(TYPES)} (got {kind!r})")
    out: dict[str, Any] = dict(msg)
    out["type"] = kind
    if defaults:
        for key in ("context", "integrations"):
            # a message's own non-object value is left for the check below to name
            if isinstance(defaults.get(key), dict) and isinstance(out.get(key) or {}, dict):
                merged = dict(defaults[key])
                merged.update(out.get(key) or {})
                out[key] = merged
        if "sentAt" not in out and defaults.get("sentAt") is not None:
            out["sentAt"] = defaults["sentAt"]
    for name in _STRING_FIELDS:
        value = out.get(name)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = str(value)
        elif not isinstance(value, str):
            raise MessageError(f"{p}{name}", "must be a string")
    for name in _OBJECT_FIELDS:
        value = out.get(name)
        if value is not None and not isinstance(value, dict):
            raise MessageError(f"{p}{name}", "must be a JSON object")
    if kind == "alias":
        if not out.get("userId"):
            raise MessageError(f"{p}userId", "an alias call needs the new userId")
        if not out.get("previousId"):
            raise MessageError(f"{p}previousId", "an alias call needs the previousId")
    elif not out.get("userId") and not out.get("anonymousId"):
        raise MessageError(f"{p}userId", f"a {kind} call needs a userId or an anonymousId")
    if kind == "track" and not out.get("event"):
        raise MessageError(f"{p}event", "a track call needs an event name")
    if kind == "group" and not out.get("groupId"):
        raise MessageError(f"{p}groupId", "a group call needs a groupId")
    original = parse_time(out.get("timestamp"), f"{p}timestamp")
    sent = parse_time(out.get("sentAt"), f"{p}sentAt")
    if original is not None and sent is not None:
        try:
            stamp = received - (sent - original)
        except OverflowError:
            raise MessageError(
                f"{p}sentAt",
                "is too far from timestamp to correct the device clock "
                "(sentAt - timestamp must be a plausible clock skew)",
            ) from None
    else:
        stamp = original or received
    out["receivedAt"] = received_iso = received_iso or iso(received)
    out["timestamp"] = received_iso if stamp is received else iso(stamp)
    if original is not None:
        out["originalTimestamp"] = iso(original)
    if sent is not None:
        out["sentAt"] = iso(sent)
    if not out.get("messageId"):
        out["messageId"] = f"personae-{uuid.uuid4()}"
    return out


def encode(msg: dict[str, Any], path: str) -> bytes:
    """The message as one log line, checked against the 32 KB message limit."""
    line = orjson.dumps(msg) + b"\n"
    if len(line) > MESSAGE_LIMIT:
        raise too_large(
            path or "body",
            f"the message is {len(line):,} bytes; Segment's limit is 32 KB per message",
            code="message_too_large",
        )
    return line


def messages_from_request(
    doc: dict[str, Any], call: str, received: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """The normalised messages of one request body, each with its message id."""
    if call != "batch":
        msg = normalise(doc, "", received, call=call)
        return [(msg["messageId"], msg)]
    batch = doc.get("batch")
    if not isinstance(batch, list):
        raise MessageError("batch", "must be a list of messages")
    defaults = {k: doc.get(k) for k in ("context", "integrations", "sentAt")}
    for name in ("context", "integrations"):
        if defaults[name] is not None and not isinstance(defaults[name], dict):
            raise MessageError(name, "must be a JSON object")
    parse_time(defaults["sentAt"], "sentAt")
    received_iso = iso(received)
    return [
        (m["messageId"], m)
        for m in (
            normalise(item, f"batch[{i}]", received, defaults=defaults, received_iso=received_iso)
            for i, item in enumerate(batch)
        )
    ]
