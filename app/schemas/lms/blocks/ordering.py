"""Ordering: items listed in the correct order; students receive them shuffled and number them."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    ANSWER,
    MAX_OPTIONS,
    AnswerForm,
    BuilderForm,
    Option,
    PartialCreditQuestion,
    Shown,
    form_position,
    form_text,
    lines,
    new_block_id,
    shown_options,
    unique_ids,
)


class OrderingBlock(PartialCreditQuestion):
    """Items listed in the correct order; students receive them shuffled."""

    type: Literal["ordering"]
    label: ClassVar[str] = N_("Ordering")
    items: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]

    FORM_LABELS: ClassVar[dict[str, str]] = {"items": N_("Items in the correct order")}
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("items", "too_short"): N_("Write at least two items, one per line, in the correct order"),
        ("items", "too_long"): N_("At most 30 items are allowed"),
        ("items", "string_too_long"): N_("An item is too long: at most 1000 characters"),
    }

    @field_validator("items")
    @classmethod
    def _check(cls, items: list[Option]) -> list[Option]:
        unique_ids([item.id for item in items], "item")
        return items

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        # Always shuffled, or the lesson order would be the answer; a shuffle that happens to
        # be the answer is rotated once so the student never starts from the solution.
        items = shown_options(self.items, rng)
        if [item["id"] for item in items] == [item.id for item in self.items]:
            items = items[1:] + items[:1]
        return {**self._shown(), "items": items}

    def grade(self, answer: object) -> Decimal:
        if not isinstance(answer, list):
            return Decimal(0)
        expected = [item.id for item in self.items]
        right = sum(1 for given, wanted in zip(answer, expected, strict=False) if given == wanted)
        # Extra entries (repeated or unknown ids) make the answer longer than the list: they
        # count as places got wrong, so padding an answer never earns points.
        places = max(len(expected), len(answer))
        return self.credit(right, places)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        """The items sorted by the positions typed next to them (ties keep the shown order)."""
        name = ANSWER + shown["id"]
        placed = []
        for index, item in enumerate(shown["items"]):
            position = form_position(form_text(form, f"{name}.{item['id']}"))
            if position is not None:
                placed.append((position, index, item["id"]))
        return [item_id for _, _, item_id in sorted(placed)] or None

    def sample_answer(self, *, right: bool) -> Any:
        ids = [item.id for item in self.items]
        return ids if right else ids[::-1]

    def to_form(self) -> dict[str, str]:
        return {**super().to_form(), "items": "\n".join(item.text for item in self.items)}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {
            **cls._question_form(block_id, form),
            # Random ids: students get the items shuffled but under these ids, so ids numbered
            # in the correct order would give the answer away.
            "items": [{"id": new_block_id(), "text": line} for line in lines(form.get("items"))],
            "scoring": form.get("scoring", "partial"),
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Расставьте по порядку.",
        "points": "2",
        "items": [
            {"id": "x7k", "text": "завязка"},
            {"id": "a2m", "text": "развитие"},
            {"id": "q9d", "text": "развязка"},
        ],
    }
