"""A real two-node Ray cluster on loopback for the RayGrader tests (one CPU a node).

Started once for the session, stopped in teardown: every process of it is killed by id
(``LocalCluster.stop``), so no Ray process outlives the tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

ray = pytest.importorskip("ray")

from verigrade.verifiers.ray.local import LocalCluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    local = LocalCluster(head_cpus=1)
    try:
        local.add_node(cpus=1)
        ray.init(address=local.address, log_to_driver=False)
        yield local
    finally:
        ray.shutdown()
        local.stop()
