"""Assert-style test code (HumanEval's ``check(candidate)``) run by the judge, not the program.

The test code is trusted reference data, so it runs here, in the verifier's process, after
the optional trusted ``prelude`` (for HumanEval, the prompt). The entry point, and only it,
is a *remote function*: calling it sends the arguments to the program in the sandbox and
returns the value it sent back, rebuilt from exact plain types. Any other name the test
needs comes from the test, the prelude or the builtins, never from the program: a program
that defined HumanEval/32's ``poly`` would be writing its own judge. A test that uses a name
nobody defines is a broken reference (:class:`BrokenReference`), whatever the program. So the
program never sees a test or an expected value, cannot patch the harness, cannot end the test
early with ``exit(0)``, and cannot hand the asserts an object whose ``__eq__`` lies. What the
program raises comes back as a :class:`ProgramError` (of the built-in type it names, when
that type steers nothing: never a ``StopIteration`` that would quietly end a test's ``map``).

A round trip to the program costs ~0.1 ms of CPU, so the calls the test will make are sent
ahead in one batch and answered in order while the test runs: the calls with literal
arguments, read from the code, and, when the test computes arguments (in loops, from random
values), the calls a *dry run* of the test makes. The dry run executes the test here once
with every remote function answering an opaque placeholder, so it only records arguments;
any use of a placeholder's value ends it (see :class:`_Unknown`). An answer is only ever
used for a call with the same arguments, in order, so a dry run that went astray costs time,
never a wrong verdict.
"""

from __future__ import annotations

import ast
import builtins
import functools
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from verigrade.sandbox import Session, wire

from .preview import error_text


# Both derive from BaseException so a test's own ``except Exception`` cannot swallow them.
class RemoteTimeout(BaseException):
    """The program did not answer a call in time."""


class RemoteFailure(BaseException):
    """The program died, or answered with something that is not a value."""


class ProgramError(Exception):
    """An exception the program raised in a call, rebuilt here from its ``"Type: message"``.

    An ``Exception``, so test code that catches exceptions from the function under test
    catches this too. ``reason`` is the text the program sent; ``str()`` is its message.
    """

    reason: str = ""


#: Built-in exceptions the interpreter itself acts on when a call raises them: a
#: StopIteration from a function that ``map``, ``filter``, ``iter(f, sentinel)``, ``next(it,
#: default)`` or an iterator's ``__next__`` calls ends that iteration quietly, so
#: ``assert not any(map(candidate, xs))`` would pass; groups are split by ``except*``.
#: BaseExceptions (SystemExit, KeyboardInterrupt, GeneratorExit) are never rebuilt either.
_STEERING: tuple[type[BaseException], ...] = (
    StopIteration,
    StopAsyncIteration,
    *[getattr(builtins, n) for n in ("BaseExceptionGroup",) if hasattr(builtins, n)],  # 3.11+
)


@functools.cache
def _rebuilt_type(name: str) -> type[ProgramError]:
    """``ProgramError`` as the built-in exception ``name`` too, when it steers nothing."""
    named = getattr(builtins, name, None)
    if (
        not isinstance(named, type)
        or not issubclass(named, Exception)
        or issubclass(named, _STEERING)
        or named is Exception  # a ProgramError is one already (and no MRO holds both)
    ):
        return ProgramError
    # The built-in first, so that the instance is laid out as one; `except ValueError` in a
    # test that expects the program to raise it still works.
    try:
        rebuilt: type[ProgramError] = type(name, (named, ProgramError), {"__module__": __name__})
    except TypeError:  # a layout or MRO no class can have with both: no built-in type then
        return ProgramError
    return rebuilt


