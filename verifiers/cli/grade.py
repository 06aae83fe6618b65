"""``verigrade grade``: grade a JSONL file, streaming, in order, resumable."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from ..core.jsonl import parse_line
from ..core.model import Grade, Sample, coerce_sample, size_problem
from ..core.route import ParsedSpec, RoutedSpec
from ..core.spec import load_spec, parse_spec
from ..engine import Grader, invalid_grade, stream_grades
from .arguments import Subparsers, add_grading_arguments, grader_from
from .files import count_lines, drop_partial_line, progress_bar
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
        "-o", "--output", default="-", help="output JSONL file, or - for stdout (default)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip ids already in OUTPUT and append the rest"
    )
    add_grading_arguments(parser)


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
    summary = Summary.for_spec(spec)
    total = None if args.input == "-" else count_lines(Path(args.input))
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
        progress = progress_bar(total, args.quiet, "sample")
        if progress is not None:
            stack.callback(progress.close)
        try:
            with grader_from(args) as grader:
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


def _fail(message: str) -> int:
    print(f"verigrade grade: error: {message}", file=sys.stderr)
    return 2


def _grade_stream(
    grader: Grader,
    spec: ParsedSpec,
    items: Iterator[Item],
    batch_size: int,
    sink: IO[str],
    summary: Summary,
    progress: Any,
) -> None:
    def submit(batch: list[Sample]) -> Future[list[Grade]]:
        return grader.submit(batch, spec)

    for graded in stream_grades(items, _sample_of, submit, batch_size):
        lines = []
        for item, grade in graded:
            result = item if isinstance(item, Grade) else grade
            assert result is not None  # every Sample was sent and came back graded
            summary.add(result)
            lines.append(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
        sink.write("\n".join(lines) + "\n")
        sink.flush()
        if progress is not None:
            progress.update(len(graded))


def _sample_of(item: Item) -> Sample | None:
    return item if isinstance(item, Sample) else None


def _items(
    source: IO[bytes], spec: ParsedSpec, done: set[str], max_chars: int, summary: Summary
) -> Iterator[Item]:
    """Each input line as a Sample, or as an ``invalid_input`` Grade saying what is wrong."""
    for number, raw in enumerate(source, start=1):
        summary.lines += 1
        obj, problem = parse_line(raw)
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
                if problem is None and isinstance(spec, RoutedSpec) and spec.choose(sample) is None:
                    problem = spec.unrouted_reason(sample)  # said here, with the line number
                if problem is None:
                    yield dataclasses.replace(sample, id=sample_id)
                    continue
            else:
                problem = sample
        # A line that is not a sample still counts under its route, as the library does.
        route = spec.choose(obj) if isinstance(spec, RoutedSpec) else None
        yield invalid_grade(spec, sample_id, f"line {number}: {problem}", route)


def _key(sample_id: Any) -> str:
    return json.dumps(sample_id, sort_keys=True)


def _graded_ids(path: Path) -> set[str]:
    """Ids already in an output file; a last line cut off mid-write is removed."""
    if not path.exists():
        return set()
    ids = set()
    # The previous run may have died mid-line: that fragment goes, and its item is redone.
    for line in drop_partial_line(path).splitlines():
        try:
            ids.add(_key(json.loads(line)["id"]))
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
            continue
    return ids
