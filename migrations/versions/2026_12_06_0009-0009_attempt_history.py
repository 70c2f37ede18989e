"""Attempts are history: every submitted attempt keeps its score and feedback, and the lesson
says which attempt counts.

- `lessons.counted_attempt` ('best' by default, 'last', 'first'): the attempt whose score the
  dashboard, progress and lists use. `lesson_assignments.counted_attempt_no`, `counted_score`
  and `counted_max_score` hold that attempt's numbers, recomputed whenever an attempt is graded
  or the lesson's rule changes (one UPDATE ... FROM over the attempts); lists never read the
  attempts.
- `assignment_attempts.feedback`: the teacher's feedback belongs to the attempt it was written
  for (the assignment's own `feedback` stays as the latest attempt's, for the player).
- `lessons.question_count` and `lesson_assignments.answered_count`: progress is questions
  answered out of questions, not blocks seen (the answers JSON is never read by a list).
- `ix_lesson_assignments_student` also carries `attempts_used` and the counted score: progress
  and the student's lists stay index-only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The question block types when this revision was written (later types are counted by the app).
QUESTION_TYPES = (
    "essay",
    "fill_blanks",
    "matching",
    "multiple_choice",
    "numeric",
    "ordering",
    "short_answer",
    "single_choice",
    "true_false",
)
OLD_INCLUDE = ["due_at", "score", "max_score"]
NEW_INCLUDE = [*OLD_INCLUDE, "attempts_used", "counted_score", "counted_max_score"]


def _student_index(include: list[str]) -> None:
    op.drop_index("ix_lesson_assignments_student", table_name="lesson_assignments")
    op.create_index(
        "ix_lesson_assignments_student",
        "lesson_assignments",
        ["teacher_id", "student_id", "status"],
        unique=False,
        postgresql_include=include,
    )


def upgrade() -> None:
    op.add_column(
        "lessons",
        sa.Column(
            "counted_attempt", sa.String(10), server_default=sa.text("'best'"), nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_lessons_counted_attempt_known"),
        "lessons",
        "counted_attempt IN ('best', 'last', 'first')",
    )
    op.add_column(
        "lessons",
        sa.Column("question_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    kinds = ", ".join(f"'{kind}'" for kind in QUESTION_TYPES)
    op.execute(
        "UPDATE lessons SET question_count = (SELECT count(*) FROM jsonb_array_elements(content)"
        f" AS block WHERE block->>'type' IN ({kinds}))"
    )
    op.add_column(
        "lesson_assignments",
        sa.Column("answered_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("lesson_assignments", sa.Column("counted_attempt_no", sa.Integer()))
    op.add_column("lesson_assignments", sa.Column("counted_score", sa.Numeric(10, 2)))
    op.add_column("lesson_assignments", sa.Column("counted_max_score", sa.Numeric(10, 2)))
    op.add_column("assignment_attempts", sa.Column("feedback", sa.Text()))
    # An answer says something unless it is null, blank text, or an empty list or object
    # (the app's rule, `student_work.answered_count`, also looks inside lists and objects).
    op.execute(
        "UPDATE lesson_assignments SET answered_count = (SELECT count(*)"
        " FROM jsonb_each(answers) AS answer WHERE answer.value NOT IN"
        " ('null'::jsonb, '[]'::jsonb, '{}'::jsonb) AND NOT (jsonb_typeof(answer.value) ="
        " 'string' AND btrim(answer.value #>> '{}') = ''))"
    )
    # The feedback written so far was for the latest attempt.
    op.execute(
        "UPDATE assignment_attempts t SET feedback = a.feedback FROM lesson_assignments a"
        " WHERE t.teacher_id = a.teacher_id AND t.assignment_id = a.id"
        " AND t.attempt_no = a.attempts_used AND a.feedback IS NOT NULL"
    )
    # Every lesson counts the best graded attempt until its teacher chooses otherwise.
    op.execute(
        "UPDATE lesson_assignments a SET counted_attempt_no = c.attempt_no,"
        " counted_score = c.score, counted_max_score = c.max_score"
        " FROM (SELECT DISTINCT ON (teacher_id, assignment_id) teacher_id, assignment_id,"
        " attempt_no, score, max_score FROM assignment_attempts WHERE graded_at IS NOT NULL"
        " ORDER BY teacher_id, assignment_id,"
        " score / NULLIF(max_score, 0) DESC NULLS LAST, attempt_no) c"
        " WHERE a.teacher_id = c.teacher_id AND a.id = c.assignment_id"
    )
    _student_index(NEW_INCLUDE)


def downgrade() -> None:
    _student_index(OLD_INCLUDE)
    op.drop_column("assignment_attempts", "feedback")
    op.drop_column("lesson_assignments", "counted_max_score")
    op.drop_column("lesson_assignments", "counted_score")
    op.drop_column("lesson_assignments", "counted_attempt_no")
    op.drop_column("lesson_assignments", "answered_count")
    op.drop_column("lessons", "question_count")
    op.drop_constraint(op.f("ck_lessons_counted_attempt_known"), "lessons", type_="check")
    op.drop_column("lessons", "counted_attempt")
