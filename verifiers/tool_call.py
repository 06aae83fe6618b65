"""``tool_call``: are the completion's tool calls the expected ones?

Calls are read from, in order of appearance:

- chat messages: ``tool_calls`` of assistant messages in OpenAI's format,
  ``{"type": "function", "function": {"name": ..., "arguments": "<JSON string>"}}``
  (an ``arguments`` object is accepted too);
- text (a string completion, or the content of assistant messages), after the reasoning
  (``</think>``): ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (Hermes,
  Qwen2.5/3; an unclosed last tag runs to the end), Mistral's ``[TOOL_CALLS] [{...}, ...]``
  and Llama 3.1's ``<|python_tag|>{"name": ..., "parameters": {...}}``.

A call matches an expected one when the names are equal and the arguments are
JSON-equal (key order free, ``1 == 1.0``, ``true != 1``). Score = matched calls /
max(expected, made): each call is worth its share, and an extra call costs as much as a
missing one, so calling every tool cannot pay. A call whose JSON is malformed matches
nothing. A call to a tool that was not offered scores the whole sample 0. With
``ordered`` the i-th call must match the i-th expected call; otherwise any order will do.

Reference: ``{"calls": [{"name": ..., "arguments": {...} | "<JSON>"}, ...],
"tools": [...]}`` or just the list of calls. The offered tools are ``tools`` (names, or
OpenAI tool definitions), else ``metadata["tools"]``, else the expected calls' names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from .core.base import Verifier
from .core.jsonvalue import JSONProblem, json_equal, load_json
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import answer_text

MAX_JSON_CHARS = 200_000
MAX_DEPTH = 64

_HERMES = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_MISTRAL = re.compile(r"\[TOOL_CALLS\]")
_LLAMA = re.compile(r"<\|python_tag\|>")


@dataclass(frozen=True)
class ToolCallOptions:
    """Options of ``tool_call``."""

    ordered: Annotated[bool, Opt("the i-th call must match the i-th expected call")] = False
    max_calls: Annotated[
        int, Opt("more calls than this in one completion score 0", ge=1, le=10_000)
    ] = 64
    think_close_tag: Annotated[
        str, Opt("text calls are read after the last such tag", min_length=1)
    ] = "</think>"


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call: a name and JSON arguments, or why it could not be read."""

    name: str | None
    arguments: Any = None
    problem: str | None = None

    def matches(self, other: Call) -> bool:
        return (
            self.problem is None
            and other.problem is None
            and self.name == other.name
            and json_equal(self.arguments, other.arguments)
        )

    def describe(self) -> dict[str, Any]:
        if self.problem is not None:
            return {"name": self.name, "problem": self.problem}
        return {"name": self.name, "arguments": self.arguments}


class ToolCallVerifier(Verifier[ToolCallOptions]):
    """Tool calls (OpenAI messages or text formats) against the expected calls."""

    name = "tool_call"
    description = (
        "Tool calls (OpenAI tool_calls, <tool_call> JSON, [TOOL_CALLS], <|python_tag|>) against "
        "the expected calls by name and JSON-equal arguments; partial credit per call; an "
        "unoffered tool scores 0."
    )
    Options = ToolCallOptions
    timeout = 5.0

    def verify(self, sample: Sample) -> Verdict:
        """Matched calls / max(expected, made); 0 for a call to a tool not offered."""
        parsed = parse_reference(sample.reference, sample.metadata)
        if isinstance(parsed, str):
            return Verdict.failed("invalid_input", f"reference: {parsed}")
        expected, offered = parsed
        made = self._calls(sample)
        details: dict[str, Any] = {
            "expected": len(expected),
            "made": [c.describe() for c in made[:20]],
        }
        if len(made) > self.options.max_calls:
            return Verdict(0.0, "ok", f"{len(made)} calls, over max_calls", details)
        unoffered = sorted({c.name for c in made if c.name is not None and c.name not in offered})
        if unoffered:
            return Verdict(0.0, "ok", f"called {', '.join(unoffered)}, not offered", details)
        if not made and expected:
            return Verdict.failed("no_answer", "no tool call found", **details)
        if not made:
            return Verdict(1.0, "ok", "no call expected, none made", details)
        matched = _matched(made, expected, ordered=self.options.ordered)
        details["matched"] = matched
        score = matched / max(len(made), len(expected))
        malformed = sum(c.problem is not None for c in made)
        reason = f"{matched} of {len(expected)} expected calls matched, {len(made)} made"
        if malformed:
            reason += f" ({malformed} malformed)"
        return Verdict(score, "ok", reason, details)

    def _calls(self, sample: Sample) -> list[Call]:
        close = self.options.think_close_tag
        if isinstance(sample.completion, str):
            return text_calls(answer_text(sample.completion, close))
        calls: list[Call] = []
        for message in sample.completion:
            if message.get("role") != "assistant":
                continue
            content = message.get("content")
            if isinstance(content, str):
                calls.extend(text_calls(answer_text(content, close)))
            raw = message.get("tool_calls")
            if raw is None:
                continue
            if not isinstance(raw, list):
                calls.append(Call(None, problem="tool_calls is not a list"))
                continue
            calls.extend(_openai_call(item) for item in raw)
        return calls


