"""The Segment-compatible tracking API: ``/v1/identify``, ``track``, ``page``, ``screen``,
``group``, ``alias`` and ``batch``.

Existing Segment or RudderStack tracking code works unchanged: point its host at
``personae serve`` and use a personae write key as the write key (HTTP Basic user name,
empty password). A 200 means the messages are on disk in the workspace's event log; the
live updater folds them into identities and profiles a moment later.

The handlers read the raw body rather than a pydantic model: a model would parse the
JSON a second time and could not name ``batch[3].event`` in Segment's words; the schema is
still published in the OpenAPI document for ``/docs``.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from personae.web.deps import key_from_header
from personae.web.segment_spec import (
    MessageError,
    decode_body,
    encode,
    messages_from_request,
    parse_json,
)

router = APIRouter(prefix="/v1", tags=["tracking"])
_OK = b'{"success":true}'


class SegmentMessage(BaseModel):
    """One Segment Spec message (the fields personae reads; others are kept as sent)."""

    type: Literal["identify", "track", "page", "screen", "group", "alias"] | None = Field(
        None, description="Implied by the endpoint; required inside a batch."
    )
    userId: str | None = None
    anonymousId: str | None = Field(None, description="userId or anonymousId is required.")
    messageId: str | None = Field(None, description="De-duplication key; generated if absent.")
    event: str | None = Field(None, description="track: the event name (required).")
    name: str | None = Field(None, description="page / screen name.")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    groupId: str | None = Field(None, description="group: the account id (required).")
    previousId: str | None = Field(None, description="alias: the old id (required).")
    timestamp: str | None = Field(None, description="ISO-8601 time the event happened.")
    sentAt: str | None = Field(None, description="ISO-8601 time the client sent it.")


class SegmentBatch(BaseModel):
    batch: list[SegmentMessage]
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    sentAt: str | None = None


class TrackingResult(BaseModel):
    success: bool = True


class RecentIds:
    """Message ids seen lately, to drop client retries before they reach the log.

    A fast path only: the live updater's insert is what guarantees each message id is
    stored once, however old the first copy is.
    """

    def __init__(self, capacity: int = 500_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, message_id: str) -> bool:
        """Remember the id; False when it was already there."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


def _error(status: int, error: MessageError | str) -> JSONResponse:
    if isinstance(error, MessageError):
        return JSONResponse(
            {"success": False, "error": str(error), "field": error.field or None}, status
        )
    return JSONResponse({"success": False, "error": error}, status)


async def _receive(request: Request, call: str) -> Response:
    received = datetime.now(UTC)
    server = request.app.state.server
    body = await request.body()
    try:
        doc = parse_json(decode_body(body, request.headers.get("content-encoding")))
    except MessageError as exc:
        return _error(400, exc)
    key = key_from_header(request.headers.get("authorization")) or doc.pop("writeKey", None)
    if not isinstance(key, str) or not key:
        return _error(401, "a write key is required: HTTP Basic with the write key as user name")
    who = server.auth.principal_for_key(key)
    if who is None:
        return _error(401, "the write key is unknown or revoked")
    if who.role not in ("writer", "admin"):
        return _error(403, f"a {who.role} key cannot send events; use a writer key")
    try:
        messages = messages_from_request(doc, call, received)
        lines = [
            encode(msg, f"batch[{i}]" if call == "batch" else "")
            for i, (_, msg) in enumerate(messages)
        ]
    except MessageError as exc:
        return _error(400, exc)
    fresh = [line for (mid, _), line in zip(messages, lines, strict=True) if server.recent.add(mid)]
    if fresh:
        await server.log.append(fresh)
    return Response(_OK, media_type="application/json")


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its ``$defs`` inlined (OpenAPI resolves refs globally)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    if "batch" in schema.get("properties", {}):
        schema["properties"]["batch"]["items"] = defs["SegmentMessage"]
    return schema


def _route(call: str, model: type[BaseModel], summary: str) -> None:
    async def handler(request: Request) -> Response:
        return await _receive(request, call)

    handler.__name__ = f"segment_{call}"
    router.add_api_route(
        f"/{call}",
        handler,
        methods=["POST"],
        summary=summary,
        response_model=TrackingResult,
        responses={400: {"description": "A field is invalid; the error names it."}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _inline_schema(model)}},
            }
        },
    )


for _call, _summary in (
    ("identify", "Who the user is, with their traits"),
    ("track", "An action the user took"),
    ("page", "A web page view"),
    ("screen", "An app screen view"),
    ("group", "The account (company) the user belongs to"),
    ("alias", "Merge a previous id into a user id"),
):
    _route(_call, SegmentMessage, _summary)
_route("batch", SegmentBatch, "Many messages in one request (up to 500 KB)")
