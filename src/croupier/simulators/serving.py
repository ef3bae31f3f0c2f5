"""Serving a simulator's app on 127.0.0.1 in a background thread, for tests and demos."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port unless one is given) in a
    daemon thread. ``start`` returns once it listens; ``stop`` asks it to exit and waits."""

    def __init__(
        self,
        app: Any,
        what: str,
        *,
        port: int = 0,
        graceful_shutdown_seconds: int | None = None,
    ) -> None:
        self._what = what
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=graceful_shutdown_seconds,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self, timeout: float = 10) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._what} did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 10) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=timeout)

    @property
    def url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


__all__ = ["BackgroundServer"]
