"""The exact-type wire: what it carries, and what it refuses."""

from __future__ import annotations

import collections
import enum
import json
import math
import random
import sys
from typing import Any

import pytest
from verigrade.sandbox import wire


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -7, 2**100, 1.5, "text", "", [1, [2, "x"]], (1, (2,)), (),
        {"a": 1}, {1: "a", (1, 2): [3]}, {1, 2}, frozenset({"x"}), b"\x00\xff", 1 + 2j,
        [float("inf"), -float("inf")],
    ],
)  # fmt: skip
def test_plain_values_round_trip_with_their_exact_types(value: Any) -> None:
    back = wire.decode(wire.encode(value))
    assert back == value
    assert type(back) is type(value)


def test_nan_round_trips() -> None:
    assert math.isnan(wire.decode(wire.encode(float("nan"))))


class LyingInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__

    def __index__(self) -> int:
        return 99

    def __int__(self) -> int:
        return 99

    def __repr__(self) -> str:
        return "99"


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return "lie"


class LyingFloat(float):
    def __float__(self) -> float:
        return 99.0

    def __repr__(self) -> str:
        return "99.0"


class LyingList(list[Any]):
    def __iter__(self) -> Any:
        return iter(["lie"])

    def __len__(self) -> int:
        return 1


class LyingTuple(tuple[Any, ...]):
    def __iter__(self) -> Any:
        raise SystemExit("a BaseException out of the encoder would end the call loop")


class LyingDict(dict[Any, Any]):
    def items(self) -> Any:
        raise SystemExit("a BaseException out of the encoder would end the call loop")

    def __iter__(self) -> Any:
        return iter(["lie"])

    def keys(self) -> Any:
        return ["lie"]


class LyingSet(set[Any]):
    def __iter__(self) -> Any:
        return iter(["lie"])


class LyingBytes(bytes):
    def hex(self, *args: Any) -> str:
        return "00"

    def __bytes__(self) -> bytes:
        return b"lie"


class Color(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    LARGE = 3


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "value, sent",
    [
        (LyingInt(3), 3),
        (LyingStr("x"), "x"),
        (LyingFloat(1.5), 1.5),
        ([1, LyingInt(2)], [1, 2]),
        ({"k": LyingStr("v")}, {"k": "v"}),
        (LyingList([1, 2]), [1, 2]),
        (LyingTuple((1, 2)), (1, 2)),
        (LyingDict({1: 2}), {1: 2}),
        (LyingSet({1, 2}), {1, 2}),
        (LyingBytes(b"ab"), b"ab"),
        (collections.defaultdict(list, {1: [2]}), {1: [2]}),
        (collections.Counter("aab"), {"a": 2, "b": 1}),
        (collections.OrderedDict([(2, 1), (1, 2)]), {2: 1, 1: 2}),
        (Point(1, 2), (1, 2)),
        ([Point(1, (Point(2, 3),))], [(1, ((2, 3),))]),
        (Size.LARGE, 3),
        ({Size.LARGE: Size.LARGE}, {3: 3}),
        (enum.IntFlag("Flag", "A B").B, 2),
        (True, True),  # bool is an int subclass, and stays a bool
        ({False: True}, {False: True}),
    ],
    ids=lambda value: type(value).__name__,
)
def test_subclasses_are_sent_as_their_built_in_base(value: Any, sent: Any) -> None:
    # Read through the base type's own methods: what a subclass overrides cannot change what
    # is sent, nor raise out of the encoder; the judge only ever gets fresh built-ins.
    back = wire.decode(wire.encode(value))
    assert back == sent
    assert_only_builtins(back)
    assert type(back) is type(sent)


@pytest.mark.parametrize(
    "value, named",
    [
        (object(), "object"),
        (len, "builtin_function_or_method"),
        (iter([]), "list_iterator"),
        (Color.RED, "Color"),
        ([1, Color.RED], "Color"),
        (bytearray(b"x"), "bytearray"),
    ],
)
def test_other_objects_are_refused_by_name(value: Any, named: str) -> None:
    with pytest.raises(wire.WireError, match=f"cannot send a value of type .*{named}"):
        wire.encode(value)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',  # a plain JSON object is not a value we send
        '{"~": "tuple", "v": 3}',
        '{"~": "dict", "v": [[[1], 2]]}',  # unhashable key
        '{"~": "evil", "v": []}',
        "[1,",
        "9" * 5000,  # longer than Python's int-from-text limit
    ],
)
def test_malformed_messages_are_refused(text: str) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(text)


