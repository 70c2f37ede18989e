"""The lesson builder's forms: one block ⇄ plain form fields a teacher can edit without JS.

Lists are written one item per line; in choice questions a leading `*` marks a correct option;
matching pairs are `left = right`; fill-in gaps are written inline as `[[answer|variant]]`.
"""

from __future__ import annotations

import re
from typing import Any

from app.schemas.blocks import GAP_MARKER, Block, new_block_id

CORRECT_MARK = "*"
_INLINE_GAP = re.compile(r"\[\[([^\[\]]+)\]\]")
TEXT_RULE_FIELDS = ("case_sensitive", "yo_equals_e")


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def _question_fields(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"prompt": form.get("prompt", "")}
    if form.get("points"):
        fields["points"] = form["points"].replace(",", ".")
    if form.get("explanation", "").strip():
        fields["explanation"] = form["explanation"]
    return fields


def _options(form: dict[str, str]) -> tuple[list[dict[str, str]], list[str]]:
    options, correct = [], []
    for number, line in enumerate(_lines(form.get("options")), start=1):
        option_id = f"o{number}"
        if line.startswith(CORRECT_MARK):
            correct.append(option_id)
            line = line[len(CORRECT_MARK) :].strip()
        options.append({"id": option_id, "text": line})
    return options, correct


def _matching_rules(form: dict[str, str]) -> dict[str, bool]:
    return {name: _checked(form, name) for name in TEXT_RULE_FIELDS}


def form_to_block(block_type: str, block_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The block dict for the schema to validate (errors are the schema's, not ours)."""
    block: dict[str, Any] = {"id": block_id, "type": block_type}
    if block_type == "text":
        return {**block, "markdown": form.get("markdown", "")}
    if block_type in ("video", "pdf", "image", "file"):
        block["url"] = form.get("url", "").strip() or None
        if form.get("title", "").strip():
            block["title"] = form["title"].strip()
        if block_type == "image":
            block["alt"] = form.get("alt", "")
        return block
    block.update(_question_fields(form))
    if block_type in ("single_choice", "multiple_choice"):
        options, correct = _options(form)
        block["options"] = options
        if block_type == "single_choice":
            block["correct"] = correct[0] if len(correct) == 1 else ""
        else:
            block["correct"] = correct
            block["scoring"] = form.get("scoring", "partial")
    elif block_type == "true_false":
        block["correct"] = form.get("correct") == "true"
    elif block_type == "short_answer":
        block["accepted"] = _lines(form.get("accepted"))
        block["matching"] = _matching_rules(form)
    elif block_type == "numeric":
        block["value"] = form.get("value", "").replace(",", ".").strip()
        block["tolerance"] = form.get("tolerance", "").replace(",", ".").strip() or "0"
    elif block_type == "matching":
        pairs = []
        for number, line in enumerate(_lines(form.get("pairs")), start=1):
            left, _, right = line.partition("=")
            pairs.append({"id": f"p{number}", "left": left.strip(), "right": right.strip()})
        block["pairs"] = pairs
        block["scoring"] = form.get("scoring", "partial")
    elif block_type == "ordering":
        # Random ids: students get the items shuffled but under these ids, so ids numbered in
        # the correct order would give the answer away.
        block["items"] = [
            {"id": new_block_id(), "text": line} for line in _lines(form.get("items"))
        ]
        block["scoring"] = form.get("scoring", "partial")
    elif block_type == "fill_blanks":
        gaps: list[dict[str, Any]] = []
        rules = _matching_rules(form)

        def to_marker(match: re.Match[str]) -> str:
            gap_id = f"g{len(gaps) + 1}"
            accepted = [part.strip() for part in match.group(1).split("|") if part.strip()]
            gaps.append({"id": gap_id, "accepted": accepted, "matching": rules})
            return f"[[{gap_id}]]"

        block["text"] = _INLINE_GAP.sub(to_marker, form.get("text", ""))
        block["gaps"] = gaps
        block["scoring"] = form.get("scoring", "partial")
    elif block_type == "essay":
        for field in ("min_words", "max_words"):
            if form.get(field, "").strip():
                block[field] = form[field].strip()
    return block


def block_to_form(block: Block) -> dict[str, str]:
    """The form fields that show a saved block for editing (the inverse of form_to_block)."""
    data = block.model_dump(mode="json")
    form: dict[str, str] = {
        key: "" if value is None else str(value)
        for key, value in data.items()
        if isinstance(value, str | int | float) or value is None
    }
    kind = data["type"]
    if kind in ("single_choice", "multiple_choice"):
        correct = data["correct"] if isinstance(data["correct"], list) else [data["correct"]]
        form["options"] = "\n".join(
            (CORRECT_MARK if option["id"] in correct else "") + option["text"]
            for option in data["options"]
        )
    elif kind == "true_false":
        form["correct"] = "true" if data["correct"] else "false"
    elif kind == "short_answer":
        form["accepted"] = "\n".join(data["accepted"])
        form.update(_rules_to_form(data["matching"]))
    elif kind == "matching":
        form["pairs"] = "\n".join(f"{pair['left']} = {pair['right']}" for pair in data["pairs"])
    elif kind == "ordering":
        form["items"] = "\n".join(item["text"] for item in data["items"])
    elif kind == "fill_blanks":
        accepted = {gap["id"]: "|".join(gap["accepted"]) for gap in data["gaps"]}
        form["text"] = GAP_MARKER.sub(lambda m: f"[[{accepted.get(m.group(1), '')}]]", data["text"])
        if data["gaps"]:
            form.update(_rules_to_form(data["gaps"][0]["matching"]))
    return form


def _rules_to_form(rules: dict[str, Any]) -> dict[str, str]:
    return {name: "on" if rules.get(name) else "" for name in TEXT_RULE_FIELDS}


def default_form(block_type: str) -> dict[str, str]:
    """A fresh block's form: forgiving matching on, one point."""
    form = {"points": "1", "yo_equals_e": "on", "scoring": "partial"}
    if block_type == "true_false":
        form["correct"] = "true"
    return form
