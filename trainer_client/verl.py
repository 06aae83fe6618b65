"""verl reward functions backed by a verigrade server (verl 0.9.x; see docs/server.md).

verl 0.9's reward loop awaits ``compute_score(data_source, solution_str, ground_truth,
extra_info)`` once per sample, a whole chunk of samples at once. ``compute_score`` here is
that coroutine: concurrent calls are gathered into one batch (for up to
``VERIGRADE_BATCH_WINDOW`` seconds, default 0.05) and graded in few HTTP requests::

    export VERIGRADE_URL=http://127.0.0.1:8000
    export VERIGRADE_SPEC='{"math": 1.0, "think_format": 0.1}'
    python -m verl.trainer.main_ppo ... \\
        reward.custom_reward_function.path=pkg://verigrade.trainer_client.verl \\
        reward.custom_reward_function.name=compute_score

Each result is a dict with the same keys for every sample: ``score`` (the weighted
reward), ``ok`` (1.0 when every verifier judged) and one score per label of the spec (a
label a routed sample's spec lacks scores 0.0), which verl logs as reward extras. The
sample's ``metadata`` is verl's ``extra_info`` plus ``data_source`` (what a routed spec
``{"route": {"field": "data_source", ...}}`` picks by), made JSON-safe (numpy values
become numbers and lists).

For verl's older managers: ``compute_score_sync`` (per sample, blocking) and
``compute_score_batch`` (the list-taking function of the legacy ``batch`` manager).
``VERIGRADE_URL`` may list several servers, comma-separated (least outstanding first).

Inside verl's own Ray cluster there is no need for a server: set ``VERIGRADE_RAY=auto`` (or
a cluster address) instead of ``VERIGRADE_URL`` and the same functions grade through a
``RayGrader`` on that cluster (one actor per node, no HTTP hop; needs ``verigrade[ray]``).
verl's reward code runs in a process already connected to Ray, and RayGrader uses it.

Only absolute imports: verl may load this file by path, outside its package.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from verigrade.trainer_client._wire import SpecJSON
from verigrade.trainer_client.batcher import GradeBatcher
from verigrade.trainer_client.client import AsyncGradeClient, GradeClient
from verigrade.verifiers import Grade

ScoreFn = Callable[..., dict[str, float]]
AsyncScoreFn = Callable[..., Awaitable[dict[str, float]]]

DEFAULT_WINDOW = 0.05
"""Seconds a ``compute_score`` call waits for others to share its request."""


def spec_labels(spec: SpecJSON) -> list[str]:
    """The labels a spec's Grades carry, each once: a routed spec's are those of every
    route and the default, so every sample of a batch can report the same keys."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, Mapping):
        route = spec.get("route")
        if len(spec) == 1 and isinstance(route, Mapping):
            specs = route.get("specs")
            parts = list(specs.values()) if isinstance(specs, Mapping) else []
            if route.get("default") is not None:
                parts.append(route["default"])
            labels: dict[str, None] = {}
            for part in parts:
                labels.update(dict.fromkeys(spec_labels(part)))
            return list(labels)
        return [str(label) for label in spec]
    return [str(name) for name in spec]


