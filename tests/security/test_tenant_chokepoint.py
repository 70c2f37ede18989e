"""One tenant chokepoint: the tenant condition is written only in `app/services/scoping.py`;
features build their statements from it in their own `repository.py`, which no other feature
(and no route) imports; the benchmark's limit app uses only the repositories' public names."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.models.lms import Lesson
from app.models.users import Role
from app.services import scoping

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "app" / "services"
CHOKEPOINT = SERVICES / "scoping.py"
# Column methods that would filter on the tenant as well as `==` does.
FILTER_METHODS = frozenset({"in_", "is_", "is_not", "not_in", "between", "op", "__eq__"})
# `teacher_id = :x`, `teacher_id=$1`, `teacher_id IN (`, `teacher_id = ANY(` in hand-written SQL.
SQL_TENANT = re.compile(r"teacher_id\s*(=|IN\b|<>|!=)", re.IGNORECASE)


def python_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def is_tenant_column(node: ast.AST) -> bool:
    """`x.teacher_id`, `col(x.teacher_id)`, `x.c.teacher_id`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "teacher_id"
    if isinstance(node, ast.Call) and len(node.args) == 1:
        return is_tenant_column(node.args[0])
    return False


def tenant_filters(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops
        ):
            if any(is_tenant_column(side) for side in (node.left, *node.comparators)):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Call):
            function = node.func
            if (
                isinstance(function, ast.Attribute)
                and function.attr in FILTER_METHODS
                and is_tenant_column(function.value)
            ):
                yield node.lineno, ast.unparse(node)
            if (
                isinstance(function, ast.Attribute)
                and function.attr == "filter_by"
                and any(keyword.arg == "teacher_id" for keyword in node.keywords)
            ):
                yield node.lineno, ast.unparse(node)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_TENANT.search(node.value)
        ):
            yield node.lineno, node.value.strip()[:80]


def test_the_tenant_condition_is_written_only_in_scoping() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in python_files(SERVICES)
        if path != CHOKEPOINT
        for line, code in tenant_filters(ast.parse(path.read_text(), str(path)))
    ]
    assert found == [], "tenant filters outside app/services/scoping.py:\n" + "\n".join(found)


def test_the_check_sees_the_forms_it_forbids() -> None:
    samples = {
        "stmt.where(Lesson.teacher_id == tid)": 1,
        "stmt.where(col(Lesson.teacher_id) == tid)": 1,
        "stmt.where(sub.c.teacher_id == User.id)": 1,
        "stmt.where(col(Lesson.teacher_id).in_(ids))": 1,
        "stmt.filter_by(teacher_id=tid)": 1,
        "text('SELECT 1 FROM lessons WHERE teacher_id = :t')": 1,
        "Lesson(teacher_id=tenant_id(actor), title='x')": 0,  # an INSERT names its tenant
        "params = tenant_params(actor, lesson_id=lesson.teacher_id)": 0,
    }
    for code, expected in samples.items():
        assert len(list(tenant_filters(ast.parse(code)))) == expected, code


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of every import; `import a.b` gives ("a.b", [])."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            yield node.lineno, node.module, names
            for name in names:
                yield node.lineno, f"{node.module}.{name}", []


def feature_of(path: Path) -> str | None:
    relative = path.relative_to(ROOT).parts
    if relative[:2] == ("app", "services") and len(relative) > 3:
        return relative[2]
    return None


def test_repositories_are_private_to_their_feature() -> None:
    offending = []
    for path in python_files(ROOT / "app"):
        own = feature_of(path)
        for line, module, _ in imported_modules(ast.parse(path.read_text(), str(path))):
            match = re.fullmatch(r"app\.services\.(\w+)\.repository", module)
            if match and match.group(1) != own:
                offending.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert offending == [], "a repository imported outside its feature:\n" + "\n".join(offending)


def test_the_limit_app_uses_only_public_names_of_the_services() -> None:
    offending = []
    for path in python_files(ROOT / "bench"):
        tree = ast.parse(path.read_text(), str(path))
        aliases: set[str] = set()
        for line, module, names in imported_modules(tree):
            if not module.startswith("app.services"):
                continue
            offending += [f"{path.name}:{line}: {module}.{n}" for n in names if n.startswith("_")]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.services"):
                aliases |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                aliases |= {
                    alias.asname or alias.name
                    for alias in node.names
                    if alias.name.startswith("app.services")
                }
        offending += [
            f"{path.name}:{node.lineno}: {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
        ]
    assert offending == [], "private names of app.services used by bench/:\n" + "\n".join(offending)


def sql(stmt: object) -> str:
    return str(stmt.compile(dialect=postgresql.dialect()))  # type: ignore[attr-defined]


TEACHER = Actor(user_id=7, role=Role.TEACHER, teacher_id=7)


def test_tenant_select_names_the_actors_tenant_in_the_sql() -> None:
    stmt = scoping.tenant_select(Lesson, TEACHER)
    assert "WHERE lessons.teacher_id = %(teacher_id_1)s" in sql(stmt)
    assert stmt.compile().params == {"teacher_id_1": 7}
    update = scoping.tenant_update(Lesson, TEACHER).values(title="x")
    assert "WHERE lessons.teacher_id = " in sql(update)
    assert "WHERE lessons.teacher_id = " in sql(scoping.tenant_delete(Lesson, TEACHER))


def test_tenant_filter_leaves_the_tenant_as_a_bind_parameter() -> None:
    stmt = select(col(Lesson.id)).where(scoping.tenant_filter(Lesson))
    assert "WHERE lessons.teacher_id = %(teacher_id)s" in sql(stmt)
    assert scoping.tenant_params(TEACHER, lesson_id=3) == {"teacher_id": 7, "lesson_id": 3}


@pytest.mark.parametrize(
    "actor", [Actor(user_id=1, role=Role.SUPERUSER), Actor.anonymous(), Actor.system()]
)
def test_an_actor_without_a_tenant_gets_no_tenant_statement(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        scoping.tenant_select(Lesson, actor)
    with pytest.raises(Forbidden):
        scoping.tenant_params(actor)
