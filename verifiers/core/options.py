"""``Opt``: the doc and bounds of one verifier option, without importing pydantic.

Verifier options are frozen stdlib dataclasses whose fields are annotated with an
``Opt``::

    @dataclass(frozen=True)
    class RepetitionOptions:
        ngram_size: Annotated[int, Opt("n of the n-grams", ge=1, le=64)] = 3

pydantic reads ``Opt`` through its schema hooks when ``Verifier.from_options``
validates options or ``options_schema`` describes them. Importing a verifier never
imports pydantic (~150 ms), so a cold process grading a few hundred items, and
every pool worker, starts fast.
"""

from __future__ import annotations

from typing import Any


class Opt:
    """One option's description and simple bounds (numbers: gt/ge/le; strings: min_length)."""

    __slots__ = ("doc", "ge", "gt", "le", "min_length")

    def __init__(
        self,
        doc: str,
        *,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
        min_length: int | None = None,
    ) -> None:
        self.doc = doc
        self.gt = gt
        self.ge = ge
        self.le = le
        self.min_length = min_length

    def __repr__(self) -> str:
        return f"Opt({self.doc!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        for key in ("gt", "ge", "le", "min_length"):
            value = getattr(self, key)
            if value is not None:
                schema[key] = value
        return schema

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        json_schema = handler(core_schema)
        json_schema["description"] = self.doc
        return json_schema
