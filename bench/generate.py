"""Deterministic benchmark dataset, bulk-loaded with COPY: `python -m bench.generate --scale 1`.

Full scale (1): 2,000 teachers, 40,000 students, 100,000 lessons (with version 1 each),
4,000,000 lesson assignments in mixed states with answers and results, an attempt row per
submitted attempt, folders and a few student groups. `--scale 0.01` / `0.1` build the same
tenant mix with 1% / 10% of the tenants, so per-tenant sizes are the same at every scale.

How it is fast:
- a child process renders the rows as COPY text while this process streams them to PostgreSQL
  (two cores: one generates, one ingests);
- one transaction truncates every table and fills it with `COPY ... FREEZE` (rows are frozen and
  all-visible at once, no VACUUM pass), straight into the hash partitions;
- the server runs with `wal_level = minimal` while loading, so tables truncated and filled in the
  same transaction write no WAL; secondary indexes are dropped first and rebuilt at the end;
- foreign-key triggers are off (`session_replication_role = replica`); instead every foreign key
  is checked with one anti-join per constraint after the load; then VACUUM (ANALYZE).

Every account shares ONE precomputed Argon2 hash of SHARED_PASSWORD (hashing 42,000 passwords
would take hours at the app's cost). It uses the OWASP minimum parameters, which the app
verifies as stored, so the runner's logins are cheap; logins are not a measured scenario.

A dataset already generated with the same generator version, seed, scale and migration head is
reused (the `bench_dataset` marker row), so a second run skips this step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import re
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection as PipeEnd
from typing import Any

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core.config import PROJECT_ROOT, Settings
from app.core.migrations import upgrade_to_head
from bench.content import (
    RAW_TEMPLATES,
    LessonTemplate,
    build_templates,
    json_text,
    template_index,
)
from bench.pgserver import (
    BenchServer,
    create_database,
    database_exists,
    database_name,
    drop_database,
    start_server,
)

GENERATOR_VERSION = 4  # 2: lessons.block_count (migration 0004); 3: VACUUM after load;
# 4: attempt history (migration 0009): question and answered counts, the counted attempt
DEFAULT_SEED = 20261125
SHARED_PASSWORD = "Bench-Password-2026!"  # noqa: S105 - the documented benchmark password
# argon2id, m=19456 KiB, t=2, p=1 (OWASP minimum) of SHARED_PASSWORD.
SHARED_PASSWORD_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$OYux5WReexFNpb1U1mCjiw"  # noqa: S105 - documented
    "$8tNLZLZ3C6VaZ4c2ORK3c51LsUZQNQv6PzZCu4WvBdw"
)
FULL_TEACHERS = 2000
EMAIL_DOMAIN = "bench.example.com"
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Tier:
    """A kind of tenant; every 20 teachers hold `per_20` of each kind."""

    name: str
    per_20: int
    students: int
    lessons: int
    assignments_per_student: float


# Per 20 teachers: 400 students, 1,000 lessons, 40,000 assignments (the ratios). The
# schools hold most of the work: a student can have each lesson once, and 100 assignments per
# student on 50 lessons per teacher is only possible if the big tenants are big.
TIERS = (
    Tier("solo tutor", 10, 4, 15, 10),
    Tier("busy tutor", 6, 15, 35, 25),
    Tier("school", 3, 50, 130, 100),
    Tier("big school", 1, 120, 250, 186.25),
)

NAMES = ("Анна", "Иван", "Мария", "Пётр", "Ольга", "Дмитрий", "Елена", "Сергей", "Наталья")
SURNAMES = ("Иванова", "Смирнов", "Кузнецова", "Попов", "Васильева", "Соколов", "Новикова")
TAGS = ("егэ", "огэ", "грамматика", "лексика", "домашка", "повторение", "контрольная")
FEEDBACK = "Хорошая работа! Обрати внимание на ошибки в третьем задании."


# --- the plan: who exists and how much work each student has (cheap, deterministic)


@dataclass
class TeacherPlan:
    user_id: int
    tier: str
    student_user_ids: list[int]
    student_ids: list[int]
    lesson_ids: list[int]
    folder_ids: list[int]
    group_ids: list[int]
    assignments_per_student: list[int]
    partition: int = -1


@dataclass
class Plan:
    scale: float
    seed: int
    teachers: list[TeacherPlan]
    counts: dict[str, int] = field(default_factory=dict)


def scaled(value: int, scale: float) -> int:
    return round(value * scale)


def make_plan(scale: float, seed: int) -> Plan:
    n_teachers = scaled(FULL_TEACHERS, scale)
    if n_teachers <= 0 or n_teachers % 20:
        raise SystemExit(f"--scale must give a multiple of 20 teachers (got {n_teachers})")
    rng = _rng(seed, "plan")
    tiers = [tier for _ in range(n_teachers // 20) for tier in TIERS for _ in range(tier.per_20)]
    rng.shuffle(tiers)
    teachers: list[TeacherPlan] = []
    next_student = next_lesson = next_folder = next_group = 1
    for index, tier in enumerate(tiers):
        user_id = index + 1
        student_ids = list(range(next_student, next_student + tier.students))
        next_student += tier.students
        lesson_ids = list(range(next_lesson, next_lesson + tier.lessons))
        next_lesson += tier.lessons
        folder_ids = [next_folder, next_folder + 1]
        next_folder += 2
        groups = 2 if tier.students >= 15 else 0
        group_ids = list(range(next_group, next_group + groups))
        next_group += groups
        mean = tier.assignments_per_student
        ks = [max(1, round(mean * rng.uniform(0.6, 1.4))) for _ in student_ids]
        teachers.append(
            TeacherPlan(user_id, tier.name, [], student_ids, lesson_ids, folder_ids, group_ids, ks)
        )
    n_students = next_student - 1
    for teacher in teachers:
        offset = n_teachers  # students' accounts follow the teachers'
        teacher.student_user_ids = [offset + sid for sid in teacher.student_ids]
    _hit_total(teachers, scaled(4_000_000, scale), rng)
    plan = Plan(scale=scale, seed=seed, teachers=teachers)
    plan.counts = {
        "users": n_teachers + n_students,
        "teachers": n_teachers,
        "students": n_students,
        "lessons": next_lesson - 1,
        "lesson_versions": next_lesson - 1,
        "folders": next_folder - 1,
        "student_groups": next_group - 1,
        "lesson_assignments": sum(sum(t.assignments_per_student) for t in teachers),
    }
    return plan


def _assignable(teacher: TeacherPlan) -> int:
    # Drafts (see _lesson_status) are never assigned; leave room for them.
    return len(teacher.lesson_ids) - len(teacher.lesson_ids) // 15


def _hit_total(teachers: list[TeacherPlan], total: int, rng: random.Random) -> None:
    """Clip each student's count to the lessons available, then nudge counts to the exact total."""
    slots = []
    for teacher in teachers:
        cap = _assignable(teacher)
        ks = teacher.assignments_per_student
        for i, k in enumerate(ks):
            ks[i] = min(k, cap)
            slots.append((teacher, i, cap))
    difference = total - sum(sum(t.assignments_per_student) for t in teachers)
    while difference:
        rng.shuffle(slots)
        moved = False
        for teacher, i, cap in slots:
            ks = teacher.assignments_per_student
            if difference > 0 and ks[i] < cap:
                ks[i] += 1
                difference -= 1
                moved = True
            elif difference < 0 and ks[i] > 1:
                ks[i] -= 1
                difference += 1
                moved = True
            if not difference:
                break
        if not moved:
            raise SystemExit("the tiers cannot hold that many assignments")


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(map(str, (seed, *parts))))  # noqa: S311 - test data


