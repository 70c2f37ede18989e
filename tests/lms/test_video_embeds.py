"""Video links play inside the lesson: YouTube, VK Video and Rutube page links become their
players' embed addresses (iframes with a title, fullscreen and a referrer policy); anything else
stays a plain link, and no link ever becomes a frame of another host or a script."""

from __future__ import annotations

import re

import httpx
import pytest

from app.core.headers import VIDEO_PLAYER_ORIGINS
from app.schemas.lms.blocks.embeds import embed_url
from tests.conftest import People, login_as
from tests.lms.helpers import create_lesson

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
VK = "https://vk.com/video_ext.php?oid=-22822305&id=456241864&hd=2"
VK_VIDEO = "https://vkvideo.ru/video_ext.php?oid=-22822305&id=456241864&hd=2"
RUTUBE = "https://rutube.ru/play/embed/c6cc4d620b1d4338901770a44b3e82f4/"


@pytest.mark.parametrize(
    ("link", "player"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YOUTUBE),
        ("https://youtube.com/watch?v=dQw4w9WgXcQ&list=PL1&index=2", YOUTUBE),
        ("https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", YOUTUBE),
        ("https://youtu.be/dQw4w9WgXcQ", YOUTUBE),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", YOUTUBE),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", YOUTUBE),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", YOUTUBE),
        ("https://www.youtube.com/live/dQw4w9WgXcQ", YOUTUBE),
        ("https://youtu.be/dQw4w9WgXcQ?t=90", f"{YOUTUBE}?start=90"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m5s", f"{YOUTUBE}?start=65"),
        ("https://vk.com/video-22822305_456241864", VK),
        ("https://m.vk.com/video-22822305_456241864", VK),
        ("https://vk.com/video?z=video-22822305_456241864%2Fpl_cat_trends", VK),
        ("https://vk.com/video_ext.php?oid=-22822305&id=456241864", VK),
        ("https://vkvideo.ru/video-22822305_456241864", VK_VIDEO),
        ("https://vk.com/video12345_67890", "https://vk.com/video_ext.php?oid=12345&id=67890&hd=2"),
        (
            "https://vk.com/video_ext.php?oid=1&id=2&hash=ab12cd",
            "https://vk.com/video_ext.php?oid=1&id=2&hash=ab12cd&hd=2",
        ),
        ("https://rutube.ru/video/c6cc4d620b1d4338901770a44b3e82f4/", RUTUBE),
        ("https://rutube.ru/video/c6cc4d620b1d4338901770a44b3e82f4", RUTUBE),
        ("https://rutube.ru/shorts/c6cc4d620b1d4338901770a44b3e82f4/", RUTUBE),
        ("https://rutube.ru/play/embed/c6cc4d620b1d4338901770a44b3e82f4", RUTUBE),
        (
            "https://rutube.ru/video/c6cc4d620b1d4338901770a44b3e82f4/?p=K3y_-9",
            f"{RUTUBE}?p=K3y_-9",
        ),
    ],
)
def test_a_video_page_link_becomes_its_player(link: str, player: str) -> None:
    assert embed_url(link) == player
    assert player.startswith(tuple(f"{origin}/" for origin in VIDEO_PLAYER_ORIGINS))


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://evil-youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/channel/UC123",  # a channel, not a video
        "https://www.youtube.com/watch",
        "https://www.youtube.com/watch?v=",
        'https://www.youtube.com/watch?v=a"onload="alert(1)',
        "https://www.youtube.com/watch?v=a%22%3E%3Cscript%3E",
        "https://youtu.be/a/b",
        "https://vk.com/club123",
        "https://vk.com/video-1_2_3",
        "https://vk.com/video_ext.php?oid=x&id=2",
        "https://rutube.ru/channel/123/",
        "https://rutube.ru/video/abc/def/",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",  # not https
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "https://user:pass@youtu.be/dQw4w9WgXcQ",
        "https://[::1/watch?v=x",  # unparsable
        "javascript:alert(1)//https://youtu.be/dQw4w9WgXcQ",
        "JavaScript://youtu.be/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//youtu.be/dQw4w9WgXcQ",
    ],
)
def test_other_links_stay_links(link: str | None) -> None:
    assert embed_url(link) is None


async def test_the_player_and_the_builder_show_the_video_in_a_frame(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(
        client,
        {
            "title": "Videos",
            "content": [
                {
                    "id": "yt",
                    "type": "video",
                    "url": "https://youtu.be/dQw4w9WgXcQ",
                    "title": "Present Simple <b>",
                },
                {"id": "rt", "type": "video", "url": "https://rutube.ru/video/abc123/"},
                {"id": "page", "type": "video", "url": "https://vk.com/club123"},
            ],
        },
    )
    preview = (await client.get(f"/api/v1/lessons/{lesson['id']}/preview")).json()
    assert [block["embed_url"] for block in preview] == [
        YOUTUBE,
        "https://rutube.ru/play/embed/abc123/",
        None,
    ]

    for path in (f"/lessons/{lesson['id']}/preview", f"/lessons/{lesson['id']}/edit"):
        page = await client.get(path)
        assert page.status_code == 200
        frames = re.findall(r"<iframe\b[^>]*>", page.text)
        assert len(frames) == 2, path
        youtube, rutube = frames
        assert f'src="{YOUTUBE}"' in youtube
        assert 'title="Present Simple &lt;b&gt;"' in youtube  # the caption names the frame
        assert 'src="https://rutube.ru/play/embed/abc123/"' in rutube
        assert 'title="Видео"' in rutube  # no caption: the block type's name
        for frame in frames:
            assert "allowfullscreen" in frame
            assert 'referrerpolicy="strict-origin-when-cross-origin"' in frame
            assert 'loading="lazy"' in frame
        # The page link stays under each player; a link that is no video stays a plain link.
        assert 'href="https://youtu.be/dQw4w9WgXcQ"' in page.text
        assert 'href="https://vk.com/club123"' in page.text


async def test_a_script_link_is_never_saved_or_framed(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    for url in ("javascript:alert(1)", "http://youtu.be/dQw4w9WgXcQ", "https://evil.example/v"):
        response = await client.post(
            "/api/v1/lessons",
            json={"title": "Bad", "content": [{"type": "video", "url": url}]},
        )
        assert response.status_code == 422, (url, response.text)
