"""A PDF: a link or an uploaded file, opened in a new tab."""

from __future__ import annotations

from typing import ClassVar, Literal

from app.schemas.lms.blocks.media import MediaBlock


class PdfBlock(MediaBlock):
    type: Literal["pdf"]

    template: ClassVar[str] = "lms/blocks/pdf.html"
