"""The Verifier base class: what every verifier, built-in or plugin, derives from.

A verifier is a name, a frozen options dataclass and a ``verify`` method::

    from dataclasses import dataclass
    from typing import Annotated
    from verigrade.verifiers import Opt, Sample, Verdict, Verifier

    @dataclass(frozen=True)
    class ShoutOptions:
        min_ratio: Annotated[float, Opt("share of upper-case letters needed", ge=0, le=1)] = 0.5

    class Shout(Verifier[ShoutOptions]):
        name = "shout"
        description = "Rewards upper-case answers."
        Options = ShoutOptions

        def verify(self, sample: Sample) -> Verdict:
            text = sample.completion_text
            ratio = sum(c.isupper() for c in text) / max(1, len(text))
            return Verdict(float(ratio >= self.options.min_ratio))

Register it under the entry-point group ``verigrade.verifiers`` and it is usable
everywhere: the library, the CLI and the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from .errors import InvalidConfigError
from .model import Sample, Verdict


@dataclass(frozen=True)
class NoOptions:
    """Options of a verifier that takes none."""


OptionsT = TypeVar("OptionsT")


class Verifier(Generic[OptionsT]):
    """Checks one property of a Sample.

    Subclasses set ``name``, ``description`` and ``Options`` (a frozen dataclass
    whose fields carry defaults and an ``Opt`` with their doc and bounds; a pydantic
    dataclass with ``Field(description=...)`` works too) and
    implement ``verify``. ``verify`` must not raise for bad model output; it returns
    a Verdict with a status and a reason instead. Instances are pickled to worker
    processes, so keep them plain: options only, no open handles.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[Any]] = NoOptions
    timeout: ClassVar[float] = 10.0
    """Default per-item deadline in seconds when the caller gives none."""

    def __init__(self, options: OptionsT | None = None) -> None:
        self.options: OptionsT = options if options is not None else self.Options()

    def verify(self, sample: Sample) -> Verdict:
        """Judge one sample."""
        raise NotImplementedError

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None) -> Verifier[Any]:
        """Build a verifier from plain (JSON) options, validating names and types.

        Raises:
            InvalidConfigError: an unknown option, or a value of the wrong type.
        """
        options = dict(options or {})
        fields = {f.name for f in dataclasses.fields(cls.Options)}
        unknown = sorted(set(options) - fields)
        if unknown:
            raise InvalidConfigError(
                f"verifier {cls.name!r} has no option(s) {', '.join(map(repr, unknown))}; "
                f"its options are: {', '.join(sorted(fields)) or '(none)'}"
            )
        from pydantic import ValidationError

        try:
            parsed = _adapter(cls.Options).validate_python(options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                for e in exc.errors()
            )
            raise InvalidConfigError(f"verifier {cls.name!r}: {problems}") from None
        return cls(parsed)

    @classmethod
    def options_schema(cls) -> dict[str, Any]:
        """The JSON schema of this verifier's options (for `verigrade list` and the API)."""
        schema: dict[str, Any] = _adapter(cls.Options).json_schema()
        return schema

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and bool(other.options == self.options)

    def __hash__(self) -> int:
        return hash((type(self), self.options))


_adapters: dict[type[Any], Any] = {}


def _adapter(options_cls: type[Any]) -> Any:
    # pydantic is imported here, on first validation, not when verifiers are
    # imported (~150 ms a cold process and every worker would pay). Building a
    # TypeAdapter costs ~1 ms; keep one per options class.
    adapter = _adapters.get(options_cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _adapters[options_cls] = TypeAdapter(options_cls)
    return adapter
