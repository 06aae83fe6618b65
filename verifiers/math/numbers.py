"""Exact numbers without sympy: integers, fractions, mixed numbers, decimals, percents.

Most golds and most answers are plain numbers. Parsing them into ``Fraction`` here
keeps sympy (milliseconds per expression, seconds to import) off the hot path, and
keeps the comparison exact: ``1000000007`` and ``1000000008`` are different numbers
however many digits they share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 4000
"""Longest digit string parsed; Python refuses int() of >4300 digits, and no real answer has them."""


@dataclass(frozen=True, slots=True)
class Num:
    """A number as written.

    Args:
        value: its exact value (a percent is NOT divided by 100 here).
        decimals: digits after the decimal point when written as a decimal, else None
            (written exactly: an integer or a fraction).
        significant: significant digits written (for the float-tolerance rule).
        percent: written with a percent sign.
    """

    value: Fraction
    decimals: int | None = None
    significant: int = 0
    percent: bool = False

    @property
    def is_decimal(self) -> bool:
        """Written with a decimal point (so it may be a rounding of something)."""
        return self.decimals is not None


_SIGN = r"[-+]?"
# Thousands groups need exactly three digits each so that "1,2" stays a list.
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_DECIMAL = re.compile(rf"^({_SIGN})({_INT})?(?:\.(\d*))?(?:e([-+]?\d+))?$", re.IGNORECASE)
_TIMES_TEN = re.compile(r"^(.+?)(?:\\times|\\cdot|\*|x)10\^(?:\{([-+]?\d+)\}|([-+]?\d))$")
_FRAC = re.compile(rf"^({_SIGN})\\frac\{{([^{{}}]+)\}}\{{([^{{}}]+)\}}$")
_SLASH = re.compile(r"^([^/]+)/([^/]+)$")
_MIXED = re.compile(rf"^({_SIGN})(\d+)\s*\\frac\{{(\d+)\}}\{{(\d+)\}}$")
_MIXED_SLASH = re.compile(rf"^({_SIGN})(\d+)\s+(\d+)/(\d+)$")
_REPEATING = re.compile(rf"^({_SIGN})(\d*)\.(\d*)\\overline\{{(\d+)\}}$")


def parse_number(text: str) -> Num | None:
    """Parse ``text`` (already normalized: no spaces, ``\\frac`` braced) as a number.

    Accepts integers (with ``,`` thousands groups), decimals, scientific notation
    (``1.5e3``, ``1.5\\times10^{3}``), ``\\frac{a}{b}`` and ``a/b`` of those, mixed
    numbers (``4\\frac{2}{3}``), repeating decimals (``0.\\overline{3}``) and a
    trailing ``%``.

    Returns:
        The number, or None when ``text`` is not one of these forms.
    """
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not text or len(text) > MAX_DIGITS:
        return None
    num = _parse_plain(text)
    if num is None:
        return None
    return Num(num.value, num.decimals, num.significant, percent) if percent else num


def _parse_plain(text: str) -> Num | None:
    num = _parse_decimal(text)
    if num is not None:
        return num
    if m := _MIXED.match(text):
        sign, whole, top, bottom = m.groups()
        return _mixed(sign, whole, top, bottom)
    if m := _MIXED_SLASH.match(text.replace("\\,", " ")):
        sign, whole, top, bottom = m.groups()
        return _mixed(sign, whole, top, bottom)
    if m := _FRAC.match(text):
        sign, top, bottom = m.groups()
        return _ratio(sign, top, bottom)
    if m := _SLASH.match(text):
        top, bottom = m.groups()
        return _ratio("", top, bottom)
    if m := _REPEATING.match(text):
        return _repeating(*m.groups())
    if m := _TIMES_TEN.match(text):
        mantissa = _parse_decimal(m.group(1))
        exponent = int(m.group(2) or m.group(3))
        if mantissa is None or abs(exponent) > 1000:
            return None
        value = mantissa.value * Fraction(10) ** exponent
        decimals = None if mantissa.decimals is None else max(0, mantissa.decimals - exponent)
        return Num(value, decimals, mantissa.significant)
    return None


def _parse_decimal(text: str) -> Num | None:
    m = _DECIMAL.match(text)
    if m is None:
        return None
    sign, whole, frac, exp = m.groups()
    if whole is None and not frac:
        return None
    whole = (whole or "").replace(",", "")
    digits = whole + (frac or "")
    value = Fraction(int(digits) if digits else 0, 10 ** len(frac or ""))
    if exp is not None:
        e = int(exp)
        if abs(e) > 1000:
            return None
        value *= Fraction(10) ** e
    if sign == "-":
        value = -value
    decimals: int | None = None
    if frac is not None or exp is not None:
        decimals = len(frac or "") - (int(exp) if exp else 0)
        decimals = max(decimals, 0)
    return Num(value, decimals, len(digits.lstrip("0")) or 1)


def _mixed(sign: str, whole: str, top: str, bottom: str) -> Num | None:
    if int(bottom) == 0:
        return None
    value = int(whole) + Fraction(int(top), int(bottom))
    return Num(-value if sign == "-" else value)


def _ratio(sign: str, top: str, bottom: str) -> Num | None:
    a, b = _parse_decimal(top), _parse_decimal(bottom)
    if a is None or b is None or b.value == 0:
        return None
    value = a.value / b.value
    return Num(-value if sign == "-" else value)


def _repeating(sign: str, whole: str, fixed: str, period: str) -> Num:
    # 1.2(3) = (123 - 12) / 90: the classic shift-and-subtract.
    head = int((whole or "0") + fixed)
    full = int((whole or "0") + fixed + period)
    value = Fraction(full - head, (10 ** len(period) - 1) * 10 ** len(fixed))
    return Num(-value if sign == "-" else value)


def close_enough(decimal: Num, exact: float | Fraction, min_digits: int) -> bool:
    """The float rule: may a decimal stand for an exact value?

    It may when it carries at least ``min_digits`` significant digits and lies
    within one unit of its last written digit of the exact value, so both rounding
    and truncation pass (``0.333333`` for 1/3) but ``3.14`` for pi does not (3
    digits) and ``0.3333`` is not 1/3 unless ``min_digits`` is lowered to 4.
    """
    if decimal.decimals is None or decimal.significant < min_digits:
        return False
    ulp = Fraction(1, 10**decimal.decimals)
    return abs(decimal.value - Fraction(exact)) <= ulp
