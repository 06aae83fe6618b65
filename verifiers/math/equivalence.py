"""Are two parsed answers the same? Exact by default; every decision names its rule.

Order of checks, cheapest first: structure (tuples, sets, intervals, relations,
matrices), then plain numbers as ``Fraction`` (exact), then identical text, and
only then sympy. sympy decides numerically-valued expressions by their difference
at 50 significant digits, relative to their size (so ``1/2^99`` and ``1/2^98``
differ, ``2\\sqrt2`` and ``\\sqrt8`` do not), and expressions with variables by
``simplify`` after a quick numeric probe at fixed points has not told them apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .approx import Approx, approximate, surely_different
from .numbers import Num, close_enough
from .parse import Interval, Leaf, Matrix, Node, Relation, Seq, SetExpr, Union, Words
from .sym import Unparsable, to_sympy

MAX_EXPANDED_TERMS = 2000
SIMPLIFY_MAX_NODES = 120
"""Larger differences are judged by the probes alone: simplify can take seconds on them."""
RELATIVE_ZERO = 1e-35
"""A difference this small relative to the values, at 50 digits, is zero."""
# Probe points straddle zero: an identity must hold for negative values too, or
# sqrt(x^2) would pass for x (it is |x|).
_PROBES = ((13, 10), (-27, 11), (7, 19))
# A lone variable, subscripted variable, Greek letter or function value: x, a_1, \theta, f(x).
_SYMBOL = re.compile(r"^(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)(?:\([a-z](?:,[a-z])*\))?$")


@dataclass(frozen=True, slots=True)
class Rules:
    """The options equivalence needs (frozen: they key caches).

    Args:
        float_min_digits: significant digits a decimal needs to stand for a closed form.
        percent: ``50\\%`` also equals ``50`` and ``0.5``.
        equation_value: ``x = 5`` equals ``5`` (a lone variable on one side).
    """

    float_min_digits: int = 6
    percent: bool = True
    equation_value: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome and the rule that decided it."""

    equal: bool
    rule: str


def equivalent(gold: Node, pred: Node, rules: Rules) -> Decision:
    """Compare a gold answer with a predicted one.

    Raises:
        Rejected: an expression too big to evaluate safely.
    """
    gold, pred = _single(gold), _single(pred)
    if gold == pred and not isinstance(gold, Leaf):
        # Parsed alike: "x = \\frac{-1 \\pm \\sqrt{13}}{4}" against itself needs no sympy.
        # A single value still goes on (its rule names how it was compared, and
        # "\\frac10" is not even equal to itself).
        return Decision(True, "same answer")
    if rules.equation_value:
        if isinstance(gold, Relation) and not isinstance(pred, Relation):
            side = _value_side(gold)
            if side is not None:
                return _tag(equivalent(side, pred, rules), "gold 'var = value'")
        if isinstance(pred, Relation) and not isinstance(gold, Relation):
            side = _value_side(pred)
            if side is not None:
                return _tag(equivalent(gold, side, rules), "answer 'var = value'")
    if isinstance(gold, Leaf) and isinstance(pred, Leaf):
        return _leaves(gold, pred, rules)
    if isinstance(gold, Words) or isinstance(pred, Words):
        return _words(gold, pred)
    if isinstance(gold, Seq) and isinstance(pred, Seq):
        return _sequences(gold, pred, rules)
    if isinstance(gold, Relation) and isinstance(pred, Relation):
        return _relations(gold, pred, rules)
    if isinstance(gold, Matrix) or isinstance(pred, Matrix):
        return _matrices(gold, pred, rules)
    gold, pred = _as_interval_if_bound(gold, pred), _as_interval_if_bound(pred, gold)
    if _is_set_like(gold) and _is_set_like(pred):
        return _sets(gold, pred, rules)
    return Decision(False, f"different kinds: {_kind(gold)} vs {_kind(pred)}")


def _tag(decision: Decision, note: str) -> Decision:
    return Decision(decision.equal, f"{note}; {decision.rule}")


def _kind(node: Node) -> str:
    return node.kind if isinstance(node, Seq) else type(node).__name__.lower()


def _single(node: Node) -> Node:
    if isinstance(node, Seq) and node.kind != "tuple" and len(node.items) == 1:
        return node.items[0]
    return node


