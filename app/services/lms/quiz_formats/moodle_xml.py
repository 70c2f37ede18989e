"""Moodle XML (`<quiz><question type="...">`): a parser into block dicts.

Read with the standard library's parser, which expands no external entities; a document with a
DTD (`<!DOCTYPE`, `<!ENTITY`) is refused before parsing, so no entity can be declared at all
(no "billion laughs"). Questions of types our blocks cannot hold are listed as problems with
their number and name; `category` entries only say where Moodle filed the questions and are
skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only DTD-free documents reach it (see above)
from decimal import Decimal
from typing import Any

from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.schemas.lms.blocks import (
    EssayBlock,
    MatchingBlock,
    MultipleChoiceBlock,
    NumericBlock,
    ShortAnswerBlock,
    SingleChoiceBlock,
    TextBlock,
    TrueFalseBlock,
    parse_number,
)
from app.services.lms.quiz_formats.text import as_stored
from app.services.lms.quiz_formats.types import (
    Message,
    ParsedQuestion,
    ParseResult,
    Problem,
    Where,
)

_DTD = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
FULL = Decimal(100)

NOT_XML = N_("The file is not valid XML (line {line}): check that it is a Moodle XML export")
NOT_QUIZ = N_("The file is not a Moodle XML quiz: its root element must be <quiz>")
DTD_REFUSED = N_("XML files with a DOCTYPE or ENTITY declaration are not accepted")
UNSUPPORTED = N_("Questions of the type “{type}” cannot be imported")
NO_TEXT = N_("The question has no text")
NO_CORRECT = N_("No answer is marked correct (fraction above 0)")
SEVERAL_FULL = N_("A single-answer question has several fully correct answers")
BAD_NUMBER = N_("Not a number: {text}")
EMPTY_ANSWER = N_("An answer is empty")
NO_FULL_NUMBER = N_("No number earns full points")
NOTE_PARTIAL = N_("Answers worth part of the points count as wrong here")
NOTE_FIRST_NUMBER = N_("Only the first correct number was kept")
NOTE_DISTRACTORS = N_("Extra right-hand answers without a pair were left out")
NOTE_IMAGES = N_("Pictures in the text were left out")
NOTE_POINTS = N_("The points were set to 1: Moodle's default grade was not a valid number")


class XmlQuestionError(Exception):
    def __init__(self, message: str, /, **context: str) -> None:
        super().__init__(message)
        self.message = Message(message, context)


class _Reader:
    """Texts of one question, remembering whether pictures were left out."""

    def __init__(self) -> None:
        self.images = False

    def text(self, element: ET.Element | None) -> str:
        """The `<text>` of an element (`questiontext`, `answer`, `feedback`, ...) as stored."""
        if element is None:
            return ""
        inner = element.find("text")
        raw = (inner.text if inner is not None else element.text) or ""
        stored = as_stored(raw, (element.get("format") or "html").lower())
        self.images = self.images or stored.had_images
        return stored.text

    def feedback(self, element: ET.Element) -> str:
        return self.text(element.find("feedback"))


def _fraction(answer: ET.Element) -> Decimal:
    number = parse_number(answer.get("fraction", "0"))
    return number if number is not None else Decimal(0)


def _explanation(general: str, lines: list[str]) -> dict[str, str]:
    parts = [part for part in (general, *lines) if part]
    return {"explanation": "\n\n".join(parts)} if parts else {}


def _flag(question: ET.Element, name: str) -> bool:
    return (question.findtext(name) or "").strip().lower() in ("1", "true")


def _multichoice(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    options, correct, feedback, notes = [], [], [], []
    for number, answer in enumerate(question.findall("answer"), start=1):
        text = read.text(answer)
        if not text:
            raise XmlQuestionError(EMPTY_ANSWER)
        options.append({"id": f"o{number}", "text": text})
        if _fraction(answer) > 0:
            correct.append((f"o{number}", _fraction(answer)))
        if fb := read.feedback(answer):
            feedback.append(f"{text}: {fb}")
    if not correct:
        raise XmlQuestionError(NO_CORRECT)
    block = {**common, "options": options, **_explanation(general, feedback)}
    if _flag(question, "single"):
        full = [option for option, weight in correct if weight >= FULL]
        if len(full) > 1:
            raise XmlQuestionError(SEVERAL_FULL)
        if len(correct) > len(full):
            notes.append(Message(NOTE_PARTIAL))
        best = full[0] if full else max(correct, key=lambda item: item[1])[0]
        return {**block, "type": SingleChoiceBlock.block_type(), "correct": best}, notes
    ids = [option for option, _ in correct]
    return {**block, "type": MultipleChoiceBlock.block_type(), "correct": ids}, notes


def _truefalse(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    right = next((a for a in question.findall("answer") if _fraction(a) >= FULL), None)
    if right is None:
        raise XmlQuestionError(NO_CORRECT)
    is_true = read.text(right).strip().lower() in ("true", "верно", "1")
    block = {
        **common,
        "type": TrueFalseBlock.block_type(),
        "correct": is_true,
        **_explanation(general, [read.feedback(right)]),
    }
    return block, []


def _shortanswer(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    accepted: list[str] = []
    feedback: list[str] = []
    notes: list[Message] = []
    for answer in question.findall("answer"):
        fraction = _fraction(answer)
        if fraction <= 0:
            continue
        if fraction < FULL and not notes:
            notes.append(Message(NOTE_PARTIAL))
        text = read.text(answer)
        if not text:
            raise XmlQuestionError(EMPTY_ANSWER)
        accepted.append(text)
        if fb := read.feedback(answer):
            feedback.append(f"{text}: {fb}")
    if not accepted:
        raise XmlQuestionError(NO_CORRECT)
    block = {
        **common,
        "type": ShortAnswerBlock.block_type(),
        "accepted": accepted,
        "matching": {"case_sensitive": _flag(question, "usecase")},
        **_explanation(general, feedback),
    }
    return block, notes


def _number(text: str) -> Decimal:
    number = parse_number(text)
    if number is None:
        raise XmlQuestionError(BAD_NUMBER, text=text.strip()[:50])
    return number


def _numerical(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    answers = question.findall("answer")
    full = [a for a in answers if _fraction(a) >= FULL]
    if not full:
        raise XmlQuestionError(NO_FULL_NUMBER)
    notes = [Message(NOTE_FIRST_NUMBER)] if len(full) > 1 else []
    if any(0 < _fraction(a) < FULL for a in answers):
        notes.append(Message(NOTE_PARTIAL))
    answer = full[0]
    value_text = read.text(answer)
    tolerance_text = (answer.findtext("tolerance") or "0").strip() or "0"
    block = {
        **common,
        "type": NumericBlock.block_type(),
        "value": str(_number(value_text)),
        "tolerance": str(abs(_number(tolerance_text))),
        **_explanation(general, [read.feedback(answer)]),
    }
    return block, notes


def _matching(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    pairs: list[dict[str, str]] = []
    notes: list[Message] = []
    for sub in question.findall("subquestion"):
        left = read.text(sub)
        right = read.text(sub.find("answer"))
        if not right:
            raise XmlQuestionError(EMPTY_ANSWER)
        if not left:
            if not notes:
                notes.append(Message(NOTE_DISTRACTORS))
            continue
        pairs.append({"id": f"p{len(pairs) + 1}", "left": left, "right": right})
    block = {
        **common,
        "type": MatchingBlock.block_type(),
        "pairs": pairs,
        **_explanation(general, []),
    }
    return block, notes


def _essay(
    question: ET.Element, read: _Reader, common: dict[str, Any], general: str
) -> tuple[dict[str, Any], list[Message]]:
    return {**common, "type": EssayBlock.block_type(), **_explanation(general, [])}, []


_TYPES = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "essay": _essay,
}


def _points(question: ET.Element) -> tuple[dict[str, Any], list[Message]]:
    raw = question.findtext("defaultgrade")
    if raw is None or not raw.strip():
        return {}, []
    points = parse_number(raw)
    if points is None or not Decimal(0) < points <= Decimal(1000):
        return {}, [Message(NOTE_POINTS)]
    return {"points": str(points.quantize(Decimal("0.01")))}, []


def _question(question: ET.Element, kind: str) -> tuple[dict[str, Any], list[Message]]:
    read = _Reader()
    name = read.text(question.find("name"))
    prompt = read.text(question.find("questiontext")) or name
    if kind == "description":
        if not prompt:
            raise XmlQuestionError(NO_TEXT)
        block: dict[str, Any] = {"type": TextBlock.block_type(), "markdown": prompt}
        notes: list[Message] = []
    else:
        if kind not in _TYPES:
            raise XmlQuestionError(UNSUPPORTED, type=kind[:40])
        if not prompt:
            raise XmlQuestionError(NO_TEXT)
        points, notes = _points(question)
        general = read.text(question.find("generalfeedback"))
        block, more = _TYPES[kind](question, read, {"prompt": prompt, **points}, general)
        notes = notes + more
    if read.images:
        notes.append(Message(NOTE_IMAGES))
    return block, notes


def _root(source: str) -> ET.Element:
    if _DTD.search(source):
        raise InvalidInput(DTD_REFUSED, field="source")
    try:
        root = ET.fromstring(_DECLARATION.sub("", source, count=1))  # noqa: S314 - no DTD
    except ET.ParseError as error:
        line = str(error.position[0]) if getattr(error, "position", None) else "?"
        raise InvalidInput(NOT_XML, field="source", line=line) from error
    if root.tag != "quiz":
        raise InvalidInput(NOT_QUIZ, field="source")
    return root


def parse(source: str) -> ParseResult:
    """Every question of a Moodle XML quiz: block dicts without ids, and the questions that
    cannot be imported with their number and name. A document that is not a quiz at all is
    InvalidInput."""
    result = ParseResult()
    number = 0
    for question in _root(source).iter("question"):
        kind = (question.get("type") or "").strip().lower()
        if kind == "category":
            continue
        number += 1
        name_element = question.find("name")
        name = (name_element.findtext("text") if name_element is not None else None) or None
        where = Where(number=number, name=name.strip()[:200] if name else None)
        try:
            block, notes = _question(question, kind)
        except XmlQuestionError as error:
            result.problems.append(Problem(where, error.message))
            continue
        result.questions.append(ParsedQuestion(where, block, tuple(notes)))
    return result
