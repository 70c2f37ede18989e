"""Login-session chores: ended sessions are deleted every hour, a week after they ended (and
login throttle counters a day after their window began)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from procrastinate import JobContext
from sqlalchemy import CursorResult, delete, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.jobs import job_database, jobs_app
from app.models.auth import AuthSession
from app.services.auth import throttle

# An ended login (expired, or revoked by logout or deactivation) stays a week, so "why was I
# logged out?" can still be answered and a replayed old refresh token meets its revoked row.
ENDED_SESSION_RETENTION = timedelta(days=7)


async def delete_ended_sessions(session: AsyncSession) -> int:
    """Delete login sessions that expired or were revoked more than a week ago; how many."""
    cutoff = func.now() - ENDED_SESSION_RETENTION
    result = await session.execute(
        delete(AuthSession).where(
            or_(col(AuthSession.expires_at) < cutoff, col(AuthSession.revoked_at) < cutoff)
        ),
        execution_options={"synchronize_session": False},
    )
    return int(cast(CursorResult[Any], result).rowcount)


@jobs_app.periodic(cron="17 * * * *")
@jobs_app.task(
    name="auth.cleanup_sessions", pass_context=True, queueing_lock="auth.cleanup_sessions"
)
async def cleanup_sessions(context: JobContext, timestamp: int) -> int:
    """Hourly; the system actor, because login sessions belong to no tenant. Old login
    throttle counters go too (their windows are long over)."""
    async with job_database(context).transaction(Actor.system()) as session:
        await throttle.delete_expired(session)
        return await delete_ended_sessions(session)
