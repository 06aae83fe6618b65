"""A uvicorn Server that turns /readyz to 503 the moment a shutdown signal arrives.

Plain uvicorn stops accepting connections and lets in-flight requests finish; the
lifespan then waits for grading to end. Marking the app as draining at the signal
(rather than at lifespan shutdown) lets a load balancer that polls /readyz on open
keep-alive connections move traffic away while in-flight work completes.
"""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI


class DrainingServer(uvicorn.Server):
    """uvicorn.Server that flags the app's state as draining on SIGINT/SIGTERM."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = getattr(self._app.state, "verigrade", None)
        if state is not None:
            state.start_draining()
        super().handle_exit(sig, frame)
