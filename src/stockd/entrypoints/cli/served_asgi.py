"""The API app as `stockd serve --processes N` loads it in each uvicorn
worker process: the app of `stockd.entrypoints.api.asgi`, in a process that
ends when serve does (lifeline)."""

from __future__ import annotations

from stockd.entrypoints.cli.lifeline import end_with_parent

end_with_parent()

from stockd.entrypoints.api.asgi import app  # noqa: E402  (after the lifeline, by design)

__all__ = ["app"]
