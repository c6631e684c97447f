"""Every UI string has a Korean entry, and the Korean table holds nothing else.

The strings are found the way a catalog tool would: every literal ``_("…")`` and
``N_("…")`` call under ``bntui/`` and every literal ``Msg("…")`` key (the engine's typed
messages, translated when the UI draws them), parsed with ``ast``, plus the tables translated
when shown: the key table's labels and descriptions and the vocabulary's help lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import bntui
from bntui import i18n
from bntui.i18n.ko import KO

ROOT = Path(bntui.__file__).parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIELD = re.compile(r"\{[^{}]*\}")


def literal_calls(names: tuple[str, ...] = ("_", "N_", "Msg")) -> dict[str, str]:
    """English text -> where it is first used, for every literal call of ``names``."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
                found.setdefault(node.args[0].value, where)
    return found


def table_strings() -> dict[str, str]:
    from bntui.training.commands import help_lines
    from bntui.tui.keys import KEYS

    found: dict[str, str] = {}
    for k in KEYS:
        found.setdefault(k.label, f"keys.py label of {k.id}")
        found.setdefault(k.description, f"keys.py description of {k.id}")
    for line in help_lines():
        what = line.partition(" — ")[2]
        if what:
            found.setdefault(what, f"commands.py help line {line!r}")
    return found


def ui_strings() -> dict[str, str]:
    return {**table_strings(), **literal_calls()}


def test_the_extractor_finds_known_strings():
    from bntui.training.session import BN_BATCH_ONE_HINT, DIVERGED_HINT

    found = ui_strings()
    # one of each source: a literal _() call, an N_() table, the key table, the vocabulary,
    # the engine's Msg keys (a constant, a message with fields, a nested one)
    assert "lesson restarted" in found
    assert "paused" in found
    assert "Toggle BN: batch normalization on/off" in found
    assert "learning rate" in found
    assert found[DIVERGED_HINT.key].startswith("bntui/training/session.py:")
    assert BN_BATCH_ONE_HINT.key in found
    assert found["new L{n}"].startswith("bntui/live/changes.py:")
    assert found["each sample's groups"].startswith("bntui/live/bn_internals.py:")
    assert len(found) > 100


def test_engine_messages_are_found_by_their_msg_calls():
    # the engine calls no _(): its strings reach the catalog only as Msg keys
    engine = {w for w in literal_calls(("Msg",)).values() if w.startswith("bntui/live/")}
    assert len(engine) >= 8, engine
    assert not any(
        w.startswith(("bntui/live/", "bntui/training/"))
        for w in literal_calls(("_", "N_")).values()
    )


def test_every_ui_string_has_a_korean_entry():
    missing = {text: where for text, where in ui_strings().items() if text not in KO}
    assert not missing, "no Korean entry in bntui/i18n/ko.py for:\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda t: t[1])
    )


def test_the_korean_table_has_no_stale_entries():
    stale = sorted(set(KO) - set(ui_strings()))
    assert not stale, f"ko.py entries no UI string uses: {stale}"


@pytest.mark.parametrize("english", sorted(KO))
def test_each_entry_is_korean_and_keeps_its_fields(english):
    korean = KO[english]
    assert korean.strip() and korean == korean.strip()
    # the same {fields}, so .format() works in both languages
    assert sorted(FIELD.findall(korean)) == sorted(FIELD.findall(english)), english
    # a translation, not a copy (short technical tokens may stay as they are)
    if len(english) > 12 and HANGUL.search(english) is None:
        assert HANGUL.search(korean), f"{english!r} -> {korean!r} has no Korean"


def test_lookup_follows_the_language():
    try:
        i18n.set_language("ko")
        assert i18n._("lesson restarted") == KO["lesson restarted"]
        assert i18n._("no such string, ever") == "no such string, ever"  # falls back
        assert i18n.localized("hello", "안녕") == "안녕"
        assert i18n.localized("hello", None) == "hello"
        i18n.set_language("en")
        assert i18n._("lesson restarted") == "lesson restarted"
        assert i18n.localized("hello", "안녕") == "hello"
        with pytest.raises(ValueError):
            i18n.set_language("fr")
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
        ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),  # LC_ALL wins
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_default_language_from_the_locale(env, lang):
    assert i18n.default_language(env) == lang