def _value_side(relation: Relation) -> Node | None:
    """The value an equation states, or None when it is an equation to compare as one.

    ``name = value`` states ``value`` when the name is a variable (``x``, ``a_1``,
    ``f(x)``), a tuple of them (``(p, q)``), or letters combined without any number
    (``|AB|``, ``V_1:V_2``, ``\\frac{NO}{BO}``, ``a + b``): the question asked for that
    quantity. ``x^2 + y^2 = 25`` and ``2x + z = 1`` are equations (a number or a power
    on the left), so they never equal ``25`` or ``1``. A computation with no letter on
    either side (``3 + 4 = 7``) states its last side.
    """
    if relation.op != "=":
        return None
    if _names_quantity(relation.lhs):
        return relation.rhs
    if _names_quantity(relation.rhs) and not _is_constant(relation.lhs):
        return relation.lhs
    if _is_constant(relation.lhs) and _is_constant(relation.rhs):
        return relation.rhs
    return None


# Commands that only shape a name or a constant; the letters of the rest count.
_SHAPING = re.compile(
    r"\\(?:[dt]?frac|left|right|angle|measuredangle|overline|overrightarrow|vec|hat|"
    r"widehat|triangle|mathrm|operatorname|sqrt|cdot|times|pi)(?![a-zA-Z])"
)
_SUBSCRIPT = re.compile(r"_(?:\{[^{}]*\}|\w)")


def _names_quantity(node: Node) -> bool:
    if isinstance(node, Seq) and node.kind == "tuple":
        return all(_names_quantity(item) for item in node.items)
    if not isinstance(node, Leaf) or node.num is not None:
        return False
    if _SYMBOL.match(node.text):
        return True
    bare = _SHAPING.sub("", _SUBSCRIPT.sub("", node.text))
    return bool(re.search(r"[A-Za-z]", bare)) and not re.search(r"[\d^.!]", bare)


def _is_constant(node: Node) -> bool:
    if not isinstance(node, Leaf):
        return False
    return node.num is not None or not re.search(r"[A-Za-z]", _SHAPING.sub("", node.text))


# -- numbers and expressions ----------------------------------------------------------


def _leaves(gold: Leaf, pred: Leaf, rules: Rules) -> Decision:
    if gold.num is not None and pred.num is not None:
        return numbers_equal(gold.num, pred.num, rules)
    if canonical(gold.text) == canonical(pred.text):
        return Decision(True, "same text")
    based = _based_numbers(gold, pred)
    if based is not None:
        return based
    if _floats_differ(gold, pred):
        return Decision(False, "values differ (float evaluation, no sympy needed)")
    try:
        g = to_sympy(gold.text)
    except Unparsable as exc:
        return Decision(False, f"gold not parsable as math ({exc})")
    try:
        p = to_sympy(pred.text)
    except Unparsable as exc:
        return Decision(False, f"answer not parsable as math ({exc})")
    if pred.num is not None and pred.num.is_decimal and _is_number(g):
        return _float_rule(pred.num, g, rules)
    if gold.num is not None and gold.num.is_decimal and _is_number(p):
        return _float_rule(gold.num, p, rules)
    return sympy_equal(g, p)


_BASED = re.compile(r"^(\w+)_\{?(\d+)\}?$")


def _based_numbers(gold: Leaf, pred: Leaf) -> Decision | None:
    # "52_8" is digits in base 8; sympy would read it as 52 and drop the base.
    # Without a subscript the base is the one the question asked for, so the
    # digits must match: "52" passes for "52_8", its decimal value 42 does not.
    g, p = _BASED.match(canonical(gold.text)), _BASED.match(canonical(pred.text))
    if g is None and p is None:
        return None
    g_digits, g_base = (g.group(1), g.group(2)) if g else (canonical(gold.text), None)
    p_digits, p_base = (p.group(1), p.group(2)) if p else (canonical(pred.text), None)
    same = g_digits.lower() == p_digits.lower() and (
        g_base is None or p_base is None or int(g_base) == int(p_base)
    )
    return Decision(same, "digits in a stated base")


