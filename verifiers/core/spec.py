"""Reward specs: which verifiers, with which options and weights.

A spec is one of::

    "think_format"                                   # one verifier, weight 1
    ["think_format", "language"]                     # several, weight 1 each
    {"math": 1.0, "think_format": 0.5}               # name -> weight
    {"language": {"weight": 0.2, "target": "zh"}}    # name -> {weight, ...options}
    {"lang_zh": {"verifier": "language", "target": "zh"}}   # a label for a second copy

R1's reward is exactly such a spec: accuracy + format + language consistency. A spec can
also route each sample to one of several such specs by a metadata key, so one dataset can
mix domains: ``{"route": {"field": "data_source", "specs": {...}, "default": ...}}`` (see
``route``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from .base import Verifier
from .errors import SpecError
from .registry import get_verifier

if TYPE_CHECKING:
    from .route import RoutedSpec

SpecLike = Union[str, Sequence[str], Mapping[str, Any], "RewardSpec", "RoutedSpec"]


@dataclass(frozen=True, slots=True)
class SpecEntry:
    """One verifier of a spec: the label its verdict appears under, its weight, and
    the configured verifier."""

    label: str
    weight: float
    verifier: Verifier[Any]


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """A parsed, validated spec. Hashable, so it can key caches."""

    entries: tuple[SpecEntry, ...]

    @property
    def weights(self) -> dict[str, float]:
        """Label -> weight."""
        return {e.label: e.weight for e in self.entries}

    @property
    def labels(self) -> list[str]:
        """Entry labels in spec order."""
        return [e.label for e in self.entries]

    @property
    def names(self) -> dict[str, str]:
        """Label -> the name of its verifier."""
        return {e.label: e.verifier.name for e in self.entries}

    def timeout(self) -> float:
        """The longest default deadline among the spec's verifiers."""
        return max(e.verifier.timeout for e in self.entries)


def parse_spec(spec: SpecLike) -> RewardSpec | RoutedSpec:
    """Validate a spec and build its verifiers: a ``RoutedSpec`` for an object whose only
    key is ``route``, a ``RewardSpec`` for anything else.

    Raises:
        SpecError: a malformed spec, a negative or non-numeric weight, a malformed route.
        UnknownVerifierError: a verifier name that is not installed.
        InvalidConfigError: options a verifier does not accept.
    """
    # Here, not at the top: route builds on this module's RewardSpec.
    from .route import RoutedSpec, parse_route

    if isinstance(spec, RewardSpec | RoutedSpec):
        return spec
    if is_routed(spec):
        assert isinstance(spec, Mapping)
        return parse_route(spec["route"], parse_plain_spec)
    return parse_plain_spec(spec)


def is_routed(spec: object) -> bool:
    """True when a raw spec routes: an object whose only key is ``route``."""
    return isinstance(spec, Mapping) and len(spec) == 1 and "route" in spec


def parse_plain_spec(spec: SpecLike) -> RewardSpec:
    """``parse_spec`` for a spec that does not route (a routed one is a ``SpecError``)."""
    if isinstance(spec, RewardSpec):
        return spec
    if is_routed(spec):
        raise SpecError("a routed spec cannot be used here: this takes one plain spec")
    route = spec.get("route") if isinstance(spec, Mapping) else None
    if isinstance(route, Mapping) and route.keys() & {"field", "specs"}:
        raise SpecError(
            "'route' must be the spec's only key: put verifiers every sample needs "
            "(think_format, ...) into each route's spec and the default"
        )
    if isinstance(spec, str):
        items: list[tuple[str, Any]] = [(spec, 1.0)]
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Sequence) and all(isinstance(s, str) for s in spec):
        items = [(s, 1.0) for s in spec]
    else:
        raise SpecError(
            "a spec is a verifier name, a list of names, or an object mapping names to a "
            f"weight or to {{'weight': w, ...options}}; got {type(spec).__name__}"
        )
    if not items:
        raise SpecError("the spec is empty: name at least one verifier")
    entries: list[SpecEntry] = []
    seen: set[str] = set()
    for label, value in items:
        if not isinstance(label, str) or not label:
            raise SpecError(f"spec keys must be non-empty strings, got {label!r}")
        if label in seen:
            raise SpecError(f"verifier {label!r} appears twice in the spec")
        seen.add(label)
        entries.append(_entry(label, value))
    return RewardSpec(tuple(entries))


def _entry(label: str, value: Any) -> SpecEntry:
    if isinstance(value, Mapping):
        options = dict(value)
        weight = options.pop("weight", 1.0)
        name = options.pop("verifier", label)
        if not isinstance(name, str):
            raise SpecError(f"{label!r}: 'verifier' must be a verifier name, got {name!r}")
    else:
        weight, name, options = value, label, {}
    weight = _weight(label, weight)
    return SpecEntry(label, weight, get_verifier(name).from_options(options))


def _weight(label: str, weight: Any) -> float:
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise SpecError(f"weight of {label!r} must be a number, got {weight!r}")
    if not math.isfinite(weight):
        raise SpecError(f"weight of {label!r} must be finite, got {weight!r}")
    if weight < 0:
        raise SpecError(
            f"weight of {label!r} is negative ({weight}); weights must be >= 0. "
            "Penalties come from the verifier's score (length and repetition score in [-1, 0])."
        )
    return float(weight)


def load_spec(text: str) -> SpecLike:
    """Read a spec given on the command line: a verifier name, inline JSON, or a JSON file.

    Raises:
        SpecError: the text is none of these.
    """
    stripped = text.strip()
    if stripped.startswith(("{", "[", '"')):
        try:
            loaded: SpecLike = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec looks like JSON but does not parse: {exc}") from None
        return loaded
    path = Path(stripped)
    if path.suffix == ".json" or path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(f"spec file {str(path)!r} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(f"spec file {str(path)!r} is not valid JSON: {exc}") from None
        return loaded
    return stripped
