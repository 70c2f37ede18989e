"""What a quiz file parser gives back: the questions it read, as block dicts for the block
schemas to validate, and what it could not read, each with where it is in the file.

Messages are English msgids with `{placeholders}` filled from `context` after translation
(like `app.core.errors.AppError`), so the page and the API show them in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import gettext_for


@dataclass(frozen=True, slots=True)
class Message:
    """A msgid and the values for its placeholders; a `details` value is a msgid too, filled
    from the same values."""

    text: str
    context: dict[str, str] = field(default_factory=dict)

    def render(self, language: str) -> str:
        context = dict(self.context)
        if "details" in context:
            context["details"] = gettext_for(language, context["details"]).format(**self.context)
        translated = gettext_for(language, self.text)
        return translated.format(**context) if context else translated


@dataclass(frozen=True, slots=True)
class Where:
    """A question's place in its file: the line it starts on (GIFT) or its number among the
    questions and its name (Moodle XML)."""

    number: int
    line: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """One question read from a file: `block` is a block dict (no `id`: the importer gives
    each block a new one), `notes` say what was changed or left out on the way in."""

    where: Where
    block: dict[str, Any]
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """A question that could not be read, and why."""

    where: Where
    reason: Message


@dataclass(slots=True)
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
