"""A caption's numbers are the screen's numbers: every value a lesson's caption quotes is
printed on the slide drawn at the caption's step, on several seeds and two OpenBLAS kernels.

Each caption's template (``bntui.live.captions``) names what it quotes; the slide is the app's
screen (100×30, as ``--slides`` draws it) right after the caption's event applied. Each
lesson is drawn on one of seeds 0, 7, 11 here and on seed 5 under
``OPENBLAS_CORETYPE=Prescott`` (a separate process: the kernel is chosen when NumPy loads).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from slide_numbers import misses, on_screen, screen_numbers, unshown

from bntui.replay.script import lesson_names

HERE = Path(__file__).resolve().parent


def test_screen_numbers_read_the_printed_precision() -> None:
    shown = screen_numbers("step:1,500 loss 0.325 acc 45%/31% L1 2.1e-05 μ-0.09 σ1.05 0.0┤")
    assert on_screen(1500, shown) and on_screen(0.3249, shown) and on_screen(0.454, shown)
    assert on_screen(2.14e-5, shown) and on_screen(-0.091, shown) and on_screen(1.049, shown)
    assert not on_screen(0.33, shown)  # 0.325 is printed to 3 decimals
    assert not on_screen(2.3e-5, shown) and not on_screen(0.46, shown)
    assert not on_screen(0.04, screen_numbers("0┤ 1┤"))  # an axis tick is not a value
    assert unshown((("loss", 0.3251), ("L1.std", 0.7), ("acc", None)), "loss 0.325") == [
        "L1.std=0.7",
        "acc=None",
    ]


SEEDS = (0, 7, 11)  # one per lesson in turn (each lesson's slides cost ~25 s to draw)


@pytest.mark.parametrize(
    ("name", "seed"), [(n, SEEDS[i % len(SEEDS)]) for i, n in enumerate(lesson_names())]
)
def test_caption_numbers_are_on_the_slide(name: str, seed: int) -> None:
    assert not misses(name, seed)


def test_caption_numbers_are_on_the_slide_under_prescott() -> None:
    env = {**os.environ, "OPENBLAS_CORETYPE": "Prescott"}
    done = subprocess.run(
        [sys.executable, str(HERE / "slide_numbers.py"), "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
