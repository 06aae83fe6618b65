"""What the sync and async clients share: request bodies, result parsing, and when
and how long to wait before a retry. No I/O here."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from verigrade.verifiers import Grade, Sample, Verdict

from .errors import GradeRequestError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
MAX_BACKOFF = 30.0

SampleLike = Mapping[str, Any] | Sample
SpecJSON = str | Sequence[str] | Mapping[str, Any]


def sample_dict(sample: SampleLike) -> Mapping[str, Any]:
    """A Sample as the JSON object the server takes (dicts pass through)."""
    if isinstance(sample, Sample):
        return {
            "id": sample.id,
            "prompt": sample.prompt,
            "completion": sample.completion,
            "reference": sample.reference,
            "metadata": dict(sample.metadata),
        }
    return sample


def encode(samples: Sequence[SampleLike], spec: SpecJSON, options: Mapping[str, Any]) -> bytes:
    """The body of ``POST /v1/grade``."""
    if not isinstance(spec, str | Sequence | Mapping):
        raise TypeError(
            f"the client sends specs as JSON: a name, a list or a dict, not {type(spec).__name__}"
        )
    payload = {"spec": spec, "samples": [sample_dict(s) for s in samples], "options": options}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate from a broken decode: send it escaped ("\ud800"), which the
        # server accepts, rather than fail the batch on the trainer's side.
        return json.dumps(payload, separators=(",", ":")).encode()


def decode(response: httpx.Response, samples: Sequence[SampleLike], offset: int) -> list[Grade]:
    """Rebuild the library's Grade objects from a 200 answer to ``samples``.

    A sample sent without an id gets its index in the caller's whole list, exactly
    as the library's ``grade`` numbers it (the server only sees one batch).
    """
    results = response.json()["results"]
    if len(results) != len(samples):
        raise GradeRequestError(
            response.status_code,
            f"the server returned {len(results)} results for {len(samples)} samples",
        )
    grades: list[Grade] = []
    for i, (sample, result) in enumerate(zip(samples, results, strict=True)):
        verdicts = {
            label: Verdict(v["score"], v["status"], v["reason"], v.get("details") or {})
            for label, v in result["verdicts"].items()
        }
        grade_id = result["id"] if _has_id(sample) else offset + i
        grades.append(Grade(grade_id, result["reward"], verdicts, result.get("route")))
    return grades


def _has_id(sample: SampleLike) -> bool:
    if isinstance(sample, Sample):
        return sample.id is not None
    return sample.get("id") is not None


def error_detail(response: httpx.Response) -> str:
    """The server's ``detail`` message, or the raw text."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.text[:500] or response.reason_phrase


def retry_after(response: httpx.Response | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date)."""
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def backoff_delay(attempt: int, base: float, response: httpx.Response | None) -> float:
    """How long to wait before retry number ``attempt`` (0-based): the server's
    Retry-After when given, else exponential backoff with jitter (so many trainers
    that were refused together do not return together)."""
    asked = retry_after(response)
    if asked is not None:
        return asked + random.uniform(0, base)
    step: float = base * 2.0**attempt
    return min(MAX_BACKOFF, step) * random.uniform(0.5, 1.0)


def batches(n: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) pairs covering ``range(n)`` in steps of ``size``."""
    if size < 1:
        raise ValueError(f"batch_size must be >= 1, got {size}")
    return [(start, min(n, start + size)) for start in range(0, n, size)]


def options(timeout: float | None, deadline: float | None, details: bool) -> dict[str, Any]:
    """The ``options`` object of a grade request."""
    out: dict[str, Any] = {"details": details}
    if timeout is not None:
        out["timeout"] = timeout
    if deadline is not None:
        out["deadline"] = deadline
    return out
