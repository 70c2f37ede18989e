"""Text from quiz files as our blocks store it: HTML reduced to plain text (never stored as
HTML: prompts are Markdown, and raw HTML in them would only show as tags), entities decoded,
scripts and styles dropped with their content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Tags that end a line of text; list items start one.
_BREAKS = frozenset({"br", "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol"})
_DROPPED = frozenset({"script", "style", "head", "title", "template"})
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING = re.compile(r"[ \t]+\n")
_FORMAT = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str
    had_images: bool = False


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped = 0
        self.images = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped += 1
        elif tag == "img":
            self.images = True
        elif tag in _BREAKS:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
        elif tag in _BREAKS or tag == "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropped:
            self.parts.append(data)


def html_to_text(html: str) -> PlainText:
    """The text a browser would show of `html`, with line breaks where blocks end."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\u00a0", " ")
    text = _TRAILING.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return PlainText(text.strip(), had_images=parser.images)


def split_format(text: str, default: str = "moodle") -> tuple[str, str]:
    """A GIFT text's format marker (`[html]`, `[markdown]`, `[plain]`, `[moodle]`) and the text
    after it."""
    match = _FORMAT.match(text)
    if match is None:
        return default, text
    return match.group(1).lower(), text[match.end() :]


def as_stored(text: str, text_format: str) -> PlainText:
    """Text in a quiz file's format as a block stores it: HTML as its plain text, the others
    (Markdown, plain, Moodle's auto-format) as written; our Markdown renderer escapes any HTML
    left in them."""
    if text_format == "html":
        return html_to_text(text)
    return PlainText(text.strip())
