"""The public surface: names re-exported once, sorted, all importable."""

from __future__ import annotations

import verigrade.verifiers as api


def test_all_is_sorted_and_complete() -> None:
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name


def test_module_docstring_example_runs() -> None:
    spec = {"think_format": 1.0, "language": {"weight": 0.5, "target": "en"}}
    result = api.grade([{"completion": "<think>two plus two</think> 4"}], spec, workers=0)
    assert result[0].reward == 1.5
