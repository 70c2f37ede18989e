"""Running Alembic from code (the CLI's `serve`/`migrate` and the test set-up)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from app.core.config import PROJECT_ROOT, Settings


def alembic_config(owner_url: URL, settings: Settings) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["owner_url"] = owner_url
    config.attributes["app_role"] = settings.app_db_user
    return config


def upgrade_to_head(owner_url: URL, settings: Settings) -> None:
    """Bring the schema up to date as the owner; safe to run on every start."""
    command.upgrade(alembic_config(owner_url, settings), "head")
