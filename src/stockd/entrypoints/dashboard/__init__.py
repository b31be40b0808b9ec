"""The live dashboard (`/dashboard`): one page, its stylesheet and its script,
served by stockd from the installed package (no build step, no CDN).

The page itself needs no key: it holds no data. The key a user pastes stays
in the browser tab (sessionStorage) and goes with each API call the script
makes. The Content-Security-Policy allows this origin only, and no inline
script or style, so a value shown on the page can never run as code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

STATIC = files(__name__) / "static"
ASSETS = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Small files that change with stockd: revalidated, never stale after an upgrade.
    "Cache-Control": "no-cache",
}


def install(app: FastAPI, path: str = "/dashboard") -> None:
    """Serve the page at `path` and its assets under it, outside OpenAPI."""
    app.add_route(path, _serve("index.html", "text/html; charset=utf-8"), include_in_schema=False)
    for name, media_type in ASSETS.items():
        app.add_route(f"{path}/{name}", _serve(name, media_type), include_in_schema=False)


def _serve(name: str, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    # Read once, at start: a package installed without its files fails now,
    # not on the first visit.
    body = (STATIC / name).read_bytes()

    async def serve(request: Request) -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return serve
