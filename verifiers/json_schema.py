"""``json_schema``: does the completion's JSON validate against ``reference.schema``?

The JSON is the last fenced block tagged ``json`` (or untagged) in the text after the
reasoning, else the whole answer text; JSON merely embedded in prose is not looked for.
Validation is the ``jsonschema`` library's, with the draft the schema's ``$schema``
names (2020-12 when it names none). ``format`` is annotation only, as the spec's
default, unless ``check_formats`` is on.

Optional ``reference.expected`` maps fields to the values they must hold, JSON-equal
(key order free, ``1 == 1.0``, ``true != 1``): a key starting with ``/`` is a JSON
Pointer (``/address/city``), any other key a top-level field. Invalid JSON or a schema
violation scores 0; a valid document scores 1 when every expected field holds its
value, or with ``scoring="fraction"`` the share that do.

Hostile input, decided here rather than left to the worker deadline:

- the document: at most ``max_chars`` characters and ``max_depth`` levels deep;
- the schema: at most ``MAX_SCHEMA_CHARS`` serialised and ``max_depth`` deep; it must
  itself be a valid schema of its draft (else ``invalid_input``);
- remote ``$ref`` never fetches: the registry refuses every retrieval, so a schema
  that needs one is ``invalid_input``; local ``$ref``/``$defs`` work;
- regexes (``pattern``, ``patternProperties``, and ``additionalProperties`` that
  consults them) run under the ``regex`` module with a ``regex_timeout``; one that
  runs out fails validation with a reason. ``unevaluatedProperties`` beside
  ``patternProperties`` is refused (``invalid_input``): jsonschema matches those
  patterns with ``re`` inside, where no time limit can reach;
- ``uniqueItems`` compares canonical JSON in O(n), not jsonschema's O(n^2) fallback.

Reference: ``{"schema": {...}, "expected"?: {"name": "Ada", "/address/city": "Paris"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from .core.base import Verifier
from .core.jsonvalue import JSONProblem, depth, fenced_blocks, json_equal, load_json
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import answer_text

MAX_SCHEMA_CHARS = 1_000_000
MAX_ERRORS = 5


@dataclass(frozen=True)
class JSONSchemaOptions:
    """Options of ``json_schema``."""

    scoring: Annotated[
        Literal["all_or_nothing", "fraction"],
        Opt("a valid document: 1 only if every expected field holds, or the share that do"),
    ] = "all_or_nothing"
    source: Annotated[
        Literal["fenced_or_bare", "bare"],
        Opt(
            "fenced_or_bare: the last ```json block, else the whole answer; bare: the whole answer"
        ),
    ] = "fenced_or_bare"
    check_formats: Annotated[bool, Opt("assert 'format' (email, date-time, ...)")] = False
    max_chars: Annotated[
        int, Opt("longest JSON document accepted, in characters", ge=1, le=10_000_000)
    ] = 100_000
    max_depth: Annotated[
        int, Opt("deepest nesting accepted, document and schema", ge=1, le=500)
    ] = 64
    regex_timeout: Annotated[
        float, Opt("seconds one schema regex may run on one string", gt=0, le=10)
    ] = 0.1
    think_close_tag: Annotated[
        str, Opt("only the text after the last such tag is read", min_length=1)
    ] = "</think>"


class JSONSchemaVerifier(Verifier[JSONSchemaOptions]):
    """The completion's JSON against a JSON Schema, plus expected field values."""

    name = "json_schema"
    description = (
        "JSON output: the completion's JSON (fenced or bare) validates against reference.schema "
        "(jsonschema; remote $ref never fetched), with optional expected field values."
    )
    Options = JSONSchemaOptions
    timeout = 10.0

    def verify(self, sample: Sample) -> Verdict:
        """0 for invalid JSON or a schema violation; else 1 or the share of expected fields."""
        o = self.options
        reference = sample.reference
        if not isinstance(reference, Mapping) or "schema" not in reference:
            return Verdict.failed("invalid_input", "reference: expected {'schema': {...}}")
        expected = reference.get("expected") or {}
        if not isinstance(expected, Mapping):
            return Verdict.failed("invalid_input", "reference: 'expected' must be an object")
        try:
            validator = _validator(_schema_key(reference["schema"], o.max_depth), o.check_formats)
        except _SchemaRefused as exc:
            return Verdict.failed("invalid_input", f"reference schema: {exc}")
        text = _document(answer_text(sample.completion_text, o.think_close_tag), o.source)
        if not text.strip():
            return Verdict.failed("no_answer", "no JSON found")
        try:
            document = load_json(text.strip(), max_chars=o.max_chars, max_depth=o.max_depth)
        except JSONProblem as exc:
            return Verdict(0.0, "ok", str(exc), {"valid": False})
        try:
            errors = list(_first(_iter_errors(validator, document, o.regex_timeout), MAX_ERRORS))
        except _SchemaRefused as exc:
            return Verdict.failed("invalid_input", f"reference schema: {exc}")
        if errors:
            return Verdict(
                0.0, "ok", f"schema violation: {errors[0]}", {"valid": False, "errors": errors}
            )
        held = {key: _holds(document, str(key), want) for key, want in expected.items()}
        details: dict[str, Any] = {"valid": True, "expected": held}
        if not held:
            return Verdict(1.0, "ok", "valid", details)
        share = sum(held.values()) / len(held)
        score = share if o.scoring == "fraction" else float(share == 1.0)
        wrong = [k for k, ok in held.items() if not ok]
        reason = "valid; " + (
            f"wrong or missing: {', '.join(wrong)}" if wrong else "all expected values hold"
        )
        return Verdict(score, "ok", reason, details)


