"""``verigrade list``: the installed verifiers and their options."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core.registry import list_verifiers
from .arguments import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add ``verigrade list``."""
    parser = subparsers.add_parser("list", help="show the installed verifiers and their options")
    parser.add_argument("--json", action="store_true", help="print the options as JSON schemas")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print every installed verifier with its options; returns the exit code."""
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
