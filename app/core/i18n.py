"""Translations through gettext catalogs (Babel). Russian by default, English on request.

Catalogs are the `.po` files under `app/locale`; they are compiled in memory at start-up, so there
is no build step and no binary `.mo` in the repository. Source strings (msgids) are English.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = {"ru": "Русский", "en": "English"}
DEFAULT_LANGUAGE = "ru"
LANGUAGE_COOKIE = "lang"


def normalize_language(value: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if value:
        short = value.strip().lower().replace("_", "-").split("-")[0]
        if short in LANGUAGES:
            return short
    return default


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext name
    """Mark a msgid for extraction where it is defined; it is translated later, where shown."""
    return message


def gettext_for(language: str, message: str) -> str:
    return translations(normalize_language(language)).gettext(message)
