"""Question banks in and out: a GIFT or Moodle XML file becomes blocks of a new or an existing
lesson, and a lesson's questions become a GIFT file.

Importing is two steps with nothing saved in between: `read` shows what a file would add and
what it cannot (the preview); the confirming request sends the same text again, which is read
again, so what is saved never comes from the client's copy of the preview. Every block is
validated by its own schema (the builder's) and saved through the builder's and the library's
one way of changing content (versions, block count and max score kept, a stale
`base_updated_at` refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import InvalidInput, TooLarge
from app.core.i18n import N_, gettext_for
from app.models.users import Role
from app.schemas.common import TEXT_CHARACTERS, storable
from app.schemas.lms import LessonCreate, LessonRead
from app.schemas.lms.blocks import (
    BLOCKS,
    MAX_BLOCKS,
    Block,
    EssayBlock,
    MatchingBlock,
    MultipleChoiceBlock,
    NumericBlock,
    ShortAnswerBlock,
    SingleChoiceBlock,
    TrueFalseBlock,
    new_block_id,
)
from app.schemas.lms.quiz_import import MAX_SOURCE_BYTES, QuizFormatName
from app.services.lms import builder
from app.services.lms import lessons as lesson_service
from app.services.lms.quiz_formats import Message, Problem, Where, gift, moodle_xml
from app.services.scoping import require_role

EMPTY_SOURCE = N_("The file is empty: choose a GIFT or Moodle XML file, or paste its text")
NOT_UTF8 = N_("The file is not UTF-8 text: save it as UTF-8 and try again")
SOURCE_TOO_LARGE = N_("The file is too large: at most {size} KB")
NOTHING_TO_IMPORT = N_("Nothing to import: no question in the file could be read")
TOO_MANY_BLOCKS = N_("A lesson holds at most {max} blocks: this import would make {count}")
INVALID_BLOCK = N_("The question cannot be saved: {details}")
# Pydantic's reasons, by error type, said for a teacher (the context gives the limit).
_INVALID_REASONS = {
    "string_too_long": N_("a text is longer than {max_length} characters"),
    "string_too_short": N_("a text is empty"),
    "too_short": N_("at least {min_length} answers are needed"),
    "too_long": N_("at most {max_length} answers are allowed"),
    "decimal_max_places": N_("a number has more than {decimal_places} decimal places"),
    "decimal_max_digits": N_("a number has more than {max_digits} digits"),
    "greater_than": N_("a number must be greater than {gt}"),
    "less_than_equal": N_("a number must be at most {le}"),
}
INVALID_OTHER = N_("a value does not fit this type of question ({field})")
SKIPPED_HEADER = N_("Not exported (GIFT has no such question type): blocks {numbers}")
EXPORT_HEADER = N_("Exported from Tutor Platform: {title}")
TRUE = N_("True")
FALSE = N_("False")


@dataclass(frozen=True, slots=True)
class ImportedQuestion:
    where: Where
    block: Block
    notes: tuple[Message, ...]


@dataclass(slots=True)
class ImportPreview:
    format: QuizFormatName
    questions: list[ImportedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocks(self) -> list[Block]:
        return [question.block for question in self.questions]


@dataclass(frozen=True, slots=True)
class AnswerLine:
    """One answer of a previewed question: its text and whether it is a correct one (None when
    right and wrong do not apply: a matching pair, a number)."""

    text: str
    correct: bool | None = None


# --- reading a file


def decode(data: bytes) -> str:
    """An uploaded file's text: UTF-8, with or without a BOM."""
    if len(data) > MAX_SOURCE_BYTES:
        raise TooLarge(SOURCE_TOO_LARGE, field="file", size=str(MAX_SOURCE_BYTES // 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(NOT_UTF8, field="file") from error


def normalize(source: str) -> str:
    """The text with `\\n` line ends and no BOM, refused when empty, too large or unstorable."""
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not storable(text):
        raise InvalidInput(TEXT_CHARACTERS, field="source")
    if len(text.encode()) > MAX_SOURCE_BYTES:
        raise TooLarge(SOURCE_TOO_LARGE, field="source", size=str(MAX_SOURCE_BYTES // 1024))
    if not text.strip():
        raise InvalidInput(EMPTY_SOURCE, field="source")
    return text


def detect(text: str, text_format: QuizFormatName) -> QuizFormatName:
    if text_format != "auto":
        return text_format
    return "moodle_xml" if text.lstrip().startswith("<") else "gift"


def _invalid(error: ValidationError) -> Message:
    item = error.errors()[0]
    context = {key: str(value) for key, value in (item.get("ctx") or {}).items()}
    reason = _INVALID_REASONS.get(item["type"])
    if reason is None:
        where = ".".join(str(part) for part in item["loc"])
        return Message(INVALID_BLOCK, {"details": INVALID_OTHER, "field": where})
    return Message(INVALID_BLOCK, {"details": reason, **context})


def read(source: str, text_format: QuizFormatName = "auto") -> ImportPreview:
    """What the file would add (each block validated by its schema, with a new id) and what it
    cannot, in file order. Nothing is saved. InvalidInput (TooLarge) for a text that is no
    quiz at all."""
    text = normalize(source)
    chosen = detect(text, text_format)
    parsed = moodle_xml.parse(text) if chosen == "moodle_xml" else gift.parse(text)
    if len(parsed.questions) > MAX_BLOCKS:  # no lesson could hold them: said before any work
        count = str(len(parsed.questions))
        raise InvalidInput(TOO_MANY_BLOCKS, field="source", max=str(MAX_BLOCKS), count=count)
    preview = ImportPreview(format=chosen, problems=list(parsed.problems))
    for question in parsed.questions:
        kind = BLOCKS[question.block["type"]]
        try:
            block: Any = kind.model_validate({**question.block, "id": new_block_id()})
        except ValidationError as error:
            preview.problems.append(Problem(question.where, _invalid(error)))
            continue
        preview.questions.append(ImportedQuestion(question.where, block, question.notes))
    preview.problems.sort(key=lambda problem: problem.where.number)
    return preview


def answer_lines(block: Block) -> list[AnswerLine]:
    """A previewed question's answers as the teacher checks them."""
    if isinstance(block, SingleChoiceBlock | MultipleChoiceBlock):
        correct = set(block.correct_ids())
        return [AnswerLine(option.text, option.id in correct) for option in block.options]
    if isinstance(block, TrueFalseBlock):
        return [AnswerLine(TRUE, block.correct), AnswerLine(FALSE, not block.correct)]
    if isinstance(block, ShortAnswerBlock):
        return [AnswerLine(text, True) for text in block.accepted]
    if isinstance(block, NumericBlock):
        tolerance = f" ± {block.tolerance.normalize():f}" if block.tolerance else ""
        return [AnswerLine(f"{block.value.normalize():f}{tolerance}")]
    if isinstance(block, MatchingBlock):
        return [AnswerLine(f"{pair.left} → {pair.right}") for pair in block.pairs]
    assert isinstance(block, EssayBlock) or block.block_type() == "text"
    return []


# --- saving


def _importable(preview: ImportPreview, existing: int) -> list[dict[str, Any]]:
    if not preview.questions:
        raise InvalidInput(NOTHING_TO_IMPORT, field="source")
    count = existing + len(preview.questions)
    if count > MAX_BLOCKS:
        raise InvalidInput(TOO_MANY_BLOCKS, field="source", max=str(MAX_BLOCKS), count=str(count))
    return [block.model_dump(mode="json") for block in preview.blocks]


async def preview_for_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, source: str, text_format: QuizFormatName
) -> tuple[LessonRead, ImportPreview]:
    """The teacher's lesson (NotFound for another's) and what the file would add to it."""
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    return lesson, read(source, text_format)


def preview_new(actor: Actor, source: str, text_format: QuizFormatName) -> ImportPreview:
    """What the file would put in a new lesson (teachers only)."""
    require_role(actor, Role.TEACHER)
    return read(source, text_format)


async def import_into_lesson(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    source: str,
    text_format: QuizFormatName,
    *,
    base_updated_at: datetime | None = None,
) -> tuple[LessonRead, ImportPreview]:
    """Append the file's questions to the teacher's lesson in one save. NotFound for another
    teacher's lesson, StaleVersion if it was saved since `base_updated_at`, InvalidInput
    when nothing can be imported or the lesson would hold too many blocks."""
    lesson = await lesson_service.get_owned_lesson(session, actor, lesson_id)
    preview = read(source, text_format)
    blocks = _importable(preview, lesson.block_count)
    saved = await builder.add_blocks(
        session, actor, lesson_id, blocks, base_updated_at=base_updated_at
    )
    return saved, preview


async def import_as_new_lesson(
    session: AsyncSession,
    actor: Actor,
    source: str,
    text_format: QuizFormatName,
    *,
    title: str,
    folder_id: int | None = None,
) -> tuple[LessonRead, ImportPreview]:
    """A new draft lesson holding the file's questions (teachers only; the folder must be
    theirs). InvalidInput when nothing can be imported."""
    require_role(actor, Role.TEACHER)
    preview = read(source, text_format)
    data = LessonCreate.model_validate(
        {"title": title, "folder_id": folder_id, "content": _importable(preview, 0)}
    )
    return await lesson_service.create_lesson(session, actor, data), preview


# --- export


@dataclass(frozen=True, slots=True)
class GiftExport:
    filename: str
    text: str
    skipped: list[int]  # 1-based numbers of the blocks GIFT cannot hold


async def export_gift(
    session: AsyncSession, actor: Actor, lesson_id: int, *, language: str
) -> GiftExport:
    """The teacher's lesson (NotFound for another's) as a GIFT file: its questions and text
    blocks, in order; a comment at the top names the blocks GIFT has no type for."""
    lesson = await lesson_service.get_owned_lesson(session, actor, lesson_id)
    blocks = lesson_service.blocks_of(lesson)
    title = " ".join(lesson.title.split())
    header = [gettext_for(language, EXPORT_HEADER).format(title=title)]
    skipped = [index + 1 for index, block in enumerate(blocks) if gift.write_block(block) is None]
    if skipped:
        numbers = ", ".join(str(number) for number in skipped)
        header.append(gettext_for(language, SKIPPED_HEADER).format(numbers=numbers))
    text, _ = gift.write(blocks, header=header)
    return GiftExport(filename=f"lesson-{lesson_id}.gift", text=text, skipped=skipped)
