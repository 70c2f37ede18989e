"""A number: the correct value ± a tolerance; the decimal comma is accepted."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    BuilderForm,
    QuestionBase,
    parse_number,
)


class NumericBlock(QuestionBase):
    type: Literal["numeric"]
    label: ClassVar[str] = N_("Number")
    value: Annotated[Decimal, Field(max_digits=20, decimal_places=10)]
    tolerance: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=10)] = Decimal(0)

    def grade(self, answer: object) -> Decimal:
        number = parse_number(answer)
        if number is None:
            return Decimal(0)
        return self.points if abs(number - self.value) <= self.tolerance else Decimal(0)

    def sample_answer(self, *, right: bool) -> Any:
        return str(self.value) if right else "0"

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {
            **cls._question_form(block_id, form),
            "value": form.get("value", "").replace(",", ".").strip(),
            "tolerance": form.get("tolerance", "").replace(",", ".").strip() or "0",
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Чему равно число π до сотых?",
        "points": "2",
        "value": "3.14",
        "tolerance": "0.005",
    }
