"""The math verifier's stages, private: ``extract`` -> ``normalize`` -> ``parse`` -> ``equivalence``.

``verifiers/math.py`` is the public face; these modules may change shape freely.
Nothing here imports sympy at module level: plain numbers never need it, and the
import costs ~1 s per worker process.
"""