# --- COPY text rendering


def copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _json(value: Any) -> str:
    return copy_escape(json_text(value))


NULL = "\\N"


class Clock:
    """Timestamps as COPY text, as minutes from the reference time (negative: the past)."""

    def __init__(self, reference: datetime, days_back: int = 900, days_ahead: int = 90) -> None:
        self.origin_day = -days_back
        self.days = [
            (reference + timedelta(days=day)).strftime("%Y-%m-%d")
            for day in range(-days_back, days_ahead + 1)
        ]
        self.minutes = [f"{m // 60:02d}:{m % 60:02d}:00+00" for m in range(1440)]

    def __call__(self, minute: int) -> str:
        day, rest = divmod(minute, 1440)
        return f"{self.days[day - self.origin_day]} {self.minutes[rest]}"


# Table -> the columns the generator writes, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        "id", "email", "password_hash", "role", "teacher_id", "is_active", "name", "surname",
        "second_name", "birthday", "timezone", "language", "created_at", "updated_at",
    ),
    "teachers": ("id", "created_at", "updated_at"),
    "students": ("id", "teacher_id", "user_id", "created_at", "updated_at"),
    "folders": ("id", "teacher_id", "parent_id", "name", "created_at", "updated_at"),
    "lessons": (
        "id", "teacher_id", "folder_id", "title", "subject", "tags", "status", "version",
        "content", "block_count", "max_score", "attempt_limit", "time_limit_minutes",
        "shuffle_options", "created_at", "updated_at", "question_count",
    ),
    "lesson_versions": (
        "teacher_id", "lesson_id", "version", "title", "content", "max_score", "created_at",
    ),
    "student_groups": ("id", "teacher_id", "name", "created_at", "updated_at"),
    "student_group_members": ("teacher_id", "group_id", "student_id", "created_at"),
    "lesson_assignments": (
        "teacher_id", "id", "lesson_id", "student_id", "group_id", "lesson_version", "status",
        "due_at", "answers", "blocks_viewed", "results", "score", "max_score", "attempts_used",
        "time_spent_seconds", "feedback", "show_correct_answers", "score_overridden_by",
        "score_overridden_at", "assigned_at", "started_at", "submitted_at", "graded_at",
        "updated_at", "answered_count", "counted_attempt_no", "counted_score",
        "counted_max_score",
    ),
    "assignment_attempts": (
        "teacher_id", "id", "assignment_id", "attempt_no", "lesson_version", "answers", "results",
        "auto_score", "score", "max_score", "time_spent_seconds", "started_at", "submitted_at",
        "graded_at", "feedback",
    ),
}  # fmt: skip
PARTITIONED = ("lesson_assignments", "assignment_attempts")


