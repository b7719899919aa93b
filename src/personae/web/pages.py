"""The persona library pages: login, gallery, persona, comparison, segments, profile search.

Server-rendered Jinja2 with htmx (vendored in ``/static``) for the parts that change in
place: choosing personas to compare, choosing a segment, live profile search. Every
htmx request has a plain-HTML fallback (a link or a GET form), so the pages also work
without JavaScript and every state has a URL.

Routes stay thin: who may see the page (:func:`~personae.web.deps.require_page`), one call
into :mod:`personae.web.page_data`, one template. Viewers see personas and aggregates only;
the profile pages check for the analyst role themselves so a viewer gets a proper 403 page
(and no link to them in the navigation).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from personae.reports.persona_report import report_environment
from personae.web import page_data as data
from personae.web.auth import SESSION_COOKIE, SESSION_SECONDS, Principal
from personae.web.deps import page_user, require_page, server

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_page("viewer"))]
charts_cache = data.ChartCache()

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@cache
def environment() -> jinja2.Environment:
    """The web templates, with the report's templates, filters and globals underneath."""
    env = report_environment().overlay(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("personae.web", "templates"),
                jinja2.PackageLoader("personae.reports", "templates"),
            ]
        )
    )
    env.filters = dict(env.filters)  # an overlay shares these dicts: never add to the report's
    env.globals = dict(env.globals)
    return env


