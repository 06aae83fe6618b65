"""verigrade's grading server: FastAPI over the library's worker pool.

Run it with ``verigrade serve`` or ``uvicorn verigrade.server.app:app``; see
docs/server.md for settings, endpoints and the trainer adapters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy: grading workers import verigrade.server.results to serialise results, and
    # must not pay for FastAPI, which importing the app would load.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
