"""The ``verigrade`` command line.

Subcommands come from the entry-point group ``verigrade.commands``: each entry is a
function ``register(subparsers)`` that adds a parser and sets ``handler`` (a
function ``(argparse.Namespace) -> int``). ``grade`` and ``list`` live beside this
module; the server adds ``serve``, the trainer ``train``, the sandbox ``sandbox-check``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from ..core.errors import VerigradeError
from .arguments import Subparsers

COMMANDS = "verigrade.commands"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="verigrade", description="Verifiable rewards for RL on language models."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for ep in sorted(entry_points(group=COMMANDS), key=lambda e: e.name):
        try:
            register: Callable[[Subparsers], None] = ep.load()
            register(subparsers)
        except ImportError as exc:
            # An optional part (e.g. the server extra) is missing: say so when used.
            broken = subparsers.add_parser(ep.name, help=f"(unavailable: {exc})")
            broken.set_defaults(handler=_unavailable(ep.name, exc))
    return parser


def _unavailable(name: str, exc: ImportError) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        print(f"verigrade {name}: unavailable, a dependency is missing: {exc}", file=sys.stderr)
        return 2

    return handler


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except VerigradeError as exc:
        print(f"verigrade {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"verigrade {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`verigrade list | head`): not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (stops the flush at exit failing again)
        return 141
    return code
