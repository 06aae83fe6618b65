"""verigrade's grading server: FastAPI over the library's worker pool.

Run it with ``verigrade serve`` or ``uvicorn verigrade.server.app:app``; see
docs/server.md for settings, endpoints and the trainer adapters.
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
