"""Normalized answer text -> a small tree: numbers, expressions, sets, tuples, intervals, relations.

The structure is read here, by hand, so that sympy only ever sees single
expressions (and so that ``(1,2)`` can be a point or an interval, ``[1,2)`` is an
interval, ``\\{1,2\\}`` a set, ``1,2`` a list of answers). Parsing is cached: in GRPO
the same gold is graded once per generation.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .normalize import drop_units, normalize, only_text, undouble
from .numbers import Num, parse_number

MAX_ANSWER_CHARS = 4000
"""Longer answers are rejected outright. The real guards against blow-ups are structural
(nesting, items, terms, exponents: see ``sym``); this cap only bounds the work of the
text passes. A gold that is a whole reference solution is cut down to its final answer
before it gets here (``verifier.parse_gold``), so a long honest gold is not refused."""
MAX_NESTING = 40
MAX_ITEMS = 64


class Rejected(Exception):
    """An answer too big or too deep to judge safely; becomes ``invalid_input``."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """One expression; ``num`` is set when it is a plain number (no sympy needed)."""

    text: str
    num: Num | None = None


@dataclass(frozen=True, slots=True)
class Words:
    """A textual answer (``\\text{Evelyn}``) or a multiple-choice letter (``(C)``)."""

    text: str
    choice: bool = False


@dataclass(frozen=True, slots=True)
class Seq:
    """``tuple``: ``(a, b)`` (order matters); ``set``: ``\\{a, b\\}``; ``list``: ``a, b``."""

    kind: Literal["tuple", "set", "list"]
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval; each end open or closed."""

    lo: Node
    hi: Node
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class Union:
    """``A \\cup B \\cup ...``."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """``lhs op rhs`` with ``op`` one of ``=``, ``!=``, ``<``, ``<=`` (``>`` is stored flipped)."""

    op: Literal["=", "!=", "<", "<="]
    lhs: Node
    rhs: Node


@dataclass(frozen=True, slots=True)
class Matrix:
    """A matrix or vector written with a ``pmatrix``/``bmatrix`` environment."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True, slots=True)
class SetExpr:
    """A set sympy must read as a whole (``\\mathbb{R}\\setminus\\{0\\}``)."""

    text: str


Node = Leaf | Words | Seq | Interval | Union | Relation | Matrix | SetExpr

_OPEN, _CLOSE = "([{", ")]}"
_RELATIONS = (
    ("\\le", "<="),
    ("\\ge", ">="),
    ("\\ne", "!="),
    ("\\lt", "<"),
    ("\\gt", ">"),
    ("<=", "<="),
    (">=", ">="),
    ("<", "<"),
    (">", ">"),
    ("!=", "!="),  # before "=": ASCII "x != 3" is not the factorial "x!" equal to 3
    ("=", "="),
)
_CHOICE = re.compile(r"^\(?([A-E])\)?$")
# "(B) 5" or "(B)\ 5": a multiple-choice answer that also restates the option.
_CHOICE_PREFIX = re.compile(r"^\(([A-E])\)(?![,\]])")
_PM = re.compile(r"\\pm(?![a-zA-Z])")
# "|z|": the absolute value of one variable, as the middle of "1 \le |z| \le 2".
_ABS_SYMBOL = re.compile(r"^\|[a-zA-Z](?:_\{?\w+\}?)?\|$")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z' -]{2,}$")
_MATRIX = re.compile(r"^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?(.*)\\end\{\1\}$", re.DOTALL)


@lru_cache(maxsize=8192)
def parse_answer(raw: str) -> Node:
    """Parse one raw answer (as extracted, or a gold).

    Raises:
        Rejected: the answer is too long or nested too deeply to judge.
    """
    if len(raw) > MAX_ANSWER_CHARS:
        raise Rejected(f"answer has {len(raw)} characters, over {MAX_ANSWER_CHARS}")
    raw = undouble(raw)
    words = only_text(raw)
    if words is not None:
        return _words(words)
    text = normalize(raw)
    if _depth(text) > MAX_NESTING:
        raise Rejected(f"answer nested deeper than {MAX_NESTING} brackets")
    return _parse(text)


def _words(text: str) -> Words:
    m = _CHOICE.match(text.strip())
    if m:
        return Words(m.group(1), choice=True)
    return Words(" ".join(text.lower().replace("\\", "").split()))


def _parse(text: str) -> Node:
    num = _number(text)
    if num is not None:
        return Leaf(text, num)
    m = _CHOICE.match(text) or _CHOICE_PREFIX.match(text)
    if m:
        return Words(m.group(1), choice=True)
    if "\\setminus" in text or "\\mathbb" in text or "\\emptyset" in text or "\\varnothing" in text:
        return SetExpr(text)
    parts = _split_top(text, "\\cup")
    if len(parts) > 1:
        return Union(tuple(_parse(p) for p in parts))
    m = _MATRIX.match(text)
    if m:
        rows = [r for r in m.group(2).split("\\\\") if r.strip()]
        return Matrix(tuple(tuple(_parse(c.strip()) for c in r.split("&")) for r in rows))
    if text.startswith("\\{") and text.endswith("\\}") and _closes_at_end(text, 1):
        inner = text[2:-2]
        return Seq("set", _items(_split_top(inner, ",")) if inner else ())
    if text.startswith("{") and text.endswith("}") and _closes_at_end(text, 0):
        # Unescaped braces only group in LaTeX: "{1,3}" is the list 1, 3 (a set
        # would be written \{1,3\}); "{-2021, 2021}" is two answers, not one value.
        return _parse(text[1:-1].strip())
    if text[:1] in "([" and text[-1:] in ")]" and _closes_at_end(text, 0):
        return _bracketed(text)
    items = _split_commas(text)
    if len(items) > 1:
        if len(items) > MAX_ITEMS:
            raise Rejected(f"more than {MAX_ITEMS} items")
        return Seq("list", _items(items))
    relation = _relation(text)
    if relation is not None:
        return relation
    pm = _split_top(text, "\\pm")
    if len(pm) == 2:
        head, tail = pm
        return Seq("set", (_parse(f"{head}+{tail}" if head else tail), _parse(f"{head}-{tail}")))
    if len(_PM.findall(text)) == 1:
        # "\frac{-1 \pm \sqrt{13}}{4}": a \pm inside a fraction is still two values.
        return Seq("set", (_parse(_PM.sub("+", text)), _parse(_PM.sub("-", text))))
    if _WORDS.match(text) and " " in text:
        return Words(text.lower())
    return Leaf(text)


