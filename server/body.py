"""Reading request bodies: a size limit on the bytes and the batch, and fast JSON.

The limit is checked against Content-Length first and then while streaming, so a
client that lies about (or omits) the length cannot make the server buffer more.
orjson parses ~3x faster than the standard library, which matters at batch 256; the
standard library takes the bodies orjson cannot read exactly (lone surrogates, integers
past 64 bits), so every number reaches the verifiers and comes back as it was sent.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from fastapi import Request

from .errors import bad_request, too_large
from .settings import Settings


def _limit_message(size: str, limit: int) -> str:
    return (
        f"request body is {size} bytes, over this server's limit of {limit:,} bytes "
        "(VERIGRADE_MAX_BODY_BYTES); send fewer or shorter samples per request"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, or 413 once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(_limit_message(f"{int(declared):,}", limit))
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(_limit_message(f"more than {limit:,}", limit))
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body parsed as a JSON object, or a 400 that says what is wrong."""
    raw = await read_body(request, limit)
    if not raw:
        raise bad_request("the request body is empty; send a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        data = _lenient(raw, exc)
    else:
        if _inexact(data):
            data = _exact(raw)
    if not isinstance(data, dict):
        raise bad_request(f"the request body must be a JSON object, got {_json_type(data)}")
    return data


def _lenient(raw: bytes, exc: orjson.JSONDecodeError) -> Any:
    # orjson refuses lone UTF-16 surrogates ("\ud800"), which Python's json writes for
    # strings a broken tokenizer decode can produce. That is model output, not a bad
    # request, so the standard library gets a second look before answering 400.
    try:
        return _stdlib_loads(raw)
    except (ValueError, RecursionError):
        raise bad_request(f"the request body is not valid JSON: {exc}") from None


# orjson reads an integer outside [-2**63, 2**64) as the nearest float, silently
# (18446744073709551617 -> 1.8446744073709552e+19): an id would come back changed and a
# reference would be compared wrongly. Such a float is at least 2**63 in magnitude, so
# finding one (~0.3 us per typical sample) sends the body to the standard library, which
# reads integers of any size exactly (and refuses past 4300 digits: a 400).
_EXACT_FLOATS = 2.0**63


def _inexact(data: Any) -> bool:
    """Whether orjson's ``data`` may hold an integer it could not represent."""
    stack = [data]
    pop, extend = stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)
        if kind is dict:
            extend(value.values())
        elif kind is list:
            extend(value)
        elif kind is float and not -_EXACT_FLOATS < value < _EXACT_FLOATS:
            return True
    return False


def _stdlib_loads(raw: bytes) -> Any:
    """The standard library's reading. It also takes NaN and Infinity, which Python's json
    writes (a dataset column's NaN in metadata): kept, as before, except as an id."""
    data = json.loads(raw)
    samples = data.get("samples") if type(data) is dict else None
    if type(samples) is list:
        for index, sample in enumerate(samples):
            sample_id = sample.get("id") if type(sample) is dict else None
            if type(sample_id) is float and not math.isfinite(sample_id):
                # Echoed, it would come back as null: refuse rather than change it.
                raise bad_request(
                    f"samples[{index}].id is {sample_id!r}, which JSON cannot carry back; "
                    "send ids as strings or integers"
                )
    return data


def _exact(raw: bytes) -> Any:
    try:
        return _stdlib_loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"the request body cannot be read exactly: {exc}") from None


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def json_type(value: object) -> str:
    """How JSON would name the type of ``value`` (for error messages)."""
    if isinstance(value, dict):
        return "an object"
    return _json_type(value)


def check_batch(samples: object, settings: Settings, field: str = "samples") -> list[Any]:
    """The batch (the ``field`` array), or 400/413 that says why not."""
    if not isinstance(samples, list):
        raise bad_request(f"'{field}' must be an array, got {json_type(samples)}")
    if len(samples) > settings.max_batch:
        raise too_large(
            f"the batch has {len(samples):,} samples; this server takes at most "
            f"{settings.max_batch:,} per request (VERIGRADE_MAX_BATCH): split it"
        )
    return samples