def _floats_differ(gold: Leaf, pred: Leaf) -> bool:
    # Only a rejection: equal-looking floats still go to sympy's exact check. A
    # decimal side is left to the float rule, which needs the closed form's digits.
    sides = []
    for leaf in (gold, pred):
        if leaf.num is not None:
            if leaf.num.percent or leaf.num.is_decimal:
                return False
            try:
                value = float(leaf.num.value)
            except OverflowError:
                return False
            sides.append(Approx(value, abs(value)))
        else:
            approx = approximate(leaf.text)
            if approx is None:
                return False
            sides.append(approx)
    return surely_different(sides[0], sides[1])


def numbers_equal(gold: Num, pred: Num, rules: Rules) -> Decision:
    """Exact comparison of two plain numbers, with the percent and float rules."""
    if gold.value == pred.value and (gold.percent == pred.percent or rules.percent):
        return Decision(True, "equal numbers (exact)")
    if rules.percent and gold.percent != pred.percent:
        hundredth = Fraction(1, 100)
        g = gold.value * hundredth if gold.percent else gold.value
        p = pred.value * hundredth if pred.percent else pred.value
        if g == p:
            return Decision(True, "equal numbers (percent as a fraction)")
    if (
        pred.is_decimal
        and not gold.is_decimal
        and close_enough(pred, gold.value, rules.float_min_digits)
    ):
        return Decision(True, f"decimal answer within its last digit ({pred.significant} digits)")
    elif (
        gold.is_decimal
        and not pred.is_decimal
        and close_enough(gold, pred.value, rules.float_min_digits)
    ):
        return Decision(True, f"decimal gold within its last digit ({gold.significant} digits)")
    return Decision(False, "different numbers (exact)")


def _is_number(expr: Any) -> bool:
    return bool(getattr(expr, "is_number", False))


def _float_rule(decimal: Num, exact: Any, rules: Rules) -> Decision:
    value = exact.evalf(40)
    if not value.is_real:
        return Decision(False, "decimal vs a non-real value")
    if close_enough(decimal, Fraction(str(value)), rules.float_min_digits):
        return Decision(
            True, f"decimal within its last digit of the closed form ({decimal.significant} digits)"
        )
    return Decision(
        False,
        f"decimal is not the closed form to {decimal.significant} digits (needs {rules.float_min_digits} and last-digit accuracy)",
    )


def sympy_equal(a: Any, b: Any) -> Decision:
    """Equality of two sympy values: structural, then numeric (no variables) or simplify."""
    import sympy

    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return Decision(a == b, "sympy: same value" if a == b else "sympy: different values")
    if a == b and not a.has(sympy.zoo, sympy.nan):
        return Decision(True, "sympy: same expression")
    if not (_finite(a) and _finite(b)):
        # "12:00" and "1:00" both parse to undefined values: never equal to anything.
        return Decision(False, "sympy: an infinite or undefined value")
    difference = a - b
    if not difference.free_symbols:
        if difference.is_Rational:
            return Decision(difference == 0, "sympy: exact rational difference")
        value = difference.evalf(50)
        # Relative to the values themselves, with no floor: 1/2004! and 1/2006! are
        # both below any fixed epsilon and still differ.
        scale = max(abs(a.evalf(50)), abs(b.evalf(50)))
        if value.is_number and value.is_finite and _negligible(value, scale):
            return Decision(True, "sympy: equal to 50 digits")
        return Decision(False, "sympy: values differ")
    if _unevaluated(difference):
        same = sympy.expand(difference) == 0
        return Decision(
            same, f"sympy: {'same' if same else 'different'} sums (compared as written)"
        )
    zero_at_every_probe = True
    values = _probe_points(difference, difference.free_symbols)
    scales = _probe_points(a, difference.free_symbols)
    for value, scale in zip(values, scales, strict=True):
        if value is None:
            zero_at_every_probe = False
        elif value.is_Rational:
            if value != 0:  # exact: a polynomial or rational function at a rational point
                return Decision(False, "sympy: differ at a probe point")
        elif abs(value) > 1e-12 * (1 + (abs(scale) if scale is not None else 0)):
            return Decision(False, "sympy: differ at a probe point")
    if _simplifiable(difference) and (
        sympy.expand(difference) == 0 or sympy.simplify(difference) == 0
    ):
        return Decision(True, "sympy: simplifies to the same expression")
    if zero_at_every_probe:
        return Decision(True, "sympy: equal at every probe point (simplify could not prove it)")
    return Decision(False, "sympy: could not show they are equal")


