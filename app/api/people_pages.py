"""The person pages that teachers (managed by the superuser) and students (managed by their
teacher) share: a searchable list, a create form and an edit form. Each feature describes what
differs in a `PeoplePages` and gets its router from `people_router`.

No `from __future__ import annotations` here: the routes are built inside `people_router`, and
FastAPI must see their dependency annotations (the feature's actor) as objects, not strings.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import ClientDep, SearchQuery, SessionDep, SettingsDep
from app.api.forms import ContextLoader, parse_form, read_form, rerender_on_error, update_form_data
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.config import Settings
from app.schemas.accounts import OneTimePasswordRead
from app.schemas.common import MAX_ID, Pagination

PERSON_FORM = "people/person_form.html"
PERSON_LIST = "people/person_list.html"
# Shows a freshly issued one-time password, the only time it is shown.
ONE_TIME_PASSWORD_PAGE = "account/one_time_password.html"  # noqa: S105 - a template
PAGE_SIZE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class Person(Protocol):
    id: int
    name: str
    surname: str

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PeopleService:
    """The feature's service functions the pages call (same signatures for both features)."""

    list: Callable[..., Awaitable[tuple[list[Any], int]]]
    get: Callable[[AsyncSession, Actor, int], Awaitable[Any]]
    create: Callable[[AsyncSession, Actor, Settings, Any], Awaitable[Any]]
    update: Callable[[AsyncSession, Actor, Settings, int, Any], Awaitable[Any]]
    # (session, actor, settings, person id, client=...) -> OneTimePasswordRead
    issue_one_time_password: Callable[..., Awaitable[OneTimePasswordRead]]


@dataclass(frozen=True, slots=True)
class PeoplePages:
    """What differs between the teacher pages and the student pages (msgids are translated in
    the templates and by `tr`)."""

    list_url: str
    new_url: str
    title: str
    new_title: str
    edit_title: str
    create_label: str
    created: str  # the flash after creating, with {name}
    # The list's table, included with the people as `people`.
    table: str
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    service: PeopleService

    def edit_url(self, person_id: int) -> str:
        return f"{self.list_url}/{person_id}/edit"


def _context(pages: PeoplePages, person: Person | None) -> dict[str, Any]:
    action = pages.edit_url(person.id) if person is not None else pages.new_url
    return {"pages": pages, "person": person, "action": action}


def _form_page(request: Request, pages: PeoplePages, person: Person | None) -> Response:
    values = person.model_dump(mode="json") if person is not None else {}
    return render(request, PERSON_FORM, {**_context(pages, person), "values": values, "errors": {}})


async def _submit(
    request: Request,
    pages: PeoplePages,
    person: Person | None,
    save: Callable[[Any], Awaitable[str]],
) -> Response:
    """Valid input is saved and answered with 303 to the list and the flash message `save`
    returns; a wrong field re-renders the form with a message at each field (422, or 409 for a
    taken e-mail). The typed password is never echoed back."""
    values = await read_form(request)

    async def context(session: AsyncSession, error: Exception) -> dict[str, Any]:
        return _context(pages, person)

    loader: ContextLoader = context
    rerender_on_error(request, PERSON_FORM, values=values, context=loader)
    if person is None:
        data = parse_form(pages.create_schema, values)
    else:
        data = parse_form(pages.update_schema, update_form_data(values), optional_blank=False)
    return redirect_with_flash(request, pages.list_url, await save(data))


def path(url: str, prefix: str) -> str:
    return url.removeprefix(prefix)


def people_router(
    pages: PeoplePages, actor_dependency: Any, *, prefix: str, id_name: str
) -> APIRouter:
    """The list, create and edit pages at `pages`' URLs, for callers `actor_dependency` lets in
    (e.g. `SuperuserActor`); `prefix` is the common start of those URLs, `id_name` what the
    person's id is called in them (`teacher_id`)."""
    router = APIRouter(prefix=prefix)
    service = pages.service
    person_id_path = Annotated[int, Path(alias=id_name, gt=0, le=MAX_ID)]
    edit_path = path(pages.list_url, prefix) + "/{" + id_name + "}/edit"

    @router.get(path(pages.list_url, prefix), response_class=HTMLResponse)
    async def person_list_page(
        request: Request,
        actor: actor_dependency,
        session: SessionDep,
        q: SearchQuery = None,
        offset: Offset = 0,
    ) -> Response:
        """The people, searchable, a page at a time."""
        page = Pagination(limit=PAGE_SIZE, offset=offset)
        people, total = await service.list(
            session, actor, limit=page.limit, offset=page.offset, search=q
        )
        return render(
            request,
            PERSON_LIST,
            {"pages": pages, "people": people, "total": total, "q": q or "", "page": page},
        )

    @router.get(path(pages.new_url, prefix), response_class=HTMLResponse)
    async def create_person_page(request: Request, actor: actor_dependency) -> Response:
        """The form for a new person."""
        return _form_page(request, pages, None)

    @router.post(path(pages.new_url, prefix), response_class=HTMLResponse)
    async def create_person_submit(
        request: Request, actor: actor_dependency, session: SessionDep, settings: SettingsDep
    ) -> Response:
        """Create the person, or show the form again with a message at each wrong field."""

        async def save(data: Any) -> str:
            person = await service.create(session, actor, settings, data)
            return tr(request, pages.created).format(name=f"{person.name} {person.surname}")

        return await _submit(request, pages, None, save)

    @router.get(edit_path, response_class=HTMLResponse)
    async def edit_person_page(
        request: Request, person_id: person_id_path, actor: actor_dependency, session: SessionDep
    ) -> Response:
        """The edit form for one person (404 for anyone the actor may not manage)."""
        return _form_page(request, pages, await service.get(session, actor, person_id))

    @router.post(edit_path, response_class=HTMLResponse)
    async def edit_person_submit(
        request: Request,
        person_id: person_id_path,
        actor: actor_dependency,
        session: SessionDep,
        settings: SettingsDep,
    ) -> Response:
        """Save the changes (a blank password keeps the old one)."""
        person = await service.get(session, actor, person_id)

        async def save(data: Any) -> str:
            await service.update(session, actor, settings, person_id, data)
            return tr(request, "Changes saved")

        return await _submit(request, pages, person, save)

    @router.post(
        path(pages.list_url, prefix) + "/{" + id_name + "}/one-time-password",
        response_class=HTMLResponse,
    )
    async def issue_one_time_password_submit(
        request: Request,
        person_id: person_id_path,
        actor: actor_dependency,
        session: SessionDep,
        settings: SettingsDep,
        client: ClientDep,
    ) -> Response:
        """Issue a one-time password and show it, this once (the answer is never cached)."""
        person = await service.get(session, actor, person_id)
        issued = await service.issue_one_time_password(
            session, actor, settings, person_id, client=client
        )
        return render(
            request,
            ONE_TIME_PASSWORD_PAGE,
            {"person": person, "password": issued.password, "back_url": pages.edit_url(person_id)},
        )

    return router
