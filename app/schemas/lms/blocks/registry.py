"""The block types: one class per type, each carrying its own schema, student view, grader,
answer parsing, builder form and template. Everything that lists the types is derived from
`BLOCK_CLASSES`: the discriminated union, the type names, the question types."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import AfterValidator, Field, TypeAdapter

from app.schemas.lms.blocks.base import STORED, BlockBase, QuestionBase, unique_ids
from app.schemas.lms.blocks.essay import EssayBlock
from app.schemas.lms.blocks.file import FileBlock
from app.schemas.lms.blocks.fill_blanks import FillBlanksBlock
from app.schemas.lms.blocks.image import ImageBlock
from app.schemas.lms.blocks.matching import MatchingBlock
from app.schemas.lms.blocks.media import MediaBlock
from app.schemas.lms.blocks.multiple_choice import MultipleChoiceBlock
from app.schemas.lms.blocks.numeric import NumericBlock
from app.schemas.lms.blocks.ordering import OrderingBlock
from app.schemas.lms.blocks.pdf import PdfBlock
from app.schemas.lms.blocks.short_answer import ShortAnswerBlock
from app.schemas.lms.blocks.single_choice import SingleChoiceBlock
from app.schemas.lms.blocks.text import TextBlock
from app.schemas.lms.blocks.true_false import TrueFalseBlock
from app.schemas.lms.blocks.video import VideoBlock

MAX_BLOCKS = 200

# In the builder's menu order: content first, then the questions.
BLOCK_CLASSES: tuple[type[BlockBase], ...] = (
    TextBlock,
    VideoBlock,
    PdfBlock,
    ImageBlock,
    FileBlock,
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
BLOCKS: dict[str, type[BlockBase]] = {kind.block_type(): kind for kind in BLOCK_CLASSES}
QUESTIONS: dict[str, type[QuestionBase]] = {
    name: kind for name, kind in BLOCKS.items() if issubclass(kind, QuestionBase)
}
QUESTION_TYPES = tuple(QUESTIONS.values())
CONTENT_TYPES = tuple(kind for name, kind in BLOCKS.items() if name not in QUESTIONS)
BLOCK_TYPES = tuple(BLOCKS)
QUESTION_KINDS = frozenset(QUESTIONS)

if TYPE_CHECKING:
    # A union built from a tuple is beyond a type checker: to it, a block is text, a media
    # block or a question (narrowed by `isinstance` to the type's class).
    Block = TextBlock | MediaBlock | QuestionBase
else:
    Block = Annotated[Union[BLOCK_CLASSES], Field(discriminator="type")]  # noqa: UP007


def _unique_block_ids(blocks: list[Block]) -> list[Block]:
    unique_ids([block.id for block in blocks], "block")
    return blocks


Content = Annotated[list[Block], Field(max_length=MAX_BLOCKS), AfterValidator(_unique_block_ids)]
content_adapter: TypeAdapter[list[Block]] = TypeAdapter(Content)


def stored_blocks(content: object) -> list[Block]:
    """Content read back from the database (lessons, versions): the write-only rules skipped
    (`base.STORED`), so a lesson saved before a rule existed still loads."""
    return content_adapter.validate_python(content, context=STORED)


def max_score(blocks: list[Block]) -> Decimal:
    return sum((block.points for block in blocks if isinstance(block, QuestionBase)), Decimal(0))


def question_count(blocks: list[Block]) -> int:
    return sum(1 for block in blocks if isinstance(block, QuestionBase))