def _remote_error(reason: str) -> ProgramError:
    """The exception to raise in the test for a remote error ``"Type: message"``.

    The program chooses what it raises, and even the type's name (a class can be called
    anything), so nothing it sends may become an exception that makes the test or the judge
    do anything but fail, or catch what it catches from the function under test: only
    exceptions outside :data:`_STEERING` keep their built-in type, and the judge's own
    (:class:`RemoteTimeout`, :class:`RemoteFailure`) cannot be named.
    """
    name, _, message = reason.partition(":")
    named = getattr(builtins, name.strip(), None)
    # The named type first, then what it derives from: a UnicodeDecodeError (which wants five
    # arguments) is still caught by the test's ``except ValueError``, as UnicodeError.
    error: ProgramError = ProgramError(reason)
    for base in named.__mro__ if isinstance(named, type) else ():
        kind = _rebuilt_type(base.__name__)
        if kind is ProgramError:
            break  # steering, or nothing more specific than Exception is left
        try:  # as a built-in, str(error) is the program's own message, as a test would see it
            error = kind(message.removeprefix(" "))
            break
        except Exception:
            continue
    error.reason = reason
    return error


class Calls:
    """The test's line to the program: calls sent ahead, and the answers handed out in order.

    ``ahead`` calls of ``name`` (their arguments as ``Session.encode_arguments`` gives them)
    are sent at once; the program answers them one after another while the test runs. Each
    answer serves one later call with the same arguments; any other call goes after them,
    live.
    """

    def __init__(self, session: Session, name: str, ahead: list[str], timeout: float) -> None:
        self.session = session
        self.name = name
        self.timeout = timeout
        self.positions: dict[str, deque[int]] = {}
        for position, encoded in enumerate(ahead):
            self.positions.setdefault(encoded, deque()).append(position)
        self.answers: list[tuple[str, Any]] = []  # by position, as they arrived
        self.sent = len(ahead)
        self.live = 0  # calls that were not sent ahead
        if ahead:
            session.send(name, ahead)

    def call(self, name: str, encoded: str) -> tuple[str, Any]:
        waiting = self.positions.get(encoded) if name == self.name else None
        if waiting:
            position = waiting.popleft()
            while len(self.answers) <= position:
                self.answers.append(self.session.receive(self.timeout))
            return self.answers[position]
        while len(self.answers) < self.sent:  # answers to calls sent ahead come first
            self.answers.append(self.session.receive(self.timeout))
        self.live += 1
        return self.session.call_many_encoded(name, [encoded], self.timeout)[0]


