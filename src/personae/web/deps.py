"""Request dependencies shared by the API routers and the pages: who is calling, and may they.

APIs take a key in ``Authorization``: ``Bearer <key>``, or HTTP Basic with the key as the
user name and an empty password (how Segment's libraries send a write key). Pages take the
session cookie set by ``/login`` and send a browser to the login form when it is missing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import HTTPException, Request, status

from personae.web.auth import SESSION_COOKIE, Principal

if TYPE_CHECKING:
    from personae.web.server import Server


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login form."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def server(request: Request) -> Server:
    return request.app.state.server


def key_from_header(header: str | None) -> str | None:
    """The API key carried by an Authorization header (Bearer or Segment-style Basic)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return user or password or None
    return None


def api_principal(request: Request) -> Principal:
    key = key_from_header(request.headers.get("authorization"))
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required: send 'Authorization: Bearer <key>' (create one with "
            "`personae keys create NAME --role analyst`)",
            headers={"WWW-Authenticate": 'Basic realm="personae"'},
        )
    found = server(request).auth.principal_for_key(key)
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": 'Basic realm="personae"'},
        )
    return found


def require_api(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that lets through keys of ``role`` or above (403 otherwise).

    The check is a coroutine on purpose: a plain function dependency costs every request
    a hop to the thread pool and back, which measured a third of the profile API's
    throughput. The key lookup it does is a cached dictionary read or one SQLite row.
    """

    async def check(request: Request) -> Principal:
        who = api_principal(request)
        if not who.can(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs the {role} role; the key has the {who.role} role",
            )
        return who

    check.__name__ = f"require_api_{role}"
    return check


def page_user(request: Request) -> Principal | None:
    """The logged-in user of a page request, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return server(request).auth.principal_for_session(token)


def require_page(role: str = "viewer") -> Callable[[Request], Awaitable[Principal]]:
    """A page dependency: a logged-in user of ``role`` or above, else login or 403."""

    async def check(request: Request) -> Principal:
        who = page_user(request)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(quote(target, safe="/"))
        if not who.can(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this page needs the {role} role")
        return who

    check.__name__ = f"require_page_{role}"
    return check