def _is_htmx(request: Request) -> bool:
    """An htmx swap wants a fragment; a history restore (back button) wants the page."""
    headers = request.headers
    return headers.get("hx-request") == "true" and "hx-history-restore-request" not in headers


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    user: Principal | None = None,
    private: bool = False,
    **context: Any,
) -> HTMLResponse:
    """Render a page (or an htmx fragment) with the header's user and navigation."""
    srv = server(request)
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            user=user,
            path=request.url.path,
            workspace=srv.workspace.config.workspace.name,
            **context,
        )
    )
    headers = dict(_HEADERS)
    headers["Vary"] = "HX-Request, Cookie"
    # pages with personal data must not linger in shared caches or the back-forward cache
    headers["Cache-Control"] = "no-store" if private else "private, no-cache"
    return HTMLResponse(html, status_code=status_code, headers=headers)


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The HTML error page for a browser (the app uses it for unknown URLs)."""
    return _error(request, page_user(request), status_code, message)


def _error(request: Request, user: Principal | None, status_code: int, message: str) -> Response:
    title = {403: "Not allowed", 404: "Not found"}.get(status_code, "Error")
    return render(request, "error.html.j2", status_code, user=user, title=title, message=message)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return target


# ------------------------------------------------------------------------------ assets
@router.get("/assets/report.css")
def report_css() -> Response:
    """The report's stylesheet, shared by the library pages (one look for both)."""
    env = environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, "report.css")
    return Response(
        source,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# ------------------------------------------------------------------------------ login
@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    target = safe_next(next)
    if page_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html.j2", next=target, error=None, username="")


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    token = server(request).auth.login(username.strip(), password) if username else None
    if token is None:
        return render(
            request,
            "login.html.j2",
            401,
            next=target,
            username=username,
            error="The user name or password is not right. Check both and try again.",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        server(request).auth.logout(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


# ------------------------------------------------------------------------------ personas
@router.get("/")
def gallery(request: Request, user: Viewer) -> Response:
    with server(request).cursor() as cur:
        personas = data.load_library(cur)
    cards = data.gallery_cards(personas)
    return render(
        request,
        "gallery.html.j2",
        user=user,
        primary=[c for c in cards if c["p"].role == "primary"],
        negative=[c for c in cards if c["p"].role != "primary"],
        total=sum(p.size.customers for p in personas),
        share=sum(p.size.share for p in personas),
        versions=sorted({p.data_version for p in personas}),
    )


@router.get("/personas/{persona_id}")
def persona(request: Request, persona_id: str, user: Viewer) -> Response:
    with server(request).cursor() as cur:
        personas = data.load_library(cur)
    found = data.find_persona(personas, persona_id)
    if found is None:
        return _error(
            request,
            user,
            404,
            "There is no persona with this id. It may have been rebuilt "
            "under a new name: pick it from the gallery.",
        )
    index, p = found
    others = [o for o in personas if o.id != p.id and o.role == p.role]
    return render(
        request,
        "persona.html.j2",
        user=user,
        v=data.persona_page(personas, index),
        compare_ids=[p.id, *[o.id for o in others[:2]]],
        prev=personas[index - 1] if index > 0 else None,
        next=personas[index + 1] if index + 1 < len(personas) else None,
    )


@router.get("/compare")
def compare(
    request: Request,
    user: Viewer,
    ids: Annotated[list[str] | None, Query()] = None,
    chosen: str | None = None,
) -> Response:
    with server(request).cursor() as cur:
        personas = data.load_library(cur)
    wanted = data.parse_ids(ids or []) if (ids or chosen) else None
    view = data.comparison(personas, wanted)
    template = "_compare_table.html.j2" if _is_htmx(request) else "compare.html.j2"
    return render(request, template, user=user, c=view, has_personas=bool(personas))


# ------------------------------------------------------------------------------ segments
def _segment_page(request: Request, user: Principal, segment: int | None) -> Response:
    srv = server(request)
    with srv.cursor() as cur:
        personas = data.load_library(cur)
        k = srv.workspace.config.governance.min_group_size
        rows = data.segment_rows(cur, personas, k)
        detail = None
        if segment is not None:
            detail = data.segment_detail(cur, segment, personas, charts_cache)
            if detail is None:
                return _error(request, user, 404, f"There is no segment {segment}.")
        sections = charts_cache.sections(
            cur, str(srv.path), personas, srv.workspace.config.governance.min_group_size
        )
    return render(
        request, "segments.html.j2", user=user, rows=rows, detail=detail, sections=sections
    )


@router.get("/segments")
def segments(request: Request, user: Viewer, segment: int | None = None) -> Response:
    return _segment_page(request, user, segment)


@router.get("/segments/{segment}")
def segment(request: Request, segment: int, user: Viewer) -> Response:
    """One segment's details: an htmx fragment, or the explorer with it chosen."""
    if not _is_htmx(request):
        return _segment_page(request, user, segment)
    with server(request).cursor() as cur:
        detail = data.segment_detail(cur, segment, data.load_library(cur), charts_cache)
    if detail is None:
        return render(request, "_segment_missing.html.j2", 404, user=user, segment=segment)
    return render(request, "_segment_detail.html.j2", user=user, detail=detail)


# ------------------------------------------------------------------------------ profiles
_ANALYSTS_ONLY = (
    "Individual customer profiles hold personal data, so only analysts and admins may see "
    "them. Personas and segments are open to everyone."
)


def _search_page(request: Request, user: Principal, q: str, template: str) -> Response:
    """The search page or its live-results fragment: both show the same results."""
    results = []
    if q:
        with server(request).cursor() as cur:
            results = data.search_profiles(cur, q)
    return render(
        request,
        template,
        user=user,
        private=True,
        q=q,
        results=results,
        limit=data.SEARCH_LIMIT,
        min_query=data.MIN_QUERY,
    )


@router.get("/profiles")
def profiles(request: Request, user: Viewer, q: str = "") -> Response:
    if not user.can("analyst"):
        return _error(request, user, 403, _ANALYSTS_ONLY)
    return _search_page(request, user, q, "profiles.html.j2")


@router.get("/profiles/search")
def profile_search(request: Request, user: Viewer, q: str = "") -> Response:
    """The live search results (an htmx fragment; the full page without htmx)."""
    if not user.can("analyst"):
        return _error(request, user, 403, _ANALYSTS_ONLY)
    if not _is_htmx(request):
        return RedirectResponse(f"/profiles?{request.url.query}", status_code=303)
    return _search_page(request, user, q, "_profile_results.html.j2")


@router.get("/profiles/{profile_id}")
def profile(request: Request, profile_id: str, user: Viewer) -> Response:
    if not user.can("analyst"):
        return _error(request, user, 403, _ANALYSTS_ONLY)
    srv = server(request)
    doc = srv.profile_document("profile_id", profile_id)
    if doc is None:
        return _error(request, user, 404, "There is no profile with this id.")
    with srv.cursor() as cur:
        view = data.profile_view(doc, data.load_library(cur))
    return render(request, "profile.html.j2", user=user, private=True, pr=view)
