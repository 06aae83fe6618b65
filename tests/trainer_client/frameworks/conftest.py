"""One real ``verigrade serve`` on loopback for the framework tests, started exactly as
the OpenRLHF recipe of docs/server.md says (its spec file included)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import LiveServer, free_port

from .recipes import blocks


def serve_command(line: str, port: int, specs: Path) -> list[str]:
    """The recipe's ``verigrade serve ...`` line, run from this venv on a free port with
    one grading worker (two cores in CI) and the spec file written for the test."""
    args = shlex.split(line)
    assert args[:2] == ["verigrade", "serve"], line
    out = [str(Path(sys.executable).parent / "verigrade"), "serve"]
    rest = iter(args[2:])
    for arg in rest:
        value = next(rest) if arg in {"--port", "--workers", "--specs", "--host"} else None
        if arg == "--port":
            value = str(port)
        elif arg == "--workers":
            value = "1"
        elif arg == "--specs":
            value = str(specs)
        out += [arg] if value is None else [arg, value]
    return out


@pytest.fixture(scope="package")
def specs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recipe's specs.json, as written in the docs."""
    (text,) = blocks("OpenRLHF", "json")
    path = tmp_path_factory.mktemp("specs") / "specs.json"
    path.write_text(text, encoding="utf-8")
    json.loads(text)  # the recipe itself must be valid JSON
    return path


def start(specs_file: Path, *extra: str) -> LiveServer:
    """``verigrade serve`` as the OpenRLHF recipe starts it (plus ``extra`` flags)."""
    bash = blocks("OpenRLHF", "bash")[0]
    line = next(x for x in bash.splitlines() if x.startswith("verigrade serve"))
    port = free_port()
    return LiveServer([*serve_command(line, port, specs_file), *extra], {**_env()}, port)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("VERIGRADE_")}


@pytest.fixture(scope="package")
def server(specs_file: Path) -> Iterator[LiveServer]:
    live = start(specs_file)
    yield live
    live.stop()
