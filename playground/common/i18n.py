"""The app's two languages: English (the source text) and Simplified Chinese.

Messages are marked with :func:`_` (or :func:`N_` where a constant is defined at import
time and translated where it is shown) and live in a gettext catalogue,
``playground/locale/zh_Hans/LC_MESSAGES/messages.po``, managed with Babel
(``python scripts/i18n.py``: extract, update, compile). The runtime needs only the
standard library's :mod:`gettext`, reading the compiled ``messages.mo`` that is
committed beside the ``.po`` (a test keeps the two in step), so ``pip install -r
requirements.txt`` and ``streamlit run app.py`` need no build step.

Messages with numbers use named placeholders, ``_("Run #{run_id}").format(run_id=3)``,
so a translation may put them in another order. Numbers are formatted by Python's own
format specs (``{accuracy:.1%}``, ``{n:,}``), not by Babel: Simplified Chinese writes
digits, the decimal point, the thousands comma and the percent sign as English does
(CLDR ``zh-Hans``), so the same format is locale-correct in both languages.

The language is per browser tab (``Playground.lang``). :func:`set_language` fixes it for
the current thread's page run (a :class:`contextvars.ContextVar`, so sessions running at
once in their own threads never see each other's); where a run has not set it yet (a
widget callback runs before the page), :func:`language` asks the source the shell
registered (the tab's state). What it trades away: text made once and kept (a notice
queued for the next run) stays in the language it was made in.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
from collections.abc import Callable, Iterator
from pathlib import Path

#: The languages a page can be shown in, in the sidebar switch's order.
LANGUAGES = ("zh", "en")
#: What each language is called, in itself (the switch's labels).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "en"
#: gettext's locale directory name for each translated language.
CATALOGUE_LOCALES = {"zh": "zh_Hans"}
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
#: The CSS font stack every chart and custom component names: the system UI fonts, then
#: fonts that carry Chinese glyphs (macOS, Windows, Noto/Source Han, WenQuanYi on Linux).
FONT_FAMILY = (
    '"Source Sans Pro", "Source Sans 3", -apple-system, "Segoe UI", Roboto, Arial, '
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "playground_language", default=None
)
_source: list[Callable[[], str | None]] = []


def normalise(lang: object) -> str | None:
    """``lang`` if it names one of :data:`LANGUAGES`, else None."""
    return lang if isinstance(lang, str) and lang in LANGUAGES else None


def language_from_locale(locale: str | None) -> str:
    """The language for a browser locale (``navigator.language``): any Chinese locale
    (``zh``, ``zh-CN``, ``zh-Hans-CN``, ``zh-TW`` ...) reads Chinese, anything else English.
    Traditional-Chinese readers get Simplified Chinese rather than English: closer."""
    if isinstance(locale, str) and locale.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return DEFAULT_LANGUAGE


def set_language(lang: str | None) -> None:
    """Show this thread's page run in ``lang`` (None: ask the registered source)."""
    _current.set(normalise(lang))


def set_language_source(source: Callable[[], str | None]) -> None:
    """Where :func:`language` looks when this run has not set one (the shell: the tab's state)."""
    _source[:] = [source]


def language() -> str:
    """The language of the text being made now."""
    lang = _current.get()
    if lang is None and _source:
        try:
            lang = normalise(_source[0]())
        except Exception:  # noqa: BLE001 - no source answer is the default language
            lang = None
    return lang or DEFAULT_LANGUAGE


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Make text in ``lang`` inside the block (tests, and text made for another tab)."""
    token = _current.set(normalise(lang))
    try:
        yield
    finally:
        _current.reset(token)


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English is the source text: no catalogue)."""
    locale = CATALOGUE_LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    # fallback=False: a missing .mo is an install error, said at once, not English by stealth.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale])


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n`` (Chinese has one form)."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now: a constant made at
    import time, translated with :func:`_` where it is shown."""
    return message


def translate_rows(rows: list[dict], labels: dict[str, str] | None = None) -> list[dict]:
    """A table's rows for showing: each column key replaced by its label (``labels``,
    already in the tab's language, else the key's own catalogue entry, marked with
    :func:`N_` where the rows are built), and each text cell that the catalogue knows
    translated. The rows themselves keep their keys: code and tests read them by key."""
    labels = labels or {}
    return [
        {labels.get(key) or _(key): _(value) if isinstance(value, str) and value else value
         for key, value in row.items()}
        for row in rows
    ]


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, where one English word has two meanings (the
    menu section "Play" and the Boundaries button "Play")."""
    return translations(language()).pgettext(context, message)
