"""The json_schema verifier: extraction, validation, expected values, hostile input.

Cases are written here: the schemas are small JSON Schema documents of the kinds
structured-output tasks use; the hostile ones are the attacks the issue names
(deep nesting, huge input, catastrophic regexes, remote $ref).
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from verigrade.verifiers import Sample, Verdict, get_verifier, grade
from verigrade.verifiers.json_schema import JSONSchemaOptions, JSONSchemaVerifier

VERIFIER = JSONSchemaVerifier()
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z]"},
        "age": {"type": "integer", "minimum": 0},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}
GOOD = '{"name": "Ada", "age": 36, "address": {"city": "London"}}'


def verdict(completion: str, reference: Any, v: JSONSchemaVerifier = VERIFIER) -> Verdict:
    return v.verify(Sample(completion=completion, reference=reference))


@pytest.mark.parametrize(
    "completion, expected",
    [
        (GOOD, 1.0),
        ("Here it is:\n```json\n" + GOOD + "\n```\nDone.", 1.0),
        ("```\n" + GOOD + "\n```", 1.0),
        ("<think>draft: {}</think>\n" + GOOD, 1.0),
        # The last json block is the answer.
        ("```json\n" + GOOD + '\n```\n```json\n{"name": "Ada"}\n```', 0.0),
        # Violations.
        ('{"name": "ada", "age": 36}', 0.0),  # pattern
        ('{"name": "Ada", "age": "36"}', 0.0),  # type
        ('{"name": "Ada", "age": 36.5}', 0.0),  # integer
        ('{"name": "Ada"}', 0.0),  # required
        ('{"name": "Ada", "age": 36, "extra": 1}', 0.0),  # additionalProperties
        # Not JSON, or JSON in prose (not looked for).
        ('{"name": "Ada", "age": 36', 0.0),
        ("The person is " + GOOD, 0.0),
    ],
)
def test_validation(completion: str, expected: float) -> None:
    v = verdict(completion, {"schema": PERSON})
    assert (v.status, v.score) == ("ok", expected), v


def test_expected_values() -> None:
    ref = {"schema": PERSON, "expected": {"name": "Ada", "/address/city": "Paris", "age": 36.0}}
    v = verdict(GOOD, ref)
    assert v.score == 0.0
    assert v.details["expected"] == {"name": True, "/address/city": False, "age": True}
    fraction = JSONSchemaVerifier(JSONSchemaOptions(scoring="fraction"))
    assert verdict(GOOD, ref, fraction).score == pytest.approx(2 / 3)
    # An invalid document gets nothing, whatever fields it has right.
    assert verdict('{"name": "Ada", "age": -1}', ref, fraction).score == 0.0
    ref["expected"] = {"name": "Ada", "/address/city": "London"}
    assert verdict(GOOD, ref).score == 1.0
    # true is not 1.
    assert verdict('{"a": true}', {"schema": {}, "expected": {"a": 1}}).score == 0.0


def test_local_refs_and_drafts() -> None:
    schema = {"$ref": "#/$defs/p", "$defs": {"p": {"type": "object", "required": ["x"]}}}
    assert verdict('{"x": 1}', {"schema": schema}).score == 1.0
    assert verdict("{}", {"schema": schema}).score == 0.0
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"}
    assert verdict("3", {"schema": draft4}).score == 1.0
    assert verdict("3.5", {"schema": draft4}).score == 0.0


def test_formats_only_when_asked() -> None:
    ref = {"schema": {"type": "string", "format": "email"}}
    assert verdict('"not an email"', ref).score == 1.0
    strict = JSONSchemaVerifier(JSONSchemaOptions(check_formats=True))
    assert verdict('"not an email"', ref, strict).score == 0.0
    assert verdict('"ada@example.org"', ref, strict).score == 1.0


def test_remote_ref_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the verifier tried to fetch a remote $ref")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    schema = {"$ref": "http://127.0.0.1:9/evil.json"}
    v = verdict("{}", {"schema": schema})
    assert v.status == "invalid_input"
    assert "127.0.0.1:9/evil.json" in v.reason


def test_catastrophic_pattern_is_cut_off() -> None:
    schema = {"type": "string", "pattern": "(a|aa)+$"}
    started = time.perf_counter()
    v = verdict('"' + "a" * 60 + 'b"', {"schema": schema})
    assert time.perf_counter() - started < 2
    assert (v.status, v.score) == ("ok", 0.0)
    assert "ran past its time limit" in v.reason
    keys = {"type": "object", "patternProperties": {"(a|aa)+$": {}}, "additionalProperties": False}
    v = verdict('{"' + "a" * 60 + 'b": 1}', {"schema": keys})
    assert "ran past its time limit" in v.reason


@pytest.mark.parametrize(
    "document, reason",
    [
        ("[" * 65 + "]" * 65, "nested deeper than 64"),
        ("[" * 60_000 + "]" * 60_000, "over the limit of 100,000"),
        ("[" * 40_000 + "]" * 40_000, "nested deeper than 64"),
    ],
)
def test_hostile_documents_are_refused(document: str, reason: str) -> None:
    v = verdict(document, {"schema": {}})
    assert (v.status, v.score) == ("ok", 0.0)
    assert reason in v.reason


def test_unique_items_is_linear() -> None:
    items = ",".join(f'{{"a": {i}}}' for i in range(8000))  # distinct dicts: O(n^2) in jsonschema
    started = time.perf_counter()
    assert verdict(f"[{items}]", {"schema": {"uniqueItems": True}}).score == 1.0
    assert time.perf_counter() - started < 1
    assert verdict('[{"a": 1}, {"a": 1.0}]', {"schema": {"uniqueItems": True}}).score == 0.0


@pytest.mark.parametrize(
    "reference, reason",
    [
        (None, "expected {'schema'"),
        ({"expected": {}}, "expected {'schema'"),
        ({"schema": "object"}, "must be an object or a boolean"),
        ({"schema": {"type": "objekt"}}, "not a valid schema"),
        ({"schema": {}, "expected": [1]}, "'expected' must be an object"),
        ({"schema": {"a": {"b": {"c": {}}}}}, None),  # fine: unknown keywords are allowed
        (
            {"schema": {"unevaluatedProperties": False, "patternProperties": {"a": {}}}},
            "not supported",
        ),
    ],
)
def test_malformed_reference(reference: Any, reason: str | None) -> None:
    v = verdict("{}", reference)
    if reason is None:
        assert v.status == "ok"
    else:
        assert v.status == "invalid_input"
        assert reason in v.reason


def test_empty_answer_is_no_answer() -> None:
    assert verdict("<think>x</think>  ", {"schema": {}}).status == "no_answer"


def test_registered_and_graded_through_a_spec() -> None:
    assert get_verifier("json_schema") is JSONSchemaVerifier
    results = grade(
        [{"completion": GOOD, "reference": {"schema": PERSON}}],
        {"json_schema": {"scoring": "fraction", "max_depth": 8}},
        workers=0,
    )
    assert results[0].reward == 1.0
