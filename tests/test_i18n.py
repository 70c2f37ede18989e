"""Translations: every msgid has a Russian translation, and people see Russian unless they ask.

The msgids are extracted here exactly as `make messages` does (babel.cfg), so a new `_("...")`,
`gettext_for(language, "...")` or `N_("...")` without a Russian translation fails this file.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from pydantic import ValidationError

from app.api.templating import form_errors
from app.core import security
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD
from app.core.i18n import LANGUAGE_COOKIE, LOCALE_DIR, gettext_for
from app.schemas.accounts import StudentCreate

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "app"
CYRILLIC = re.compile("[\u0400-\u04ff]")

MsgId = str | tuple[str, ...]


def _only_app(path: str) -> bool:
    """Walk the app package only (never var/ with its databases, nor caches)."""
    resolved = Path(path).resolve()
    inside = resolved == APP_DIR or APP_DIR in resolved.parents
    return inside and resolved.name != "__pycache__"


@lru_cache(maxsize=1)
def extracted_msgids() -> frozenset[MsgId]:
    """What `pybabel extract -F babel.cfg` finds: the same method map, keywords and options."""
    config_path = ROOT / "babel.cfg"
    with config_path.open() as config:
        method_map, options_map = parse_mapping_cfg(config, filename=str(config_path))
    return frozenset(
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, directory_filter=_only_app
        )
    )


def load_catalog(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def placeholders(text: str) -> set[str]:
    """The `{names}` that `str.format` fills in (a translation must keep every one)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _forms(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A message's singular and plural forms (a plain message has one)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# --- the catalog ---------------------------------------------------------------------------


def test_extraction_finds_messages_from_python_and_templates() -> None:
    msgids = extracted_msgids()
    assert "Log in" in msgids  # a template's _()
    assert "Patronymic" in msgids  # a macro under templates/_macros (an underscore directory)
    assert "Changes saved" in msgids  # gettext_for(language, "...")
    assert "Student not found" in msgids  # a domain error marked with N_()
    assert "a digit" in msgids  # a password problem marked with N_()
    assert "Not authenticated" in msgids  # the middleware's own 401


def test_every_msgid_has_a_russian_translation() -> None:
    catalog = load_catalog("ru")
    untranslated = []
    for msgid in sorted(extracted_msgids(), key=str):
        message = catalog.get(msgid)
        if (
            message is None
            or message.fuzzy
            or not _forms(message.string)
            or not all(form.strip() for form in _forms(message.string))
        ):
            untranslated.append(msgid)
    assert not untranslated, (
        "Missing or fuzzy Russian translations (run `make messages`, then translate them in "
        f"app/locale/ru/LC_MESSAGES/messages.po): {untranslated}"
    )


def test_plural_translations_have_every_russian_form() -> None:
    catalog = load_catalog("ru")
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(_forms(message.string)) == catalog.num_plurals, message.id


def test_translations_keep_every_placeholder() -> None:
    for language in ("ru", "en"):
        for message in load_catalog(language):
            if not message.id:
                continue
            expected = set().union(*(placeholders(form) for form in _forms(message.id)))
            for form in _forms(message.string):
                if form:
                    assert placeholders(form) == expected, (language, message.id, form)


def test_the_russian_catalog_is_what_the_app_serves() -> None:
    assert gettext_for("ru", "Log in") == "Войти"
    assert gettext_for("ru", "Teacher {name} created").format(name="Анна Иванова") == (
        "Учётная запись преподавателя Анна Иванова создана"
    )
    # English needs no translations: the msgids are English.
    assert gettext_for("en", "Log in") == "Log in"
    assert gettext_for("en", "Teacher {name} created") == "Teacher {name} created"


def test_password_problems_are_msgids_that_match_the_policy() -> None:
    """The lengths are spelled out in the msgids (extraction cannot read an f-string)."""
    assert f"at least {security.PASSWORD_MIN_LENGTH} characters" == security.TOO_SHORT
    assert f"at most {security.PASSWORD_MAX_LENGTH} characters" == security.TOO_LONG
    problems = security.password_problems("") + security.password_problems(
        " " * (security.PASSWORD_MAX_LENGTH + 1)
    )
    assert security.TOO_SHORT in problems
    assert security.TOO_LONG in problems
    msgids = extracted_msgids()
    for problem in problems:
        assert problem in msgids
        assert CYRILLIC.search(gettext_for("ru", problem)), problem


def test_form_errors_are_russian() -> None:
    with pytest.raises(ValidationError) as caught:
        StudentCreate.model_validate(
            {"email": "not-an-address", "password": "short", "name": "", "surname": "Сидорова"}
        )
    errors = form_errors(caught.value, "ru")
    assert errors["password"] == (
        "Пароль должен содержать не менее 10 символов, заглавную букву, цифру, "
        "специальный символ, например ! ? # %"
    )
    assert errors["email"] == "Введите корректный адрес e-mail"
    assert errors["name"] == "Обязательное поле"
    english = form_errors(caught.value, "en")
    assert english["password"].startswith("Password must contain at least 10 characters")


# --- over HTTP -----------------------------------------------------------------------------


async def test_login_page_is_russian_by_default_and_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/auth/login")
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    assert '<button type="submit">Войти</button>' in page.text
    assert "Log in" not in page.text

    switched = await client.post(
        "/language", data={"language": "en", CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]}
    )
    assert switched.status_code == 303
    assert client.cookies[LANGUAGE_COOKIE] == "en"

    page = await client.get("/auth/login")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert '<button type="submit">Log in</button>' in page.text
    assert "Войти" not in page.text


async def test_a_failed_login_says_why_in_russian(client: httpx.AsyncClient) -> None:
    await client.get("/auth/login")
    response = await client.post(
        "/auth/login",
        data={
            "email": "nobody@example.com",
            "password": "Wrong-Password-1!",
            CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE],
        },
    )
    assert response.status_code == 401
    assert "Неверный e-mail или пароль" in response.text


@pytest.mark.parametrize("language", [None, "ru"])
async def test_api_errors_are_russian_by_default(
    client: httpx.AsyncClient, language: str | None
) -> None:
    if language is not None:
        client.cookies.set(LANGUAGE_COOKIE, language)
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["detail"] == gettext_for("ru", "Not authenticated")
    assert CYRILLIC.search(body["detail"]), body


async def test_api_errors_are_english_on_request(client: httpx.AsyncClient) -> None:
    client.cookies.set(LANGUAGE_COOKIE, "en")
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Not authenticated",
        "code": "not_authenticated",
        "field": None,
    }
