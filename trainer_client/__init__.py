"""verigrade's grading client: talk to a verigrade server from a trainer.

httpx is its only dependency beyond the core library; the TRL and verl adapters live
in ``verigrade.trainer_client.trl`` and ``verigrade.trainer_client.verl``; ``ServerGrader``
puts a server behind the engine's ``submit`` (for ``select``).

>>> from verigrade.trainer_client import GradeClient
>>> client = GradeClient("http://127.0.0.1:8000")  # doctest: +SKIP
"""

from __future__ import annotations

from .client import AsyncGradeClient, GradeClient
from .errors import ClientError, GradeRequestError, ServerUnavailableError
from .remote import RemoteGradingError, ServerGrader

__all__ = [
    "AsyncGradeClient",
    "ClientError",
    "GradeClient",
    "GradeRequestError",
    "RemoteGradingError",
    "ServerGrader",
    "ServerUnavailableError",
]
