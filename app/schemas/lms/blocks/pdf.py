"""A PDF: a link or an uploaded file, opened in a new tab."""

from __future__ import annotations

from typing import ClassVar, Literal

from app.core.i18n import N_
from app.schemas.lms.blocks.media import MediaBlock


class PdfBlock(MediaBlock):
    type: Literal["pdf"]
    label: ClassVar[str] = N_("PDF")
