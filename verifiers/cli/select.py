"""``verigrade select``: rejection sampling / best-of-n on a JSONL file, streaming,
resumable. The rule itself is ``verigrade.verifiers.selection``; this is files and flags.

Files: SFT rows to OUTPUT, pairs to ``--pairs``, and with ``--graded`` one record per input
completion (its grade, outcome and reason). Resuming reads the graded log's last
checkpoint (the input lines done, the rows and pairs written, a hash of those input lines
and of the options), cuts every file back to it, and goes on from the next line.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

from ..core.errors import VerigradeError
from ..core.spec import load_spec, parse_spec
from ..selection import Selection, SelectOptions, SelectSummary, select
from ..selection.options import FORMATS
from .arguments import Subparsers, add_grading_arguments, grader_from
from .files import count_lines, drop_partial_line, keep_lines, progress_bar

GRADERS = "verigrade.graders"


def register(subparsers: Subparsers) -> None:
    """Add ``verigrade select``."""
    parser = subparsers.add_parser(
        "select",
        help="rejection sampling / best-of-n: keep the completions the verifiers accept",
        description=(
            "Grade several completions per prompt (INPUT: JSONL, one completion per line "
            "{prompt, completion, ...} or a list per prompt {prompt, completions: [...], ...}), "
            "group them by prompt (prompt_id, else the prompt itself), keep what the options "
            "say, and write SFT rows (prompt/completion, or messages) and, with --pairs, "
            "preference pairs (prompt/chosen/rejected) in the shapes TRL's SFT and DPO "
            "trainers read. See docs/select.md."
        ),
    )
    parser.add_argument("input", help="JSONL file, or - for stdin")
    parser.add_argument(
        "-o", "--output", default="-", help="SFT rows (JSONL), or - for stdout (default)"
    )
    parser.add_argument("--pairs", metavar="FILE", help="also write preference pairs to FILE")
    parser.add_argument(
        "--graded",
        metavar="FILE",
        help="also write one record per input completion: grade, outcome and why "
        "(needed by --resume)",
    )
    keep = parser.add_argument_group("what to keep")
    keep.add_argument(
        "--min-reward", type=float, help="keep completions with reward >= this (default: any)"
    )
    keep.add_argument(
        "--best-k",
        "--max-per-prompt",
        dest="best_k",
        type=int,
        help="keep at most K per prompt, highest reward first, ties in input order "
        "(1: best-of-n; default: no limit)",
    )
    keep.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="keep completions whose text (whitespace-normalised) repeats a better one",
    )
    keep.add_argument(
        "--keep-truncated",
        action="store_true",
        help="keep completions whose finish_reason is 'length' (dropped by default)",
    )
    keep.add_argument("--eos", help="drop completions that do not end with this text")
    keep.add_argument(
        "--max-length", type=int, metavar="CHARS", help="drop completions longer than CHARS"
    )
    keep.add_argument(
        "--pairs-per-prompt",
        type=int,
        default=1,
        help="preference pairs per prompt, with --pairs (default 1)",
    )
    keep.add_argument(
        "--min-margin",
        type=float,
        default=0.0,
        help="a pair's chosen reward exceeds its rejected reward by at least this (default 0)",
    )
    keep.add_argument(
        "--format",
        choices=FORMATS,
        default="prompt-completion",
        help="SFT rows as prompt/completion (default) or messages",
    )
    keep.add_argument(
        "--unsorted",
        action="store_true",
        help="let a prompt's completions be anywhere in INPUT (holds all of it in memory); "
        "by default they must be on consecutive lines",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from the --graded log's last checkpoint",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="grade on a verigrade server (needs verigrade[client]) instead of local workers",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("VERIGRADE_API_KEY"),
        help="the server's API key (default: $VERIGRADE_API_KEY)",
    )
    add_grading_arguments(parser)
    parser.set_defaults(handler=run)


class UsageError(VerigradeError):
    """A flag combination or a file state the run cannot start from (``main`` prints it)."""


def run(args: argparse.Namespace) -> int:
    """Select from INPUT into OUTPUT (and --pairs, --graded); returns the exit code."""
    spec = load_spec(args.spec)
    labels = parse_spec(spec).labels
    options = SelectOptions(
        min_reward=args.min_reward,
        best_k=args.best_k,
        dedup=not args.keep_duplicates,
        drop_truncated=not args.keep_truncated,
        eos=args.eos,
        max_length=args.max_length,
        pairs_per_prompt=args.pairs_per_prompt if args.pairs else 0,
        min_margin=args.min_margin,
        format=args.format,
        unsorted=args.unsorted,
    )
    # What decides the files' content; --max-chars too, as it decides what is graded.
    fingerprint = options.fingerprint({"spec": spec, "max_chars": args.max_chars})
    _check(args)
    resumed = _resume(args, fingerprint, labels) if args.resume else None
    summary = resumed.summary if resumed else SelectSummary(labels)
    total = None if args.input == "-" else count_lines(Path(args.input))
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = _Outputs.open(args, stack, resumed)
        source = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        )
        lines = _HashedLines(source)
        first_line = 1
        if resumed is not None:
            lines.skip(resumed.lines, resumed.input_sha256)
            first_line = resumed.lines + 1
        progress = progress_bar(total, args.quiet, "line")
        if progress is not None:
            stack.callback(progress.close)
            progress.update(first_line - 1)
        try:
            backend = stack.enter_context(_backend(args))
            selections = select(
                lines,
                spec,
                options,
                grader=backend,
                batch_size=args.batch_size,
                max_chars=args.max_chars,
                first_line=first_line,
                done_groups=resumed.groups if resumed else (),
            )
            for selection in selections:
                out.write(selection, lines, fingerprint)
                summary.add(selection)
                if progress is not None:
                    progress.update(selection.lines)
        except KeyboardInterrupt:
            out.flush()
            how = (
                "rerun with --resume to continue"
                if args.graded and args.output != "-"
                else "a run with -o FILE and --graded FILE can be resumed"
            )
            print(f"\ninterrupted after {summary.lines:,} lines; {how}", file=sys.stderr)
            return 130
        out.flush()
    elapsed = time.perf_counter() - started
    if summary.lines == 0:
        print(f"verigrade select: {args.input} holds no lines; nothing selected", file=sys.stderr)
    elif not args.quiet:
        print(summary.render(elapsed), file=sys.stderr)
        if summary.outcomes["invalid_input"] > len(summary.invalid):
            where = f"{args.graded} holds" if args.graded else "--graded FILE would list"
            print(f"  ({where} every one)", file=sys.stderr)
    if args.summary:
        Path(args.summary).write_text(
            json.dumps(summary.to_dict(elapsed), indent=2) + "\n", encoding="utf-8"
        )
    return 0


def _check(args: argparse.Namespace) -> None:
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.input != "-" and not Path(args.input).is_file():
        raise UsageError(f"input file {args.input!r} does not exist")
    if args.server is not None and args.ray is not None:
        raise UsageError("--server and --ray are two places to grade: give one")
    if args.resume and (args.output == "-" or not args.graded):
        raise UsageError(
            "--resume needs an output file (-o FILE) and the run's --graded FILE: the graded "
            "log records how far the run got"
        )
    named = [p for p in (args.input, args.output, args.pairs, args.graded, args.summary) if p]
    files = [Path(p).resolve() for p in named if p != "-"]
    if len(set(files)) != len(files):
        raise UsageError("INPUT, -o, --pairs, --graded and --summary must be different files")


# -- resuming ----------------------------------------------------------------------------


@dataclass
class _Resumed:
    """What the run being resumed finished, as its last checkpoint says."""

    lines: int
    sft: int
    pairs: int
    input_sha256: str
    summary: SelectSummary
    groups: set[str] = field(default_factory=set)


def _resume(args: argparse.Namespace, fingerprint: str, labels: list[str]) -> _Resumed:
    """Cut the files back to the graded log's last checkpoint and rebuild the summary of
    what they hold."""
    graded = Path(args.graded)
    summary = SelectSummary(labels)
    checkpoint: dict[str, Any] = {"lines": 0, "sft": 0, "pairs": 0, "input_sha256": ""}
    end = 0
    if graded.exists():
        data = drop_partial_line(graded)
        offset = 0
        for line in data.splitlines(keepends=True):
            offset += len(line)
            if b'"checkpoint"' in line:
                record = json.loads(line)
                if "checkpoint" in record:
                    checkpoint, end = record["checkpoint"], offset
        if end and checkpoint.get("options") != fingerprint:
            raise UsageError(
                f"the spec or the selection options differ from the run that wrote "
                f"{args.graded}; resume with the same ones, or start again without --resume"
            )
        with open(graded, "rb+") as f:
            f.truncate(end)
    if not end:
        print(
            f"verigrade select: no checkpoint in {args.graded}: starting from the first line",
            file=sys.stderr,
        )
    resumed = _Resumed(
        checkpoint["lines"], checkpoint["sft"], checkpoint["pairs"], checkpoint["input_sha256"],
        summary,
    )  # fmt: skip
    _recount(graded, resumed)
    for path, count, what in (
        (args.output, resumed.sft, "SFT rows"),
        (args.pairs, resumed.pairs, "pairs"),
    ):
        if path is None:
            continue
        has = keep_lines(Path(path), count) if Path(path).exists() else 0
        if has < count:
            raise UsageError(
                f"{path} holds {has:,} {what}, but {args.graded} says {count:,} were written; "
                "it was changed since: start again without --resume"
            )
    summary.resumed_after = resumed.lines
    return resumed


def _recount(graded: Path, resumed: _Resumed) -> None:
    """The summary and prompt keys of the records up to the checkpoint, result by result
    (a prompt's records are consecutive; an unreadable line's record stands alone)."""
    if not graded.exists():
        return
    summary = resumed.summary
    block: list[dict[str, Any]] = []

    def flush() -> None:
        if block:
            summary.add_records(block[0]["group"], block, 0, 0)
            block.clear()

    with open(graded, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                record = json.loads(raw)
                group = record["group"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UsageError(
                    f"{graded} line {number} is not a record verigrade select wrote"
                ) from None
            if block and (group is None or group != block[0]["group"]):
                flush()
            block.append(record)
            if group is not None:
                resumed.groups.add(group)
        flush()
    summary.sft_rows, summary.pairs = resumed.sft, resumed.pairs


class _HashedLines:
    """The input's lines, with the SHA-256 of the prefixes a checkpoint may need: a resumed
    run checks that its input starts with the very lines the first run finished.

    Checkpoints fall within the lines read ahead for grading (a few batches), or at the
    last line read; the states of older lines are let go, and a checkpoint that would
    need one is skipped (a resume then starts from an earlier one)."""

    KEPT = 1 << 16

    def __init__(self, source: Iterable[bytes]) -> None:
        self._source = iter(source)
        self._sha = hashlib.sha256()
        self._read = 0
        self._states: deque[tuple[int, Any]] = deque(maxlen=self.KEPT)

    def skip(self, count: int, expected: str) -> None:
        """Read past the first ``count`` lines, checking that they hash to ``expected``."""
        if count == 0:
            return
        for _ in range(count):
            raw = next(self._source, None)
            if raw is None:
                raise UsageError(
                    f"the input has only {self._read:,} lines, but the run being resumed "
                    f"finished {count:,}: is it the same input?"
                )
            self._sha.update(raw)
            self._read += 1
        if self._sha.hexdigest() != expected:
            raise UsageError(
                f"the input's first {count:,} lines differ from those the run being resumed "
                "read: resume with the same input, or start again without --resume"
            )

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._source:
            self._sha.update(raw)
            self._read += 1
            self._states.append((self._read, self._sha.copy()))
            yield raw

    def digest_through(self, line: int) -> str | None:
        """The hash of lines 1..``line``, or None when it is no longer known (asked for
        lines in increasing order)."""
        if line == self._read:
            return self._sha.hexdigest()
        while self._states and self._states[0][0] < line:
            self._states.popleft()
        if not self._states or self._states[0][0] != line:
            return None
        return str(self._states[0][1].hexdigest())


# -- writing -------------------------------------------------------------------------------


@dataclass
class _Outputs:
    sft: IO[str]
    pairs: IO[str] | None
    graded: IO[str] | None
    sft_count: int = 0
    pair_count: int = 0

    @classmethod
    def open(
        cls, args: argparse.Namespace, stack: contextlib.ExitStack, resumed: _Resumed | None
    ) -> _Outputs:
        mode = "a" if resumed else "w"

        def opened(path: str | None) -> IO[str] | None:
            if path is None:
                return None
            return stack.enter_context(open(path, mode, encoding="utf-8"))

        sft = sys.stdout if args.output == "-" else opened(args.output)
        assert sft is not None
        out = cls(sft, opened(args.pairs), opened(args.graded))
        if resumed:
            out.sft_count, out.pair_count = resumed.sft, resumed.pairs
        return out

    def write(self, selection: Selection, lines: _HashedLines, fingerprint: str) -> None:
        """Rows, pairs, then the graded records: a checkpoint reaches the log only after
        the rows and pairs it counts are in their files."""
        if selection.sft:
            self.sft.write("".join(_dumps(row) + "\n" for row in selection.sft))
            self.sft_count += len(selection.sft)
        if selection.pairs and self.pairs is not None:
            self.pairs.write("".join(_dumps(row) + "\n" for row in selection.pairs))
            self.pair_count += len(selection.pairs)
        if self.graded is None:
            return
        records = [d.to_dict() for d in selection.decisions]
        digest = None
        if selection.checkpoint is not None:
            digest = lines.digest_through(selection.checkpoint)
        if digest is not None:
            self.sft.flush()
            if self.pairs is not None:
                self.pairs.flush()
            records[-1]["checkpoint"] = {
                "lines": selection.checkpoint,
                "sft": self.sft_count,
                "pairs": self.pair_count,
                "input_sha256": digest,
                "options": fingerprint,
            }
        self.graded.write("".join(_dumps(r) + "\n" for r in records))
        if digest is not None:
            self.graded.flush()

    def flush(self) -> None:
        for f in (self.sft, self.pairs, self.graded):
            if f is not None:
                f.flush()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@contextlib.contextmanager
def _backend(args: argparse.Namespace) -> Iterator[Any]:
    """The local Grader (or RayGrader, with --ray), or with --server the client package's
    ServerGrader."""
    if args.server is None:
        with grader_from(args) as grader:
            yield grader
        return
    found = entry_points(group=GRADERS, name="server")
    if not found:
        raise UsageError("--server needs the client package: pip install 'verigrade[client]'")
    try:
        server_grader = next(iter(found)).load()
    except ImportError as exc:
        raise UsageError(f"--server needs verigrade[client] ({exc})") from None
    with server_grader(args.server, api_key=args.api_key, timeout=args.timeout) as remote:
        yield remote
