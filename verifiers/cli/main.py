"""The ``verigrade`` command line.

Subcommands come from the entry-point group ``verigrade.commands``: each entry is a
function ``register(subparsers)`` that adds a parser and sets ``handler`` (a
function ``(argparse.Namespace) -> int``). ``grade`` and ``list`` live here; the
server adds ``serve``, the trainer ``train``, the sandbox ``sandbox-check``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from .errors import VerigradeError

COMMANDS = "verigrade.commands"

Subparsers = Any  # argparse's _SubParsersAction is private


def register_grade(subparsers: Subparsers) -> None:
    """Add ``verigrade grade``."""
    from .grade_command import add_arguments, run

    parser = subparsers.add_parser(
        "grade",
        help="grade a JSONL file of samples",
        description=(
            "Grade every line of INPUT (JSONL: one object per line with 'completion' and "
            "optionally 'id', 'prompt', 'reference', 'metadata') against SPEC. Writes one "
            'line per input line, in order: {"id", "reward", "verdicts"}.'
        ),
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def register_list(subparsers: Subparsers) -> None:
    """Add ``verigrade list``."""
    parser = subparsers.add_parser("list", help="show the installed verifiers and their options")
    parser.add_argument("--json", action="store_true", help="print the options as JSON schemas")
    parser.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    import json

    from .registry import list_verifiers

    verifiers = list_verifiers()
    if args.json:
        out = {
            name: {"description": cls.description, "options": cls.options_schema()}
            for name, cls in verifiers.items()
        }
        print(json.dumps(out, indent=2))
        return 0
    for name, cls in verifiers.items():
        print(f"{name}  {cls.description}")
        props: dict[str, Any] = cls.options_schema().get("properties", {})
        for option, schema in props.items():
            kind = _schema_type(schema)
            default = json.dumps(schema["default"]) if "default" in schema else "required"
            doc = schema.get("description", "")
            print(f"    {option}: {kind} = {default}  {doc}".rstrip())
        print()
    return 0


def _schema_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(map(repr, schema["enum"]))
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"])
    return str(schema.get("type", "any"))


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


if __name__ == "__main__":
    sys.exit(main())
