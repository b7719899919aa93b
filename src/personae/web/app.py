"""The FastAPI application of ``personae serve``.

``create_app`` builds the app for one workspace; the server state (database, event log,
live updater, serving store) is opened in the lifespan, so importing the module has no
side effects and tests can run several apps side by side.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from personae.web import api, pages, tracking
from personae.web.cors import CorsPolicy
from personae.web.deps import LoginRequired
from personae.web.errors import http_error
from personae.web.server import Server
from personae.workspace import Workspace

STATIC_DIR = Path(__file__).parent / "static"


def _tune_gc_for_serving() -> None:
    """Keep the garbage collector off the request path of a long-running server.

    After start-up the process holds millions of long-lived objects (caches, the
    de-duplication window, imported modules). With the default thresholds a full
    collection walked all of them every half second under load, 110-150 ms each, which
    set the profile API's p95 (bench/README.md). Freezing moves them out of the
    collector's view, and the higher first threshold makes young collections rarer; the
    request path allocates few reference cycles, so memory stays flat.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def create_app(
    workspace: Workspace | str | Path,
    *,
    live: bool = True,
    tune_gc: bool = False,
    progress: Callable[[str], None] | None = None,
) -> FastAPI:
    """The app serving one workspace (run it with uvicorn, or ``personae serve``).

    ``live=False`` keeps the tracking API's log but does not apply it (benchmarks of the
    request path alone). ``tune_gc=True`` is for a process that runs nothing but this app
    (``personae serve``): see :func:`_tune_gc_for_serving`. ``progress`` hears about slow
    start-up work (rebuilding the serving store).
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server = Server(ws, live=live, progress=progress).open()
        app.state.server = server
        if tune_gc:
            _tune_gc_for_serving()
        try:
            yield
        finally:
            server.close()

    app = FastAPI(
        title="personae",
        summary="Customer profiles and evidence-backed personas: a Segment-compatible "
        "tracking API, the profile and persona APIs, and the persona library.",
        version="1",
        lifespan=lifespan,
    )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Browsers get the library's error page; API clients get JSON with the detail (and,
        under ``/v1``, ``code`` and ``message``)."""
        wants_html = "text/html" in request.headers.get("accept", "")
        if wants_html and not request.url.path.startswith(("/v1/", "/docs", "/openapi")):
            message = exc.detail if exc.status_code != 404 else "There is no page at this address."
            return pages.error_page(request, exc.status_code, str(message))
        if request.url.path.startswith("/v1/"):
            return await http_error(request, exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.get("/v1/health", tags=["operations"], summary="Liveness and the live updater's state")
    def health(request: Request) -> dict[str, Any]:
        server: Server = request.app.state.server
        live = server.live
        stats = live.stats if live else None
        return {
            "ok": stats is None or stats.last_error is None,
            "workspace": ws.config.workspace.name,
            "logged": server.log.durable.line if server.log else None,
            "lag": live.lag() if live else None,
            "applied": stats.applied if stats else 0,
            "duplicates_skipped": stats.skipped if stats else 0,
            "rejected": stats.rejected if stats else 0,
            "new_profiles": stats.new_profiles if stats else 0,
            "merges": stats.merges if stats else 0,
            "last_error": stats.last_error if stats else None,
            # lines that could not be staged at all, quarantined alone (reason 'unstageable')
            "isolated": stats.isolated if stats else 0,
            "last_isolated": stats.last_isolated if stats else None,
        }

    # the sites whose pages may post events (tracking routes only; see web/cors.py)
    app.state.cors = CorsPolicy(ws.config.serve.cors_origins)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(tracking.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
