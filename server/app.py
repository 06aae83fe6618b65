"""The FastAPI application: ``create_app()`` and the module-level ``app``.

``uvicorn verigrade.server.app:app`` serves ``app``, configured from ``VERIGRADE_*``
environment variables; tests and embedders call ``create_app(Settings(...))``.
Nothing starts at import: the lifespan starts the worker pool and stops it after
draining in-flight requests.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from verigrade.verifiers import Grader

from .errors import ApiError, handle_api_error
from .observe import RequestMetrics
from .routes import docs, grade, health, metrics, openrlhf, verifiers
from .schemas import GradeRequest, OpenRLHFRequest
from .settings import Settings
from .specs import load_named_specs
from .state import ServerState


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. ``settings`` default to the environment (read at start-up)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or Settings()
        # Named specs are checked before the pool starts: a typo fails start-up, not a step.
        app.state.named_specs = load_named_specs(config.specs) if config.specs else {}
        grader = _grader(config)
        state = ServerState(config, grader)
        app.state.verigrade = state
        # Start-up objects live for the whole run; freezing them keeps full collections
        # (40 ms tail pauses, docs/architecture.md §10) from rescanning them.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await state.drain()
            grader.close()

    app = FastAPI(
        title="verigrade",
        summary="Verifiable rewards for RL on language models: a batch grading API.",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's pages load their scripts from a CDN (blank offline): routes/docs.py
        # serves /docs itself, and /openapi.json stays.
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_middleware(RequestMetrics)
    for module in (grade, openrlhf, verifiers, health, metrics, docs):
        app.include_router(module.router)
    _document_raw_bodies(app)
    return app


def _grader(config: Settings) -> Grader:
    """Local worker processes, or with ``ray_address`` a RayGrader on that cluster."""
    if config.ray_address is None:
        return Grader(
            config.workers,
            timeout=config.item_timeout,
            max_chars=config.max_chars,
            pin_workers=config.pin_workers,
        )
    from verigrade.verifiers.ray import RayGrader  # only here: Ray is an optional extra

    ray_grader = RayGrader(
        config.ray_address,
        workers_per_node=config.workers,
        timeout=config.item_timeout,
        max_chars=config.max_chars,
    )
    # The same surface; its `pool` is a view of the cluster (actors, chunks, node pools).
    return cast(Grader, ray_grader)


def _document_raw_bodies(app: FastAPI) -> None:
    """Put the request models of the raw-body routes into the OpenAPI schema.

    Those routes parse with orjson for speed, so FastAPI cannot see their models;
    their ``openapi_extra`` points at these component schemas.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (GradeRequest, OpenRLHFRequest):
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app()
"""The app ``uvicorn verigrade.server.app:app`` serves, configured from the environment."""
