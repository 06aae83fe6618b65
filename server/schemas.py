"""Request and response shapes, for the OpenAPI schema at ``/docs``.

The grading routes parse and serialise with orjson and check the envelope by hand
(pydantic models cost ~9 us per item against ~3 us, see docs/architecture.md §10);
these models document exactly what those routes accept and return.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "invalid_input", "no_answer", "timeout", "error"]


class SampleIn(BaseModel):
    """One sample to grade. A malformed sample fails inside its own result
    (``status="invalid_input"``), never the whole batch."""

    id: Any = Field(None, description="echoed back; defaults to the sample's index")
    prompt: str | list[dict[str, Any]] = Field("", description="text or chat messages")
    completion: str | list[dict[str, Any]] = Field(description="the model's output")
    reference: Any = Field(None, description="gold data for the verifiers (an answer, tests)")
    metadata: dict[str, Any] = Field(default_factory=dict, description="anything else")


class GradeOptions(BaseModel):
    """Per-request options. Strict: ``"details": "no"`` or ``0`` is a 400, not a truthy
    value; an unknown option is a 400 too."""

    model_config = ConfigDict(strict=True, extra="forbid")

    timeout: float | None = Field(
        None, gt=0, description="per-item deadline in seconds (capped by the server)"
    )
    deadline: float | None = Field(
        None,
        gt=0,
        description="whole-request deadline in seconds (capped by the server); items "
        "unfinished by then get status 'timeout'",
    )
    details: bool = Field(True, description="include each verdict's details")


class GradeRequest(BaseModel):
    """``POST /v1/grade``: a reward spec and a batch of samples; no other fields."""

    model_config = ConfigDict(extra="forbid")

    spec: str | list[str] | dict[str, Any] = Field(
        description="a verifier name, a list of names, or {name: weight | {weight, ...options}}; "
        'or {"route": {"field": <metadata key>, "specs": {<value>: <spec>}, "default": <spec>}} '
        "to grade each sample with the spec its metadata names",
        examples=[
            {"think_format": 0.5, "math": 1.0},
            {
                "route": {
                    "field": "data_source",
                    "specs": {"openai/gsm8k": {"math": 1.0, "think_format": 0.1}},
                    "default": {"think_format": 1.0},
                }
            },
        ],
    )
    samples: list[SampleIn]
    options: GradeOptions | None = None


class VerdictOut(BaseModel):
    """One verifier's judgement of one sample."""

    score: float
    status: Status
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


class GradeOut(BaseModel):
    """One sample's result: the weighted reward and a verdict per spec entry."""

    id: Any
    reward: float
    route: str | None = Field(
        None,
        description="with a routed spec: the route taken (absent when the sample matched none)",
    )
    verdicts: dict[str, VerdictOut]


class GradeResponse(BaseModel):
    """The results, one per sample, in request order."""

    results: list[GradeOut]


class VerifierInfo(BaseModel):
    """An installed verifier."""

    name: str
    description: str
    options: dict[str, Any] = Field(description="JSON schema of the verifier's options")
    timeout: float = Field(description="default per-item deadline in seconds")


class VerifiersResponse(BaseModel):
    """``GET /v1/verifiers``."""

    verifiers: list[VerifierInfo]


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward request (``--reward.remote_url``)."""

    query: list[str] = Field(description="prompt + response, special tokens included")
    prompts: list[str] | None = Field(None, description="the prompts, to cut from each query")
    labels: list[Any] | None = Field(None, description="gold answers, used as references")


class OpenRLHFResponse(BaseModel):
    """What OpenRLHF reads back; rewards are never null."""

    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]] = Field(description="per-verifier scores, per sample")


class ErrorResponse(BaseModel):
    """Every non-2xx answer."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": why}
    for code, why in {
        400: "malformed JSON or a wrong envelope type",
        401: "missing or wrong API key",
        413: "body or batch over the server's limits",
        422: "the spec names an unknown verifier or bad options",
        429: "the queue is full; retry after Retry-After seconds",
        503: "not ready or shutting down; retry after Retry-After seconds",
    }.items()
}
"""The error answers of the grading routes, for their OpenAPI ``responses``."""


HealthStatus = Literal["ok", "unhealthy", "ready", "not_ready"]


class Health(BaseModel):
    """``/healthz`` and ``/readyz``: the verdict, and the pool as it is now."""

    status: HealthStatus
    reason: str | None = Field(None, description="why not ok/ready, in a sentence")
    workers: int = Field(0, description="grading workers running and ready now")
    workers_configured: int = Field(0, description="grading workers the pool keeps")
    draining: bool = False
    in_flight_items: int = 0
    queue_depth: int = 0
