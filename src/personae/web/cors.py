"""Cross-origin access to the tracking API, for analytics.js on a customer's web site.

A site's pages post events from the visitor's browser to ``personae serve`` on another
origin, with an ``Authorization`` header, so the browser first sends a preflight
``OPTIONS`` and then reads the answer only when it carries
``Access-Control-Allow-Origin``. Only the tracking routes answer this way: the profile
API, the pages and everything else stay same-origin, so a page on another site can never
read personal data through a visitor's browser. The tracking routes take no cookies
(only write keys, which are public in a web page anyway), so ``*`` is a safe default and
credentials are never allowed.

Which sites may send is ``[serve] cors_origins``. A request from a page of a site not in
the list gets a 403 even though a browser would only hide the answer: otherwise another
site could still fill the workspace with events under a copied write key.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

ALLOW_METHODS = "POST, OPTIONS"
# what Segment's libraries send; X-Retry-Count comes with analytics.js retries
ALLOW_HEADERS = "Authorization, Content-Type, Content-Encoding, X-Retry-Count"
MAX_AGE = "7200"  # seconds a browser may reuse a preflight (Chromium's cap)


class CorsPolicy:
    """The allowed origins (already checked and normalised by the configuration)."""

    def __init__(self, origins: Sequence[str]) -> None:
        self.any = "*" in origins
        self.origins = frozenset(origins)

    def allows(self, origin: str | None, host: str | None) -> bool:
        """True for a request without ``Origin`` (server SDKs, curl), a same-origin page,
        and an origin in the list."""
        if origin is None or self.any or origin.lower() in self.origins:
            return True
        try:
            return urlsplit(origin).netloc.lower() == (host or "").lower()
        except ValueError:
            return False

    def headers(self, origin: str | None) -> dict[str, str]:
        """What a tracking response carries for a request from ``origin``."""
        if origin is None:
            return {}
        if self.any:
            return {"Access-Control-Allow-Origin": "*"}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        """The answer to a preflight ``OPTIONS`` from an allowed origin."""
        return {
            **self.headers(origin),
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        }
