"""Hash partitions of `lesson_assignments` and `assignment_attempts`: 16 of them, and a tenant's
query touches exactly one — pruned at plan time by an explicit `teacher_id = $1`, and at run time
by the RLS policy alone (also for students, and through a generic prepared plan)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import People
from tests.lms.helpers import (
    ClientFactory,
    act_as_teacher,
    assign_one,
    create_lesson,
    ok,
    quiz_lesson,
    student_client,
    teacher_client,
)

PARTITIONS = 16
PARTITIONED = ("lesson_assignments", "assignment_attempts")


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def partition_scans(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    pattern = re.compile(rf"^{table}_p\d{{2}}$")
    return [node for node in plan_nodes(plan) if pattern.match(node.get("Relation Name", ""))]


async def explain(connection: AsyncConnection, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    raw = await connection.scalar(text(sql), params)
    document = json.loads(raw) if isinstance(raw, str) else raw
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


async def partition_of(connection: AsyncConnection, table: str, teacher_id: int) -> str:
    name = await connection.scalar(
        text(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE teacher_id = :t"),
        {"t": teacher_id},
    )
    assert isinstance(name, str)
    return name


async def act_as_student(connection: AsyncConnection, student: StudentRead) -> None:
    await connection.execute(
        text(
            "SELECT set_config('app.teacher_id', :t, true),"
            " set_config('app.role', 'student', true), set_config('app.user_id', :u, true)"
        ),
        {"t": str(student.teacher_id), "u": str(student.user_id)},
    )


async def tenants_with_work(
    people: People, make_client: ClientFactory, count: int = 4
) -> list[tuple[TeacherRead, StudentRead, int]]:
    """A few teachers, each with a student who submitted one assignment."""
    tenants = []
    for _ in range(count):
        teacher, http = await teacher_client(people, make_client)
        student, student_http = await student_client(people, make_client, teacher)
        lesson = await create_lesson(http, quiz_lesson())
        assignment_id = await assign_one(http, lesson["id"], student.id)
        await ok(
            await student_http.post(
                f"/api/v1/assignments/{assignment_id}/submit", json={"answers": {"q1": "b"}}
            )
        )
        tenants.append((teacher, student, assignment_id))
    return tenants


@pytest.fixture
async def tenants(
    people: People, make_client: ClientFactory
) -> list[tuple[TeacherRead, StudentRead, int]]:
    return await tenants_with_work(people, make_client)


async def test_sixteen_hash_partitions_on_teacher_id(connection: AsyncConnection) -> None:
    for table in PARTITIONED:
        children = await connection.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = CAST(:t AS regclass) ORDER BY c.relname"
            ),
            {"t": table},
        )
        assert list(children.all()) == [f"{table}_p{n:02d}" for n in range(PARTITIONS)]
        key = await connection.scalar(
            text("SELECT pg_get_partkeydef(CAST(:t AS regclass))"), {"t": table}
        )
        assert key == "HASH (teacher_id)"
        bounds = await connection.scalars(
            text(
                "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
                " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"
            ),
            {"t": table},
        )
        assert sorted(bounds.all()) == sorted(
            f"FOR VALUES WITH (modulus {PARTITIONS}, remainder {n})" for n in range(PARTITIONS)
        )


async def test_explicit_teacher_id_prunes_to_one_partition_at_plan_time(
    tenants: list[tuple[TeacherRead, StudentRead, int]], connection: AsyncConnection
) -> None:
    for teacher, student, assignment_id in tenants:
        await act_as_teacher(connection, teacher.id)
        expected = await partition_of(connection, "lesson_assignments", teacher.id)
        plan = await explain(
            connection,
            "EXPLAIN (FORMAT JSON) SELECT * FROM lesson_assignments"
            " WHERE teacher_id = :t AND student_id = :s",
            {"t": teacher.id, "s": student.id},
        )
        names = {node["Relation Name"] for node in partition_scans(plan, "lesson_assignments")}
        assert names == {expected}
        attempts_plan = await explain(
            connection,
            "EXPLAIN (FORMAT JSON) SELECT * FROM assignment_attempts"
            " WHERE teacher_id = :t AND assignment_id = :a",
            {"t": teacher.id, "a": assignment_id},
        )
        scanned = {
            n["Relation Name"] for n in partition_scans(attempts_plan, "assignment_attempts")
        }
        assert scanned == {await partition_of(connection, "assignment_attempts", teacher.id)}
        # Pruned while planning: a plain scan of one partition, no Append to prune at run time.
        assert not [n for n in plan_nodes(plan) if n["Node Type"] in ("Append", "Merge Append")]


def executed_partitions(plan: dict[str, Any], table: str) -> tuple[set[str], int]:
    """The partitions of `table` actually scanned, and how many of its subplans were removed
    (counted on the Append over its partitions only, not on appends in policy subqueries)."""
    scanned = {
        node["Relation Name"]
        for node in partition_scans(plan, table)
        if node.get("Actual Loops", 0) > 0
    }
    pattern = re.compile(rf"^{table}_p\d{{2}}$")
    removed = sum(
        node.get("Subplans Removed", 0)
        for node in plan_nodes(plan)
        if node["Node Type"] in ("Append", "Merge Append")
        and any(
            pattern.match(member.get("Relation Name", ""))
            for child in node.get("Plans", [])
            if child.get("Parent Relationship") == "Member"
            for member in plan_nodes(child)
        )
    )
    return scanned, removed


async def test_rls_alone_prunes_to_one_partition_at_run_time(
    tenants: list[tuple[TeacherRead, StudentRead, int]], connection: AsyncConnection
) -> None:
    for teacher, student, assignment_id in tenants:
        await act_as_teacher(connection, teacher.id)
        expected = await partition_of(connection, "lesson_assignments", teacher.id)
        plan = await explain(
            connection,
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM lesson_assignments WHERE student_id = :s",
            {"s": student.id},
        )
        scanned, removed = executed_partitions(plan, "lesson_assignments")
        assert scanned == {expected}, plan
        assert removed == PARTITIONS - 1
        assert plan["Actual Rows"] == 1

        attempts = await explain(
            connection,
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM assignment_attempts"
            " WHERE assignment_id = :a",
            {"a": assignment_id},
        )
        scanned, removed = executed_partitions(attempts, "assignment_attempts")
        assert scanned == {await partition_of(connection, "assignment_attempts", teacher.id)}
        assert removed == PARTITIONS - 1


async def test_rls_prunes_for_a_student_too(
    tenants: list[tuple[TeacherRead, StudentRead, int]], connection: AsyncConnection
) -> None:
    teacher, student, _ = tenants[1]
    await act_as_teacher(connection, teacher.id)
    expected = await partition_of(connection, "lesson_assignments", teacher.id)
    await act_as_student(connection, student)
    plan = await explain(
        connection, "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM lesson_assignments", {}
    )
    scanned, removed = executed_partitions(plan, "lesson_assignments")
    assert scanned == {expected}
    assert removed == PARTITIONS - 1
    assert plan["Actual Rows"] == 1  # the student's own assignment only


async def test_generic_prepared_plan_prunes_at_run_time(
    tenants: list[tuple[TeacherRead, StudentRead, int]], connection: AsyncConnection
) -> None:
    teacher, student, _ = tenants[2]
    await act_as_teacher(connection, teacher.id)
    expected = await partition_of(connection, "lesson_assignments", teacher.id)
    await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    await connection.execute(
        text(
            "PREPARE tenant_list(bigint, bigint) AS SELECT * FROM lesson_assignments"
            " WHERE teacher_id = $1 AND student_id = $2"
        )
    )
    try:
        for sql in (
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE tenant_list({teacher.id}, {student.id})",
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE tenant_list({teacher.id}, {student.id})",
        ):
            plan = await explain(connection, sql, {})
            scanned, removed = executed_partitions(plan, "lesson_assignments")
            assert scanned == {expected}
            assert removed == PARTITIONS - 1
    finally:
        await connection.execute(text("DEALLOCATE tenant_list"))


async def test_no_tenant_no_rows_and_system_sees_one_tenant_at_a_time(
    tenants: list[tuple[TeacherRead, StudentRead, int]], connection: AsyncConnection
) -> None:
    teacher, _, assignment_id = tenants[3]
    await connection.execute(
        text(
            "SELECT set_config('app.teacher_id', '', true), set_config('app.role', 'system', true),"
            " set_config('app.user_id', '', true)"
        )
    )
    assert await connection.scalar(text("SELECT count(*) FROM lesson_assignments")) == 0
    await connection.execute(
        text("SELECT set_config('app.teacher_id', :t, true)"), {"t": str(teacher.id)}
    )
    ids = await connection.scalars(text("SELECT id FROM lesson_assignments"))
    assert list(ids.all()) == [assignment_id]
    await connection.execute(text("SELECT set_config('app.role', '', true)"))
    assert await connection.scalar(text("SELECT count(*) FROM lesson_assignments")) == 0
