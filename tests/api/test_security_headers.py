"""Security headers on every kind of response: pages, JSON, static files, redirects and the
answers middleware gives itself; HSTS only behind HTTPS; no-store wherever a person's data is."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from app.api import docs
from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD, CSRF_HEADER
from app.core.database import Database
from app.core.headers import DOCS_POLICY, HSTS, OTHER_POLICY, PAGE_POLICY
from app.main import create_app
from app.schemas.lms.blocks.embeds import embed_url
from tests.conftest import PASSWORD, People, login_as, make_settings

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def assert_common(response: httpx.Response) -> None:
    """What every response carries, whatever answered it."""
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff", headers
    assert headers["x-frame-options"] == "DENY", headers
    assert headers["referrer-policy"] == "same-origin", headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"], headers
    assert "strict-transport-security" not in headers  # plain HTTP (COOKIE_SECURE off)


def assert_page(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert_common(response)
    policy = response.headers["content-security-policy"]
    assert policy == PAGE_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "http:" not in directives["img-src"].split()
    # Frames: only the video players lessons embed, each an https origin with no wildcard.
    assert directives["frame-src"].split() == [
        "https://www.youtube-nocookie.com",
        "https://vk.com",
        "https://vkvideo.ru",
        "https://rutube.ru",
    ]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store", response.headers


def test_every_embedded_player_is_allowed_by_frame_src() -> None:
    """What a video block frames (app/schemas/lms/blocks/embeds.py) is exactly what frame-src
    allows: every embed address it builds starts with an allowed origin."""
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    allowed = directives["frame-src"].split()
    for link in (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://vk.com/video-1_2",
        "https://vkvideo.ru/video-1_2",
        "https://rutube.ru/video/0123456789abcdef/",
    ):
        player = embed_url(link)
        assert player is not None and any(player.startswith(f"{o}/") for o in allowed), player


# --- pages ----------------------------------------------------------------------------------


async def test_login_page_has_the_page_policy_and_no_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/login")
    assert response.status_code == 200
    assert_page(response)
    assert_no_store(response)


async def test_signed_in_pages_have_the_page_policy_and_no_store(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    for path in ("/dashboard", "/students", "/lessons", "/auth/logout"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert_page(response)
        assert_no_store(response)


async def test_error_page_has_the_headers(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.get("/lessons/999999999/edit")
    assert response.status_code == 404
    assert_page(response)
    assert_no_store(response)


# --- JSON -----------------------------------------------------------------------------------


async def test_signed_in_json_has_the_headers_and_no_store(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    for path in ("/api/v1/users/me", "/api/v1/students", "/api/v1/no-such-thing"):
        response = await client.get(path)
        assert response.headers["content-type"].startswith("application/json"), path
        assert_common(response)
        assert response.headers["content-security-policy"] == OTHER_POLICY
        assert_no_store(response)


async def test_login_api_answer_is_not_stored(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    response = await login_as(client, teacher.email)
    assert_common(response)
    assert_no_store(response)


# --- static files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["app.css", "player.js"])
async def test_static_files_have_the_headers_and_keep_their_caching(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/static/{name}")
    assert response.status_code == 200
    assert_common(response)
    assert "cache-control" not in response.headers
    assert "etag" in response.headers  # revalidation stays possible
    cached = await client.get(
        f"/static/{name}", headers={"if-none-match": response.headers["etag"]}
    )
    assert cached.status_code == 304
    assert_common(cached)


# --- answers that middleware or a redirect gives ----------------------------------------------


async def test_login_redirect_and_401_have_the_headers(client: httpx.AsyncClient) -> None:
    redirect = await client.get("/dashboard")
    assert redirect.status_code == 303
    assert_common(redirect)
    assert_no_store(redirect)
    refused = await client.get("/api/v1/users/me")
    assert refused.status_code == 401
    assert_common(refused)
    assert_no_store(refused)


async def test_csrf_refusal_has_the_headers(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    del client.headers[CSRF_HEADER]
    for path in ("/api/v1/students", "/students/new"):
        response = await client.post(path, json={})
        assert response.status_code == 403, (path, response.text)
        assert_common(response)


async def test_too_large_body_answer_has_the_headers(client: httpx.AsyncClient) -> None:
    await client.get("/auth/login")
    response = await client.post(
        "/auth/login",
        data={"email": "x" * (3 * 1024 * 1024), CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]},
    )
    assert response.status_code == 413, response.text
    assert_common(response)


async def test_redirect_after_form_login_has_the_headers(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    response = await client.post(
        "/auth/login",
        data={
            "email": teacher.email,
            "password": PASSWORD,
            CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE],
        },
    )
    assert response.status_code == 303
    assert_common(response)
    assert_no_store(response)


# --- /docs ----------------------------------------------------------------------------------


def _docs_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


def _linked_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"', html)


async def test_docs_load_swagger_ui_from_this_app_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")  # anonymously: the docs are public by default
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_common(response)
    assert_no_store(response)
    html = response.text
    urls = _linked_urls(html)
    assert len(urls) == 4, urls  # the bundle, its style sheet, the icon and our initialiser
    for url in urls:
        assert url.startswith("/static/") and not url.startswith("//"), url
    assert "cdn." not in html and "https://" not in html and "http://" not in html
    assert re.findall(r"<script\b[^>]*>", html) == [
        f'<script src="{url}">' for url in urls if url.endswith(".js") or ".js?" in url
    ], "every script is a file: no inline script"
    assert 'data-openapi-url="/openapi.json"' in html
    assert int(response.headers["content-length"]) == len(response.content)


async def test_docs_policy_allows_scripts_from_this_app_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.headers["content-security-policy"] == DOCS_POLICY
    directives = _docs_directives(response)
    assert directives["script-src"] == "'self'"  # no CDN, no hash, no 'unsafe-inline'
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    for directive, sources in directives.items():
        assert "https:" not in sources.split() and "cdn." not in sources, directive
        assert "sha256-" not in sources and "unsafe-" not in sources, directive


async def test_swagger_ui_files_are_served_from_the_npm_package(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    expected = {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon-32x32.png": "image/png",
    }
    served = {}
    for url in _linked_urls(page.text):
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        assert_common(response)
        assert response.headers.get("cache-control") != "no-store", url
        name = url.split("?")[0].rsplit("/", 1)[1]
        if name == "docs.js":
            assert response.content == (STATIC / "docs.js").read_bytes()
            continue
        assert response.headers["content-type"].startswith(expected[name]), url
        assert response.content == (docs.SWAGGER_UI_DIR / name).read_bytes(), url
        served[name] = url
    assert served.keys() == expected.keys()
    version = json.loads((docs.SWAGGER_UI_DIR / "package.json").read_text())["version"]
    assert all(url.endswith(f"?v={version}") for url in served.values()), served


@pytest.mark.parametrize(
    "name", ["index.html", "swagger-initializer.js", "package.json", "swagger-ui-bundle.js.map"]
)
async def test_the_rest_of_the_npm_package_is_not_served(
    client: httpx.AsyncClient, name: str
) -> None:
    assert (docs.SWAGGER_UI_DIR / name).is_file(), name  # it is there, just not served
    response = await client.get(f"/static/vendor/swagger-ui/{name}")
    assert response.status_code == 404


async def test_docs_without_the_npm_files_say_to_run_make_and_use_no_cdn(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server started by hand (uvicorn, no `make`) has no node_modules."""
    monkeypatch.setattr(docs, "SWAGGER_UI_DIR", tmp_path / "node_modules" / "swagger-ui-dist")
    response = await client.get("/docs")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "make run" in response.text
    assert "cdn." not in response.text and "SwaggerUIBundle" not in response.text
    assert "swagger-ui" not in response.text
    assert_common(response)
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        missing = await client.get(f"/static/vendor/swagger-ui/{name}")
        assert missing.status_code == 404, name


