"""``verigrade grade``: grade a JSONL file, streaming, in order, resumable."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any, cast

from ..core.model import Grade, Sample, coerce_sample, size_problem
from ..core.spec import RewardSpec, load_spec, parse_spec
from ..engine import DEFAULT_MAX_CHARS, Grader, invalid_grade
from .arguments import PIN_CHOICES, Subparsers, add_pin_argument
from .summary import Summary


def register(subparsers: Subparsers) -> None:
    """Add ``verigrade grade``."""
    parser = subparsers.add_parser(
        "grade",
        help="grade a JSONL file of samples",
        description=(
            "Grade every line of INPUT (JSONL: one object per line with 'completion' and "
            "optionally 'id', 'prompt', 'reference', 'metadata') against SPEC. Writes one "
            'line per input line, in order: {"id", "reward", "verdicts"}.'
        ),
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``verigrade grade``."""
    parser.add_argument("input", help="JSONL file of samples, or - for stdin")
    parser.add_argument(
        "--spec", "-s", required=True,
        help="reward spec: a verifier name, inline JSON like '{\"think_format\": 1}', or a JSON file",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", default="-", help="output JSONL file, or - for stdout (default)"
    )
    parser.add_argument(
        "--workers",
        "-w",
        type=int,
        default=None,
        help="worker processes (default: one per core; 0: in this process, no deadlines)",
    )
    add_pin_argument(parser)
    parser.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="grade on a Ray cluster (default address: auto; needs verigrade[ray]); "
        "--workers is then per node",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-item deadline in seconds (default: each verifier's own)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip ids already in OUTPUT and append the rest"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        help="samples sent to the pool at once (default 1024)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help=f"longest completion graded (default {DEFAULT_MAX_CHARS:,})",
    )
    parser.add_argument("--summary", metavar="FILE", help="also write the summary as JSON to FILE")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


Item = Sample | Grade  # a Grade here is an input line that could not become a sample


def run(args: argparse.Namespace) -> int:
    """Grade INPUT into OUTPUT; returns the exit code."""
    spec = parse_spec(load_spec(args.spec))
    if args.batch_size < 1:
        return _fail(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.resume and args.output == "-":
        return _fail("--resume needs an output file (-o FILE): it reads what was already graded")
    if args.input != "-" and not Path(args.input).is_file():
        return _fail(f"input file {args.input!r} does not exist")
    done = _graded_ids(Path(args.output)) if args.resume else set()
    summary = Summary(spec.labels)
    total = None if args.input == "-" else _count_lines(Path(args.input))
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        source = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        )
        if args.output == "-":
            sink: IO[str] = sys.stdout
        else:
            mode = "a" if args.resume else "w"
            sink = stack.enter_context(open(args.output, mode, encoding="utf-8"))
        progress = _progress(total, args.quiet)
        if progress is not None:
            stack.callback(progress.close)
        try:
            with _grader(args) as grader:
                items = _items(source, spec, done, args.max_chars, summary)
                _grade_stream(grader, spec, items, args.batch_size, sink, summary, progress)
        except KeyboardInterrupt:
            sink.flush()
            print(
                f"\ninterrupted after {summary.count:,} samples; rerun with --resume to continue",
                file=sys.stderr,
            )
            return 130
    elapsed = time.perf_counter() - started
    if summary.lines == 0:
        print(
            f"verigrade grade: {args.input} holds no samples (empty input); nothing graded",
            file=sys.stderr,
        )
    elif not args.quiet:
        print(summary.render(elapsed), file=sys.stderr)
    if args.summary:
        Path(args.summary).write_text(
            json.dumps(summary.to_dict(elapsed), indent=2) + "\n", encoding="utf-8"
        )
    return 0


def _grader(args: argparse.Namespace) -> Grader:
    """The local Grader, or with ``--ray`` a RayGrader (same surface) on that cluster."""
    if args.ray is None:
        return Grader(
            args.workers,
            timeout=args.timeout,
            max_chars=args.max_chars,
            pin_workers=PIN_CHOICES[args.pin_workers],
        )
    from ..ray import RayGrader  # only here: the library never imports ray

    ray_grader = RayGrader(
        args.ray, workers_per_node=args.workers, timeout=args.timeout, max_chars=args.max_chars
    )
    return cast(Grader, ray_grader)  # the same surface; grade only uses submit and close


def _fail(message: str) -> int:
    print(f"verigrade grade: error: {message}", file=sys.stderr)
    return 2


def _grade_stream(
    grader: Grader,
    spec: RewardSpec,
    items: Iterator[Item],
    batch_size: int,
    sink: IO[str],
    summary: Summary,
    progress: Any,
) -> None:
    # One batch is graded while the next is read, so workers do not idle between batches.
    in_flight: deque[tuple[list[Item], Future[list[Grade]]]] = deque()
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            in_flight.append(
                (batch, grader.submit([i for i in batch if isinstance(i, Sample)], spec))
            )
            batch = []
            while len(in_flight) > 1:
                _write(*in_flight.popleft(), sink, summary, progress)
    if batch:
        in_flight.append((batch, grader.submit([i for i in batch if isinstance(i, Sample)], spec)))
    while in_flight:
        _write(*in_flight.popleft(), sink, summary, progress)


def _write(
    batch: list[Item], future: Future[list[Grade]], sink: IO[str], summary: Summary, progress: Any
) -> None:
    graded = iter(future.result())
    lines = []
    for item in batch:
        grade = item if isinstance(item, Grade) else next(graded)
        summary.add(grade)
        lines.append(json.dumps(grade.to_dict(), ensure_ascii=False, default=str))
    sink.write("\n".join(lines) + "\n")
    sink.flush()
    if progress is not None:
        progress.update(len(batch))


def _items(
    source: IO[bytes], spec: RewardSpec, done: set[str], max_chars: int, summary: Summary
) -> Iterator[Item]:
    """Each input line as a Sample, or as an ``invalid_input`` Grade saying what is wrong."""
    for number, raw in enumerate(source, start=1):
        summary.lines += 1
        obj, problem = _parse_line(raw)
        sample_id = obj.get("id", number) if isinstance(obj, dict) else number
        if sample_id is None:
            sample_id = number
        if done and _key(sample_id) in done:
            summary.skipped += 1
            continue
        if problem is None:
            sample = coerce_sample(obj)
            if isinstance(sample, Sample):
                problem = size_problem(sample, max_chars)
                if problem is None:
                    yield dataclasses.replace(sample, id=sample_id)
                    continue
            else:
                problem = sample
        yield invalid_grade(spec, sample_id, f"line {number}: {problem}")


def _parse_line(raw: bytes) -> tuple[Any, str | None]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
    if not text.strip():
        return None, "empty line"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON (nested too deeply)"


def _key(sample_id: Any) -> str:
    return json.dumps(sample_id, sort_keys=True)


def _graded_ids(path: Path) -> set[str]:
    """Ids already in an output file; a last line cut off mid-write is removed."""
    if not path.exists():
        return set()
    with open(path, "rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            # The previous run died mid-line: drop the fragment, that item is redone.
            f.truncate(data.rfind(b"\n") + 1)
            data = data[: data.rfind(b"\n") + 1]
    ids = set()
    for line in data.splitlines():
        try:
            ids.add(_key(json.loads(line)["id"]))
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
            continue
    return ids


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _progress(total: int | None, quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="sample", file=sys.stderr, dynamic_ncols=True)
