"""Reading an ``ifeval`` reference: IFEval's own format and the RLVR one-constraint form.

Accepted, as an object or its JSON text:

- IFEval's format: ``{"instruction_id_list": [...], "kwargs": [{...}, ...]}`` (the
  Google release and lm-eval; ``instruction_id`` as open-instruct's IFEvalG spells it
  works too, and so does a one-item list of such objects). kwargs whose value is
  null are ignored: Hugging Face datasets fill every instruction's kwargs with every
  key, set to null.
- The RLVR one-constraint form of Tulu 3 / open-instruct (allenai/RLVR-IFeval's
  ``ground_truth``): ``{"func_name": "validate_lowercase", "N": null, ...}``. Each
  function name maps to the IFEval instruction it checks and its parameters to
  that instruction's kwargs; counts it gives without a quantifier must be met
  exactly, as its functions check them, and its case checks ask for no language.

A reference that cannot be read (unknown instruction, missing or ill-typed kwargs)
is the data's fault, and the verifier answers it with ``invalid_input``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

from .instructions import INSTRUCTIONS, RELATIONS

Constraint = tuple[str, dict[str, Any]]

# RLVR function -> (IFEval instruction, {RLVR parameter: IFEval kwarg}, fixed kwargs).
RLVR: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "verify_keywords": ("keywords:existence", {"keyword_list": "keywords"}, {}),
    "verify_keyword_frequency": (
        "keywords:frequency",
        {"word": "keyword", "N": "frequency"},
        {"relation": "exactly"},
    ),
    "validate_forbidden_words": (
        "keywords:forbidden_words",
        {"forbidden_words": "forbidden_words"},
        {},
    ),
    "verify_letter_frequency": (
        "keywords:letter_frequency",
        {"letter": "letter", "N": "let_frequency"},
        {"let_relation": "exactly"},
    ),
    "validate_response_language": ("language:response_language", {"language": "language"}, {}),
    "verify_paragraph_count": ("length_constraints:number_paragraphs", {"N": "num_paragraphs"}, {}),
    "validate_word_constraint": (
        "length_constraints:number_words",
        {"N": "num_words", "quantifier": "relation"},
        {},
    ),
    "verify_sentence_constraint": (
        "length_constraints:number_sentences",
        {"N": "num_sentences", "quantifier": "relation"},
        {},
    ),
    "validate_paragraphs": (
        "length_constraints:nth_paragraph_first_word",
        {"N": "num_paragraphs", "first_word": "first_word", "i": "nth_paragraph"},
        {},
    ),
    "verify_postscript": (
        "detectable_content:postscript",
        {"postscript_marker": "postscript_marker"},
        {},
    ),
    "validate_placeholders": (
        "detectable_content:number_placeholders",
        {"N": "num_placeholders"},
        {},
    ),
    "verify_bullet_points": ("detectable_format:number_bullet_lists", {"N": "num_bullets"}, {}),
    "validate_title": ("detectable_format:title", {}, {}),
    "validate_choice": ("detectable_format:constrained_response", {"options": "options"}, {}),
    "validate_highlighted_sections": (
        "detectable_format:number_highlighted_sections",
        {"N": "num_highlights"},
        {},
    ),
    "validate_sections": (
        "detectable_format:multiple_sections",
        {"N": "num_sections", "section_splitter": "section_spliter"},
        {},
    ),
    "validate_json_format": ("detectable_format:json_format", {}, {}),
    "validate_repeat_prompt": (
        "combination:repeat_prompt",
        {"original_prompt": "prompt_to_repeat"},
        {},
    ),
    "validate_two_responses": ("combination:two_responses", {}, {}),
    # RLVR's case checks compare the text with its upper/lower form and ask no language.
    "validate_uppercase": ("change_case:english_capital", {}, {"require_english": False}),
    "validate_lowercase": ("change_case:english_lowercase", {}, {"require_english": False}),
    "validate_frequency_capital_words": (
        "change_case:capital_word_frequency",
        {"N": "capital_frequency", "quantifier": "capital_relation"},
        {},
    ),
    "validate_end": ("startend:end_checker", {"end_phrase": "end_phrase"}, {}),
    "validate_quotation": ("startend:quotation", {}, {}),
    "validate_no_commas": ("punctuation:no_comma", {}, {}),
}


def parse_reference(reference: Any) -> list[Constraint] | str:
    """The constraints a reference asks for, or why it cannot be read."""
    if isinstance(reference, str):
        reference = _decode(reference)
        if isinstance(reference, str):
            return reference
    if isinstance(reference, list) and len(reference) == 1:
        reference = reference[0]  # open-instruct wraps one IFEvalG object in a list
    if not isinstance(reference, Mapping):
        return (
            "reference must be an object with 'instruction_id_list' and 'kwargs' "
            f"or 'func_name', got {type(reference).__name__}"
        )
    if "func_name" in reference:
        return _rlvr(reference)
    ids = reference.get("instruction_id_list", reference.get("instruction_id"))
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return "reference needs 'instruction_id_list': a non-empty list of instruction ids"
    kwargs = reference.get("kwargs")
    if kwargs is None:
        kwargs = [{} for _ in ids]
    elif isinstance(kwargs, Mapping) and len(ids) == 1:
        kwargs = [kwargs]
    if not isinstance(kwargs, list) or len(kwargs) != len(ids):
        return f"'kwargs' must be a list of {len(ids)} objects, one per instruction"
    constraints: list[Constraint] = []
    for instruction_id, given in zip(ids, kwargs, strict=True):
        checked = check_kwargs(instruction_id, given if given is not None else {})
        if isinstance(checked, str):
            return checked
        constraints.append((instruction_id, checked))
    return constraints


def check_kwargs(instruction_id: str, given: Any) -> dict[str, Any] | str:
    """``given`` validated against the instruction's kwargs (nulls dropped), or why not."""
    instruction = INSTRUCTIONS.get(instruction_id)
    if instruction is None:
        return f"unknown instruction {instruction_id!r}; known: {', '.join(sorted(INSTRUCTIONS))}"
    if not isinstance(given, Mapping):
        return f"{instruction_id}: kwargs must be an object, got {type(given).__name__}"
    kwargs = {k: v for k, v in given.items() if v is not None}
    extra = sorted(set(kwargs) - set(instruction.kwargs))
    if extra:
        takes = ", ".join(instruction.kwargs) or "no kwargs"
        return f"{instruction_id}: unexpected kwargs {extra}; it takes {takes}"
    for name, spec in instruction.kwargs.items():
        if name not in kwargs:
            if spec.required:
                return f"{instruction_id}: missing kwarg {name!r}"
            continue
        problem = _kind_problem(spec.kind, kwargs[name])
        if problem:
            return f"{instruction_id}: kwarg {name!r} {problem}"
    if (
        kwargs.get("nth_paragraph", 1) > kwargs.get("num_paragraphs", 1)
        or kwargs.get("nth_paragraph", 1) < 1
    ):
        return f"{instruction_id}: nth_paragraph must be between 1 and num_paragraphs"
    return kwargs


