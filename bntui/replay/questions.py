"""Lesson questions: predict, then watch.

An event may hold a ``question``, asked before the event's ``do`` applies::

    [[event]]
    at = 1500
    do = ["bn on"]
    question = { text = "BN comes on now. L1's gradient will…", text_ko = "…",
                 choices = ["grow ≥ 20×", "stay", "shrink"], choices_ko = ["…", "…", "…"],
                 answer = 1, reveal = 1800,
                 expect = { "L1.grad_norm / L6.grad_norm" = "> 0.2" },
                 explain = "BN's backward pass divides by each layer's σ.", explain_ko = "…" }

``answer`` is the 1-based index of the right choice. The right answer is a claim like any
``expect``: the question's ``expect`` checks, measured at the ``reveal`` step (over the
``window`` steps before it, 100 by default), must hold, or the lesson fails its check.
A lesson is untrusted: every field is checked here and a bad one is refused with one
line (``ValueError``; the script parser adds the file, line and event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bntui.replay.expect import Check, _flatten, parse_check
from bntui.safety import clean_text

QUESTION_KEYS = (
    "text",
    "text_ko",
    "choices",
    "choices_ko",
    "answer",
    "reveal",
    "window",
    "expect",
    "explain",
    "explain_ko",
)
MIN_CHOICES, MAX_CHOICES = 2, 4
MAX_TEXT = 300  # characters of a question or an explanation
MAX_CHOICE = 60  # characters of one choice (a key 1–4 and a short line)


@dataclass(frozen=True)
class Question:
    """A prediction asked before an event's commands apply; ``answer`` is 1-based."""

    text: str
    choices: tuple[str, ...]
    answer: int
    reveal: int  # the step whose measurements show the answer
    expect: tuple[Check, ...]
    explain: str
    window: int = 100
    text_ko: str | None = None
    choices_ko: tuple[str, ...] | None = None
    explain_ko: str | None = None

    @property
    def right(self) -> str:
        """The right choice's English text."""
        return self.choices[self.answer - 1]

    def is_right(self, given: int | None) -> bool:
        """True when ``given`` (1-based; None: not answered) is the right choice."""
        return given == self.answer


def _one_line(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"question {name} must be text")
    text = " ".join(clean_text(value).split())
    if not text:
        raise ValueError(f"question {name} is empty")
    if len(text) > limit:
        raise ValueError(f"question {name} is {len(text)} characters long; at most {limit}")
    return text


def _choices(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not MIN_CHOICES <= len(value) <= MAX_CHOICES:
        raise ValueError(
            f"question {name} must be a list of {MIN_CHOICES}–{MAX_CHOICES} texts, "
            'e.g. choices = ["grow", "stay", "shrink"]'
        )
    return tuple(_one_line(c, f"{name} {i}", MAX_CHOICE) for i, c in enumerate(value, start=1))


def parse_question(raw: Any, at: int, last_step: int) -> Question:
    """An event's ``question`` table -> Question; ValueError (one line) when it is bad.

    ``at`` is the event's step, ``last_step`` the lesson's: the reveal lies between.
    """
    if not isinstance(raw, dict):
        raise ValueError(
            'question must be a table: question = { text = "…", choices = […], answer = 1, '
            'reveal = STEP, expect = {…}, explain = "…" }'
        )
    for key in raw:
        if key not in QUESTION_KEYS:
            raise ValueError(
                f"unknown question key {key!r}; a question takes {', '.join(QUESTION_KEYS)}"
            )
    for key in ("text", "choices", "answer", "reveal", "expect", "explain"):
        if key not in raw:
            raise ValueError(f"question needs {key!r}")
    text = _one_line(raw["text"], "text", MAX_TEXT)
    choices = _choices(raw["choices"], "choices")
    answer = raw["answer"]
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(choices):
        raise ValueError(
            f"question answer must be a choice number 1..{len(choices)}, got {answer!r}"
        )
    reveal = raw["reveal"]
    if isinstance(reveal, bool) or not isinstance(reveal, int):
        raise ValueError("question reveal must be a step (a whole number)")
    if not at < reveal <= last_step:
        raise ValueError(
            f"question reveal must be a step after the event and at most the lesson's end "
            f"({at + 1}..{last_step}), got {reveal}"
        )
    window = raw.get("window", 100)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"question window must be a whole number of steps >= 1, got {window!r}")
    expect_raw = raw["expect"]
    if not isinstance(expect_raw, dict) or not expect_raw:
        raise ValueError(
            "question expect must be a table of checks that decide the answer, "
            'e.g. expect = { val_acc = ">= 0.8" }'
        )
    checks = []
    for key, value in _flatten(expect_raw):
        checks.append(parse_check(key, value))  # ValueError: one line already
    explain = _one_line(raw["explain"], "explain", MAX_TEXT)
    text_ko = _one_line(raw["text_ko"], "text_ko", MAX_TEXT) if "text_ko" in raw else None
    explain_ko = (
        _one_line(raw["explain_ko"], "explain_ko", MAX_TEXT) if "explain_ko" in raw else None
    )
    choices_ko = None
    if "choices_ko" in raw:
        choices_ko = _choices(raw["choices_ko"], "choices_ko")
        if len(choices_ko) != len(choices):
            raise ValueError(
                f"question choices_ko has {len(choices_ko)} choices and choices {len(choices)}; "
                "give each choice its Korean text"
            )
    return Question(
        text=text,
        choices=choices,
        answer=answer,
        reveal=reveal,
        expect=tuple(checks),
        explain=explain,
        window=window,
        text_ko=text_ko,
        choices_ko=choices_ko,
        explain_ko=explain_ko,
    )


def parse_answers(text: str, count: int) -> tuple[int, ...]:
    """``--answers 1,3,2`` -> (1, 3, 2); ValueError unless one choice number per question."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() for p in parts):
        raise ValueError(
            f"--answers takes choice numbers separated by commas, e.g. 1,3,2; got {text!r}"
        )
    numbers = tuple(int(p) for p in parts)
    if len(numbers) != count:
        raise ValueError(f"--answers gave {len(numbers)} answer(s); the lesson asks {count}")
    return numbers


@dataclass(frozen=True)
class Score:
    """How many predictions were right, and the misses (question number, Question, given)."""

    right: int
    asked: int
    misses: tuple[tuple[int, Question, int | None], ...]


def score(questions: list[Question], given: list[int | None]) -> Score:
    """Compare the answers given (1-based, None: skipped) with each question's answer."""
    misses = tuple(
        (n, q, a)
        for n, (q, a) in enumerate(zip(questions, given, strict=True), start=1)
        if not q.is_right(a)
    )
    return Score(len(questions) - len(misses), len(questions), misses)
