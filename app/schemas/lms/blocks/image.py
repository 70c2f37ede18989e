"""An image, with the text alternative a screen-reader user hears instead."""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar, Literal

from pydantic import StringConstraints

from app.core.i18n import N_
from app.schemas.lms.blocks.base import BuilderForm, Shown
from app.schemas.lms.blocks.media import MediaBlock


class ImageBlock(MediaBlock):
    type: Literal["image"]
    label: ClassVar[str] = N_("Image")
    # Required: an image without a text alternative is invisible to a screen-reader user.
    alt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

    FORM_LABELS: ClassVar[dict[str, str]] = {
        "alt": N_("Description of the image for screen readers"),
    }
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("alt", "string_too_short"): N_(
            "Describe the image in a few words for those who cannot see it"
        ),
    }

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**super().student_view(rng, shuffle_options=shuffle_options), "alt": self.alt}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {**super().from_form(block_id, form), "alt": form.get("alt", "")}

    EXAMPLE: ClassVar[dict[str, Any]] = {
        **MediaBlock.EXAMPLE,
        "alt": "Иллюстрация к уроку: семья за столом",
    }
