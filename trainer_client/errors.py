"""Errors of the grading client::

ClientError                    anything the client raises on purpose
 ├── GradeRequestError         the server refused the request (4xx): fix the call
 └── ServerUnavailableError    retries ran out (429/503/connection errors/timeouts)
"""

from __future__ import annotations


class ClientError(Exception):
    """Base class of the client's errors."""


class GradeRequestError(ClientError):
    """The server refused the request; retrying the same request will not help.

    Attributes:
        status_code: the HTTP status (401 bad key, 413 too large, 422 bad spec, ...).
        detail: the server's explanation.
    """

    def __init__(self, status_code: int, detail: str) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"HTTP {status_code}: {detail}")


class ServerUnavailableError(ClientError):
    """The server stayed busy or unreachable through every retry."""
