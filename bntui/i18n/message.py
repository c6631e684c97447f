"""Typed outbound messages: what the engine says, as an English key and its arguments.

The engine (``nn/``, ``data/``, ``training/``, ``live/``) never translates. Where it has
something to tell a person (a hint, why a view is empty, what a change did) it returns a
``Msg``: the English template, which is the translation key of ``bntui/i18n/ko.py``, and
the values of its ``{fields}``. The UI renders it when it draws, ``msg.render(_)``, so a
language switch re-renders the messages already produced. ``str(msg)`` is the English text
(logs, tests, JSONL).

``Joined`` strings texts together (plain ``str`` parts are shown as they are): "BN on: L2 σ
0.46→1.00, new L3" is the event's own text, then moves, some of them ``Msg``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, overload

Translate = Callable[[str], str]


def _english(text: str) -> str:
    return text


@dataclass(frozen=True, init=False)
class Msg:
    """An English template (the translation key) and the values of its fields:
    ``Msg("new L{n}", n=3)``. A value that is itself a Msg or Joined is rendered in the
    same language."""

    key: str
    args: tuple[tuple[str, Any], ...]

    def __init__(self, key: str, /, **args: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "args", tuple(args.items()))

    def render(self, translate: Translate = _english) -> str:
        """The text through ``translate`` (``bntui.i18n._`` in the UI), then formatted."""
        values = {k: _value(v, translate) for k, v in self.args}
        return translate(self.key).format(**values)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Joined:
    """Texts shown one after another with ``sep`` between them (nothing to translate in
    itself; its Msg parts are)."""

    parts: tuple[Text, ...]
    sep: str = ""

    def render(self, translate: Translate = _english) -> str:
        return self.sep.join(_value(p, translate) for p in self.parts)

    def __str__(self) -> str:
        return self.render()


Text: TypeAlias = "str | Msg | Joined"


def _value(value: Any, translate: Translate) -> Any:
    return value.render(translate) if isinstance(value, Msg | Joined) else value


@overload
def render(text: Text, translate: Translate = ...) -> str: ...
@overload
def render(text: None, translate: Translate = ...) -> None: ...
def render(text: Text | None, translate: Translate = _english) -> str | None:
    """``text`` as a person reads it: a Msg or Joined through ``translate`` (the UI passes
    ``bntui.i18n._``), a plain str as it is; None stays None."""
    return _value(text, translate)
