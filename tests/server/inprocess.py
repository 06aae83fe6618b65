"""Run an ASGI app in-process for synchronous tests and clients.

Starlette's TestClient now warns about httpx, so this is the small equivalent: the
app's lifespan and requests run on an event loop in a helper thread, and a sync
httpx transport hands each request over to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

T = TypeVar("T")


class InProcessApp:
    """Starts the app's lifespan on enter and stops it on exit."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._lifespan: Any = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the app's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    @property
    def state(self) -> Any:
        return self.app.state.verigrade

    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport that serves requests from this app."""
        return _LoopTransport(self)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx.Client bound to the app."""
        return httpx.Client(transport=self.transport(), base_url="http://test", **kwargs)

    def __enter__(self) -> InProcessApp:
        self._thread.start()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.run(self._lifespan.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self._lifespan.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


class _LoopTransport(httpx.BaseTransport):
    def __init__(self, owner: InProcessApp) -> None:
        self.owner = owner
        self.inner = httpx.ASGITransport(app=owner.app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> httpx.Response:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await self.inner.handle_async_request(forwarded)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self.owner.run(call())
