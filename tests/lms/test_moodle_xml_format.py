"""The Moodle XML parser on its own (no database): every supported type, fractions, feedback,
HTML reduced to text, categories skipped, unsupported types named with their number and name,
and documents that are refused before parsing (DTDs, entities) or are no quiz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.errors import InvalidInput
from app.services.lms import quiz_import
from app.services.lms.quiz_formats import moodle_xml

DATA = Path(__file__).parent / "data"
QUIZ = (DATA / "quiz.xml").read_text(encoding="utf-8")


def _quiz(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>' + "".join(questions) + "</quiz>"


def _question(kind: str, body: str, text: str = "Вопрос?") -> str:
    return (
        f'<question type="{kind}"><name><text>Q</text></name>'
        f"<questiontext><text>{text}</text></questiontext>{body}</question>"
    )


def _one(kind: str, body: str) -> dict[str, Any]:
    result = moodle_xml.parse(_quiz(_question(kind, body)))
    assert not result.problems, [p.reason for p in result.problems]
    return result.questions[0].block


def test_the_sample_file_reads_every_supported_type() -> None:
    result = moodle_xml.parse(QUIZ)
    assert [(q.where.number, q.where.name, q.block["type"]) for q in result.questions] == [
        (1, "Столица", "single_choice"),
        (2, "Простые", "multiple_choice"),
        (3, "Земля", "true_false"),
        (4, "Перевод", "short_answer"),
        (5, "Пи", "numeric"),
        (6, "Пары", "matching"),
        (7, "Эссе", "essay"),
        (8, "Правило", "text"),
    ]
    (problem,) = result.problems
    assert (problem.where.number, problem.where.name, problem.where.line) == (9, "Формула", None)
    assert problem.reason.render("ru") == "Вопросы типа «calculated» импортировать нельзя"


def test_html_becomes_text_and_grades_become_points() -> None:
    block = moodle_xml.parse(QUIZ).questions[0].block
    assert block["prompt"] == "Какой город — столица России?"
    assert "alert" not in str(block) and "<" not in str(block)
    assert block["points"] == "2.00"
    assert block["explanation"] == "Москва — столица с 1918 года.\n\nМосква: Верно!"
    assert block["correct"] == "o1"


def test_multichoice_single_and_multiple() -> None:
    answers = (
        '<answer fraction="50"><text>a</text></answer>'
        '<answer fraction="50"><text>b</text></answer>'
        '<answer fraction="-50"><text>c</text></answer>'
    )
    multi = _one("multichoice", "<single>false</single>" + answers)
    assert (multi["type"], multi["correct"]) == ("multiple_choice", ["o1", "o2"])
    halves = moodle_xml.parse(_quiz(_question("multichoice", "<single>true</single>" + answers)))
    (question,) = halves.questions
    assert (question.block["type"], question.block["correct"]) == ("single_choice", "o1")
    assert [note.text for note in question.notes] == [moodle_xml.NOTE_PARTIAL]
    two_full = answers.replace('"50"', '"100"')
    several = moodle_xml.parse(_quiz(_question("multichoice", "<single>1</single>" + two_full)))
    assert several.problems[0].reason.text == moodle_xml.SEVERAL_FULL


def test_truefalse_shortanswer_numerical_matching_essay() -> None:
    tf = _one(
        "truefalse",
        '<answer fraction="0"><text>true</text></answer>'
        '<answer fraction="100"><text>false</text></answer>',
    )
    assert tf["correct"] is False
    short = _one(
        "shortanswer",
        '<usecase>1</usecase><answer fraction="100"><text>Paris</text></answer>'
        '<answer fraction="0"><text>Lyon</text></answer>',
    )
    assert short["accepted"] == ["Paris"]
    assert short["matching"] == {"case_sensitive": True}
    number = _one(
        "numerical",
        '<answer fraction="100"><text>2.5</text><tolerance>0.1</tolerance></answer>',
    )
    assert (number["value"], number["tolerance"]) == ("2.5", "0.1")
    match = _one(
        "matching",
        "<subquestion><text>a</text><answer><text>1</text></answer></subquestion>"
        "<subquestion><text>b</text><answer><text>2</text></answer></subquestion>",
    )
    assert [(p["left"], p["right"]) for p in match["pairs"]] == [("a", "1"), ("b", "2")]
    assert _one("essay", "")["type"] == "essay"


def test_problems_name_the_question() -> None:
    result = moodle_xml.parse(
        _quiz(
            '<question type="category"><category><text>x</text></category></question>',
            _question("multichoice", '<answer fraction="0"><text>a</text></answer>'),
            _question("ddwtos", ""),
            _question("essay", "", text=""),
        )
    )
    assert [(p.where.number, p.reason.text) for p in result.problems] == [
        (1, moodle_xml.NO_CORRECT),
        (2, moodle_xml.UNSUPPORTED),
    ]
    # No question text: the name stands in (as in Moodle's own lists).
    assert result.questions[0].block["prompt"] == "Q"


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa">]><quiz>&a;</quiz>',
        '<!DOCTYPE quiz SYSTEM "file:///etc/passwd"><quiz/>',
        '<quiz><!ENTITY x "y"></quiz>',
    ],
)
def test_dtds_and_entities_are_refused_before_parsing(document: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        moodle_xml.parse(document)
    assert refused.value.message == moodle_xml.DTD_REFUSED


def test_broken_xml_and_other_roots_are_refused_with_the_line() -> None:
    with pytest.raises(InvalidInput) as broken:
        moodle_xml.parse("<quiz>\n<question type='essay'>\n</quiz>")
    assert broken.value.message == moodle_xml.NOT_XML
    assert broken.value.context["line"] == "3"
    with pytest.raises(InvalidInput) as other:
        moodle_xml.parse("<html><body/></html>")
    assert other.value.message == moodle_xml.NOT_QUIZ


def test_auto_detects_xml_and_validates_blocks() -> None:
    preview = quiz_import.read("\ufeff" + QUIZ.replace("\n", "\r\n"), "auto")
    assert preview.format == "moodle_xml"
    assert len(preview.questions) == 8
    assert [n.text for n in preview.questions[5].notes] == [moodle_xml.NOTE_DISTRACTORS]
