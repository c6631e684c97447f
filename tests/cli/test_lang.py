"""--lang and the locale default: headless output speaks the chosen language."""

from __future__ import annotations

import re

import pytest

from bntui import i18n
from bntui.cli import main
from bntui.i18n.ko import KO
from bntui.replay.script import load_script

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(autouse=True)
def english(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    yield
    i18n.set_language("en")


def test_demos_in_both_languages(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one line per lesson
    assert main(["demos", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Internal covariate shift" in out and not HANGUL.search(out)
    assert main(["demos", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert KO["bundled lessons (bntui replay NAME)"] in out
    assert load_script("sigmoid-vanishing").title_ko in out


def test_korean_locale_is_the_default(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["demos"]) == 0
    assert KO["what it shows"] in capsys.readouterr().out
    assert main(["demos", "--lang", "en"]) == 0  # the flag wins
    assert not HANGUL.search(capsys.readouterr().out)


def test_headless_replay_prints_captions_in_the_ui_language(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    script = load_script("sigmoid-vanishing")
    first = script.events[0]
    args = ["replay", "sigmoid-vanishing", "--headless", "--steps", "320"]
    main([*args, "--lang", "ko"])
    out = capsys.readouterr().out
    assert first.caption_ko in out and first.caption not in out
    assert KO["checks"] in out
    main([*args, "--lang", "en"])
    out = capsys.readouterr().out
    assert first.caption in out and not HANGUL.search(out)


def test_run_summary_in_korean(capsys):
    assert main(["run", "--steps", "100", "--samples", "200", "-q", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert KO["val"] in out and KO["net"] in out and KO["layer"] in out


def test_unknown_language_is_a_usage_error(capsys):
    assert main(["run", "--lang", "fr"]) == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_engine_hints_are_translated_at_display():
    from bntui.i18n.message import Msg, render
    from bntui.training.session import DIVERGED_HINT
    from bntui.tui.keys import with_keys

    i18n.set_language("ko")
    shown = with_keys(render(DIVERGED_HINT, i18n._))
    assert shown.startswith(KO[DIVERGED_HINT.key].split(": ")[0])
    # the command words keep their keys in Korean too
    assert "l (lr /2)" in shown and "b (bn on)" in shown and "r (reset)" in shown
    # fields are filled after translating; a Msg field is translated too
    worker = Msg("worker error: {error} (reset clears it; --debug for details)", error="E: x")
    assert render(worker, i18n._).startswith("작업 스레드 오류: E: x (")
    assert render("something new", i18n._) == "something new"  # plain text: as it is
    i18n.set_language("en")
    assert render(DIVERGED_HINT, i18n._) == str(DIVERGED_HINT) == DIVERGED_HINT.key


def test_lang_is_a_display_setting_not_a_lesson_step():
    from bntui.replay.script import ScriptError, parse_script
    from bntui.training.commands import CommandError, parse
    from bntui.training.config import Config
    from bntui.training.session import Session

    assert str(parse("lang ko")) == "lang ko"
    with pytest.raises(CommandError, match="expected one of en, ko"):
        parse("lang fr")
    session = Session(Config(samples=100))
    with pytest.raises(CommandError, match="display setting"):
        session.apply("lang ko")
    assert session.log == []  # nothing logged, nothing replayed
    lesson = '[config]\nsteps = 10\n[[event]]\nat = 0\ndo = ["lang ko"]\n'
    with pytest.raises(ScriptError, match="display setting"):
        parse_script(lesson, "l.toml")
