"""Where each language's compiler or runtime lives here, and whether a sandboxed run can reach it.

The minimal root holds read-only binds of the system's program and library directories but no
``/etc/alternatives`` and no ``/proc``, so a toolchain is always named by its resolved path
(``/usr/bin/java`` is a link through ``/etc/alternatives`` to the JDK's own ``bin/java``), and
a path outside what runs may read is refused here, with what to do about it, rather than
failing inside a run as if the program were at fault.

Standard library only, plus the sandbox's own ``isolation`` (the readable paths) and
``errors``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from .errors import SandboxError
from .isolation import readable_paths


class ToolchainMissing(SandboxError):
    """A language's compiler or runtime is not installed, or not usable from the sandbox.

    The machine's fault, never the program's: nothing is graded, and the message names the
    Debian package to install.
    """


@dataclass(frozen=True)
class Tool:
    """The commands a language needs (looked up on ``/usr/bin:/bin``) and where they come from."""

    commands: tuple[str, ...]
    package: str
    """Debian (bookworm) package that installs them."""
    version_args: tuple[str, ...] = ("--version",)
    """What makes the first command print its version."""


TOOLS: dict[str, Tool] = {
    "c": Tool(("gcc",), "gcc"),
    "cpp": Tool(("g++",), "g++"),
    "java": Tool(("javac", "java"), "default-jdk-headless"),
    "javascript": Tool(("node",), "nodejs"),
    "go": Tool(("go",), "golang-go", ("version",)),
    # Not bookworm's "rustc" (1.63): it finds its sysroot through /proc/self/exe, which runs
    # do not have, and panics; rustc-web (1.85 and later) finds it through its own library.
    "rust": Tool(("rustc", "gcc"), "rustc-web"),
}

_SEARCH = "/usr/bin:/bin"


def _visible(path: str) -> bool:
    """Whether a sandboxed run can read ``path`` (it lies under a readable path)."""
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in _roots())


@functools.lru_cache(maxsize=1)
def _roots() -> tuple[str, ...]:
    return tuple(os.path.realpath(path) for path in readable_paths([]))


@functools.cache
def _locate(language: str) -> dict[str, str]:
    tool = TOOLS[language]
    found: dict[str, str] = {}
    for command in tool.commands:
        path = shutil.which(command, path=_SEARCH)
        if path is None:
            raise ToolchainMissing(
                f"{language} needs {command}, which is not installed: install the Debian "
                f"package {tool.package}"
            )
        real = os.path.realpath(path)
        if not _visible(real):
            raise ToolchainMissing(
                f"{command} resolves to {real}, which sandboxed runs cannot read: install the "
                f"Debian package {tool.package} (under /usr) instead"
            )
        found[command] = real
    return found


def locate(language: str) -> dict[str, str]:
    """Each command ``language`` needs, by name, as its resolved absolute path.

    Found once per process (a miss is looked up again next time, so installing a toolchain
    takes effect without a restart).

    Raises:
        KeyError: ``language`` is not one of :data:`TOOLS`.
        ToolchainMissing: a command is not installed, or lies where runs cannot read it.

    Example:
        >>> locate("c")["gcc"].startswith("/usr/bin/")
        True
    """
    return dict(_locate(language))


def survey() -> dict[str, dict[str, str]]:
    """Every language's toolchain as ``verigrade sandbox-check`` shows it: the path and
    version of its first command, or why it is unusable."""
    report: dict[str, dict[str, str]] = {}
    for language, tool in TOOLS.items():
        try:
            paths = locate(language)
        except ToolchainMissing as error:
            report[language] = {"problem": str(error)}
            continue
        path = paths[tool.commands[0]]
        report[language] = {"path": path, "version": _version([path, *tool.version_args])}
    return report


def _version(argv: list[str]) -> str:
    """The first line a trusted toolchain prints for its version (on the host, not sandboxed)."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, env={"PATH": _SEARCH})
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({type(error).__name__})"
    text = (done.stdout or done.stderr).decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "unknown"
