"""What a teacher should do next (their home page) and how one student's scores went.

The overview is four short lists, each one bounded statement of the repository (read through
existing indexes, never the tenant's whole history):

- waiting for a grade: submitted work, oldest first, with how many wait in all;
- due this week: assignments never submitted and due from now to the end of the seventh day
  (today included) on the teacher's clock;
- recent submissions: the latest ones, graded or not, with their score;
- falling behind: active students with overdue work (past due and never submitted), or whose
  mean counted score over the lessons graded in the last 30 days (by submission date) is below
  50 %. Thirty days, not all time, so that a student who has improved drops off the list and
  the page never aggregates years of work.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc, on_wall_clock
from app.models.users import Role
from app.schemas.lms import AssignmentSummary, PersonBrief
from app.schemas.lms.overview import ScorePoint, StudentBehind, TeacherOverview
from app.services.lms import repository
from app.services.lms.assignments import summary_fields
from app.services.scoping import require_role, tenant_params

WAITING_SIZE = 10
DUE_SIZE = 10
BEHIND_SIZE = 10
DUE_DAYS = 7
SCORE_WINDOW = timedelta(days=30)
LOW_SCORE_PERCENT = Decimal(50)
SCORE_POINTS = 50
PERCENT = Decimal("0.1")


def due_until(now: datetime, zone: tzinfo) -> datetime:
    """The end of the `DUE_DAYS`-th day, today included, on a clock in `zone` (in UTC)."""
    today = on_wall_clock(now, zone).date()
    end = datetime.combine(today + timedelta(days=DUE_DAYS), time(), tzinfo=zone)
    return end.astimezone(UTC)


def _percent(score: Decimal | None, max_score: Decimal | None) -> Decimal | None:
    if score is None or not max_score:
        return None
    return (score * 100 / max_score).quantize(PERCENT)


async def teacher_overview(session: AsyncSession, actor: Actor, *, zone: tzinfo) -> TeacherOverview:
    """The teacher's to-do lists (see the module docstring); `zone` is the teacher's time zone.
    Teacher only."""
    require_role(actor, Role.TEACHER)
    now = now_utc()
    until = due_until(now, zone)
    since = now - SCORE_WINDOW

    def summaries(rows: list[Any]) -> list[AssignmentSummary]:
        return [AssignmentSummary.model_validate(summary_fields(row, now)) for row in rows]

    waiting = list(
        await session.execute(repository.OVERVIEW_WAITING, tenant_params(actor, limit=WAITING_SIZE))
    )
    due = list(
        await session.execute(
            repository.OVERVIEW_DUE, tenant_params(actor, now=now, until=until, limit=DUE_SIZE)
        )
    )
    recent = list(await session.execute(repository.OVERVIEW_RECENT, tenant_params(actor)))
    behind = list(
        await session.execute(
            repository.OVERVIEW_BEHIND,
            tenant_params(
                actor, now=now, since=since, low_percent=LOW_SCORE_PERCENT, limit=BEHIND_SIZE
            ),
        )
    )
    return TeacherOverview(
        waiting=summaries(waiting),
        waiting_total=waiting[0].total if waiting else 0,
        due_soon=summaries(due),
        due_until=until,
        recent=summaries(recent),
        behind=[
            StudentBehind(
                student=PersonBrief(id=row.student_id, surname=row.surname, name=row.name),
                overdue=row.overdue,
                average_percent=(
                    None if row.average_percent is None else row.average_percent.quantize(PERCENT)
                ),
            )
            for row in behind
        ],
        behind_total=behind[0].total if behind else 0,
        scores_since=since,
        low_score_percent=LOW_SCORE_PERCENT,
    )


async def score_history(
    session: AsyncSession, actor: Actor, student_id: int, *, limit: int = SCORE_POINTS
) -> list[ScorePoint]:
    """One student's submitted attempts, oldest first (the latest `limit` of them); another
    teacher's student has none. Teacher only."""
    require_role(actor, Role.TEACHER)
    rows = await session.execute(
        repository.SCORE_HISTORY, tenant_params(actor, student_id=student_id, limit=limit)
    )
    points = [
        ScorePoint(
            assignment_id=row.assignment_id,
            lesson_id=row.lesson_id,
            lesson_title=row.lesson_title,
            attempt_no=row.attempt_no,
            submitted_at=row.submitted_at,
            graded=row.graded_at is not None,
            score=row.score,
            max_score=row.max_score,
            percent=_percent(row.score, row.max_score) if row.graded_at is not None else None,
        )
        for row in rows
    ]
    points.reverse()
    return points
