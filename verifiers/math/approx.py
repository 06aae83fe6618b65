"""A float evaluator for small constant LaTeX expressions, used only to tell values apart.

``28`` against ``\\sqrt{34} + 3\\sqrt{10}``: both are constants, and their floats
differ in the first digit, so they are different without importing sympy (about
1 s the first time, then milliseconds per expression). The evaluator only ever
*rejects*: values within ``AGREEMENT`` of each other go on to sympy's exact check.
It reads numbers, ``+ - * / ^``, ``\\cdot``, ``\\times``, ``\\frac``, ``\\sqrt``,
``\\sqrt[n]``, ``\\pi``, brackets and implicit products, and gives up (None) on
anything else.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

AGREEMENT = 1e-9
"""Relative distance under which two floats may still be the same exact value."""

_TOKEN = re.compile(r"\s*(\d+\.?\d*|\.\d+|\\frac|\\sqrt|\\pi|\\cdot|\\times|[-+*/^(){}\[\]])")
_MAX_TOKENS = 200


class Approx(NamedTuple):
    """A float value and the largest magnitude met on the way (to bound cancellation)."""

    value: float
    scale: float


def approximate(text: str) -> Approx | None:
    """The float value of ``text``, or None when it is not a small constant expression."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None if text[pos:].strip() else _evaluate(tokens)
        tokens.append(m.group(1))
        pos = m.end()
        if len(tokens) > _MAX_TOKENS:
            return None
    return _evaluate(tokens)


def surely_different(a: Approx, b: Approx) -> bool:
    """Whether two approximations are too far apart to be the same exact value.

    The tolerance scales with the largest intermediate magnitude of either side,
    so a difference that cancellation could have produced never counts.
    """
    return abs(a.value - b.value) > AGREEMENT * max(a.scale, b.scale, 1e-300)


def _evaluate(tokens: list[str]) -> Approx | None:
    parser = _Parser(tokens)
    try:
        value = parser.sum()
    except (_GiveUp, OverflowError, ZeroDivisionError, ValueError):
        return None
    if parser.pos != len(tokens) or not math.isfinite(value) or not math.isfinite(parser.scale):
        return None
    return Approx(value, max(parser.scale, abs(value)))


class _GiveUp(Exception):
    pass


class _Parser:
    """Recursive descent: sum -> product -> unary -> power -> atom."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.scale = 0.0

    def seen(self, value: float) -> float:
        self.scale = max(self.scale, abs(value))
        return value

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _GiveUp
        self.pos += 1
        return token

    def sum(self) -> float:
        value = self.seen(self.product())
        while self.peek() in ("+", "-"):
            plus = self.take() == "+"
            right = self.seen(self.product())
            value = self.seen(value + right if plus else value - right)
        return value

    def product(self) -> float:
        value = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times", "/"):
                self.take()
                right = self.unary()
                value = self.seen(value / right if token == "/" else value * right)
            elif token is not None and token not in ("+", "-", ")", "}", "]", "^"):
                value = self.seen(value * self.power())  # implicit product: 3\sqrt{10}, 2\pi
            else:
                return value

    def unary(self) -> float:
        if self.peek() in ("+", "-"):
            sign = -1.0 if self.take() == "-" else 1.0
            return sign * self.unary()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.unary() if self.peek() in ("+", "-") else self.power()
            if abs(exponent) > 1000:
                raise _GiveUp
            return self.seen(math.pow(base, exponent))
        return base

    def atom(self) -> float:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            return float(token)
        if token == "\\pi":
            return math.pi
        if token in ("(", "{"):
            value = self.sum()
            self.take(")" if token == "(" else "}")
            return value
        if token == "\\frac":
            top = self.group()
            return top / self.group()
        if token == "\\sqrt":
            if self.peek() == "[":
                self.take()
                degree = self.sum()
                self.take("]")
                return math.pow(self.group(), 1 / degree)
            return math.sqrt(self.group())
        raise _GiveUp

    def group(self) -> float:
        if self.peek() == "{":
            self.take()
            value = self.sum()
            self.take("}")
            return value
        return self.atom()
