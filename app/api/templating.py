"""The one Jinja2 environment: globals for the actor, translation, CSRF token and flash messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment as JinjaEnvironment
from jinja2 import FileSystemLoader
from jinja2.environment import TemplateModule
from markupsafe import Markup, escape
from pydantic import ValidationError

from app.core.actor import Actor
from app.core.clock import on_wall_clock
from app.core.config import Environment, get_settings
from app.core.i18n import LANGUAGES, N_, translations
from app.core.markdown import render_markdown
from app.core.timezones import timezone_choices, timezone_label
from app.schemas.common import DATE_OUT_OF_RANGE, FINITE_NUMBER, TEXT_CHARACTERS
from app.schemas.lms.blocks import BLOCKS, gap_pieces
from app.schemas.lms.blocks.matching import pair_lines

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


# The one way dates look, in Russian and English alike: day.month.year with two-digit day and
# month and the full year, times on the 24-hour clock ("11.12.2026", "11.12.2026 18:00"). One
# rule keeps every page and table consistent, it reads the same in both languages (no
# "12/11" that an English reader takes for 11 December and a Russian one for 12 November).
DATE_FORMAT = "%d.%m.%Y"
DATE_TIME_FORMAT = f"{DATE_FORMAT} %H:%M"


def calendar_date(value: date | None, zone: tzinfo | None = None) -> str:
    """`{{ value|calendar_date }}`: a day as "11.12.2026" (see `DATE_FORMAT`), "—" for none.

    A `datetime` (a moment) is first turned into the day the viewer's clock in `zone` shows;
    a `date` (a birthday) is the same day everywhere and needs no zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = on_wall_clock(value, zone or UTC)
    return value.strftime(DATE_FORMAT)


def wall_clock(moment: datetime | None, zone: tzinfo) -> str:
    """`{{ moment|wall_clock(zone) }}`: the date and time the viewer's clock in `zone` shows,
    as "11.12.2026 18:00" (see `DATE_TIME_FORMAT`), "—" for none."""
    return on_wall_clock(moment, zone).strftime(DATE_TIME_FORMAT) if moment else "—"


def email_breaks(email: str) -> Markup:
    """`{{ email|email_breaks }}`: the address with line-break chances (<wbr>) after "@" and
    before each ".", so a long one wraps where a reader expects (never inside a name) and a
    table column can be as narrow as its longest part."""
    return escape(email).replace("@", Markup("@<wbr>")).replace(".", Markup("<wbr>."))


templates.env.filters["calendar_date"] = calendar_date
templates.env.filters["email_breaks"] = email_breaks
templates.env.filters["wall_clock"] = wall_clock
# The time zone <select> of the person forms and a zone's name as people read it.
templates.env.globals["timezone_choices"] = timezone_choices
templates.env.globals["timezone_label"] = timezone_label


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
templates.env.globals["pair_lines"] = pair_lines
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


def error_message(item: Any, language: str) -> str:
    """One pydantic error item in `language`: what every page form (and the builder) shows."""
    return _translate_pydantic(translations(language).gettext, item)


# Context values a message may show: limits from the schema, never the input.
_SHOWN_CONTEXT = frozenset({"choices", "ge", "gt", "le", "lt", "min_length", "max_length"})


# Pydantic's own messages are English; the common ones are in the catalog by their type. These
# read the same in a page form and in the JSON API (app.api.errors.API_MESSAGES adds its own).
PYDANTIC_MESSAGES = {
    "int_parsing": N_("Enter a whole number"),
    "int_from_float": N_("Enter a whole number"),
    "int_type": N_("Enter a whole number"),
    "decimal_parsing": N_("Enter a number"),
    "decimal_type": N_("Enter a number"),
    "greater_than": N_("Must be greater than {gt}"),
    "greater_than_equal": N_("Must be at least {ge}"),
    "less_than": N_("Must be less than {lt}"),
    "less_than_equal": N_("Must be at most {le}"),
    "too_short": N_("At least {min_length} items are needed"),
    "too_long": N_("At most {max_length} items are allowed"),
}
# What a page form says besides: its fields are filled in by a person.
FORM_MESSAGES = {
    **PYDANTIC_MESSAGES,
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


def own_message(gettext: Any, item: Any) -> str | None:
    """Our own validators' message (`app.schemas.lms.blocks.base.problem`: a msgid in the
    error's context) in the `gettext`'s language; None for pydantic's own errors."""
    context = item.get("ctx") or {}
    if not isinstance(context.get("msgid"), str):
        return None
    values = {key: value for key, value in context.items() if key != "msgid"}
    return str(gettext(context["msgid"])).format(**values)


def _translate_pydantic(gettext: Any, item: Any) -> str:
    own = own_message(gettext, item)
    if own is not None:
        return own
    context = item.get("ctx") or {}
    if item["type"] == "value_error" and "email" in str(item.get("msg", "")).lower():
        return str(gettext("Enter a valid e-mail address"))
    message = FORM_MESSAGES.get(item["type"])
    if message is None:
        # A schema's own message may be a msgid (translated); anything else stays as it is
        # (never gettext(""): that is the catalog's header).
        text = str(item.get("msg") or "")
        return str(gettext(text)) if text else text
    return str(gettext(message)).format(
        **{key: value for key, value in context.items() if key in _SHOWN_CONTEXT}
    )
