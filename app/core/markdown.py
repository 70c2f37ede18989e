"""Markdown from teachers, rendered safely: raw HTML is escaped by the parser, and the output is
sanitised again (allow-list of tags and attributes) so no stored XSS can reach a student.

Images load only over https and never send the page's address: an `http:` (or protocol-relative,
or `data:`) image would be a tracking pixel on a student's page, and mixed content on ours. Such
an image is replaced by its alt text. Links may stay http, https or mailto."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)


def image_source_allowed(src: str) -> bool:
    """An absolute https URL; anything else (http, `//host`, data:, a relative path) is not."""
    parts = urlsplit(src.strip())
    return parts.scheme.lower() == "https" and bool(parts.netloc)


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    if image_source_allowed(str(token.attrGet("src") or "")):
        return renderer.image(tokens, idx, options, env)
    # The picture is not loaded, but what it shows is still said.
    return escapeHtml(renderer.renderInlineAsText(token.children or [], options, env))


_parser.add_render_rule("image", _render_image)


def _drop_unsafe_image_source(tag: str, attribute: str, value: str) -> str | None:
    # A second wall behind the render rule: nh3 sees every <img> that reaches the page.
    if tag == "img" and attribute == "src" and not image_source_allowed(value):
        return None
    return value


ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Set on every image whatever the source says: no Referer to the image's host, loaded when seen.
_IMAGE_ATTRIBUTES: dict[str, dict[str, str]] = {
    "img": {"referrerpolicy": "no-referrer", "loading": "lazy"}
}


@lru_cache(maxsize=1024)
def render_markdown(source: str) -> Markup:
    html = _parser.render(source or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_unsafe_image_source,
        set_tag_attribute_values=_IMAGE_ATTRIBUTES,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