def plain(value: Any) -> Any:
    """``value`` as JSON: numpy scalars and arrays (verl's ``__num_turns__``, parquet
    lists) and tensors become numbers and lists, tuples and sets lists, bytes text;
    anything else unknown its ``str``, so the sample is still graded."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    tolist = getattr(value, "tolist", None)  # numpy (scalars too) and torch
    if callable(tolist):
        return plain(tolist())
    return str(value)


def verl_sample(solution: str, truth: Any, source: Any, extra: Any) -> dict[str, Any]:
    """The verigrade sample for one verl call; ``data_source`` wins over an ``extra_info``
    key of the same name, as it is what routed specs pick by."""
    metadata: dict[str, Any] = dict(plain(extra)) if isinstance(extra, Mapping) else {}
    metadata["data_source"] = plain(source)
    return {"completion": solution, "reference": plain(truth), "metadata": metadata}


def verl_result(grade: Grade, labels: Sequence[str]) -> dict[str, float]:
    """verl's result dict: the same keys whatever the sample's route."""
    out = {"score": grade.reward, "ok": float(grade.ok)}
    for label in labels:
        verdict = grade.verdicts.get(label)
        out[label] = verdict.score if verdict is not None else 0.0
    return out


def make_async_compute_score(
    base_url: str,
    spec: SpecJSON,
    *,
    api_key: str | None = None,
    client: AsyncGradeClient | None = None,
    window: float = DEFAULT_WINDOW,
    max_batch: int = 1024,
) -> AsyncScoreFn:
    """verl 0.9's ``async def compute_score``, bound to a server and a spec; concurrent
    calls share requests (see ``GradeBatcher``). Use it on one event loop; close a
    ``client`` you pass in yourself."""
    batcher = GradeBatcher(
        client or AsyncGradeClient(base_url, api_key=api_key),
        spec,
        window=window,
        max_batch=max_batch,
    )
    labels = spec_labels(spec)

    async def compute_score(
        data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
    ) -> dict[str, float]:
        sample = verl_sample(solution_str, ground_truth, data_source, extra_info)
        return verl_result(await batcher.grade(sample), labels)

    return compute_score


def make_compute_score(
    base_url: str,
    spec: SpecJSON,
    *,
    api_key: str | None = None,
    client: GradeClient | DirectClient | None = None,
) -> ScoreFn:
    """A blocking per-sample ``compute_score`` (one request per call), for verl's
    older per-sample managers."""
    grader = client or GradeClient(base_url, api_key=api_key)
    labels = spec_labels(spec)

    def compute_score(
        data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
    ) -> dict[str, float]:
        sample = verl_sample(solution_str, ground_truth, data_source, extra_info)
        return verl_result(grader.grade([sample], spec, details=False)[0], labels)

    return compute_score


def make_compute_score_batch(
    base_url: str,
    spec: SpecJSON,
    *,
    api_key: str | None = None,
    client: GradeClient | DirectClient | None = None,
    grader: Any = None,
) -> Callable[..., list[dict[str, float]]]:
    """A list-taking ``compute_score`` for verl's legacy ``batch`` reward manager.

    ``grader``: a ``Grader`` or ``RayGrader`` to grade with directly instead of a server.
    """
    direct = DirectClient(grader) if grader is not None else None
    grader = direct or client or GradeClient(base_url, api_key=api_key)
    labels = spec_labels(spec)

    def compute_score_batch(
        data_sources: Sequence[Any],
        solution_strs: Sequence[str],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any] | None = None,
        **_: Any,
    ) -> list[dict[str, float]]:
        extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
        samples = [
            verl_sample(s, t, d, e)
            for d, s, t, e in zip(data_sources, solution_strs, ground_truths, extras, strict=True)
        ]
        return [verl_result(g, labels) for g in grader.grade(samples, spec, details=False)]

    return compute_score_batch


class DirectClient:
    """A ``Grader`` or ``RayGrader`` behind the client surface the hooks use (``grade``
    and its async twin), so the same hooks grade without a server."""

    def __init__(self, grader: Any) -> None:
        self.grader = grader

    def grade(self, samples: Sequence[Any], spec: SpecJSON, **_: Any) -> list[Grade]:
        return list(self.grader.grade(samples, spec))

    async def agrade(self, samples: Sequence[Any], spec: SpecJSON, **_: Any) -> list[Grade]:
        return list(await self.grader.grade_async(samples, spec))

    def close(self) -> None:
        self.grader.close()


class _AsyncDirect:
    """``DirectClient`` as the batcher's async client (its ``grade`` is awaited)."""

    def __init__(self, direct: DirectClient) -> None:
        self.direct = direct

    async def grade(self, samples: Sequence[Any], spec: SpecJSON, **_: Any) -> list[Grade]:
        return await self.direct.agrade(samples, spec)

    async def aclose(self) -> None:  # the RayGrader outlives event loops: close() ends it
        return None


# -- the environment-configured functions verl's config points at ----------------

_lock = threading.Lock()
_client: GradeClient | DirectClient | None = None
_ray: DirectClient | None = None
# One batcher per event loop: an async HTTP client belongs to the loop it first ran on.
_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GradeBatcher] = (
    weakref.WeakKeyDictionary()
)


