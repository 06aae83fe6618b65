"""The core words: Sample, Verdict, Grade."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Status = Literal["ok", "invalid_input", "no_answer", "timeout", "error"]
"""How a verifier's judgement ended. Only ``ok`` means the score is a real judgement."""

STATUSES: tuple[Status, ...] = get_args(Status)

# A chat message as OpenAI/HF chat templates write it: {"role": ..., "content": ...}.
Message = Mapping[str, Any]
Text = str | list[Message]


def message_text(value: Text, *, roles: tuple[str, ...] | None = None) -> str:
    """Flatten a string or a chat-message list into plain text.

    Messages whose role is not in ``roles`` are skipped (all are kept when ``roles``
    is None). Content given as a list of parts keeps only the ``text`` parts.
    """
    if isinstance(value, str):
        return value
    parts: list[str] = []
    for message in value:
        if roles is not None and message.get("role") not in roles:
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                p["text"]
                for p in content
                if isinstance(p, Mapping) and isinstance(p.get("text"), str)
            )
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Sample:
    """One thing to grade.

    Args:
        completion: the model's output, a string or a list of chat messages.
        prompt: what the model was asked, a string or chat messages.
        reference: verifier-specific gold data (an answer, test cases, ...).
        metadata: anything else; some verifiers read keys from it
            (``language`` reads ``metadata["language"]``).
        id: the caller's identifier, echoed back in the Grade.
    """

    completion: Text
    prompt: Text = ""
    reference: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    id: Any = None

    def __reduce__(self) -> tuple[type[Sample], tuple[Any, ...]]:
        # Samples cross to worker processes by the thousand; rebuilding through the
        # constructor unpickles ~5x faster than the slots dataclass's __setstate__.
        return Sample, (self.completion, self.prompt, self.reference, self.metadata, self.id)

    @property
    def completion_text(self) -> str:
        """The completion as plain text (assistant messages only for chat lists)."""
        if isinstance(self.completion, str):
            return self.completion
        return message_text(self.completion, roles=("assistant",))

    @property
    def prompt_text(self) -> str:
        """The prompt as plain text (all messages for chat lists)."""
        return message_text(self.prompt)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One verifier's judgement of one sample.

    Args:
        score: the reward this verifier gives, usually in [0, 1]; shaping verifiers
            (length, repetition) give penalties in [-1, 0].
        status: ``ok`` when the score is a real judgement, otherwise why not.
        reason: a short human explanation.
        details: verifier-specific facts (what was extracted, which rule decided).
    """

    score: float
    status: Status = "ok"
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[type[Verdict], tuple[Any, ...]]:
        # See Sample.__reduce__: verdicts come back from workers by the thousand.
        return Verdict, (self.score, self.status, self.reason, self.details)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "score": self.score,
            "status": self.status,
            "reason": self.reason,
            "details": dict(self.details),
        }

    @classmethod
    def failed(cls, status: Status, reason: str, **details: Any) -> Verdict:
        """A zero-score verdict for anything that is not a judgement."""
        return cls(0.0, status, reason, details)


@dataclass(frozen=True, slots=True)
class Grade:
    """One sample graded across a reward spec.

    ``reward`` is the weighted sum of the verdict scores; ``verdicts`` maps each spec
    entry's name to its Verdict, in spec order. ``route`` is the name of the route a
    routed spec sent the sample down (None for a plain spec, and for a sample that
    matched no route: its verdicts say why).
    """

    id: Any
    reward: float
    verdicts: Mapping[str, Verdict]
    route: str | None = None

    @property
    def ok(self) -> bool:
        """True when every verdict is a real judgement."""
        return all(v.status == "ok" for v in self.verdicts.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"id", "reward", "verdicts"}``, with ``"route"`` before
        the verdicts when the Grade has one."""
        out: dict[str, Any] = {"id": self.id, "reward": self.reward}
        if self.route is not None:
            out["route"] = self.route
        out["verdicts"] = {name: v.to_dict() for name, v in self.verdicts.items()}
        return out


SAMPLE_FIELDS = frozenset({"id", "prompt", "completion", "reference", "metadata"})
"""The keys of a sample dict; any other key travels in the sample's metadata."""


def coerce_sample(obj: object) -> Sample | str:
    """Turn a Sample or a sample dict into a Sample, or return why it cannot be one.

    A bad item is the model pipeline's problem, not the caller's: it becomes an
    ``invalid_input`` result, so this returns the reason instead of raising. The
    caller prefixes where the item came from ("sample 3", "line 17").
    """
    if isinstance(obj, Sample):
        return (
            _text_problem(obj.completion, "completion")
            or _text_problem(obj.prompt, "prompt")
            or obj
        )
    # Plain dicts (every server and CLI item) skip the slower Mapping ABC check.
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return f"a sample must be an object, got {type(obj).__name__}"
    completion = obj.get("completion", _MISSING)
    if completion is _MISSING:
        return "no 'completion' field"
    prompt = obj.get("prompt")
    if prompt is None:
        prompt = ""
    if type(completion) is not str:
        problem = _text_problem(completion, "completion")
        if problem:
            return problem
    if type(prompt) is not str:
        problem = _text_problem(prompt, "prompt")
        if problem:
            return problem
    metadata = obj.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, Mapping):
        return f"'metadata' must be an object, got {type(metadata).__name__}"
    extra = obj.keys() - SAMPLE_FIELDS
    if extra:
        # Extra columns (as in TRL datasets) travel in metadata rather than being lost.
        metadata = {**{k: obj[k] for k in sorted(extra)}, **metadata}
    return Sample(completion, prompt, obj.get("reference"), metadata, obj.get("id"))


_MISSING = object()


def metadata_value(obj: object, key: str, missing: Any = None) -> Any:
    """What ``coerce_sample(obj).metadata[key]`` would hold, without building the Sample
    (``missing`` when it would hold nothing): a routed spec reads one key of every raw item
    on the caller's thread, where building Samples would cost far more.

    Same rule as ``coerce_sample``: ``metadata[key]`` first, then a top-level column of
    that name that is not one of the sample fields (``SAMPLE_FIELDS``).
    """
    if isinstance(obj, Sample):
        metadata: Any = obj.metadata
        return metadata.get(key, missing) if isinstance(metadata, Mapping) else missing
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return missing
    metadata = obj.get("metadata")
    if isinstance(metadata, Mapping) and key in metadata:
        return metadata[key]
    if key not in SAMPLE_FIELDS and key in obj:
        return obj[key]
    return missing


def size_problem(sample: Sample, max_chars: int) -> str | None:
    """Why a sample is too large to grade, or None."""
    size = len(sample.completion_text)
    if size > max_chars:
        return (
            f"completion has {size:,} characters, over the limit of {max_chars:,} "
            "(raise max_chars to grade it)"
        )
    return None


def _text_problem(value: object, name: str) -> str | None:
    if isinstance(value, str):
        return None
    if isinstance(value, list) and all(isinstance(m, Mapping) for m in value):
        return None
    return f"'{name}' must be a string or a list of chat messages, got {type(value).__name__}"


def weighted_reward(weights: Mapping[str, float], verdicts: Mapping[str, Verdict]) -> float:
    """The weighted sum of scores; a non-finite score counts as 0 so one bad verifier
    cannot turn a whole batch's rewards into NaN."""
    total = 0.0
    for name, verdict in verdicts.items():
        score = verdict.score if math.isfinite(verdict.score) else 0.0
        total += weights[name] * score
    return total
