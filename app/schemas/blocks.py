"""Lesson content: a list of typed blocks, validated as a discriminated union on `type`.

Every block has a stable `id` (kept across edits, so answers keyed by block id survive
reordering). Question blocks carry their answer keys here; students only ever receive the
`StudentBlock` views built in `app.services.lms.student_view`, never these models.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

MAX_BLOCKS = 200
MAX_TEXT = 50_000
MAX_OPTIONS = 30

# Video links are accepted only from these hosts (and their subdomains).
VIDEO_HOSTS = ("youtube.com", "youtu.be", "vk.com", "vkvideo.ru", "vk.ru", "rutube.ru")

BlockId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Points = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]


def new_block_id() -> str:
    return uuid.uuid4().hex[:12]


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise PydanticCustomError("url", "Use an https:// link")
    return value


def _video_url(value: str) -> str:
    host = (urlsplit(_https_url(value)).hostname or "").lower()
    if not any(host == allowed or host.endswith("." + allowed) for allowed in VIDEO_HOSTS):
        raise PydanticCustomError(
            "video_host",
            "Video links must come from YouTube, VK Video or Rutube",
        )
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_https_url)]
VideoUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_video_url)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: BlockId = Field(default_factory=new_block_id)


class TextBlock(_Block):
    type: Literal["text"]
    markdown: LongText


class MediaBlock(_Block):
    """A link or an uploaded file of the teacher's own (checked against the `media` table)."""

    url: HttpsUrl | None = None
    media_id: int | None = Field(default=None, gt=0)
    title: Annotated[str, StringConstraints(max_length=300)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> MediaBlock:
        if (self.url is None) == (self.media_id is None):
            raise PydanticCustomError("media_source", "Give either a link or an uploaded file")
        return self


class VideoBlock(MediaBlock):
    type: Literal["video"]
    url: VideoUrl | None = None


class PdfBlock(MediaBlock):
    type: Literal["pdf"]


class ImageBlock(MediaBlock):
    type: Literal["image"]
    # Required: an image without a text alternative is invisible to a screen-reader user.
    alt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class FileBlock(MediaBlock):
    type: Literal["file"]


Scoring = Literal["all_or_nothing", "partial"]


class _Question(_Block):
    prompt: LongText
    points: Points = Decimal(1)
    explanation: LongText | None = None


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: BlockId = Field(default_factory=new_block_id)
    text: ShortText


def _unique_ids(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("duplicate_id", "Each {what} needs its own id", {"what": what})


def _option_ids(info: ValidationInfo) -> set[str] | None:
    """The already-validated options' ids (None when the options themselves were invalid)."""
    options = info.data.get("options")
    if options is None:
        return None
    ids = [option.id for option in options]
    _unique_ids(ids, "option")
    return set(ids)


class SingleChoiceBlock(_Question):
    type: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]
    correct: BlockId

    @field_validator("correct")
    @classmethod
    def _correct_is_an_option(cls, value: str, info: ValidationInfo) -> str:
        ids = _option_ids(info)
        if ids is not None and value not in ids:
            raise PydanticCustomError(
                "unknown_option", "The correct answer must be one of the options"
            )
        return value


class MultipleChoiceBlock(_Question):
    type: Literal["multiple_choice"]
    options: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]
    correct: Annotated[list[BlockId], Field(min_length=1, max_length=MAX_OPTIONS)]
    scoring: Scoring = "partial"

    @field_validator("correct")
    @classmethod
    def _correct_are_options(cls, value: list[str], info: ValidationInfo) -> list[str]:
        ids = _option_ids(info)
        if ids is not None and (not set(value) <= ids or len(set(value)) != len(value)):
            raise PydanticCustomError(
                "unknown_option", "Correct answers must be options, each once"
            )
        return value


class TrueFalseBlock(_Question):
    type: Literal["true_false"]
    correct: bool


class TextMatching(BaseModel):
    """How a typed answer is compared with the accepted ones. The defaults are forgiving:
    students' top complaint about fill-in tasks is strict matching."""

    model_config = ConfigDict(extra="forbid")

    trim: bool = True
    case_sensitive: bool = False
    yo_equals_e: bool = True  # ё and е are the same letter to most Russian readers
    collapse_spaces: bool = True


Accepted = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=500)]],
    Field(min_length=1, max_length=50),
]


class ShortAnswerBlock(_Question):
    type: Literal["short_answer"]
    accepted: Accepted
    matching: TextMatching = Field(default_factory=TextMatching)


class NumericBlock(_Question):
    type: Literal["numeric"]
    value: Annotated[Decimal, Field(max_digits=20, decimal_places=10)]
    tolerance: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=10)] = Decimal(0)


