"""The auth middleware: who is signed in, what anonymous callers get, transparent renewal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.cookies import Morsel, SimpleCookie
from urllib.parse import quote

import httpx
import jwt
import pytest

from app.api.deps import SESSION_ENDED
from app.core.config import Settings
from app.core.cookies import ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE
from app.core.database import Database
from app.core.i18n import gettext_for
from app.core.security import AccessClaims, decode_access_token, issue_access_token
from app.models.users import Role
from tests.conftest import People, after_reuse_grace, login_as

MakeClient = Callable[[], httpx.AsyncClient]

ME = "/api/v1/users/me"
CSRF = "middleware-test-csrf-token"


def set_cookies(response: httpx.Response) -> dict[str, Morsel[str]]:
    found: dict[str, Morsel[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        found.update(parsed)
    return found


def issued(response: httpx.Response) -> dict[str, str]:
    """The cookies a response sets to a value (clearing a cookie does not count)."""
    return {name: c.value for name, c in set_cookies(response).items() if c.value}


def cleared(response: httpx.Response) -> set[str]:
    return {
        name for name, c in set_cookies(response).items() if not c.value and c["max-age"] == "0"
    }


def with_cookies(**values: str) -> dict[str, str]:
    """Exactly these cookies (and a matching CSRF pair), whatever a client's jar holds."""
    cookies = {**values, CSRF_COOKIE: CSRF}
    return {
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        CSRF_HEADER: CSRF,
    }


