"""Server settings, read from ``VERIGRADE_*`` environment variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can tune; each field is ``VERIGRADE_<NAME>`` in the environment.

    Example:
        ``VERIGRADE_WORKERS=8 VERIGRADE_API_KEY=s3cret uvicorn verigrade.server.app:app``
    """

    model_config = SettingsConfigDict(env_prefix="VERIGRADE_", frozen=True)

    workers: Annotated[
        int | None, Field(ge=1, description="grading worker processes (default: one per core)")
    ] = None
    pin_workers: Annotated[
        bool | None,
        Field(
            description="keep each worker on a core of its own (default: only when there is "
            "one worker per core and no CPU quota)"
        ),
    ] = None
    ray_address: Annotated[
        str | None,
        Field(
            description="grade on this Ray cluster ('auto', 'HOST:PORT') instead of local "
            "workers; workers is then per node (needs verigrade[ray])"
        ),
    ] = None
    api_key: Annotated[
        SecretStr | None,
        Field(description="if set, /v1/* needs 'Authorization: Bearer <key>'"),
    ] = None
    max_body_bytes: Annotated[
        int, Field(ge=1024, description="largest accepted request body; larger gets 413")
    ] = 8 * 1024 * 1024
    max_batch: Annotated[
        int, Field(ge=1, description="most samples in one request; more gets 413")
    ] = 4096
    max_queued_items: Annotated[
        int,
        Field(ge=1, description="items in flight before new requests get 429 (backpressure)"),
    ] = 16384
    item_timeout: Annotated[
        float | None,
        Field(gt=0, description="per-item deadline in seconds (default: each verifier's own)"),
    ] = None
    max_item_timeout: Annotated[
        float, Field(gt=0, description="largest per-item deadline a request may ask for")
    ] = 60.0
    request_timeout: Annotated[
        float,
        Field(gt=0, description="per-request deadline; unfinished items get status timeout"),
    ] = 120.0
    max_chars: Annotated[
        int, Field(ge=1, description="completions longer than this get invalid_input")
    ] = 1_000_000
    drain_timeout: Annotated[
        float, Field(ge=0, description="on shutdown, how long in-flight requests may finish")
    ] = 60.0
    heal_timeout: Annotated[
        float,
        Field(
            gt=0,
            description="seconds the pool may go without a ready worker (while it restarts "
            "them) before /healthz answers 503 so a supervisor restarts the process",
        ),
    ] = 60.0
    retry_after: Annotated[
        int, Field(ge=1, description="seconds suggested in Retry-After on 429/503")
    ] = 1
    default_spec: Annotated[
        str | None,
        Field(description="spec (name or JSON) for /v1/openrlhf requests that name none"),
    ] = None
    specs: Annotated[
        str | None,
        Field(
            description="a JSON file of named specs {name: spec}; /v1/openrlhf/<name> grades "
            "with spec <name> (checked at start-up)"
        ),
    ] = None
    openrlhf_strict: Annotated[
        bool,
        Field(
            description="/v1/openrlhf answers 422 naming the samples when any could not be "
            "graded (invalid_input, e.g. a bad label, or error) instead of scoring them 0.0"
        ),
    ] = False