def _unevaluated(expr: Any) -> bool:
    """A sum, product or integral with a symbolic bound: evaluating one at a probe point
    takes sympy seconds (Euler-Maclaurin), so such values are compared as written."""
    import sympy

    return any(
        any(b.free_symbols for lim in node.limits for b in lim[1:])
        for node in expr.atoms(sympy.Sum, sympy.Product, sympy.Integral)
    )


def _negligible(value: Any, scale: Any) -> bool:
    """Whether an evaluated difference is zero to 50 digits relative to ``scale``.

    When a difference cancels below its working precision, sympy's evalf returns a
    Float with (almost) no significant bits, printed ``0.e-122``: ``\\sin(\\pi) - 0``
    is such a zero. A real difference keeps its 50 digits (``1/2004! - 1/2006!``).
    """
    import sympy

    for part in value.as_real_imag():
        if part == 0 or (isinstance(part, sympy.Float) and part._prec < 20):
            continue
        if not abs(part) <= RELATIVE_ZERO * scale:
            return False
    return True


def _probe_points(expr: Any, symbols: Any) -> Iterator[Any | None]:
    """``expr`` at each fixed probe point: exact where it is rational there, None where
    it is not a finite number."""
    import sympy

    ordered = sorted(symbols, key=str)
    for p, q in _PROBES:
        value = expr.subs({s: sympy.Rational(p + 3 * k, q) for k, s in enumerate(ordered)})
        if not value.is_Rational:
            value = value.evalf(30)
        yield value if value.is_number and value.is_finite else None


def _probe(expr: Any, symbols: Any) -> list[Any] | None:
    """``expr`` at every probe point, or None as soon as it is not a finite number at one."""
    values = []
    for value in _probe_points(expr, symbols):
        if value is None:
            return None
        values.append(value)
    return values


def _same_number(x: Any, y: Any) -> bool:
    if x.is_Rational and y.is_Rational:
        return bool(x == y)
    return bool(abs(x - y) <= 1e-9 * (1 + abs(y)))


def _simplifiable(expr: Any) -> bool:
    """Small enough for expand/simplify to finish quickly (else probes decide)."""
    return _size(expr) <= SIMPLIFY_MAX_NODES and expansion_bound(expr) <= MAX_EXPANDED_TERMS


