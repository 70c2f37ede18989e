"""Quiz files from other systems: Moodle's GIFT text format (read and written) and Moodle XML
(read). Parsers are pure functions from text to block dicts plus problems; the importer
(`app.services.lms.quiz_import`) validates the blocks with the builder's schemas and saves them."""

from app.services.lms.quiz_formats import gift, moodle_xml
from app.services.lms.quiz_formats.types import (
    Message,
    ParsedQuestion,
    ParseResult,
    Problem,
    Where,
)

__all__ = ["Message", "ParseResult", "ParsedQuestion", "Problem", "Where", "gift", "moodle_xml"]
