"""Fixtures: in-process apps and live uvicorn processes on a free loopback port,
always shut down; the fault verifiers registered for the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from verigrade.server import Settings, create_app
from verigrade.verifiers import register, unregister

from tests.server.faulty import FAULT_VERIFIERS
from tests.server.inprocess import InProcessApp
from tests.server.support import AsyncApp, LiveServer, start_async_app, start_uvicorn


@pytest.fixture(scope="session", autouse=True)
def fault_verifiers() -> Iterator[None]:
    for cls in FAULT_VERIFIERS:
        register(cls)
    yield
    for cls in FAULT_VERIFIERS:
        unregister(cls.name)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """The default app in-process (2 workers), shared by a module's tests."""
    with InProcessApp(create_app(Settings(workers=2))) as app, app.client() as http:
        yield http


@pytest.fixture
async def async_app() -> AsyncIterator[AsyncApp]:
    app, lifespan = await start_async_app()
    try:
        yield app
    finally:
        await app.http.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    """A real uvicorn process with 2 grading workers and the fault verifiers."""
    server = start_uvicorn(workers=2)
    try:
        yield server
    finally:
        server.stop()
