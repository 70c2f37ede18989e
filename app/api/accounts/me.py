"""The signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentActor, SessionDep
from app.schemas.accounts import UserRead
from app.services.accounts import users as accounts

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(actor: CurrentActor, session: SessionDep) -> UserRead:
    """The account that is signed in."""
    return await accounts.read_me(session, actor)
