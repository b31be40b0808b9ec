"""The API app as `stockd serve --processes N` loads it in each uvicorn
worker process: the app of `stockd.entrypoints.api.asgi`, in a process that
ends when serve does (lifeline), logging as serve does."""

from __future__ import annotations

from stockd.entrypoints.cli.lifeline import end_with_parent

end_with_parent()

from stockd import logs  # noqa: E402
from stockd.entrypoints.api.asgi import app, settings  # noqa: E402  (after the lifeline)

logs.configure(settings.log_level, settings.log_format)  # this process's records too

__all__ = ["app"]
