"""One error path for pages: a domain error in an HTML request rolls the request's transaction
back first, then answers as the page declared (its form again, or a flash message)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.api.deps import SessionDep, TeacherActor
from app.api.forms import read_form, redirect_on_error, rerender_on_error
from app.core.database import Database
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import gettext_for
from app.schemas.lms import FolderCreate
from app.services.lms import events
from app.services.lms import folders as folder_service
from tests.conftest import People
from tests.lms.helpers import act_as_teacher, quiz_lesson
from tests.pages.helpers import browser_login, lesson_for_student, post_form

REFUSED = "Folders are closed today"


def add_failing_routes(app: FastAPI) -> None:
    """Two page POSTs that write a folder and then fail, one declaring a flash, one its form."""

    @app.post("/test/folder-then-flash")
    async def folder_then_flash(
        request: Request, actor: TeacherActor, session: SessionDep
    ) -> Response:
        redirect_on_error(request, "/lessons")
        await folder_service.create_folder(session, actor, FolderCreate(name="Written first"))
        raise InvalidInput(REFUSED, field="name")

    @app.post("/test/folder-then-form")
    async def folder_then_form(
        request: Request, actor: TeacherActor, session: SessionDep
    ) -> Response:
        values = await read_form(request)

        async def context(session: AsyncSession, error: Exception) -> dict[str, Any]:
            # The fresh transaction after the rollback no longer sees the folder.
            folders = await folder_service.list_folders(session, actor)
            return {"folders": folders, "lesson": None}

        rerender_on_error(request, "lms/lesson_form.html", values=values, context=context)
        await folder_service.create_folder(session, actor, FolderCreate(name="Written first"))
        raise Conflict(REFUSED, field="title")


async def folder_names(connection: AsyncConnection, teacher_id: int) -> list[str]:
    await act_as_teacher(connection, teacher_id)
    rows = await connection.execute(
        text("SELECT name FROM folders WHERE teacher_id = :t ORDER BY name"), {"t": teacher_id}
    )
    return [row[0] for row in rows]


async def test_a_page_post_failing_after_a_write_leaves_nothing_behind(
    app: FastAPI, people: People, make_client: Any, connection: AsyncConnection
) -> None:
    add_failing_routes(app)
    teacher = await people.teacher()
    browser: httpx.AsyncClient = make_client()
    await browser_login(browser, teacher.email)

    flashed = await post_form(browser, "/test/folder-then-flash", [])
    assert flashed.status_code == 303
    assert flashed.headers["location"] == "/lessons"
    library = await browser.get("/lessons")
    assert REFUSED in library.text  # the flash, shown once on the next page
    assert await folder_names(connection, teacher.id) == []

    form = await post_form(
        browser, "/test/folder-then-form", [("title", "My typed title"), ("password", "secret")]
    )
    assert form.status_code == 409
    assert REFUSED in form.text
    assert 'value="My typed title"' in form.text  # what the person typed is kept
    assert "secret" not in form.text  # a secret field is never echoed
    assert "Written first" not in form.text
    assert await folder_names(connection, teacher.id) == []


async def test_a_missing_object_is_still_a_404_page_whatever_the_form_declared(
    people: People, make_client: Any
) -> None:
    teacher = await people.teacher()
    browser: httpx.AsyncClient = make_client()
    await browser_login(browser, teacher.email)
    response = await post_form(browser, "/groups/987654/rename", [("name", "New name")])
    assert response.status_code == 404
    assert gettext_for("ru", "Group not found") in response.text


async def test_a_submit_whose_event_handler_fails_is_rolled_back_on_the_page_too(
    people: People, make_client: Any, database: Database, connection: AsyncConnection
) -> None:
    """The player page answers a refused submission with a flash; before, the page caught the
    error and the request committed the half-done submission."""
    _, student_browser, assignment_id = await lesson_for_student(people, make_client, quiz_lesson())

    async def refuse(session: AsyncSession, event: events.AssignmentEvent) -> None:
        raise Conflict(REFUSED)

    database.events.subscribe(events.AssignmentEvent, refuse)
    try:
        response = await post_form(
            student_browser,
            f"/assignments/{assignment_id}/submit",
            [("answer.q1", "o1"), ("attempt_no", "1")],
        )
    finally:
        database.events.unsubscribe(events.AssignmentEvent, refuse)
    assert response.status_code == 303
    page = await student_browser.get(f"/assignments/{assignment_id}")
    assert REFUSED in page.text
    attempts = await connection.execute(
        text("SELECT count(*) FROM assignment_attempts WHERE assignment_id = :a"),
        {"a": assignment_id},
    )
    assert attempts.scalar_one() == 0
    status = await connection.execute(
        text("SELECT status, attempts_used FROM lesson_assignments WHERE id = :a"),
        {"a": assignment_id},
    )
    assert tuple(status.one()) == ("assigned", 0)
