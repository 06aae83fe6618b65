"""``select``: stream lines in, grade them batch by batch, group them by prompt, and yield
each prompt's selection as soon as it is complete.

Memory: the batches in flight, the prompts not yet complete (one, for input whose prompts
are on consecutive lines), and a 32-character key per prompt seen, which is how a prompt
that comes back later is caught instead of being selected twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core.model import Grade, Sample, Text
from ..core.route import ParsedSpec
from ..core.spec import SpecLike, parse_spec
from ..engine import DEFAULT_MAX_CHARS, invalid_grade, shared_grader, stream_grades
from .candidates import Candidate, Line, read_line
from .choose import Decision, choose
from .options import SelectOptions
from .shapes import pair_row, sft_row


class GradeBackend(Protocol):
    """Where ``select`` grades: a ``Grader``, or anything with the same ``submit`` (the
    client package's ``ServerGrader`` grades on a verigrade server)."""

    def submit(self, samples: list[Sample], spec: SpecLike, /) -> Future[list[Grade]]:
        """Start grading; the future holds one Grade per sample, in order."""
        ...


@dataclass(frozen=True)
class Selection:
    """One prompt's result, or an unreadable line's (``group`` None, one decision).

    ``decisions`` has one entry per input completion of the prompt, in input order;
    ``sft`` and ``pairs`` are rows in TRL's shapes; ``lines`` counts the input lines it
    covers. ``checkpoint`` is set when every input
    line up to that number, and none after it, has now been yielded: a run that stops
    here can restart at the next line (``verigrade select --resume`` does).
    """

    group: str | None
    decisions: list[Decision]
    sft: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    lines: int
    checkpoint: int | None


def select(
    lines: Iterable[Any],
    spec: SpecLike,
    options: SelectOptions | None = None,
    *,
    grader: GradeBackend | None = None,
    workers: int | None = None,
    batch_size: int = 256,
    max_chars: int = DEFAULT_MAX_CHARS,
    first_line: int = 1,
    done_groups: Iterable[str] = (),
) -> Iterator[Selection]:
    """Rejection sampling / best-of-n: grade several completions per prompt and keep the
    ones the options say, as SFT rows and, optionally, preference pairs.

    Args:
        lines: one item per input line: a JSON text (str or bytes) or a parsed object,
            ``{"prompt", "completion", ...}`` or ``{"prompt", "completions": [...], ...}``
            with ``reference``, ``metadata``, ``id``, ``prompt_id``, ``finish_reason`` as
            needed (docs/select.md).
        spec: the reward spec; for a server backend, JSON (a name, list or dict).
        options: what to keep (``SelectOptions``; the default keeps every finished,
            distinct completion).
        grader: where to grade (default: the shared local Grader with ``workers``).
        workers: worker processes of the default grader.
        batch_size: completions sent to the grader at once.
        max_chars: a longer completion is not graded (``invalid_input``).
        first_line: the number of the first item (a resumed run starts past 1).
        done_groups: keys of prompts already selected (by the run being resumed).

    Yields:
        A ``Selection`` per prompt, in the order prompts first appear, and one per
        unreadable line, in place. Every input completion is in exactly one of them.

    Raises:
        SpecError: the spec is malformed (before anything is read).

    Example:
        >>> rows = [{"prompt": "2+2?", "completions": ["<think>.</think> 4", "5"]}]
        >>> [s.sft for s in select(rows, "think_format", SelectOptions(min_reward=1), workers=0)]
        [[{'prompt': '2+2?', 'completion': '<think>.</think> 4'}]]
    """
    options = options or SelectOptions()
    parsed = parse_spec(spec)
    backend: GradeBackend = grader if grader is not None else shared_grader(workers)
    state = _State(options, parsed, first_line, set(done_groups))

    def submit(samples: list[Sample]) -> Future[list[Grade]]:
        return backend.submit(samples, spec)

    items = state.read(lines, max_chars)
    for graded in stream_grades(items, _sample_of, submit, batch_size):
        for item, grade in graded:
            if grade is not None and isinstance(item, _Slot):
                item.group.grades[item.index] = grade
                item.group.pending -= 1
        yield from state.ready()
    yield from state.ready()


@dataclass(eq=False)
class _Group:
    key: str
    prompt: Text
    first_line: int
    candidates: list[Candidate] = field(default_factory=list)
    grades: list[Grade | None] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)
    pending: int = 0
    closed: bool = False


@dataclass(frozen=True, slots=True)
class _Slot:
    """A candidate waiting for its grade: ``group.candidates[index]``."""

    group: _Group
    index: int


@dataclass(frozen=True, slots=True)
class _Unreadable:
    line: Line


