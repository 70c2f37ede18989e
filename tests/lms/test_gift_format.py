"""The GIFT parser and writer on their own (no database): every question type, feedback,
escapes, formats, Cyrillic, CRLF and BOM, the problems with their lines, and the round trip
block → GIFT → block."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import InvalidInput, TooLarge
from app.schemas.lms.blocks import BLOCKS, Block, content_adapter
from app.schemas.lms.quiz_import import MAX_SOURCE_BYTES
from app.services.lms import quiz_import
from app.services.lms.quiz_formats import gift
from tests.lms.helpers import FULL_CONTENT

DATA = Path(__file__).parent / "data"
QUIZ = (DATA / "quiz.gift").read_text(encoding="utf-8")


def _blocks(source: str) -> list[dict[str, Any]]:
    return [question.block for question in gift.parse(source).questions]


def _one(source: str) -> dict[str, Any]:
    result = gift.parse(source)
    assert not result.problems, [p.reason for p in result.problems]
    assert len(result.questions) == 1
    return result.questions[0].block


def _without_ids(block: Block) -> dict[str, Any]:
    data = block.model_dump(mode="json", exclude={"id"})
    if "options" in data:  # option ids are numbered anew: their order and marks are what count
        ids = [option["id"] for option in data["options"]]
        data["options"] = [option["text"] for option in data["options"]]
        correct = data["correct"]
        data["correct"] = (
            ids.index(correct) if isinstance(correct, str) else [ids.index(c) for c in correct]
        )
    if "pairs" in data:  # pair ids are numbered anew, right ids are random: sides count
        data["pairs"] = [(pair["left"], pair["right"]) for pair in data["pairs"]]
    return data


def test_the_sample_file_reads_every_type_with_its_lines() -> None:
    result = gift.parse(QUIZ)
    types = [(q.where.line, q.block["type"]) for q in result.questions]
    assert types == [
        (4, "single_choice"),
        (11, "multiple_choice"),
        (17, "true_false"),
        (19, "short_answer"),
        (21, "numeric"),
        (23, "numeric"),
        (25, "matching"),
        (31, "essay"),
        (33, "text"),
        (35, "single_choice"),
    ]
    assert [(p.where.line, p.where.name) for p in result.problems] == [
        (37, "Плохой"),
        (39, "Без ответа"),
    ]
    assert result.questions[0].where.name == "Столица"


def test_single_choice_with_feedback_and_general_feedback() -> None:
    block = _one("::T:: Столица? {=Москва#Верно! ~Казань#Нет ####Москва — столица.}")
    assert block["prompt"] == "Столица?"
    assert block["options"] == [{"id": "o1", "text": "Москва"}, {"id": "o2", "text": "Казань"}]
    assert block["correct"] == "o1"
    assert block["explanation"] == "Москва — столица.\n\nМосква: Верно!\n\nКазань: Нет"


def test_weights_make_a_multiple_choice_positive_ones_correct() -> None:
    block = _one("Primes? {~%50%2 ~%50%3 ~%-100%4 ~9}")
    assert block["type"] == "multiple_choice"
    assert block["correct"] == ["o1", "o2"]
    assert BLOCKS["multiple_choice"].model_validate({**block, "id": "b"})


def test_true_false_words_and_feedback() -> None:
    assert _one("Sky is blue {T}")["correct"] is True
    assert _one("Sky is blue {TRUE}")["correct"] is True
    assert _one("Sky is green {F}")["correct"] is False
    result = gift.parse("Sky is green {FALSE#Look again#Right, it is blue}")
    question = result.questions[0]
    assert question.block["correct"] is False
    assert question.block["explanation"] == "Right, it is blue"
    assert [note.text for note in question.notes] == [gift.NOTE_WRONG_FEEDBACK]


def test_short_answer_keeps_every_variant() -> None:
    block = _one("Кошка по-английски? {=cat =a cat =%50%kitty =%0%dog}")
    assert block["type"] == "short_answer"
    assert block["accepted"] == ["cat", "a cat", "kitty"]


@pytest.mark.parametrize(
    ("answer", "value", "tolerance"),
    [
        ("#3.14:0.01", "3.14", "0.01"),
        ("#3,14", "3.14", "0"),
        ("#1..5", "3", "2"),
        ("#-2..-1", "-1.5", "0.5"),
        ("#=2:0#Right =%50%3:1#Close", "2", "0"),
    ],
)
def test_numbers_with_tolerance_and_ranges(answer: str, value: str, tolerance: str) -> None:
    block = _one(f"A number? {{{answer}}}")
    assert block["type"] == "numeric"
    numeric = BLOCKS["numeric"].model_validate({**block, "id": "n"})
    assert Decimal(value) == numeric.model_dump()["value"]
    assert Decimal(tolerance) == numeric.model_dump()["tolerance"]


def test_a_range_the_wrong_way_round_is_a_problem() -> None:
    result = gift.parse("\n\nBad {#5..1}")
    assert result.problems[0].where.line == 3
    assert result.problems[0].reason.text == gift.BAD_RANGE


def test_matching_pairs_and_distractors() -> None:
    result = gift.parse("Match {=дом -> house =кот -> cat = -> dog}")
    block = result.questions[0].block
    assert [(p["left"], p["right"]) for p in block["pairs"]] == [("дом", "house"), ("кот", "cat")]
    assert [note.text for note in result.questions[0].notes] == [gift.NOTE_DISTRACTORS]


def test_essay_and_description() -> None:
    assert _one("Write about your day {}") == {"type": "essay", "prompt": "Write about your day"}
    assert _one("::Intro:: Just read this.") == {"type": "text", "markdown": "Just read this."}


def test_escapes_and_line_breaks() -> None:
    block = _one(r"What is 2 \= 1 + 1 \{really\}\: \~yes? {=yes \# sure ~no\\way}")
    assert block["prompt"] == "What is 2 = 1 + 1 {really}: ~yes?"
    assert [o["text"] for o in block["options"]] == ["yes # sure", "no\\way"]
    assert _one(r"Line one\nline two {}")["prompt"] == "Line one\nline two"


def test_html_is_stored_as_plain_text_never_as_html() -> None:
    block = _one(
        "[html]<p>Pick <b>one</b> &amp; only one</p><script>alert(1)</script>"
        '<img src="x.png"> {=[html]<i>a</i> ~b}'
    )
    assert block["prompt"] == "Pick one & only one"
    assert block["options"][0]["text"] == "a"
    assert "<" not in str(block)
    assert [n.text for n in gift.parse("[html]<img src=x> text {}").questions[0].notes] == [
        gift.NOTE_IMAGES
    ]


def test_markdown_and_plain_markers_are_dropped() -> None:
    assert _one("[markdown]**Bold** question {}")["prompt"] == "**Bold** question"
    assert _one("::T::[plain]Plain question {}")["prompt"] == "Plain question"


def test_missing_word_format_puts_a_blank_in_the_sentence() -> None:
    block = _one("Moodle costs {~lots of money =nothing ~a small amount} to download.")
    assert block["prompt"] == "Moodle costs _____ to download."


def test_comments_categories_and_blank_lines_separate_questions() -> None:
    source = "// c\n$CATEGORY: x\n\n\n\nQ1 {}\n// inside\n\n\nQ2 {T}\n"
    result = gift.parse(source)
    assert [(q.where.line, q.block["type"]) for q in result.questions] == [
        (6, "essay"),
        (10, "true_false"),
    ]


def test_crlf_and_bom_are_read_like_lf() -> None:
    crlf = "\ufeff" + QUIZ.replace("\n", "\r\n")
    preview = quiz_import.read(crlf, "auto")
    assert preview.format == "gift"
    plain = quiz_import.read(QUIZ, "gift")
    assert [_without_ids(q.block) for q in preview.questions] == [
        _without_ids(q.block) for q in plain.questions
    ]
    assert [p.where.line for p in preview.problems] == [37, 39]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Q {=a ~b", gift.UNCLOSED),
        ("Q } {=a ~b}", gift.STRAY_BRACE),
        ("Q {=a ~b} and {=c ~d}", gift.TWO_ANSWER_SETS),
        ("Q {oops =a ~b}", gift.TEXT_BEFORE_ANSWER),
        ("Q {=a ~}", gift.EMPTY_ANSWER),
        ("Q {~a ~b}", gift.NO_CORRECT),
        ("Q {=a =b ~c}", gift.SEVERAL_EQUALS),
        ("Q {=a -> b =c}", gift.BAD_PAIR),
        ("Q {#abc}", gift.BAD_NUMBER),
        ("Q {~%150%a ~b}", gift.BAD_WEIGHT),
        ("::Only a title::{}", None),
        ("{}", gift.NO_TEXT),
    ],
)
def test_problems_say_why(source: str, message: str | None) -> None:
    result = gift.parse(source)
    if message is None:
        assert result.questions[0].block["prompt"] == "Only a title"
        return
    assert not result.questions
    assert result.problems[0].reason.text == message
    assert result.problems[0].where.line == 1
    assert result.problems[0].reason.render("ru") != message  # translated


def test_blocks_that_do_not_fit_their_schema_become_problems() -> None:
    long = "x" * 1001  # an option holds at most 1000 characters
    preview = quiz_import.read(f"Q {{={long} ~b}}\n\nOk {{T}}", "gift")
    assert [q.block.block_type() for q in preview.questions] == ["true_false"]
    assert preview.problems[0].where.line == 1
    assert "1000" in preview.problems[0].reason.render("ru")
    assert preview.problems[0].reason.render("ru").startswith("Вопрос нельзя сохранить")


def test_one_question_alone_is_too_few_options() -> None:
    preview = quiz_import.read("Q {=only}\n\nQ2 {=a ~b}", "gift")
    assert preview.questions[0].block.block_type() == "short_answer"
    preview = quiz_import.read("Match {=a -> b}", "gift")
    assert not preview.questions
    assert "2" in preview.problems[0].reason.render("en")


def test_empty_too_large_and_unstorable_texts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        quiz_import.read(" \n\r\n ", "gift")
    with pytest.raises(TooLarge):
        quiz_import.read("x" * (MAX_SOURCE_BYTES + 1), "gift")
    with pytest.raises(InvalidInput):
        quiz_import.read("Q {T}\x00", "gift")
    with pytest.raises(InvalidInput):
        quiz_import.decode("Вопрос {T}".encode("cp1251"))
    assert quiz_import.decode("\ufeffВопрос {T}".encode()) == "Вопрос {T}"


# --- writing and the round trip


def test_escape_writes_every_special_character() -> None:
    assert gift.escape("a=b~c#d{e}f:g\\h\ni") == "a\\=b\\~c\\#d\\{e\\}f\\:g\\\\h\\ni"


def test_round_trip_of_the_sample_file() -> None:
    """Import, export, import again: the same questions."""
    first = quiz_import.read(QUIZ, "gift")
    text, skipped = gift.write(first.blocks)
    assert skipped == []
    second = quiz_import.read(text, "gift")
    assert not second.problems
    assert [_without_ids(b) for b in second.blocks] == [_without_ids(b) for b in first.blocks]


def test_round_trip_of_every_block_type_with_settings() -> None:
    blocks = content_adapter.validate_python(
        [
            *FULL_CONTENT,
            {
                "id": "mc1",
                "type": "multiple_choice",
                "prompt": "Только один **верный** из трёх: {a} = b?",
                "options": [
                    {"id": "a", "text": "x = 1"},
                    {"id": "b", "text": "y ~ 2"},
                    {"id": "c", "text": "z # 3"},
                ],
                "correct": ["b"],
                "scoring": "all_or_nothing",
                "points": "2.5",
                "explanation": "Строка 1\nСтрока 2: {ок}",
            },
            {
                "id": "sa2",
                "type": "short_answer",
                "prompt": "Ёлка?",
                "accepted": ["ёлка"],
                "matching": {"case_sensitive": True, "yo_equals_e": False},
            },
            {"id": "es2", "type": "essay", "prompt": "Эссе", "min_words": 5, "max_words": 50},
            {"id": "n2", "type": "numeric", "prompt": "Сто?", "value": "100", "tolerance": "0"},
        ]
    )
    text, skipped = gift.write(blocks, header=["Заголовок"])
    assert text.startswith("// Заголовок\n")
    exported = [b for i, b in enumerate(blocks) if i not in skipped]
    assert {blocks[i].block_type() for i in skipped} == {
        "video",
        "pdf",
        "image",
        "file",
        "ordering",
        "fill_blanks",
    }
    back = quiz_import.read(text, "gift")
    assert not back.problems, [p.reason for p in back.problems]
    assert [_without_ids(b) for b in back.blocks] == [_without_ids(b) for b in exported]
