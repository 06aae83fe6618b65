"""``python -m`` entry of a pool worker.

Kept apart from ``_worker`` because the package imports ``_worker``; running an
already-imported module with ``-m`` makes runpy warn.
"""

from __future__ import annotations

import sys

from ._worker import main

main(sys.argv[1:])
