"""Teacher pages: the student list, create a student, edit a student."""

from __future__ import annotations

from app.api.deps import TeacherActor
from app.api.people_pages import PeoplePages, PeopleService, people_router
from app.core.i18n import N_
from app.schemas.accounts import StudentCreate, StudentUpdate
from app.services.accounts import students as student_service

STUDENT_PAGES = PeoplePages(
    list_url="/students",
    new_url="/students/new",
    title=N_("Students"),
    new_title=N_("New student"),
    edit_title=N_("Edit student"),
    create_label=N_("Create student"),
    created=N_("Student {name} created"),
    table="accounts/_student_table.html",
    create_schema=StudentCreate,
    update_schema=StudentUpdate,
    service=PeopleService(
        list=student_service.list_students_with_progress,
        get=student_service.get_student,
        create=student_service.create_student,
        update=student_service.update_student,
        issue_one_time_password=student_service.issue_one_time_password,
    ),
)
router = people_router(STUDENT_PAGES, TeacherActor, prefix="/students", id_name="student_id")
