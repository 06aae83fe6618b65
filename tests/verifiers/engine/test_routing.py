"""Grading a mixed-domain batch against a routed spec through real worker processes."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from verigrade.verifiers import Grade, Grader, RewardSpec, Sample, Verdict, parse_spec
from verigrade.verifiers.engine.routing import gather

from ..shared_data import shared_rows
from .conftest import sample

ROUTES: dict[str, Any] = {
    "math": {"math": 1.0, "think_format": 0.1},
    "chat": {"think_format": 1.0, "repetition": 0.5},
}
DEFAULT: dict[str, Any] = {"think_format": 1.0}
WITH_DEFAULT = {"route": {"field": "data_source", "specs": ROUTES, "default": DEFAULT}}
NO_DEFAULT = {"route": {"field": "data_source", "specs": ROUTES}}

CHAT = [
    "<think>they greet me</think> Hello!",
    "Hello hello hello hello hello hello hello hello hello hello hello hello",
    "<think>plan</think><think>again</think> answer",
    "<think>a b c d e f g h</think> the answer is the answer is the answer is",
]


def mixed_batch(seed: int = 7) -> list[dict[str, Any]]:
    """Real math answers, chat replies, unknown and missing sources, interleaved."""
    rows = shared_rows("math_real_responses.jsonl")[::20]  # 40 rows, 100 problems apart
    items: list[dict[str, Any]] = [
        {
            "id": row["id"],
            "completion": row["completion"],
            "reference": row["reference"],
            "metadata": {"data_source": "math"},
        }
        for row in rows
    ]
    items += [
        {"id": f"chat-{i}", "completion": CHAT[i % 4], "data_source": "chat"} for i in range(16)
    ]
    items += [
        {"id": f"other-{i}", "completion": CHAT[i % 4], "metadata": {"data_source": "wiki"}}
        for i in range(6)
    ]
    items += [{"id": f"none-{i}", "completion": CHAT[i % 4]} for i in range(4)]
    items += [{"id": f"int-{i}", "completion": CHAT[i % 4], "data_source": 3} for i in range(2)]
    random.Random(seed).shuffle(items)
    return items


def expected_route(item: dict[str, Any]) -> str:
    source = item.get("metadata", {}).get("data_source", item.get("data_source"))
    return source if source in ROUTES else "default"


def test_a_mixed_batch_equals_each_part_graded_with_its_own_spec(grader: Grader) -> None:
    items = mixed_batch()
    grades = grader.grade(items, WITH_DEFAULT)
    assert [g.id for g in grades] == [item["id"] for item in items]  # one each, in order
    by_route: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_route.setdefault(expected_route(item), []).append(i)
    assert set(by_route) == {"math", "chat", "default"}
    for route, indexes in by_route.items():
        own = grader.grade([items[i] for i in indexes], ROUTES.get(route, DEFAULT))
        for i, alone in zip(indexes, own, strict=True):
            assert grades[i].route == route
            assert (grades[i].id, grades[i].reward) == (alone.id, alone.reward)
            assert grades[i].verdicts == alone.verdicts
    # The math route really graded: some of the real answers are right, some wrong.
    math_scores = {grades[i].verdicts["math"].score for i in by_route["math"]}
    assert math_scores == {0.0, 1.0}


def test_in_process_grading_routes_the_same(grader: Grader) -> None:
    items = mixed_batch(seed=3)[:30]
    with Grader(workers=0) as local:
        here = local.grade(items, WITH_DEFAULT)
    there = grader.grade(items, WITH_DEFAULT)
    assert [(g.id, g.route, g.reward, g.verdicts) for g in here] == [
        (g.id, g.route, g.reward, g.verdicts) for g in there
    ]


def test_without_a_default_each_unroutable_sample_gets_one_invalid_grade(grader: Grader) -> None:
    items = mixed_batch()
    grades = grader.grade(items, NO_DEFAULT)
    assert len(grades) == len(items)
    labels = ["math", "think_format", "repetition"]  # every route's labels, first-seen order
    for i, (item, grade) in enumerate(zip(items, grades, strict=True)):
        assert grade.id == item["id"]
        if expected_route(item) != "default":
            assert grade.route == expected_route(item) and grade.ok
            continue
        assert grade.route is None and grade.reward == 0.0
        assert list(grade.verdicts) == labels
        for verdict in grade.verdicts.values():
            assert verdict.status == "invalid_input" and verdict.score == 0.0
            assert verdict.reason.startswith(f"sample {i}: ")
            assert "metadata['data_source']" in verdict.reason
            assert "routes: 'math', 'chat'; the spec has no default" in verdict.reason
    reasons = {
        g.verdicts["math"].reason.split(": ", 1)[1].split(";")[0] for g in grades if not g.route
    }
    assert reasons == {
        "metadata['data_source'] is 'wiki', which names no route",
        "the sample has no metadata['data_source'] to route by",
        "metadata['data_source'] is 3 (int), not a string",
    }


def test_ids_and_reasons_use_the_index_in_the_whole_batch(grader: Grader) -> None:
    # A route's part is graded as its own job: ids and reasons must still say where each
    # item is in the caller's batch, not in its part.
    items: list[Any] = [
        {"completion": "<think>a</think> b", "data_source": "chat"},
        {"completion": "\\boxed{2}", "reference": "2", "data_source": "math"},
        {"data_source": "math"},  # no completion: invalid, but its route is known
        {"completion": "x" * 50, "data_source": "chat"},  # over max_chars below
        "not a sample",  # no route and no sample: says what is wrong with it
        Sample("<think>s</think> t", metadata={"data_source": "chat"}),
    ]
    with Grader(workers=2, max_chars=40) as small:
        grades = small.grade(items, NO_DEFAULT)
    assert [g.id for g in grades] == [0, 1, 2, 3, 4, 5]
    assert [g.route for g in grades] == ["chat", "math", "math", "chat", None, "chat"]
    assert [g.reward for g in grades] == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert grades[2].verdicts["math"].reason == "sample 2: no 'completion' field"
    assert list(grades[2].verdicts) == ["math", "think_format"]  # its route's labels
    assert grades[3].verdicts["repetition"].reason.startswith("sample 3: completion has 50")
    assert grades[4].verdicts["math"].reason == "sample 4: a sample must be an object, got str"


class RouteTagged:
    """A RouteFinisher: each sample finished as (route, labels, reward) in its worker."""

    def __init__(self, route: str | None = None, spec: RewardSpec | None = None) -> None:
        self.route, self.spec = route, spec

    def for_route(self, route: str | None, spec: RewardSpec) -> RouteTagged:
        return RouteTagged(route, spec)

    def __call__(self, verdicts: list[Verdict]) -> tuple[str | None, list[tuple[str, str]], float]:
        assert self.spec is not None
        weights = self.spec.weights
        reward = sum(w * v.score for w, v in zip(weights.values(), verdicts, strict=True))
        return self.route, [(v.status, v.reason) for v in verdicts], reward


@pytest.mark.parametrize("wrap", [dict, lambda item: [item]])  # raw path, checked-here path
def test_submit_finished_finishes_each_route_with_its_own_finisher(
    grader: Grader, wrap: Callable[[Any], Any]
) -> None:
    items = mixed_batch()[:40]
    items[5] = {"id": "bad", "data_source": "math"}  # routed, then found invalid
    if wrap is not dict:  # one odd item sends the batch down the checked-here path
        items.append(wrap(items[0]))
    rows = grader.submit_finished(items, NO_DEFAULT, RouteTagged()).result()
    grades = grader.grade(items, NO_DEFAULT)
    assert len(rows) == len(items)
    for (row_id, (route, statuses, reward)), grade in zip(rows, grades, strict=True):
        assert (row_id, route) == (grade.id, grade.route)
        assert statuses == [(v.status, v.reason) for v in grade.verdicts.values()]
        assert reward == pytest.approx(grade.reward)


def test_submit_finished_needs_a_route_finisher_for_a_routed_spec(grader: Grader) -> None:
    with pytest.raises(TypeError, match="for_route"):
        grader.submit_finished([sample(0)], NO_DEFAULT, lambda verdicts: 0)


def test_each_route_keeps_its_own_per_item_deadline(fresh: Grader) -> None:
    # test_sleep's own deadline is 1 s: the slow route's stuck items time out, the other
    # route's items are graded, each item once, in order.
    spec = {
        "route": {
            "field": "kind",
            "specs": {"slow": "test_sleep", "fast": "think_format"},
        }
    }
    items = [
        {"id": i, "completion": "<think>a</think> b", "kind": "slow" if i % 3 == 0 else "fast"}
        for i in range(12)
    ]
    items[0]["metadata"] = {"sleep": 30}
    items[3]["metadata"] = {"sleep": 0.05}
    grades = fresh.grade(items, spec)
    assert [g.id for g in grades] == list(range(12))
    assert grades[0].verdicts["test_sleep"].status == "timeout"
    assert grades[3].verdicts["test_sleep"].status == "ok"
    assert all(g.verdicts["think_format"].score == 1.0 for g in grades if g.route == "fast")


def test_a_batch_deadline_covers_every_route(fresh: Grader) -> None:
    spec = {"route": {"field": "kind", "specs": {"slow": "test_sleep", "fast": "think_format"}}}
    items = [
        {"id": i, "completion": "<think>a</think> b", "kind": "slow" if i < 2 else "fast"}
        for i in range(8)
    ]
    items[0]["metadata"] = {"sleep": 60}  # holds one worker; the other grades the rest
    grades = fresh.grade(items, spec, timeout=30, deadline=1)
    assert [g.id for g in grades] == list(range(8))
    assert [g.verdicts["test_sleep"].status for g in grades[:2]] == ["timeout", "ok"]
    assert "batch deadline" in grades[0].verdicts["test_sleep"].reason
    assert [g.reward for g in grades[2:]] == [1.0] * 6


def test_cancelling_a_routed_batch_cancels_every_route(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    spec = {"route": {"field": "kind", "specs": {"a": "test_sleep", "b": "test_sleep"}}}
    items = [
        {"id": i, "completion": "x", "kind": "ab"[i % 2], "metadata": {"sleep": 60}}
        for i in range(40)
    ]
    future = fresh.submit(items, spec, timeout=30)
    for _ in range(200):  # bounded: until both workers hold a chunk
        if pool.busy_workers == 2:
            break
        time.sleep(0.01)
    assert future.cancel()
    for _ in range(500):  # bounded: both routes' queued chunks dropped, workers freed
        if pool.queue_depth == 0 and pool.busy_workers == 0:
            break
        time.sleep(0.01)
    assert (pool.queue_depth, pool.busy_workers) == (0, 0)
    assert [g.route for g in fresh.grade(items[:2], spec, timeout=30, deadline=0.5)] == ["a", "b"]


def test_bad_arguments_fail_before_any_work(grader: Grader) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive"):
        grader.submit([sample(0)], NO_DEFAULT, timeout=0)
    with Grader(workers=0) as local, pytest.raises(ValueError, match="needs worker processes"):
        local.submit([sample(0)], NO_DEFAULT, deadline=1)


def test_an_empty_batch_and_an_all_unrouted_batch() -> None:
    with Grader(workers=0) as local:
        assert local.grade([], NO_DEFAULT) == []
        [grade] = local.grade([{"completion": "x"}], NO_DEFAULT)
    assert grade.route is None and grade.verdicts["math"].status == "invalid_input"


def test_grade_to_dict_names_the_route() -> None:
    with Grader(workers=0) as local:
        routed, unrouted = local.grade(
            [{"completion": "<think>a</think> b", "data_source": "chat"}, {"completion": "b"}],
            NO_DEFAULT,
        )
        [plain] = local.grade([{"completion": "<think>a</think> b"}], "think_format")
    assert list(routed.to_dict()) == ["id", "reward", "route", "verdicts"]
    assert routed.to_dict()["route"] == "chat"
    assert list(unrouted.to_dict()) == ["id", "reward", "verdicts"]
    assert list(plain.to_dict()) == ["id", "reward", "verdicts"]


# -- the join, with plain futures ------------------------------------------------------


def test_gather_puts_each_part_at_its_indexes() -> None:
    first: Future[list[str]] = Future()
    second: Future[list[str]] = Future()
    joined = gather(5, {2: "known"}, [([0, 3], first), ([1, 4], second)])
    second.set_result(["b1", "b4"])
    assert not joined.done()
    first.set_result(["a0", "a3"])
    assert joined.result(timeout=0) == ["a0", "b1", "known", "a3", "b4"]


def test_gather_fails_on_a_failed_part_and_cancels_the_rest() -> None:
    first: Future[list[int]] = Future()
    second: Future[list[int]] = Future()
    joined = gather(2, {}, [([0], first), ([1], second)])
    first.set_exception(RuntimeError("pool stopped"))
    with pytest.raises(RuntimeError, match="pool stopped"):
        joined.result(timeout=0)
    assert second.cancelled()


def test_cancelling_the_join_cancels_the_parts() -> None:
    parts: list[Future[list[int]]] = [Future(), Future()]
    joined = gather(2, {}, [([0], parts[0]), ([1], parts[1])])
    assert joined.cancel()
    assert all(part.cancelled() for part in parts)


def test_routed_grades_are_grades() -> None:
    # What callers type against: the same Grade, with its route.
    spec = parse_spec(NO_DEFAULT)
    with Grader(workers=0) as local:
        [grade] = local.grade([{"completion": "<think>a</think> b", "data_source": "chat"}], spec)
    assert isinstance(grade, Grade) and grade.route == "chat"


def test_a_crash_in_one_route_costs_only_its_item(fresh: Grader) -> None:
    spec = {"route": {"field": "kind", "specs": {"risky": "test_crash", "safe": "think_format"}}}
    items = [
        {"id": i, "completion": "<think>a</think> b", "kind": "risky" if i % 2 else "safe"}
        for i in range(10)
    ]
    items[3]["metadata"] = {"crash": True}
    grades = fresh.grade(items, spec)
    assert [g.id for g in grades] == list(range(10))
    assert grades[3].verdicts["test_crash"].status == "error"
    assert all(g.reward == 1.0 for i, g in enumerate(grades) if i != 3)
