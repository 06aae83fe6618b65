"""Assert-style test code (HumanEval's ``check(candidate)``) run by the judge, not the program.

The test code is trusted reference data, so it runs here, in the verifier's process. Every
name it uses that neither it nor the optional trusted ``prelude`` defines (the entry point
first of all) becomes a *remote function*: calling it sends the arguments to the program in
the sandbox and returns the value it sent back, rebuilt from exact plain types. So the
program never sees a test or an expected value, cannot patch the harness, cannot end the test
early with ``exit(0)``, and cannot hand the asserts an object whose ``__eq__`` lies.
"""

from __future__ import annotations

import ast
import builtins
import functools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from verigrade.sandbox import Session, wire


# Both derive from BaseException so a test's own ``except Exception`` cannot swallow them.
class RemoteTimeout(BaseException):
    """The program did not answer a call in time."""


class RemoteFailure(BaseException):
    """The program died, or answered with something that is not a value."""


def _exception_type(reason: str) -> type[BaseException]:
    """The built-in exception a remote error names, so tests that expect one still work."""
    name = reason.partition(":")[0].strip()
    candidate = getattr(builtins, name, None)
    if isinstance(candidate, type) and issubclass(candidate, Exception):
        return candidate
    return RemoteFailure


Answers = dict[str, deque[tuple[str, Any]]]


def remote_function(
    session: Session, name: str, timeout: float, prefetched: Answers | None = None
) -> Callable[..., Any]:
    """A local stand-in for the program's function ``name``.

    ``prefetched`` holds answers already fetched for known argument lists (keyed by their
    wire text); each is used once, in order, before asking the program again.
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("keyword arguments are not sent to the program")
        encoded = wire.encode(list(args))  # the prefetch key and what is sent, made once
        waiting = prefetched.get(encoded) if prefetched else None
        if waiting:
            status, value = waiting.popleft()
        else:
            status, value = session.call_many_encoded(name, [encoded], timeout)[0]
        if status == "ok":
            return value
        if status == "timeout":
            raise RemoteTimeout(f"{name}: {value}")
        if isinstance(value, str) and not value.startswith(("the program", "unreadable")):
            raise _exception_type(value)(value)
        raise RemoteFailure(f"{name}: {value}")

    call.__name__ = call.__qualname__ = name
    return call


_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, RecursionError, wire.WireError)


#: Fields that never hold a name, a call or a binding: operators and load/store contexts.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` less operators and contexts, as a list, without generators."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _bind(node: ast.AST, names: set[str]) -> None:
    """Add the names ``node`` itself binds (not those of statements nested in it)."""
    if isinstance(node, _BINDERS):
        names.add(node.name)
    elif isinstance(node, _IMPORTS):
        names.update((a.asname or a.name).split(".")[0] for a in node.names)
    elif isinstance(node, _ASSIGNS):
        stack: list[ast.AST] = list(node.targets) if isinstance(node, ast.Assign) else [node.target]
        while stack:
            target = stack.pop()
            if isinstance(target, ast.Name):
                names.add(target.id)
            stack.extend(_children(target))


def _bound_names(tree: ast.Module) -> set[str]:
    """Names the module binds at its top level, or anywhere inside a top-level if/try."""
    names: set[str] = set()
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            _bind(sub, names)
    return names


def _literal(node: ast.AST) -> Any:
    """``ast.literal_eval(node)``, with the common shapes done here without its closures."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple([_literal(item) for item in node.elts])
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(key) for key in node.keys if key is not None]
        return dict(zip(keys, [_literal(value) for value in node.values], strict=True))
    return ast.literal_eval(node)  # the rest (signs, sets, complex sums) and every refusal


#: Whether a node binds names (as ``_bound_names`` finds them): not at all, by itself (a
#: top-level statement), or with everything inside it (within a top-level if/try).
_NONE, _SELF, _ALL = 0, 1, 2


def _scan(tree: ast.Module, callees: set[str]) -> tuple[set[str], set[str], list[str]]:
    """One pass over the test code: names read, names bound, and literal calls to ``callees``.

    The same answers as three ``ast.walk`` passes (every ``Name``, :func:`_bound_names`, the
    literal calls) gave; each of those cost about what parsing the test code does.
    """
    used: set[str] = set()
    bound: set[str] = set()
    found: list[tuple[int, int, str]] = []
    stack: list[tuple[ast.AST, int]] = [(node, _SELF) for node in tree.body]
    while stack:
        node, binds = stack.pop()
        if isinstance(node, ast.Name):
            used.add(node.id)
            continue  # its only child is the context
        if isinstance(node, ast.Constant):
            continue
        if binds:
            _bind(node, bound)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in callees and not node.keywords:
                try:
                    encoded = wire.encode([_literal(arg) for arg in node.args])
                except _LITERAL_ERRORS:
                    pass
                else:
                    found.append((node.lineno, node.col_offset, encoded))
        if binds == _ALL or (binds == _SELF and isinstance(node, (ast.If, ast.Try))):
            inner = _ALL
        else:
            inner = _NONE
        for child in _children(node):
            stack.append((child, inner))
    found.sort(key=lambda item: item[:2])
    return used, bound, [args for _, _, args in found]


