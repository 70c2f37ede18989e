"""The one shape of every 4xx answer of the JSON API, the middleware's own answers included.

`detail` is a sentence for the person (in their language), `code` is for programs, `field`
names what was wrong. Validation failures also list every problem in `errors`, one per field,
so a client can show each message beside its field. Inputs are never echoed back: an error
about a password must not repeat the password, and an input that cannot be encoded must not
be able to break the error answer itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


def _no_default(schema: dict[str, Any]) -> None:
    # Absent, never null: a `default: null` would contradict the array type.
    schema.pop("default", None)


class FieldError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(
        description=(
            "Dotted path of the field or parameter (`email`, `content.0.text`, `limit`);"
            " null when the body as a whole is wrong (not JSON, not an object)"
        )
    )
    message: str = Field(description="What is wrong, in the person's language")
    code: str = Field(
        description="Machine-readable reason: `missing`, `string_too_long`, `json_invalid`, ..."
    )


class ErrorResponse(BaseModel):
    """Every 4xx of `/api`: routes, validation, the auth, CSRF and body-size middleware."""

    model_config = ConfigDict(extra="forbid", title="Error")

    detail: str = Field(description="One sentence for the person, in their language")
    code: str = Field(
        description=(
            "Machine-readable: `invalid_input`, `not_authenticated`, `forbidden`, `csrf_failed`,"
            " `not_found`, `conflict`, `stale_version`, `too_large`, ..."
        )
    )
    field: str | None = Field(description="The field the error is about, or null")
    # Present on validation failures only (not null otherwise: absent).
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None,
        description="Each invalid field (validation failures only)",
        json_schema_extra=_no_default,
    )

    def body(self) -> dict[str, Any]:
        """The JSON body: `field` always (null if none), `errors` only when there are some."""
        return self.model_dump(exclude={"errors"} if self.errors is None else None)
