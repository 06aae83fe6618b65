"""The tool_call verifier on OpenAI chat messages and the text formats open models emit.

The message shapes follow OpenAI's chat-completions format (``tool_calls`` with
``arguments`` as a JSON string); the text shapes are the templates' own: Hermes/Qwen's
``<tool_call>`` JSON, Mistral's ``[TOOL_CALLS]`` list, Llama 3.1's ``<|python_tag|>``
JSON with ``parameters``. Cases are written here, including malformed JSON and unknown tools.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from verigrade.verifiers import Sample, Verdict, get_verifier, grade
from verigrade.verifiers.tool_call import ToolCallOptions, ToolCallVerifier

VERIFIER = ToolCallVerifier()
ORDERED = ToolCallVerifier(ToolCallOptions(ordered=True))
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {}}},
    {"type": "function", "function": {"name": "get_time", "parameters": {}}},
    {"type": "function", "function": {"name": "send_email", "parameters": {}}},
]
WEATHER = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
TIME = {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}
REF = {"calls": [WEATHER, TIME], "tools": TOOLS}


def openai_call(name: str, arguments: Any) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}


def assistant(*calls: dict[str, Any], content: str | None = None) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Weather and time in Paris?"},
        {"role": "assistant", "content": content, "tool_calls": list(calls)},
    ]


def hermes(*bodies: str) -> str:
    return "".join(f"<tool_call>\n{b}\n</tool_call>\n" for b in bodies)


def verdict(completion: Any, reference: Any = REF, v: ToolCallVerifier = VERIFIER) -> Verdict:
    return v.verify(Sample(completion=completion, reference=reference))


W_JSON = json.dumps(WEATHER)
T_JSON = json.dumps(TIME)


@pytest.mark.parametrize(
    "completion, expected",
    [
        # OpenAI messages: arguments are a JSON string; key order is free.
        (
            assistant(
                openai_call("get_weather", WEATHER["arguments"]),
                openai_call("get_time", TIME["arguments"]),
            ),
            1.0,
        ),
        (
            assistant(
                openai_call("get_weather", '{"unit": "celsius", "city": "Paris"}'),
                openai_call("get_time", TIME["arguments"]),
            ),
            1.0,
        ),
        (
            assistant(
                openai_call("get_time", TIME["arguments"]),
                openai_call("get_weather", WEATHER["arguments"]),
            ),
            1.0,
        ),
        # Half right: one call of two, or a wrong argument value.
        (assistant(openai_call("get_weather", WEATHER["arguments"])), 0.5),
        (
            assistant(
                openai_call("get_weather", {"city": "Lyon", "unit": "celsius"}),
                openai_call("get_time", TIME["arguments"]),
            ),
            0.5,
        ),
        # An extra call costs as much as a missing one: 2 matched of 3 made.
        (
            assistant(
                openai_call("get_weather", WEATHER["arguments"]),
                openai_call("get_time", TIME["arguments"]),
                openai_call("get_time", {"tz": "UTC"}),
            ),
            2 / 3,
        ),
        # Types matter: "true" is not true, 1 is 1.0.
        (assistant(openai_call("get_weather", {"city": "Paris", "unit": "celsius", "x": 1})), 0.0),
        # Malformed JSON arguments match nothing.
        (
            assistant(
                openai_call("get_weather", '{"city": "Paris", "unit": "celsius"'),
                openai_call("get_time", TIME["arguments"]),
            ),
            0.5,
        ),
        # Text formats.
        (hermes(W_JSON, T_JSON), 1.0),
        ("<think>I should call <tool_call>{}</tool_call></think>" + hermes(T_JSON, W_JSON), 1.0),
        (hermes(W_JSON) + "<tool_call>\n" + T_JSON, 1.0),  # stopped at the stop token
        (hermes(W_JSON, '{"name": "get_time", "arguments": {"tz": "Europe/Paris"'), 0.5),
        (hermes(W_JSON, "not json at all"), 0.5),
        ("[TOOL_CALLS] " + json.dumps([WEATHER, TIME]), 1.0),
        (
            '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}',
            0.5,
        ),
        # Text calls inside an assistant message's content count too.
        ([{"role": "assistant", "content": hermes(W_JSON, T_JSON)}], 1.0),
    ],
)
def test_calls_are_scored_per_call(completion: Any, expected: float) -> None:
    v = verdict(completion)
    assert (v.status, v.score) == ("ok", pytest.approx(expected)), v


@pytest.mark.parametrize(
    "completion",
    [
        assistant(
            openai_call("delete_everything", {}),
            openai_call("get_weather", WEATHER["arguments"]),
            openai_call("get_time", TIME["arguments"]),
        ),
        hermes(W_JSON, T_JSON, '{"name": "rm_rf", "arguments": {}}'),
    ],
)
def test_a_tool_not_offered_scores_zero(completion: Any) -> None:
    v = verdict(completion)
    assert (v.status, v.score) == ("ok", 0.0)
    assert "not offered" in v.reason


def test_offered_tools_default_to_metadata_then_the_expected_names() -> None:
    email = openai_call("send_email", {"to": "a@b.c"})
    calls = {"calls": [WEATHER]}
    # Without 'tools', only the expected tools count as offered.
    assert (
        verdict(assistant(openai_call("get_weather", WEATHER["arguments"]), email), calls).score
        == 0.0
    )
    in_metadata = Sample(
        assistant(openai_call("get_weather", WEATHER["arguments"]), email),
        reference=calls,
        metadata={"tools": TOOLS},
    )
    assert VERIFIER.verify(in_metadata).score == 0.5


def test_order_matters_only_when_asked() -> None:
    swapped = hermes(T_JSON, W_JSON)
    assert verdict(swapped).score == 1.0
    assert verdict(swapped, v=ORDERED).score == 0.0
    assert verdict(hermes(W_JSON, T_JSON), v=ORDERED).score == 1.0


def test_no_call_expected() -> None:
    none = {"calls": [], "tools": TOOLS}
    assert verdict("The weather is nice.", none).score == 1.0
    assert verdict(hermes(W_JSON), none).score == 0.0


def test_no_call_made_is_no_answer() -> None:
    v = verdict("I cannot check the weather.")
    assert (v.status, v.score) == ("no_answer", 0.0)


def test_too_many_calls_score_zero() -> None:
    v = verdict(hermes(*[W_JSON] * 65))
    assert (v.score, v.reason) == (0.0, "65 calls, over max_calls")


@pytest.mark.parametrize(
    "depth, problem",
    [
        (70, "nested deeper than 64"),  # parses, but past the depth limit
        (50_000, "nested deeper than 64"),  # the C decoder would hit RecursionError
        (120_000, "over the limit of 200,000"),  # refused before parsing
    ],
)
def test_hostile_json_is_refused_not_crashing(depth: int, problem: str) -> None:
    deep = '{"name": "get_weather", "arguments": {"x": ' + "[" * depth + "]" * depth + "}}"
    v = verdict(hermes(deep, W_JSON))
    # The hostile call matches nothing; the good one still counts: 1 of 2.
    assert (v.status, v.score) == ("ok", 0.5)
    assert problem in v.details["made"][0]["problem"]


@pytest.mark.parametrize(
    "reference, reason",
    [
        (None, "expected {'calls'"),
        ({"tools": TOOLS}, "expected {'calls'"),
        ({"calls": [{"arguments": {}}]}, "expected call 0"),
        ({"calls": [{"name": "f", "arguments": "{bad"}]}, "expected call 0"),
        ({"calls": [WEATHER], "tools": "get_weather"}, "'tools' must be a list"),
        ({"calls": [WEATHER], "tools": ["get_time"]}, "does not offer"),
    ],
)
def test_malformed_reference_is_invalid_input(reference: Any, reason: str) -> None:
    v = verdict(hermes(W_JSON), reference)
    assert v.status == "invalid_input"
    assert reason in v.reason


def test_registered_and_graded_through_a_spec_with_chat_messages() -> None:
    assert get_verifier("tool_call") is ToolCallVerifier
    sample = {
        "completion": assistant(openai_call("get_weather", WEATHER["arguments"])),
        "reference": [WEATHER],
    }
    assert grade([sample], {"tool_call": {"ordered": True}}, workers=0)[0].reward == 1.0
