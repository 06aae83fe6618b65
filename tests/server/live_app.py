"""An app factory for live-server tests: the real app plus the fault verifiers.

Used as ``uvicorn --factory tests.server.live_app:make_app`` with the repository root on PYTHONPATH,
so the test verifiers are registered inside the server process (and its workers).
"""

from __future__ import annotations

from fastapi import FastAPI
from verigrade.server import create_app
from verigrade.verifiers import register

from tests.server.faulty import FAULT_VERIFIERS


def make_app() -> FastAPI:
    """The server app with ``vg_sleepy`` and ``vg_crashy`` installed."""
    for cls in FAULT_VERIFIERS:
        register(cls)
    return create_app()
