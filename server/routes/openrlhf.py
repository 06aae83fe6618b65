"""``POST /v1/openrlhf``: OpenRLHF's remote reward protocol.

OpenRLHF (``--remote_rm_url http://host:8000/v1/openrlhf?spec=math``) posts
``{"query": [...], "prompts": [...], "labels": [...]}`` and reads ``rewards``.
The spec comes from the ``spec`` query parameter (a name or JSON) or the server's
``VERIGRADE_DEFAULT_SPEC``. A sample that cannot be graded scores 0.0: OpenRLHF
turns rewards into a tensor, so a null would crash the trainer.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from verigrade.verifiers import SpecError, load_spec

from ..body import check_batch, json_type, read_json_object
from ..deps import Authorized, StateDep
from ..errors import ApiError, bad_request
from ..grading import grade_batch, parse
from ..openrlhf import split_response
from ..results import dumps, grades_to_dicts, record_counts
from ..schemas import ERROR_RESPONSES, OpenRLHFResponse

router = APIRouter(tags=["compatibility"], dependencies=[Authorized])


def _from_url(text: str) -> Any:
    """A spec from the query string: a verifier name or inline JSON. Never a file path
    (``load_spec`` would read one), so callers cannot probe the server's files."""
    stripped = text.strip()
    if stripped.startswith(("{", "[", '"')):
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise ApiError(
                422, f"invalid spec: ?spec= looks like JSON but does not parse: {exc}"
            ) from None
    return stripped


def _strings(body: dict[str, Any], name: str, n: int | None) -> list[Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"'{name}' must be an array, got {json_type(value)}")
    if n is not None and len(value) != n:
        raise bad_request(f"'{name}' has {len(value)} entries but 'query' has {n}")
    return value


@router.post(
    "/v1/openrlhf",
    summary="OpenRLHF remote reward model protocol",
    response_class=Response,
    responses={
        200: {"model": OpenRLHFResponse, "description": "one reward per query"},
        **ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/OpenRLHFRequest"}}
            },
        }
    },
)
async def openrlhf(
    request: Request,
    state: StateDep,
    spec: str | None = Query(None, description="a verifier name or a JSON spec"),
) -> Response:
    """Grade OpenRLHF queries: ``rewards`` and ``scores`` are the weighted rewards and
    ``extra_logs`` holds each verifier's score per sample."""
    settings = state.settings
    if spec is not None:
        parsed = parse(_from_url(spec))
    elif settings.default_spec:
        try:
            # The operator's own setting: a name, JSON, or a spec file on the server.
            parsed = parse(load_spec(settings.default_spec))
        except SpecError as exc:
            raise ApiError(422, f"invalid VERIGRADE_DEFAULT_SPEC: {exc}") from None
    else:
        raise bad_request(
            "no spec: add ?spec=<verifier or JSON> to the URL or set VERIGRADE_DEFAULT_SPEC"
        )
    body = await read_json_object(request, settings.max_body_bytes)
    queries = check_batch(body.get("query"), settings, "query") if "query" in body else None
    if queries is None:
        raise bad_request("missing 'query': an array of prompt+response strings")
    prompts = _strings(body, "prompts", len(queries))
    labels = _strings(body, "labels", len(queries))
    samples = [
        {
            "id": i,
            "prompt": prompts[i] if prompts and isinstance(prompts[i], str) else "",
            "completion": (
                split_response(q, prompts[i] if prompts and isinstance(prompts[i], str) else None)
                if isinstance(q, str)
                else q
            ),
            "reference": labels[i] if labels else None,
        }
        for i, q in enumerate(queries)
    ]
    grades = await grade_batch(
        state, request, samples, parsed, route="openrlhf", timeout=None, deadline=None
    )
    if grades is None:
        return Response(status_code=499)
    counts: dict[tuple[str, str], int] = {}
    results = grades_to_dicts(grades, details=False, counts=counts)
    record_counts(state.metrics, counts, {e.label: e.verifier.name for e in parsed.entries})
    rewards = [r["reward"] for r in results]
    extra = {label: [r["verdicts"][label]["score"] for r in results] for label in parsed.labels}
    return Response(
        dumps({"rewards": rewards, "scores": rewards, "extra_logs": extra}),
        media_type="application/json",
    )