def _split_commas(text: str) -> list[str]:
    # Commas separate answers ("x=2, x=3"), except thousands groups ("x = 10,000").
    parts: list[str] = []
    for part in _split_top(text, ","):
        if parts and re.fullmatch(r"\d{3}", part) and parts[-1][-1:].isdigit():
            parts[-1] += "," + part
        else:
            parts.append(part)
    return parts


def _items(parts: list[str]) -> tuple[Node, ...]:
    # "\{1\pm\sqrt{5}, -2\}" is three answers, not a pair inside a set.
    nodes: list[Node] = []
    for part in parts:
        if not part:
            continue
        node = _parse(drop_units(part))
        if isinstance(node, Seq) and node.kind == "set" and "\\pm" in part:
            nodes.extend(node.items)
        else:
            nodes.append(node)
    return tuple(nodes)


def _number(text: str) -> Num | None:
    num = parse_number(text)
    if num is None and " " in text and "/" not in text:
        num = parse_number(text.replace(" ", ""))
    return num


def _bracketed(text: str) -> Node:
    inner = text[1:-1]
    if inner.startswith("\\begin{") and _MATRIX.match(inner):
        return _parse(inner)  # "\left[\begin{array}...\right]": brackets drawn round a matrix
    items = _split_top(inner, ",")
    if len(items) == 1:
        if text[0] == "(" and text[-1] == ")":
            return _parse(inner)
        return Seq("tuple", (_parse(inner),))
    if len(items) > MAX_ITEMS:
        raise Rejected(f"more than {MAX_ITEMS} items")
    nodes = tuple(_parse(p) for p in items)
    if len(nodes) == 2 and (text[0] == "[" or text[-1] == "]" or "\\infty" in inner):
        return Interval(nodes[0], nodes[1], text[0] == "[", text[-1] == "]")
    return Seq("tuple", nodes)


def _relation(text: str) -> Node | None:
    found: list[tuple[int, int, str]] = []
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0:
            for token, op in _RELATIONS:
                if text.startswith(token, i) and not (
                    token[0] == "\\" and text[i + len(token) : i + len(token) + 1].isalpha()
                ):
                    found.append((i, i + len(token), op))
                    i += len(token) - 1
                    break
        i += 1
    if not found:
        return None
    pieces = [text[: found[0][0]]]
    pieces += [text[a[1] : b[0]] for a, b in itertools.pairwise(found)]
    pieces.append(text[found[-1][1] :])
    pieces = [p.strip() for p in pieces]
    if any(not p for p in pieces):
        return None
    ops = [op for _, _, op in found]
    if len(ops) == 2 and ({*ops} <= {"<", "<="} or {*ops} <= {">", ">="}):
        # a < x < b: the interval between a and b.
        lo, middle, hi = pieces
        if ops[0] in (">", ">="):
            lo, hi = hi, lo
        lo_closed, hi_closed = ops[0] in ("<=", ">="), ops[1] in ("<=", ">=")
        if _ABS_SYMBOL.match(middle):
            # 1 \le |z| \le 2: z lies in [-2, -1] or in [1, 2].
            return Union(
                (
                    Interval(_parse(_negated(hi)), _parse(_negated(lo)), hi_closed, lo_closed),
                    Interval(_parse(lo), _parse(hi), lo_closed, hi_closed),
                )
            )
        return Interval(_parse(lo), _parse(hi), lo_closed, hi_closed)
    if len(ops) != 1:
        # "x = 2 + 3 = 5" or a chain we do not model: the last side is the value.
        return _parse(pieces[-1]) if all(op == "=" for op in ops) else Leaf(text)
    lhs, rhs = _parse(pieces[0]), _parse(pieces[1])
    op = ops[0]
    if op in (">", ">="):
        return Relation("<" if op == ">" else "<=", rhs, lhs)
    return Relation(op, lhs, rhs)  # type: ignore[arg-type]


def _negated(text: str) -> str:
    if text.startswith("-"):
        return text[1:]
    return f"-{text}" if not re.search(r"[-+]", text) else f"-({text})"


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` where no bracket is open."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(sep)
    while i < len(text):
        c = text[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif (
            depth == 0
            and text.startswith(sep, i)
            and not (sep[0] == "\\" and text[i + n : i + n + 1].isalpha())
        ):
            parts.append(text[start:i].strip())
            start = i + n
            i += n
            continue
        i += 1
    parts.append(text[start:].strip())
    return parts


def _closes_at_end(text: str, open_at: int) -> bool:
    """Whether the bracket at ``open_at`` is closed by the text's last character."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _depth(text: str) -> int:
    depth = deepest = 0
    for c in text:
        if c in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif c in _CLOSE:
            depth -= 1
    return deepest
