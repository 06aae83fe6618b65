"""``python -m`` entry of a pool worker.

Kept apart from ``worker`` because the package imports ``worker``; running an
already-imported module with ``-m`` makes runpy warn.
"""

from __future__ import annotations

import sys

from .worker import main

main(sys.argv[1:])
