"""Routed specs: one dataset, several domains, each sample graded by its own sub-spec.

A routed spec picks a sample's spec by one key of its metadata (verl's ``data_source``)::

    {"route": {"field": "data_source",
               "specs": {"openai/gsm8k": {"math": 1.0, "think_format": 0.1},
                         "codecontests": {"code": 1.0, "think_format": 0.1}},
               "default": {"think_format": 1.0}}}

Rules, chosen to stay unambiguous:

- ``field`` is one key of ``sample.metadata``, taken literally (a dot is part of the key,
  never a path). A sample dict's extra top-level columns travel in its metadata, so a verl
  row's top-level ``data_source`` routes too.
- The value must be a string equal to a key of ``specs``. A sample whose value is missing,
  not a string or unknown goes to ``default``; without a default it gets one Grade whose
  verdicts are all ``invalid_input``, with a reason naming the field, the value and the routes.
- Each route's spec is a plain spec (a name, a list, an object). Routes do not nest: one
  field decides, so a Grade's ``route`` is one name a user can count by; two keys can be
  joined into one value upstream.
- A label names the same verifier in every route (weights and options may differ), so a
  label's column in logs and metrics means one thing across domains.
- The route of the default spec is called ``default``; a ``specs`` key of that name is
  refused when a default spec is given, as the two could not be told apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .model import metadata_value
from .spec import RewardSpec, SpecEntry, is_routed

DEFAULT_ROUTE = "default"
"""The route name of a routed spec's ``default`` spec."""

ROUTE_KEYS = frozenset({"field", "specs", "default"})

MAX_ROUTES = 1024
"""Most routes a spec may have. A server parses each request's spec on its request thread
(~35 ms for 1,024 routes of two verifiers, ~0.4 s for 10,000), so a spec must not be able to
stall it; real mixes have tens of sources."""

_MISSING = object()


@dataclass(frozen=True, slots=True)
class RoutedSpec:
    """A parsed, validated routed spec. Hashable, like ``RewardSpec``.

    Args:
        field: the metadata key whose value names the route.
        routes: ``(route name, spec)`` pairs, in the order given.
        default: the spec for samples that match no route, if any.
    """

    field: str
    routes: tuple[tuple[str, RewardSpec], ...]
    default: RewardSpec | None = None
    _by_name: Mapping[str, RewardSpec] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", dict(self.parts))

    @property
    def parts(self) -> list[tuple[str, RewardSpec]]:
        """Every route and its spec, the default last (as ``"default"``)."""
        if self.default is None:
            return list(self.routes)
        return [*self.routes, (DEFAULT_ROUTE, self.default)]

    @property
    def labels(self) -> list[str]:
        """Every label of every route, each once, in first-seen order (routes in spec
        order, the default last): the stable column set for loggers that need the same
        keys on every sample (verl's reward extras)."""
        return list(self.names)

    @property
    def names(self) -> dict[str, str]:
        """Label -> verifier name, over every route (a label is one verifier everywhere)."""
        out: dict[str, str] = {}
        for _, spec in self.parts:
            for entry in spec.entries:
                out.setdefault(entry.label, entry.verifier.name)
        return out

    @property
    def unrouted(self) -> RewardSpec:
        """The spec a sample that matched no route is reported against: one entry per
        label (see ``labels``), so its Grade has the same keys as every other."""
        entries: dict[str, SpecEntry] = {}
        for _, spec in self.parts:
            for entry in spec.entries:
                entries.setdefault(entry.label, entry)
        return RewardSpec(tuple(entries.values()))

    def spec_of(self, route: str) -> RewardSpec:
        """The spec of a route name (``"default"`` for the default spec)."""
        return self._by_name[route]

    def choose(self, item: object) -> str | None:
        """The route of a sample (a Sample or a sample dict), or None when it has none.

        Cheap on purpose: it runs on the caller's thread for every item of a batch.
        """
        value = metadata_value(item, self.field)
        if isinstance(value, str):
            try:
                if value in self._by_name:
                    # A str subclass (numpy.str_ from a dataframe) comes back as plain str.
                    return value if type(value) is str else str.__str__(value)
            except Exception:  # a str subclass that cannot hash: no route, not a crash
                pass
        return DEFAULT_ROUTE if self.default is not None else None

    def unrouted_reason(self, item: object) -> str:
        """Why ``choose(item)`` found no route, naming the field, the value and the routes."""
        value = metadata_value(item, self.field, _MISSING)
        where = f"metadata[{self.field!r}]"
        if value is _MISSING:
            seen = f"the sample has no {where} to route by"
        elif not isinstance(value, str):
            seen = f"{where} is {_show(value)} ({type(value).__name__}), not a string"
        else:
            seen = f"{where} is {_show(value)}, which names no route"
        known = ", ".join(repr(name) for name, _ in self.routes)
        return f"{seen}; routes: {known}; the spec has no default"

    def timeout(self) -> float:
        """The longest default deadline among every route's verifiers."""
        return max(spec.timeout() for _, spec in self.parts)


