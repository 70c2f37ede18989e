"""The own account's pages, for every role: open logins ("log out everywhere else") and the
password change, which is also where a one-time password's login is sent until it is replaced."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import ClientDep, CurrentActor, SessionDep, SettingsDep
from app.api.forms import parse_form, read_form, rerender_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.i18n import N_
from app.schemas.accounts import PasswordChange
from app.services.accounts import self_service
from app.services.accounts import users as accounts

router = APIRouter(prefix="/account")

ACCOUNT_PAGE = "account/account.html"
PASSWORD_FORM = "account/password.html"  # noqa: S105 - a template
PASSWORD_CHANGED = N_("Your password has been changed; your other sessions have ended")
OTHERS_ENDED = N_("Other sessions ended: {count}")


async def _password_context(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    me = await accounts.get_me(session, actor)
    return {"forced": me.must_change_password}


@router.get("", response_class=HTMLResponse)
async def account_page(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    """The own account: open logins, the password."""
    me = await accounts.get_me(session, actor)
    return render(
        request,
        ACCOUNT_PAGE,
        {
            "me": me,
            "sessions": await self_service.list_sessions(session, actor),
            "zone": await accounts.viewer_zone(session, actor),
        },
    )


@router.post("/sessions/end-others", response_class=HTMLResponse)
async def end_other_sessions_submit(
    request: Request, actor: CurrentActor, session: SessionDep, client: ClientDep
) -> Response:
    """Log out everywhere else."""
    ended = await self_service.end_other_sessions(session, actor, client=client)
    return redirect_with_flash(request, "/account", tr(request, OTHERS_ENDED).format(count=ended))


@router.get("/password", response_class=HTMLResponse)
async def password_page(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    """The password change form (with a one-time password: why it must be changed first)."""
    context = await _password_context(session, actor)
    return render(request, PASSWORD_FORM, {**context, "values": {}, "errors": {}})


@router.post("/password", response_class=HTMLResponse)
async def password_submit(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """Change the password; a wrong field shows the form again with its message."""
    values = await read_form(request)

    async def context(fresh: AsyncSession, _error: Exception) -> dict[str, Any]:
        return await _password_context(fresh, actor)

    rerender_on_error(request, PASSWORD_FORM, values=values, context=context)
    forced = (await _password_context(session, actor))["forced"]
    data = parse_form(PasswordChange, values, optional_blank=False)
    await self_service.change_password(session, actor, settings, data, client=client)
    # A one-time password's login goes on to where it was kept from; anyone else back here.
    return redirect_with_flash(
        request, "/dashboard" if forced else "/account", tr(request, PASSWORD_CHANGED)
    )
