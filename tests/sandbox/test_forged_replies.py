"""Forged replies on the result channel: whatever a program writes there, the judge reads an
answer (a value or an error) and never raises."""

from __future__ import annotations

import json
import random
from typing import Any

from verigrade.sandbox import Limits, Sandbox

from .test_wire import SAME_HASH_INTS, assert_only_builtins, mutate, random_node

# Lines a program can write on descriptor 4 in place of the server's ``ok <value>``, and the
# status the judge must read from each (None: either, as long as nothing raises).
FIXED: list[tuple[bytes, str | None]] = [
    (b'ok {"~": "bytes", "v": "zz"}', "error"),  # bytes.fromhex raised ValueError in the judge
    (b'ok {"~": "complex", "v": [' + b"9" * 400 + b", 0.0]}", "error"),  # OverflowError
    (b'ok {"~": "dict", "v": [[[1], 2]]}', "error"),
    (b"ok 1 junk", "error"),
    (b"ok 1", "ok"),
    (b"ok", "error"),
    (b"ok ", "error"),
    (b"ok\t1", "error"),
    (b"okay 1", "error"),
    (b"", "error"),
    (b"err", "error"),
    (b"err \xff\xfe not UTF-8", "error"),
    (b"\xff\xfe\xfd", "error"),
    (b"ok \x00", "error"),
    (b'ok "\\ud800"', "ok"),  # a lone surrogate is a str Python can hold
    (b"ok " + b"[" * 100_000, "error"),
    (b"ok " + b"[" * 900 + b"]" * 900, "error"),
    (b"ok " + b"9" * 5000, "error"),
    (b'ok "' + b"x" * 300_000 + b'"', "ok"),
    # 38,000 ints with one hash: building the set took the judge 7-24 s
    (b"ok " + json.dumps({"~": "set", "v": SAME_HASH_INTS}).encode(), "error"),
]


def forging_program(lines: list[bytes]) -> str:
    payload = b"".join(line + b"\n" for line in lines)
    return (
        "import os\n"
        f"payload = memoryview({payload!r})\n"
        "while payload:\n"
        "    payload = payload[os.write(4, payload):]\n"
        "def f():\n"
        "    return 0\n"
    )


def receive_all(box: Sandbox, lines: list[bytes]) -> list[tuple[str, Any]]:
    limits = Limits(wall_seconds=20, cpu_seconds=10, output_bytes=16 << 20)
    with box.session(forging_program(lines), limits=limits) as session:
        session.send("f", ["[]"] * len(lines))  # each forged line answers one of these
        return [session.receive(5.0) for _ in lines]


def check(answers: list[tuple[str, Any]], expected: list[str | None]) -> None:
    for (status, value), want in zip(answers, expected, strict=True):
        assert status in ("ok", "error")
        if want is not None:
            assert status == want, (status, value)
        if status == "ok":
            assert_only_builtins(value)
        else:
            assert isinstance(value, str)


def test_forged_replies_are_read_as_answers_or_errors(box: Sandbox) -> None:
    answers = receive_all(box, [line for line, _ in FIXED])
    check(answers, [status for _, status in FIXED])


def test_fuzzed_replies_are_read_as_answers_or_errors(box: Sandbox) -> None:
    rng = random.Random(7)
    lines = []
    for _ in range(600):
        line = b"ok " + json.dumps(random_node(rng)).encode()
        if rng.random() < 0.5:
            line = mutate(rng, line)
        lines.append(line.replace(b"\n", b" "))
    check(receive_all(box, lines), [None] * len(lines))
