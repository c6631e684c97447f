"""UI strings in English and Korean, gettext style: ``_("English text")``.

The English text is the key; ``bntui/i18n/ko.py`` maps it to Korean. Code that shows a
string to a person wraps it in ``_()``; ``set_language("ko")`` (from ``--lang``, or the
``LANG``/``LC_ALL`` default) switches every later lookup. A test finds every literal
``_("…")`` under ``bntui/`` and fails when ``ko.py`` has no entry for it.

Formatted strings translate the template, then format: ``_("step {n}").format(n=3)``.
A table of words looked up later marks its entries with ``N_("…")`` (no lookup at import
time, so a later ``set_language`` still applies) and translates them with ``_(word)``.

Only the UI (``bntui/tui/``, ``bntui/cli/``) and the report/slide printers call ``_()``. The
engine returns a ``bntui.i18n.message.Msg`` (the English key and its arguments) and the UI
renders it when it draws: ``msg.render(_)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("en", "ko")
_current = "en"


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """``ko`` when the locale (LC_ALL, LC_MESSAGES, LANG) is Korean, else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def set_language(lang: str) -> None:
    """Switch the UI language (``en`` or ``ko``); raises ValueError for another."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (choose from {', '.join(LANGUAGES)})")
    _current = lang


def language() -> str:
    return _current


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it (tables built at import)."""
    return text


def localized(english: str | None, korean: str | None) -> str | None:
    """Lesson text in the UI language: ``korean`` under ``ko`` when a lesson has it, else
    ``english``."""
    if _current == "ko" and korean:
        return korean
    return english


def _(text: str) -> str:
    """``text`` in the current language (English, or its Korean entry when there is one)."""
    if _current == "en":
        return text
    from bntui.i18n.ko import KO

    return KO.get(text, text)
