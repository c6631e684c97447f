"""The live pause-answer-reveal flow of lesson questions (Pilot, synchronous runner)."""

from __future__ import annotations

import argparse

import pytest

from bntui.cli.replay import live_quiz, live_runner
from bntui.replay.script import parse_script
from bntui.tui.app import BntuiApp
from bntui.tui.screens.question import AnswerScreen, QuestionScreen, ScoreScreen

LESSON = """\
[config]
depth = 2
width = 8
samples = 200
steps = 30
lr = 0.1
[[event]]
at = 10
do = ["lr *2"]
caption = "lr doubled"
question = { text = "lr doubles. At step 20 lr is:", choices = ["0.1", "0.2", "0.4"], \
answer = 2, reveal = 20, expect = { lr = "== 0.2" }, explain = "0.1 × 2 once." }
[[event]]
at = 20
do = ["lr *2"]
question = { text = "And at the end?", choices = ["0.4", "0.8"], answer = 1, reveal = 30, \
expect = { lr = "== 0.4" }, explain = "Twice doubled: 0.1 × 4." }
"""


def _app(no_questions: bool = False) -> BntuiApp:
    script = parse_script(LESSON, "q.toml")
    args = argparse.Namespace(paused=False, no_questions=no_questions)
    runner = live_runner(script, 30, None, args)
    runner.threaded = False  # drive it by hand: nothing trains unless the test steps it
    quiz = None if no_questions else live_quiz(script, 30)
    return BntuiApp(runner, quiz=quiz)


def _log(app: BntuiApp) -> list[tuple[int, str]]:
    return list(app.runner.session.log)


@pytest.mark.asyncio
async def test_pause_answer_reveal_and_score() -> None:
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(15)  # stops at step 10: held before the event's commands
        app.pull()
        await pilot.pause()
        assert app.runner.session.step_count == 10
        assert _log(app) == [(10, "mark Q1")]  # "lr *2" not applied yet
        assert isinstance(app.screen, QuestionScreen)
        await pilot.press("3")  # a wrong prediction
        await pilot.pause()
        assert not isinstance(app.screen, QuestionScreen)
        assert app.quiz.given == {1: 3}
        app.runner.step(15)  # the command applies now; held again at the reveal
        app.pull()
        await pilot.pause()
        assert app.runner.session.step_count == 20
        assert _log(app)[1:4] == [(10, "lr *2"), (10, "caption lr doubled"), (20, "mark A1")]
        assert app.runner.session.config.lr == pytest.approx(0.2)  # step 20's "lr *2" waits
        assert isinstance(app.screen, AnswerScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "The answer (true on at least 19 of 20 seeds): 2. 0.2" in shown
        assert "You predicted: 3. 0.4" in shown
        assert "0.1 × 2 once." in shown
        await pilot.press("enter")
        await pilot.pause()
        app.runner.step(1)  # question 2 at the same step (20), after the reveal of 1
        app.pull()
        await pilot.pause()
        assert _log(app)[-1] == (20, "mark Q2") and app.runner.session.step_count == 20
        assert isinstance(app.screen, QuestionScreen) and app.screen.item.number == 2
        await pilot.press("1")  # right
        await pilot.pause()
        app.runner.step(20)
        app.pull()
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        assert app.runner.session.config.lr == pytest.approx(0.4)
        await pilot.press("enter")
        await pilot.pause()
        app.runner.step(5)  # the lesson's end
        app.pull()
        await pilot.pause()
        assert isinstance(app.screen, ScoreScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "1 of 2 predictions right" in shown
        assert "Q1: 0.1 × 2 once." in shown and "Q2:" not in shown


@pytest.mark.asyncio
async def test_no_questions_plays_straight_through() -> None:
    app = _app(no_questions=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        assert app.runner.session.step_count == 30
        assert not any("mark" in c for _s, c in _log(app))
        assert not isinstance(app.screen, QuestionScreen | AnswerScreen | ScoreScreen)


def test_quiz_item_speaks_the_ui_language(lang) -> None:
    from bntui.tui.screens.question import QuizItem

    item = QuizItem(
        1, 5, 10, "Pick", ("one", "two"), 2, "because", "골라요", ("하나", "둘"), "왜냐면"
    )
    assert (item.question, item.choice(2), item.why) == ("Pick", "two", "because")
    lang("ko")
    assert (item.question, item.choice(2), item.why) == ("골라요", "둘", "왜냐면")
    bare = QuizItem(1, 5, 10, "Pick", ("one", "two"), 2, "because")  # no Korean: English
    assert (bare.question, bare.choice(1), bare.why) == ("Pick", "one", "because")
