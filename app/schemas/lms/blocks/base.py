"""What every block type shares: the base classes whose hooks each type implements, the field
types, and the helpers several types use (forms, text matching, numbers, partial credit).

Pure functions only: nothing here (or in a block module) knows about requests, sessions or
templates; the pages and services call these hooks through the registry.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from abc import abstractmethod
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Literal,
    NamedTuple,
    Protocol,
    get_args,
)

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

from app.core.i18n import N_
from app.schemas.common import INPUT_RULES

MAX_TEXT = 50_000
MAX_OPTIONS = 30
CENT = Decimal("0.01")
# The player's field names: `answer.<block id>`, and `answer.<block id>.<part id>` for the
# questions with several inputs (matching, ordering, fill-in-the-blanks).
ANSWER = "answer."
TEXT_RULE_FIELDS = ("case_sensitive", "yo_equals_e")

BlockId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Points = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]
Scoring = Literal["all_or_nothing", "partial"]
Accepted = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=500)]],
    Field(min_length=1, max_length=50),
]
Shown = dict[str, Any]  # a block as a student receives it: JSON, no answer keys
BuilderForm = Mapping[str, str]  # the builder's form fields


class AnswerForm(Protocol):
    """The player's submitted form (Starlette's `FormData` is one)."""

    def get(self, key: str, /) -> Any: ...

    def getlist(self, key: str, /) -> list[Any]: ...


def new_block_id() -> str:
    return uuid.uuid4().hex[:12]


# Validation context for content read back from the database: rules added after a lesson was
# saved (a blank text block, word limits out of order) are enforced on writes only, so stored
# lessons and the versions students answered always load.
STORED: dict[str, Any] = {"stored": True}


def is_stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


def problem(kind: str, message: str, **context: Any) -> PydanticCustomError:
    """A validation error whose message is a msgid (`{placeholders}` filled from `context`),
    kept in the error's context: the pages translate it (`app.api.templating.error_message`)."""
    return PydanticCustomError(kind, message, {**context, "msgid": message})


class AnswerProblem(NamedTuple):
    """Why an answer cannot be submitted as it is: a msgid and its placeholders' values."""

    message: str
    context: dict[str, Any]


def unique_ids(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("duplicate_id", "Each {what} needs its own id", {"what": what})


class Option(BaseModel):
    model_config = INPUT_RULES

    id: BlockId = Field(default_factory=new_block_id)
    text: ShortText


def shown_options(options: list[Option], rng: random.Random | None) -> list[dict[str, str]]:
    """Options (or ordering items) as a student sees them; shuffled when given an rng."""
    shown = [{"id": option.id, "text": option.text} for option in options]
    if rng is not None:
        rng.shuffle(shown)
    return shown


def option_ids(info: ValidationInfo) -> set[str] | None:
    """The already-validated options' ids (None when the options themselves were invalid)."""
    options = info.data.get("options")
    if options is None:
        return None
    ids = [option.id for option in options]
    unique_ids(ids, "option")
    return set(ids)


# --- text answers


class TextMatching(BaseModel):
    """How a typed answer is compared with the accepted ones. The defaults are forgiving:
    students' top complaint about fill-in tasks is strict matching."""

    model_config = INPUT_RULES

    trim: bool = True
    case_sensitive: bool = False
    yo_equals_e: bool = True  # ё and е are the same letter to most Russian readers
    collapse_spaces: bool = True


_SPACES = re.compile(r"\s+")


def normalize_text(value: str, rules: TextMatching) -> str:
    text = unicodedata.normalize("NFC", value)
    if rules.trim:
        text = text.strip()
    if rules.collapse_spaces:
        text = _SPACES.sub(" ", text)
    if rules.yo_equals_e:
        text = text.replace("ё", "е").replace("Ё", "Е")
    if not rules.case_sensitive:
        text = text.casefold()
    return text


def text_matches(answer: object, accepted: list[str], rules: TextMatching) -> bool:
    if not isinstance(answer, str):
        return False
    given = normalize_text(answer, rules)
    return given != "" and any(given == normalize_text(option, rules) for option in accepted)


def parse_number(answer: object) -> Decimal | None:
    """A number typed by a person: `3.14`, `3,14` (the Russian decimal comma), ` -2 `."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float | Decimal):
        try:
            number = Decimal(str(answer))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(answer, str):
        cleaned = answer.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not cleaned or len(cleaned) > 50:
            return None
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def fraction(block_points: Decimal, right: int, total: int, *, partial: bool) -> Decimal:
    """Points for `right` of `total` parts: a share of them, or all or nothing."""
    if total <= 0:
        return Decimal(0)
    if not partial:
        return block_points if right == total else Decimal(0)
    return (block_points * Decimal(max(right, 0)) / Decimal(total)).quantize(CENT, ROUND_HALF_UP)


# --- form fields


def form_text(form: AnswerForm, name: str) -> str:
    """One text field of the player's form ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_position(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def blank_to_none(value: str) -> str | None:
    """A typed answer, or None when only whitespace was typed."""
    return value if value.strip() else None


def lines(value: str | None) -> list[str]:
    """A builder text area, one item per line (blank lines skipped)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def checked(form: BuilderForm, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def rules_from_form(form: BuilderForm) -> dict[str, bool]:
    return {name: checked(form, name) for name in TEXT_RULE_FIELDS}


def rules_to_form(rules: dict[str, Any]) -> dict[str, str]:
    return {name: "on" if rules.get(name) else "" for name in TEXT_RULE_FIELDS}


# --- the block types' base classes


class BlockBase(BaseModel):
    """One block type: its schema (the fields), and the hooks every type implements.

    A type's `template` defines the macros in `macros` (see `lms/_block.html` and
    `lms/_block_editor.html`, which call them)."""

    model_config = INPUT_RULES

    id: BlockId = Field(default_factory=new_block_id)

    # `lms/blocks/<type>.html`, set for each concrete type from its `type` (below).
    template: ClassVar[str]
    macros: ClassVar[tuple[str, ...]] = ("view", "editor")
    # What a teacher calls the type (a msgid, translated where it is shown).
    label: ClassVar[str]
    # A valid block of this type but for its id and type: the bench's content and the tests'.
    EXAMPLE: ClassVar[dict[str, Any]]
    # The builder's words for the schema's fields: field → the label of the form field where
    # the teacher types it (msgids, the same as in the editor template), and
    # (field, pydantic error type) → what to do about that error (`*`: any error of the field).
    # A type's own entries are added to its bases' (see `form_label`, `form_message`).
    FORM_LABELS: ClassVar[dict[str, str]] = {}
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {}

    if TYPE_CHECKING:  # each type declares it as a `Literal` field (the discriminator)
        type: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("type")
        if field is not None and get_args(field.annotation):  # a concrete type, not a base
            cls.template = f"lms/blocks/{cls.block_type()}.html"

    @classmethod
    def form_label(cls, field: str) -> str | None:
        """The builder's label (a msgid) of the form field where `field` is typed."""
        for kind in cls.__mro__:
            label = vars(kind).get("FORM_LABELS", {}).get(field)
            if label is not None:
                return str(label)
        return None

    @classmethod
    def form_message(cls, field: str, error_type: str) -> str | None:
        """What the builder says (a msgid) about an error of this type in `field`."""
        for kind in cls.__mro__:
            messages = vars(kind).get("FORM_MESSAGES", {})
            message = messages.get((field, error_type)) or messages.get((field, "*"))
            if message is not None:
                return str(message)
        return None

    @classmethod
    def block_type(cls) -> str:
        return str(get_args(cls.model_fields["type"].annotation)[0])

    def _shown(self) -> Shown:
        return {"id": self.id, "type": self.block_type()}

    @abstractmethod
    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        """What a student may see of the block, built by listing what to keep (never by
        deleting keys): a key added to the type later stays hidden unless listed here."""

    @classmethod
    @abstractmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        """The builder's form as a block dict for the schema to validate (errors are the
        schema's, not the form's)."""

    def to_form(self) -> dict[str, str]:
        """The form fields that show the saved block for editing (the inverse of from_form)."""
        return {
            key: "" if value is None else str(value)
            for key, value in self.model_dump(mode="json").items()
            if isinstance(value, str | int | float) or value is None
        }

    def form_in(self, language: str) -> dict[str, str]:
        """The editing form as a person of `language` reads it (numbers with their decimal
        comma, say); by default `to_form` as it is."""
        return self.to_form()

    @classmethod
    def default_form(cls) -> dict[str, str]:
        """A fresh block's form: forgiving matching on, one point."""
        return {"points": "1", "yo_equals_e": "on", "scoring": "partial"}

    @classmethod
    def example(cls, block_id: str) -> dict[str, Any]:
        """A valid block of this type (the bench's content and the registry's tests)."""
        return {"id": block_id, "type": cls.block_type(), **cls.EXAMPLE}


