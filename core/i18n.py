"""Translations: gettext catalogs for Italian and English.

Message ids are English; ``locale/it`` holds the Italian catalog and
``locale/en`` an (identity) English one. The language comes from the
``--lang`` option, then ``PATTI_LANG``, then ``LANG``/``LC_ALL``/
``LC_MESSAGES``; Italian when none is set, because the operators are
Italian social workers.
"""

from __future__ import annotations

import gettext as _gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "patti"
LANGUAGES = ("it", "en")
#: Each language named in itself, as a language menu shows it.
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}
DEFAULT_LANGUAGE = "it"

_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def resolve_language(explicit: str | None = None) -> str:
    """Pick the language from an explicit choice, then the environment."""
    candidates = [explicit, os.environ.get("PATTI_LANG")]
    candidates += [os.environ.get(name) for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.split(".")[0].split("_")[0].split("-")[0].lower()
        if code in LANGUAGES:
            return code
        if candidate is explicit:
            raise ValueError(
                f"unsupported language {candidate!r}: use one of {', '.join(LANGUAGES)}"
            )
    return DEFAULT_LANGUAGE


def set_language(language: str | None = None) -> str:
    """Activate a language for every later ``_()`` call and return its code."""
    global _translations, _language
    _language = resolve_language(language)
    _translations = _gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[_language], fallback=True
    )
    return _language


def current_language() -> str:
    """The code of the active language (``it`` or ``en``)."""
    return _language


def bilingual(italian: str, english: str) -> str:
    """Pick one of a pair of texts by the active language.

    For text that cannot go through the gettext catalog: plugins (a
    third-party package cannot add to it) and labels stored in data.
    """
    return italian if _language == "it" else english


def bilingual_count(n: int, one: tuple[str, str], many: tuple[str, str]) -> str:
    """``n`` with its words, each form an (Italian, English) pair: :func:`bilingual` with
    the singular for 1 ("1 classe", "2 classi"). ``{n}`` in the texts is the number."""
    return bilingual(*(one if n == 1 else many)).format(n=n)


def _(message: str) -> str:
    """Translate ``message`` into the active language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on ``n``."""
    return _translations.ngettext(singular, plural, n)


#: An enum label or other deferred message: a msgid, or ``(context, msgid)`` when one
#: English word needs two translations (an activity is *annullata*, a pact *annullato*).
Label = str | tuple[str, str]


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` as used in ``context`` (e.g. "activity status")."""
    return _translations.pgettext(context, message)


def NC_(context: str, message: str) -> tuple[str, str]:
    """Mark ``message`` with its ``context`` for extraction; translate later with
    :func:`translate_label`."""
    return (context, message)


def translate_label(label: Label, translations: _gettext.NullTranslations | None = None) -> str:
    """A deferred label (see :data:`Label`) in the active language, or in ``translations``."""
    catalog = translations if translations is not None else _translations
    if isinstance(label, tuple):
        return catalog.pgettext(*label)
    return catalog.gettext(label)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (module constants)."""
    return message


set_language()
