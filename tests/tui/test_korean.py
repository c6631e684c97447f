"""The Korean interface: --lang en shows no Hangul, --lang ko shows Korean that fits 80×24,
and ``:lang`` switches the live UI."""

from __future__ import annotations

import re

from rich.cells import cell_len
from screen_helpers import screen_text

from bntui import i18n
from bntui.i18n.ko import KO
from bntui.live.runner import Runner
from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.keys import KEYS

SMALL = Config(samples=300, depth=3, width=16, seed=0)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


async def test_english_screens_have_no_hangul(lang) -> None:
    lang("en")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        for key in ("1", "2", "3", "4", "1", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            text = screen_text(app)
            assert not HANGUL.search(text), (key, HANGUL.findall(text)[:5])
            assert ("paused" in text) or key == "question_mark"


async def test_korean_main_screen_fits_80x24(lang) -> None:
    lang("en")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        english_footer = [k for k in KEYS if k.footer and f"{k.shown} {k.label}" in footer]
        assert len(english_footer) >= 8, footer
    lang("ko")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        text = "\n".join(lines)
        assert KO["paused"] in lines[0]  # the status word
        assert KO["Loss · train ⣿ / val •"] in text  # a panel title
        assert KO["Gradients · |∇W| log · update"] in text
        assert all(cell_len(line) <= 80 for line in lines)
        # the status line wraps to two lines at most and splits no token
        assert lines[1].split()[-1].startswith("[") and lines[2].startswith("╭")
        # every footer label the English footer shows at 80 columns is there whole, in Korean
        footer = lines[-1]
        for k in english_footer:
            assert f"{k.shown} {KO[k.label]}" in footer, (k.label, footer)


async def test_korean_help_screen(lang) -> None:
    lang("ko")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert KO["bntui · help"] in text
        assert KO["Toggle BN: batch normalization on/off"] in text
        assert all(cell_len(line) <= 80 for line in text.splitlines())


async def test_lang_command_switches_the_live_ui(lang) -> None:
    lang("en")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"lang ko", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert i18n.language() == "ko"
        assert KO["paused"] in text and KO["help"] in text.splitlines()[-1]
        await pilot.press("colon", *"lang en", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert not HANGUL.search(text)
        # a display setting: nothing reached the session's log
        assert all("lang" not in cmd for _step, cmd in app.runner.session.log)


async def test_a_message_already_made_switches_language_with_the_ui(lang) -> None:
    # the worker made the dead-layer hint once (a Msg); the UI translates it when drawn
    lang("en")
    app = BntuiApp(Config(samples=300, depth=4, width=32, seed=0), threaded=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(300)
        app.runner.send("lr 5")
        for _ in range(20):  # a layer dies (which one, and when, depends on the CPU's BLAS)
            if app.runner.hint is not None:
                break
            app.runner.step(50)
        hint = app.runner.hint
        assert hint is not None
        app.pull()
        await pilot.pause()
        english = re.compile(r"L\d: \d+% of units dead")
        assert english.search(screen_text(app))
        await pilot.press("colon", *"lang ko", "enter")
        await pilot.pause()
        assert app.runner.hint is hint  # not made again: the same message, drawn in Korean
        text = screen_text(app)
        assert re.search(r"L\d: 유닛의 \d+% 가 죽음", text) and "units dead" not in text
        await pilot.press("colon", *"lang en", "enter")
        await pilot.pause()
        assert english.search(screen_text(app))


async def test_lesson_caption_in_the_ui_language(lang) -> None:
    caption, korean = "Watch the gradients fade.", "기울기가 사라지는 것을 보세요."
    for language, shown in (("en", caption), ("ko", korean)):
        lang(language)
        runner = Runner(SMALL, threaded=False, schedule=[(0, f"caption {caption}")])
        app = BntuiApp(runner, captions={caption: korean})
        async with app.run_test(size=(80, 24)) as pilot:
            app.runner.step(2)
            app.pull()
            await pilot.pause()
            assert app.main_screen.query_one("#caption").text == shown


async def test_a_templated_caption_is_filled_in_both_languages(lang) -> None:
    """The Korean caption is filled with the values the English one quoted at its step."""
    caption, korean = "Step {step}: loss {loss:.3f}.", "{step} 스텝: 손실 {loss:.3f}."
    for language in ("en", "ko"):
        lang(language)
        runner = Runner(SMALL, threaded=False, schedule=[(3, f"caption {caption}")])
        app = BntuiApp(runner, captions={caption: korean})
        async with app.run_test(size=(80, 24)) as pilot:
            app.runner.step(3)
            loss = app.runner.session.last_record["loss"]
            app.runner.step(4)  # later steps do not change the caption's numbers
            app.pull()
            await pilot.pause()
            shown = app.main_screen.query_one("#caption").text
            want = f"Step 3: loss {loss:.3f}." if language == "en" else f"3 스텝: 손실 {loss:.3f}."
            assert shown == want
