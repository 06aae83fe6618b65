"""``ServerGrader``: a verigrade server behind the engine's ``submit``, so whatever grades
through a ``Grader`` can grade on a server instead (``verigrade select --server URL``
finds it through the ``verigrade.graders`` entry point, since the library itself never
imports this package)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from verigrade.verifiers import Grade, VerigradeError

from ._wire import SampleLike, SpecJSON
from .client import GradeClient
from .errors import ClientError


class RemoteGradingError(VerigradeError):
    """The server refused a batch or stayed unreachable (the client's error is the cause)."""


class ServerGrader:
    """Grades on a verigrade server with a ``Grader``'s ``submit``.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000``.
        api_key: sent as ``Authorization: Bearer <key>``.
        timeout: per-item deadline in seconds (default: the server's).
        in_flight: batches graded at once (each is itself split by the client).
        **client_options: passed to ``GradeClient`` (``batch_size``, ``max_retries``, ...).
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        in_flight: int = 2,
        **client_options: Any,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.client = GradeClient(base_url, api_key=api_key, **client_options)
        self._threads = ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="vg-server")

    def submit(self, samples: Iterable[SampleLike], spec: SpecJSON, /) -> Future[list[Grade]]:
        """Start grading on the server; the future holds one Grade per sample, in order,
        or raises ``RemoteGradingError``."""
        return self._threads.submit(self._grade, list(samples), spec)

    def grade(self, samples: Iterable[SampleLike], spec: SpecJSON) -> list[Grade]:
        """Grade and wait (see ``submit``)."""
        return self.submit(samples, spec).result()

    def _grade(self, samples: list[SampleLike], spec: SpecJSON) -> list[Grade]:
        try:
            return self.client.grade(samples, spec, timeout=self.timeout)
        except ClientError as exc:
            raise RemoteGradingError(f"grading server {self.base_url}: {exc}") from exc

    def close(self) -> None:
        """Wait for batches in flight, then close the connections."""
        self._threads.shutdown(wait=True)
        self.client.close()

    def __enter__(self) -> ServerGrader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
