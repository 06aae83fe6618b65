"""Per-test file I/O: a problem that reads ``input.txt`` and writes ``output.txt``.

``reference`` names the files, each on its own: ``"input_file": "input.txt"`` puts the test's
input in that file of the program's working directory (and gives it an empty stdin);
``"output_file": "output.txt"`` judges that file instead of stdout. The file is read back by
the sandbox's fork server once every process of the run is dead, from the run's own
directory, without following a symbolic link, only if it is a regular file, and only up to the
output cap (see ``verigrade.sandbox.extras``): a program cannot point the judge at another
file (``/etc/passwd``, the judge's answer) nor make it read without end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verigrade.sandbox import RunExtras, RunResult

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class FileIO:
    """Which files stand for stdin and stdout (None: the stream itself)."""

    input_file: str | None = None
    output_file: str | None = None

    @property
    def extras(self) -> RunExtras | None:
        """What the program's run needs to have its output file read back."""
        return RunExtras(collect=self.output_file) if self.output_file else None

    def stdin_and_files(self, test_input: str) -> tuple[bytes, dict[str, bytes]]:
        """The program's stdin and the files to put in its directory for one test."""
        if self.input_file is None:
            return test_input.encode(), {}
        return b"", {self.input_file: test_input.encode()}

    def output(self, result: RunResult) -> bytes | str:
        """The output to judge: bytes, or the reason there is none (a str)."""
        if self.output_file is None:
            return result.stdout
        if result.collected is None:
            return result.collect_error or f"{self.output_file} was not read back"
        return result.collected


def parse_file_io(reference: Mapping[str, Any]) -> FileIO:
    """The reference's ``input_file`` and ``output_file``; raises ValueError when malformed."""
    names = {}
    for key in ("input_file", "output_file"):
        name = reference.get(key)
        if name is not None and (
            not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", "..")
        ):
            raise ValueError(f"'{key}' must be a plain file name such as input.txt")
        names[key] = name
    if names["input_file"] is not None and names["input_file"] == names["output_file"]:
        raise ValueError("'input_file' and 'output_file' must differ")
    return FileIO(**names)
