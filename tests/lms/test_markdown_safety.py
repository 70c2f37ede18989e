"""A teacher's Markdown reaches students safely: images load only over https and send no Referer
(an http image is a tracking pixel and mixed content); such an image leaves its alt text behind.
Links keep http, https and mailto; raw HTML and script URLs never get through."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from app.core.markdown import render_markdown
from tests.conftest import People, login_as
from tests.lms.helpers import quiz_lesson


def images(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


def test_an_https_image_is_kept_without_referrer_and_lazy() -> None:
    html = str(render_markdown("![A cat](https://example.org/cat.png)"))
    (image,) = images(html)
    assert 'src="https://example.org/cat.png"' in image
    assert 'alt="A cat"' in image
    assert 'referrerpolicy="no-referrer"' in image
    assert 'loading="lazy"' in image


@pytest.mark.parametrize(
    "source",
    [
        "http://tracker.example/pixel.gif",
        "HTTP://tracker.example/pixel.gif",
        "//tracker.example/pixel.gif",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://files.example/pixel.gif",
        "pixel.gif",
        "/static/pixel.gif",
    ],
)
def test_an_image_not_over_https_is_dropped_and_its_alt_text_stays(source: str) -> None:
    html = str(render_markdown(f"Before ![Seen by the student]({source}) after"))
    assert images(html) == [], html
    assert "tracker.example" not in html and "pixel.gif" not in html
    assert "Before Seen by the student after" in html


def test_a_reference_style_http_image_is_dropped_too() -> None:
    html = str(render_markdown("![Pixel][p]\n\n[p]: http://tracker.example/p.gif"))
    assert images(html) == []
    assert "Pixel" in html


def test_the_alt_text_of_a_dropped_image_is_escaped() -> None:
    html = str(render_markdown("![<script>alert(1)</script>](http://x.example/a.png)"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_image_inside_a_link_keeps_the_link() -> None:
    html = str(render_markdown("[![Logo](http://x.example/logo.png)](https://example.org)"))
    assert images(html) == []
    assert 'href="https://example.org"' in html
    assert "Logo" in html


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[site](http://example.org/page)", "http://example.org/page"),
        ("[site](https://example.org/page)", "https://example.org/page"),
        ("[mail](mailto:teacher@example.org)", "mailto:teacher@example.org"),
    ],
)
def test_links_keep_http_https_and_mailto(markdown: str, href: str) -> None:
    html = str(render_markdown(markdown))
    assert f'href="{href}"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "markdown",
    [
        '<img src="http://tracker.example/p.gif">',
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "![x](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
    ],
)
def test_raw_html_and_script_urls_never_get_through(markdown: str) -> None:
    html = str(render_markdown(markdown))
    assert images(html) == []
    assert "<script" not in html
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), html  # no live event handler
    assert 'href="javascript:' not in html


async def test_the_player_shows_no_http_image_to_a_student(
    client: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient], people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await login_as(client, teacher.email)
    lesson = quiz_lesson()
    lesson["content"][0]["markdown"] = (
        "![Chart](https://example.org/chart.png) ![Pixel](http://tracker.example/p.gif)"
    )
    created = await client.post("/api/v1/lessons", json=lesson)
    assert created.status_code == 201, created.text
    assigned = await client.post(
        "/api/v1/assignments", json={"lesson_id": created.json()["id"], "student_ids": [student.id]}
    )
    assert assigned.status_code == 201, assigned.text

    browser = make_client()
    await login_as(browser, student.email)
    mine = (await browser.get("/api/v1/assignments?bucket=todo")).json()
    page = await browser.get(f"/assignments/{mine['items'][0]['id']}")
    assert page.status_code == 200, page.text
    assert "tracker.example" not in page.text
    (image,) = images(page.text.split('id="block-intro"', 1)[1])
    assert 'src="https://example.org/chart.png"' in image
    assert 'referrerpolicy="no-referrer"' in image
    assert "Pixel" in page.text