def test_deep_nesting_is_refused() -> None:
    deep: Any = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.decode("[" * 100_000 + "]" * 100_000)


# -- hostile messages: whatever a program writes, decode gives a value or a WireError ----------


def assert_only_builtins(value: Any, depth: int = 0) -> None:
    """Every object in ``value`` is of an exact built-in type decode may build."""
    assert depth <= wire.MAX_DEPTH + 1
    kind = type(value)
    assert value is None or kind in (
        *(bool, int, float, str, bytes, complex),
        *(list, tuple, dict, set, frozenset),
    )
    if kind in (list, tuple, set, frozenset):
        for item in value:
            assert_only_builtins(item, depth + 1)
    elif kind is dict:
        for key, item in value.items():
            assert_only_builtins(key, depth + 1)
            assert_only_builtins(item, depth + 1)


def decodes_or_refuses(message: str | bytes) -> None:
    """Decode ``message``: a value of built-ins or a WireError, never any other exception."""
    try:
        value = wire.decode(message)
    except wire.WireError:
        return
    assert_only_builtins(value)


HOSTILE_MESSAGES = [
    '{"~": "bytes", "v": "zz"}',  # not hex: bytes.fromhex raised ValueError
    '{"~": "bytes", "v": "abc"}',  # odd length
    '{"~": "bytes", "v": 7}',
    '{"~": "complex", "v": [1]}',
    '{"~": "complex", "v": ["1+2j", 0.0]}',
    '{"~": "complex", "v": [1.0, 2.0, 3.0]}',
    '{"~": "complex", "v": [' + "9" * 400 + ", 0.0]}",  # OverflowError: int too large
    '{"~": "complex", "v": [[], {}]}',
    '{"~": "dict", "v": ["ab"]}',  # a pair that is a string of two characters
    '{"~": "dict", "v": [[1, 2, 3]]}',
    '{"~": "dict", "v": [[[1], 2]]}',  # unhashable key
    '{"~": "dict", "v": [[{"~": "tuple", "v": [[1]]}, 2]]}',  # a tuple holding a list
    '{"~": "set", "v": [[1]]}',
    '{"~": "frozenset", "v": [{"~": "dict", "v": []}]}',
    '{"~": "tuple", "v": "abc"}',
    '{"~": ' + "[" * 900 + "]" * 900 + ', "v": []}',  # a deep tag, shown in the error text
    '{"~": "int", "v": "xyz"}',
    '{"~": "int", "v": 12}',
    '{"~": "int", "v": "0x1f"}',
    '{"~": "int", "v": "1_0"}',
    '{"~": "int", "v": " 1f "}',
    '{"~": "bytes", "v": "zz", "x": 1}',
    '{"~": "tuple"}',
    '{"v": []}',
    "[1e999999, -1e999999, 1e-999999]",
    '"\\ud800\\udfff\\udc00"',  # lone and paired surrogates
    "1 junk",
    '"ok" "ok"',
    "NaN",
    "-Infinity",
    "",
    " ",
    "\x00",
    "[" * 100_000,
    "[" * 900 + "]" * 900,
    '{"~": "tuple", "v": ' * 800 + "[]" + "}" * 800,
    "9" * 5000,
    "-" + "9" * 5000,
    "1" + "0" * 4300 + ".5",
    '"' + "x" * 1_000_000 + '"',
    b"\xff\xfe\x00",
    b'"\xff"',
    b'"\xed\xa0\x80"',  # a surrogate encoded as UTF-8: not valid UTF-8
    b"\xef\xbb\xbf[1]",
    "[1]".encode("utf-16"),
    "[1]".encode("utf-32-le"),
]


@pytest.mark.parametrize("message", HOSTILE_MESSAGES, ids=range(len(HOSTILE_MESSAGES)))
def test_hostile_messages_give_a_value_or_a_wire_error(message: str | bytes) -> None:
    decodes_or_refuses(message)


_TAGS = ["tuple", "set", "frozenset", "dict", "bytes", "complex", "int", "evil", 3, None]


