"""Named specs: a JSON file of ``{name: spec}`` the operator gives the server
(``verigrade serve --specs FILE`` or ``VERIGRADE_SPECS``), chosen by URL path.

Why: OpenRLHF splits ``--reward.remote_url`` on commas (several reward servers), so a JSON
spec in the query string (``?spec={"math":1.0,"think_format":0.1}``) reaches the server cut
in two. ``/v1/openrlhf/r1`` names the spec instead and survives any launcher.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from verigrade.verifiers import ParsedSpec, SpecError, parse_spec

NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""A spec name: one URL path segment that no launcher or shell splits or quotes."""


def load_named_specs(path: str | Path) -> dict[str, ParsedSpec]:
    """Every spec of the file, parsed and checked; a bad file or spec is one
    ``SpecError`` naming the file and the spec."""
    where = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read the spec file {where}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise SpecError(f"the spec file {where} is not JSON: {exc}") from None
    if not isinstance(raw, dict) or not raw:
        raise SpecError(
            f"the spec file {where} must be a JSON object of named specs, e.g. "
            '{"r1": {"math": 1.0, "think_format": 0.1}}'
        )
    specs: dict[str, ParsedSpec] = {}
    for name, spec in raw.items():
        if not NAME.fullmatch(name):
            raise SpecError(
                f"spec name {name!r} in {where}: use 1-64 letters, digits, '_', '.' or '-' "
                "(it becomes a URL path segment)"
            )
        try:
            specs[name] = parse_spec(spec)
        except SpecError as exc:
            raise SpecError(f"spec {name!r} in {where}: {exc}") from None
    return specs
