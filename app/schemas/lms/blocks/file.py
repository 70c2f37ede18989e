"""A file to download: a link or an uploaded file."""

from __future__ import annotations

from typing import ClassVar, Literal

from app.core.i18n import N_
from app.schemas.lms.blocks.media import MediaBlock


class FileBlock(MediaBlock):
    type: Literal["file"]
    label: ClassVar[str] = N_("File")
