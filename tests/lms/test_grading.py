"""Auto-grading as pure functions: every question type, partial credit, blanks, forgiving text
matching (and each forgiving rule switched off), numbers typed by people, wrong types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.schemas.lms.blocks import Block, content_adapter
from app.services.lms.grading import grade_answers, grade_question, parse_number

BLANKS: list[object] = [None, "", [], {}]


def block(data: dict[str, Any]) -> Block:
    blocks = content_adapter.validate_python([{"id": "q", "prompt": "?", **data}])
    return blocks[0]


def points(question: Block, answer: object) -> Decimal:
    return grade_question(question, answer).points


def outcome(question: Block, answer: object) -> str:
    return grade_question(question, answer).outcome


def single_choice() -> Block:
    return block(
        {
            "type": "single_choice",
            "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
            "correct": "b",
            "points": 2,
        }
    )


def multiple_choice(scoring: str = "partial") -> Block:
    return block(
        {
            "type": "multiple_choice",
            "options": [{"id": x, "text": x.upper()} for x in "abcd"],
            "correct": ["a", "c"],
            "points": 2,
            "scoring": scoring,
        }
    )


def short_answer(accepted: list[str], **matching: bool) -> Block:
    return block({"type": "short_answer", "accepted": accepted, "matching": matching})


def numeric(value: str, tolerance: str = "0") -> Block:
    return block({"type": "numeric", "value": value, "tolerance": tolerance})


def matching(scoring: str = "partial", points: int = 3) -> Block:
    return block(
        {
            "type": "matching",
            "points": points,
            "scoring": scoring,
            "pairs": [
                {"id": "p1", "left": "cat", "right": "кошка", "right_id": "r1"},
                {"id": "p2", "left": "dog", "right": "собака", "right_id": "r2"},
                {"id": "p3", "left": "cow", "right": "корова", "right_id": "r3"},
            ],
        }
    )


def ordering(scoring: str = "partial") -> Block:
    return block(
        {
            "type": "ordering",
            "points": 4,
            "scoring": scoring,
            "items": [{"id": x, "text": x.upper()} for x in "abcd"],
        }
    )


def fill_blanks(scoring: str = "partial", **matching: bool) -> Block:
    return block(
        {
            "type": "fill_blanks",
            "points": 2,
            "scoring": scoring,
            "text": "I [[g1]] a [[g2]].",
            "gaps": [
                {"id": "g1", "accepted": ["am"], "matching": matching},
                {"id": "g2", "accepted": ["student", "ученик"], "matching": matching},
            ],
        }
    )


def every_question() -> list[Block]:
    return [
        single_choice(),
        multiple_choice(),
        block({"type": "true_false", "correct": True}),
        short_answer(["Paris"]),
        numeric("3.14", "0.01"),
        matching(),
        ordering(),
        fill_blanks(),
        block({"type": "essay"}),
    ]


# --- every type: blanks and wrong types


@pytest.mark.parametrize("question", every_question(), ids=lambda b: b.type)
@pytest.mark.parametrize("answer", BLANKS, ids=repr)
def test_blank_answer_is_unanswered_and_worth_nothing(question: Block, answer: object) -> None:
    result = grade_question(question, answer)
    assert result.outcome == "unanswered"
    assert result.points == Decimal(0)
    assert result.max_points == question.points  # type: ignore[union-attr]
    assert result.block_id == "q"


WRONG_TYPES: list[object] = [
    {"a": "b"},
    ["b"],
    "b",
    True,
    False,
    7,
    3.5,
    [[1, 2], {"x": None}],
    {"p1": ["r1"], "g1": {"deep": 1}},
]


@pytest.mark.parametrize("question", every_question()[:-1], ids=lambda b: b.type)
@pytest.mark.parametrize("answer", WRONG_TYPES, ids=repr)
def test_any_json_answer_is_graded_without_raising(question: Block, answer: object) -> None:
    result = grade_question(question, answer)
    assert result.outcome in {"correct", "partial", "incorrect"}
    assert Decimal(0) <= result.points <= result.max_points


# --- single choice


def test_single_choice() -> None:
    question = single_choice()
    assert (points(question, "b"), outcome(question, "b")) == (Decimal(2), "correct")
    assert (points(question, "a"), outcome(question, "a")) == (Decimal(0), "incorrect")
    assert outcome(question, "ghost") == "incorrect"
    assert outcome(question, ["b"]) == "incorrect"
    assert outcome(question, {"id": "b"}) == "incorrect"
    assert outcome(question, " b ") == "incorrect"  # option ids are exact, not typed text


# --- multiple choice


@pytest.mark.parametrize(
    ("answer", "expected", "result"),
    [
        (["a", "c"], "2", "correct"),
        (["c", "a"], "2", "correct"),
        (["a"], "1.00", "partial"),
        (["a", "c", "b"], "1.00", "partial"),  # a wrong choice costs one share
        (["a", "b"], "0", "incorrect"),
        (["b", "d"], "0", "incorrect"),  # never below zero
        (["a", "a", "c"], "2", "correct"),  # a repeated id counts once
        ([1, None, "a"], "1.00", "partial"),  # non-strings are ignored
    ],
)
def test_multiple_choice_partial(answer: list[object], expected: str, result: str) -> None:
    question = multiple_choice()
    assert points(question, answer) == Decimal(expected)
    assert outcome(question, answer) == result


def test_multiple_choice_unknown_option_ids_cost_points() -> None:
    question = multiple_choice()
    assert points(question, ["a", "c"]) == Decimal(2)
    assert points(question, ["a", "c", "ghost"]) == Decimal("1.00")
    assert points(question, ["a", "ghost", "phantom"]) == Decimal(0)
    assert outcome(question, ["ghost"]) == "incorrect"
    all_or_nothing = multiple_choice("all_or_nothing")
    assert points(all_or_nothing, ["a", "c", "ghost"]) == Decimal(0)


def test_multiple_choice_all_or_nothing() -> None:
    question = multiple_choice("all_or_nothing")
    assert points(question, ["a", "c"]) == Decimal(2)
    assert (points(question, ["a"]), outcome(question, ["a"])) == (Decimal(0), "incorrect")
    assert points(question, ["a", "b", "c"]) == Decimal(0)
    assert outcome(question, "a") == "incorrect"  # a string, not a list


# --- true / false


def test_true_false_needs_a_real_boolean() -> None:
    yes = block({"type": "true_false", "correct": True})
    no = block({"type": "true_false", "correct": False})
    assert (points(yes, True), outcome(yes, True)) == (Decimal(1), "correct")
    assert outcome(yes, False) == "incorrect"
    assert (points(no, False), outcome(no, False)) == (Decimal(1), "correct")
    assert outcome(no, True) == "incorrect"
    assert outcome(yes, 1) == "incorrect"  # 1 == True in Python; not a boolean answer
    assert outcome(yes, "true") == "incorrect"
    assert outcome(no, 0) == "incorrect"


# --- short answer and its matching rules


@pytest.mark.parametrize(
    "answer",
    ["Москва", "  москва  ", "МОСКВА", "\tМосква\n", "Moscow", "moscow"],
)
def test_short_answer_forgives_whitespace_and_case(answer: str) -> None:
    question = short_answer(["Москва", "Moscow"])
    assert (points(question, answer), outcome(question, answer)) == (Decimal(1), "correct")


def test_short_answer_yo_equals_e_both_ways() -> None:
    assert outcome(short_answer(["ёлка"]), "елка") == "correct"
    assert outcome(short_answer(["ёлка"]), "ЁЛКА") == "correct"
    assert outcome(short_answer(["елка"]), "Ёлка") == "correct"
    assert outcome(short_answer(["New York"]), "new   york") == "correct"


def test_short_answer_wrong_and_wrong_types() -> None:
    question = short_answer(["Москва"])
    assert outcome(question, "Питер") == "incorrect"
    assert outcome(question, "Мос ква") == "incorrect"
    assert outcome(question, {"text": "Москва"}) == "incorrect"
    assert outcome(question, ["Москва"]) == "incorrect"
    assert outcome(question, 42) == "incorrect"


def test_short_answer_only_spaces_is_unanswered() -> None:
    result = grade_question(short_answer(["Москва"]), "   ")
    assert result.points == Decimal(0)
    assert result.outcome == "unanswered"


@pytest.mark.parametrize("scoring", ["partial", "all_or_nothing"])
def test_ordering_padded_with_extra_ids_is_not_full_marks(scoring: str) -> None:
    question = ordering(scoring)
    right = [item["id"] for item in question.model_dump()["items"]]
    assert outcome(question, right) == "correct"
    assert outcome(question, [*right, right[0]]) != "correct"
    assert outcome(question, [*right, "unknown"]) != "correct"


@pytest.mark.parametrize(
    ("rule", "accepted", "answer"),
    [
        ("trim", "ёлка", " ёлка "),
        ("case_sensitive", "ёлка", "ЁЛКА"),
        ("yo_equals_e", "ёлка", "елка"),
        ("collapse_spaces", "new york", "new   york"),
    ],
)
def test_short_answer_each_forgiving_rule_can_be_switched_off(
    rule: str, accepted: str, answer: str
) -> None:
    forgiving = short_answer([accepted])
    assert outcome(forgiving, answer) == "correct"
    strict_value = rule == "case_sensitive"  # the others are switched off by False
    strict = short_answer([accepted], **{rule: strict_value})
    assert (points(strict, answer), outcome(strict, answer)) == (Decimal(0), "incorrect")
    assert outcome(strict, accepted) == "correct"  # the exact text still counts


# --- numeric


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ("3.14", "correct"),
        ("3,14", "correct"),  # the Russian decimal comma
        (" 3,14 ", "correct"),
        (3.14, "correct"),
        ("3,15", "correct"),  # exactly at the tolerance
        ("3.13", "correct"),
        ("3,16", "incorrect"),
        ("3.1", "incorrect"),
        ("pi", "incorrect"),
        ("3,14,15", "incorrect"),
        ("NaN", "incorrect"),
        ("Infinity", "incorrect"),
        (float("nan"), "incorrect"),
        (float("inf"), "incorrect"),
        ("3" + "0" * 60, "incorrect"),
        ({"value": "3.14"}, "incorrect"),
        (["3.14"], "incorrect"),
    ],
)
def test_numeric_with_tolerance(answer: object, result: str) -> None:
    assert outcome(numeric("3.14", "0.01"), answer) == result


def test_numeric_exact_and_grouped_digits() -> None:
    assert outcome(numeric("2.5"), "2,50") == "correct"
    assert outcome(numeric("2.5"), "2.51") == "incorrect"
    assert outcome(numeric("-2"), " -2 ") == "correct"
    assert outcome(numeric("3140.5"), "3 140,5") == "correct"
    assert outcome(numeric("3140.5"), "3\u00a0140,5") == "correct"
    assert outcome(numeric("0"), 0) == "correct"  # zero is an answer, not a blank
    assert points(numeric("0"), 0) == Decimal(1)


def test_numeric_bool_is_not_a_number() -> None:
    assert outcome(numeric("1"), 1) == "correct"
    assert outcome(numeric("1"), True) == "incorrect"
    assert outcome(numeric("0"), False) == "incorrect"
    assert parse_number(True) is None
    assert parse_number("3,14") == Decimal("3.14")


# --- matching


def test_matching_partial_and_all_or_nothing() -> None:
    question = matching()
    right = {"p1": "r1", "p2": "r2", "p3": "r3"}
    assert (points(question, right), outcome(question, right)) == (Decimal(3), "correct")
    one = {"p1": "r1", "p2": "r3", "p3": "r2"}
    assert (points(question, one), outcome(question, one)) == (Decimal("1.00"), "partial")
    assert outcome(question, {"p1": "r2", "p2": "r3", "p3": "r1"}) == "incorrect"
    assert points(question, {"p1": "r1", "ghost": "r2"}) == Decimal("1.00")
    strict = matching("all_or_nothing")
    assert points(strict, right) == Decimal(3)
    assert (points(strict, one), outcome(strict, one)) == (Decimal(0), "incorrect")


def test_matching_left_ids_on_the_right_earn_nothing() -> None:
    """Pairing each left id with itself (ids a student can see) is not the answer."""
    assert outcome(matching(), {"p1": "p1", "p2": "p2", "p3": "p3"}) == "incorrect"


def test_matching_rounds_shares_half_up() -> None:
    question = matching(points=1)
    assert points(question, {"p1": "r1"}) == Decimal("0.33")
    assert points(question, {"p1": "r1", "p2": "r2"}) == Decimal("0.67")


# --- ordering


@pytest.mark.parametrize(
    ("answer", "expected", "result"),
    [
        (["a", "b", "c", "d"], "4", "correct"),
        (["b", "a", "c", "d"], "2.00", "partial"),
        (["d", "c", "b", "a"], "0", "incorrect"),
        (["a", "b"], "2.00", "partial"),
        (["a", "ghost", "c", "d"], "3.00", "partial"),
    ],
)
def test_ordering_partial(answer: list[str], expected: str, result: str) -> None:
    question = ordering()
    assert points(question, answer) == Decimal(expected)
    assert outcome(question, answer) == result


def test_ordering_all_or_nothing() -> None:
    question = ordering("all_or_nothing")
    assert points(question, ["a", "b", "c", "d"]) == Decimal(4)
    assert points(question, ["b", "a", "c", "d"]) == Decimal(0)
    assert outcome(question, "abcd") == "incorrect"


# --- fill in the blanks


def test_fill_blanks_partial_and_forgiving() -> None:
    question = fill_blanks()
    both = {"g1": " AM ", "g2": "Ученик"}
    assert (points(question, both), outcome(question, both)) == (Decimal(2), "correct")
    assert points(question, {"g1": "am"}) == Decimal("1.00")
    assert outcome(question, {"g1": "am"}) == "partial"
    assert outcome(question, {"g1": "is", "g2": "teacher"}) == "incorrect"
    assert outcome(question, {"g1": ["am"], "g2": {"x": 1}}) == "incorrect"
    assert outcome(question, {"g1": "", "g2": "  "}) == "incorrect"
    assert outcome(question, "am student") == "incorrect"


def test_fill_blanks_all_or_nothing() -> None:
    question = fill_blanks("all_or_nothing")
    assert points(question, {"g1": "am", "g2": "student"}) == Decimal(2)
    assert (points(question, {"g1": "am"}), outcome(question, {"g1": "am"})) == (
        Decimal(0),
        "incorrect",
    )


def test_fill_blanks_yo_and_each_rule_switched_off() -> None:
    def gap(accepted: str, answer: str, **rules: bool) -> str:
        question = block(
            {
                "type": "fill_blanks",
                "text": "[[g]]",
                "gaps": [{"id": "g", "accepted": [accepted], "matching": rules}],
            }
        )
        return outcome(question, {"g": answer})

    assert gap("ещё", "ЕЩЕ") == "correct"
    assert gap("ещё", "еще") == "correct"
    assert gap("ещё", "еще", yo_equals_e=False) == "incorrect"
    assert gap("ещё", "ЕЩЁ") == "correct"
    assert gap("ещё", "ЕЩЁ", case_sensitive=True) == "incorrect"
    assert gap("ещё", "ещё", case_sensitive=True) == "correct"
    assert gap("ещё", "  ещё ") == "correct"
    assert gap("ещё", "  ещё ", trim=False) == "incorrect"
    assert gap("вот и всё", "вот  и всё") == "correct"
    assert gap("вот и всё", "вот  и всё", collapse_spaces=False) == "incorrect"


# --- essay and whole lessons


def test_essay_waits_for_the_teacher() -> None:
    essay = block({"type": "essay", "points": 5})
    result = grade_question(essay, "My day was fine.")
    assert (result.outcome, result.points, result.max_points) == ("pending", 0, Decimal(5))
    assert outcome(essay, "") == "unanswered"


def test_grade_answers_in_lesson_order_ignoring_unknown_ids() -> None:
    blocks = content_adapter.validate_python(
        [
            {"id": "t", "type": "text", "markdown": "hi"},
            {"id": "q1", "type": "true_false", "prompt": "?", "correct": True},
            {"id": "v", "type": "video", "url": "https://youtu.be/x"},
            {"id": "q2", "type": "numeric", "prompt": "?", "value": "2", "points": 3},
            {"id": "q3", "type": "essay", "prompt": "?"},
        ]
    )
    results = grade_answers(blocks, {"q2": "2,0", "t": "x", "ghost": True, "q1": False})
    assert [(r.block_id, r.outcome, r.points) for r in results] == [
        ("q1", "incorrect", Decimal(0)),
        ("q2", "correct", Decimal(3)),
        ("q3", "unanswered", Decimal(0)),
    ]
    assert results[1].as_json() == {
        "block_id": "q2",
        "points": "3",
        "max_points": "3",
        "outcome": "correct",
    }
