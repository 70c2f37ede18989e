"""The teacher's overview as JSON: what the home page shows."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SessionDep, TeacherActor
from app.schemas.lms.overview import TeacherOverview
from app.services.accounts import users as account_service
from app.services.lms import overview as overview_service

router = APIRouter(prefix="/teacher", tags=["dashboard"])


@router.get("/overview", response_model=TeacherOverview)
async def read_teacher_overview(actor: TeacherActor, session: SessionDep) -> TeacherOverview:
    """What needs doing: work waiting for a grade (oldest first, with the total), due dates of
    the next seven days on the teacher's clock, the latest submissions, students falling behind."""
    zone = await account_service.viewer_zone(session, actor)
    return await overview_service.teacher_overview(session, actor, zone=zone)
