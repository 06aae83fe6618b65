"""Which server replica gets the next request: least outstanding among those up.

A replica that refused a connection or answered 502/503 (dead, or draining before a
restart) is skipped for ``cooldown`` seconds, then tried again; when every replica is
down the one that comes back first is used. No I/O here; thread-safe, so the sync
client's batch threads and the async client share the same code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence


class Replicas:
    """Server base URLs with their outstanding requests and down-until times."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("at least one server URL is needed")
        self.urls = [url.rstrip("/") for url in urls]
        self.cooldown = cooldown
        self._clock = clock
        self._outstanding = dict.fromkeys(self.urls, 0)
        self._down_until = dict.fromkeys(self.urls, 0.0)
        self._lock = threading.Lock()

    def acquire(self) -> str:
        """The URL for the next request (counted as outstanding until ``release``)."""
        with self._lock:
            now = self._clock()
            up = [u for u in self.urls if self._down_until[u] <= now]
            if up:
                url = min(up, key=lambda u: self._outstanding[u])
            else:
                url = min(self.urls, key=lambda u: self._down_until[u])
            self._outstanding[url] += 1
            return url

    def release(self, url: str, *, down: bool = False) -> None:
        """The request to ``url`` ended; ``down``: skip that replica for a while."""
        with self._lock:
            self._outstanding[url] -= 1
            if down:
                self._down_until[url] = self._clock() + self.cooldown

    def any_up(self) -> bool:
        """Whether some replica is not in its cool-down (a retry there needs no wait)."""
        with self._lock:
            now = self._clock()
            return any(until <= now for until in self._down_until.values())
