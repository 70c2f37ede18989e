"""Answer keys never reach a student: every student-facing response is walked for key fields and
key-only strings, through a whole life cycle (list, open, autosave, submit, retry, graded,
another attempt); only a teacher's `show_correct_answers` reveals them, and then only in
`revealed`."""

from __future__ import annotations

import httpx

from app.api.lms.block_forms import form_to_block
from app.schemas.accounts import TeacherRead
from app.schemas.lms.blocks import content_adapter
from tests.conftest import People, login_as
from tests.lms.helpers import (
    MATCH_PAIRS,
    ORDER_ITEMS,
    QUESTION_IDS,
    ClientFactory,
    Json,
    assign_one,
    blocks_by_id,
    create_lesson,
    full_lesson,
    key_material,
    ok,
    student_client,
)

LESSON_ORDER_RIGHT = [right for _, _, right in MATCH_PAIRS]
CORRECT_ORDER = [item_id for item_id, _ in ORDER_ITEMS]


def right_answers(lesson: Json) -> Json:
    """What a student who knows everything would answer (the essay aside)."""
    blocks = {block["id"]: block for block in lesson["content"]}
    return {
        "sc": "o4",
        "mc": ["m2", "m5"],
        "tf": True,
        "sa": " paris ",
        "num": "271828,182845",
        "mat": {pair["id"]: pair["right_id"] for pair in blocks["mat"]["pairs"]},
        "ord": CORRECT_ORDER,
        "fb": {"g1": "AM", "g2": "guess"},
        "es": "My day was long.",
    }


def assert_no_keys(body: Json, what: str) -> None:
    assert key_material(body) == [], what
    assert body.get("revealed") is None, what
    if "blocks" not in body:
        return
    blocks = blocks_by_id(body)
    ordering = [item["id"] for item in blocks["ord"]["items"]]
    assert sorted(ordering) == sorted(CORRECT_ORDER), what
    assert ordering != CORRECT_ORDER, what
    matching = blocks["mat"]
    left_ids = {item["id"] for item in matching["left"]}
    right_ids = [item["id"] for item in matching["right"]]
    assert len(set(right_ids)) == len(MATCH_PAIRS), what
    assert not left_ids & set(right_ids), f"{what}: the right column reuses the left ids"
    assert sorted(item["text"] for item in matching["right"]) == sorted(LESSON_ORDER_RIGHT)
    assert set(blocks) >= set(QUESTION_IDS), what


async def setup(
    client: httpx.AsyncClient, people: People, **settings: object
) -> tuple[TeacherRead, Json]:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, full_lesson(**settings))
    # The walk does find keys where they are: the teacher's own read is full of them.
    assert key_material(lesson) != []
    return teacher, lesson


