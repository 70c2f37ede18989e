"""Which tables are whose, read from the models' metadata (never copied from a migration), so a
table added to the models is covered by the isolation and migration tests at once."""

from __future__ import annotations

from types import ModuleType

from sqlmodel import SQLModel

from app.models import lms as lms_models


def tenant_tables() -> tuple[str, ...]:
    """Every table carrying the tenant key `teacher_id`, in dependency order."""
    return tuple(
        table.name for table in SQLModel.metadata.sorted_tables if "teacher_id" in table.columns
    )


def tables_of(module: ModuleType) -> tuple[str, ...]:
    """The tables a models module defines, in dependency order."""
    names = {
        value.__tablename__
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, SQLModel)
        and value.__module__ == module.__name__
        and getattr(value, "__table__", None) is not None
    }
    return tuple(table.name for table in SQLModel.metadata.sorted_tables if table.name in names)


LMS_TABLES = tables_of(lms_models)
LMS_TENANT_TABLES = tuple(table for table in tenant_tables() if table in LMS_TABLES)
