"""A video: a link to YouTube, VK Video or Rutube, or an uploaded file."""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from app.core.i18n import N_
from app.schemas.lms.blocks.base import Shown, problem
from app.schemas.lms.blocks.embeds import embed_url
from app.schemas.lms.blocks.media import MediaBlock, https_url

# Video links are accepted only from these hosts (and their subdomains).
VIDEO_HOSTS = ("youtube.com", "youtu.be", "vk.com", "vkvideo.ru", "vk.ru", "rutube.ru")


def _video_url(value: str) -> str:
    host = (urlsplit(https_url(value)).hostname or "").lower()
    if not any(host == allowed or host.endswith("." + allowed) for allowed in VIDEO_HOSTS):
        raise problem("video_host", N_("Video links must come from YouTube, VK Video or Rutube"))
    return value


VideoUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_video_url)]


class VideoBlock(MediaBlock):
    type: Literal["video"]
    label: ClassVar[str] = N_("Video")
    url: VideoUrl | None = None

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        # `embed_url`: the provider's player for a page link it knows, else None (a plain link).
        shown = super().student_view(rng, shuffle_options=shuffle_options)
        return {**shown, "embed_url": embed_url(self.url)}

    EXAMPLE: ClassVar[dict[str, Any]] = {
        **MediaBlock.EXAMPLE,
        "url": "https://rutube.ru/video/0123456789abcdef/",
    }
