"""Assignments: teachers assign and grade; students work and submit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import (
    CurrentActor,
    IdPath,
    IdQuery,
    PaginationDep,
    SessionDep,
    StudentActor,
    TeacherActor,
)
from app.core.errors import Forbidden
from app.core.i18n import N_
from app.models.lms import AssignmentStatus
from app.models.users import Role
from app.schemas.common import Page
from app.schemas.lms import (
    AssignmentBucket,
    AssignmentStudentView,
    AssignmentSummary,
    AssignmentTeacherView,
    AssignRequest,
    AssignResult,
    DueDateChange,
    DueDateChanged,
    GradeRequest,
    SaveProgress,
    SubmitRequest,
)
from app.services.lms import assigning as assigning_service
from app.services.lms import assignments as assignment_service
from app.services.lms import reviews as review_service
from app.services.lms import student_work

router = APIRouter(prefix="/assignments", tags=["assignments"])


@router.get("", response_model=Page[AssignmentSummary])
async def list_assignments(
    actor: CurrentActor,
    session: SessionDep,
    page: PaginationDep,
    bucket: AssignmentBucket | None = None,
    student_id: IdQuery = None,
    lesson_id: IdQuery = None,
    assignment_status: Annotated[AssignmentStatus | None, Query(alias="status")] = None,
) -> Page[AssignmentSummary]:
    """A student's own assignments (`bucket`: todo, done, overdue) or a teacher's, filtered by
    student, lesson or status, with progress."""
    items, total = await assignment_service.list_assignments(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        bucket=bucket,
        student_id=student_id,
        lesson_id=lesson_id,
        status=assignment_status,
    )
    return Page[AssignmentSummary].build(items, total, page)


@router.post("", response_model=AssignResult, status_code=status.HTTP_201_CREATED)
async def assign_lesson(
    body: AssignRequest, actor: TeacherActor, session: SessionDep
) -> AssignResult:
    """Assign a lesson to students and groups in one request (repeats change nothing). A past
    `due_at` is 422 unless `allow_past`; students who had it keep their date unless
    `update_due_at` (`due_kept` counts them)."""
    return await assigning_service.assign(session, actor, body)


@router.patch("/{assignment_id}", response_model=DueDateChanged)
async def change_assignment_due_date(
    assignment_id: IdPath, body: DueDateChange, actor: TeacherActor, session: SessionDep
) -> DueDateChanged:
    """Move one student's due date (null: no due date); a past date needs `allow_past`."""
    return await assigning_service.change_due_date(
        session, actor, body, assignment_id=assignment_id
    )


@router.delete(
    "/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "The student handed in work: the assignment stays"}},
)
async def unassign_lesson(
    assignment_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Take the lesson back from the student; refused (409) once they handed in an attempt,
    so work is never lost. Answers saved but not submitted are deleted with it."""
    await assigning_service.unassign(session, actor, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{assignment_id}", response_model=AssignmentStudentView | AssignmentTeacherView)
async def get_assignment(
    assignment_id: IdPath, actor: CurrentActor, session: SessionDep
) -> AssignmentStudentView | AssignmentTeacherView:
    """A student gets the lesson without answer keys; the teacher gets everything."""
    if actor.role is Role.STUDENT:
        return await assignment_service.get_for_student(session, actor, assignment_id)
    if actor.role is Role.TEACHER:
        return await assignment_service.get_for_teacher(session, actor, assignment_id)
    raise Forbidden(N_("Your role cannot do this"))


@router.put("/{assignment_id}/progress", response_model=AssignmentStudentView)
async def save_progress(
    assignment_id: IdPath, body: SaveProgress, actor: StudentActor, session: SessionDep
) -> AssignmentStudentView:
    """Autosave the student's answers, the blocks seen and the time spent."""
    return await student_work.save_progress(session, actor, assignment_id, body)


@router.post("/{assignment_id}/submit", response_model=AssignmentStudentView)
async def submit_assignment(
    assignment_id: IdPath, body: SubmitRequest, actor: StudentActor, session: SessionDep
) -> AssignmentStudentView:
    """Submit the current attempt; auto-graded at once, essays wait for the teacher.
    Submitting the same attempt again returns the same result."""
    return await student_work.submit(session, actor, assignment_id, body)


@router.post("/{assignment_id}/attempts", response_model=AssignmentStudentView)
async def start_new_attempt(
    assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> AssignmentStudentView:
    """Start another attempt when the lesson allows more."""
    return await student_work.start_new_attempt(session, actor, assignment_id)


@router.post("/{assignment_id}/grade", response_model=AssignmentTeacherView)
async def grade_assignment(
    assignment_id: IdPath, body: GradeRequest, actor: TeacherActor, session: SessionDep
) -> AssignmentTeacherView:
    """Set points per question (recorded with who and when), feedback, and whether the student
    sees the correct answers."""
    return await review_service.grade(session, actor, assignment_id, body)
