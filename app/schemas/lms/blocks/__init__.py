"""Lesson content: a list of typed blocks, validated as a discriminated union on `type`.

Each block type is one module here (its schema and every part that differs between types) plus
one template, `lms/blocks/<type>.html`; `registry` lists them. Every block has a stable `id`
(kept across edits, so answers keyed by block id survive reordering). Question blocks carry
their answer keys; students only ever receive their `student_view`, never these models.
"""

from app.schemas.lms.blocks.base import (
    ANSWER,
    CENT,
    MAX_OPTIONS,
    MAX_TEXT,
    AnswerForm,
    AnswerProblem,
    BlockBase,
    BlockId,
    BuilderForm,
    Option,
    Points,
    QuestionBase,
    ShortText,
    Shown,
    TextMatching,
    form_position,
    form_text,
    new_block_id,
    normalize_text,
    parse_number,
    text_matches,
)
from app.schemas.lms.blocks.essay import EssayBlock
from app.schemas.lms.blocks.file import FileBlock
from app.schemas.lms.blocks.fill_blanks import GAP_MARKER, FillBlanksBlock, Gap, gap_pieces
from app.schemas.lms.blocks.image import ImageBlock
from app.schemas.lms.blocks.matching import RIGHT_TOKEN, MatchingBlock, MatchPair
from app.schemas.lms.blocks.media import MediaBlock
from app.schemas.lms.blocks.multiple_choice import MultipleChoiceBlock
from app.schemas.lms.blocks.numeric import NumericBlock
from app.schemas.lms.blocks.ordering import OrderingBlock
from app.schemas.lms.blocks.pdf import PdfBlock
from app.schemas.lms.blocks.registry import (
    BLOCK_CLASSES,
    BLOCK_TYPES,
    BLOCKS,
    CONTENT_TYPES,
    MAX_BLOCKS,
    QUESTION_KINDS,
    QUESTION_TYPES,
    QUESTIONS,
    Block,
    Content,
    content_adapter,
    max_score,
    question_count,
    stored_blocks,
)
from app.schemas.lms.blocks.short_answer import ShortAnswerBlock
from app.schemas.lms.blocks.single_choice import SingleChoiceBlock
from app.schemas.lms.blocks.text import TextBlock
from app.schemas.lms.blocks.true_false import TrueFalseBlock
from app.schemas.lms.blocks.video import VIDEO_HOSTS, VideoBlock

__all__ = [
    "ANSWER",
    "BLOCKS",
    "BLOCK_CLASSES",
    "BLOCK_TYPES",
    "CENT",
    "CONTENT_TYPES",
    "GAP_MARKER",
    "MAX_BLOCKS",
    "MAX_OPTIONS",
    "MAX_TEXT",
    "QUESTIONS",
    "QUESTION_KINDS",
    "QUESTION_TYPES",
    "RIGHT_TOKEN",
    "VIDEO_HOSTS",
    "AnswerForm",
    "AnswerProblem",
    "Block",
    "BlockBase",
    "BlockId",
    "BuilderForm",
    "Content",
    "EssayBlock",
    "FileBlock",
    "FillBlanksBlock",
    "Gap",
    "ImageBlock",
    "MatchPair",
    "MatchingBlock",
    "MediaBlock",
    "MultipleChoiceBlock",
    "NumericBlock",
    "Option",
    "OrderingBlock",
    "PdfBlock",
    "Points",
    "QuestionBase",
    "ShortAnswerBlock",
    "ShortText",
    "Shown",
    "SingleChoiceBlock",
    "TextBlock",
    "TextMatching",
    "TrueFalseBlock",
    "VideoBlock",
    "content_adapter",
    "form_position",
    "form_text",
    "gap_pieces",
    "max_score",
    "new_block_id",
    "normalize_text",
    "parse_number",
    "question_count",
    "stored_blocks",
    "text_matches",
]
