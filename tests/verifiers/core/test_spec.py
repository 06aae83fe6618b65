"""Reward specs: parsing, validation and the messages a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from verigrade.verifiers import (
    InvalidConfigError,
    SpecError,
    UnknownVerifierError,
    grade,
    load_spec,
    parse_spec,
)


def test_the_spec_shapes() -> None:
    assert parse_spec("think_format").weights == {"think_format": 1.0}
    assert parse_spec(["think_format", "repetition"]).weights == {
        "think_format": 1.0,
        "repetition": 1.0,
    }
    spec = parse_spec({"think_format": 0.5, "language": {"weight": 0.2, "target": "en"}})
    assert spec.weights == {"think_format": 0.5, "language": 0.2}
    assert spec.entries[1].verifier.options.target == "en"  # type: ignore[attr-defined]


def test_a_label_can_name_a_second_copy_of_a_verifier() -> None:
    spec = parse_spec(
        {
            "zh": {"verifier": "language", "target": "zh"},
            "en": {"verifier": "language", "target": "en"},
        }
    )
    assert spec.labels == ["zh", "en"]
    grades = grade([{"completion": "<think>hello</think>x"}], spec, workers=0)
    assert grades[0].verdicts["en"].score == 1.0
    assert grades[0].verdicts["zh"].score == 0.0


def test_reward_is_the_weighted_sum() -> None:
    spec = {"think_format": 2.0, "repetition": {"weight": 0.5, "ngram_size": 1}}
    # Whitespace tokens "<think>a", "a", "a</think>", "b", "b": 4 distinct of 5 unigrams.
    (result,) = grade([{"completion": "<think>a a a</think> b b"}], spec, workers=0)
    repeated = result.verdicts["repetition"].score
    assert repeated == pytest.approx(-0.2)
    assert result.reward == pytest.approx(2.0 * 1.0 + 0.5 * repeated)


def test_unknown_verifier_names_the_installed_ones() -> None:
    with pytest.raises(UnknownVerifierError) as info:
        parse_spec({"maths": 1.0})
    assert "unknown verifier 'maths'" in str(info.value)
    assert "think_format" in str(info.value)


def test_negative_weight_is_refused_with_the_reason() -> None:
    with pytest.raises(SpecError, match=r"weight of 'think_format' is negative \(-1\.0\)"):
        parse_spec({"think_format": -1.0})


@pytest.mark.parametrize(
    "spec, message",
    [
        ({}, "the spec is empty"),
        ({"think_format": "high"}, "must be a number"),
        ({"think_format": True}, "must be a number"),
        ({"think_format": float("inf")}, "must be finite"),
        (42, "a spec is a verifier name"),
        ({"think_format": {"verifier": 3}}, "'verifier' must be a verifier name"),
    ],
)
def test_malformed_specs(spec: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)  # type: ignore[arg-type]


def test_unknown_and_mistyped_options() -> None:
    with pytest.raises(InvalidConfigError, match=r"has no option\(s\) 'strictness'.*mode"):
        parse_spec({"think_format": {"strictness": "high"}})
    with pytest.raises(InvalidConfigError, match="mode"):
        parse_spec({"think_format": {"mode": "sloppy"}})


def test_load_spec_from_name_json_and_file(tmp_path: Path) -> None:
    assert load_spec("think_format") == "think_format"
    assert load_spec('{"think_format": 1}') == {"think_format": 1}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"language": {"target": "en"}}))
    assert load_spec(str(path)) == {"language": {"target": "en"}}
    with pytest.raises(SpecError, match="does not parse"):
        load_spec("{think_format: 1}")
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(str(tmp_path / "missing.json"))
    path.write_text("{oops")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_spec(str(path))


def test_specs_hash_so_they_can_key_caches() -> None:
    a = parse_spec({"language": {"target": "en"}})
    b = parse_spec({"language": {"target": "en"}})
    assert a == b and hash(a) == hash(b)
