"""Routed specs: parsing, validation and how a sample's route is chosen."""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers import (
    DEFAULT_ROUTE,
    InvalidConfigError,
    RewardSpec,
    RoutedSpec,
    Sample,
    SpecError,
    UnknownVerifierError,
    parse_spec,
)

# The form the verl adapter relies on (issue 13).
MIXED: dict[str, Any] = {
    "route": {
        "field": "data_source",
        "specs": {
            "openai/gsm8k": {"math": 1.0, "think_format": 0.1},
            "codecontests": {"code": 1.0, "think_format": 0.1},
        },
        "default": {"think_format": 1.0},
    }
}


def routed(spec: Any) -> RoutedSpec:
    parsed = parse_spec(spec)
    assert isinstance(parsed, RoutedSpec)
    return parsed


def test_a_routed_spec_parses_into_its_routes() -> None:
    spec = routed(MIXED)
    assert spec.field == "data_source"
    assert [name for name, _ in spec.parts] == ["openai/gsm8k", "codecontests", DEFAULT_ROUTE]
    assert spec.spec_of("openai/gsm8k").weights == {"math": 1.0, "think_format": 0.1}
    assert spec.spec_of(DEFAULT_ROUTE).weights == {"think_format": 1.0}


def test_labels_are_every_route_s_labels_once_in_a_stable_order() -> None:
    # verl's extras need the same keys on every sample: the union, first-seen order.
    spec = routed(MIXED)
    assert spec.labels == ["math", "think_format", "code"]
    assert spec.names == {"math": "math", "think_format": "think_format", "code": "code"}
    assert routed(MIXED).labels == spec.labels  # the same on every parse
    assert spec.unrouted.labels == spec.labels


def test_parsed_routed_specs_are_equal_and_hashable() -> None:
    # Caches key on parsed specs, as they do on plain ones.
    assert routed(MIXED) == routed(MIXED)
    assert hash(routed(MIXED)) == hash(routed(MIXED))
    assert parse_spec(routed(MIXED)) == routed(MIXED)


def test_a_plain_spec_is_still_a_reward_spec() -> None:
    assert isinstance(parse_spec({"math": 1.0}), RewardSpec)


@pytest.mark.parametrize(
    "item, route",
    [
        ({"completion": "x", "metadata": {"data_source": "openai/gsm8k"}}, "openai/gsm8k"),
        # verl's parquet rows have data_source as a column: extra columns are metadata.
        ({"completion": "x", "data_source": "codecontests"}, "codecontests"),
        # metadata wins over a column of the same name, exactly as coerce_sample merges.
        (
            {"completion": "x", "data_source": "codecontests", "metadata": {"data_source": "x"}},
            DEFAULT_ROUTE,
        ),
        (Sample("x", metadata={"data_source": "codecontests"}), "codecontests"),
        ({"completion": "x"}, DEFAULT_ROUTE),  # missing
        ({"completion": "x", "metadata": {"data_source": 7}}, DEFAULT_ROUTE),  # not a string
        ({"completion": "x", "metadata": {"data_source": "OpenAI/GSM8K"}}, DEFAULT_ROUTE),  # case
        ({"completion": "x", "metadata": {"data_source": None}}, DEFAULT_ROUTE),
    ],
)
def test_choose_with_a_default(item: Any, route: str) -> None:
    assert routed(MIXED).choose(item) == route


def test_without_a_default_an_unknown_value_has_no_route_and_a_reason() -> None:
    spec = routed({"route": {"field": "data_source", "specs": MIXED["route"]["specs"]}})
    known = "routes: 'openai/gsm8k', 'codecontests'; the spec has no default"
    cases = {
        "the sample has no metadata['data_source'] to route by": {"completion": "x"},
        "metadata['data_source'] is 7 (int), not a string": {
            "completion": "x",
            "metadata": {"data_source": 7},
        },
        "metadata['data_source'] is 'gsm8k', which names no route": {
            "completion": "x",
            "metadata": {"data_source": "gsm8k"},
        },
    }
    for said, item in cases.items():
        assert spec.choose(item) is None
        assert spec.unrouted_reason(item) == f"{said}; {known}"


def test_a_long_value_is_cut_in_the_reason() -> None:
    spec = routed({"route": {"field": "src", "specs": {"a": "think_format"}}})
    reason = spec.unrouted_reason({"completion": "x", "src": "y" * 10_000})
    assert len(reason) < 200 and "..." in reason


def test_field_is_one_key_never_a_dotted_path() -> None:
    spec = routed({"route": {"field": "source.name", "specs": {"a": "think_format"}}})
    assert spec.choose({"completion": "x", "metadata": {"source.name": "a"}}) == "a"
    assert spec.choose({"completion": "x", "metadata": {"source": {"name": "a"}}}) is None


def test_a_route_named_default_is_an_ordinary_route_without_a_default_spec() -> None:
    spec = routed({"route": {"field": "d", "specs": {"default": "think_format"}}})
    assert spec.choose({"completion": "x", "d": "default"}) == "default"
    assert spec.choose({"completion": "x", "d": "other"}) is None


