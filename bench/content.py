"""Lesson content for the benchmark: a handful of lesson templates with every block type,
validated once with the app's own block models, and per template a few answer sets graded with
the app's own grader. The generator picks among these per row, so every stored lesson, answer and
result is exactly what the app would have written.

The types come from the block registry: the answers are each type's own `sample_answer`, and a
type that no template below uses yet joins the test ("Контрольная") with its own `example`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.schemas.lms.blocks import BLOCKS, Block, QuestionBase, content_adapter, max_score
from app.services.lms.grading import CENT, grade_answers

# How many answer sets per template, and how likely each question is answered right in them.
VARIANT_SKILL = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.1)

LOREM = (
    "В этом уроке мы разберём тему на примерах из жизни. Прочитайте текст внимательно, "
    "обратите внимание на выделенные слова и ответьте на вопросы ниже. "
    "**Совет:** если сомневаетесь, вернитесь к началу и перечитайте абзац. "
)


def _options(prefix: str, texts: list[str]) -> list[dict[str, str]]:
    return [{"id": f"{prefix}o{i}", "text": text} for i, text in enumerate(texts)]


def _text(block_id: str, paragraphs: int) -> dict[str, Any]:
    return {"id": block_id, "type": "text", "markdown": "\n\n".join([LOREM * 2] * paragraphs)}


def _single(block_id: str, prompt: str, points: str = "1") -> dict[str, Any]:
    options = _options(block_id, ["первый вариант", "второй вариант", "третий", "четвёртый"])
    return {
        "id": block_id,
        "type": "single_choice",
        "prompt": prompt,
        "points": points,
        "options": options,
        "correct": options[1]["id"],
        "explanation": "Правильный ответ — второй: он следует из текста.",
    }


def _multiple(block_id: str, prompt: str) -> dict[str, Any]:
    options = _options(block_id, ["кот", "собака", "стол", "попугай", "окно"])
    return {
        "id": block_id,
        "type": "multiple_choice",
        "prompt": prompt,
        "points": "2",
        "options": options,
        "correct": [options[0]["id"], options[1]["id"], options[3]["id"]],
    }


def _true_false(block_id: str, prompt: str, correct: bool) -> dict[str, Any]:
    return {"id": block_id, "type": "true_false", "prompt": prompt, "correct": correct}


def _short(block_id: str, prompt: str, accepted: list[str]) -> dict[str, Any]:
    return {"id": block_id, "type": "short_answer", "prompt": prompt, "accepted": accepted}


def _numeric(block_id: str, prompt: str, value: str, tolerance: str = "0") -> dict[str, Any]:
    return {
        "id": block_id,
        "type": "numeric",
        "prompt": prompt,
        "points": "2",
        "value": value,
        "tolerance": tolerance,
    }


def _matching(block_id: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": block_id,
        "type": "matching",
        "prompt": "Соедините слово с переводом.",
        "points": "3",
        "pairs": [
            {"id": f"{block_id}l{i}", "left": left, "right": right, "right_id": f"{block_id}r{i}"}
            for i, (left, right) in enumerate(pairs)
        ],
    }


def _ordering(block_id: str, items: list[str]) -> dict[str, Any]:
    return {
        "id": block_id,
        "type": "ordering",
        "prompt": "Расставьте по порядку.",
        "points": "2",
        "items": _options(block_id, items),
    }


def _fill(block_id: str) -> dict[str, Any]:
    return {
        "id": block_id,
        "type": "fill_blanks",
        "prompt": "Вставьте пропущенные слова.",
        "points": "2",
        "text": "Я [[g1]] в школу каждый день, а по субботам мы [[g2]] в парк.",
        "gaps": [
            {"id": "g1", "accepted": ["хожу"]},
            {"id": "g2", "accepted": ["ходим", "идём"]},
        ],
    }


def _essay(block_id: str) -> dict[str, Any]:
    return {
        "id": block_id,
        "type": "essay",
        "prompt": "Напишите короткое эссе (50–150 слов) о своих летних каникулах.",
        "points": "5",
        "min_words": 50,
        "max_words": 150,
    }


def _media(block_id: str, kind: str) -> dict[str, Any]:
    urls = {
        "video": "https://rutube.ru/video/0123456789abcdef/",
        "pdf": "https://example.org/materials/worksheet.pdf",
        "image": "https://example.org/materials/picture.png",
        "file": "https://example.org/materials/audio.mp3",
    }
    block = {"id": block_id, "type": kind, "url": urls[kind], "title": "Материал к уроку"}
    if kind == "image":
        block["alt"] = "Иллюстрация к уроку: семья за столом"
    return block


RAW_TEMPLATES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "Грамматика",
        [
            _text("gr-intro", 2),
            _single("gr-q1", "Выберите правильную форму глагола."),
            _multiple("gr-q2", "Отметьте всех животных."),
            _true_false("gr-q3", "Подлежащее отвечает на вопрос «кто?» или «что?».", True),
            _fill("gr-q4"),
            _short("gr-q5", "Как будет «кошка» по-английски?", ["cat", "a cat"]),
        ],
    ),
    (
        "Математика",
        [
            _text("ma-intro", 1),
            _numeric("ma-q1", "Сколько будет 17 × 3?", "51"),
            _numeric("ma-q2", "Чему равно число π до сотых?", "3.14", "0.005"),
            _single("ma-q3", "Какое из чисел простое?"),
            _ordering("ma-q4", ["1/4", "1/3", "1/2", "2/3"]),
            _true_false("ma-q5", "Сумма углов треугольника — 180°.", True),
        ],
    ),
    (
        "Словарь",
        [
            _media("vo-pic", "image"),
            _matching("vo-q1", [("дом", "house"), ("кот", "cat"), ("окно", "window")]),
            _multiple("vo-q2", "Какие слова — существительные?"),
            _short("vo-q3", "Переведите: «book».", ["книга"]),
            _fill("vo-q4"),
        ],
    ),
    (
        "Сочинение",
        [
            _text("es-intro", 3),
            _media("es-video", "video"),
            _single("es-q1", "О чём было видео?"),
            _essay("es-q2"),
        ],
    ),
    (
        "Аудирование",
        [
            _media("li-video", "video"),
            _single("li-q1", "Куда поехал герой?"),
            _single("li-q2", "С кем он встретился?"),
            _single("li-q3", "Какая была погода?", "2"),
            _true_false("li-q4", "Герой опоздал на поезд.", False),
            _true_false("li-q5", "Встреча была в субботу.", True),
        ],
    ),
    (
        "Чтение",
        [
            _media("re-pdf", "pdf"),
            _text("re-text", 4),
            _ordering("re-q1", ["завязка", "развитие", "кульминация", "развязка"]),
            _matching("re-q2", [("герой", "hero"), ("сюжет", "plot"), ("автор", "author")]),
            _multiple("re-q3", "Кто из персонажей появился в первой главе?"),
            _short("re-q4", "Как звали главного героя?", ["Иван", "Ваня"]),
        ],
    ),
    (
        "Контрольная",
        [
            _single("te-q1", "Вопрос 1."),
            _single("te-q2", "Вопрос 2."),
            _multiple("te-q3", "Вопрос 3."),
            _true_false("te-q4", "Вопрос 4.", False),
            _numeric("te-q5", "Вопрос 5: 2 + 2 × 2 = ?", "6"),
            _short("te-q6", "Вопрос 6: столица Франции?", ["Париж"]),
            _matching("te-q7", [("один", "one"), ("два", "two"), ("три", "three")]),
            _ordering("te-q8", ["понедельник", "вторник", "среда"]),
            _fill("te-q9"),
            _essay("te-q10"),
        ],
    ),
    (
        "Лекция",
        [
            _text("le-t1", 3),
            _media("le-video", "video"),
            _text("le-t2", 2),
            _media("le-file", "file"),
        ],
    ),
]


def _with_every_type(templates: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """Add an example of each registered block type that no template uses (a new type)."""
    used = {block["type"] for _, blocks in templates for block in blocks}
    test = next(blocks for subject, blocks in templates if subject == "Контрольная")
    test.extend(kind.example(f"te-{name}") for name, kind in BLOCKS.items() if name not in used)


_with_every_type(RAW_TEMPLATES)


@dataclass(frozen=True)
class AnswerSet:
    """One way a student answered a template: the answers and what the app's grader made of them."""

    answers: dict[str, Any]
    # After submission (essays pending) and after the teacher graded the essays.
    submitted_results: list[dict[str, Any]]
    submitted_score: Decimal
    graded_results: list[dict[str, Any]]
    graded_score: Decimal
    pending: bool