def _sample_of(item: _Slot | _Unreadable) -> Sample | None:
    return item.group.candidates[item.index].sample if isinstance(item, _Slot) else None


class _State:
    """The prompts still open and the queue of results not yet yielded, in the order
    they first appeared."""

    def __init__(
        self, options: SelectOptions, spec: ParsedSpec, first_line: int, done: set[str]
    ) -> None:
        self.options = options
        self.spec = spec
        self.open: dict[str, _Group] = {}
        self.closed = done
        self.queue: deque[_Group | _Unreadable] = deque()
        # Lines up to `first_line - 1` were finished by an earlier run.
        self.finished_lines = first_line - 1
        self.last_finished = first_line - 1
        self.first_line = first_line

    def read(self, lines: Iterable[Any], max_chars: int) -> Iterator[_Slot | _Unreadable]:
        """Each candidate to grade (or unreadable line) in input order; opens and closes
        prompts as it goes."""
        for number, item in enumerate(lines, start=self.first_line):
            line = read_line(item, number, self.options, max_chars)
            if line.key is None:
                bad = _Unreadable(line)
                self.queue.append(bad)
                yield bad
                continue
            group = self.open.get(line.key)
            if group is None:
                if line.key in self.closed:
                    bad = _Unreadable(_came_back(line))
                    self.queue.append(bad)
                    yield bad
                    continue
                if not self.options.unsorted:
                    self._close_all()
                group = self.open[line.key] = _Group(line.key, line.prompt, number)
                self.queue.append(group)
            group.lines.add(number)
            for candidate in line.candidates:
                if candidate.problem is None and line.prompt != group.prompt:
                    candidate = _differs(candidate, group.first_line)
                group.candidates.append(candidate)
                group.grades.append(None)
                if candidate.sample is not None:
                    group.pending += 1
                yield _Slot(group, len(group.candidates) - 1)
        self._close_all()

    def _close_all(self) -> None:
        for group in self.open.values():
            group.closed = True
            self.closed.add(group.key)
        self.open.clear()

    def ready(self) -> Iterator[Selection]:
        """Yield, in order, every queued result that is complete."""
        while self.queue:
            head = self.queue[0]
            if isinstance(head, _Group) and not (head.closed and head.pending == 0):
                return
            self.queue.popleft()
            yield self._selection(head)

    def _selection(self, item: _Group | _Unreadable) -> Selection:
        if isinstance(item, _Unreadable):
            line = item.line
            candidate = line.candidates[0]
            reason = line.problem or ""
            grade = invalid_grade(self.spec, candidate.id, reason)
            decision = Decision(
                line.number, None, candidate.id, None, grade, "invalid_input", reason
            )
            return self._finish(None, [decision], [], [], {line.number})
        members = []
        for candidate, graded in zip(item.candidates, item.grades, strict=True):
            # None: never sent, as it could not become a Sample.
            grade = graded or invalid_grade(self.spec, candidate.id, candidate.problem or "")
            members.append((candidate, grade))
        choice = choose(item.key, members, self.options)
        fmt = self.options.format
        sft = [sft_row(item.prompt, _text(c), fmt) for c in choice.kept]
        pairs = [pair_row(item.prompt, _text(a), _text(b), fmt) for a, b in choice.pairs]
        return self._finish(item.key, choice.decisions, sft, pairs, item.lines)

    def _finish(
        self,
        group: str | None,
        decisions: list[Decision],
        sft: list[dict[str, Any]],
        pairs: list[dict[str, Any]],
        lines: set[int],
    ) -> Selection:
        self.finished_lines += len(lines)
        self.last_finished = max(self.last_finished, *lines)
        clean = self.finished_lines == self.last_finished
        checkpoint = self.last_finished if clean else None
        return Selection(group, decisions, sft, pairs, len(lines), checkpoint)


def _text(candidate: Candidate) -> Text:
    assert candidate.sample is not None  # kept and paired candidates were graded
    return candidate.sample.completion


def _came_back(line: Line) -> Line:
    reason = (
        f"line {line.number}: its prompt's completions were already selected (they ended "
        "before another prompt's began); put each prompt's completions on consecutive "
        "lines, or select with unsorted=True (--unsorted)"
    )
    first = line.candidates[0]
    return Line(
        line.number, None, "", [Candidate(line.number, None, first.id, None, reason)], reason
    )


def _differs(candidate: Candidate, first_line: int) -> Candidate:
    reason = (
        f"line {candidate.line}: its prompt differs from line {first_line}'s, which has the "
        "same prompt_id"
    )
    return Candidate(candidate.line, candidate.index, candidate.id, None, reason)
