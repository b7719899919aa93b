"""The Segment-compatible tracking API: ``/v1/identify``, ``track``, ``page``, ``screen``,
``group``, ``alias`` and ``batch``.

Existing Segment or RudderStack tracking code works unchanged: point its host at
``personae serve`` and use a personae write key as the write key (HTTP Basic user name,
empty password). A 200 means the messages are on disk in the workspace's event log; the
live updater folds them into identities and profiles a moment later.

What analytics.js needs besides: the short paths it posts to (``/v1/t`` for track, ...,
``/v1/b`` for batch), bodies read as JSON whatever the ``Content-Type`` (it sends
``text/plain``), and CORS on these routes alone (:mod:`personae.web.cors`). Write keys
are taken out of every body before anything is logged; errors carry Segment's ``code``
and ``message``.

The handlers read the raw body rather than a pydantic model: a model would parse the
JSON a second time and could not name ``batch[3].event`` in Segment's words; the schema is
still published in the OpenAPI document for ``/docs``.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from personae.web.cors import CorsPolicy
from personae.web.deps import key_from_header
from personae.web.segment_spec import (
    BATCH_LIMIT,
    MessageError,
    decode_body,
    encode,
    messages_from_request,
    parse_json,
    pop_write_keys,
    too_large,
)
from personae.web.tracking_schema import (
    TrackingResult,
    batch_schema,
    error_responses,
    message_schema,
    request_body,
)

router = APIRouter(prefix="/v1", tags=["tracking"])
_OK = b'{"success":true}'


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


# Bytes read from the wire at most: the 500 KB limit plus room for gzip's framing of an
# incompressible body; the exact limit is checked on the decoded body.
READ_LIMIT = BATCH_LIMIT + 64 * 1024
# analytics.js posts to the first letter of the call: /v1/p, /v1/t, ... and /v1/b
SHORT_PATHS = {call[0]: call for call in ("identify", "track", "page", "screen", "group", "alias")}
SHORT_PATHS["b"] = "batch"


def _error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A 4xx body every client can read: Segment's ``code`` and ``message``, and the
    ``success``/``error``/``field`` of earlier personae versions (see TrackingError)."""
    body = {"success": False, "code": code, "message": message, "error": message}
    return JSONResponse({**body, "field": field or None}, status, headers=headers)


def _rejected(exc: MessageError, headers: dict[str, str]) -> JSONResponse:
    return _error(exc.status, exc.code, str(exc), exc.field, headers)


def _policy(request: Request) -> CorsPolicy:
    return request.app.state.cors


def _forbidden_origin(origin: str | None) -> JSONResponse:
    return _error(
        403,
        "origin_not_allowed",
        f"pages of {origin} may not send events here. Fix: add {origin!r} to "
        "[serve] cors_origins in personae.toml and restart personae serve",
    )


async def _read_body(request: Request) -> bytes:
    """The raw body, refused as soon as it is known to be over the limit."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > READ_LIMIT:
        raise too_large("", "the request is larger than the 500 KB limit; send smaller batches")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > READ_LIMIT:
            raise too_large("", "the request is larger than the 500 KB limit; send smaller batches")
        chunks.append(chunk)
    return b"".join(chunks)


async def _receive(request: Request, call: str) -> Response:
    received = datetime.now(UTC)
    server = request.app.state.server
    policy = _policy(request)
    origin = request.headers.get("origin")
    if not policy.allows(origin, request.headers.get("host")):
        return _forbidden_origin(origin)
    cors = policy.headers(origin)
    try:
        body = await _read_body(request)
        doc = parse_json(decode_body(body, request.headers.get("content-encoding")))
    except MessageError as exc:
        return _rejected(exc, cors)
    # always taken out of the body, also when the header carries the key: never logged
    body_key = pop_write_keys(doc, call)
    key = key_from_header(request.headers.get("authorization")) or body_key
    if not isinstance(key, str) or not key:
        return _error(
            401,
            "missing_write_key",
            "a write key is required: HTTP Basic with the write key as user name and an "
            "empty password, or writeKey in the body",
            headers=cors,
        )
    who = server.auth.principal_for_key(key)
    if who is None:
        return _error(401, "unknown_write_key", "the write key is unknown or revoked", headers=cors)
    if who.role not in ("writer", "admin"):
        return _error(
            403,
            "forbidden_role",
            f"a {who.role} key cannot send events. Fix: use a writer key "
            "(`personae keys create NAME --role writer`)",
            headers=cors,
        )
    try:
        messages = messages_from_request(doc, call, received)
        lines = [
            encode(msg, f"batch[{i}]" if call == "batch" else "")
            for i, (_, msg) in enumerate(messages)
        ]
    except MessageError as exc:
        return _rejected(exc, cors)
    fresh = [line for (mid, _), line in zip(messages, lines, strict=True) if server.recent.add(mid)]
    if fresh:
        await server.log.append(fresh)
    return Response(_OK, media_type="application/json", headers=cors)


async def _preflight(request: Request) -> Response:
    """A browser asks whether a page of another site may post here (CORS preflight)."""
    policy = _policy(request)
    origin = request.headers.get("origin")
    if not policy.allows(origin, request.headers.get("host")):
        return _forbidden_origin(origin)
    return Response(
        status_code=204, headers={"Allow": "POST, OPTIONS", **policy.preflight_headers(origin)}
    )


def _route(call: str, summary: str, path: str | None = None) -> None:
    """``/v1/{call}`` (or its short ``path``): POST for events, OPTIONS for the preflight."""

    async def handler(request: Request) -> Response:
        return await _receive(request, call)

    handler.__name__ = f"segment_{call}"
    schema = batch_schema() if call == "batch" else message_schema(call)
    short = path is not None
    router.add_api_route(
        f"/{path or call}",
        handler,
        methods=["POST"],
        summary=f"{summary} (short path of /v1/{call}, used by analytics.js)" if short else summary,
        description=f"The same as `POST /v1/{call}`." if short else None,
        response_model=TrackingResult,
        responses=error_responses(),
        openapi_extra=request_body(schema),
    )
    router.add_api_route(
        f"/{path or call}", _preflight, methods=["OPTIONS"], include_in_schema=False
    )


_SUMMARIES = {
    "identify": "Who the user is, with their traits",
    "track": "An action the user took",
    "page": "A web page view",
    "screen": "An app screen view",
    "group": "The account (company) the user belongs to",
    "alias": "Merge a previous id into a user id",
    "batch": "Many messages in one request (up to 500 KB)",
}
for _call, _summary in _SUMMARIES.items():
    _route(_call, _summary)
for _path, _call in SHORT_PATHS.items():
    _route(_call, _SUMMARIES[_call], _path)
