"""Moodle's GIFT text format: a parser into block dicts and a writer from our blocks.

The parser follows Moodle's own (question/format/gift): questions are separated by blank lines,
lines starting with `//` are comments, `::title::` names a question, `[html]`, `[markdown]`,
`[plain]` and `[moodle]` give a text's format, `\\~ \\= \\# \\{ \\} \\: \\\\` are escaped
characters and `\\n` a line break. The answers in `{...}` decide the type:

- `{}` an essay; `{T}` / `{FALSE}` (with `#wrong feedback#right feedback`) true or false;
- `{=right ~wrong}` single choice; `{~%50%a ~%50%b ~%-100%c}` (weights, no `=`) multiple
  choice, every answer with a positive weight correct;
- `{=cat =a cat}` short answer, each variant accepted; `{=left -> right ...}` matching;
- `{#3.14:0.01}`, `{#1..5}` (a range is a value ± half its width) or `{#=3.14:0.01 =%50%3}` a
  number; `#feedback` after an answer, `####general feedback` before the closing brace;
- text without braces is a description (a text block).

Feedback goes into the block's explanation (general feedback first, then each answer's).
Points and scoring, which GIFT cannot say, travel in a comment the writer adds and the parser
reads back (`// tutor: points=2; scoring=all_or_nothing`); Moodle ignores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.core.i18n import N_
from app.schemas.lms.blocks import (
    BLOCKS,
    Block,
    EssayBlock,
    MatchingBlock,
    MultipleChoiceBlock,
    NumericBlock,
    ShortAnswerBlock,
    SingleChoiceBlock,
    TextBlock,
    TrueFalseBlock,
    parse_number,
)
from app.services.lms.quiz_formats.text import as_stored, split_format
from app.services.lms.quiz_formats.types import (
    Message,
    ParsedQuestion,
    ParseResult,
    Problem,
    Where,
)

# Escaped characters stand in as private-use characters while the structure is read.
_ESCAPABLE = "\\~=#{}:"
_HIDE = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_SHOW = str.maketrans({hidden: char for char, hidden in _HIDE.items()})
_PRIVATE = re.compile("[\ue000-\ue00f]")
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_TITLE = re.compile(r"\s*::(.*?)::", re.DOTALL)
_WEIGHT = re.compile(r"\s*%(-?\d+(?:[.,]\d+)?)%")
_META = re.compile(r"^\s*//\s*tutor:\s*(.*)$")
META_FIELDS = frozenset({"points", "scoring", "min_words", "max_words"})
TEXT_RULES = frozenset({"case_sensitive", "yo_equals_e"})
TRUE_WORDS = frozenset({"T", "TRUE"})
FALSE_WORDS = frozenset({"F", "FALSE"})
FULL = Decimal(100)

NO_TEXT = N_("The question has no text")
UNCLOSED = N_("The answers have an opening brace but no closing one")
STRAY_BRACE = N_(
    "A closing brace without an opening one: put a backslash before it to write the character"
    " itself"
)
TWO_ANSWER_SETS = N_("Only a question with one set of answers in braces can be imported")
TEXT_BEFORE_ANSWER = N_("Text before the first answer: start each answer with = or ~")
EMPTY_ANSWER = N_("An answer is empty")
NO_CORRECT = N_("No answer is marked correct (= or a positive weight such as ~%50%)")
SEVERAL_EQUALS = N_(
    "Several answers are marked correct with =: for a multiple-choice question give them"
    " weights such as ~%50%"
)
BAD_PAIR = N_("Each matching pair is written as =left -> right")
BAD_NUMBER = N_("Not a number: {text}")
BAD_RANGE = N_("The range {text} ends below its start")
NO_FULL_NUMBER = N_("No number earns full points")
BAD_WEIGHT = N_("A weight must be between -100% and 100%")
NOTE_PARTIAL = N_("Answers worth part of the points count as wrong here")
NOTE_WRONG_FEEDBACK = N_("The feedback for a wrong answer was left out")
NOTE_FIRST_NUMBER = N_("Only the first correct number was kept")
NOTE_DISTRACTORS = N_("Extra right-hand answers without a pair were left out")
NOTE_IMAGES = N_("Pictures in the text were left out")


class GiftError(Exception):
    """One question that cannot be imported (a msgid and its values)."""

    def __init__(self, message: str, /, **context: str) -> None:
        super().__init__(message)
        self.message = Message(message, context)


@dataclass(slots=True)
class _Answer:
    marker: str  # "=" or "~"
    weight: Decimal | None
    text: str
    feedback: str | None


@dataclass(slots=True)
class _Texts:
    """Turns a protected GIFT text into what a block stores, noting left-out pictures."""

    images: bool = False

    def __call__(self, raw: str, default: str = "moodle") -> str:
        text_format, body = split_format(raw, default)
        stored = as_stored(body.translate(_SHOW), text_format)
        self.images = self.images or stored.had_images
        return stored.text


# --- reading


def _protect(text: str) -> str:
    """Escapes as private-use stand-ins (and `\\n` as a line break)."""
    return _ESCAPE.sub(lambda found: _HIDE.get(found.group(1), "\n"), text)


def _chunks(source: str) -> list[tuple[int, list[str], list[str]]]:
    """(first line number, text lines, `// tutor:` comments) of each blank-line-separated part."""
    chunks: list[tuple[int, list[str], list[str]]] = []
    lines: list[str] = []
    meta: list[str] = []
    start = 0
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if lines:
                chunks.append((start, lines, meta))
            lines, meta = [], []
            continue
        if stripped.startswith("//"):
            if (found := _META.match(stripped)) is not None:
                meta.append(found.group(1))
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        chunks.append((start, lines, meta))
    return chunks


def _meta_fields(comments: list[str], block_type: str) -> dict[str, Any]:
    """The `// tutor:` comments' settings that the block's type has (points, scoring, ...)."""
    fields: dict[str, Any] = {}
    known = BLOCKS[block_type].model_fields
    for comment in comments:
        for item in comment.split(";"):
            key, _, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if key in TEXT_RULES and "matching" in known:
                fields.setdefault("matching", {})[key] = value == "1"
            elif key in META_FIELDS and key in known and value:
                fields[key] = value
    return fields


def _answers(body: str, texts: _Texts) -> list[_Answer]:
    parts = re.split(r"([=~])", body)
    if parts[0].strip():
        raise GiftError(TEXT_BEFORE_ANSWER)
    answers = []
    for marker, raw in zip(parts[1::2], parts[2::2], strict=True):
        weight = None
        if (found := _WEIGHT.match(raw)) is not None:
            weight = Decimal(found.group(1).replace(",", "."))
            if not -FULL <= weight <= FULL:
                raise GiftError(BAD_WEIGHT)
            raw = raw[found.end() :]
        text, _, feedback = raw.partition("#")
        answers.append(_Answer(marker, weight, text, texts(feedback) or None))
    return answers


def _explanation(general: str | None, lines: list[str]) -> dict[str, str]:
    parts = [part for part in (general, *lines) if part]
    return {"explanation": "\n\n".join(parts)} if parts else {}


def _option_text(answer: _Answer, texts: _Texts) -> str:
    text = texts(answer.text)
    if not text:
        raise GiftError(EMPTY_ANSWER)
    return text


def _choice(
    prompt: str, answers: list[_Answer], general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    options, feedback, notes = [], [], []
    for number, answer in enumerate(answers, start=1):
        text = _option_text(answer, texts)
        options.append({"id": f"o{number}", "text": text})
        if answer.feedback:
            feedback.append(f"{text}: {answer.feedback}")
    equals = [f"o{n}" for n, answer in enumerate(answers, start=1) if answer.marker == "="]
    weighted = [
        f"o{n}"
        for n, answer in enumerate(answers, start=1)
        if answer.marker == "~" and answer.weight is not None and answer.weight > 0
    ]
    common = {"prompt": prompt, "options": options, **_explanation(general, feedback)}
    if len(equals) > 1:
        raise GiftError(SEVERAL_EQUALS)
    if equals:
        if weighted:
            notes.append(Message(NOTE_PARTIAL))
        return {"type": SingleChoiceBlock.block_type(), **common, "correct": equals[0]}, notes
    if not weighted:
        raise GiftError(NO_CORRECT)
    return {"type": MultipleChoiceBlock.block_type(), **common, "correct": weighted}, notes


def _short_answer(
    prompt: str, answers: list[_Answer], general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    accepted, feedback, notes = [], [], []
    for answer in answers:
        text = _option_text(answer, texts)
        if answer.weight is not None and answer.weight <= 0:
            continue
        if answer.weight is not None and answer.weight < FULL:
            notes.append(Message(NOTE_PARTIAL))
        accepted.append(text)
        if answer.feedback:
            feedback.append(f"{text}: {answer.feedback}")
    if not accepted:
        raise GiftError(NO_CORRECT)
    block = {
        "type": ShortAnswerBlock.block_type(),
        "prompt": prompt,
        "accepted": accepted,
        **_explanation(general, feedback),
    }
    return block, notes[:1]


def _matching(
    prompt: str, answers: list[_Answer], general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    pairs: list[dict[str, str]] = []
    notes: list[Message] = []
    for answer in answers:
        left, arrow, right = answer.text.partition("->")
        if answer.marker != "=" or not arrow or not texts(right):
            raise GiftError(BAD_PAIR)
        if not texts(left):
            notes.append(Message(NOTE_DISTRACTORS))
            continue
        pairs.append({"id": f"p{len(pairs) + 1}", "left": texts(left), "right": texts(right)})
    block = {
        "type": MatchingBlock.block_type(),
        "prompt": prompt,
        "pairs": pairs,
        **_explanation(general, []),
    }
    return block, notes[:1]


def _number(text: str) -> Decimal:
    number = parse_number(text.translate(_SHOW))
    if number is None:
        raise GiftError(BAD_NUMBER, text=text.translate(_SHOW).strip()[:50])
    return number


def _value_and_tolerance(text: str) -> tuple[Decimal, Decimal]:
    if ".." in text:
        low_text, _, high_text = text.partition("..")
        low, high = _number(low_text), _number(high_text)
        if high < low:
            raise GiftError(BAD_RANGE, text=text.translate(_SHOW).strip()[:50])
        return (low + high) / 2, (high - low) / 2
    value, _, tolerance = text.partition(":")
    return _number(value), _number(tolerance) if tolerance.strip() else Decimal(0)


def _numeric(
    prompt: str, body: str, general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    body = body.strip()[1:]  # the leading "#"
    notes: list[Message] = []
    if "=" not in body:
        answers = [_Answer("=", None, *body.partition("#")[::2])]
        answers[0].feedback = texts(answers[0].feedback or "") or None
    else:
        answers = [a for a in _answers(body, texts) if a.marker == "="]  # `~`: wrong feedback
    full = [a for a in answers if a.weight is None or a.weight == FULL]
    if not full:
        raise GiftError(NO_FULL_NUMBER)
    if len(full) > 1:
        notes.append(Message(NOTE_FIRST_NUMBER))
    if len(full) < len(answers):
        notes.append(Message(NOTE_PARTIAL))
    value, tolerance = _value_and_tolerance(full[0].text)
    block = {
        "type": NumericBlock.block_type(),
        "prompt": prompt,
        "value": str(value),
        "tolerance": str(tolerance),
        **_explanation(general, [full[0].feedback] if full[0].feedback else []),
    }
    return block, notes


def _true_false(
    prompt: str, body: str, general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    word, *feedback = body.split("#", 2)
    wrong = texts(feedback[0]) if feedback else ""
    right = texts(feedback[1]) if len(feedback) > 1 else ""
    block = {
        "type": TrueFalseBlock.block_type(),
        "prompt": prompt,
        "correct": word.strip().upper() in TRUE_WORDS,
        **_explanation(general, [right]),
    }
    return block, [Message(NOTE_WRONG_FEEDBACK)] if wrong else []


def _is_true_false(body: str) -> bool:
    return body.split("#", 1)[0].strip().upper() in TRUE_WORDS | FALSE_WORDS


def _question(text: str) -> tuple[dict[str, Any], list[Message]]:
    texts = _Texts()
    title = None
    if (found := _TITLE.match(text)) is not None:
        title = found.group(1).translate(_SHOW).strip()
        text = text[found.end() :]
    opening = text.find("{")
    closing = text.find("}")
    if opening == -1:
        if closing != -1:
            raise GiftError(STRAY_BRACE)
        markdown = texts(text) or (title or "")
        if not markdown:
            raise GiftError(NO_TEXT)
        return {"type": TextBlock.block_type(), "markdown": markdown}, _image_note(texts)
    if closing == -1 or closing < opening:
        raise GiftError(UNCLOSED if closing == -1 else STRAY_BRACE)
    before, body, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    if "{" in body or "{" in after or "}" in after:
        raise GiftError(TWO_ANSWER_SETS)
    text_format, before = split_format(before.lstrip())
    stem = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
    prompt = texts(stem, text_format) or (title or "")
    if not prompt:
        raise GiftError(NO_TEXT)
    body, _, general_raw = body.strip().partition("####")
    general = texts(general_raw) or None
    block, notes = _typed(prompt, body.strip(), general, texts)
    return block, notes + _image_note(texts)


def _typed(
    prompt: str, body: str, general: str | None, texts: _Texts
) -> tuple[dict[str, Any], list[Message]]:
    if not body:
        return {"type": EssayBlock.block_type(), "prompt": prompt, **_explanation(general, [])}, []
    if body.startswith("#"):
        return _numeric(prompt, body, general, texts)
    if "~" in body:
        return _choice(prompt, _answers(body, texts), general, texts)
    if "=" in body and "->" in body:
        return _matching(prompt, _answers(body, texts), general, texts)
    if _is_true_false(body):
        return _true_false(prompt, body, general, texts)
    return _short_answer(prompt, _answers(body, texts), general, texts)


def _image_note(texts: _Texts) -> list[Message]:
    return [Message(NOTE_IMAGES)] if texts.images else []


def parse(source: str) -> ParseResult:
    """Every question of a GIFT text (line breaks already `\\n`, no BOM): block dicts without
    ids, and the questions that cannot be imported with the line each starts on."""
    result = ParseResult()
    number = 0
    for line, lines, comments in _chunks(_PRIVATE.sub("", source)):
        text = _protect("\n".join(lines))
        if text.lstrip().startswith("$CATEGORY:"):
            continue  # Moodle's question bank category: nothing to import
        number += 1
        title_match = _TITLE.match(text)
        title = title_match.group(1).translate(_SHOW).strip() if title_match else None
        where = Where(number=number, line=line, name=title or None)
        try:
            block, notes = _question(text)
        except GiftError as error:
            result.problems.append(Problem(where, error.message))
            continue
        if block["type"] != TextBlock.block_type():
            block.update(_meta_fields(comments, block["type"]))
        result.questions.append(ParsedQuestion(where, block, tuple(notes)))
    return result


# --- writing


def escape(text: str) -> str:
    """Text for a GIFT file: the special characters escaped, line breaks as `\\n`."""
    for char in _ESCAPABLE:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _number_text(number: Decimal) -> str:
    try:
        return format(number.normalize(), "f")
    except InvalidOperation:  # pragma: no cover - a stored value is always finite
        return str(number)


def _weight(share: Decimal) -> str:
    text = format(share.quantize(Decimal("0.00001")).normalize(), "f")
    return f"%{text}%"


def _meta_comment(block: Block) -> str:
    data = block.model_dump(mode="json")
    fields = {"points": _number_text(Decimal(str(data["points"])))}
    if "scoring" in data:
        fields["scoring"] = data["scoring"]
    if isinstance(block, ShortAnswerBlock):
        fields["case_sensitive"] = "1" if block.matching.case_sensitive else "0"
        fields["yo_equals_e"] = "1" if block.matching.yo_equals_e else "0"
    for name in ("min_words", "max_words"):
        if data.get(name) is not None:
            fields[name] = str(data[name])
    return "// tutor: " + "; ".join(f"{key}={value}" for key, value in fields.items())


def _answers_text(block: Block) -> str | None:
    """The `{...}` of a question block, or None for a type GIFT cannot hold."""
    if isinstance(block, SingleChoiceBlock):
        marks = ["=" if o.id == block.correct else "~" for o in block.options]
        return " ".join(f"{m}{escape(o.text)}" for m, o in zip(marks, block.options, strict=True))
    if isinstance(block, MultipleChoiceBlock):
        share = FULL / len(block.correct)
        return " ".join(
            f"~{_weight(share if o.id in block.correct else -share)}{escape(o.text)}"
            for o in block.options
        )
    if isinstance(block, TrueFalseBlock):
        return "TRUE" if block.correct else "FALSE"
    if isinstance(block, ShortAnswerBlock):
        return " ".join(f"={escape(text)}" for text in block.accepted)
    if isinstance(block, NumericBlock):
        tolerance = f":{_number_text(block.tolerance)}" if block.tolerance else ""
        return f"#{_number_text(block.value)}{tolerance}"
    if isinstance(block, MatchingBlock):
        return " ".join(f"={escape(p.left)} -> {escape(p.right)}" for p in block.pairs)
    if isinstance(block, EssayBlock):
        return ""
    return None


def write_block(block: Block) -> str | None:
    """One block as a GIFT question (a text block as a description), or None if GIFT cannot
    hold its type (ordering, fill-in-the-blanks, media)."""
    if isinstance(block, TextBlock):
        return f"[markdown]{escape(block.markdown)}" if block.markdown.strip() else None
    answers = _answers_text(block)
    if answers is None:
        return None
    assert not isinstance(block, TextBlock)
    prompt = getattr(block, "prompt", "")
    explanation = getattr(block, "explanation", None)
    general = f"####[markdown]{escape(explanation)}" if explanation else ""
    inner = f"{answers}{general}"
    return f"{_meta_comment(block)}\n[markdown]{escape(prompt)} {{{inner}}}"


def write(blocks: list[Block], *, header: list[str] | None = None) -> tuple[str, list[int]]:
    """A GIFT file of the blocks it can hold, and the (0-based) indexes of those it cannot."""
    parts = [f"// {line}" for line in header or []]
    skipped = []
    for index, block in enumerate(blocks):
        written = write_block(block)
        if written is None:
            skipped.append(index)
        else:
            parts.append(("\n" if parts else "") + written)
    return "\n".join(parts) + "\n", skipped
