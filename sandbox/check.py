"""``verigrade sandbox-check``: which isolation layers this machine gives a sandboxed run."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .client import Sandbox
from .errors import SandboxError
from .isolation import ALL_LAYERS
from .limits import Limits
from .toolchains import survey


def register(subparsers: Any) -> None:
    """Add ``verigrade sandbox-check`` (entry point in group ``verigrade.commands``)."""
    parser = subparsers.add_parser(
        "sandbox-check",
        help="show which sandbox isolation layers are active here",
        description=(
            "Start the sandbox's fork server, report each isolation layer as active or why "
            "not, run a trivial program through it, and list the toolchains found for each "
            "language (or the Debian package to install). Exit status 1 when a layer is "
            "missing; a missing toolchain only means that language cannot be graded."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def report() -> dict[str, Any]:
    """The layers (``"active"`` or why not), the sandbox uid, a trial run's outcome, and each
    language's toolchain (path and version, or what to install)."""
    box = Sandbox()
    try:
        layers = box.active_layers()
        trial = box.run_python("print(6 * 7)", limits=Limits(wall_seconds=5))
        ok = trial.status == "ok" and trial.stdout == b"42\n"
        if layers.get("pid_namespace") == "active":
            cleanup = "pid namespace (everything a run starts dies with it)"
        elif layers.get("uid") == "active":
            cleanup = "sandbox uid (every process of the uid is killed after a run)"
        else:
            cleanup = "child subreaper (every process a run leaves behind is killed after it)"
        return {
            "layers": {name: layers.get(name, "unknown") for name in ALL_LAYERS},
            "cleanup": cleanup,
            "uid": box.uid,
            "interpreter": box.interpreter,
            "trial_run": "ok" if ok else trial.reason,
            "toolchains": survey(),
        }
    finally:
        box.close()


def run(args: argparse.Namespace) -> int:
    """Print the report; exit status 0 only when every layer is active and the trial ran."""
    try:
        facts = report()
    except SandboxError as error:
        print(f"sandbox unavailable: {error}")
        return 1
    complete = all(state == "active" for state in facts["layers"].values())
    healthy = complete and facts["trial_run"] == "ok"
    if getattr(args, "json", False):
        print(json.dumps({**facts, "complete": healthy}, indent=2))
        return 0 if healthy else 1
    for name, state in facts["layers"].items():
        mark = "ok  " if state == "active" else "MISSING"
        print(f"{mark:8}{name:17}{state}")
    print(f"sandbox uid: {facts['uid']}   interpreter: {facts['interpreter']}")
    print(f"trial run: {facts['trial_run']}")
    print(f"process cleanup: {facts['cleanup']}")
    for language, found in facts["toolchains"].items():
        if "problem" in found:
            print(f"{language:11}MISSING  {found['problem']}")
        else:
            print(f"{language:11}{found['version']}  ({found['path']})")
    if not healthy:
        print("DEGRADED: runs go ahead without the missing layers")
    return 0 if healthy else 1