@dataclass(frozen=True)
class RenderedTemplate:
    """A template's JSON, escaped for COPY once, so rows only concatenate strings."""

    content: str
    block_count: int
    question_count: int
    max_score: str
    all_viewed: str
    half_viewed: str
    # Per answer set: answers, (submitted results, score), (graded results, score), pending,
    # and the half-done answers an in-progress student has saved.
    answers: list[str]
    submitted: list[tuple[str, str]]
    graded: list[tuple[str, str]]
    pending: list[bool]
    partial_answers: list[str]


def render_template(template: LessonTemplate) -> RenderedTemplate:
    ids = [block["id"] for block in template.content]
    half = template.question_ids[: len(template.question_ids) // 2]
    return RenderedTemplate(
        content=_json(template.content),
        block_count=len(template.content),
        question_count=len(template.question_ids),
        max_score=str(template.max_score),
        all_viewed=_json(ids),
        half_viewed=_json(ids[: max(1, len(ids) // 2)]),
        answers=[_json(s.answers) for s in template.answer_sets],
        submitted=[
            (_json(s.submitted_results), str(s.submitted_score)) for s in template.answer_sets
        ],
        graded=[(_json(s.graded_results), str(s.graded_score)) for s in template.answer_sets],
        pending=[s.pending for s in template.answer_sets],
        partial_answers=[
            _json({k: v for k, v in s.answers.items() if k in half}) for s in template.answer_sets
        ],
    )


# --- the producer (a child process): the whole dataset as a stream of COPY messages


class Stream:
    """Sends ("copy", table, columns), ("data", bytes, rows)..., ("end",) over a pipe."""

    def __init__(self, pipe: PipeEnd) -> None:
        self.pipe = pipe
        self.lines: list[str] = []
        self.size = 0
        self.rows = 0

    def begin(self, table: str, columns: tuple[str, ...]) -> None:
        self.pipe.send(("copy", table, columns))

    def row(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)
        self.rows += 1
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.pipe.send(("data", ("\n".join(self.lines) + "\n").encode(), self.rows))
        self.lines, self.size, self.rows = [], 0, 0

    def end(self) -> None:
        self.flush()
        self.pipe.send(("end",))


def produce(pipe: PipeEnd, plan: Plan, reference_iso: str) -> None:
    """Render every table in order (child process entry point)."""
    stream = Stream(pipe)
    reference = datetime.fromisoformat(reference_iso)
    clock = Clock(reference)
    templates = [render_template(t) for t in build_templates(plan.seed)]
    seed = plan.seed
    n_teachers = len(plan.teachers)

    stream.begin("users", COLUMNS["users"])
    for teacher in plan.teachers:
        rng = _rng(seed, "teacher", teacher.user_id)
        created = clock(-rng.randrange(800 * 1440, 900 * 1440))
        stream.row(
            f"{teacher.user_id}\tt{teacher.user_id}@{EMAIL_DOMAIN}\t{SHARED_PASSWORD_HASH}\t"
            f"teacher\t{NULL}\tt\t{rng.choice(NAMES)}\t{rng.choice(SURNAMES)}\t{NULL}\t{NULL}\t"
            f"Europe/Moscow\tru\t{created}\t{created}"
        )
    for teacher in plan.teachers:
        rng = _rng(seed, "students", teacher.user_id)
        for user_id in teacher.student_user_ids:
            created = clock(-rng.randrange(400 * 1440, 800 * 1440))
            birthday = (
                f"{rng.randrange(2005, 2015)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
            stream.row(
                f"{user_id}\ts{user_id - n_teachers}@{EMAIL_DOMAIN}\t{SHARED_PASSWORD_HASH}\t"
                f"student\t{teacher.user_id}\tt\t{rng.choice(NAMES)}\t{rng.choice(SURNAMES)}\t"
                f"{NULL}\t{birthday}\tEurope/Moscow\tru\t{created}\t{created}"
            )
    stream.end()

    stream.begin("teachers", COLUMNS["teachers"])
    for teacher in plan.teachers:
        stream.row(f"{teacher.user_id}\t{clock(-900 * 1440)}\t{clock(-900 * 1440)}")
    stream.end()

    stream.begin("students", COLUMNS["students"])
    for teacher in plan.teachers:
        for sid, uid in zip(teacher.student_ids, teacher.student_user_ids, strict=True):
            stream.row(
                f"{sid}\t{teacher.user_id}\t{uid}\t{clock(-800 * 1440)}\t{clock(-800 * 1440)}"
            )
    stream.end()

    stream.begin("folders", COLUMNS["folders"])
    for teacher in plan.teachers:
        for n, folder_id in enumerate(teacher.folder_ids):
            when = clock(-850 * 1440)
            stream.row(f"{folder_id}\t{teacher.user_id}\t{NULL}\tПапка {n + 1}\t{when}\t{when}")
    stream.end()

    lessons: dict[int, tuple[str, str, int | None, int | None]] = {}  # id -> status, created, ...
    stream.begin("lessons", COLUMNS["lessons"])
    version_rows = []
    for teacher in plan.teachers:
        rng = _rng(seed, "lessons", teacher.user_id)
        for n, lesson_id in enumerate(teacher.lesson_ids):
            template = templates[template_index(lesson_id)]
            subject = build_subject(lesson_id)
            title = f"{subject}: урок {n + 1}"
            status = _lesson_status(n)
            folder = rng.choice(teacher.folder_ids) if rng.random() < 0.5 else None
            tags = "{" + ",".join(rng.sample(TAGS, rng.randrange(0, 3))) + "}"
            attempt_limit = 3 if rng.random() < 0.2 else None
            time_limit = 45 if rng.random() < 0.1 else None
            created = clock(-rng.randrange(400 * 1440, 800 * 1440))
            lessons[lesson_id] = (status, created, attempt_limit, time_limit)
            stream.row(
                f"{lesson_id}\t{teacher.user_id}\t{_opt(folder)}\t{title}\t{subject}\t{tags}\t"
                f"{status}\t1\t{template.content}\t{template.block_count}\t{template.max_score}\t"
                f"{_opt(attempt_limit)}\t"
                f"{_opt(time_limit)}\t{'t' if rng.random() < 0.3 else 'f'}\t{created}\t{created}\t"
                f"{template.question_count}"
            )
            version_rows.append(
                f"{teacher.user_id}\t{lesson_id}\t1\t{title}\t{template.content}\t"
                f"{template.max_score}\t{created}"
            )
    stream.end()
    stream.begin("lesson_versions", COLUMNS["lesson_versions"])
    for line in version_rows:
        stream.row(line)
    stream.end()
    del version_rows

    members: dict[int, int] = {}  # student id -> group id
    stream.begin("student_groups", COLUMNS["student_groups"])
    for teacher in plan.teachers:
        for n, group_id in enumerate(teacher.group_ids):
            when = clock(-700 * 1440)
            stream.row(f"{group_id}\t{teacher.user_id}\tГруппа {n + 1}\t{when}\t{when}")
            # The first group takes the first half of the students, the second the next third.
            size = len(teacher.student_ids)
            chosen = (
                teacher.student_ids[: size // 2]
                if n == 0
                else teacher.student_ids[size // 2 : size // 2 + size // 3]
            )
            for sid in chosen:
                members[sid] = group_id
    stream.end()
    stream.begin("student_group_members", COLUMNS["student_group_members"])
    for teacher in plan.teachers:
        for sid in teacher.student_ids:
            if sid in members:
                stream.row(f"{teacher.user_id}\t{members[sid]}\t{sid}\t{clock(-700 * 1440)}")
    stream.end()

    # Assignments and attempts, straight into each hash partition (COPY FREEZE needs the leaf).
    next_assignment = next_attempt = 1
    partitions = sorted({t.partition for t in plan.teachers})
    for partition in partitions:
        attempts: list[str] = []
        stream.begin(f"lesson_assignments_p{partition:02d}", COLUMNS["lesson_assignments"])
        for teacher in plan.teachers:
            if teacher.partition != partition:
                continue
            next_assignment, next_attempt = _teacher_assignments(
                stream, attempts, teacher, lessons, members, templates, clock,
                _rng(seed, "assignments", teacher.user_id), next_assignment, next_attempt,
            )  # fmt: skip
        stream.end()
        stream.begin(f"assignment_attempts_p{partition:02d}", COLUMNS["assignment_attempts"])
        for line in attempts:
            stream.row(line)
        stream.end()
    pipe.send(("done", next_assignment - 1, next_attempt - 1))
    pipe.close()


def build_subject(lesson_id: int) -> str:
    return RAW_TEMPLATES[template_index(lesson_id)][0]


def _lesson_status(n: int) -> str:
    # Every 15th lesson is a draft (never assigned), every 25th archived (still has work).
    if n % 15 == 14:
        return "draft"
    return "archived" if n % 25 == 24 else "published"


def _opt(value: object) -> str:
    return NULL if value is None else str(value)


def _teacher_assignments(
    stream: Stream,
    attempts: list[str],
    teacher: TeacherPlan,
    lessons: dict[int, tuple[str, str, int | None, int | None]],
    members: dict[int, int],
    templates: list[RenderedTemplate],
    clock: Clock,
    rng: random.Random,
    next_id: int,
    next_attempt: int,
) -> tuple[int, int]:
    tid = teacher.user_id
    assignable = [lid for lid in teacher.lesson_ids if lessons[lid][0] != "draft"]
    for sid, k in zip(teacher.student_ids, teacher.assignments_per_student, strict=True):
        picked = rng.sample(assignable, k)
        n_done = round(k * rng.uniform(0.5, 0.8))
        times = sorted(rng.randrange(-365 * 1440, -60 * 1440) for _ in range(n_done))
        times += sorted(rng.randrange(-60 * 1440, -60) for _ in range(k - n_done))
        group = members.get(sid)
        for index, (lesson_id, assigned) in enumerate(zip(picked, times, strict=True)):
            tpl = templates[template_index(lesson_id)]
            attempt_limit = lessons[lesson_id][2]
            group_id = str(group) if group is not None and rng.random() < 0.3 else NULL
            v = rng.randrange(8)
            if index < n_done:
                due = clock(assigned + 7 * 1440) if rng.random() < 0.5 else NULL
                started = assigned + rng.randrange(30, 3 * 1440)
                submitted = min(started + rng.randrange(10, 120), -30)
                pending = tpl.pending[v] and rng.random() < 0.4
                status = "submitted" if pending else "graded"
                results, score = tpl.submitted[v] if pending else tpl.graded[v]
                graded = NULL if pending else clock(min(submitted + rng.randrange(0, 2880), -10))
                spent = rng.randrange(120, 3600)
                two = (attempt_limit is None or attempt_limit >= 2) and rng.random() < 0.15
                feedback = FEEDBACK if not pending and rng.random() < 0.3 else NULL
                show = "t" if rng.random() < 0.2 else "f"
                attempts_used = 2 if two else 1
                if two:
                    first = min(v + 3, 7)
                    r1, s1 = tpl.graded[first]
                    attempts.append(
                        f"{tid}\t{next_attempt}\t{next_id}\t1\t1\t{tpl.answers[first]}\t{r1}\t"
                        f"{s1}\t{s1}\t{tpl.max_score}\t{spent // 2}\t{clock(started)}\t"
                        f"{clock(started + 5)}\t{clock(started + 5)}\t{NULL}"
                    )
                    next_attempt += 1
                auto = tpl.submitted[v][1]
                attempts.append(
                    f"{tid}\t{next_attempt}\t{next_id}\t{attempts_used}\t1\t{tpl.answers[v]}\t"
                    f"{results}\t{auto}\t{score}\t{tpl.max_score}\t{spent}\t{clock(started)}\t"
                    f"{clock(submitted)}\t{graded}\t{feedback}"
                )
                # The best graded attempt counts (the lessons' default rule).
                graded_attempts = [] if pending else [(score, attempts_used)]
                if two:
                    graded_attempts.append((s1, 1))
                counted = max(graded_attempts, key=lambda a: (Decimal(a[0]), -a[1]), default=None)
                counted_columns = (
                    f"{NULL}\t{NULL}\t{NULL}"
                    if counted is None
                    else f"{counted[1]}\t{counted[0]}\t{tpl.max_score}"
                )
                next_attempt += 1
                stream.row(
                    f"{tid}\t{next_id}\t{lesson_id}\t{sid}\t{group_id}\t1\t{status}\t{due}\t"
                    f"{tpl.answers[v]}\t{tpl.all_viewed}\t{results}\t{score}\t{tpl.max_score}\t"
                    f"{attempts_used}\t{spent}\t{feedback}\t{show}\t{NULL}\t{NULL}\t"
                    f"{clock(assigned)}\t{clock(started)}\t{clock(submitted)}\t{graded}\t"
                    f"{graded if graded != NULL else clock(submitted)}\t"
                    f"{tpl.question_count}\t{counted_columns}"
                )
            else:
                due = clock(assigned + rng.randrange(3, 31) * 1440) if rng.random() < 0.75 else NULL
                if rng.random() < 0.25:
                    started = min(assigned + rng.randrange(5, 600), -1)
                    stream.row(
                        f"{tid}\t{next_id}\t{lesson_id}\t{sid}\t{group_id}\t1\tin_progress\t{due}\t"
                        f"{tpl.partial_answers[v]}\t{tpl.half_viewed}\t{NULL}\t{NULL}\t"
                        f"{tpl.max_score}\t0\t{rng.randrange(60, 900)}\t{NULL}\tf\t{NULL}\t{NULL}\t"
                        f"{clock(assigned)}\t{clock(started)}\t{NULL}\t{NULL}\t{clock(started)}\t"
                        f"{tpl.question_count // 2}\t{NULL}\t{NULL}\t{NULL}"
                    )
                else:
                    stream.row(
                        f"{tid}\t{next_id}\t{lesson_id}\t{sid}\t{group_id}\t1\tassigned\t{due}\t"
                        f"{{}}\t[]\t{NULL}\t{NULL}\t{tpl.max_score}\t0\t0\t{NULL}\tf\t{NULL}\t"
                        f"{NULL}\t{clock(assigned)}\t{NULL}\t{NULL}\t{NULL}\t{clock(assigned)}\t"
                        f"0\t{NULL}\t{NULL}\t{NULL}"
                    )
            next_id += 1
    return next_id, next_attempt


# --- the consumer: COPY everything in one transaction


class Progress:
    """A live line while loading (every 10 s when not on a terminal), a summary at the end."""

    def __init__(self, expected: dict[str, int]) -> None:
        self.expected = expected
        self.started = time.monotonic()
        self.rows: dict[str, int] = {}
        self.last_print = 0.0
        self.tty = sys.stdout.isatty()

    def add(self, table: str, rows: int) -> None:
        base = re.sub(r"_p\d{2}$", "", table)
        self.rows[base] = self.rows.get(base, 0) + rows
        now = time.monotonic()
        if now - self.last_print >= (0.25 if self.tty else 10):
            self.last_print = now
            self.show(base)

    def show(self, table: str) -> None:
        done = self.rows.get(table, 0)
        total = self.expected.get(table)
        elapsed = time.monotonic() - self.started
        width = 30
        if total:
            filled = min(width, int(width * done / total))
            bar = "#" * filled + "." * (width - filled)
            text = f"  {table:<22} [{bar}] {done:>10,}/{total:,}  {elapsed:6.1f}s"
        else:
            text = f"  {table:<22} {done:>10,} rows  {elapsed:6.1f}s"
        print(
            ("\r" + text.ljust(90)) if self.tty else text, end="" if self.tty else "\n", flush=True
        )

    def summary(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.tty:
            print("\r" + " " * 90 + "\r", end="")
        total = sum(self.rows.values())
        print(f"  {total:,} rows streamed in {elapsed:.1f}s ({total / elapsed:,.0f} rows/s):")
        for table, rows in self.rows.items():
            print(f"    {table:<24} {rows:>10,}")


async def _chunks(pipe: PipeEnd, table: str, progress: Progress) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    while True:
        message = await loop.run_in_executor(None, pipe.recv)
        if message[0] == "end":
            return
        progress.add(table, message[2])
        yield message[1]


async def _secondary_indexes(connection: asyncpg.Connection, tables: list[str]) -> list[Any]:
    """Indexes that back no constraint (rebuilt after the load; cheaper than maintaining them)."""
    return list(
        await connection.fetch(
            """
            SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.relname = ANY($1::text[]) AND NOT c.relispartition
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
              AND NOT i.indisunique
            ORDER BY 1
            """,
            tables,
        )
    )


async def partition_of_teachers(
    connection: asyncpg.Connection, teacher_ids: list[int]
) -> dict[int, int]:
    """teacher id -> remainder of the hash partition its rows land in (PostgreSQL decides)."""
    bounds = await connection.fetch(
        """
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'lesson_assignments'::regclass
        """
    )
    remainders = []
    for row in bounds:
        found = re.search(r"modulus (\d+), remainder (\d+)", row["bound"])
        assert found, row["bound"]
        modulus, remainder = int(found[1]), int(found[2])
        assert row["relname"] == f"lesson_assignments_p{remainder:02d}", row["relname"]
        remainders.append(remainder)
    rows = await connection.fetch(
        """
        SELECT t.id, r.remainder FROM unnest($1::bigint[]) AS t(id)
        CROSS JOIN unnest($2::int[]) AS r(remainder)
        WHERE satisfies_hash_partition('lesson_assignments'::regclass, $3, r.remainder, t.id)
        """,
        teacher_ids,
        remainders,
        modulus,
    )
    return {row["id"]: row["remainder"] for row in rows}


async def foreign_key_violations(connection: asyncpg.Connection) -> dict[str, int]:
    """Every foreign key in the schema, checked with one anti-join each (rows that break it)."""
    constraints = await connection.fetch(
        """
        SELECT k.conname, k.conrelid::regclass::text AS child,
               k.confrelid::regclass::text AS parent,
               array_agg(ca.attname ORDER BY u.ord) AS child_cols,
               array_agg(pa.attname ORDER BY u.ord) AS parent_cols
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(ck, pk, ord)
        JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = u.ck
        JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.pk
        WHERE k.contype = 'f' AND k.conparentid = 0 AND NOT c.relispartition
          AND c.relnamespace = 'public'::regnamespace
        GROUP BY k.conname, k.conrelid, k.confrelid
        """
    )
    violations = {}
    for fk in constraints:
        pairs = " AND ".join(
            f"p.{p} = c.{c}" for c, p in zip(fk["child_cols"], fk["parent_cols"], strict=True)
        )
        not_null = " AND ".join(f"c.{c} IS NOT NULL" for c in fk["child_cols"])
        violations[fk["conname"]] = await connection.fetchval(
            f"SELECT count(*) FROM {fk['child']} c WHERE {not_null}"
            f" AND NOT EXISTS (SELECT 1 FROM {fk['parent']} p WHERE {pairs})"
        )
    return violations


MARKER_TABLE = "bench_dataset"


@dataclass
class Marker:
    generator_version: int
    seed: int
    scale: float
    alembic_head: str
    generated_at: str = ""
    reference_time: str = ""
    generation_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0


def alembic_head() -> str:
    """The migration head the dataset was built on (a new migration means a new dataset)."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    return str(ScriptDirectory.from_config(config).get_current_head())


async def read_marker(server: BenchServer, database: str) -> Marker | None:
    if not await database_exists(server, database):
        return None
    connection = await server.connect(database)
    try:
        if not await connection.fetchval(f"SELECT to_regclass('{MARKER_TABLE}') IS NOT NULL"):
            return None
        raw = await connection.fetchval(f"SELECT info FROM {MARKER_TABLE} LIMIT 1")
        return Marker(**json.loads(raw)) if raw else None
    finally:
        await connection.close()


def _same_dataset(found: Marker | None, wanted: Marker) -> bool:
    return found is not None and (
        found.generator_version,
        found.seed,
        found.scale,
        found.alembic_head,
    ) == (wanted.generator_version, wanted.seed, wanted.scale, wanted.alembic_head)


async def _load(server: BenchServer, database: str, plan: Plan, marker: Marker) -> Marker:
    started = time.monotonic()
    reference = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    connection = await server.connect(database)
    try:
        partitions = await partition_of_teachers(connection, [t.user_id for t in plan.teachers])
        for teacher in plan.teachers:
            teacher.partition = partitions[teacher.user_id]
        tables = list(COLUMNS)
        indexes = await _secondary_indexes(connection, tables)
        expected = dict(plan.counts)
        progress = Progress(expected)

        receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
        producer = multiprocessing.get_context("spawn").Process(
            target=produce, args=(sender, plan, reference.isoformat()), daemon=True
        )
        producer.start()
        sender.close()
        loop = asyncio.get_running_loop()
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.execute("SET LOCAL synchronous_commit = off")
            for index in indexes:
                await connection.execute(f"DROP INDEX {index['name']}")
            await connection.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
            totals: tuple[int, int] = (0, 0)
            while True:
                message = await loop.run_in_executor(None, receiver.recv)
                if message[0] == "done":
                    totals = (message[1], message[2])
                    break
                assert message[0] == "copy", message
                table, columns = message[1], message[2]
                await connection.copy_to_table(
                    table,
                    source=_chunks(receiver, table, progress),
                    columns=list(columns),
                    format="text",
                    freeze=True,
                )
            progress.summary()
            producer.join()
            plan.counts["lesson_assignments"] = totals[0]
            plan.counts["assignment_attempts"] = totals[1]
            print(f"  rows loaded in {time.monotonic() - started:.1f}s; building indexes ...")
            for index in indexes:
                ddl = index["ddl"].replace(" ON ONLY ", " ON ")
                await connection.execute(ddl)
            await _set_sequences(connection, totals)
            marker.reference_time = reference.isoformat()
        print(f"  committed at {time.monotonic() - started:.1f}s; checking foreign keys ...")
        violations = await foreign_key_violations(connection)
        broken = {name: n for name, n in violations.items() if n}
        if broken:
            raise SystemExit(f"foreign keys broken by the generator: {broken}")
        print(f"  {len(violations)} foreign keys hold; VACUUM (ANALYZE) ...")
        # Not ANALYZE alone: COPY leaves the bulk-extended relations with empty trailing pages
        # (lessons: 192 pages for 167 used at 1%), and with those statistics the student
        # queries ran 3-4x slower on a fresh 1% dataset until autovacuum came by.
        await connection.execute("VACUUM (ANALYZE)")
        marker.generation_seconds = round(time.monotonic() - started, 1)
        marker.generated_at = datetime.now(UTC).isoformat(timespec="seconds")
        marker.counts = await table_counts(connection)
        marker.database_bytes = int(
            await connection.fetchval("SELECT pg_database_size(current_database())")
        )
        await connection.execute(f"CREATE TABLE {MARKER_TABLE} (info jsonb NOT NULL)")
        await connection.execute(
            f"INSERT INTO {MARKER_TABLE} (info) VALUES ($1::jsonb)", json.dumps(asdict(marker))
        )
        return marker
    finally:
        await connection.close()


async def _set_sequences(connection: asyncpg.Connection, totals: tuple[int, int]) -> None:
    for table in ("users", "students", "folders", "lessons", "student_groups"):
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )
    await connection.execute("SELECT setval('lesson_assignments_id_seq', $1, false)", totals[0] + 1)
    await connection.execute(
        "SELECT setval('assignment_attempts_id_seq', $1, false)", totals[1] + 1
    )


async def table_counts(connection: asyncpg.Connection) -> dict[str, int]:
    counts = {}
    for table in (*COLUMNS, "auth_sessions"):
        counts[table] = int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    return counts


async def ensure_dataset(
    server: BenchServer, scale: float, seed: int = DEFAULT_SEED, force: bool = False
) -> Marker:
    """The dataset for `scale`: reused when the marker matches, generated otherwise."""
    database = database_name(scale)
    wanted = Marker(GENERATOR_VERSION, seed, scale, alembic_head())
    found = await read_marker(server, database)
    if not force and _same_dataset(found, wanted):
        assert found is not None
        assignments = found.counts.get("lesson_assignments", 0)
        print(
            f"Reusing dataset {database} (generated {found.generated_at} in "
            f"{found.generation_seconds}s, {assignments:,} assignments)"
        )
        return found
    print(f"Generating dataset {database} (scale {scale:g}, seed {seed}) ...")
    started = time.monotonic()
    plan = make_plan(scale, seed)
    await server.configure(load=True)
    try:
        await drop_database(server, database)
        await create_database(server, database)
        settings = Settings()
        await asyncio.to_thread(upgrade_to_head, server.owner_url(database), settings)
        print(f"  migrated in {time.monotonic() - started:.1f}s")
        marker = await _load(server, database, plan, wanted)
    finally:
        await server.configure(load=False)
    marker.generation_seconds = round(time.monotonic() - started, 1)
    connection = await server.connect(database)
    try:
        await connection.execute(
            f"UPDATE {MARKER_TABLE} SET info = $1::jsonb", json.dumps(asdict(marker))
        )
    finally:
        await connection.close()
    size_gb = marker.database_bytes / 1e9
    print(
        f"Generated {database} in {marker.generation_seconds}s ({size_gb:.2f} GB): {marker.counts}"
    )
    return marker


def iter_scales(values: list[str]) -> Iterator[float]:
    for value in values:
        yield float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", action="append", default=None, help="0.01, 0.1 or 1 (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="regenerate even if reusable")
    parser.add_argument("--keep-server", action="store_true", help="leave the server running")
    args = parser.parse_args()
    server = start_server()
    try:
        for scale in iter_scales(args.scale or ["1"]):
            asyncio.run(ensure_dataset(server, scale, args.seed, args.force))
    finally:
        if not args.keep_server:
            server.stop()


if __name__ == "__main__":
    main()
