"""The docs page (`/docs`): Swagger UI served from the installed
`swagger-ui-bundle-v2` package, not a CDN, so it works offline and behind
firewalls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_CACHE = {"Cache-Control": "public, max-age=86400"}


def install(app: FastAPI, path: str = "/docs") -> None:
    """Serve the docs page at `path` and its assets under it (outside OpenAPI)."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} – API docs",
            swagger_js_url=f"{root}{path}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{path}/swagger-ui.css",
            swagger_favicon_url=f"{root}{path}/favicon-32x32.png",
        )

    app.add_route(path, page, include_in_schema=False)
    for name, media_type in ASSETS.items():
        app.add_route(f"{path}/{name}", _asset(name, media_type), include_in_schema=False)


def _asset(name: str, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    file = Path(str(swagger_ui_path)) / name
    if not file.is_file():  # a bundle laid out differently: fail at start, not on a click
        raise RuntimeError(f"swagger-ui-bundle has no {name} under {swagger_ui_path}")

    async def serve(request: Request) -> Response:
        return FileResponse(file, media_type=media_type, headers=_CACHE)

    return serve