async def test_docs_without_the_npm_files_say_so_in_russian(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(docs, "SWAGGER_UI_DIR", tmp_path)
    response = await client.get("/docs", headers={"accept-language": "ru"})
    assert response.status_code == 503
    assert "Документация API не установлена" in response.text
    assert "make run" in response.text


async def test_swagger_ui_files_stay_public_when_the_docs_are_not(
    owner_url: URL, database: Database
) -> None:
    settings = make_settings(owner_url, excluded_paths=["/auth/login"])
    transport = httpx.ASGITransport(app=create_app(settings, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/docs")
        assert page.status_code == 303  # the docs need a login here
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            response = await client.get(f"/static/vendor/swagger-ui/{name}")
            assert response.status_code == 200, name
        assert (await client.get("/static/docs.js")).status_code == 200


async def test_openapi_schema_has_the_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert_common(response)
    assert response.headers["content-security-policy"] == OTHER_POLICY


# --- HSTS -----------------------------------------------------------------------------------


@pytest.fixture
async def https_client(owner_url: URL, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app with COOKIE_SECURE on, as behind an HTTPS proxy."""
    app = create_app(make_settings(owner_url, cookie_secure=True), database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


async def test_hsts_only_when_cookie_secure_is_on(
    client: httpx.AsyncClient, https_client: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.cookie_secure is False
    for path in ("/auth/login", "/static/app.css", "/api/v1/users/me", "/dashboard"):
        plain = await client.get(path)
        assert "strict-transport-security" not in plain.headers, path
        secure = await https_client.get(path)
        assert secure.headers["strict-transport-security"] == HSTS, path
        assert HSTS == "max-age=31536000; includeSubDomains"


# --- what the page policy would break ---------------------------------------------------------


def test_templates_have_no_inline_script_handler_or_style() -> None:
    """`script-src 'self'` and `style-src 'self'` would silently break any of these."""
    problems = []
    patterns = {
        "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
        "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
        "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
        "style block": re.compile(r"<style[\s>]", re.IGNORECASE),
        "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    }
    files = [*TEMPLATES.rglob("*.html"), *STATIC.rglob("*.html"), *STATIC.rglob("*.svg")]
    assert files
    for file in files:
        text = file.read_text()
        for what, pattern in patterns.items():
            if pattern.search(text):
                problems.append(f"{file.relative_to(TEMPLATES.parent)}: {what}")
    assert not problems, problems


def test_scripts_do_not_set_style_attributes() -> None:
    """Scripts may change `element.style` (CSSOM, allowed), never write a style attribute."""
    for script in STATIC.rglob("*.js"):
        text = script.read_text()
        assert 'setAttribute("style"' not in text and "setAttribute('style'" not in text
        assert "innerHTML" not in text, f"{script.name}: markup from a script would dodge review"