async def test_no_answer_keys_in_any_student_response(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher, lesson = await setup(client, people, attempt_limit=2)
    student, http = await student_client(people, make_client, teacher)
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"
    answers = right_answers(lesson)

    async def check(response: httpx.Response, what: str) -> Json:
        body = await ok(response)
        assert_no_keys(body, what)
        return body

    listed = await check(await http.get("/api/v1/assignments"), "list")
    assert listed["total"] == 1
    for item in listed["items"]:
        assert_no_keys(item, "list item")
    for name in ("todo", "overdue"):
        for item in (await ok(await http.get(f"/api/v1/assignments?bucket={name}")))["items"]:
            assert_no_keys(item, name)
    opened = await check(await http.get(base), "open")
    assert [block["id"] for block in opened["blocks"]] == [b["id"] for b in lesson["content"]]
    half = {key: answers[key] for key in ("sc", "mat", "ord")}
    await check(await http.put(f"{base}/progress", json={"answers": half}), "autosave")
    submitted = await check(
        await http.post(f"{base}/submit", json={"answers": answers}), "submit (essay pending)"
    )
    assert submitted["status"] == "submitted"
    outcomes = {r["block_id"]: r["outcome"] for r in submitted["results"]}
    assert outcomes == {
        "sc": "correct",
        "mc": "correct",
        "tf": "correct",
        "sa": "correct",
        "num": "correct",
        "mat": "correct",
        "ord": "correct",
        "fb": "partial",
        "es": "pending",
    }
    await check(await http.post(f"{base}/submit", json={}), "submit retry")
    await check(await http.get(base), "open after submit")

    graded = await client.post(
        f"{base}/grade", json={"scores": {"es": 5}, "show_correct_answers": False}
    )
    assert (await ok(graded))["status"] == "graded"
    hidden = await check(await http.get(base), "graded, keys hidden")
    assert hidden["status"] == "graded"
    for item in (await ok(await http.get("/api/v1/assignments?bucket=done")))["items"]:
        assert_no_keys(item, "done")

    second = await check(await http.post(f"{base}/attempts"), "new attempt")
    assert second["attempt_no"] == 2
    await check(
        await http.put(f"{base}/progress", json={"answers": {"sc": "o3"}}), "autosave attempt 2"
    )
    await check(await http.post(f"{base}/submit", json={}), "submit attempt 2")
    refused = await http.post(f"{base}/attempts")
    assert refused.status_code == 409
    assert key_material(refused.json()) == []


async def test_keys_are_revealed_only_when_the_teacher_shows_them(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher, lesson = await setup(client, people)
    student, http = await student_client(people, make_client, teacher)
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"
    await ok(await http.post(f"{base}/submit", json={"answers": right_answers(lesson)}))

    # Shown, but the essay is still pending: not graded yet, so nothing is revealed.
    await ok(await client.post(f"{base}/grade", json={"show_correct_answers": True}))
    assert_no_keys(await ok(await http.get(base)), "shown but not graded")

    await ok(await client.post(f"{base}/grade", json={"scores": {"es": 3}}))
    shown = await ok(await http.get(base))
    assert shown["status"] == "graded"
    assert key_material(shown, allow_revealed=True) == []  # the blocks themselves stay clean
    revealed = {block["id"]: block for block in shown["revealed"]}
    assert set(revealed) == set(QUESTION_IDS)
    assert revealed["sc"]["correct"] == "o4"
    assert revealed["sc"]["explanation"] == "KEY-EXPLANATION-SC"
    assert revealed["mc"]["correct"] == ["m2", "m5"]
    assert revealed["tf"]["correct"] is True
    assert revealed["sa"]["accepted"] == ["Paris", "KEY-SHORT-ANSWER"]
    assert (revealed["num"]["value"], revealed["num"]["tolerance"]) == (
        "271828.182845",
        "0.0123456789",
    )
    assert [pair["right_id"] for pair in revealed["mat"]["pairs"]] == [
        pair["right_id"] for pair in lesson["content"][10]["pairs"]
    ]
    assert [item["id"] for item in revealed["ord"]["items"]] == CORRECT_ORDER
    assert revealed["fb"]["gaps"][1]["accepted"] == ["KEY-GAP"]

    await ok(await client.post(f"{base}/grade", json={"show_correct_answers": False}))
    assert_no_keys(await ok(await http.get(base)), "hidden again")


async def test_the_right_column_is_shuffled_and_stable_per_student(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher, lesson = await setup(client, people, shuffle_options=True)
    orders: list[list[str]] = []
    for _ in range(3):
        student, http = await student_client(people, make_client, teacher)
        assignment_id = await assign_one(client, lesson["id"], student.id)
        first = await ok(await http.get(f"/api/v1/assignments/{assignment_id}"))
        again = await ok(await http.get(f"/api/v1/assignments/{assignment_id}"))
        assert first["blocks"] == again["blocks"]  # the same order on every reload
        assert_no_keys(first, "shuffled")
        right = [item["text"] for item in blocks_by_id(first)["mat"]["right"]]
        orders.append(right)
    # Each order is random; all three equal to the lesson's order would mean no shuffling.
    assert any(order != LESSON_ORDER_RIGHT for order in orders)


def test_builder_ordering_item_ids_do_not_follow_the_correct_order() -> None:
    """Students get ordering items shuffled under their ids: the lesson builder must not number
    them in the correct order (i1, i2, ...)."""
    form = {"prompt": "Order", "items": "first\nsecond\nthird\nfourth"}
    one = form_to_block("ordering", "ord", form)
    two = form_to_block("ordering", "ord", form)
    content_adapter.validate_python([one])
    assert [item["text"] for item in one["items"]] == ["first", "second", "third", "fourth"]
    ids = [item["id"] for item in one["items"]]
    assert len(set(ids)) == 4
    # Not derived from the position: the same form gives new ids every time.
    assert not set(ids) & {item["id"] for item in two["items"]}