def assert_not_authenticated_json(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code", "field"}
    assert body["code"] == "not_authenticated"
    assert isinstance(body["detail"], str) and body["detail"]


def expired_copy(settings: Settings, access_token: str) -> str:
    """The same session's access token, issued long enough ago to have expired."""
    claims = decode_access_token(settings, access_token)
    issued_at = datetime.now(UTC) - timedelta(minutes=settings.access_token_expire_minutes + 5)
    return issue_access_token(settings, claims, now=issued_at)


async def signed_in_tokens(client: httpx.AsyncClient, email: str) -> tuple[str, str]:
    """Log in; the (access, refresh) cookie values."""
    cookies = issued(await login_as(client, email))
    return cookies[ACCESS_COOKIE], cookies[REFRESH_COOKIE]


# --- anonymous callers --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ME, "/api/v1/students", "/api/v1/teachers/1", "/api/v1/nope"])
async def test_api_path_without_cookie_gets_401_json(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert_not_authenticated_json(response)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_api_post_without_cookie_gets_401_json_and_creates_nothing(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    response = await client.post(
        "/api/v1/students",
        json={
            "email": "x@example.com",
            "password": "Correct-Horse-42!",
            "name": "X",
            "surname": "Y",
        },
    )
    assert_not_authenticated_json(response)
    await login_as(client, teacher.email)
    assert (await client.get("/api/v1/students")).json()["total"] == 0


@pytest.mark.parametrize(
    "target",
    ["/dashboard", "/students", "/students?q=ann lee&offset=50", "/students/new", "/"],
)
async def test_html_path_without_cookie_redirects_to_login_with_next(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await client.get(target)
    assert response.status_code == 303, response.text
    sent = httpx.URL(target)
    path_and_query = sent.raw_path.decode()
    assert response.headers["location"] == "/auth/login?next=" + quote(path_and_query, safe="")
    assert response.text == ""


async def test_login_redirect_round_trips_next_to_the_page(client: httpx.AsyncClient) -> None:
    redirect = await client.get("/students", params={"q": "ann"})
    login_page = await client.get(redirect.headers["location"])
    assert login_page.status_code == 200
    assert 'name="next" value="/students?q=ann"' in login_page.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/healthz", "application/json"),
        ("/auth/login", "text/html"),
        ("/docs", "text/html"),
        ("/openapi.json", "application/json"),
    ],
)
async def test_excluded_paths_are_reachable_anonymously(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)
    if path == "/healthz":
        assert response.json() == {"status": "ok"}
    if path == "/openapi.json":
        assert "/api/v1/auth/login" in response.json()["paths"]


async def test_excluded_prefix_does_not_match_a_longer_name(client: httpx.AsyncClient) -> None:
    # "/docs" is excluded; "/docsecret" is not under it.
    response = await client.get("/docsecret")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login?next=")


# --- tokens that do not identify anyone ----------------------------------------------------------


async def test_garbage_access_token_is_treated_as_no_session(
    make_client: MakeClient,
) -> None:
    client = make_client()
    api = await client.get(ME, headers=with_cookies(access_token="not.a.jwt"))
    assert_not_authenticated_json(api)
    page = await client.get("/dashboard", headers=with_cookies(access_token="garbage"))
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=%2Fdashboard"


async def test_token_signed_with_another_key_is_treated_as_no_session(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, _ = await signed_in_tokens(client, teacher.email)
    real = jwt.decode(access, options={"verify_signature": False})
    forged = jwt.encode(real, "another-key-" + "x" * 40, algorithm=settings.algorithm)
    # Same claims, a real session id: only the signature is wrong.
    assert jwt.decode(forged, options={"verify_signature": False}) == real

    other = make_client()
    assert_not_authenticated_json(await other.get(ME, headers=with_cookies(access_token=forged)))
    page = await other.get("/dashboard", headers=with_cookies(access_token=forged))
    assert page.status_code == 303
    assert (await client.get(ME)).status_code == 200  # the genuine token still works


async def test_unsigned_token_is_treated_as_no_session(
    make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    claims = {
        "sub": str(teacher.id),
        "role": "superuser",
        "tid": None,
        "sid": str(uuid.uuid4()),
        "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
        "typ": "access",
    }
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    response = await make_client().get(ME, headers=with_cookies(access_token=unsigned))
    assert_not_authenticated_json(response)


async def test_valid_token_for_unknown_session_is_refused(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    # Correctly signed, but no such login exists server-side (e.g. a leaked signing key).
    token = issue_access_token(
        settings,
        AccessClaims(
            user_id=teacher.id, role=Role.TEACHER, teacher_id=None, session_id=uuid.uuid4()
        ),
    )
    response = await make_client().get(ME, headers=with_cookies(access_token=token))
    assert response.status_code == 401
    assert response.json() == {
        "detail": gettext_for(settings.default_language, SESSION_ENDED),
        "code": "not_authenticated",
        "field": None,
    }


async def test_access_token_claiming_another_role_is_refused(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, _ = await signed_in_tokens(client, teacher.email)
    claims = decode_access_token(settings, access)
    # Even with the signing key, a token must match the session's user and role.
    promoted = issue_access_token(
        settings,
        AccessClaims(
            user_id=claims.user_id,
            role=Role.SUPERUSER,
            teacher_id=None,
            session_id=claims.session_id,
        ),
    )
    response = await make_client().get(
        "/api/v1/teachers", headers=with_cookies(access_token=promoted)
    )
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- expiry and transparent renewal -------------------------------------------------------------


async def test_expired_access_token_is_renewed_by_refresh_cookie(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, refresh = await signed_in_tokens(client, teacher.email)
    expired = expired_copy(settings, access)

    browser = make_client()
    response = await browser.get(
        ME, headers=with_cookies(access_token=expired, refresh_token=refresh)
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == teacher.id
    new = issued(response)
    assert set(new) >= {ACCESS_COOKIE, REFRESH_COOKIE}
    assert new[ACCESS_COOKIE] != expired
    assert new[REFRESH_COOKIE] != refresh
    new_claims = decode_access_token(settings, new[ACCESS_COOKIE])
    assert new_claims.session_id == decode_access_token(settings, access).session_id
    assert set_cookies(response)[ACCESS_COOKIE]["httponly"] is True
    # The renewed cookies carry on alone.
    again = await make_client().get(
        ME, headers=with_cookies(access_token=new[ACCESS_COOKIE], refresh_token=new[REFRESH_COOKIE])
    )
    assert again.status_code == 200
    assert ACCESS_COOKIE not in issued(again)  # nothing to renew this time


async def test_expired_access_token_is_renewed_on_a_page_too(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, refresh = await signed_in_tokens(client, teacher.email)
    response = await make_client().get(
        "/students",
        headers=with_cookies(access_token=expired_copy(settings, access), refresh_token=refresh),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert {ACCESS_COOKIE, REFRESH_COOKIE} <= set(issued(response))


async def test_missing_access_cookie_is_renewed_by_refresh_cookie(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    _, refresh = await signed_in_tokens(client, teacher.email)
    # The browser dropped the access cookie when its Max-Age ran out.
    response = await make_client().get(ME, headers=with_cookies(refresh_token=refresh))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == teacher.id
    assert {ACCESS_COOKIE, REFRESH_COOKIE} <= set(issued(response))


async def test_renewal_rotates_the_refresh_token(
    client: httpx.AsyncClient,
    make_client: MakeClient,
    people: People,
    settings: Settings,
    database: Database,
) -> None:
    teacher = await people.teacher()
    access, refresh = await signed_in_tokens(client, teacher.email)
    expired = expired_copy(settings, access)
    renewed = await make_client().get(
        ME, headers=with_cookies(access_token=expired, refresh_token=refresh)
    )
    assert renewed.status_code == 200
    await after_reuse_grace(database)

    replay = await make_client().get(
        ME, headers=with_cookies(access_token=expired, refresh_token=refresh)
    )

    assert_not_authenticated_json(replay)
    assert {ACCESS_COOKIE, REFRESH_COOKIE} <= cleared(replay)


async def test_reusing_a_rotated_refresh_token_revokes_the_session(
    client: httpx.AsyncClient,
    make_client: MakeClient,
    people: People,
    settings: Settings,
    database: Database,
) -> None:
    teacher = await people.teacher()
    access, stolen_refresh = await signed_in_tokens(client, teacher.email)
    expired = expired_copy(settings, access)
    # The owner's browser renews first ...
    renewed = await make_client().get(
        ME, headers=with_cookies(access_token=expired, refresh_token=stolen_refresh)
    )
    assert renewed.status_code == 200
    current = issued(renewed)
    owner = with_cookies(access_token=current[ACCESS_COOKIE], refresh_token=current[REFRESH_COOKIE])
    assert (await make_client().get(ME, headers=owner)).status_code == 200
    await after_reuse_grace(database)

    # ... then a thief presents the old refresh token.
    thief = await make_client().get(ME, headers=with_cookies(refresh_token=stolen_refresh))
    assert_not_authenticated_json(thief)

    # The whole login is over: the owner's fresh access token and refresh token stop working.
    after = await make_client().get(ME, headers=owner)
    assert after.status_code == 401
    assert after.json()["code"] == "not_authenticated"
    refresh_only = await make_client().get(
        ME, headers=with_cookies(refresh_token=current[REFRESH_COOKIE])
    )
    assert_not_authenticated_json(refresh_only)
    assert (await client.get(ME)).status_code == 401  # `client` still holds that login's cookies
    # The person can simply log in again.
    assert (await login_as(make_client(), teacher.email)).status_code == 200


async def test_expired_access_token_without_refresh_cookie_is_401_for_api(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, _ = await signed_in_tokens(client, teacher.email)
    response = await make_client().get(
        ME, headers=with_cookies(access_token=expired_copy(settings, access))
    )
    assert_not_authenticated_json(response)
    assert ACCESS_COOKIE not in issued(response)


async def test_expired_access_token_without_refresh_cookie_redirects_pages_to_login(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, _ = await signed_in_tokens(client, teacher.email)
    response = await make_client().get(
        "/students?q=x", headers=with_cookies(access_token=expired_copy(settings, access))
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fstudents%3Fq%3Dx"
    assert ACCESS_COOKIE not in issued(response)


async def test_expired_access_token_with_garbage_refresh_cookie_is_401(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, refresh = await signed_in_tokens(client, teacher.email)
    session_id = refresh.split(".")[0]
    for bad in ("garbage", f"{session_id}.wrong-secret", f"{uuid.uuid4()}.whatever"):
        response = await make_client().get(
            ME, headers=with_cookies(access_token=expired_copy(settings, access), refresh_token=bad)
        )
        assert_not_authenticated_json(response)
        assert ACCESS_COOKIE not in issued(response)


async def test_expired_access_token_of_logged_out_session_is_not_renewed(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    access, refresh = await signed_in_tokens(client, teacher.email)
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    response = await make_client().get(
        ME, headers=with_cookies(access_token=expired_copy(settings, access), refresh_token=refresh)
    )
    assert_not_authenticated_json(response)
    assert ACCESS_COOKIE not in issued(response)


# --- Bearer tokens ------------------------------------------------------------------------------


async def test_bearer_token_authenticates_api_without_cookies(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    login = await login_as(client, student.email)
    token = login.json()["access_token"]

    api_client = make_client()
    response = await api_client.get(ME, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    assert response.json()["id"] == student.user_id
    assert response.json()["role"] == "student"
    assert not api_client.cookies.get(ACCESS_COOKIE)
    assert_not_authenticated_json(await api_client.get(ME))  # nothing stuck to the client


async def test_bearer_token_is_refused_after_logout(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    token = (await login_as(client, teacher.email)).json()["access_token"]
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    response = await make_client().get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_invalid_bearer_token_is_401(make_client: MakeClient) -> None:
    response = await make_client().get(ME, headers={"Authorization": "Bearer nonsense"})
    assert_not_authenticated_json(response)
