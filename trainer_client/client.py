"""``GradeClient`` and ``AsyncGradeClient``: the grading server from Python.

Both return the library's own ``Grade`` objects, so code written against
``verigrade.verifiers.grade`` works unchanged against a server::

    with GradeClient("http://127.0.0.1:8000") as client:
        grades = client.grade([{"completion": "<think>..</think> 4"}], "think_format")
        print(grades[0].reward, grades[0].verdicts["think_format"].status)

Large lists are split into batches of ``batch_size`` (sent ``max_concurrency`` at a
time); 429/502/503/504 answers, connection errors and timeouts are retried up to
``max_retries`` times, waiting as long as the server's ``Retry-After`` asks or with
exponential backoff; a batch the server finds too large (413) is halved and resent.

Given several server URLs, each request goes to the replica with the fewest requests
outstanding; one that refuses connections or answers 502/503 (dead or draining) is skipped
for ``cooldown`` seconds and the request is retried at once on another::

    GradeClient(["http://grader-0:8000", "http://grader-1:8000"])
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import httpx
from verigrade.verifiers import Grade

from ._replicas import Replicas
from ._wire import (
    RETRY_STATUSES,
    SampleLike,
    SpecJSON,
    backoff_delay,
    batches,
    decode,
    encode,
    error_detail,
    options,
)
from .errors import GradeRequestError, ServerUnavailableError

_JSON = {"content-type": "application/json"}


def _headers(api_key: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {api_key}"} if api_key else {}


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def _outcome(response: httpx.Response) -> str | None:
    """None when the response is final (success or 413), else why to retry; raises for
    answers a retry cannot fix."""
    if response.is_success or response.status_code == 413:
        return None
    detail = error_detail(response)
    if response.status_code in RETRY_STATUSES:
        return f"HTTP {response.status_code}: {detail}"
    raise GradeRequestError(response.status_code, detail)


_DOWN_STATUSES = frozenset({502, 503})
"""Answers that mean "this replica is not serving" (dead behind a proxy, draining)."""


def _urls(base_url: str | Sequence[str]) -> list[str]:
    return [base_url] if isinstance(base_url, str) else list(base_url)


def _grades(response: httpx.Response, chunk: Sequence[SampleLike], start: int) -> list[Grade]:
    if response.status_code != 200:
        raise GradeRequestError(response.status_code, error_detail(response))
    return decode(response, chunk, start)


class GradeClient:
    """Synchronous client of a verigrade server.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000``, or a list of replicas' URLs.
        api_key: sent as ``Authorization: Bearer <key>``.
        timeout: seconds to wait for one HTTP answer (a whole batch's grading).
        batch_size: samples per request.
        max_retries: retries per request on 429/502/503/504 and connection errors.
        transport: an httpx transport (``httpx.MockTransport`` in tests).
        max_concurrency: batches in flight at once.
        backoff: first backoff step in seconds (doubles per retry, with jitter).
        sleep: how to wait between retries (tests pass a recorder).
        cooldown: seconds a replica that refused or answered 502/503 is skipped.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        batch_size: int = 256,
        max_retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        cooldown: float = 5.0,
    ) -> None:
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.max_concurrency = max(1, max_concurrency)
        self.backoff = backoff
        self._sleep = sleep
        self.replicas = Replicas(_urls(base_url), cooldown=cooldown)
        self._http = httpx.Client(
            headers=_headers(api_key),
            timeout=_timeout(timeout),
            transport=transport,
        )
        # A client dropped without close() (a reward function built inline, say) still
        # closes its connections when collected, instead of leaking sockets.
        self._closer = weakref.finalize(self, self._http.close)

    def grade(
        self,
        samples: Sequence[SampleLike],
        spec: SpecJSON,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        details: bool = True,
    ) -> list[Grade]:
        """Grade samples on the server: one Grade per sample, in order.

        Args:
            samples: Sample objects or dicts with ``completion`` (and ``id``, ``prompt``,
                ``reference``, ``metadata``).
            spec: a verifier name, a list of names or a spec dict.
            timeout: per-item deadline in seconds (default: the server's).
            deadline: per-request deadline in seconds; items unfinished by then come
                back with status ``timeout``.
            details: include each verdict's details.

        Raises:
            GradeRequestError: the server refused the request (bad spec, bad key, ...).
            ServerUnavailableError: the server stayed busy or unreachable.
        """
        items = list(samples)
        opts = options(timeout, deadline, details)
        spans = batches(len(items), self.batch_size)

        def run(span: tuple[int, int]) -> list[Grade]:
            return self._grade_span(items, span[0], span[1], spec, opts)

        if len(spans) <= 1 or self.max_concurrency == 1:
            parts = [run(span) for span in spans]
        else:
            with ThreadPoolExecutor(min(self.max_concurrency, len(spans))) as pool:
                parts = list(pool.map(run, spans))
        return [grade for part in parts for grade in part]

    def verifiers(self) -> list[dict[str, Any]]:
        """The server's verifiers: name, description, options schema, timeout."""
        found: list[dict[str, Any]] = self._get("/v1/verifiers").json()["verifiers"]
        return found

    def health(self) -> dict[str, Any]:
        """``/readyz``'s answer, with ``ready`` True when the server can grade now."""
        response = self._http.get(f"{self.replicas.urls[0]}/readyz")
        body: dict[str, Any] = response.json()
        return {**body, "ready": response.status_code == 200}

    def close(self) -> None:
        """Close the connection pool."""
        self._closer()

    def __enter__(self) -> GradeClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _grade_span(
        self,
        items: list[SampleLike],
        start: int,
        stop: int,
        spec: SpecJSON,
        opts: Mapping[str, Any],
    ) -> list[Grade]:
        chunk = items[start:stop]
        body = encode(chunk, spec, opts)
        response = self._send(
            lambda url: self._http.post(f"{url}/v1/grade", content=body, headers=_JSON)
        )
        if response.status_code == 413 and len(chunk) > 1:
            middle = start + len(chunk) // 2
            return self._grade_span(items, start, middle, spec, opts) + self._grade_span(
                items, middle, stop, spec, opts
            )
        return _grades(response, chunk, start)

    def _get(self, path: str) -> httpx.Response:
        response = self._send(lambda url: self._http.get(f"{url}{path}"))
        if not response.is_success:
            raise GradeRequestError(response.status_code, error_detail(response))
        return response

    def _send(self, call: Callable[[str], httpx.Response]) -> httpx.Response:
        last = ""
        for attempt in range(self.max_retries + 1):
            response: httpx.Response | None = None
            url = self.replicas.acquire()
            down = True
            try:
                response = call(url)
                down = response.status_code in _DOWN_STATUSES
            except httpx.TransportError as exc:  # refused, reset, timed out
                last = f"{url}: {type(exc).__name__}: {exc}"
            else:
                why = _outcome(response)
                if why is None:
                    return response
                last = f"{url}: {why}"
            finally:
                self.replicas.release(url, down=down)
            # Another replica up: go there now; otherwise wait as one server would.
            if attempt < self.max_retries and not (down and self.replicas.any_up()):
                self._sleep(backoff_delay(attempt, self.backoff, response))
        raise ServerUnavailableError(f"gave up after {self.max_retries + 1} attempts; last: {last}")


