"""LaTeX -> sympy through latex2sympy2_extended, with guards that keep sympy finite.

sympy will happily start computing ``2^{2^{2^{100}}}`` or ``(10^9)!`` and never
return. The pool's deadline would kill the worker, but in-process grading has no
deadline and a killed worker costs a restart, so the guards here reject such
expressions before anything evaluates them: a bound on the size of every exponent
and factorial, on ``\\binom`` arguments, and on the expression's node count.
Imports are lazy: sympy and the ANTLR parser cost ~1 s to load, and plain numbers
never need them.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from .parse import Rejected

MAX_EXPONENT_LOG10 = 5.0
"""Largest exponent allowed: 10^5 (``2^{99999}`` has 30k digits and is still cheap)."""
MAX_SYMBOLIC_EXPONENT_LOG10 = 3.0
"""A variable's power may reach 1000: ``expand`` of ``(1+x)^{10^5}`` would not end."""
MAX_FACTORIAL = 5000
MAX_NODES = 600

MAX_ATOMS = 300
"""Numbers, letters and commands an expression may hold: the parser needs ~1 s for 600."""
MAX_FUNCTIONS = 12
"""Function applications (``\\sin``, ``\\log``, ...): nested ones make the parser crawl."""

_ATOM = re.compile(r"\\[a-zA-Z]+|[a-zA-Z]|\d+")
_FUNCTION = re.compile(
    r"\\(?:arc)?(?:sin|cos|tan|sec|csc|cot)h?(?![a-zA-Z])|\\(?:log|ln|exp|lg)(?![a-zA-Z])"
)
_BINOM = re.compile(r"\\[dt]?binom\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_BIG_FACTORIAL = re.compile(r"(\d+)\s*!")


class Unparsable(ValueError):
    """latex2sympy2_extended could not read the text."""


@lru_cache(maxsize=8192)
def to_sympy(text: str) -> Any:
    """The sympy value of one LaTeX expression (no top-level commas or sets).

    Raises:
        Rejected: the expression is too big to evaluate safely.
        Unparsable: the parser cannot read it.
    """
    _text_guards(text)
    from latex2sympy2_extended import latex2sympy

    try:
        expr = latex2sympy(text, normalization_config=None)
    except Exception as exc:  # the ANTLR parser raises bare Exceptions on bad input
        raise Unparsable(f"cannot parse {text[:80]!r}: {str(exc).splitlines()[0][:80]}") from None
    return _finish(expr)


def _finish(expr: Any) -> Any:
    import sympy

    if isinstance(expr, list | tuple):
        raise Unparsable("a list where one expression was expected")
    if not isinstance(expr, sympy.Basic):
        raise Unparsable(f"not an expression: {type(expr).__name__}")
    check_size(expr)
    i = sympy.Symbol("i")
    if expr.has(i):
        # MATH writes the imaginary unit as a plain i; nothing in it uses i as a variable.
        expr = expr.xreplace({i: sympy.I})
    return expr


def _text_guards(text: str) -> None:
    atoms = len(_ATOM.findall(text))
    if atoms > MAX_ATOMS:
        raise Rejected(f"expression has {atoms} terms, over {MAX_ATOMS}")
    functions = len(_FUNCTION.findall(text))
    if functions > MAX_FUNCTIONS:
        raise Rejected(f"expression applies {functions} functions, over {MAX_FUNCTIONS}")
    # \binom is evaluated while parsing, before any tree guard could see it.
    for top, bottom in _BINOM.findall(text):
        for arg in (top, bottom):
            if "^" in arg or "!" in arg or len(re.sub(r"\D", "", arg)) > 4:
                raise Rejected(f"binomial too large to evaluate: \\binom{{{top}}}{{{bottom}}}")
    for digits in _BIG_FACTORIAL.findall(text):
        if len(digits) > 5 or int(digits) > MAX_FACTORIAL:
            raise Rejected(f"factorial too large to evaluate: {digits}!")


def check_size(expr: Any) -> None:
    """Reject trees with too many nodes, huge exponents or huge factorials.

    Raises:
        Rejected: naming what was too big.
    """
    import sympy

    count = 0
    for node in sympy.preorder_traversal(expr):
        count += 1
        if count > MAX_NODES:
            raise Rejected(f"expression has more than {MAX_NODES} nodes")
        if isinstance(node, sympy.Pow):
            base, exponent = node.args
            if base in (0, 1, -1):
                continue
            limit = MAX_SYMBOLIC_EXPONENT_LOG10 if base.free_symbols else MAX_EXPONENT_LOG10
            if log10_bound(exponent) > limit:
                raise Rejected(f"exponent too large to evaluate: {str(exponent)[:60]}")
        elif isinstance(node, sympy.Sum | sympy.Product):
            # latex2sympy leaves sums unevaluated; evalf would add up every term.
            for limits in node.limits:
                if any(log10_bound(b) > 3 for b in limits[1:]):
                    raise Rejected(f"sum or product over too many terms: {str(node)[:60]}")
        elif isinstance(node, sympy.exp) and log10_bound(node.args[0]) > MAX_EXPONENT_LOG10:
            raise Rejected(f"exponent too large to evaluate: exp({str(node.args[0])[:60]})")
        elif isinstance(node, sympy.factorial | sympy.gamma | sympy.subfactorial) and (
            log10_bound(node.args[0]) > math.log10(MAX_FACTORIAL)
        ):
            raise Rejected(f"factorial too large to evaluate: {str(node.args[0])[:60]}")


def log10_bound(expr: Any) -> float:
    """A rough upper bound of log10|expr| that never evaluates anything big.

    Symbols count as 10^0.5 and unknown functions as their largest argument; the bound only has to catch
    towers like ``2^{2^{100}}``, not be tight.
    """
    import sympy

    if expr.is_Integer:
        return _log10_int(int(expr))
    if expr.is_Rational:
        return max(_log10_int(int(expr.p)), _log10_int(int(expr.q)))
    if expr.is_Float:
        value = abs(float(expr))
        return math.log10(value) if value > 1 else 0.0
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        exp_log = log10_bound(exponent)
        if exp_log > 300:
            return math.inf
        return max(log10_bound(base), 0.5) * 10**exp_log
    if isinstance(expr, sympy.Mul):
        return sum(max(log10_bound(a), 0.0) for a in expr.args)
    if isinstance(expr, sympy.Add):
        return max((log10_bound(a) for a in expr.args), default=0.0) + 1.0
    if isinstance(expr, sympy.factorial):
        inner = log10_bound(expr.args[0])
        return math.inf if inner > 300 else 10**inner * (inner + 1)
    if isinstance(expr, sympy.exp):
        inner = log10_bound(expr.args[0])
        return math.inf if inner > 300 else 10**inner
    if expr.args:
        return max((log10_bound(a) for a in expr.args), default=1.0)
    return 0.5


def _log10_int(n: int) -> float:
    n = abs(n)
    if n < 2:
        return 0.0
    return math.log10(n) if n.bit_length() < 1000 else n.bit_length() * 0.30103