def test_a_route_named_default_beside_a_default_spec_is_refused() -> None:
    with pytest.raises(SpecError, match="named 'default'"):
        parse_spec({"route": {"field": "d", "specs": {"default": "math"}, "default": "math"}})


def test_an_unknown_verifier_inside_a_route_names_the_route() -> None:
    spec = {"route": {"field": "d", "specs": {"gsm8k": {"maht": 1.0}}}}
    with pytest.raises(UnknownVerifierError, match=r"^route 'gsm8k': unknown verifier 'maht'"):
        parse_spec(spec)
    with pytest.raises(UnknownVerifierError) as caught:
        parse_spec(spec)
    assert caught.value.name == "maht" and "math" in caught.value.known


def test_bad_options_inside_the_default_name_the_default() -> None:
    spec = {"route": {"field": "d", "specs": {"a": "math"}, "default": {"math": {"nope": 1}}}}
    with pytest.raises(InvalidConfigError, match=r"^the default spec: "):
        parse_spec(spec)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"route": "data_source"}, "'route' must be an object"),
        ({"route": {"specs": {"a": "math"}}}, "'field' must name a metadata key"),
        ({"route": {"field": "", "specs": {"a": "math"}}}, "'field' must name a metadata key"),
        ({"route": {"field": 3, "specs": {"a": "math"}}}, "'field' must name a metadata key"),
        ({"route": {"field": "d"}}, "'specs' must be a non-empty object"),
        ({"route": {"field": "d", "specs": {}}}, "'specs' must be a non-empty object"),
        ({"route": {"field": "d", "specs": ["math"]}}, "'specs' must be a non-empty object"),
        ({"route": {"field": "d", "specs": {"": "math"}}}, "route names must be non-empty"),
        ({"route": {"field": "d", "specs": {1: "math"}}}, "route names must be non-empty"),
        ({"route": {"field": "d", "specs": {"a": {}}}}, "route 'a': the spec is empty"),
        ({"route": {"field": "d", "specs": {"a": "math"}, "dflt": "math"}}, r"\['dflt'\]"),
        ({"route": {"field": "d", "specs": {"a": "math"}}, "math": 1.0}, "only key"),
        (
            {"route": {"field": "d", "specs": {"a": {"route": {"field": "e", "specs": {}}}}}},
            "route 'a': a route's spec cannot route again",
        ),
        (
            {"route": {"field": "d", "specs": {"a": "math"}, "default": {"route": {}}}},
            "the default spec: a route's spec cannot route again",
        ),
        (
            {
                "route": {
                    "field": "d",
                    "specs": {
                        "a": {"acc": {"verifier": "math"}},
                        "b": {"acc": {"verifier": "code"}},
                    },
                }
            },
            "label 'acc' is verifier 'math' in route 'a' but 'code' in route 'b'",
        ),
    ],
)
def test_malformed_routes_are_clear_spec_errors(spec: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_a_label_may_change_weight_and_options_across_routes() -> None:
    spec = routed(
        {
            "route": {
                "field": "lang",
                "specs": {
                    "zh": {"lang": {"verifier": "language", "target": "zh", "weight": 0.5}},
                    "en": {"lang": {"verifier": "language", "target": "en"}},
                },
            }
        }
    )
    assert spec.spec_of("zh").weights == {"lang": 0.5}
    assert spec.spec_of("en").weights == {"lang": 1.0}
    assert spec.labels == ["lang"]


def test_too_many_routes_is_a_spec_error() -> None:
    # A server parses each request's spec on its request thread: it must not stall it.
    specs = {f"source-{i}": "think_format" for i in range(1025)}
    with pytest.raises(SpecError, match="1,025 routes; at most 1,024"):
        parse_spec({"route": {"field": "d", "specs": specs}})
    assert (
        len(routed({"route": {"field": "d", "specs": dict(list(specs.items())[:1024])}}).parts)
        == 1024
    )


def test_the_completion_cannot_choose_the_route() -> None:
    # The route comes from the data, never from what the model wrote: a completion that
    # spells out another source, or is itself an object with one, changes nothing.
    spec = routed(MIXED)
    for completion in ['{"data_source": "codecontests"}', "data_source: codecontests"]:
        item = {"completion": completion, "metadata": {"data_source": "openai/gsm8k"}}
        assert spec.choose(item) == "openai/gsm8k"
    chat = [{"role": "assistant", "content": "x", "data_source": "codecontests"}]
    assert spec.choose({"completion": chat}) == DEFAULT_ROUTE


class Unhashable(str):
    def __hash__(self) -> int:
        raise TypeError("no hash")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_odd_values_from_python_callers_never_crash_routing() -> None:
    spec = routed({"route": {"field": "d", "specs": {"a": "think_format"}}})
    item = {"completion": "x", "d": Unhashable("a")}
    assert spec.choose(item) is None
    assert "metadata['d'] is <Unhashable object>" in spec.unrouted_reason(item)


class Tagged(str):
    """A str subclass, as numpy.str_ from a dataframe column is."""


def test_a_str_subclass_routes_and_the_route_is_a_plain_str() -> None:
    route = routed(MIXED).choose({"completion": "x", "data_source": Tagged("codecontests")})
    assert route == "codecontests" and type(route) is str