class AsyncGradeClient:
    """The asyncio twin of ``GradeClient`` (same arguments; ``transport`` is an
    ``httpx.AsyncBaseTransport``, ``sleep`` a coroutine function)::

        async with AsyncGradeClient("http://127.0.0.1:8000") as client:
            grades = await client.grade(samples, {"math": 1.0, "think_format": 0.2})
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        batch_size: int = 256,
        max_retries: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        cooldown: float = 5.0,
    ) -> None:
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.max_concurrency = max(1, max_concurrency)
        self.backoff = backoff
        self._sleep = sleep
        self.replicas = Replicas(_urls(base_url), cooldown=cooldown)
        self._http = httpx.AsyncClient(
            headers=_headers(api_key),
            timeout=_timeout(timeout),
            transport=transport,
        )

    async def grade(
        self,
        samples: Sequence[SampleLike],
        spec: SpecJSON,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        details: bool = True,
    ) -> list[Grade]:
        """Grade samples on the server (see ``GradeClient.grade``)."""
        items = list(samples)
        opts = options(timeout, deadline, details)
        gate = asyncio.Semaphore(self.max_concurrency)

        async def run(start: int, stop: int) -> list[Grade]:
            async with gate:
                return await self._grade_span(items, start, stop, spec, opts)

        parts = await asyncio.gather(*(run(a, b) for a, b in batches(len(items), self.batch_size)))
        return [grade for part in parts for grade in part]

    async def verifiers(self) -> list[dict[str, Any]]:
        """The server's verifiers: name, description, options schema, timeout."""
        response = await self._send(lambda url: self._http.get(f"{url}/v1/verifiers"))
        if not response.is_success:
            raise GradeRequestError(response.status_code, error_detail(response))
        found: list[dict[str, Any]] = response.json()["verifiers"]
        return found

    async def health(self) -> dict[str, Any]:
        """``/readyz``'s answer, with ``ready`` True when the server can grade now."""
        response = await self._http.get(f"{self.replicas.urls[0]}/readyz")
        body: dict[str, Any] = response.json()
        return {**body, "ready": response.status_code == 200}

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGradeClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _grade_span(
        self,
        items: list[SampleLike],
        start: int,
        stop: int,
        spec: SpecJSON,
        opts: Mapping[str, Any],
    ) -> list[Grade]:
        chunk = items[start:stop]
        body = encode(chunk, spec, opts)
        response = await self._send(
            lambda url: self._http.post(f"{url}/v1/grade", content=body, headers=_JSON)
        )
        if response.status_code == 413 and len(chunk) > 1:
            middle = start + len(chunk) // 2
            first = await self._grade_span(items, start, middle, spec, opts)
            return first + await self._grade_span(items, middle, stop, spec, opts)
        return _grades(response, chunk, start)

    async def _send(self, call: Callable[[str], Awaitable[httpx.Response]]) -> httpx.Response:
        last = ""
        for attempt in range(self.max_retries + 1):
            response: httpx.Response | None = None
            url = self.replicas.acquire()
            down = True
            try:
                response = await call(url)
                down = response.status_code in _DOWN_STATUSES
            except httpx.TransportError as exc:
                last = f"{url}: {type(exc).__name__}: {exc}"
            else:
                why = _outcome(response)
                if why is None:
                    return response
                last = f"{url}: {why}"
            finally:
                self.replicas.release(url, down=down)
            if attempt < self.max_retries and not (down and self.replicas.any_up()):
                await self._sleep(backoff_delay(attempt, self.backoff, response))
        raise ServerUnavailableError(f"gave up after {self.max_retries + 1} attempts; last: {last}")
