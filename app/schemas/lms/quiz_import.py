"""Importing quiz questions from Moodle's GIFT and Moodle XML files, and the preview that shows
what an import would add before anything is saved."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.schemas.common import Moment, RequestModel
from app.schemas.lms import Id, LessonRead, Title
from app.schemas.lms.blocks import Block

# A quiz file (or pasted text) of at most 1 MiB as UTF-8; the routes that carry one have the
# content body limit (2 MiB, app.core.limits), room for the JSON or form around it.
MAX_SOURCE_BYTES = 1024 * 1024
QuizFormatName = Literal["auto", "gift", "moodle_xml"]
FORMATS: tuple[QuizFormatName, ...] = ("auto", "gift", "moodle_xml")


class QuizSource(RequestModel):
    format: QuizFormatName = Field(
        default="auto",
        description="`gift`, `moodle_xml`, or `auto`: XML when the text starts with `<`",
    )
    source: Annotated[str, Field(max_length=MAX_SOURCE_BYTES)] = Field(
        description="The file's text (UTF-8; CRLF line ends and a BOM are fine)"
    )


class QuizImportNew(QuizSource):
    """A new draft lesson holding the imported questions."""

    title: Title
    folder_id: Id | None = None


class QuizImportInto(QuizSource):
    """The imported questions appended to the end of an existing lesson."""

    base_updated_at: Moment | None = Field(
        default=None,
        description=(
            "The lesson's `updated_at` the preview was based on, sent back exactly as read: if"
            " the lesson was saved since, 409 `stale_version` and nothing is imported"
        ),
    )


class QuizProblemRead(BaseModel):
    number: int = Field(description="The question's position in the file, counting from 1")
    line: int | None = Field(description="The line the question starts on (GIFT)")
    name: str | None = Field(description="The question's title or name, if it has one")
    reason: str = Field(description="Why it cannot be imported, in the person's language")


class QuizQuestionRead(BaseModel):
    number: int
    line: int | None
    name: str | None
    type: str
    block: Block = Field(description="The block that would be added (a new id on import)")
    notes: list[str] = Field(description="What was changed or left out on the way in")


class QuizPreviewRead(BaseModel):
    format: Literal["gift", "moodle_xml"]
    questions: list[QuizQuestionRead]
    problems: list[QuizProblemRead]


class QuizImportRead(BaseModel):
    lesson: LessonRead
    imported: int
    problems: list[QuizProblemRead]
