"""``python -m verigrade.verifiers.cli``: the ``verigrade`` command."""

from __future__ import annotations

import sys

from .main import main

sys.exit(main())
