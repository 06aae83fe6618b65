"""verl ``compute_score`` functions backed by a verigrade server.

verl calls ``compute_score(data_source, solution_str, ground_truth, extra_info=None)``
per sample (and its batch reward manager a list-taking variant). Point verl at this
module and configure the server through the environment::

    export VERIGRADE_URL=http://127.0.0.1:8000
    export VERIGRADE_SPEC='{"math": 1.0, "think_format": 0.1}'
    python -m verl.trainer.main_ppo ... \\
        custom_reward_function.path=$(python -c "import verigrade.trainer_client.verl as m; print(m.__file__)") \\
        custom_reward_function.name=compute_score

The result is a dict: ``score`` (the weighted reward) plus each verifier's score and
``ok`` (1.0 when every verifier judged), which verl logs as reward extra info.
For verl's batch reward manager use ``custom_reward_function.name=compute_score_batch``:
one HTTP request per batch instead of one per sample.

Inside verl's own Ray cluster there is no need for a server: set ``VERIGRADE_RAY=auto``
(or a cluster address) instead of ``VERIGRADE_URL`` and the same functions grade through
a ``RayGrader`` on that cluster (one actor per node, no HTTP hop; needs ``verigrade[ray]``).
verl's reward code runs in a process already connected to Ray, and RayGrader uses that
connection.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from verigrade.verifiers import Grade

from ._wire import SpecJSON
from .client import GradeClient

ScoreFn = Callable[..., dict[str, float]]
GradeFn = Callable[[list[dict[str, Any]], SpecJSON], list[Grade]]
"""How a batch gets graded: over HTTP (a GradeClient) or on Ray (a RayGrader)."""


def _sample(solution: str, truth: Any, source: Any, extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"data_source": source}
    if isinstance(extra, dict):
        metadata.update(extra)
    return {"completion": solution, "reference": truth, "metadata": metadata}


def _result(grade: Grade) -> dict[str, float]:
    out = {"score": grade.reward, "ok": float(grade.ok)}
    for label, verdict in grade.verdicts.items():
        out[label] = verdict.score
    return out


def make_compute_score(
    base_url: str, spec: SpecJSON, *, api_key: str | None = None, client: GradeClient | None = None
) -> ScoreFn:
    """A per-sample ``compute_score`` for verl bound to a server and a spec."""
    grader = client or GradeClient(base_url, api_key=api_key)

    def compute_score(
        data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
    ) -> dict[str, float]:
        sample = _sample(solution_str, ground_truth, data_source, extra_info)
        return _result(grader.grade([sample], spec, details=False)[0])

    return compute_score


def make_compute_score_batch(
    base_url: str,
    spec: SpecJSON,
    *,
    api_key: str | None = None,
    client: GradeClient | None = None,
    grader: Any = None,
) -> Callable[..., list[dict[str, float]]]:
    """A list-taking ``compute_score`` for verl's batch reward manager.

    ``grader``: a ``Grader`` or ``RayGrader`` to grade with directly instead of a server.
    """
    grade_batch = (
        _grade_fn(grader)
        if grader is not None
        else _client_fn(client or GradeClient(base_url, api_key=api_key))
    )

    def compute_score_batch(
        data_sources: Sequence[Any],
        solution_strs: Sequence[str],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any] | None = None,
        **_: Any,
    ) -> list[dict[str, float]]:
        extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
        samples = [
            _sample(s, t, d, e)
            for d, s, t, e in zip(data_sources, solution_strs, ground_truths, extras, strict=True)
        ]
        return [_result(g) for g in grade_batch(samples, spec)]

    return compute_score_batch


def _client_fn(client: GradeClient) -> GradeFn:
    return lambda samples, spec: client.grade(samples, spec, details=False)


def _grade_fn(grader: Any) -> GradeFn:
    return lambda samples, spec: list(grader.grade(samples, spec))


# -- the environment-configured functions verl's config points at ----------------

_lock = threading.Lock()
_client: GradeClient | None = None
_ray_grader: Any = None


def _env_grader() -> tuple[GradeFn, SpecJSON]:
    """How to grade, from VERIGRADE_RAY (a RayGrader) or VERIGRADE_URL (a GradeClient,
    several comma-separated URLs allowed), and the spec from VERIGRADE_SPEC."""
    global _client, _ray_grader
    from verigrade.verifiers import load_spec

    url = os.environ.get("VERIGRADE_URL")
    ray_address = os.environ.get("VERIGRADE_RAY")
    spec_text = os.environ.get("VERIGRADE_SPEC")
    if not (url or ray_address) or not spec_text:
        raise RuntimeError(
            "set VERIGRADE_URL (e.g. http://127.0.0.1:8000) or VERIGRADE_RAY (auto or a Ray "
            "address), and VERIGRADE_SPEC (a verifier name or JSON spec) for "
            "verigrade.trainer_client.verl.compute_score"
        )
    with _lock:
        spec = load_spec(spec_text)
        if ray_address:
            if _ray_grader is None:
                from verigrade.verifiers.ray import RayGrader  # only when asked for

                _ray_grader = RayGrader(ray_address)
            fn = _grade_fn(_ray_grader)
        else:
            if _client is None:
                urls = [u.strip() for u in (url or "").split(",") if u.strip()]
                _client = GradeClient(urls, api_key=os.environ.get("VERIGRADE_API_KEY"))
            fn = _client_fn(_client)
    if not isinstance(spec, str | list | dict):
        raise RuntimeError(f"VERIGRADE_SPEC must be a name or JSON, got {spec_text!r}")
    return fn, spec


def close() -> None:
    """Close the environment-configured client or RayGrader (reopened on the next call)."""
    global _client, _ray_grader
    with _lock:
        client, _client = _client, None
        ray_grader, _ray_grader = _ray_grader, None
    if client is not None:
        client.close()
    if ray_grader is not None:
        ray_grader.close()


atexit.register(close)


def compute_score(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
) -> dict[str, float]:
    """verl's per-sample hook, configured by VERIGRADE_URL or VERIGRADE_RAY, and
    VERIGRADE_SPEC."""
    grade_batch, spec = _env_grader()
    sample = _sample(solution_str, ground_truth, data_source, extra_info)
    return _result(grade_batch([sample], spec)[0])


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **_: Any,
) -> list[dict[str, float]]:
    """verl's batch hook, configured by VERIGRADE_URL or VERIGRADE_RAY, and
    VERIGRADE_SPEC."""
    grade_batch, spec = _env_grader()
    extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    samples = [
        _sample(s, t, d, e)
        for d, s, t, e in zip(data_sources, solution_strs, ground_truths, extras, strict=True)
    ]
    return [_result(g) for g in grade_batch(samples, spec)]