@dataclass(frozen=True)
class LessonTemplate:
    subject: str
    blocks: list[Block]
    content: list[dict[str, Any]]
    max_score: Decimal
    question_ids: list[str]
    answer_sets: list[AnswerSet]


def _total(results: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["points"]) for item in results), Decimal(0)).quantize(CENT)


def _answer_set(blocks: list[Block], skill: float, rng: random.Random) -> AnswerSet:
    answers = {
        block.id: block.sample_answer(right=rng.random() < skill)
        for block in blocks
        if isinstance(block, QuestionBase)
    }
    submitted = [result.as_json() for result in grade_answers(blocks, answers)]
    # The teacher grades each essay: full points for a good one, two for a weak one.
    graded = []
    for item in submitted:
        if item["outcome"] == "pending":
            points = Decimal(item["max_points"]) if skill >= 0.5 else Decimal(2)
            outcome = "correct" if points == Decimal(item["max_points"]) else "partial"
            item = {**item, "points": str(points.quantize(CENT)), "outcome": outcome}
        graded.append(item)
    return AnswerSet(
        answers=answers,
        submitted_results=submitted,
        submitted_score=_total(submitted),
        graded_results=graded,
        graded_score=_total(graded),
        pending=any(item["outcome"] == "pending" for item in submitted),
    )


def build_templates(seed: int) -> list[LessonTemplate]:
    """The templates, each validated by the app's block models and graded by its grader."""
    rng = random.Random(f"{seed}:answers")  # noqa: S311 - test data, not cryptography
    templates = []
    for subject, raw in RAW_TEMPLATES:
        blocks = content_adapter.validate_python(raw)
        content = [block.model_dump(mode="json") for block in blocks]
        templates.append(
            LessonTemplate(
                subject=subject,
                blocks=blocks,
                content=content,
                max_score=max_score(blocks),
                question_ids=[b.id for b in blocks if isinstance(b, QuestionBase)],
                answer_sets=[_answer_set(blocks, skill, rng) for skill in VARIANT_SKILL],
            )
        )
    return templates


def template_index(lesson_id: int) -> int:
    """Which template a lesson's content comes from (the runner needs it to build answers)."""
    return lesson_id % len(RAW_TEMPLATES)


def json_text(value: Any) -> str:
    """Compact JSON, as stored (key order kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
