"""What the subcommands share: the ``register`` signature and common options."""

from __future__ import annotations

import argparse
from typing import Any

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
