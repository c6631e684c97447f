"""Lesson questions in the live app: predict, then watch.

The runner holds still at a question's step before the event's commands apply (a
``mark Q<n>`` entry with an endless hold, see ``bntui.cli.replay.live_runner``); the
``Quiz`` sees that mark as the newest event on the app's timer and asks
(``QuestionScreen``: keys 1–4 or a click).
The answer goes on, training runs to the reveal step (held again at ``mark A<n>``), and
``AnswerScreen`` says which answer the run shows and why. At the lesson's end
``ScoreScreen`` says how many predictions were right, with the reason for each miss.
The UI never reads the session: the questions come as plain ``QuizItem`` data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from bntui.i18n import N_, _, localized
from bntui.live.frame import Needs, RunState

if TYPE_CHECKING:
    from textual.events import Click


@dataclass(frozen=True)
class QuizItem:
    """One question as the app shows it (English and, when the lesson has it, Korean)."""

    number: int
    at: int  # asked at this step, before the event's commands
    reveal: int  # the step whose screen shows the answer
    text: str
    choices: tuple[str, ...]
    answer: int  # 1-based
    explain: str
    text_ko: str | None = None
    choices_ko: tuple[str, ...] | None = None
    explain_ko: str | None = None

    def choice(self, n: int) -> str:
        """Choice ``n`` (1-based) in the UI language."""
        ko = self.choices_ko[n - 1] if self.choices_ko else None
        return localized(self.choices[n - 1], ko) or ""

    @property
    def question(self) -> str:
        return localized(self.text, self.text_ko) or ""

    @property
    def why(self) -> str:
        return localized(self.explain, self.explain_ko) or ""


@dataclass
class Quiz:
    """Which questions were asked, answered and revealed; drives the screens."""

    items: tuple[QuizItem, ...]
    given: dict[int, int | None] = field(default_factory=dict)  # number -> choice (None: skipped)
    revealed: set[int] = field(default_factory=set)
    scored: bool = False
    _last_step: int = 0
    _open: bool = False  # a question, answer or score screen is showing
    link: Any = None  # a served tab's TallyLink (bntui.tui.tally_link): answers wait
    _linked: bool = False

    def check(self, app: Any) -> None:
        """Called on the app's timer: ask, reveal or score when the lesson stands there."""
        if self.link is not None and not self._linked:
            self._linked = True
            app.run_worker(self.link.run(), exclusive=False)
        if self._open or not app.replaying:
            return
        frame = app.runner.frame(Needs())
        step = frame.step
        if step < self._last_step:  # ← restarted the lesson: ask again
            self.given.clear()
            self.revealed.clear()
            self.scored = False
        self._last_step = step
        held = frame.state in (RunState.PAUSED, RunState.STOPPED)  # the end too
        last = frame.events[-1] if held and frame.events else None
        mark = last.command if last is not None and last.step == step else None
        for item in self.items:
            if item.number not in self.given:
                if mark == f"mark Q{item.number}":
                    self._show(app, QuestionScreen(item), lambda n, i=item: self._answered(i, n))
                return  # the next question is not reached yet
            if item.number not in self.revealed:
                if mark == f"mark A{item.number}":
                    if self.link is not None and self.link.waiting(item.number):
                        app.app_message = _("the teacher releases the answer for everyone")
                        return
                    self._show(
                        app, AnswerScreen(item, self.given[item.number]), self._revealed(item)
                    )
                return
        done = frame.replay is not None and frame.replay.finished
        if done and self.items and not self.scored:
            self.scored = True
            self._show(app, ScoreScreen(self), lambda _r: None)

    def _show(self, app: Any, screen: ModalScreen, then: Callable) -> None:
        self._open = True

        def closed(result: object) -> None:
            self._open = False
            then(result)
            if app.runner.paused and app.replaying:
                app.runner.pause(False)  # the hold ends: the lesson goes on
            app.pull()

        app.push_screen(screen, closed)

    def _answered(self, item: QuizItem, choice: int | None) -> None:
        self.given[item.number] = choice
        if self.link is not None and choice is not None:
            self.link.send(item.number, choice)  # anonymous: the tally counts tabs

    def _revealed(self, item: QuizItem) -> Callable[[object], None]:
        return lambda _r: self.revealed.add(item.number)

    @property
    def right(self) -> int:
        return sum(self.given.get(i.number) == i.answer for i in self.items)


