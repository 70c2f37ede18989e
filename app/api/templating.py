"""The one Jinja2 environment: globals for the actor, translation, CSRF token and flash messages."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment as JinjaEnvironment
from jinja2 import FileSystemLoader
from jinja2.environment import TemplateModule
from pydantic import ValidationError

from app.core.actor import Actor
from app.core.clock import on_wall_clock
from app.core.config import Environment, get_settings
from app.core.i18n import LANGUAGES, N_, translations
from app.core.markdown import render_markdown
from app.schemas.common import DATE_OUT_OF_RANGE, FINITE_NUMBER, TEXT_CHARACTERS
from app.schemas.lms.blocks import BLOCKS, gap_pieces

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
FLASH_COOKIE = "flash"

templates = Jinja2Templates(
    env=JinjaEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Checking every template's mtime on every render was 4.5% of a dashboard's CPU
        # (bench/); only local development edits templates under a running server.
        auto_reload=get_settings().environment is Environment.LOCAL,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.globals["LANGUAGES"] = LANGUAGES


def static_url(path: str) -> str:
    """`/static/<path>?v=<mtime>`: a changed file gets a new URL (no stale browser caches).

    `url_for('static', ...)` walked every route of the app on each call: 6.6% of a
    dashboard's CPU (bench/).
    """
    return _STATIC_URLS.get(path) or f"/static/{path}"


_STATIC_URLS = {
    file.relative_to(STATIC_DIR).as_posix(): (
        f"/static/{file.relative_to(STATIC_DIR).as_posix()}?v={int(file.stat().st_mtime)}"
    )
    for file in STATIC_DIR.rglob("*")
    if file.is_file()
}
templates.env.globals["static_url"] = static_url
templates.env.filters["markdown"] = render_markdown


def wall_clock(moment: datetime | None, zone: tzinfo) -> str:
    """`{{ moment|wall_clock(zone) }}`: the date and time the viewer's clock shows."""
    return on_wall_clock(moment, zone).strftime("%d.%m.%Y %H:%M") if moment else "—"


templates.env.filters["wall_clock"] = wall_clock


def block_macros(block_type: str) -> TemplateModule:
    """The macros of a block type's template (`lms/blocks/<type>.html`)."""
    return templates.get_template(BLOCKS[block_type].template).module


def block_labels(gettext: Any) -> dict[str, str]:
    """Every block type's name in the page's language (`gettext` is the page's `_`)."""
    return {name: str(gettext(kind.label)) for name, kind in BLOCKS.items()}


# The block templates are imported once, without a page's context (an import `with context` is
# evaluated again on every render): what their macros need besides their arguments is global.
templates.env.globals["block_macros"] = block_macros
templates.env.globals["block_labels"] = block_labels
templates.env.globals["gap_pieces"] = gap_pieces
# The one way a person is shown (name now; avatar and equipped cosmetics later), on every page.
templates.env.globals["person_name"] = templates.env.get_template(
    "_macros/people.html"
).module.person_name  # type: ignore[attr-defined]


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.effective_secret_key(), salt="flash")


def language_of(request: Request) -> str:
    """The language of this request, as the middleware chose it (account, cookie or default)."""
    language = getattr(request.state, "language", None)
    return language if isinstance(language, str) else request.app.state.settings.default_language


def tr(request: Request, message: str) -> str:
    """`message` in the language of this request (page modules' flash and form messages)."""
    return translations(language_of(request)).gettext(message)


def redirect_with_flash(request: Request, url: str, message: str) -> RedirectResponse:
    """POST → 303 → GET, carrying a one-time message in a signed cookie."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE, _serializer(request).dumps(message), httponly=True, samesite="lax", path="/"
    )
    return response


def _take_flash(request: Request) -> str | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        return str(_serializer(request).loads(raw))
    except BadSignature:
        return None


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    language = language_of(request)
    catalog = translations(language)
    actor: Actor = getattr(request.state, "actor", None) or Actor.anonymous()
    flash = _take_flash(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "actor": actor,
            "language": language,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "flash": flash,
            "_": catalog.gettext,
            "gettext": catalog.gettext,
            "ngettext": catalog.ngettext,
            **(context or {}),
        },
        status_code=status_code,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def form_errors(error: ValidationError, language: str) -> dict[str, str]:
    """Field name → a translated message, for re-rendering a form next to its fields."""
    catalog = translations(language)
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        if item["type"] == "password_policy":
            problems = [catalog.gettext(p) for p in item.get("ctx", {}).get("problems", [])]
            message = catalog.gettext("Password must contain {missing}").format(
                missing=", ".join(problems)
            )
        else:
            message = _translate_pydantic(catalog.gettext, item)
        errors.setdefault(field, message)
    return errors


def _translate_pydantic(gettext: Any, item: Any) -> str:
    # Pydantic's own messages are English; the common ones are in the catalog by their type.
    by_type = {
        "missing": N_("This field is required"),
        "string_too_short": N_("This field is required"),
        "string_too_long": N_("This value is too long"),
        "value_error": N_("Enter a valid value"),
        "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD"),
        "date_parsing": N_("Enter a date as YYYY-MM-DD"),
        "date_type": N_("Enter a date as YYYY-MM-DD"),
        "timezone": N_("Unknown time zone; use an IANA name such as Europe/Moscow"),
        "birthday": N_("Birthday must be between 1900-01-01 and today"),
        "language": N_("Language must be one of: {choices}"),
        "text_characters": TEXT_CHARACTERS,
        "finite_number": FINITE_NUMBER,
        "date_range": DATE_OUT_OF_RANGE,
    }
    if item["type"] == "value_error" and "email" in str(item.get("msg", "")).lower():
        return str(gettext("Enter a valid e-mail address"))
    message = by_type.get(item["type"])
    if message is None:
        return str(item["msg"])
    return str(gettext(message)).format(
        **{k: v for k, v in item.get("ctx", {}).items() if k == "choices"}
    )
