"""A number: the correct value ± a tolerance; the decimal comma is accepted. The number is shown
as the teacher typed it (`value_text`: "-0,5" stays "-0,5")."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    BuilderForm,
    QuestionBase,
    parse_number,
    problem,
)

# The builder's own words for the correct number (the hint under the player's input says 3,5).
ENTER_NUMBER = N_("Enter the correct number, for example -0,5 or 3.14")


def plain_number(value: Decimal, decimal_point: str = ".") -> str:
    """A stored number as a person writes it: no exponent, no trailing zeros (3.10 → 3.1)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("", "-0"):
        text = "0"
    return text.replace(".", decimal_point)


class NumericBlock(QuestionBase):
    type: Literal["numeric"]
    label: ClassVar[str] = N_("Number")
    value: Annotated[Decimal, Field(max_digits=20, decimal_places=10)]
    tolerance: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=10)] = Decimal(0)
    # The correct number as typed (blocks saved before it was kept have none).
    value_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = (
        None
    )

    FORM_LABELS: ClassVar[dict[str, str]] = {
        "value": N_("Correct number"),
        "value_text": N_("Correct number"),
        "tolerance": N_("Allowed deviation"),
    }
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("value", "*"): ENTER_NUMBER,
        ("value_text", "*"): ENTER_NUMBER,
        ("tolerance", "*"): N_("Enter the allowed deviation as a number, 0 or more"),
    }

    @model_validator(mode="after")
    def _text_is_the_value(self) -> NumericBlock:
        if self.value_text is not None and parse_number(self.value_text) != self.value:
            raise problem("value_text", ENTER_NUMBER)
        return self

    def grade(self, answer: object) -> Decimal:
        number = parse_number(answer)
        if number is None:
            return Decimal(0)
        return self.points if abs(number - self.value) <= self.tolerance else Decimal(0)

    def sample_answer(self, *, right: bool) -> Any:
        return str(self.value) if right else "0"

    def shown_value(self, decimal_point: str = ".") -> str:
        """The correct number as the teacher typed it (old blocks: with `decimal_point`)."""
        return self.value_text or plain_number(self.value, decimal_point)

    def to_form(self) -> dict[str, str]:
        return {
            **super().to_form(),
            "value": self.shown_value(),
            "tolerance": plain_number(self.tolerance),
        }

    def form_in(self, language: str) -> dict[str, str]:
        comma = "," if language == "ru" else "."
        return {
            **self.to_form(),
            "value": self.shown_value(comma),
            "tolerance": plain_number(self.tolerance, comma),
        }

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        typed = form.get("value", "").strip()
        block = {
            **cls._question_form(block_id, form),
            "value": typed.replace(",", ".").replace(" ", ""),
            "tolerance": form.get("tolerance", "").replace(",", ".").strip() or "0",
        }
        number = parse_number(typed)
        if number is not None and plain_number(number) != typed:
            block["value_text"] = typed  # "-0,5", not the "-0.5" it is stored as
        return block

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Чему равно число π до сотых?",
        "points": "2",
        "value": "3.14",
        "tolerance": "0.005",
    }
