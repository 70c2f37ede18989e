"""Every 4xx of the API answers in one documented shape (app.schemas.errors), in the person's
language, never echoing what was sent, and never failing while the error is being built."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.core.cookies import CSRF_HEADER
from app.core.i18n import LANGUAGE_COOKIE
from app.schemas.errors import ErrorResponse
from tests.conftest import People, login_as

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
STUDENTS = "/api/v1/students"
# Pydantic's and FastAPI's own English, which must never reach a person.
FRAMEWORK_TEXT = ("Input should", "Field required", "JSON decode error", "Extra inputs", "value is")


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    try:
        ErrorResponse.model_validate(body)
    except ValidationError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"not the documented error shape: {body}\n{error}")
    assert set(body) >= {"detail", "code", "field"}
    return body


def assert_russian(body: dict[str, Any]) -> None:
    texts = [body["detail"], *(error["message"] for error in body.get("errors", []))]
    for text in texts:
        assert CYRILLIC.search(text), body
        assert not any(fragment in text for fragment in FRAMEWORK_TEXT), body


@pytest.fixture
async def teacher_client(client: httpx.AsyncClient, people: People) -> httpx.AsyncClient:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    return client


def student() -> dict[str, object]:
    return {"email": "s@example.com", "password": "Strong-Pass-42!", "name": "S", "surname": "T"}


BAD_BODIES = [
    pytest.param({**student(), "name": None}, "name", "string_type", id="null-name"),
    pytest.param({**student(), "role": "superuser"}, "role", "extra_forbidden", id="extra-field"),
    pytest.param({**student(), "birthday": 5}, "birthday", None, id="number-as-date"),
    pytest.param({"email": "s@example.com"}, "password", "missing", id="missing"),
    pytest.param(["s@example.com"], None, "model_attributes_type", id="list-body"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_BODIES)
async def test_request_validation_is_422_in_one_shape_in_russian(
    teacher_client: httpx.AsyncClient, body: object, field: str | None, code: str | None
) -> None:
    response = await teacher_client.post(STUDENTS, json=body)
    answer = assert_error_shape(response, 422)
    assert answer["code"] == "invalid_input"
    assert answer["errors"], answer
    assert field in {error["field"] for error in answer["errors"]}
    if code is not None:
        assert code in {error["code"] for error in answer["errors"]}
    assert_russian(answer)


async def test_one_invalid_field_is_named_at_the_top(teacher_client: httpx.AsyncClient) -> None:
    response = await teacher_client.post(STUDENTS, json={**student(), "surname": "x" * 101})
    answer = assert_error_shape(response, 422)
    [error] = answer["errors"]
    assert answer["field"] == error["field"] == "surname"
    assert answer["detail"] == error["message"]
    assert "x" * 101 not in response.text


async def test_nested_fields_are_dotted(teacher_client: httpx.AsyncClient) -> None:
    lesson = {"title": "L", "content": [{"type": "text", "id": "b1", "text": 5}]}
    answer = assert_error_shape(await teacher_client.post("/api/v1/lessons", json=lesson), 422)
    assert all(error["field"].startswith("content.0.") for error in answer["errors"]), answer


async def test_query_parameters_are_named_without_their_location(
    teacher_client: httpx.AsyncClient,
) -> None:
    answer = assert_error_shape(await teacher_client.get(f"{STUDENTS}?limit=ten"), 422)
    assert answer["field"] == "limit"
    assert_russian(answer)


async def test_english_on_request(teacher_client: httpx.AsyncClient) -> None:
    teacher_client.cookies.set(LANGUAGE_COOKIE, "en")
    answer = assert_error_shape(await teacher_client.get(f"{STUDENTS}?limit=0"), 422)
    assert answer["detail"] == "Must be at least 1"
    assert not CYRILLIC.search(response_text := json.dumps(answer, ensure_ascii=False))
    assert "Input should" not in response_text


@pytest.mark.parametrize(
    "password", ["weakpassword", "Strong-Pass-42!" + "x" * 200], ids=["weak", "too-long"]
)
async def test_passwords_are_never_echoed(teacher_client: httpx.AsyncClient, password: str) -> None:
    response = await teacher_client.post(STUDENTS, json={**student(), "password": password})
    assert_error_shape(response, 422)
    assert password not in response.text


async def test_login_never_echoes_the_password(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": 5, "password": "weakpassword", "extra": "secret-x"}
    )
    answer = assert_error_shape(response, 422)
    assert "weakpassword" not in response.text
    assert "secret-x" not in response.text
    assert {"email", "extra"} <= {error["field"] for error in answer["errors"]}


UNENCODABLE_BODIES = [
    pytest.param(b'{"\\ud800": 1}', id="lone-surrogate-key"),
    pytest.param(b'{"email": "\\udfff@example.com", "password": "\\ud800"}', id="surrogate-values"),
    pytest.param(b'{"email": "a\\u0000@example.com", "\\u0000": "\\u0000"}', id="nul"),
    pytest.param(b'{"email": "\xff\xfe\xfd", "password": "x"}', id="not-utf-8"),
    pytest.param(b"\xff\xfe\x00\x00garbage", id="binary"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, id="nested-too-deep"),
    pytest.param(b'{"email": 1e400, "password": NaN}', id="non-finite"),
]


@pytest.mark.parametrize("body", UNENCODABLE_BODIES)
async def test_bodies_that_cannot_be_echoed_still_get_a_clean_422(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    answer = assert_error_shape(response, 422)
    assert answer["errors"]
    assert_russian(answer)
    # The body parses as strict UTF-8 JSON: nothing unencodable slipped through.
    json.loads(response.content.decode("utf-8"))


async def test_routing_errors_answer_in_the_shape(teacher_client: httpx.AsyncClient) -> None:
    not_found = assert_error_shape(await teacher_client.get("/api/v1/no-such-thing"), 404)
    assert not_found["code"] == "not_found"
    assert_russian(not_found)
    not_allowed = await teacher_client.put("/api/v1/users/me", json={})
    assert assert_error_shape(not_allowed, 405)["code"] == "method_not_allowed"
    assert "allow" in not_allowed.headers


async def test_domain_errors_answer_in_the_shape(
    teacher_client: httpx.AsyncClient, people: People
) -> None:
    other = await people.teacher()
    taken = await teacher_client.post(STUDENTS, json={**student(), "email": other.email})
    conflict = assert_error_shape(taken, 409)
    assert (conflict["code"], conflict["field"]) == ("conflict", "email")
    assert "errors" not in conflict
    missing = assert_error_shape(await teacher_client.get(f"{STUDENTS}/999999"), 404)
    assert (missing["code"], missing["field"]) == ("not_found", None)
    forbidden = assert_error_shape(await teacher_client.get("/api/v1/teachers"), 403)
    assert forbidden["code"] == "forbidden"
    assert_russian(forbidden)


async def test_middleware_answers_are_in_the_shape(
    make_client: Any, people: People, teacher_client: httpx.AsyncClient
) -> None:
    anonymous = assert_error_shape(await make_client().get("/api/v1/users/me"), 401)
    assert (anonymous["code"], anonymous["field"]) == ("not_authenticated", None)
    del teacher_client.headers[CSRF_HEADER]
    refused = assert_error_shape(await teacher_client.post(STUDENTS, json=student()), 403)
    assert (refused["code"], refused["field"]) == ("csrf_failed", None)
    assert_russian(refused)


async def test_pages_get_a_translated_page_for_a_bad_path_parameter(
    teacher_client: httpx.AsyncClient,
) -> None:
    response = await teacher_client.get("/lessons/not-a-number/edit")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Введите целое число" in response.text
    assert "Input should" not in response.text


# --- the schema says so


def error_responses(schema: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (path, method, status, response)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]


async def test_openapi_documents_the_one_error_shape_everywhere(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in json.dumps(schema)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code", "field"]
    responses = error_responses(schema)
    assert responses
    for path, method, status, response in responses:
        media = response["content"]["application/json"]["schema"]
        assert media == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert "401" in documented, (path, method)
            if method in {"post", "put", "patch", "delete"}:
                assert {"403", "409", "413"} <= documented, (path, method)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in documented, (path, method)
            if "{" in path:
                assert "404" in documented, (path, method)
