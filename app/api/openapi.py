"""The OpenAPI schema, made to tell the truth about errors.

FastAPI documents a 422 with its own `HTTPValidationError` (a `detail` array) and nothing else;
this API answers every 4xx in one shape (`app.schemas.errors.ErrorResponse`) and more statuses
than 422. `document_errors` post-processes the generated schema once, in one place: each API
operation gets every status the machinery in front of it can answer, derived from what the
operation is (its method, parameters, body, security), plus any 4xx a route declared itself
(`responses={409: {...}}`), all with the one error schema.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from app.core.config import Settings
from app.schemas.errors import ErrorResponse

ERROR_SCHEMA = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
# What FastAPI generates for its 422; nothing in this API answers it.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = frozenset({"get", "head", "options", *UNSAFE_METHODS})


def _descriptions(settings: Settings) -> dict[int, str]:
    return {
        401: "Not logged in, or the login session has ended (`not_authenticated`).",
        403: (
            "The role may not do this (`forbidden`), the CSRF check failed (`csrf_failed`), or"
            " the account must choose its own password first (`password_change_required`)."
        ),
        404: "No such object; another teacher's object looks the same (`not_found`).",
        409: (
            "The request conflicts with the current state (`conflict`), e.g. an e-mail already"
            " taken, or the object changed since it was read (`stale_version`)."
        ),
        413: (
            f"The body is larger than {settings.max_body_bytes // 1024} KiB"
            f" ({settings.max_content_body_bytes // 1024} KiB for lesson content and student"
            " work); refused before it is read (`too_large`)."
        ),
        422: "Invalid input (`invalid_input`): `errors` names each field with its message.",
        429: "Too many requests; try again later.",
    }


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The 4xx the middleware, the dependencies and the error handlers can answer here."""
    # Every API request passes the auth middleware: without a session outside the public
    # paths, and on a failed login or refresh, it is 401.
    statuses = {401}
    unsafe = method in UNSAFE_METHODS
    if unsafe or operation.get("security"):
        # CSRF on every cookie-authenticated write; the role checks and the one-time-password
        # gate on every authenticated route.
        statuses.add(403)
    if "{" in path or "requestBody" in operation:
        # A path id, or an id in the body, that does not exist (or is another tenant's).
        statuses.add(404)
    if unsafe:
        # A write meets the current state (taken, changed meanwhile, already done); any body
        # can be over the limit.
        statuses |= {409, 413}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    return statuses


def document_errors(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Give every API operation its error statuses, all with the one error schema."""
    descriptions = _descriptions(settings)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if path.startswith("/api/"):
                for status in _statuses(path, method, operation):
                    responses.setdefault(str(status), {})
            for status, response in responses.items():
                if status[0] in "45":  # a route's own 503 (busy) answers in the shape too
                    if not response.get("description") or status == "422":
                        response["description"] = descriptions.get(int(status), "Refused.")
                    response["content"] = {"application/json": {"schema": ERROR_REF}}

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    components.update(error_schema.pop("$defs", {}))
    components[ERROR_SCHEMA] = error_schema
    for name in FASTAPI_VALIDATION_SCHEMAS:  # HTTPValidationError first: it refers to the other
        if f'"#/components/schemas/{name}"' not in json.dumps(schema):
            components.pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve `document_errors(...)` of FastAPI's schema at /openapi.json (built once)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate(), app.state.settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
