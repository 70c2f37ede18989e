"""The media blocks' shared base: a link, or an uploaded file of the teacher's own (checked
against the `media` table by the lessons service)."""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from app.core.i18n import N_
from app.schemas.common import MAX_ID
from app.schemas.lms.blocks.base import BlockBase, BuilderForm, Shown, problem


def https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise problem("url", N_("Use a link that starts with https://"))
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(https_url)]


class MediaBlock(BlockBase):
    """A link or an uploaded file of the teacher's own (checked against the `media` table)."""

    url: HttpsUrl | None = None
    media_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    title: Annotated[str, StringConstraints(max_length=300)] | None = None

    FORM_LABELS: ClassVar[dict[str, str]] = {"url": N_("Link (https://)"), "title": N_("Caption")}

    @model_validator(mode="after")
    def _one_source(self) -> MediaBlock:
        if (self.url is None) == (self.media_id is None):
            raise problem("media_source", N_("Give either a link or an uploaded file"))
        return self

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**self._shown(), "url": self.url, "media_id": self.media_id, "title": self.title}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        block: dict[str, Any] = {
            "id": block_id,
            "type": cls.block_type(),
            "url": form.get("url", "").strip() or None,
        }
        if form.get("title", "").strip():
            block["title"] = form["title"].strip()
        return block

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "url": "https://example.org/materials/lesson.bin",
        "title": "Материал к уроку",
    }
