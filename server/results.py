"""Grades to response bytes, counting verdict statuses on the way.

Two paths build the same JSON. ``grades_to_dicts`` + ``dumps`` turn Grade objects into a
body in the server process. ``ResultJson`` is the fast path of ``/v1/grade``: the grading
workers run it on each sample they finish (``Grader.submit_finished``), so serialising
the results is spread over the workers instead of queueing on the server's one busy
thread, which then only splices the pieces together (``results_body``).
orjson serialises ~3x faster than json.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from verigrade.verifiers import Grade, ParsedSpec, RewardSpec, Verdict

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
        result = {"id": grade.id, "reward": reward if isfinite(reward) else 0.0}
        if grade.route is not None:
            result["route"] = grade.route
        result["verdicts"] = verdicts
        append(result)
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


@dataclass(frozen=True)
class ResultJson:
    """One sample's result as JSON, less its id: ``"reward":…,"verdicts":{…}}``.

    A finisher for ``Grader.submit_finished``: picklable, and light to import in a worker
    (this module pulls in no web framework). Returns the bytes and the verdict statuses in
    spec order, for the server's metrics.

    For a routed spec it is a ``RouteFinisher``: ``for_spec`` builds one over every label of
    every route, and ``for_route`` the one of each route, which writes ``"route"`` and
    returns its statuses over all the labels ("" for a label its route does not have), so
    ``results_body`` counts every row against the same labels.
    """

    labels: tuple[str, ...]
    weights: Mapping[str, float]
    details: bool
    route: str | None = None
    #: The labels statuses come back over, when they differ from ``labels`` (a route's).
    counted: tuple[str, ...] | None = None

    @classmethod
    def for_spec(cls, spec: ParsedSpec, details: bool) -> ResultJson:
        """The finisher of a spec; for a routed spec, the one of a sample that matched no
        route (``RoutedSpec.unrouted``), whose ``for_route`` gives each route's."""
        plain = spec if isinstance(spec, RewardSpec) else spec.unrouted
        return cls(tuple(plain.labels), plain.weights, details)

    def for_route(self, route: str | None, spec: RewardSpec) -> ResultJson:
        """The finisher of one route of the routed spec this one was made ``for_spec``."""
        return ResultJson(tuple(spec.labels), spec.weights, self.details, route, self.labels)

    def __call__(self, verdicts: list[Verdict]) -> tuple[bytes, tuple[str, ...]]:
        # One flat pass (this runs per sample in every worker): the reward as
        # weighted_reward computes it, and the verdict dicts as grades_to_dicts builds them.
        isfinite = math.isfinite
        weights, details = self.weights, self.details
        reward = 0.0
        out: dict[str, Any] = {}
        for label, verdict in zip(self.labels, verdicts, strict=True):
            score = verdict.score
            if not isfinite(score):
                score = 0.0
            reward += weights[label] * score
            out[label] = {
                "score": score,
                "status": verdict.status,
                "reason": verdict.reason,
                "details": verdict.details if details else {},
            }
        payload: dict[str, Any] = {"reward": reward if isfinite(reward) else 0.0}
        if self.route is not None:
            payload["route"] = self.route
        payload["verdicts"] = out
        try:
            body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:  # details orjson cannot take natively: the slow path
            body = dumps(payload)
        statuses: tuple[str, ...] = tuple(verdict.status for verdict in verdicts)
        if self.counted is not None:
            by_label: dict[str, str] = dict(zip(self.labels, statuses, strict=True))
            statuses = tuple(by_label.get(label, "") for label in self.counted)
        return body[1:], statuses


def results_body(
    rows: Sequence[tuple[Any, tuple[bytes, tuple[str, ...]]]],
    labels: Sequence[str],
    counts: dict[tuple[str, str], int],
) -> bytes:
    """``{"results": [...]}`` spliced from ``(id, ResultJson output)`` pairs; tallies the
    (label, status) counts (a status "" is a label the row's route does not have)."""
    parts = []
    for sample_id, (rest, statuses) in rows:
        for key in zip(labels, statuses, strict=True):
            if key[1]:
                counts[key] = counts.get(key, 0) + 1
        if type(sample_id) is int:  # the common ids, without a serialiser call each
            encoded = str(sample_id).encode()
        elif type(sample_id) is str and sample_id.isascii() and sample_id.isalnum():
            encoded = b'"' + sample_id.encode() + b'"'
        else:
            encoded = dumps(sample_id)
        parts.append(b'{"id":' + encoded + b"," + rest)
    return b'{"results":[' + b",".join(parts) + b"]}"