def _env() -> tuple[list[str], SpecJSON]:
    """The server URLs (none when VERIGRADE_RAY is set) and the spec."""
    from verigrade.verifiers import load_spec

    url = os.environ.get("VERIGRADE_URL")
    spec_text = os.environ.get("VERIGRADE_SPEC")
    if not (url or os.environ.get("VERIGRADE_RAY")) or not spec_text:
        raise RuntimeError(
            "set VERIGRADE_URL (e.g. http://127.0.0.1:8000) or VERIGRADE_RAY (auto or a Ray "
            "address), and VERIGRADE_SPEC (a verifier name or JSON spec) for "
            "verigrade.trainer_client.verl.compute_score"
        )
    spec = load_spec(spec_text)
    if not isinstance(spec, str | list | dict):
        raise RuntimeError(f"VERIGRADE_SPEC must be a name or JSON, got {spec_text!r}")
    if os.environ.get("VERIGRADE_RAY"):
        return [], spec
    return [u.strip() for u in (url or "").split(",") if u.strip()], spec


def _env_ray() -> DirectClient:
    """The process's RayGrader on VERIGRADE_RAY, started on first use."""
    global _ray
    with _lock:
        if _ray is None:
            from verigrade.verifiers.ray import RayGrader  # only when asked for

            _ray = DirectClient(RayGrader(os.environ["VERIGRADE_RAY"]))
        return _ray


def _env_client() -> tuple[GradeClient | DirectClient, SpecJSON]:
    global _client
    urls, spec = _env()
    if not urls:
        return _env_ray(), spec
    with _lock:
        if _client is None:
            _client = GradeClient(urls, api_key=os.environ.get("VERIGRADE_API_KEY"))
        return _client, spec


def _env_batcher() -> GradeBatcher:
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        urls, spec = _env()
        text = os.environ.get("VERIGRADE_BATCH_WINDOW", str(DEFAULT_WINDOW))
        try:
            window = float(text)
        except ValueError:
            raise RuntimeError(
                f"VERIGRADE_BATCH_WINDOW must be seconds (e.g. 0.05), got {text!r}"
            ) from None
        client: Any = (
            AsyncGradeClient(urls, api_key=os.environ.get("VERIGRADE_API_KEY"))
            if urls
            else _AsyncDirect(_env_ray())
        )
        batcher = _batchers[loop] = GradeBatcher(client, spec, window=window)
    return batcher


def close() -> None:
    """Close the environment-configured blocking client and RayGrader (reopened on the
    next call)."""
    global _client, _ray
    with _lock:
        client, _client = _client, None
        ray_client, _ray = _ray, None
    for each in (client, ray_client):
        if each is not None:
            each.close()


async def aclose() -> None:
    """Finish and close this event loop's ``compute_score`` batcher (reopened on the
    next call)."""
    batcher = _batchers.pop(asyncio.get_running_loop(), None)
    if batcher is not None:
        await batcher.aclose()


atexit.register(close)


async def compute_score(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
) -> dict[str, float]:
    """verl 0.9's reward hook (awaited per sample, batched into few requests),
    configured by VERIGRADE_URL, VERIGRADE_SPEC and optionally VERIGRADE_API_KEY and
    VERIGRADE_BATCH_WINDOW."""
    batcher = _env_batcher()
    sample = verl_sample(solution_str, ground_truth, data_source, extra_info)
    return verl_result(await batcher.grade(sample), spec_labels(batcher.spec))


def compute_score_sync(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **_: Any
) -> dict[str, float]:
    """The blocking per-sample hook for verl's older managers (one request per call)."""
    client, spec = _env_client()
    return make_compute_score("", spec, client=client)(
        data_source, solution_str, ground_truth, extra_info
    )


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **_: Any,
) -> list[dict[str, float]]:
    """The legacy ``batch`` manager's hook: one request per batch."""
    client, spec = _env_client()
    return make_compute_score_batch("", spec, client=client)(
        data_sources, solution_strs, ground_truths, extra_infos
    )
