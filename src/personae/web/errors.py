"""One error body for every ``/v1`` answer that is not a success.

Clients written for other APIs look for ``code`` and ``message`` (and retry when they find
neither); FastAPI's own clients read ``detail``. Every error of the profile API carries all
three, and the OpenAPI document lists, per route, which statuses it can answer, so that a
generated client (and a conformance fuzzer) knows them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

# a stable machine-readable name per status (the message says what to fix)
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "not_ready",
    413: "body_too_large",
    422: "invalid_request",
}

_WHY = {
    400: "The request is malformed; the message names the part and the fix.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role may not do this (or the person has not consented).",
    404: "Nothing is known by this identifier.",
    409: "The workspace has not run the step this needs yet; the message names it.",
    413: "The body is larger than the route accepts.",
}


class ApiError(BaseModel):
    """The body of every error answer of the profile API."""

    code: str = Field(description="Machine-readable: " + ", ".join(sorted(set(CODES.values()))))
    message: str = Field(description="What went wrong and how to fix it.")
    detail: Any = Field(description="The same message (FastAPI clients read this field).")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, all with the :class:`ApiError`
    body."""
    return {s: {"model": ApiError, "description": _WHY[s]} for s in statuses}


def error_body(status: int, message: str, detail: Any = None) -> dict[str, Any]:
    return {
        "code": CODES.get(status, "error"),
        "message": message,
        "detail": message if detail is None else detail,
    }


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """``HTTPException`` answers with ``code`` and ``message`` besides ``detail``."""
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return JSONResponse(
        error_body(exc.status_code, message, exc.detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )
