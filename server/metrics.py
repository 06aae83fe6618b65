"""A few Prometheus metrics in the text exposition format, without a client library.

Everything is updated from the event loop thread only, so plain dicts suffice and an
update costs a dict lookup. With several HTTP worker processes each process keeps its
own numbers (a scrape sees one process): scrape each or run one HTTP worker per pod.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable

Labels = tuple[tuple[str, str], ...]

# Seconds; spans a cheap format check (~ms) to a slow math batch (~a minute).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(pairs: Labels) -> str:
    if not pairs:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count, per label set."""

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.doc = name, doc
        self.values: dict[Labels, float] = {}

    def inc(self, labels: Labels = (), amount: float = 1.0) -> None:
        """Add ``amount`` to the series with ``labels``."""
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.doc}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(labels)} {_number(value)}"


class Gauge:
    """A value read at scrape time from a callback."""

    def __init__(self, name: str, doc: str, read: Callable[[], float]) -> None:
        self.name, self.doc, self.read = name, doc, read

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.doc}"
        yield f"# TYPE {self.name} gauge"
        yield f"{self.name} {_number(self.read())}"


class Histogram:
    """Observations counted into fixed buckets, per label set."""

    def __init__(self, name: str, doc: str, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.doc, self.buckets = name, doc, buckets
        # Per label set: bucket counts (not cumulative; + one overflow slot), sum.
        self.series: dict[Labels, tuple[list[int], list[float]]] = {}

    def observe(self, value: float, labels: Labels = ()) -> None:
        """Record one observation."""
        series = self.series.get(labels)
        if series is None:
            series = self.series[labels] = ([0] * (len(self.buckets) + 1), [0.0])
        series[0][bisect_left(self.buckets, value)] += 1
        series[1][0] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.doc}"
        yield f"# TYPE {self.name} histogram"
        for labels, (counts, total) in sorted(self.series.items()):
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                le = (*labels, ("le", _number(bound)))
                yield f"{self.name}_bucket{_labels(le)} {running}"
            yield f"{self.name}_sum{_labels(labels)} {_number(total[0])}"
            yield f"{self.name}_count{_labels(labels)} {running}"


Metric = Counter | Gauge | Histogram


class Metrics:
    """The server's metrics; ``render()`` is the body of ``GET /metrics``."""

    def __init__(self) -> None:
        self.requests = Counter(
            "verigrade_requests_total", "HTTP requests answered, by route and status code"
        )
        self.request_seconds = Histogram(
            "verigrade_request_seconds", "time to answer a grading request, by route"
        )
        self.items = Counter("verigrade_items_total", "samples graded, by route")
        self.verdicts = Counter(
            "verigrade_verdicts_total", "verdicts returned, by verifier and status"
        )
        self.grade_seconds = Histogram(
            "verigrade_grade_seconds",
            "time from submission to result of batches that use this verifier",
        )
        self.rejected = Counter(
            "verigrade_rejected_total", "requests refused before grading, by reason"
        )
        self.disconnects = Counter(
            "verigrade_client_disconnects_total", "requests whose client left before the answer"
        )
        self.gauges: list[Gauge] = []

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """Add a gauge read at scrape time."""
        self.gauges.append(Gauge(name, doc, read))

    def render(self) -> str:
        """Every metric in Prometheus' text format."""
        metrics: list[Metric] = [
            self.requests,
            self.request_seconds,
            self.items,
            self.verdicts,
            self.grade_seconds,
            self.rejected,
            self.disconnects,
            *self.gauges,
        ]
        lines = [line for metric in metrics for line in metric.render()]
        return "\n".join(lines) + "\n"