def _kind_problem(kind: str, value: Any) -> str | None:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"must be a non-negative integer, got {value!r}"
    elif kind == "str":
        if not isinstance(value, str) or not value.strip():
            return f"must be a non-empty string, got {value!r}"
    elif kind == "strs":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"must be a list of non-empty strings, got {value!r}"
    elif kind == "letter":
        if not (isinstance(value, str) and len(value.strip()) == 1 and value.strip().isalpha()):
            return f"must be one letter, got {value!r}"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"must be true or false, got {value!r}"
    elif kind == "relation" and value not in RELATIONS:
        return f"must be one of {list(RELATIONS)}, got {value!r}"
    return None


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        # open-instruct writes some ground truths as Python reprs (single quotes, None).
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return "reference is a string that is neither JSON nor a Python literal"


def _rlvr(reference: Mapping[str, Any]) -> list[Constraint] | str:
    func = reference["func_name"]
    if func not in RLVR:
        return f"unknown func_name {func!r}; known: {', '.join(sorted(RLVR))}"
    instruction_id, names, fixed = RLVR[func]
    kwargs: dict[str, Any] = dict(fixed)
    for key, value in reference.items():
        if key == "func_name" or value is None:
            continue
        if key not in names:
            return f"{func}: unexpected parameter {key!r}; it takes {', '.join(names) or 'none'}"
        kwargs[names[key]] = value
    checked = check_kwargs(instruction_id, kwargs)
    if isinstance(checked, str):
        return f"{func} ({checked})"
    return [(instruction_id, checked)]
