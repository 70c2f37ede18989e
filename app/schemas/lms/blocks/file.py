"""A file to download: a link or an uploaded file."""

from __future__ import annotations

from typing import ClassVar, Literal

from app.schemas.lms.blocks.media import MediaBlock


class FileBlock(MediaBlock):
    type: Literal["file"]

    template: ClassVar[str] = "lms/blocks/file.html"
