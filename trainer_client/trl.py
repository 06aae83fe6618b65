"""TRL reward functions backed by a verigrade server.

TRL's ``GRPOTrainer`` calls each reward function as
``f(prompts, completions, **dataset_columns) -> list[float | None]`` (async
functions are allowed too) and logs it under ``f.__name__``::

    from trl import GRPOConfig, GRPOTrainer
    from verigrade.trainer_client.trl import reward_function

    accuracy = reward_function("http://127.0.0.1:8000", "math", reference_column="answer")
    fmt = reward_function("http://127.0.0.1:8000", "think_format")
    trainer = GRPOTrainer(model=..., reward_funcs=[accuracy, fmt], args=GRPOConfig(...),
                          train_dataset=dataset)   # dataset has "prompt" and "answer"

Plain and conversational datasets both work: completions may be strings or lists
of chat messages. Other dataset columns travel as sample metadata (the language
verifier reads ``language`` from there).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from verigrade.verifiers import Grade

from ._wire import SpecJSON
from .client import AsyncGradeClient, GradeClient

RewardFn = Callable[..., list[float | None]]
AsyncRewardFn = Callable[..., Awaitable[list[float | None]]]

# Keyword arguments TRL adds that are not dataset columns.
_NOT_COLUMNS = frozenset({"completion_ids", "trainer_state", "log_extra", "log_metric"})


def _spec_name(spec: SpecJSON) -> str:
    if isinstance(spec, str):
        return spec
    return "_".join(str(name) for name in (spec if not isinstance(spec, dict) else spec.keys()))


def _samples(
    prompts: Sequence[Any] | None,
    completions: Sequence[Any],
    columns: dict[str, Any],
    reference_column: str | None,
) -> list[dict[str, Any]]:
    n = len(completions)
    references = columns.get(reference_column) if reference_column else None
    extra: dict[str, list[Any]] = {}
    for name, values in columns.items():
        if name in _NOT_COLUMNS or name == reference_column:
            continue
        if not isinstance(values, list) or len(values) != n:
            continue
        try:
            json.dumps(values)
        except (TypeError, ValueError):
            continue  # e.g. image columns: nothing a text verifier could use
        extra[name] = values
    return [
        {
            "prompt": prompts[i] if prompts is not None else "",
            "completion": completions[i],
            "reference": references[i] if references is not None else None,
            "metadata": {name: values[i] for name, values in extra.items()},
        }
        for i in range(n)
    ]


def _rewards(grades: list[Grade], none_on_failure: bool) -> list[float | None]:
    return [g.reward if g.ok or not none_on_failure else None for g in grades]


def reward_function(
    base_url: str,
    spec: SpecJSON,
    *,
    reference_column: str | None = "reference",
    api_key: str | None = None,
    none_on_failure: bool = False,
    name: str | None = None,
    client: GradeClient | None = None,
) -> RewardFn:
    """A TRL reward function that grades on the server.

    Args:
        base_url: the server, e.g. ``http://127.0.0.1:8000``.
        spec: the reward spec (name, list or dict).
        reference_column: the dataset column holding the gold answer.
        api_key: the server's API key, if it has one.
        none_on_failure: return None (TRL: "no reward for this sample") instead of
            0.0 when a verifier could not judge (timeout, invalid input, error).
        name: what TRL logs the reward as (default ``verigrade_<spec names>``).
        client: a configured GradeClient to reuse.
    """
    grader = client or GradeClient(base_url, api_key=api_key)

    def reward(
        prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        samples = _samples(prompts, completions, columns, reference_column)
        return _rewards(grader.grade(samples, spec, details=False), none_on_failure)

    reward.__name__ = name or f"verigrade_{_spec_name(spec)}"
    return reward


def async_reward_function(
    base_url: str,
    spec: SpecJSON,
    *,
    reference_column: str | None = "reference",
    api_key: str | None = None,
    none_on_failure: bool = False,
    name: str | None = None,
    client: AsyncGradeClient | None = None,
) -> AsyncRewardFn:
    """``reward_function`` as a coroutine function, for TRL versions that await
    async reward functions (several reward servers are then queried concurrently)."""
    grader = client or AsyncGradeClient(base_url, api_key=api_key)

    async def reward(
        prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        samples = _samples(prompts, completions, columns, reference_column)
        grades = await grader.grade(samples, spec, details=False)
        return _rewards(grades, none_on_failure)

    reward.__name__ = name or f"verigrade_{_spec_name(spec)}"
    return reward
