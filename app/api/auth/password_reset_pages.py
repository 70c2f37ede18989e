"""Password reset pages: ask for the link by e-mail, then choose the new password. Public, and
run as the system actor in a unit of work of their own, like the JSON routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import ClientDep, DatabaseDep, SettingsDep
from app.api.forms import parse_form, read_form, rerender_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.i18n import N_
from app.schemas.accounts import PasswordResetConfirm, PasswordResetRequest
from app.services.auth import password_reset as reset_service

router = APIRouter(prefix="/auth/reset")

REQUEST_FORM = "auth/reset_request.html"
CONFIRM_FORM = "auth/reset_confirm.html"
NEW_PASSWORD_SET = N_("Your new password is set; log in with it")
TokenPath = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("", response_class=HTMLResponse)
async def reset_request_page(request: Request, settings: SettingsDep) -> Response:
    """The form that asks for the e-mail."""
    reset_service.require_available(settings)
    return render(request, REQUEST_FORM, {"values": {}, "errors": {}})


@router.post("", response_class=HTMLResponse)
async def reset_request_submit(
    request: Request, database: DatabaseDep, settings: SettingsDep, client: ClientDep
) -> Response:
    """Mail the link (if the e-mail is an account's); the answer never says whether it is."""
    reset_service.require_available(settings)
    values = await read_form(request)
    rerender_on_error(request, REQUEST_FORM, values=values)
    data = parse_form(PasswordResetRequest, values)
    async with (
        reset_service.uniform_duration(),
        database.transaction(Actor.system()) as session,
    ):
        await reset_service.request_reset(session, settings, data.email, client=client)
    return redirect_with_flash(request, "/auth/login", tr(request, reset_service.RESET_REQUESTED))


@router.get("/{token}", response_class=HTMLResponse)
async def reset_confirm_page(
    request: Request, token: TokenPath, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """The new-password form, or why the link no longer works."""
    async with database.transaction(Actor.system()) as session:
        valid = await reset_service.link_is_valid(session, settings, token)
    if not valid:
        return render(
            request,
            CONFIRM_FORM,
            {"invalid": True, "values": {}, "errors": {}, "token": ""},
            status_code=410,
        )
    return render(request, CONFIRM_FORM, {"values": {}, "errors": {}, "token": token})


@router.post("/{token}", response_class=HTMLResponse)
async def reset_confirm_submit(
    request: Request,
    token: TokenPath,
    database: DatabaseDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """Set the new password; every login of the account ends. Then log in with it."""
    reset_service.require_available(settings)
    values = await read_form(request)

    async def context(_session: object, _error: Exception) -> dict[str, object]:
        return {"token": token}

    rerender_on_error(request, CONFIRM_FORM, values=values, context=context)
    data = parse_form(PasswordResetConfirm, {**values, "token": token})
    async with database.transaction(Actor.system()) as session:
        await reset_service.confirm_reset(session, settings, data, client=client)
    return redirect_with_flash(request, "/auth/login", tr(request, NEW_PASSWORD_SET))
