"""``POST /v1/openrlhf`` and ``/v1/openrlhf/<name>``: OpenRLHF's remote reward protocol.

OpenRLHF (``--reward.remote_url http://host:8000/v1/openrlhf/r1``) posts
``{"query": [...], "prompts": [...], "labels": [...]}`` and reads ``rewards``. The spec
is ``r1`` from the server's spec file (``VERIGRADE_SPECS``); ``/v1/openrlhf`` takes it
from the ``spec`` query parameter (a name or JSON) or ``VERIGRADE_DEFAULT_SPEC``. A
sample that cannot be graded scores 0.0 (OpenRLHF turns rewards into a tensor, so a null
would crash the trainer) and counts in ``extra_logs``' status columns; with
``VERIGRADE_OPENRLHF_STRICT`` the request fails with 422 instead.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from verigrade.verifiers import ParsedSpec, SpecError, load_spec

from ..body import check_batch, json_type, read_json_object
from ..deps import Authorized, StateDep
from ..errors import ApiError, bad_request
from ..grading import grade_batch, parse
from ..openrlhf import openrlhf_answer, refused, split_response
from ..results import dumps, grades_to_dicts, record_counts
from ..schemas import ERROR_RESPONSES, OpenRLHFResponse

router = APIRouter(tags=["compatibility"], dependencies=[Authorized])
_log = logging.getLogger("verigrade.server")


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


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": OpenRLHFResponse, "description": "one reward per query"},
    **ERROR_RESPONSES,
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OpenRLHFRequest"}}
        },
    }
}


@router.post(
    "/v1/openrlhf",
    summary="OpenRLHF remote reward model protocol",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def openrlhf(
    request: Request,
    state: StateDep,
    spec: str | None = Query(None, description="a verifier name or a JSON spec"),
) -> Response:
    """Grade OpenRLHF queries: ``rewards`` and ``scores`` are the weighted rewards and
    ``extra_logs`` holds each verifier's score and each non-ok status per sample."""
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
            "no spec: use /v1/openrlhf/<name> with a spec file (VERIGRADE_SPECS), add "
            "?spec=<verifier or JSON> to the URL, or set VERIGRADE_DEFAULT_SPEC"
        )
    return await _grade(request, state, parsed)


@router.post(
    "/v1/openrlhf/{name}",
    summary="OpenRLHF remote reward model protocol, a named spec",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def openrlhf_named(
    request: Request,
    state: StateDep,
    name: str = Path(description="a spec of the server's spec file (VERIGRADE_SPECS)"),
) -> Response:
    """``/v1/openrlhf`` with the spec the server's spec file names ``name``: no commas or
    quotes in the URL, so it survives OpenRLHF splitting ``--reward.remote_url``."""
    named: dict[str, ParsedSpec] = getattr(request.app.state, "named_specs", {})
    parsed = named.get(name)
    if parsed is None:
        known = ", ".join(sorted(named)) or "none: start the server with --specs FILE"
        raise ApiError(404, f"no spec named {name!r} on this server (named specs: {known})")
    return await _grade(request, state, parsed)


async def _grade(request: Request, state: StateDep, parsed: ParsedSpec) -> Response:
    settings = state.settings
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
    record_counts(state.metrics, counts, parsed.names)
    if settings.openrlhf_strict:
        why = refused(grades)
        if why is not None:
            _log.warning("/v1/openrlhf refused a batch: %s", why)
            raise ApiError(422, why)
    return Response(
        dumps(openrlhf_answer(results, grades, parsed.labels)), media_type="application/json"
    )
