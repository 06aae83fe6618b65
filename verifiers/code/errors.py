"""Why a reference's own parts stop a sample from being graded (never the program's doing).

- :class:`BadReference` (a ``ValueError``): found while running, the reference is malformed: a
  checker or interactor that does not compile, an input file named like the program's own
  file. The verdict is ``invalid_input``.
- :class:`CheckerFailed`: a checker or interactor failed while judging (testlib's FAIL, a
  crash, a timeout, no readable score). The verdict is ``error``, and the sample scores 0.
"""

from __future__ import annotations


class BadReference(ValueError):
    """The reference is malformed, as found while running it: ``invalid_input``."""


class CheckerFailed(Exception):
    """A checker or interactor failed (testlib's FAIL, a crash, a timeout, a bad score).

    Not the judged program's score: the verdict is ``error`` and the sample scores nothing.
    """
