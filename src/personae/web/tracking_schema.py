"""The tracking API as the OpenAPI document describes it: request bodies and error bodies.

The handlers read raw bytes (see :mod:`personae.web.tracking`), so these schemas are for
``/docs``, for client generators and for conformance testing; they state exactly what
:func:`personae.web.segment_spec.normalise` requires of each call, so a body valid by the
schema is accepted and one that breaks a stated rule gets the documented 400.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from personae.web.segment_spec import TYPES

ErrorCode = Literal[
    "invalid_field",
    "bad_json",
    "bad_encoding",
    "missing_write_key",
    "unknown_write_key",
    "forbidden_role",
    "origin_not_allowed",
    "body_too_large",
    "message_too_large",
]


class TrackingResult(BaseModel):
    success: bool = True


class TrackingError(BaseModel):
    """Every 4xx of the tracking API. Segment's libraries read ``code`` and ``message``;
    ``error`` repeats the message for clients written against earlier personae versions."""

    success: Literal[False] = False
    code: ErrorCode = Field(description="What went wrong, for programs.")
    message: str = Field(description="What went wrong and how to fix it, for people.")
    error: str = Field(description="The same text as message.")
    field: str | None = Field(
        description="The field at fault, as a path such as batch[3].event (null when none)."
    )


_ID = {
    "anyOf": [{"type": "string"}, {"type": "number"}],
    "description": "Numbers are kept as text.",
}
_TIME = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
    "description": "ISO-8601 date-time, or epoch milliseconds.",
}
_OBJECT = {"type": "object", "additionalProperties": True}
_FIELDS: dict[str, dict[str, Any]] = {
    "userId": {**_ID, "description": "Your id of the user. userId or anonymousId is required."},
    "anonymousId": {**_ID, "description": "The device's id for a visitor not yet known."},
    "messageId": {**_ID, "description": "De-duplication key; generated if absent."},
    "event": {**_ID, "description": "track: the event name."},
    "name": {**_ID, "description": "page / screen: its name."},
    "groupId": {**_ID, "description": "group: the account (company) id."},
    "previousId": {**_ID, "description": "alias: the id to merge into userId."},
    "properties": _OBJECT,
    "traits": {**_OBJECT, "description": "identify / group: who the user (account) is."},
    "context": {**_OBJECT, "description": "Device, page, library; context.traits are traits."},
    "integrations": _OBJECT,
    "timestamp": {**_TIME, "description": "When the event happened (the device's clock)."},
    "sentAt": {**_TIME, "description": "When the client sent it, to correct clock skew."},
    "writeKey": {
        "type": "string",
        "description": "The write key, when not sent in Authorization; never stored.",
    },
}
# what each call needs besides an id (an alias names both ids, so it needs no other)
_REQUIRED = {"track": ["event"], "group": ["groupId"], "alias": ["userId", "previousId"]}
_NON_EMPTY = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}
_SOME_ID = [
    {"required": ["userId"], "properties": {"userId": _NON_EMPTY}},
    {"required": ["anonymousId"], "properties": {"anonymousId": _NON_EMPTY}},
]


def message_schema(call: str, *, in_batch: bool = False) -> dict[str, Any]:
    """The JSON Schema of one ``call`` message (inside a batch, ``type`` is required)."""
    required = list(_REQUIRED.get(call, []))
    if in_batch:
        required.insert(0, "type")
    kind = {"enum": [call]} if in_batch else {"enum": [call, None]}
    schema: dict[str, Any] = {
        "type": "object",
        "title": f"{call.capitalize()}Message",
        "properties": {"type": {**kind, "description": "The call."}, **_FIELDS},
        "additionalProperties": True,
    }
    for name in required:  # present and not empty
        if name != "type":
            schema["properties"][name] = {**_FIELDS[name], **_NON_EMPTY}
    if call != "alias":
        schema["anyOf"] = _SOME_ID
    if required:
        schema["required"] = required
    return schema


def batch_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "title": "Batch",
        "required": ["batch"],
        "properties": {
            "batch": {
                "type": "array",
                "items": {"oneOf": [message_schema(t, in_batch=True) for t in TYPES]},
                "description": "Up to 500 KB in all, 32 KB per message.",
            },
            "context": {**_OBJECT, "description": "Applies to every message."},
            "integrations": _OBJECT,
            "sentAt": _FIELDS["sentAt"],
            "writeKey": _FIELDS["writeKey"],
        },
        "additionalProperties": True,
    }


_ERROR_RESPONSES = {
    400: "A field is invalid (``field`` names it), or the body is not a JSON object "
    "(code bad_json) or not valid gzip (bad_encoding).",
    401: "No write key (missing_write_key), or an unknown or revoked one (unknown_write_key).",
    403: "The key is not a writer or admin key (forbidden_role), or the request comes from a "
    "web page whose origin is not in [serve] cors_origins (origin_not_allowed).",
    413: "The request is over 500 KB (body_too_large) or one message over 32 KB "
    "(message_too_large).",
}


def error_responses() -> dict[int | str, dict[str, Any]]:
    """The documented 4xx answers of every tracking route, all with a TrackingError body."""
    return {
        status: {"description": text, "model": TrackingError}
        for status, text in _ERROR_RESPONSES.items()
    }


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": "JSON, whatever the Content-Type says (analytics.js sends "
            "text/plain); optionally Content-Encoding: gzip.",
            "content": {"application/json": {"schema": schema}},
        }
    }