class MatchPair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: BlockId = Field(default_factory=new_block_id)
    left: ShortText
    right: ShortText
    # The right side's own id: students see the right column under these, so a shared id
    # would tell them which left item each one belongs to. Random, part of the answer key.
    right_id: BlockId = Field(default_factory=new_block_id)


class MatchingBlock(_Question):
    """Pairs to match; a student's answer maps each pair id (left side) to a `right_id`."""

    type: Literal["matching"]
    pairs: Annotated[list[MatchPair], Field(min_length=2, max_length=MAX_OPTIONS)]
    scoring: Scoring = "partial"

    @field_validator("pairs")
    @classmethod
    def _check(cls, pairs: list[MatchPair]) -> list[MatchPair]:
        left = [pair.id for pair in pairs]
        right = [pair.right_id for pair in pairs]
        _unique_ids(left, "pair")
        _unique_ids(right, "right side")
        if set(left) & set(right):
            raise PydanticCustomError("duplicate_id", "Left and right sides need different ids")
        return pairs


class OrderingBlock(_Question):
    """Items listed in the correct order; students receive them shuffled."""

    type: Literal["ordering"]
    items: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]
    scoring: Scoring = "partial"

    @field_validator("items")
    @classmethod
    def _check(cls, items: list[Option]) -> list[Option]:
        _unique_ids([item.id for item in items], "item")
        return items


GAP_MARKER = re.compile(r"\[\[([A-Za-z0-9_-]{1,64})\]\]")


class Gap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: BlockId
    accepted: Accepted
    matching: TextMatching = Field(default_factory=TextMatching)


class FillBlanksBlock(_Question):
    """Cloze text: `[[gap-id]]` marks each gap in `text`; every gap has accepted answers."""

    type: Literal["fill_blanks"]
    text: LongText
    gaps: Annotated[list[Gap], Field(min_length=1, max_length=100)]
    scoring: Scoring = "partial"

    @field_validator("gaps")
    @classmethod
    def _gaps_match_text(cls, gaps: list[Gap], info: ValidationInfo) -> list[Gap]:
        ids = [gap.id for gap in gaps]
        _unique_ids(ids, "gap")
        text = info.data.get("text")
        if text is not None and sorted(GAP_MARKER.findall(text)) != sorted(ids):
            raise PydanticCustomError(
                "gaps_mismatch", "Every [[gap]] in the text needs exactly one gap definition"
            )
        return gaps


class EssayBlock(_Question):
    type: Literal["essay"]
    min_words: Annotated[int, Field(ge=0, le=10_000)] | None = None
    max_words: Annotated[int, Field(ge=1, le=10_000)] | None = None


Block = Annotated[
    TextBlock
    | VideoBlock
    | PdfBlock
    | ImageBlock
    | FileBlock
    | SingleChoiceBlock
    | MultipleChoiceBlock
    | TrueFalseBlock
    | ShortAnswerBlock
    | NumericBlock
    | MatchingBlock
    | OrderingBlock
    | FillBlanksBlock
    | EssayBlock,
    Field(discriminator="type"),
]
QuestionBlock = (
    SingleChoiceBlock
    | MultipleChoiceBlock
    | TrueFalseBlock
    | ShortAnswerBlock
    | NumericBlock
    | MatchingBlock
    | OrderingBlock
    | FillBlanksBlock
    | EssayBlock
)
QUESTION_TYPES = (
    SingleChoiceBlock,
    MultipleChoiceBlock,
    TrueFalseBlock,
    ShortAnswerBlock,
    NumericBlock,
    MatchingBlock,
    OrderingBlock,
    FillBlanksBlock,
    EssayBlock,
)
CONTENT_TYPES = (TextBlock, VideoBlock, PdfBlock, ImageBlock, FileBlock)


def _type_name(block_class: type[BaseModel]) -> str:
    return str(get_args(block_class.model_fields["type"].annotation)[0])


# The `type` names, derived from the classes so a new block type is listed everywhere at once.
BLOCK_TYPES = tuple(_type_name(block_class) for block_class in CONTENT_TYPES + QUESTION_TYPES)
QUESTION_KINDS = frozenset(_type_name(block_class) for block_class in QUESTION_TYPES)


def _unique_block_ids(blocks: list[Block]) -> list[Block]:
    _unique_ids([block.id for block in blocks], "block")
    return blocks


Content = Annotated[list[Block], Field(max_length=MAX_BLOCKS), AfterValidator(_unique_block_ids)]
content_adapter: TypeAdapter[list[Block]] = TypeAdapter(Content)


def is_question(block: Block) -> bool:
    return isinstance(block, QUESTION_TYPES)


def max_score(blocks: list[Block]) -> Decimal:
    return sum((block.points for block in blocks if isinstance(block, QUESTION_TYPES)), Decimal(0))