QUIZ_CSS = """
/* at the top, over the status and caption bars: the panels below stay in sight
   (the see-through background is in app.tcss, which outranks this) */
QuestionScreen, AnswerScreen { align: center top; }
ScoreScreen { align: center middle; }
.quiz-body {
    width: 90%;
    max-width: 90;
    height: auto;
    max-height: 90%;
    border: round $accent;
    background: $surface;
    padding: 0 1;
}
.quiz-choice { height: auto; }
.quiz-choice:hover { background: $boost; }
"""


class ChoiceLine(Static):
    """One choice; a click answers with it."""

    def __init__(self, n: int, text: str) -> None:
        super().__init__(Text.assemble((f"{n}", "bold"), "  ", text), classes="quiz-choice")
        self.n = n

    def on_click(self, _event: Click) -> None:
        screen = self.screen
        if isinstance(screen, QuestionScreen):
            screen.dismiss(self.n)


class QuestionScreen(ModalScreen[int | None]):
    """The question and its choices: 1–4 (or a click) answers, Esc skips it."""

    DEFAULT_CSS = QUIZ_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose(1)", show=False),
        Binding("2", "choose(2)", show=False),
        Binding("3", "choose(3)", show=False),
        Binding("4", "choose(4)", show=False),
        Binding("escape", "choose(0)", N_("skip"), show=True),
    ]

    def __init__(self, item: QuizItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        with Vertical(classes="quiz-body", id="quiz-question"):
            yield Static(Text(self.item.question, style="bold"))
            for n in range(1, len(self.item.choices) + 1):
                yield ChoiceLine(n, self.item.choice(n))

    def on_mount(self) -> None:
        body = self.query_one("#quiz-question")
        body.border_title = _("predict · question {n}").format(n=self.item.number)
        keys = "1–" + str(len(self.item.choices))
        body.border_subtitle = _("{keys} answers · Esc skips").format(keys=keys)

    def action_choose(self, n: int) -> None:
        if n == 0:
            self.dismiss(None)
        elif n <= len(self.item.choices):
            self.dismiss(n)


class AnswerScreen(ModalScreen[None]):
    """The lesson's answer (its check holds on at least 19 of 20 seeds: the screen of one run
    may sit on the edge, e.g. a last-batch accuracy beside a 100-step mean), the learner's
    choice, and why."""

    DEFAULT_CSS = QUIZ_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "dismiss", N_("go on"), show=True),
    ]

    def __init__(self, item: QuizItem, given: int | None) -> None:
        super().__init__()
        self.item, self.given = item, given

    def compose(self) -> ComposeResult:
        item, given = self.item, self.given
        right = f"{item.answer}. {item.choice(item.answer)}"
        if given is None:
            verdict = Text(_("You skipped it."), style="dim")
        elif given == item.answer:
            verdict = Text(_("Your prediction was right."), style="bold green")
        else:
            mine = f"{given}. {item.choice(given)}"
            verdict = Text(_("You predicted: {choice}").format(choice=mine), style="bold red")
        with Vertical(classes="quiz-body", id="quiz-answer"):
            yield Static(Text(item.question, style="dim"))
            yield Static(
                Text(
                    _("The answer (true on at least 19 of 20 seeds): {choice}").format(
                        choice=right
                    ),
                    "bold",
                )
            )
            yield Static(verdict)
            yield Static(_("Why: {why}").format(why=item.why))

    def on_mount(self) -> None:
        body = self.query_one("#quiz-answer")
        body.border_title = _("answer · question {n}").format(n=self.item.number)
        body.border_subtitle = _("Enter goes on")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class ScoreScreen(ModalScreen[None]):
    """The end of the lesson: how many predictions were right, and why each miss was wrong."""

    DEFAULT_CSS = QUIZ_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "dismiss", N_("close"), show=True),
    ]

    def __init__(self, quiz: Quiz) -> None:
        super().__init__()
        self.quiz = quiz

    def compose(self) -> ComposeResult:
        quiz = self.quiz
        line = _("{right} of {asked} predictions right").format(
            right=quiz.right, asked=len(quiz.items)
        )
        with Vertical(classes="quiz-body", id="quiz-score"):
            yield Static(Text(line, style="bold"))
            for item in quiz.items:
                if quiz.given.get(item.number) != item.answer:
                    yield Static(f"Q{item.number}: {item.why}")

    def on_mount(self) -> None:
        self.query_one("#quiz-score").border_title = _("your predictions")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
