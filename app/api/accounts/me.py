"""The signed-in user: their account, their password, their open logins."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import ClientDep, CurrentActor, SessionDep, SettingsDep
from app.schemas.accounts import PasswordChange, SessionRead, SessionsEnded, UserRead
from app.services.accounts import self_service
from app.services.accounts import users as accounts

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(actor: CurrentActor, session: SessionDep) -> UserRead:
    """The account that is signed in (`must_change_password`: choose a password first)."""
    return await accounts.read_me(session, actor)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(
    body: PasswordChange,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """Change the own password (the current one is required; 422 naming the field otherwise).
    Every other login of the account ends; this one goes on."""
    await self_service.change_password(session, actor, settings, body, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/sessions", response_model=list[SessionRead])
async def list_my_sessions(actor: CurrentActor, session: SessionDep) -> list[SessionRead]:
    """The own open logins: this one (`current`) first, then the newest first."""
    return await self_service.list_sessions(session, actor)


@router.post("/me/sessions/end-others", response_model=SessionsEnded)
async def end_my_other_sessions(
    actor: CurrentActor, session: SessionDep, client: ClientDep
) -> SessionsEnded:
    """Log out everywhere else: every other login of the account ends at once."""
    return SessionsEnded(ended=await self_service.end_other_sessions(session, actor, client=client))