def parse_reference(
    reference: object, metadata: Mapping[str, Any]
) -> tuple[list[Call], frozenset[str]] | str:
    """The expected calls and the offered tool names, or why the reference is malformed."""
    tools: object = None
    calls = reference
    if isinstance(reference, Mapping):
        if "calls" not in reference:
            return "expected {'calls': [...], 'tools'?: [...]} or a list of calls"
        calls, tools = reference["calls"], reference.get("tools")
    if not isinstance(calls, list):
        return "expected {'calls': [...], 'tools'?: [...]} or a list of calls"
    expected = []
    for i, item in enumerate(calls):
        call = _openai_call(item) if isinstance(item, Mapping) else Call(None, problem="")
        if call.problem is not None or call.name is None:
            return f"expected call {i} is not {{'name': str, 'arguments': object}}"
        expected.append(call)
    if tools is None:
        tools = metadata.get("tools")
    if tools is None:
        return expected, frozenset(c.name for c in expected if c.name)
    names = _tool_names(tools)
    if names is None:
        return "'tools' must be a list of names or OpenAI tool definitions"
    missing = sorted({c.name for c in expected if c.name is not None and c.name not in names})
    if missing:
        return f"expected calls to {', '.join(missing)}, which 'tools' does not offer"
    return expected, names


def text_calls(text: str) -> list[Call]:
    """Tool calls written in the text formats open models emit."""
    calls: list[Call] = []
    if "<tool_call>" in text:
        for m in _HERMES.finditer(text):
            calls.extend(_json_calls(m.group(1)))
    for marker in (_MISTRAL, _LLAMA):
        found = marker.search(text)
        if found is not None:
            calls.extend(_json_calls(_first_json(text[found.end() :])))
    return calls


def _first_json(text: str) -> str:
    """The JSON value at the start of ``text`` (up to where the decoder stops)."""
    text = text.lstrip()
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return text  # malformed: load_json says why
    return text[:end]


def _json_calls(body: str) -> list[Call]:
    try:
        value = load_json(body.strip(), max_chars=MAX_JSON_CHARS, max_depth=MAX_DEPTH)
    except JSONProblem as exc:
        return [Call(None, problem=str(exc))]
    items = value if isinstance(value, list) else [value]
    return [_text_call(item) for item in items]


def _text_call(item: object) -> Call:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        return Call(None, problem="a call must be an object with a string 'name'")
    key = "arguments" if "arguments" in item else "parameters"
    return _with_arguments(item["name"], item.get(key, {}))


def _openai_call(item: object) -> Call:
    if not isinstance(item, Mapping):
        return Call(None, problem="a tool call must be an object")
    function = item.get("function", item)
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        return Call(None, problem="a tool call needs function.name")
    return _with_arguments(function["name"], function.get("arguments", {}))


def _with_arguments(name: str, arguments: object) -> Call:
    if isinstance(arguments, str):  # OpenAI sends arguments as a JSON string
        try:
            arguments = load_json(arguments, max_chars=MAX_JSON_CHARS, max_depth=MAX_DEPTH)
        except JSONProblem as exc:
            return Call(name, problem=f"arguments: {exc}")
    if not isinstance(arguments, dict):
        return Call(name, problem="arguments must be a JSON object")
    return Call(name, arguments)


def _tool_names(tools: object) -> frozenset[str] | None:
    if not isinstance(tools, list):
        return None
    names = set()
    for tool in tools:
        if isinstance(tool, str):
            names.add(tool)
            continue
        if not isinstance(tool, Mapping):
            return None
        function = tool.get("function", tool)
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            return None
        names.add(function["name"])
    return frozenset(names)


def _matched(made: list[Call], expected: list[Call], *, ordered: bool) -> int:
    if ordered:
        return sum(m.matches(e) for m, e in zip(made, expected, strict=False))
    # Matching is all-or-nothing per pair, so greedy pairing is a maximum matching.
    free = list(expected)
    count = 0
    for call in made:
        for i, want in enumerate(free):
            if call.matches(want):
                del free[i]
                count += 1
                break
    return count
