"""Superuser pages: the teacher list, create a teacher, edit a teacher."""

from __future__ import annotations

from app.api.deps import SuperuserActor
from app.api.people_pages import PeoplePages, PeopleService, people_router
from app.core.i18n import N_
from app.schemas.accounts import TeacherCreate, TeacherUpdate
from app.services.admin import teachers as teacher_service

TEACHER_PAGES = PeoplePages(
    list_url="/superuser/teachers",
    new_url="/superuser/create-teacher",
    title=N_("Teachers"),
    new_title=N_("New teacher"),
    edit_title=N_("Edit teacher"),
    create_label=N_("Create teacher"),
    created=N_("Teacher {name} created"),
    table="admin/_teacher_table.html",
    create_schema=TeacherCreate,
    update_schema=TeacherUpdate,
    service=PeopleService(
        list=teacher_service.list_teachers,
        get=teacher_service.get_teacher,
        create=teacher_service.create_teacher,
        update=teacher_service.update_teacher,
        issue_one_time_password=teacher_service.issue_one_time_password,
    ),
)
router = people_router(TEACHER_PAGES, SuperuserActor, prefix="/superuser", id_name="teacher_id")