def _show(value: object) -> str:
    # Model pipelines put anything in metadata: keep the reason one short line.
    try:
        text = repr(value)
    except Exception:  # an in-process caller's odd object: the reason still gets written
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


def parse_route(value: Any, parse_plain: Callable[[Any], RewardSpec]) -> RoutedSpec:
    """Validate the value of a spec's ``route`` key; ``parse_plain`` parses each route's spec.

    Raises:
        SpecError: a malformed route, a nested one, a label naming two verifiers.
        UnknownVerifierError, InvalidConfigError: from a route's spec, the message naming
            the route.
    """
    if not isinstance(value, Mapping):
        raise SpecError(
            "'route' must be an object with 'field' (a metadata key), 'specs' (each value of "
            f"that key -> its spec) and optionally 'default'; got {type(value).__name__}"
        )
    unknown = sorted(str(k) for k in value.keys() - ROUTE_KEYS)
    if unknown:
        raise SpecError(f"unknown key(s) {unknown} in 'route'; known: default, field, specs")
    key = value.get("field")
    if not isinstance(key, str) or not key:
        raise SpecError(f"route 'field' must name a metadata key (a non-empty string), got {key!r}")
    specs = value.get("specs")
    if not isinstance(specs, Mapping) or not specs:
        raise SpecError(
            "route 'specs' must be a non-empty object mapping each value of "
            f"metadata[{key!r}] to its spec"
        )
    if len(specs) > MAX_ROUTES:
        raise SpecError(
            f"route 'specs' has {len(specs):,} routes; at most {MAX_ROUTES:,} are allowed"
        )
    routes: list[tuple[str, RewardSpec]] = []
    for name, spec in specs.items():
        if not isinstance(name, str) or not name:
            raise SpecError(f"route names must be non-empty strings, got {name!r}")
        routes.append((name, _parse_part(spec, f"route {name!r}", parse_plain)))
    default = None
    if value.get("default") is not None:
        if DEFAULT_ROUTE in specs:
            raise SpecError(
                f"route 'specs' has a route named {DEFAULT_ROUTE!r} and the spec has a "
                "'default' spec: a Grade's route could not say which was taken"
            )
        default = _parse_part(value["default"], "the default spec", parse_plain)
    routed = RoutedSpec(key, tuple(routes), default)
    _check_labels(routed)
    return routed


def _parse_part(spec: Any, where: str, parse_plain: Callable[[Any], RewardSpec]) -> RewardSpec:
    if is_routed(spec):
        raise SpecError(
            f"{where}: a route's spec cannot route again (one field decides the route, so "
            "a Grade's route stays one name; join two keys into one value instead)"
        )
    try:
        return parse_plain(spec)
    except SpecError as exc:
        raise _prefixed(exc, where) from None


def _prefixed(exc: SpecError, where: str) -> SpecError:
    """The same error (same class, same attributes) with its message prefixed by where it
    happened: UnknownVerifierError's constructor takes other arguments, so it is copied."""
    copy = exc.__class__.__new__(exc.__class__)
    copy.__dict__.update(exc.__dict__)
    copy.args = (f"{where}: {exc}",)
    return copy


def _check_labels(routed: RoutedSpec) -> None:
    first: dict[str, tuple[str, str]] = {}
    for route, spec in routed.parts:
        for entry in spec.entries:
            name = entry.verifier.name
            seen = first.setdefault(entry.label, (route, name))
            if seen[1] != name:
                raise SpecError(
                    f"label {entry.label!r} is verifier {seen[1]!r} in route {seen[0]!r} but "
                    f"{name!r} in route {route!r}: a label must name the same verifier in "
                    "every route (weights and options may differ), so its logs mean one thing"
                )


ParsedSpec = RewardSpec | RoutedSpec
"""What ``parse_spec`` returns: a plain spec or a routed one."""