class QuestionBase(BlockBase):
    """A question: a prompt, points, an explanation shown after grading, and the hooks for
    answering and grading it."""

    prompt: LongText
    points: Points = Decimal(1)
    explanation: LongText | None = None

    macros: ClassVar[tuple[str, ...]] = ("inputs", "answer", "key", "editor")
    # False: the teacher grades it (the answer waits as `pending`).
    auto_graded: ClassVar[bool] = True
    FORM_LABELS: ClassVar[dict[str, str]] = {
        "prompt": N_("Question (Markdown)"),
        "points": N_("Points"),
        "explanation": N_("Explanation shown after grading"),
    }
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("points", "*"): N_("Enter the points as a number greater than 0, at most 1000"),
    }

    def _shown(self) -> Shown:
        return {**super()._shown(), "prompt": self.prompt, "points": str(self.points)}

    @abstractmethod
    def grade(self, answer: object) -> Decimal:
        """Points for an answer that is not blank. Answers arrive as JSON and may be anything
        (a wrong type, unknown ids): that never raises, it simply earns no points."""

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        """The prompt and points; questions with options or parts add them (never the key)."""
        return self._shown()

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        """The player's form fields for this question (`shown` is the block as the page showed
        it) as the answer grading expects, or None when left blank. Values that are not among
        the question's options are dropped. By default: one typed input, kept as typed."""
        return blank_to_none(form_text(form, ANSWER + shown["id"]))

    def answer_problem(self, answer: object) -> AnswerProblem | None:
        """Why `answer` (not blank) cannot be submitted as it is, or None: by default any
        answer can (an essay checks its word limits)."""
        return None

    @abstractmethod
    def sample_answer(self, *, right: bool) -> Any:
        """An answer earning full points (`right`) or not: the bench's answers, and tests."""

    @classmethod
    def _question_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "id": block_id,
            "type": cls.block_type(),
            "prompt": form.get("prompt", ""),
        }
        if form.get("points"):
            fields["points"] = form["points"].replace(",", ".")
        if form.get("explanation", "").strip():
            fields["explanation"] = form["explanation"]
        return fields


class PartialCreditQuestion(QuestionBase):
    """A question of several parts: each part right earns its share of the points (`partial`),
    or only a fully right answer earns any (`all_or_nothing`)."""

    scoring: Scoring = "partial"

    def credit(self, right: int, total: int) -> Decimal:
        """The points for `right` parts right out of `total`, under this question's scoring."""
        return fraction(self.points, right, total, partial=self.scoring == "partial")
