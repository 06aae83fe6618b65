"""``POST /v1/grade``: the batch grading endpoint."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ..body import check_batch, json_type, read_json_object
from ..deps import Authorized, StateDep
from ..errors import bad_request
from ..grading import parse, run_batch
from ..results import ResultJson, record_counts, results_body
from ..schemas import ERROR_RESPONSES, GradeOptions, GradeRequest, GradeResponse

router = APIRouter(tags=["grading"], dependencies=[Authorized])


# The fields GradeRequest and GradeOptions document (strict, no extra keys): checked here
# by hand, as the body is parsed with orjson, to exactly the same rules.
KNOWN_FIELDS = frozenset(GradeRequest.model_fields)
KNOWN_OPTIONS = frozenset(GradeOptions.model_fields)


def _options(value: object) -> dict[str, Any]:
    """The request's options: an object, or absent/null for the defaults."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"'options' must be an object, got {json_type(value)}")
    unknown = sorted(set(value) - KNOWN_OPTIONS)
    if unknown:
        raise bad_request(f"unknown option(s) {unknown}; known: {', '.join(sorted(KNOWN_OPTIONS))}")
    return value


def _seconds(options: dict[str, Any], name: str, cap: float) -> float | None:
    value = options.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise bad_request(f"options.{name} must be a positive number of seconds, got {value!r}")
    if value > cap:
        raise bad_request(f"options.{name} is {value:g}s; this server allows at most {cap:g}s")
    return float(value)


@router.post(
    "/v1/grade",
    summary="Grade a batch of samples against a reward spec",
    response_class=Response,
    responses={
        200: {"model": GradeResponse, "description": "one result per sample"},
        **ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/GradeRequest"}}
            },
        }
    },
)
async def grade(request: Request, state: StateDep) -> Response:
    """Grade every sample; a sample that cannot be graded fails inside its own result
    (status ``invalid_input``, ``timeout``, ``error``), never the batch."""
    settings = state.settings
    body = await read_json_object(request, settings.max_body_bytes)
    if "spec" not in body:
        raise bad_request('missing \'spec\': name the verifiers, e.g. {"spec": "think_format"}')
    if "samples" not in body:
        raise bad_request("missing 'samples': an array of {\"completion\": ...} objects")
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:  # a misspelt "options" must not grade with the defaults it meant to change
        raise bad_request(f"unknown field(s) {unknown}; known: {', '.join(sorted(KNOWN_FIELDS))}")
    samples = check_batch(body["samples"], settings)
    options = _options(body.get("options"))
    timeout = _seconds(options, "timeout", settings.max_item_timeout)
    deadline = _seconds(options, "deadline", settings.request_timeout)
    details = options.get("details", True)
    if type(details) is not bool:  # "no" or 0 must not quietly mean "yes"
        raise bad_request(f"options.details must be true or false, got {details!r}")
    spec = parse(body["spec"])
    # The workers serialise each sample's result as they finish it; this thread splices.
    finish = ResultJson.for_spec(spec, details)
    rows = await run_batch(
        state,
        request,
        len(samples),
        spec,
        lambda t, d: state.grader.submit_finished(samples, spec, finish, timeout=t, deadline=d),
        route="grade",
        timeout=timeout,
        deadline=deadline,
    )
    if rows is None:
        return Response(status_code=499)  # nginx's "client closed request"; nobody reads it
    counts: dict[tuple[str, str], int] = {}
    content = results_body(rows, spec.labels, counts)
    record_counts(state.metrics, counts, spec.names)
    return Response(content, media_type="application/json")
