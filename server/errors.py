"""HTTP errors of the server and how library errors map onto status codes.

Every error body is ``{"detail": "<one clear sentence>"}`` (FastAPI's shape)::

    ApiError                      any deliberate non-2xx answer
     ├── 400 bad JSON / wrong envelope types
     ├── 401 missing or wrong API key
     ├── 413 body or batch too large
     ├── 422 the spec is wrong (unknown verifier, bad options)
     ├── 429 queue full (with Retry-After)
     └── 503 not ready or draining (with Retry-After)
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from verigrade.verifiers import SpecError


class ApiError(Exception):
    """An error answer: status code, a message, and optional headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def bad_request(detail: str) -> ApiError:
    """400: the request body is not what the endpoint takes."""
    return ApiError(400, detail)


def too_large(detail: str) -> ApiError:
    """413: the body or the batch is over a limit."""
    return ApiError(413, detail)


def spec_error(exc: SpecError) -> ApiError:
    """422: the reward spec names an unknown verifier or bad options."""
    return ApiError(422, f"invalid spec: {exc}")


async def handle_api_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler that renders an ApiError."""
    assert isinstance(exc, ApiError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)
