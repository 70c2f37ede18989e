"""The block registry: every registered type has every part (schema, student view, grader,
answer parsing, builder form, template macros), the parts fit together (the player's and the
builder's HTML parse back into what they showed), and everything that lists the types is
derived from the registry."""

from __future__ import annotations

import inspect
import json
import random
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any, get_args

import pytest
from starlette.datastructures import FormData

from app.api.lms.block_forms import block_to_form, default_form, form_to_block
from app.api.templating import templates
from app.core.i18n import translations
from app.schemas.lms.blocks import (
    BLOCK_CLASSES,
    BLOCK_TYPES,
    BLOCKS,
    CONTENT_TYPES,
    QUESTION_KINDS,
    QUESTION_TYPES,
    QUESTIONS,
    Block,
    BlockBase,
    QuestionBase,
    content_adapter,
)
from app.services.lms.grading import grade_question
from app.services.lms.student_view import student_blocks
from bench.content import RAW_TEMPLATES, build_templates
from tests.lms.helpers import FULL_CONTENT, key_material

gettext = translations("en").gettext
# The macros `lms/_block.html` and `lms/_block_editor.html` call, with their arguments.
CONTENT_MACROS = {"view": ("b", "_"), "editor": ("uid", "form", "_")}
QUESTION_MACROS = {
    "inputs": ("b", "answer", "_"),
    "answer": ("b", "answer", "_"),
    "key": ("b", "_"),
    "editor": ("uid", "form", "_"),
}
ODD_ANSWERS: list[object] = [
    "x",
    " 3,5 ",
    True,
    False,
    0,
    2.5,
    ["x", "x"],
    [None],
    {"x": "y"},
    {"x": ["y"]},
    [{"a": 1}],
]


def example(kind: type[BlockBase]) -> Block:
    block = content_adapter.validate_python([kind.example("ex")])[0]
    assert type(block) is kind
    return block


def full_content_block(kind: type[BlockBase]) -> Block:
    """The block of this type in the test lesson, whose answer keys are easy to spot."""
    raw = next(block for block in FULL_CONTENT if block["type"] == kind.block_type())
    return content_adapter.validate_python([raw])[0]


def macros(kind: type[BlockBase]) -> Any:
    return templates.env.get_template(kind.template).module


