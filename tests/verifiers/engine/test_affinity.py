"""Pinning grading workers to cores: when it happens, and that runs inherit it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from verigrade.verifiers import Grader
from verigrade.verifiers.engine import affinity as _affinity
from verigrade.verifiers.engine.affinity import cpu_quota_set, cpus_for_workers


@pytest.fixture
def four_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_affinity, "usable_cpus", lambda: [0, 2, 5, 7])
    monkeypatch.setattr(_affinity, "cpu_quota_set", lambda: False)


@pytest.mark.usefixtures("four_cpus")
def test_auto_pins_only_with_one_worker_per_core() -> None:
    assert cpus_for_workers(4, None) == [0, 2, 5, 7]
    assert cpus_for_workers(3, None) is None  # a spare core: runs may spread onto it
    assert cpus_for_workers(6, None) is None  # more workers than cores: the scheduler shares
    assert cpus_for_workers(6, True) == [0, 2, 5, 7, 0, 2]
    assert cpus_for_workers(4, False) is None


def test_auto_leaves_a_cpu_quota_and_a_single_core_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_affinity, "usable_cpus", lambda: [0, 1])
    monkeypatch.setattr(_affinity, "cpu_quota_set", lambda: True)
    assert cpus_for_workers(2, None) is None
    assert cpus_for_workers(2, True) == [0, 1]
    monkeypatch.setattr(_affinity, "usable_cpus", lambda: [3])
    assert cpus_for_workers(1, None) is None


@pytest.mark.parametrize(
    ("membership", "files", "capped"),
    [
        ("0::/pod/grader\n", {"pod/grader/cpu.max": "200000 100000\n"}, True),
        ("0::/pod/grader\n", {"pod/grader/cpu.max": "max 100000\n"}, False),
        ("0::/\n", {}, False),
        (
            "4:memory:/x\n1:cpu,cpuacct:/job\n",
            {"cpu,cpuacct/job/cpu.cfs_quota_us": "50000\n"},
            True,
        ),
        ("1:cpu,cpuacct:/job\n", {"cpu,cpuacct/job/cpu.cfs_quota_us": "-1\n"}, False),
    ],
)
def test_cpu_quota_is_read_from_the_process_cgroup(
    tmp_path: Path, membership: str, files: dict[str, str], capped: bool
) -> None:
    (tmp_path / "cgroup").write_text(membership)
    for name, text in files.items():
        path = tmp_path / "fs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert cpu_quota_set(str(tmp_path / "cgroup"), str(tmp_path / "fs")) is capped


PRINT_CORES = "import os\nprint(len(os.sched_getaffinity(0)))"


@pytest.mark.parametrize("pin", [True, False])
def test_a_pinned_worker_and_the_programs_it_runs_stay_on_its_core(pin: bool) -> None:
    cores = len(os.sched_getaffinity(0))
    expected = 1 if pin else cores
    sample = {
        "completion": f"```python\n{PRINT_CORES}\n```",
        "reference": {"tests": [{"input": "", "output": f"{expected}\n"}]},
    }
    with Grader(workers=2, pin_workers=pin) as grader:
        assert grader.pool is not None
        pids = grader.pool.worker_pids
        placed = [os.sched_getaffinity(pid) for pid in pids]
        grades = grader.grade([sample] * 8, "code")
    usable = sorted(os.sched_getaffinity(0))
    if pin:
        assert placed == [{usable[0]}, {usable[1 % len(usable)]}]
    else:
        assert all(len(cpus) == cores for cpus in placed)
    assert [g.reward for g in grades] == [1.0] * 8, grades[0]


def test_a_replaced_worker_takes_its_predecessors_core(misbehaving: None) -> None:
    usable = sorted(os.sched_getaffinity(0))
    with Grader(workers=2, pin_workers=True) as grader:
        assert grader.pool is not None
        before = grader.pool.worker_pids
        samples = [{"completion": "x", "metadata": {"crash": i == 1}} for i in range(4)]
        grades = grader.grade(samples, "test_crash")
        after = grader.pool.worker_pids
        placed = [os.sched_getaffinity(pid) for pid in after]
    assert grades[1].verdicts["test_crash"].status == "error"  # a worker did die
    assert after != before
    assert placed == [{usable[0]}, {usable[1 % len(usable)]}]
