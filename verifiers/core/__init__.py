"""The words every other part of verigrade uses.

``model`` (Sample, Verdict, Grade), ``base`` (the Verifier class a verifier subclasses),
``options`` (``Opt``: a documented, bounded option), ``spec`` (a reward spec parsed into
verifiers and weights), ``registry`` (verifier names from entry points), ``errors`` (the
exception tree) and ``text`` (splitting reasoning from the answer). Nothing here grades
in bulk or runs processes: that is ``engine``. The public names are re-exported once, by
``verigrade.verifiers``.
"""