def random_node(rng: random.Random, depth: int = 0) -> Any:
    """A JSON tree that is often the shape of a wire value, and often nearly so."""
    roll = rng.random()
    if depth > 6 or roll < 0.35:
        return rng.choice(
            [
                None,
                True,
                rng.randint(-10, 10),
                rng.randint(-(2**80), 2**80),
                rng.choice([0, 1, -1]) * (2**61 - 1) * rng.randint(1, 10) + rng.randint(-3, 3),
                rng.uniform(-1e6, 1e6),
                rng.choice([float("inf"), float("-inf"), float("nan"), 1e308, -0.0, 5e-324]),
                "".join(rng.choice('ab~v\\"\ud800\udc00é\x00 ') for _ in range(rng.randint(0, 5))),
                "".join(rng.choice("0123456789abcdefxz -") for _ in range(rng.randint(0, 9))),
            ]
        )
    if roll < 0.55:
        return [random_node(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.95:
        tag = rng.choice(_TAGS)
        body: Any
        if tag in ("bytes", "int") and rng.random() < 0.7:
            body = "".join(
                rng.choice("0123456789abcdefABCDEF-xz _") for _ in range(rng.randint(0, 9))
            )
        elif tag == "complex" and rng.random() < 0.5:
            body = [rng.uniform(-9, 9) for _ in range(rng.choice([0, 1, 2, 2, 2, 3]))]
        elif tag == "dict" and rng.random() < 0.6:
            body = [
                [random_node(rng, depth + 1) for _ in range(rng.choice([1, 2, 2, 2, 3]))]
                for _ in range(rng.randint(0, 3))
            ]
        else:
            body = random_node(rng, depth + 1)
        node = {"~": tag, "v": body}
        if rng.random() < 0.05:
            node["x"] = 1
        return node
    return {rng.choice(["a", "~", "v"]): random_node(rng, depth + 1)}


def mutate(rng: random.Random, data: bytes) -> bytes:
    """``data`` with a few random byte-level edits."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        position = rng.randint(0, len(buffer))
        action = rng.random()
        if action < 0.3 and buffer:
            del buffer[position : position + rng.randint(1, 8)]
        elif action < 0.6:
            buffer[position:position] = bytes(
                rng.choice(b'[]{}",:~v0189eE-.\\u\xff\x00 ') for _ in range(rng.randint(1, 4))
            )
        elif action < 0.8 and buffer:
            start = rng.randrange(len(buffer))
            buffer[position:position] = buffer[start : start + rng.randint(1, 32)]
        elif buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
    return bytes(buffer)


def test_fuzzed_messages_give_a_value_or_a_wire_error() -> None:
    rng = random.Random(20240611)
    for _ in range(4000):
        data = json.dumps(random_node(rng)).encode()
        for message in (data, mutate(rng, data)):
            decodes_or_refuses(message)
            decodes_or_refuses(message.decode("utf-8", "replace"))


def test_decoding_near_the_recursion_limit_is_a_wire_error() -> None:
    # The judge may decode an answer deep inside test code's own recursion: a message nested
    # deeper than the stack left is refused, not a RecursionError out of decode. (With no
    # room at all, even decoding "1" fails: only depths where that works are compared.)
    nested = wire.encode([[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]])

    def decode_at(levels: int, message: str) -> str:
        if levels:
            try:
                return decode_at(levels - 1, message)
            except RecursionError:
                return "no room to get there"
        try:
            wire.decode(message)
        except wire.WireError:
            return "refused"
        except RecursionError:
            return "escaped"
        return "decoded"

    limit = sys.getrecursionlimit()
    outcomes = {
        decode_at(limit - spare, nested)
        for spare in range(limit)
        if decode_at(limit - spare, "1") != "escaped"
    }
    assert "escaped" not in outcomes
    assert {"refused", "decoded"} <= outcomes  # both the tight and the roomy cases were met


# -- values that share one hash: building sets and dicts of them must stay linear ---------------

MODULUS = sys.hash_info.modulus  # an int's hash is the int modulo this (2**61 - 1)
SAME_HASH_INTS = [MODULUS * k + 7 for k in range(1, 38_001)]  # 38,000 ints, one hash
SAME_HASH_FLOATS = [7.0 * 2.0 ** (61 * k) for k in range(17)]  # 2**61 ≡ 1: all hash to 7
SAME_HASH_TUPLES = [{"~": "tuple", "v": ["x", n]} for n in SAME_HASH_INTS[:5000]]


def test_hash_values_collide_in_a_dict_only_by_the_handful() -> None:
    # Why counting values by hash() in a dict is linear: a hash value is an int, and an int
    # hashes to itself modulo MODULUS (keeping its sign). Numbers hash below MODULUS already,
    # so distinct numeric hash values never collide as keys; other objects (tuples, str,
    # None) hash anywhere in 64 bits, where at most 2**64 / MODULUS ~ 8 values share a key's
    # hash. The dict compares colliding keys only then, and only as ints.
    numbers = [0, 1, -2, 7, MODULUS - 1, -(MODULUS - 1), 2**40 + 3, 2**100, -(2**70), 1.5]
    numbers += [float("inf"), 1e300, complex(1, 0), True]
    assert all(hash(hash(x)) == hash(x) for x in numbers)
    assert hash(-1) == -2  # the one int that does not hash to itself, and never a hash value
    for h in (hash((1, 2)), hash("s"), hash(None), hash(frozenset({3})), 2**63 - 1, -(2**63)):
        assert hash(h) == (abs(h) % MODULUS) * (1 if h >= 0 else -1) or hash(h) == -2


def test_ints_forged_to_share_a_hash_do() -> None:
    assert len({hash(n) for n in SAME_HASH_INTS}) == 1
    assert len({hash(x) for x in SAME_HASH_FLOATS}) == 1


@pytest.mark.parametrize(
    "message",
    [
        {"~": "set", "v": SAME_HASH_INTS},
        {"~": "frozenset", "v": SAME_HASH_INTS},
        {"~": "dict", "v": [[n, 0] for n in SAME_HASH_INTS]},
        {"~": "set", "v": SAME_HASH_TUPLES},
        # A list is no container of hashed items, but test code may make one of it
        # (``set(candidate(x))``), and that set would take as long to build.
        SAME_HASH_INTS,
        [[n] for n in SAME_HASH_INTS],  # spread over many lists, gathered by the test
    ],
    ids=["set", "frozenset", "dict", "set-of-tuples", "list", "nested-lists"],
)
def test_many_values_sharing_a_hash_are_refused(message: Any) -> None:
    # Each once cost the judge 7-24 s in set or dict insertion, or in the test's own set().
    with pytest.raises(wire.WireError, match="share one hash"):
        wire.decode(json.dumps(message))


@pytest.mark.parametrize(
    "value",
    [
        {2**k for k in range(2000)},  # powers of two hash alike every 61: 33 share each hash
        {2**k: k for k in range(2000)},
        [2**100] * 5000,  # one value many times is no collision
        set(SAME_HASH_FLOATS),
        {(n, n) for n in SAME_HASH_INTS[: wire.MAX_SAME_HASH]},
        {-1, -2, 2**61 - 3, 2**62},  # -1 and -2 share a hash
    ],
    ids=["powers-of-two", "dict-of-powers", "repeats", "floats", "at-the-limit", "minus-one"],
)
def test_values_that_share_a_hash_by_nature_still_cross(value: Any) -> None:
    assert wire.decode(wire.encode(value)) == value


# -- ints past Python's int-to-text limit (4,300 digits by default) ----------------------------

BIG_INTS = [10**5000, -(10**5000), 2**100_000 - 1, 7**20_000]


@pytest.mark.parametrize(
    "number", BIG_INTS, ids=["10**5000", "-10**5000", "2**100000-1", "7**20000"]
)
def test_ints_past_the_text_limit_cross_losslessly(number: int) -> None:
    for value in (number, [number, 1], (number,), {number: number}, {number, 1}):
        back = wire.decode(wire.encode(value))
        assert back == value and type(back) is type(value)


def test_ints_within_the_text_limit_stay_json_numbers() -> None:
    assert wire.encode(2**100) == str(2**100)
    assert wire.encode([-(10**600)]) == f"[{-(10**600)}]"
    assert wire.decode('{"~": "int", "v": "-ff"}') == -255


def test_a_decimal_int_past_the_limit_is_refused_even_with_the_limit_off() -> None:
    # Reading decimal text into an int takes quadratic time: a judge that lifted Python's
    # limit must still not read a megabyte of digits.
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("this Python has no int-to-text limit to lift")
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(wire.WireError):
            wire.decode("9" * 100_000)
        assert wire.decode("9" * 600) == int("9" * 600)
    finally:
        sys.set_int_max_str_digits(before)
