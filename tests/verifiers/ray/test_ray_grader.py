"""RayGrader on a real cluster: a head and a second node started with ``ray start``.

Rewards must equal local ``grade`` item for item; when an actor or a whole node dies
mid-batch every item still comes back exactly once, in order, with the same reward.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from verigrade.verifiers import Grade, Verdict, grade
from verigrade.verifiers.ray import RayGrader
from verigrade.verifiers.ray.local import LocalCluster

SLOW = "import time\ntime.sleep(0.05)\nprint(sum(map(int, input().split())))"


def math_items(n: int) -> list[dict[str, Any]]:
    # Right, wrong, LaTeX-equivalent and answerless completions, with their own ids.
    forms = [
        r"\boxed{\frac{1}{2}}",
        r"\boxed{0.5}",
        r"\boxed{3}",
        "no answer here",
        r"\boxed{50\%}",
    ]
    return [
        {
            "id": f"m{i}",
            "completion": f"<think>work</think> {forms[i % len(forms)]}",
            "reference": "1/2",
        }
        for i in range(n)
    ]


def code_items(
    n: int, program: str = "print(sum(map(int, input().split())))"
) -> list[dict[str, Any]]:
    wrong = "print(0)"
    ref = {"tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}]}
    return [
        {"completion": f"```python\n{program if i % 3 else wrong}\n```", "reference": ref}
        for i in range(n)
    ]


def summary(grades: list[Grade]) -> list[tuple[Any, float, list[str]]]:
    return [(g.id, g.reward, [v.status for v in g.verdicts.values()]) for g in grades]


@pytest.fixture(scope="module")
def grader(cluster: LocalCluster) -> Any:
    with RayGrader(cluster.address, chunk_size=8, max_in_flight=2) as ray_grader:
        yield ray_grader


def test_one_actor_per_node(grader: RayGrader) -> None:
    assert len(grader.actors()) == 2


@pytest.mark.parametrize(
    ("items", "spec"),
    [
        (math_items(60), {"math": 1.0, "think_format": 0.5}),
        (code_items(24), "code"),
        (
            [{"completion": c} for c in ["<think>a</think> b", "no tags", "<think>x"] * 10],
            "think_format",
        ),
    ],
    ids=["math", "code", "format"],
)
def test_rewards_equal_local_grade(grader: RayGrader, items: list[Any], spec: Any) -> None:
    assert summary(grader.grade(items, spec)) == summary(grade(items, spec, workers=1))


def test_grades_equal_local_whole(grader: RayGrader) -> None:
    # Whole Grades, every Verdict field included: the workers send verdicts to the driver
    # as plain fields, and the Verdicts built from them must be the ones a local Grader
    # gives (score, status, reason and details alike).
    items = [*math_items(40), {"id": "bad", "completion": 7}]
    spec = {"math": 1.0, "think_format": 0.5}
    got = grader.grade(items, spec)
    assert got == grade(items, spec, workers=1)
    assert all(type(v) is Verdict for g in got for v in g.verdicts.values())
    assert any(v.details for g in got for v in g.verdicts.values())


def test_grade_async_and_bad_items_match_local(grader: RayGrader) -> None:
    import asyncio

    items: list[Any] = [{"completion": "<think>a</think> b"}, 42, {"completion": "x" * 10}]
    got = asyncio.run(grader.grade_async(items, "think_format"))
    assert [(g.id, g.reward) for g in got] == [
        (g.id, g.reward) for g in grade(items, "think_format", workers=1)
    ]
    assert got[1].verdicts["think_format"].status == "invalid_input"


def test_reasons_count_items_across_the_whole_batch(grader: RayGrader) -> None:
    # Chunks are 8 items: item 21 sits in the third chunk, and its reason must still say
    # "sample 21", as local grading does (not its place inside the chunk).
    items: list[Any] = [*math_items(30)]
    items[21] = 42
    items[5] = {"completion": ["not", "messages"]}
    got = grader.grade(items, "think_format")
    local = grade(items, "think_format", workers=1)
    reasons = [g.verdicts["think_format"].reason for g in got]
    assert reasons == [g.verdicts["think_format"].reason for g in local]
    assert reasons[21].startswith("sample 21:") and reasons[5].startswith("sample 5:")
    assert [g.id for g in got] == [g.id for g in local]


def _kill_when_started(grader: RayGrader, kill: Any, killed: list[float]) -> threading.Thread:
    """Kill mid-batch: once chunks are in flight; ``killed`` gets the time it happened."""

    def run() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(grader._load.values()):  # chunks are out on the actors
                time.sleep(0.3)
                kill()
                killed.append(time.monotonic())
                return
            time.sleep(0.01)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_killed_actor_mid_batch_loses_nothing(grader: RayGrader, cluster: LocalCluster) -> None:
    import ray

    items = code_items(64, SLOW)
    expected = summary(grade(items, "code", workers=1))
    victim = next(
        h for node, h in grader.actors().items() if node != ray.get_runtime_context().get_node_id()
    )
    killed: list[float] = []
    killer = _kill_when_started(grader, lambda: ray.kill(victim), killed)
    got = grader.grade(items, "code")
    finished = time.monotonic()
    killer.join()
    assert killed and killed[0] < finished  # the kill landed mid-batch
    assert summary(got) == expected  # each item exactly once, in order, same reward
    assert victim not in grader.actors().values()


def test_killed_node_mid_batch_loses_nothing(cluster: LocalCluster) -> None:
    items = code_items(64, SLOW)
    expected = summary(grade(items, "code", workers=1))
    with RayGrader(cluster.address, chunk_size=8, max_in_flight=2) as ray_grader:
        assert len(ray_grader.actors()) == 2
        # A third node joins: the grader gives it an actor (batches refresh every 5 s by
        # themselves; refresh(wait=True) does it now), then the node dies mid-batch.
        doomed = cluster.add_node(cpus=1)
        assert len(ray_grader.refresh(wait=True)) == 3
        killed: list[float] = []
        killer = _kill_when_started(ray_grader, lambda: cluster.kill_node(doomed), killed)
        started = time.monotonic()
        got = ray_grader.grade(items, "code")
        finished = time.monotonic()
        killer.join()
        assert killed and killed[0] < finished  # the kill landed mid-batch
        assert summary(got) == expected
        assert finished - started < 90


def test_concurrent_batches_share_the_in_flight_bound(cluster: LocalCluster) -> None:
    # One chunk in flight per actor for all batches together: the rest wait in the driver.
    batches = [math_items(30 + 7 * k) for k in range(4)]
    spec = {"math": 1.0, "think_format": 0.5}
    with RayGrader(cluster.address, chunk_size=4, max_in_flight=1) as ray_grader:
        futures = [ray_grader.submit(batch, spec) for batch in batches]
        got = [summary(f.result(timeout=120)) for f in futures]
        assert all(load == 0 for load in ray_grader._load.values())
    assert got == [summary(grade(batch, spec, workers=1)) for batch in batches]


def test_graders_with_the_same_settings_share_the_node_actors(
    grader: RayGrader, cluster: LocalCluster
) -> None:
    # serve --ray with several HTTP workers: each makes a RayGrader; one actor per node
    # must serve them all. Closing a grader that only borrowed the actors leaves them up.
    items = math_items(20)
    spec = {"math": 1.0, "think_format": 0.5}
    grader.refresh(wait=True)  # earlier tests killed an actor and a whole node
    with RayGrader(cluster.address, chunk_size=8, max_in_flight=2) as borrower:
        mine, theirs = grader.actors(), borrower.actors()
        common = mine.keys() & theirs.keys()
        assert common and all(mine[node] == theirs[node] for node in common)
        assert summary(borrower.grade(items, spec)) == summary(grade(items, spec, workers=1))
    assert summary(grader.grade(items, spec)) == summary(grade(items, spec, workers=1))
    # Other settings make another Grader inside the actor: those never share.
    with RayGrader(cluster.address, timeout=7.0) as other:
        assert set(other.actors().values()).isdisjoint(grader.actors().values())


def test_routed_spec_matches_local_grading(grader: RayGrader) -> None:
    # A mixed batch: each sample's route picks its sub-spec; one route's samples are
    # spread over chunks of both actors; unrouted and malformed items keep their place.
    spec = {
        "route": {
            "field": "data_source",
            "specs": {"gsm8k": {"math": 1.0, "think_format": 0.5}, "fmt": "think_format"},
        }
    }
    items: list[Any] = []
    for i, item in enumerate(math_items(40)):
        source = ["gsm8k", "fmt", "gsm8k", "wiki"][i % 4]
        items.append({**item, "metadata": {"data_source": source}})
    items[9] = 42
    got = grader.grade(items, spec)
    local = grade(items, spec, workers=1)
    assert [(g.id, g.reward, g.route) for g in got] == [(g.id, g.reward, g.route) for g in local]
    assert [{k: (v.status, v.reason) for k, v in g.verdicts.items()} for g in got] == [
        {k: (v.status, v.reason) for k, v in g.verdicts.items()} for g in local
    ]
    assert {g.route for g in got} == {"gsm8k", "fmt", None}