def expansion_bound(expr: Any) -> float:
    """An upper bound on the terms of ``expand(expr)``: ``(a+b+c+d)^{100}`` has 176,851."""
    import sympy

    if isinstance(expr, sympy.Add):
        return sum(expansion_bound(a) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        return math.prod(expansion_bound(a) for a in expr.args)
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        terms = expansion_bound(base)
        if exponent.is_Integer and terms > 1:
            n = abs(int(exponent))
            if n > 10_000:
                return math.inf
            return float(math.comb(n + int(min(terms, 1e6)) - 1, n)) if terms < 50 else math.inf
        return terms
    if expr.args:
        return max(expansion_bound(a) for a in expr.args)
    return 1.0


def _size(expr: Any) -> int:
    """Nodes in ``expr``, counted up to just past ``SIMPLIFY_MAX_NODES``."""
    import sympy

    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > SIMPLIFY_MAX_NODES:
            break
    return count


def _finite(expr: Any) -> bool:
    import sympy

    return not expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def canonical(text: str) -> str:
    """Text with cosmetic differences removed, for a cheap equality test."""
    text = re.sub(r"\s+", "", text)
    return re.sub(r"([\^_])\{(\w)\}", r"\1\2", text)


# -- words ----------------------------------------------------------------------------


def _words(gold: Node, pred: Node) -> Decision:
    if isinstance(gold, Words) and isinstance(pred, Words):
        if gold.choice or pred.choice:
            return Decision(
                gold.text.upper() == pred.text.upper() and gold.choice == pred.choice,
                "choice letter",
            )
        return Decision(_squash(gold.text) == _squash(pred.text), "text")
    words, other = (gold, pred) if isinstance(gold, Words) else (pred, gold)
    assert isinstance(words, Words)
    if isinstance(other, Leaf):
        return Decision(_squash(words.text) == _squash(other.text), "text")
    return Decision(False, "text vs math")


def _squash(text: str) -> str:
    return re.sub(r"[\s{}()\\.]", "", text.lower())


# -- structures -----------------------------------------------------------------------


def _sequences(gold: Seq, pred: Seq, rules: Rules) -> Decision:
    if gold.kind != "tuple" and pred.kind != "tuple":
        # A list of answers is a set of solutions: one written twice counts once.
        gold, pred = _distinct(gold), _distinct(pred)
    if len(gold.items) != len(pred.items):
        return Decision(False, f"{len(gold.items)} items vs {len(pred.items)}")
    ordered = gold.kind == "tuple" or pred.kind == "tuple"
    if (gold.kind == "tuple" and pred.kind == "set") or (
        gold.kind == "set" and pred.kind == "tuple"
    ):
        return Decision(False, "tuple vs set")
    if ordered:
        for g, p in zip(gold.items, pred.items, strict=True):
            d = equivalent(g, p, rules)
            if not d.equal:
                return Decision(False, f"tuple item differs: {d.rule}")
        return Decision(True, "tuples equal item by item")
    unused = list(pred.items)
    for g in gold.items:
        match = next((p for p in unused if equivalent(g, p, rules).equal), None)
        if match is None:
            return Decision(False, "a gold item has no equal answer item")
        unused.remove(match)
    return Decision(True, "same items in any order")


def _distinct(seq: Seq) -> Seq:
    return Seq(seq.kind, tuple(dict.fromkeys(seq.items)))


def _relations(gold: Relation, pred: Relation, rules: Rules) -> Decision:
    import sympy

    if gold.op != pred.op:
        return Decision(False, f"relation {gold.op} vs {pred.op}")
    sides = (gold.lhs, gold.rhs, pred.lhs, pred.rhs)
    if not all(isinstance(s, Leaf) for s in sides):
        same = (
            equivalent(gold.lhs, pred.lhs, rules).equal
            and equivalent(gold.rhs, pred.rhs, rules).equal
        )
        return Decision(same, "relation sides compared")
    try:
        gl, gr, pl, pr = (to_sympy(s.text) for s in sides)  # type: ignore[union-attr]
    except Unparsable as exc:
        return Decision(False, f"relation not parsable ({exc})")
    dg, dp = gl - gr, pl - pr
    if _unevaluated(dg) or _unevaluated(dp):
        same = sympy.expand(dg - dp) == 0 or sympy.expand(dg + dp) == 0
        return Decision(same, "relation with sums, compared as written")
    # The ratio of the two "lhs - rhs" must be one non-zero constant: probe it at
    # fixed points first (cheap), and let simplify confirm only small expressions.
    ratios = _probe(dg / dp, dg.free_symbols | dp.free_symbols)
    if ratios is not None and (
        not all(_same_number(r, ratios[0]) for r in ratios) or ratios[0] == 0
    ):
        return Decision(False, "relation: not a rescaling of the gold")
    if _simplifiable(dg / dp):
        ratio = sympy.simplify(dg / dp)
    elif ratios is not None:
        ratio = sympy.Float(ratios[0])
    else:
        return Decision(False, "relation: too large to compare")
    if ratio.free_symbols or not ratio.is_number or ratio == 0 or not ratio.is_finite:
        return Decision(False, "relation: not a rescaling of the gold")
    if gold.op in ("=", "!="):
        return Decision(True, "equation equal up to scaling and rearrangement")
    return Decision(
        bool(ratio > 0),
        "inequality: same direction after rearranging"
        if ratio > 0
        else "inequality: reversed direction",
    )


def _matrices(gold: Node, pred: Node, rules: Rules) -> Decision:
    g, p = _cells(gold), _cells(pred)
    if g is None or p is None:
        return Decision(False, "matrix vs non-matrix")
    if len(g) != len(p) or any(len(a) != len(b) for a, b in zip(g, p, strict=True)):
        return Decision(False, "matrix shapes differ")
    for row_g, row_p in zip(g, p, strict=True):
        for a, b in zip(row_g, row_p, strict=True):
            if not equivalent(a, b, rules).equal:
                return Decision(False, "matrix entry differs")
    return Decision(True, "matrices equal entry by entry")


def _cells(node: Node) -> list[list[Node]] | None:
    if isinstance(node, Matrix):
        rows = [list(r) for r in node.rows]
        if len(rows) > 1 and all(len(r) == 1 for r in rows):
            return [[r[0] for r in rows]]  # a column vector compares with a tuple
        return rows
    if isinstance(node, Seq) and node.kind == "tuple":
        return [list(node.items)]
    return None


def _is_set_like(node: Node) -> bool:
    return isinstance(node, Interval | Union | SetExpr) or (
        isinstance(node, Seq) and (node.kind != "tuple" or len(node.items) == 2)
    )


def _sets(gold: Node, pred: Node, rules: Rules) -> Decision:
    if isinstance(gold, Interval) and isinstance(pred, Interval | Seq):
        return _intervals(gold, _as_interval(pred))
    if isinstance(pred, Interval) and isinstance(gold, Seq):
        return _intervals(_as_interval(gold), pred)
    if isinstance(gold, Union) and isinstance(pred, Union) and len(gold.parts) == len(pred.parts):
        d = _sequences(Seq("set", gold.parts), Seq("set", pred.parts), rules)
        if d.equal:
            return Decision(True, "unions of the same parts")
    try:
        a, b = _sympy_set(gold), _sympy_set(pred)
    except Unparsable as exc:
        return Decision(False, f"set not parsable ({exc})")
    import sympy

    same = a == b or (
        sympy.Complement(a, b) == sympy.S.EmptySet and sympy.Complement(b, a) == sympy.S.EmptySet
    )
    return Decision(bool(same), "sympy: same set" if same else "sympy: different sets")


def _as_interval_if_bound(node: Node, other: Node) -> Node:
    """``x \\le 2`` read as ``(-\\infty, 2]`` when the other side is an interval."""
    if not (isinstance(node, Relation) and isinstance(other, Interval | Union)):
        return node
    if node.op not in ("<", "<="):
        return node
    closed = node.op == "<="
    infinity = Leaf("\\infty")
    if isinstance(node.lhs, Leaf) and _SYMBOL.match(node.lhs.text):
        return Interval(Leaf("-\\infty"), node.rhs, False, closed)
    if isinstance(node.rhs, Leaf) and _SYMBOL.match(node.rhs.text):
        return Interval(node.lhs, infinity, closed, False)
    return node


def _as_interval(node: Node) -> Interval | None:
    if isinstance(node, Interval):
        return node
    if isinstance(node, Seq) and node.kind == "tuple" and len(node.items) == 2:
        return Interval(node.items[0], node.items[1], False, False)  # (a, b) read as open
    return None


def _intervals(gold: Interval | None, pred: Interval | None) -> Decision:
    if gold is None or pred is None:
        return Decision(False, "interval vs non-interval")
    if (gold.lo_closed, gold.hi_closed) != (pred.lo_closed, pred.hi_closed):
        return Decision(False, "interval ends differ (open vs closed)")
    rules = Rules()
    lo, hi = equivalent(gold.lo, pred.lo, rules), equivalent(gold.hi, pred.hi, rules)
    return Decision(lo.equal and hi.equal, "intervals compared end by end")


def _sympy_set(node: Node) -> Any:
    import sympy

    if isinstance(node, SetExpr):
        value = to_sympy(node.text)
    elif isinstance(node, Interval):
        value = sympy.Interval(
            _value(node.lo), _value(node.hi), not node.lo_closed, not node.hi_closed
        )
    elif isinstance(node, Union):
        value = sympy.Union(*(_sympy_set(p) for p in node.parts))
    elif isinstance(node, Seq) and node.kind != "tuple":
        value = sympy.FiniteSet(*(_value(i) for i in node.items))
    elif isinstance(node, Seq):
        value = sympy.Interval.open(*(_value(i) for i in node.items))
    else:
        value = sympy.FiniteSet(_value(node))
    if not isinstance(value, sympy.Set):
        raise Unparsable("not a set")
    return value


def _value(node: Node) -> Any:
    if isinstance(node, Leaf):
        if node.num is not None and not node.num.percent:
            import sympy

            return sympy.Rational(node.num.value.numerator, node.num.value.denominator)
        return to_sympy(node.text)
    raise Unparsable("a set element that is not a single value")