def literal_calls(tree: ast.Module, names: set[str], limit: int = 256) -> list[str]:
    """Argument lists (``wire`` text) of calls to ``names`` with literal arguments, in order.

    HumanEval's checks are mostly ``assert candidate(<literals>) == <literal>``; sending all
    those calls in one batch saves a round trip per assert. Calls inside loops or with
    computed arguments are left to be made live.
    """
    return _scan(tree, names)[2][:limit]


def _prefetch(session: Session, name: str, calls: list[str], timeout: float) -> Answers:
    answers: Answers = {}
    for encoded, answer in zip(
        calls, session.call_many_encoded(name, calls, timeout), strict=False
    ):
        answers.setdefault(encoded, deque()).append(answer)
    return answers


def _program_names(used: set[str], bound: set[str]) -> set[str]:
    return {n for n in used - bound if not hasattr(builtins, n)}


def program_names(test_code: ast.Module, prelude: ast.Module | None) -> set[str]:
    """Names the test code reads that must come from the program."""
    used, bound, _ = _scan(test_code, set())
    return _program_names(used, bound | (_bound_names(prelude) if prelude else set()))


class BrokenReference(ValueError):
    """The trusted test code or prelude does not parse or fails on its own."""


@dataclass(frozen=True)
class _Prepared:
    test: CodeType
    prelude: CodeType | None
    program_names: frozenset[str]
    literal_calls: tuple[str, ...]


@functools.lru_cache(maxsize=512)
def _prepare(test_code: str, entry_point: str, prelude: str | None) -> _Prepared:
    # An RL step grades many completions of one prompt: parse and compile its tests once.
    try:
        test_tree = ast.parse(test_code)
        prelude_tree = ast.parse(prelude) if prelude else None
    except SyntaxError as error:
        raise BrokenReference(f"does not parse: {error}") from None
    used, bound, calls = _scan(test_tree, {"candidate", entry_point})
    if prelude_tree is not None:
        bound |= _bound_names(prelude_tree)
    return _Prepared(
        test=compile(test_tree, "<test_code>", "exec"),
        prelude=compile(prelude_tree, "<prelude>", "exec") if prelude_tree else None,
        program_names=frozenset(_program_names(used, bound) | {entry_point}),
        literal_calls=tuple(calls[:256]),
    )


def run_check(
    session: Session,
    test_code: str,
    entry_point: str,
    prelude: str | None,
    timeout: float,
) -> tuple[str, str]:
    """Run the test code against the program; ``(outcome, reason)``.

    ``outcome`` is ``"passed"``, ``"failed"`` or ``"timeout"``.

    Raises:
        BrokenReference: the test code or prelude does not parse, or the prelude fails.
    """
    prepared = _prepare(test_code, entry_point, prelude)
    namespace: dict[str, Any] = {"__name__": "__verigrade_check__", "__builtins__": builtins}
    if prepared.prelude is not None:
        try:
            exec(prepared.prelude, namespace)
        except Exception as error:
            raise BrokenReference(f"the prelude fails: {type(error).__name__}: {error}") from None
    calls = list(prepared.literal_calls)
    prefetched = _prefetch(session, entry_point, calls, timeout) if calls else None
    for name in prepared.program_names:
        namespace[name] = remote_function(session, name, timeout)
    namespace[entry_point] = remote_function(session, entry_point, timeout, prefetched)
    candidate = namespace[entry_point]
    try:
        exec(prepared.test, namespace)
        check = namespace.get("check")
        if callable(check) and check is not candidate:
            check(candidate)
    except RemoteTimeout as error:
        return "timeout", str(error)
    except RemoteFailure as error:
        return "failed", str(error)[:300]
    except AssertionError as error:
        return "failed", f"assertion failed{': ' + str(error)[:200] if str(error) else ''}"
    except Exception as error:
        return "failed", f"{type(error).__name__}: {str(error)[:200]}"
    return "passed", "all assertions held"
