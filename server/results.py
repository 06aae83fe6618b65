"""Grades to response bytes, counting verdict statuses on the way.

One pass over the results builds the JSON-ready dicts and the per-verifier status
counts for ``/metrics``; orjson then serialises the lot (~3x faster than json).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import orjson
from verigrade.verifiers import Grade

from .metrics import Metrics


def _default(value: object) -> Any:
    # Verifier details may hold anything picklable (a sympy object, a set): show it.
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def grades_to_dicts(
    grades: Sequence[Grade], *, details: bool, counts: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    """JSON-ready ``{"id", "reward", "verdicts"}`` dicts; tallies (label, status) in counts.

    A non-finite score or reward becomes 0.0: JSON has no NaN, orjson would write null,
    and a null reward breaks trainers. (The loop is flat on purpose: it runs per verdict
    on the server's busiest thread.)
    """
    isfinite = math.isfinite
    out: list[dict[str, Any]] = []
    append = out.append
    for grade in grades:
        verdicts: dict[str, Any] = {}
        for label, verdict in grade.verdicts.items():
            key = (label, verdict.status)
            counts[key] = counts.get(key, 0) + 1
            score = verdict.score
            verdicts[label] = {
                "score": score if isfinite(score) else 0.0,
                "status": verdict.status,
                "reason": verdict.reason,
                "details": verdict.details if details else {},
            }
        reward = grade.reward
        append(
            {"id": grade.id, "reward": reward if isfinite(reward) else 0.0, "verdicts": verdicts}
        )
    return out


def record_counts(
    metrics: Metrics, counts: dict[tuple[str, str], int], names: dict[str, str]
) -> None:
    """Add tallied verdict statuses to the metrics, by verifier name (``names`` maps a
    spec label to its verifier: labels are caller-chosen, names are a fixed set)."""
    for (label, status), n in counts.items():
        metrics.verdicts.inc((("status", status), ("verifier", names[label])), n)


def dumps(payload: Any) -> bytes:
    """Serialise a response body."""
    try:
        return orjson.dumps(payload, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        # Lone surrogates from model output (see body.py), or keys orjson will not take:
        # the standard library escapes what it cannot encode.
        return json.dumps(payload, default=_default, allow_nan=False).encode()
