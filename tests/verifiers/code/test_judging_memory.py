"""A program judged by a checker or an interactor never holds the answer in its memory either.

The scan of ``test_memory`` (the program reads every page of its own memory for
``EXPECTED-`` and 32 hex digits, Landlock and the minimal root off so that it can), against a
checker that holds the answer only in its own later run, and an interactor that holds the
secret in another sandbox. A control in each shows the scan finds what is really there.
"""

from __future__ import annotations

import uuid

from tests.verifiers.code.test_memory import SCAN, grade, unfenced_memory

__all__ = ["unfenced_memory"]  # the fixture, imported for the tests below

# Accepts when the program printed the answer: what a program that could read it would do.
SAME = (
    "import sys\nsys.exit(open('output.txt').read().split() != open('answer.txt').read().split())"
)


def test_a_checkers_answer_is_not_in_the_programs_memory(unfenced_memory: None) -> None:
    secret = f"EXPECTED-{uuid.uuid4().hex}"
    program = SCAN + "\ninput()\nprint(scan())"
    checker = {"source": SAME}
    reference = {"tests": [{"input": "x\n", "output": secret}], "checker": checker}
    assert grade(program, reference).score == 0.0
    control = {"tests": [{"input": secret + "\n", "output": secret}], "checker": checker}
    assert grade(program, control).score == 1.0


def test_an_interactors_secret_is_not_in_the_programs_memory(unfenced_memory: None) -> None:
    # The interactor asks the program for its secret; the program answers with what its
    # memory holds. With --reveal in the input, the interactor sends the secret first (the
    # control: then the program holds it and finds it).
    interactor = (
        "import sys\nsecret, *reveal = open(sys.argv[1]).read().split()\n"
        "print(secret if reveal else 'guess', flush=True)\n"
        "sys.exit(sys.stdin.readline().strip() != secret)"
    )
    secret = f"EXPECTED-{uuid.uuid4().hex}"
    program = SCAN + "\ninput()\nprint(scan(), flush=True)"
    reference = {"tests": [{"input": secret}], "interactor": {"source": interactor}}
    assert grade(program, reference).score == 0.0
    control = {"tests": [{"input": f"{secret} --reveal"}], "interactor": {"source": interactor}}
    assert grade(program, control).score == 1.0
