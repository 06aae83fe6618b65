"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from verigrade.verifiers import Grader, register, unregister


@pytest.fixture(scope="session")
def misbehaving() -> Iterator[None]:
    """Register the test-only verifiers of tests/verifiers/plugins.py."""
    from tests.verifiers.plugins import ALL

    for cls in ALL:
        register(cls)
    yield
    for cls in ALL:
        unregister(cls.name)


@pytest.fixture(scope="session")
def grader(misbehaving: None) -> Iterator[Grader]:
    """A two-worker Grader shared by the tests that need real processes."""
    with Grader(workers=2) as g:
        yield g
