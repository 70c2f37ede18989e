"""Password reset by e-mail (JSON). Public: the person has no session. Each request runs as the
system actor in a unit of work of its own (`app.services.auth.password_reset` says why)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from app.api.deps import ClientDep, DatabaseDep, SettingsDep
from app.api.templating import tr
from app.core.actor import Actor
from app.schemas.accounts import MessageRead, PasswordResetConfirm, PasswordResetRequest
from app.services.auth import password_reset as reset_service

router = APIRouter(prefix="/auth/password-reset", tags=["auth"])


NOT_SET_UP: dict[int | str, dict[str, Any]] = {
    404: {"description": "Password reset by e-mail is not set up on this platform"}
}


@router.post(
    "", response_model=MessageRead, status_code=status.HTTP_202_ACCEPTED, responses=NOT_SET_UP
)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    client: ClientDep,
) -> MessageRead:
    """Mail a link to choose a new password. The answer is the same whether or not the e-mail
    belongs to an account; 404 when mail is not set up on this platform."""
    async with (
        reset_service.uniform_duration(),
        database.transaction(Actor.system()) as session,
    ):
        await reset_service.request_reset(session, settings, body.email, client=client)
    return MessageRead(detail=tr(request, reset_service.RESET_REQUESTED))


@router.post("/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_SET_UP)
async def confirm_password_reset(
    body: PasswordResetConfirm, database: DatabaseDep, settings: SettingsDep, client: ClientDep
) -> Response:
    """Set the new password with the link's token (422 on `token` if it is invalid, expired or
    used). Every login of the account ends."""
    async with database.transaction(Actor.system()) as session:
        await reset_service.confirm_reset(session, settings, body, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