class _SchemaRefused(ValueError):
    """The reference schema cannot be used (malformed, too big, or needs a remote $ref)."""


def _document(text: str, source: str) -> str:
    if source == "fenced_or_bare":
        blocks = [body for lang, body in fenced_blocks(text) if lang in ("", "json", "jsonc")]
        if blocks:
            return blocks[-1]
    return text


def _schema_key(schema: object, max_depth: int) -> str:
    """The schema as canonical JSON (a hashable cache key), checked for size and depth."""
    if not isinstance(schema, (Mapping, bool)):
        raise _SchemaRefused("must be an object or a boolean")
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _SchemaRefused(f"not JSON: {exc}") from None
    if len(key) > MAX_SCHEMA_CHARS:
        raise _SchemaRefused(f"{len(key):,} characters, over {MAX_SCHEMA_CHARS:,}")
    if depth(schema) > max_depth:
        raise _SchemaRefused(f"nested deeper than {max_depth} levels")
    return key


@lru_cache(maxsize=256)
def _validator(key: str, check_formats: bool) -> Any:
    """A validator for one schema, built once per process (schemas repeat across a batch)."""
    import jsonschema
    from jsonschema import validators
    from referencing import Registry

    schema = json.loads(key)
    if _has_unevaluated_patterns(schema):
        raise _SchemaRefused(
            "unevaluatedProperties beside patternProperties is not supported "
            "(those patterns cannot be time-limited)"
        )
    base = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        base.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise _SchemaRefused(f"not a valid schema: {exc.message}") from None
    cls = validators.extend(
        base,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
            "uniqueItems": _unique_items,
        },
    )
    checker = base.FORMAT_CHECKER if check_formats else None
    # Registry(retrieve=...) is referencing's documented API; mypy's attrs plugin misses
    # the alias of its private field.
    registry = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]
    return cls(schema, registry=registry, format_checker=checker)


def _refuse_retrieval(uri: str) -> Any:
    raise _SchemaRefused(f"remote $ref {uri!r} is never fetched")


def _iter_errors(validator: Any, document: Any, timeout: float) -> Iterator[str]:
    import referencing.exceptions

    _REGEX_TIMEOUT[0] = timeout
    try:
        for error in validator.iter_errors(document):
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            yield f"{where}: {error.message}"[:300]
    except referencing.exceptions.Unresolvable as exc:
        raise _SchemaRefused(f"unresolvable $ref: {exc}") from None


def _first(items: Iterator[str], n: int) -> Iterator[str]:
    for i, item in enumerate(items):
        if i >= n:
            return
        yield item


def _holds(document: Any, key: str, want: Any) -> bool:
    if not key.startswith("/"):
        return isinstance(document, dict) and key in document and json_equal(document[key], want)
    node = document
    for raw in key[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return json_equal(node, want)


def _has_unevaluated_patterns(schema: Any) -> bool:
    stack = [schema]
    seen_unevaluated = seen_patterns = False
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            seen_unevaluated |= "unevaluatedProperties" in node
            seen_patterns |= isinstance(node.get("patternProperties"), dict)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return seen_unevaluated and seen_patterns


# --- keywords whose regexes get a time limit (jsonschema's own, with `regex` for `re`) ---

_REGEX_TIMEOUT = [0.1]  # set per verify call; a worker runs one item at a time


class _RegexTimeout(Exception):
    pass


def _search(pattern: str, text: str) -> bool:
    import regex

    try:
        return regex.search(pattern, text, timeout=_REGEX_TIMEOUT[0]) is not None
    except TimeoutError:
        raise _RegexTimeout(pattern) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "string"):
        return
    try:
        if not _search(pattern, instance):
            yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")
    except _RegexTimeout:
        yield ValidationError(f"pattern {pattern!r} ran past its time limit")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                matched = _search(pattern, key)
            except _RegexTimeout:
                yield ValidationError(f"pattern {pattern!r} ran past its time limit")
                return
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, extra_schema: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    try:
        extras = [
            key
            for key in instance
            if key not in properties and not any(_search(p, key) for p in patterns)
        ]
    except _RegexTimeout as exc:
        yield ValidationError(f"pattern {exc.args[0]!r} ran past its time limit")
        return
    if validator.is_type(extra_schema, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra_schema, path=key)
    elif extra_schema is False and extras:
        names = ", ".join(repr(k) for k in sorted(extras)[:10])
        yield ValidationError(f"additional properties are not allowed ({names} unexpected)")


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(_canonical(item), sort_keys=True)
        if key in seen:
            yield ValidationError(f"array has non-unique elements ({key[:80]} repeats)")
            return
        seen.add(key)


def _canonical(value: Any) -> Any:
    """A form in which JSON-equal values serialise alike (``1.0`` -> ``1``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
