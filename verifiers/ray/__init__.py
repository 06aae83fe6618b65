"""Grading on a Ray cluster (``pip install 'verigrade[ray]'``).

``RayGrader`` (``grader``) keeps the ``Grader`` surface and puts one ``NodeGrader`` actor
(``actor``) on each node, each owning a local Grader, so deadlines, the sandbox and worker
replacement stay on the node. ``verigrade.verifiers`` never imports this package: only
``import verigrade.verifiers.ray`` brings Ray in.
"""

from __future__ import annotations

from .grader import RayGrader

__all__ = ["RayGrader"]
