"""``verigrade serve``: run the grading server.

Kept import-light (the CLI loads every subcommand's ``register``): fastapi and uvicorn
are imported only when the command runs.

Two kinds of processes: ``--workers`` grading worker processes per HTTP process (the
CPU-bound part), and ``--http-workers`` uvicorn processes (JSON and HTTP). One HTTP
process keeps up with ~100k items/s of cheap verifiers, so raise ``--workers`` first;
each HTTP process starts its own pool of ``--workers``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from verigrade.verifiers.cli import PIN_CHOICES, add_pin_argument, add_ray_argument

Subparsers = Any  # argparse's _SubParsersAction is private


def register(subparsers: Subparsers) -> None:
    """Add ``verigrade serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP grading server",
        description="Serve the grading API (see docs/server.md). Every VERIGRADE_* setting "
        "also works as an environment variable; flags win.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="grading worker processes per HTTP process (default: one per core)",
    )
    parser.add_argument(
        "--http-workers",
        type=int,
        default=1,
        help="uvicorn processes, each with its own grading pool (default 1)",
    )
    add_pin_argument(parser)
    add_ray_argument(parser, "grade")
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY'")
    parser.add_argument(
        "--specs",
        default=None,
        metavar="FILE",
        help="JSON file of named specs {name: spec}, served at /v1/openrlhf/<name>",
    )
    parser.add_argument(
        "--openrlhf-strict",
        action="store_true",
        default=None,
        help="/v1/openrlhf fails a request (422) with a sample it cannot grade, "
        "instead of scoring it 0.0",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    """Run uvicorn until interrupted; a signal drains in-flight requests first."""
    import uvicorn

    # Settings travel through the environment so every uvicorn process reads the same.
    if args.workers is not None:
        os.environ["VERIGRADE_WORKERS"] = str(args.workers)
    if args.ray is not None:
        os.environ["VERIGRADE_RAY_ADDRESS"] = args.ray
    if args.api_key is not None:
        os.environ["VERIGRADE_API_KEY"] = args.api_key
    if args.specs is not None:
        from verigrade.verifiers import SpecError

        from .specs import load_named_specs

        try:
            names = load_named_specs(args.specs)
        except SpecError as exc:  # said here, before uvicorn starts and buries it
            print(f"verigrade serve: {exc}", file=sys.stderr)
            return 2
        os.environ["VERIGRADE_SPECS"] = os.path.abspath(args.specs)
        print(f"named specs: {', '.join(sorted(names))}", file=sys.stderr)
    if args.openrlhf_strict:
        os.environ["VERIGRADE_OPENRLHF_STRICT"] = "true"
    pin = PIN_CHOICES[args.pin_workers]
    if pin is not None:
        os.environ["VERIGRADE_PIN_WORKERS"] = "true" if pin else "false"
    from .settings import Settings

    # uvicorn waits for every open connection at shutdown, a client still uploading its
    # body included, unless told a limit: VERIGRADE_DRAIN_TIMEOUT is that limit, counted
    # from the signal (the app's own drain then gets only what is left of it).
    drain = Settings().drain_timeout
    if args.http_workers > 1:
        uvicorn.run(
            "verigrade.server.app:app",
            host=args.host,
            port=args.port,
            workers=args.http_workers,
            log_level=args.log_level,
            # Typed int by uvicorn, used as asyncio.wait_for's timeout: a float works.
            timeout_graceful_shutdown=drain,  # type: ignore[arg-type]
        )
        return 0
    from .app import create_app
    from .drain import DrainingServer

    app = create_app()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=drain,  # type: ignore[arg-type]
    )
    DrainingServer(config, app).run()
    return 0
