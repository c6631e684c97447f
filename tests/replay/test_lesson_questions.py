"""The bundled lessons' questions: the answer each one claims is the one the run shows,
under the default OpenBLAS kernel and under ``OPENBLAS_CORETYPE=Prescott`` (an older
kernel: other rounding in the matrix products). Each run stops at the lesson's last reveal
step. Seeds 0-2 here (``BNTUI_LESSON_SEEDS=20`` for 0-19); ``scripts/lesson_claims.py``,
a step of ``.ci/run``, plays every lesson, questions included, on seeds 0-19."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from bntui.replay.headless import run_script
from bntui.replay.script import lesson_names, load_script

SEEDS = range(int(os.environ.get("BNTUI_LESSON_SEEDS", "3")))
WITH_QUESTIONS = [n for n in lesson_names() if load_script(n).questions]


def misses(name: str) -> list[str]:
    """'seed S: question N (check = measured)' for every question the run does not show."""
    script = load_script(name)
    last = max(e.question.reveal for e in script.questions)  # type: ignore[union-attr]
    out = []
    for seed in SEEDS:
        seeded = dataclasses.replace(script, config=script.config.replace(seed=seed))
        for asked in run_script(seeded, steps=last).asked:
            if not asked.shown:
                got = ", ".join(f"{c.check} = {c.measured}" for c in asked.checks)
                out.append(f"seed {seed}: question {asked.number} ({got})")
    return out


def test_questions_are_in_the_lessons() -> None:
    assert {"sigmoid-vanishing", "small-batch", "twins"} <= set(WITH_QUESTIONS)
    for name in WITH_QUESTIONS:
        for event in load_script(name).questions:
            q = event.question
            assert q is not None and q.text_ko and q.choices_ko and q.explain_ko


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_the_run_shows_the_answer_on_every_seed(name: str) -> None:
    assert misses(name) == []


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_the_run_shows_the_answer_under_another_blas_kernel(name: str) -> None:
    # OpenBLAS reads OPENBLAS_CORETYPE when it loads: a fresh interpreter
    env = dict(os.environ, OPENBLAS_CORETYPE="Prescott")
    code = f"import json, {__name__} as t; print(json.dumps(t.misses({name!r})))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600,
        cwd=os.path.dirname(__file__),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