def remote_function(calls: Calls, name: str) -> Callable[..., Any]:
    """A local stand-in for the program's function ``name``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        status, value = calls.call(name, Session.encode_arguments(args, kwargs))
        if status == "ok":
            return value
        if status == "timeout":
            raise RemoteTimeout(f"{name}: {value}")
        if isinstance(value, str) and not value.startswith(("the program", "unreadable")):
            raise _remote_error(value)
        raise RemoteFailure(f"{name}: {value}")

    call.__name__ = call.__qualname__ = name
    return call


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


@dataclass
class _Scan:
    literal_calls: list[str]
    computed_calls: bool  # a call to a callee with computed arguments, or one in a loop


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)


def _scan(tree: ast.Module, callees: set[str]) -> _Scan:
    """One pass over the test code for its calls to ``callees``: the literal ones, and whether
    there are others (computed arguments, or calls in a loop)."""
    found: list[tuple[int, int, str]] = []
    sites = 0
    loops = False
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Constant)):
            continue  # nothing inside but a context
        if isinstance(node, _LOOPS):
            loops = True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in callees:
                sites += 1
            # A ``**mapping`` (a keyword without a name) is never literal.
            if (
                isinstance(func, ast.Name)
                and func.id in callees
                and all(k.arg for k in node.keywords)
            ):
                try:
                    args = [_literal(arg) for arg in node.args]
                    kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
                    encoded = Session.encode_arguments(args, kwargs)
                except _LITERAL_ERRORS:
                    pass
                else:
                    found.append((node.lineno, node.col_offset, encoded))
        stack.extend(_children(node))
    found.sort(key=lambda item: item[:2])
    calls = [args for _, _, args in found]
    return _Scan(calls, sites > len(calls) or (loops and sites > 0))


class BrokenReference(ValueError):
    """The trusted test code or prelude does not parse or fails on its own."""


#: Most calls sent ahead of the test; the rest are made live.
_AHEAD_AT_MOST = 256
#: A dry run slower than this marks its test code as not worth one (it computes too much).
_DRY_RUN_BUDGET = 0.02
#: The name the rewritten asserts of a dry run catch (see _AssertsCannotFail).
_SKIP = "__verigrade_dry_run_skip__"
#: Nodes that could catch the dry run's stop signals, or lose them: no dry run near them.
_CATCHERS: tuple[type[ast.AST], ...] = (ast.Try, ast.With, ast.AsyncWith) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)


class _ValueNeeded(BaseException):
    """The dry run used a placeholder's value: what follows depends on the program's answer."""


class _DryRunDone(BaseException):
    """The dry run recorded as many calls as will be sent ahead."""


class _Unknown:
    """What a program's function returns in a dry run: an answer not known yet.

    Comparisons and arithmetic give another placeholder, so ``candidate(x) == y`` and
    ``abs(candidate(x) - y)`` can be evaluated; anything that would turn it into a concrete
    value (truth, length, iteration, a number, text, hashing) raises :class:`_ValueNeeded`.
    So no branch of the test ever depends on a placeholder, and the calls the dry run records
    are the ones the real run makes, as far as the dry run got.
    """

    __slots__ = ()

    def _same(self, *args: Any) -> _Unknown:
        return self

    def _stop(self, *args: Any) -> Any:
        raise _ValueNeeded

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _same  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _same
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = __invert__ = __getitem__ = _same
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = _same
    __bool__ = __len__ = __iter__ = __contains__ = __index__ = __int__ = __float__ = _stop
    __complex__ = __round__ = __str__ = __repr__ = __format__ = __hash__ = _stop
    __getattr__ = _stop


_UNKNOWN = _Unknown()


class _AssertsCannotFail(ast.NodeTransformer):
    """``assert test, msg`` becomes ``try: test`` ``except <skip>: pass`` for the dry run.

    A failed assert ends the real run; until then the calls after it are worth sending. An
    assert whose test needed a placeholder's value is skipped the same way: asserts decide
    nothing but pass or fail, so skipping one cannot change which calls come next.
    """

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        skip = ast.ExceptHandler(type=ast.Name(_SKIP, ast.Load()), name=None, body=[ast.Pass()])
        guarded = ast.Try(body=[ast.Expr(node.test)], handlers=[skip], orelse=[], finalbody=[])
        return ast.copy_location(guarded, node)


def _compile(tree: ast.Module, filename: str) -> CodeType:
    """Bytecode for trusted test code that keeps its asserts.

    ``compile`` follows the interpreter's ``-O``/``PYTHONOPTIMIZE`` by default, which strips
    asserts: every assert-style test would pass whatever the program returned.
    """
    return compile(tree, filename, "exec", optimize=0)


def _dry_run_code(test_code: str, scan: _Scan, prelude: ast.Module | None) -> CodeType | None:
    """The test code compiled for a dry run, or None when one would not help or is unsafe.

    It helps when the test makes calls that cannot be read off the code (computed arguments,
    loops). It is unsafe near code that can catch exceptions (try, with): the stop signals
    must reach the dry run's caller, or a loop that depends on a placeholder could spin.
    """
    if not scan.computed_calls:
        return None
    tree = ast.parse(test_code)  # a second copy: the first is compiled as it is
    for root in (tree, prelude) if prelude is not None else (tree,):
        if any(isinstance(node, _CATCHERS) for node in ast.walk(root)):
            return None
    tree = ast.fix_missing_locations(_AssertsCannotFail().visit(tree))
    return _compile(tree, "<test_code>")


@dataclass
class _Prepared:
    test: CodeType
    prelude: CodeType | None
    literal_calls: tuple[str, ...]
    dry_run: CodeType | None
    dry_run_worth_it: bool = True  # cleared when a dry run of this test proved too slow


@functools.lru_cache(maxsize=512)
def _prepare(test_code: str, entry_point: str, prelude: str | None) -> _Prepared:
    # An RL step grades many completions of one prompt: parse and compile its tests once.
    try:
        test_tree = ast.parse(test_code)
        prelude_tree = ast.parse(prelude) if prelude else None
    except SyntaxError as error:
        raise BrokenReference(f"does not parse: {error}") from None
    scan = _scan(test_tree, {"candidate", entry_point})
    return _Prepared(
        test=_compile(test_tree, "<test_code>"),
        prelude=_compile(prelude_tree, "<prelude>") if prelude_tree else None,
        literal_calls=tuple(scan.literal_calls[:_AHEAD_AT_MOST]),
        dry_run=_dry_run_code(test_code, scan, prelude_tree),
    )


def _namespace(prepared: _Prepared) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__verigrade_check__", "__builtins__": builtins}
    if prepared.prelude is not None:
        try:
            exec(prepared.prelude, namespace)
        except Exception as error:
            raise BrokenReference(f"the prelude fails: {type(error).__name__}: {error}") from None
    return namespace


def _dry_run(prepared: _Prepared, entry_point: str) -> list[str]:
    """The arguments (``Session.encode_arguments``) the test passes to ``entry_point``, as far
    as known.

    The ``random`` module's state is put back afterwards, so the real run draws the same
    values and makes the same calls.
    """
    assert prepared.dry_run is not None
    namespace = _namespace(prepared)
    namespace[_SKIP] = (Exception, _ValueNeeded)
    recorded: list[str] = []

    def record(*args: Any, **kwargs: Any) -> _Unknown:
        if len(recorded) >= _AHEAD_AT_MOST:
            raise _DryRunDone
        try:
            recorded.append(Session.encode_arguments(args, kwargs))
        except (wire.WireError, TypeError):
            raise _DryRunDone from None
        return _UNKNOWN

    namespace[entry_point] = record
    state = random.getstate()
    started = time.perf_counter()
    try:
        exec(prepared.dry_run, namespace)
        check = namespace.get("check")
        if callable(check) and check is not record:
            check(record)
    except (Exception, _ValueNeeded, _DryRunDone):
        pass  # recorded so far is what is known
    finally:
        random.setstate(state)
    if time.perf_counter() - started > _DRY_RUN_BUDGET:
        prepared.dry_run_worth_it = False
    return recorded


def _calls_ahead(prepared: _Prepared, entry_point: str) -> list[str]:
    literal = list(prepared.literal_calls)
    if prepared.dry_run is None or not prepared.dry_run_worth_it:
        return literal
    recorded = _dry_run(prepared, entry_point)
    # Then the literal calls the dry run did not get to (it stops where a value is needed).
    covered = Counter(recorded)
    extra = []
    for args in literal:
        if covered[args]:
            covered[args] -= 1
        else:
            extra.append(args)
    return (recorded + extra)[:_AHEAD_AT_MOST]


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
        BrokenReference: the test code or prelude does not parse, the prelude fails, or the
            test uses a name that neither it, the prelude nor the builtins define.
    """
    prepared = _prepare(test_code, entry_point, prelude)
    namespace = _namespace(prepared)
    calls = Calls(session, entry_point, _calls_ahead(prepared, entry_point), timeout)
    candidate = namespace[entry_point] = remote_function(calls, entry_point)
    try:
        exec(prepared.test, namespace)
        check = namespace.get("check")
        if callable(check) and check is not candidate:
            check(candidate)
    except RemoteTimeout as error:
        return "timeout", str(error)
    except RemoteFailure as error:
        return "failed", str(error)[:300]
    except ProgramError as error:  # before AssertionError: the program may have raised one
        return "failed", f"the program raised {error.reason[:200]}"
    except NameError as error:
        if type(error) is NameError and error.name and error.name not in namespace:
            # Not a test the program can fail: it would fail every program (and, were the
            # name looked up in the program, the program would supply its own judge).
            raise BrokenReference(
                f"the test code uses {error.name!r}, which neither it nor the prelude defines "
                f"(only {entry_point!r} comes from the program); pass the code that defines "
                "it, such as the prompt, as 'prelude'"
            ) from None
        return "failed", f"NameError: {str(error)[:200]}"
    except AssertionError as error:
        message = error_text(error)
        return "failed", f"assertion failed{': ' + message if message else ''}"
    except Exception as error:
        return "failed", f"{type(error).__name__}: {error_text(error)}"
    return "passed", "all assertions held"
