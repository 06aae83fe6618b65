"""What the subcommands share: the ``register`` signature and common options."""

from __future__ import annotations

import argparse
from typing import Any, cast

from ..engine import DEFAULT_MAX_CHARS, Grader

#: argparse's ``_SubParsersAction``, which is private; a subcommand's ``register`` gets one.
Subparsers = Any

#: ``--pin-workers`` values and what each passes as ``pin``.
PIN_CHOICES: dict[str, bool | None] = {"auto": None, "yes": True, "no": False}


def add_pin_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--pin-workers`` option, shared by ``verigrade grade`` and ``verigrade serve``."""
    parser.add_argument(
        "--pin-workers",
        choices=list(PIN_CHOICES),
        default="auto",
        help="keep each worker on a core of its own (auto, the default: only with one worker "
        "per core and no CPU quota)",
    )


def add_ray_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """The ``--ray [ADDRESS]`` option, shared by ``grade``, ``select`` and ``serve``."""
    parser.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help=f"{what} on a Ray cluster (default address: auto; needs verigrade[ray]); "
        "--workers is then per node",
    )


def add_grading_arguments(parser: argparse.ArgumentParser) -> None:
    """How the JSONL commands (``grade``, ``select``) grade: the spec, the workers and
    their limits, the batch size, and what they print."""
    parser.add_argument(
        "--spec", "-s", required=True,
        help="reward spec: a verifier name, inline JSON like '{\"think_format\": 1}', or a JSON file",
    )  # fmt: skip
    parser.add_argument(
        "--workers",
        "-w",
        type=int,
        default=None,
        help="worker processes (default: one per core; 0: in this process, no deadlines)",
    )
    add_pin_argument(parser)
    add_ray_argument(parser, "grade")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-item deadline in seconds (default: each verifier's own)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        help="samples sent to the pool at once (default 1024)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help=f"longest completion graded (default {DEFAULT_MAX_CHARS:,})",
    )
    parser.add_argument("--summary", metavar="FILE", help="also write the summary as JSON to FILE")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


def grader_from(args: argparse.Namespace) -> Grader:
    """The grader ``add_grading_arguments`` describes: a local Grader, or with ``--ray`` a
    RayGrader (the same surface) on that cluster."""
    if args.ray is None:
        return Grader(
            args.workers,
            timeout=args.timeout,
            max_chars=args.max_chars,
            pin_workers=PIN_CHOICES[args.pin_workers],
        )
    from ..ray import RayGrader  # only here: the library never imports ray

    ray_grader = RayGrader(
        args.ray, workers_per_node=args.workers, timeout=args.timeout, max_chars=args.max_chars
    )
    return cast(Grader, ray_grader)  # the same surface; the commands use submit and close
