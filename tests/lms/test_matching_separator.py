"""Matching pairs in the builder are `left -> right` (or `→`), split at the first arrow only, so
maths content keeps its `=`; the builder shows how each line was understood, and names a line
without an arrow by its number. Saved pairs are JSON: only the form's text changed."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from pydantic import ValidationError

from app.api.lms.block_forms import block_to_form, form_to_block
from app.core.cookies import CSRF_COOKIE
from app.schemas.lms.blocks import MatchingBlock, content_adapter
from app.schemas.lms.blocks.matching import PairLine, pair_lines
from tests.conftest import People, login_as

MATHS = "D = 0 -> один корень\nD > 0 → два корня\n\nD < 0 -> нет корней -> на R"


def _block(pairs: str) -> MatchingBlock:
    form = {"prompt": "Соедините", "pairs": pairs}
    block = content_adapter.validate_python([form_to_block("matching", "m", form)])[0]
    assert isinstance(block, MatchingBlock)
    return block


def test_lines_split_at_the_first_arrow_only() -> None:
    assert pair_lines(MATHS) == [
        PairLine(1, "D = 0", "один корень"),
        PairLine(2, "D > 0", "два корня"),
        PairLine(4, "D < 0", "нет корней -> на R"),
    ]
    assert pair_lines("x->y") == [PairLine(1, "x", "y")]
    assert pair_lines("a = b") == [PairLine(1, "a = b", None)]
    assert pair_lines("") == pair_lines(None) == []


def test_maths_pairs_keep_their_equals_signs() -> None:
    block = _block(MATHS)
    assert [(pair.left, pair.right) for pair in block.pairs] == [
        ("D = 0", "один корень"),
        ("D > 0", "два корня"),
        ("D < 0", "нет корней -> на R"),
    ]


def test_the_form_is_written_with_arrows_and_reads_back_the_same() -> None:
    block = _block(MATHS)
    form = block_to_form(block, "ru")
    assert form["pairs"] == (
        "D = 0 -> один корень\nD > 0 -> два корня\nD < 0 -> нет корней -> на R"
    )
    again = _block(form["pairs"])
    assert [(p.left, p.right) for p in again.pairs] == [(p.left, p.right) for p in block.pairs]


@pytest.mark.parametrize(
    ("pairs", "kind", "line"),
    [
        ("кот -> cat\n\nдом = house", "pair_separator", 3),
        ("кот -> cat\n -> house", "pair_side", 2),
        ("кот -> cat\nдом ->", "pair_side", 2),
    ],
)
def test_a_line_without_an_arrow_or_a_side_is_named_by_its_number(
    pairs: str, kind: str, line: int
) -> None:
    with pytest.raises(ValidationError) as raised:
        _block(pairs)
    error = raised.value.errors()[0]
    assert error["type"] == kind
    assert error["ctx"]["line"] == line


def test_stored_pairs_are_unchanged_json() -> None:
    # Pairs saved before the arrow (JSON with ids, no `line`) validate as they always did.
    stored = {
        "id": "m",
        "type": "matching",
        "prompt": "?",
        "pairs": [
            {"id": "p1", "left": "a = b", "right": "c", "right_id": "r1"},
            {"id": "p2", "left": "d", "right": "e", "right_id": "r2"},
        ],
    }
    block = content_adapter.validate_python([stored])[0]
    assert isinstance(block, MatchingBlock)
    assert block.model_dump(mode="json")["pairs"] == stored["pairs"]
    assert block_to_form(block, "ru")["pairs"] == "a = b -> c\nd -> e"


def _understood(page: str) -> list[list[str]]:
    table = re.search(r'<table class="pairs-understood".*?</table>', page, re.S)
    assert table is not None, page[-3000:]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table.group(0))
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in row] for row in rows]


async def test_the_builder_shows_how_each_line_was_understood(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = (await client.post("/api/v1/lessons", json={"title": "Д", "status": "draft"})).json()
    url = f"/lessons/{lesson['id']}/blocks"
    token = client.cookies[CSRF_COOKIE]
    form = {"type": "matching", "prompt": "Соедините", "csrf_token": token}

    refused = await client.post(url, data={**form, "pairs": "D = 0 -> один корень\nD > 0 = два"})
    assert refused.status_code == 422
    assert "Пары: В строке 2 нет стрелки: запишите пару как левое -&gt; правое" in refused.text
    assert _understood(refused.text) == [
        ["1", "D = 0", "один корень"],
        ["2", "D > 0 = два", "В строке нет стрелки ->"],
    ]

    saved = await client.post(url, data={**form, "pairs": MATHS})
    assert saved.status_code == 303, saved.text[-1500:]
    content = (await client.get(f"/api/v1/lessons/{lesson['id']}")).json()["content"]
    assert content[0]["pairs"][0]["left"] == "D = 0"
    page = (await client.get(f"/lessons/{lesson['id']}/edit")).text
    assert "D = 0 -&gt; один корень\nD &gt; 0 -&gt; два корня" in page  # the textarea
    assert _understood(page) == [
        ["1", "D = 0", "один корень"],
        ["2", "D > 0", "два корня"],
        ["3", "D < 0", "нет корней -> на R"],
    ]