class FormFields(HTMLParser):
    """The fields a browser would submit from an HTML fragment (no JS): checked boxes, typed
    values, the selected (or first) option of each select, the text of each textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in found:
            if found.get("type") in ("radio", "checkbox"):
                if "checked" in found:
                    self.fields.append((found["name"], found.get("value", "on")))
            else:
                self.fields.append((found["name"], found.get("value", "")))
        elif tag == "select":
            self._select, self._options = found["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((found.get("value", ""), "selected" in found))
        elif tag == "textarea":
            self._textarea, self._text = found["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [
                self._options[0][0]
            ]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text))
            self._textarea = None


def submitted(html: str) -> list[tuple[str, str]]:
    parser = FormFields()
    parser.feed(html)
    parser.close()
    return parser.fields


def without_generated_ids(value: Any, depth: int = 0) -> Any:
    """A block dump without the ids the builder makes up for items (options, pairs, ...)."""
    if isinstance(value, dict):
        return {
            key: without_generated_ids(item, depth + 1)
            for key, item in value.items()
            if depth == 0 or key not in ("id", "right_id")
        }
    if isinstance(value, list):
        return [without_generated_ids(item, depth + 1) for item in value]
    return value


# --- derived from the registry


def test_the_union_and_the_type_lists_are_derived_from_the_registry() -> None:
    union = get_args(get_args(Block)[0])
    assert union == BLOCK_CLASSES
    assert tuple(BLOCKS.values()) == BLOCK_CLASSES
    assert tuple(BLOCKS) == BLOCK_TYPES
    assert {name: kind.block_type() for name, kind in BLOCKS.items()} == {n: n for n in BLOCKS}
    assert QUESTION_KINDS == set(QUESTIONS) == {kind.block_type() for kind in QUESTION_TYPES}
    assert set(QUESTION_TYPES) == {k for k in BLOCK_CLASSES if issubclass(k, QuestionBase)}
    assert set(CONTENT_TYPES) | set(QUESTION_TYPES) == set(BLOCK_CLASSES)
    assert not set(CONTENT_TYPES) & set(QUESTION_TYPES)
    # The union validates each type into its class, by `type`.
    blocks = content_adapter.validate_python([kind.example(name) for name, kind in BLOCKS.items()])
    assert [type(block) for block in blocks] == list(BLOCK_CLASSES)


# --- every type has every part


@pytest.mark.parametrize("kind", BLOCK_CLASSES, ids=lambda kind: kind.block_type())
def test_every_type_has_every_part(kind: type[BlockBase]) -> None:
    assert not inspect.isabstract(kind), kind.__abstractmethods__
    assert kind.template == f"lms/blocks/{kind.block_type()}.html"
    # A name for the builder (tests/test_i18n.py checks that Russian has it).
    assert kind.label.strip()
    block = example(kind)
    assert block.id == "ex"
    form = kind.default_form()
    assert all(isinstance(value, str) for value in form.values())
    if issubclass(kind, QuestionBase):
        assert isinstance(kind.auto_graded, bool)
        assert set(kind.macros) == set(QUESTION_MACROS)
    else:
        assert set(kind.macros) == set(CONTENT_MACROS)


@pytest.mark.parametrize("kind", BLOCK_CLASSES, ids=lambda kind: kind.block_type())
def test_every_template_defines_the_macros_the_pages_call(kind: type[BlockBase]) -> None:
    expected = QUESTION_MACROS if issubclass(kind, QuestionBase) else CONTENT_MACROS
    module = macros(kind)
    for name, arguments in expected.items():
        macro = getattr(module, name, None)
        assert macro is not None, f"{kind.template} has no macro {name}"
        assert macro.arguments == arguments, (kind.template, name)


# --- student views


@pytest.mark.parametrize("kind", BLOCK_CLASSES, ids=lambda kind: kind.block_type())
@pytest.mark.parametrize("shuffle", [False, True])
def test_student_view_never_contains_an_answer_key(kind: type[BlockBase], shuffle: bool) -> None:
    for block in (example(kind), full_content_block(kind)):
        for seed in range(5):
            view = block.student_view(random.Random(seed), shuffle_options=shuffle)
            assert key_material(view) == [], (block.id, view)
            assert (view["id"], view["type"]) == (block.id, kind.block_type())
            assert json.loads(json.dumps(view)) == view  # plain JSON


def test_student_blocks_are_each_types_view_in_order() -> None:
    blocks = content_adapter.validate_python(FULL_CONTENT)
    views = student_blocks(blocks, seed=3, shuffle_options=True)
    rng = random.Random(3)
    assert views == [block.student_view(rng, shuffle_options=True) for block in blocks]


# --- grading


@pytest.mark.parametrize("kind", QUESTION_TYPES, ids=lambda kind: kind.block_type())
def test_every_question_grades_its_sample_answers(kind: type[QuestionBase]) -> None:
    for block in (example(kind), full_content_block(kind)):
        assert isinstance(block, QuestionBase)
        right = grade_question(block, block.sample_answer(right=True))
        wrong = grade_question(block, block.sample_answer(right=False))
        if kind.auto_graded:
            assert (right.outcome, right.points) == ("correct", block.points)
            assert wrong.outcome in ("incorrect", "partial")
            assert wrong.points < block.points
        else:
            assert right.outcome == wrong.outcome == "pending"
        assert grade_question(block, None).outcome == "unanswered"


@pytest.mark.parametrize("kind", QUESTION_TYPES, ids=lambda kind: kind.block_type())
@pytest.mark.parametrize("answer", ODD_ANSWERS, ids=repr)
def test_every_question_survives_any_json_answer(kind: type[QuestionBase], answer: object) -> None:
    block = example(kind)
    assert isinstance(block, QuestionBase)
    result = grade_question(block, answer)
    assert Decimal(0) <= result.points <= block.points


# --- the player: what a page renders parses back into the answer it showed


@pytest.mark.parametrize("kind", QUESTION_TYPES, ids=lambda kind: kind.block_type())
@pytest.mark.parametrize("shuffle", [False, True])
def test_answer_parsing_round_trips_what_the_player_renders(
    kind: type[QuestionBase], shuffle: bool
) -> None:
    block = example(kind)
    assert isinstance(block, QuestionBase)
    shown = block.student_view(random.Random(7), shuffle_options=shuffle)
    for answer in (block.sample_answer(right=True), block.sample_answer(right=False), None):
        html = str(macros(kind).inputs(shown, answer, gettext))
        form = FormData([(name, value) for name, value in submitted(html)])
        parsed = kind.parse_answer(shown, form)
        if isinstance(answer, list) and kind.block_type() == "multiple_choice":
            # Ticked boxes come back in the order the page lists them.
            assert sorted(parsed) == sorted(answer), html
        else:
            assert parsed == answer, html


# --- the builder: form ⇄ block, and the editor's HTML back into the form


@pytest.mark.parametrize("kind", BLOCK_CLASSES, ids=lambda kind: kind.block_type())
def test_builder_form_round_trips(kind: type[BlockBase]) -> None:
    # Any block's form makes a valid block of the same type.
    block = full_content_block(kind)
    again = form_to_block(kind.block_type(), block.id, block_to_form(block, "en"))
    assert type(content_adapter.validate_python([again])[0]) is kind
    # The examples number their options, pairs and gaps as the builder does: the same block
    # comes back (but for the ids the builder makes up at random), and the same form.
    block = example(kind)
    form = block_to_form(block, "en")
    same = content_adapter.validate_python([form_to_block(kind.block_type(), "ex", form)])[0]
    assert without_generated_ids(same.model_dump()) == without_generated_ids(block.model_dump())
    assert block_to_form(same, "en") == form


@pytest.mark.parametrize("kind", BLOCK_CLASSES, ids=lambda kind: kind.block_type())
def test_the_editor_submits_the_fields_it_shows(kind: type[BlockBase]) -> None:
    name = kind.block_type()
    for form in (block_to_form(example(kind), "ru"), default_form(name)):
        html = str(macros(kind).editor("ed", form, gettext))
        fields = dict(submitted(html))
        assert without_generated_ids(form_to_block(name, "ex", fields)) == without_generated_ids(
            form_to_block(name, "ex", form)
        ), html


# --- the bench


def test_the_bench_content_covers_every_block_type() -> None:
    used = {block["type"] for _, blocks in RAW_TEMPLATES for block in blocks}
    assert used == set(BLOCK_TYPES)
    built = build_templates(seed=1)
    assert {type(block) for template in built for block in template.blocks} == set(BLOCK_CLASSES)
