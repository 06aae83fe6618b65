"""ASGI middleware that counts answered requests by route and status code."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only these paths get their own label; anything else (scanners, typos) is "other",
# so hostile clients cannot grow the metrics without bound.
ROUTES = {
    "/v1/grade": "grade",
    "/v1/openrlhf": "openrlhf",
    "/v1/verifiers": "verifiers",
    "/healthz": "healthz",
    "/readyz": "readyz",
    "/metrics": "metrics",
}
TIMED = {"grade", "openrlhf"}


class RequestMetrics:
    """Counts every HTTP answer in ``verigrade_requests_total`` and times grading routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = ROUTES.get(scope["path"], "other")
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            state = getattr(scope["app"].state, "verigrade", None)
            if state is not None:
                metrics = state.metrics
                metrics.requests.inc((("code", str(status)), ("route", route)))
                if route in TIMED and status == 200:
                    metrics.request_seconds.observe(
                        time.perf_counter() - started, (("route", route),)
                    )
