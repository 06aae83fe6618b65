"""The verifier registry: a name -> class mapping read from entry points.

Built-ins register through the very group third parties use
(``[project.entry-points."verigrade.verifiers"]``), so a plugin is a first-class
citizen. ``register`` adds a class at run time (tests, notebooks).
"""

from __future__ import annotations

import threading
from typing import Any

from .base import Verifier
from .errors import UnknownVerifierError

GROUP = "verigrade.verifiers"

_lock = threading.Lock()
_runtime: dict[str, type[Verifier[Any]]] = {}
_loaded: dict[str, type[Verifier[Any]]] = {}


def _entry_point_names() -> dict[str, Any]:
    # Imported on first lookup: importlib.metadata costs ~12 ms at start-up.
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def get_verifier(name: str) -> type[Verifier[Any]]:
    """The verifier class registered under ``name``.

    Raises:
        UnknownVerifierError: no installed verifier has that name.
    """
    with _lock:
        if name in _runtime:
            return _runtime[name]
        if name in _loaded:
            return _loaded[name]
    eps = _entry_point_names()
    if name not in eps:
        raise UnknownVerifierError(name, verifier_names())
    cls = eps[name].load()
    if not (isinstance(cls, type) and issubclass(cls, Verifier)):
        raise TypeError(f"entry point {name!r} in {GROUP!r} is not a Verifier subclass: {cls!r}")
    with _lock:
        _loaded[name] = cls
    return cls


def verifier_names() -> list[str]:
    """Names of every installed verifier, sorted."""
    with _lock:
        runtime = set(_runtime)
    return sorted(runtime | set(_entry_point_names()))


def list_verifiers() -> dict[str, type[Verifier[Any]]]:
    """Every installed verifier class by name, sorted by name."""
    return {name: get_verifier(name) for name in verifier_names()}


def register(cls: type[Verifier[Any]]) -> type[Verifier[Any]]:
    """Register a verifier class at run time (usable as a decorator).

    Worker processes import the class by its module path, so it must live in an
    importable module (not ``__main__`` of a spawned interpreter).
    """
    with _lock:
        _runtime[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Forget a run-time registration."""
    with _lock:
        _runtime.pop(name, None)
        _loaded.pop(name, None)
