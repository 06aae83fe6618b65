"""Load on the grading server against grading in-process, and behaviour under overload.

For each spec (``think_format``; ``math`` when that verifier is installed), on the same
batches of real model responses (../shared/data/math_real_responses.jsonl):

1. in-process: ``Grader(workers=W)`` with ``--concurrency`` batches in flight;
2. server: a real ``uvicorn verigrade.server.app:app`` on 127.0.0.1 (W grading
   workers), ``--concurrency`` HTTP clients posting the same batches;
3. overload: open-loop arrivals at ``--overload``x the server's measured rate for
   ``--overload-seconds`` with no retries, counting answers by status and checking
   every accepted item came back; then the rejected batches again through
   ``AsyncGradeClient`` (which honours Retry-After) to show nothing is lost.

Reports items/s, p50/p99 batch latency, and the server's throughput as a ratio of the
in-process peer measured in the same run. Then a crash loop (``--crash-loops``): every
worker is killed, then each replacement before it can start, three rounds; reported is
the time from the last kill until the server answers a grading request 200 again, and
until every worker is back. Loopback only; every loop is bounded.

    python benchmarks/server_load.py [--batch 256] [--batches 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import orjson
from verigrade.trainer_client import AsyncGradeClient
from verigrade.verifiers import Grade, Grader, verifier_names


def _data_file() -> Path:
    # ../shared/data beside the checkout; worktrees sit one level deeper, so look up.
    for parent in Path(__file__).resolve().parents[1:4]:
        candidate = parent / "shared" / "data" / "math_real_responses.jsonl"
        if candidate.exists():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "math_real_responses.jsonl"


DATA = _data_file()


def load_rows() -> list[dict[str, Any]]:
    if not DATA.exists():
        sys.exit(f"missing {DATA}: the benchmark grades the real responses stored there")
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def make_batches(rows: list[dict[str, Any]], size: int, count: int) -> list[list[dict[str, Any]]]:
    """``count`` batches of ``size`` samples, cycling through the rows."""
    samples = [
        {
            "id": i,
            "prompt": r["prompt"],
            # Half wrapped in R1's template so both think_format paths run.
            "completion": f"<think>{r['completion']}</think> done" if i % 2 else r["completion"],
            "reference": r["reference"],
        }
        for i, r in enumerate(rows)
    ]
    out = []
    for b in range(count):
        start = (b * size) % len(samples)
        out.append([samples[(start + j) % len(samples)] for j in range(size)])
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- in-process ---------------------------------------------------------------


def run_in_process(
    grader: Grader, batches: list[list[dict[str, Any]]], spec: Any, concurrency: int
) -> tuple[float, list[float]]:
    """Seconds for all batches with ``concurrency`` in flight, and per-batch latencies."""
    latencies: list[float] = []
    started_at: dict[int, float] = {}
    pending: dict[int, Future[list[Grade]]] = {}
    next_batch = 0
    t0 = time.perf_counter()
    while next_batch < len(batches) or pending:
        while next_batch < len(batches) and len(pending) < concurrency:
            started_at[next_batch] = time.perf_counter()
            pending[next_batch] = grader.submit(batches[next_batch], spec)
            next_batch += 1
        done = next(iter(pending))  # oldest first: batches finish roughly in order
        grades = pending.pop(done).result()
        assert len(grades) == len(batches[done])
        latencies.append(time.perf_counter() - started_at[done])
    return time.perf_counter() - t0, latencies


# -- the server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``uvicorn verigrade.server.app:app`` on a free loopback port."""

    def __init__(self, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "VERIGRADE_WORKERS": str(workers)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "verigrade.server.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        for _ in range(600):  # bounded: 60 s
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                sys.exit("the server exited at start-up")
            time.sleep(0.1)
        self.stop()
        sys.exit("the server never became ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (the server's grading workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


def workers_of(pid: int) -> set[int]:
    """Children of ``pid`` from /proc/PID/task/*/children (cheap enough to poll every ms)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def crash_loop(workers: int, repeats: int, rounds: int = 3) -> dict[str, Any]:
    """Seconds from the end of a crash loop to the server serving again (median of runs)."""
    server = Server(workers)
    ok = body([{"completion": "<think>a</think> b"}], "think_format")
    headers = {"content-type": "application/json"}
    serving: list[float] = []
    full: list[float] = []
    never = 0

    def strength() -> float:
        for line in httpx.get(f"{server.url}/metrics", timeout=10).text.splitlines():
            if line.startswith("verigrade_workers "):
                return float(line.split()[1])
        return float("nan")

    try:
        with httpx.Client(timeout=30) as http:
            for _ in range(repeats):
                for _ in range(600):  # bounded: full strength before each run
                    if len(workers_of(server.proc.pid)) == workers and strength() == workers:
                        break
                    time.sleep(0.05)
                known = workers_of(server.proc.pid)
                for pid in known:
                    os.kill(pid, signal.SIGKILL)
                # Each replacement of every slot, before it can say "ready", `rounds` times.
                for _ in range(20_000):  # bounded: 1 ms polls
                    if len(known) >= workers * (rounds + 1):
                        break
                    fresh = workers_of(server.proc.pid) - known
                    for pid in fresh:
                        os.kill(pid, signal.SIGKILL)
                    known |= fresh
                    time.sleep(0.001)
                killed = time.monotonic()
                answered = False
                for _ in range(3000):  # bounded: ~30 s and more
                    try:
                        code = http.post(f"{server.url}/v1/grade", content=ok, headers=headers)
                        answered = code.status_code == 200
                    except httpx.TransportError:
                        answered = False
                    if answered:
                        break
                    time.sleep(0.01)
                if not answered:
                    never += 1
                    continue
                serving.append(time.monotonic() - killed)
                for _ in range(3000):  # bounded
                    if strength() == workers:
                        break
                    time.sleep(0.01)
                full.append(time.monotonic() - killed)
    finally:
        server.stop()
    result: dict[str, Any] = {"runs": repeats, "never_served_again": never}
    if serving:
        result["to_serving_s"] = statistics.median(serving)
        result["to_full_strength_s"] = statistics.median(full)
        print(f"  crash loop ({workers} workers killed, then {rounds} rounds of replacements "
              f"killed before starting) -> serving again: median {result['to_serving_s']:.2f} s, "
              f"all workers back: {result['to_full_strength_s']:.2f} s "
              f"(runs {[round(x, 2) for x in serving]}); never served again: {never}/{repeats}")  # fmt: skip
    else:
        print(f"  crash loop: never served again in {never}/{repeats} runs (pool closed for good)")
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc)."""
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


def body(batch: list[dict[str, Any]], spec: Any, details: bool = True) -> bytes:
    # details=False is what the TRL and verl adapters send: rewards and statuses only.
    options = {} if details else {"options": {"details": False}}
    return orjson.dumps({"spec": spec, "samples": batch, **options})


class RawConnection:
    """A minimal keep-alive HTTP/1.1 client: on a 2-core machine the load generator
    shares the CPU with the server, and httpx costs ~10x more per request than this.
    (The overload phase and the retry check use httpx and the real client.)"""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def post(self, path: str, payload: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        status_and_headers = await self.reader.readuntil(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def check_body(content: bytes, batch: list[dict[str, Any]]) -> int:
    """Items of ``batch`` missing from a 200 answer (0 when all came back, in order)."""
    ids = [r["id"] for r in orjson.loads(content)["results"]]
    return 0 if ids == [s["id"] for s in batch] else len(batch)


def check(answer: httpx.Response, batch: list[dict[str, Any]]) -> int:
    return check_body(answer.content, batch)


async def run_server(
    port: int, bodies: list[bytes], batches: list[list[dict[str, Any]]], concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(len(bodies)))
    connections = [await RawConnection.open(port) for _ in range(concurrency)]

    async def worker(connection: RawConnection) -> None:
        for i in queue:
            start = time.perf_counter()
            status, content = await connection.post("/v1/grade", bodies[i])
            if status != 200 or check_body(content, batches[i]):
                raise RuntimeError(f"batch {i}: HTTP {status} {content[:200]!r}")
            latencies.append(time.perf_counter() - start)

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return time.perf_counter() - t0, latencies


async def overload(
    port: int,
    url: str,
    batches: list[list[dict[str, Any]]],
    bodies: list[bytes],
    spec: Any,
    rate_items: float,
    seconds: float,
) -> dict[str, Any]:
    """Open-loop arrivals at ``rate_items`` items/s for ``seconds``, no retries: each
    request on its own connection, sent on schedule whatever the server's state."""
    size = len(batches[0])
    interval = size / rate_items
    total = max(1, int(seconds / interval))
    codes: Counter[str] = Counter()
    lost = 0
    rejected: list[list[dict[str, Any]]] = []

    async def one(k: int) -> None:
        nonlocal lost
        batch = batches[k % len(batches)]
        try:
            connection = await RawConnection.open(port)
            try:
                status, content = await connection.post("/v1/grade", bodies[k % len(bodies)])
            finally:
                connection.close()
        except (OSError, asyncio.IncompleteReadError) as exc:
            codes[f"no answer ({type(exc).__name__})"] += 1
            lost += len(batch)
            return
        codes[str(status)] += 1
        if status == 200:
            lost += check_body(content, batch)
        elif status in (429, 503):
            rejected.append(batch)
        else:
            lost += len(batch)

    tasks = []
    t0 = time.perf_counter()
    for k in range(total):
        delay = t0 + k * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(k)))
    offered_in = time.perf_counter() - t0
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    # The refused batches again, as a trainer's client would send them.
    regraded = 0
    async with AsyncGradeClient(url, timeout=300, max_retries=20) as client:
        for batch in rejected:
            regraded += len(await client.grade(batch, spec))
    return {
        "requests": total,
        "items": total * size,
        "offered_items_per_s": total * size / offered_in,
        "codes": dict(sorted(codes.items())),
        "lost": lost,
        "rejected_items": len(rejected) * size,
        "regraded_after_retry": regraded,
        "seconds": elapsed,
    }


# -- report -----------------------------------------------------------------------


def describe(name: str, seconds: float, latencies: list[float], items: int) -> dict[str, float]:
    rate = items / seconds
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(
        f"  {name:<11} {rate:>10,.0f} items/s   p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms"
    )
    return {"items_per_s": rate, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000}


def bench_spec(
    args: argparse.Namespace, label: str, spec: Any, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    batches = make_batches(rows, args.batch, args.batches)
    items = args.batch * args.batches
    bodies = [body(b, spec, not args.no_details) for b in batches]
    print(f"\n{label}: {args.batches} batches of {args.batch}, {args.concurrency} in flight, "
          f"{args.workers} grading workers, details {'off' if args.no_details else 'on'}")  # fmt: skip
    results: dict[str, Any] = {}
    # The machine is shared and noisy: in-process and server runs alternate in pairs, so
    # each pair sees the same background load; the ratio is the median over the pairs.
    local_runs: list[tuple[float, list[float]]] = []
    server_runs: list[tuple[float, list[float]]] = []
    cpu_local: list[float] = []
    cpu_server: list[float] = []
    server = Server(args.workers)
    try:
        with Grader(args.workers) as grader:
            assert grader.pool is not None
            # Warm-up, one full pass each: worker imports (sympy for math) and the
            # verifiers' answer caches (math caches parses, as GRPO groups repeat
            # answers), so both sides are timed in the same, warm state.
            run_in_process(grader, batches, spec, args.concurrency)
            asyncio.run(run_server(server.port, bodies, batches, args.concurrency))
            local_pids = [os.getpid(), *grader.pool.worker_pids]
            server_pids = [os.getpid(), server.proc.pid, *children(server.proc.pid)]
            for _ in range(args.repeats):
                before = cpu_seconds(local_pids)
                local_runs.append(run_in_process(grader, batches, spec, args.concurrency))
                cpu_local.append((cpu_seconds(local_pids) - before) / items)
                before = cpu_seconds(server_pids)
                server_runs.append(
                    asyncio.run(run_server(server.port, bodies, batches, args.concurrency))
                )
                cpu_server.append((cpu_seconds(server_pids) - before) / items)
        best_local = min(local_runs, key=lambda run: run[0])
        best_server = min(server_runs, key=lambda run: run[0])
        results["in_process"] = describe("in-process", best_local[0], best_local[1], items)
        results["server"] = describe("server", best_server[0], best_server[1], items)
        ratios = [
            local[0] / remote[0] for local, remote in zip(local_runs, server_runs, strict=True)
        ]
        ratio = statistics.median(ratios)
        results["server_over_in_process"] = ratio
        results["pair_ratios"] = ratios
        print(f"  server throughput = {ratio:.2f} x in-process, median of {len(ratios)} adjacent "
              f"pairs {[round(r, 2) for r in ratios]} (overhead {100 * (1 - ratio):+.1f}%; "
              "target: within 15%)")  # fmt: skip
        cpu_in, cpu_srv = statistics.median(cpu_local), statistics.median(cpu_server)
        results["cpu_us_per_item"] = {"in_process": cpu_in * 1e6, "server": cpu_srv * 1e6}
        print(f"  CPU per item (all processes, load generator included): in-process "
              f"{cpu_in * 1e6:.1f} us, server {cpu_srv * 1e6:.1f} us")  # fmt: skip
        rate = results["server"]["items_per_s"] * args.overload
        print(f"  overload: {args.overload:g} x {results['server']['items_per_s']:,.0f} = "
              f"{rate:,.0f} items/s offered for {args.overload_seconds:g} s, no retries ...")  # fmt: skip
        over = asyncio.run(
            overload(server.port, server.url, batches, bodies, spec, rate, args.overload_seconds)
        )
        fivexx = sum(
            n for code, n in over["codes"].items() if not code.startswith(("2", "429", "503"))
        )
        print(f"    {over['requests']} requests ({over['items']:,} items) sent at "
              f"{over['offered_items_per_s']:,.0f} items/s, all answered after {over['seconds']:.1f} s: "
              f"{over['codes']}")  # fmt: skip
        print(f"    answers other than 2xx/429/503: {fivexx}; accepted items lost: {over['lost']}; "
              f"refused items re-sent with AsyncGradeClient: {over['regraded_after_retry']:,}"
              f"/{over['rejected_items']:,} graded")  # fmt: skip
        results["overload"] = over
        metrics = httpx.get(f"{server.url}/metrics").text
        results["server_5xx_in_metrics"] = sum(
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("verigrade_requests_total")
            and 'code="5' in line
            and 'code="503"' not in line
        )
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256, help="samples per request")
    parser.add_argument("--batches", type=int, default=30, help="requests per timed run")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="grading worker processes")
    parser.add_argument("--repeats", type=int, default=7, help="in-process/server run pairs")
    parser.add_argument("--overload", type=float, default=4.0, help="offered load / measured rate")
    parser.add_argument("--overload-seconds", type=float, default=5.0)
    # As many as the other specs: with warm caches math is as fast, and 12 batches made
    # runs of ~80 ms, where the pipeline filling and draining weighed on the ratio.
    parser.add_argument("--math-batches", type=int, default=30, help="requests per math run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-details",
        action="store_true",
        help="ask for rewards and statuses only, as the TRL/verl adapters do",
    )
    parser.add_argument(
        "--crash-loops", type=int, default=5, help="crash-loop recovery runs (0: skip)"
    )
    parser.add_argument(
        "--specs",
        nargs="*",
        choices=["think_format", "r1_shaping", "math"],
        default=["think_format", "r1_shaping", "math"],
        help="which specs to run (default: all three)",
    )
    args = parser.parse_args()
    rows = load_rows()
    print(
        f"verigrade server load benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    report: dict[str, Any] = {}
    if "think_format" in args.specs:
        report["think_format"] = bench_spec(args, "think_format", "think_format", rows)
    # R1's format + language-consistency reward with a repetition penalty: costlier per
    # item than think_format alone, and what an R1-style run actually sends.
    r1 = {"think_format": 1.0, "language": {"weight": 0.2, "target": "en"}, "repetition": 0.5}
    if "r1_shaping" in args.specs:
        report["r1_shaping"] = bench_spec(args, f"r1_shaping {json.dumps(r1)}", r1, rows)
    if "math" not in args.specs:
        pass
    elif "math" in verifier_names():
        math_args = argparse.Namespace(**{**vars(args), "batches": args.math_batches})
        report["math"] = bench_spec(math_args, "math", "math", rows)
    else:
        print("\nmath: SKIPPED - the 'math' verifier is not installed here (it lands with the "
              "issue-6 branch); rerun after merging to get the math figures")  # fmt: skip
        report["math"] = "skipped: verifier not installed"
    if args.crash_loops:
        print(f"\ncrash loop recovery: {args.workers} grading workers, {args.crash_loops} runs")
        report["crash_loop"] = crash_loop(args.workers, args.crash_loops)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
