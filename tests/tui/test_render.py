"""The pure renderers and the frame collector, checked against hand-computed values."""

from __future__ import annotations

import numpy as np

from bntui.live.frame import Needs, build_frame
from bntui.training.config import Config
from bntui.training.session import Session
from bntui.tui.render import (
    decision_map,
    fixed,
    guide_strip,
    hbar,
    histogram_rows,
    signed_sparkline,
    sparkline,
)


def test_sparkline_levels_are_linear_in_value() -> None:
    # 0 → lowest bar, 1 → highest, 0.5 → the middle of 8 levels (index round(3.5) = 4)
    assert sparkline([0.0, 1.0, 0.5], 0, 1, ascii=False) == "▁█▅"
    assert sparkline([-5, 9], 0, 1, ascii=True) == "_#"  # clipped to the ends
    assert sparkline([float("nan")], 0, 1, ascii=True) == "!"


def test_signed_sparkline_has_a_zero_baseline_and_falls_for_negative_values() -> None:
    # -top..+top over 7 glyphs, zero the middle "─": 3 + v/top × 3 rounded half away from 0
    assert signed_sparkline([0.0, -0.2, -0.5, -1.0, 0.5, 1.0], 1.0, ascii=False) == "─▃▂▁▆▇"
    assert signed_sparkline([0.1, -0.72], 1.0, ascii=False) == "─▂"  # |v| < top/6 is zero
    assert signed_sparkline([0.0, -3.0, 3.0], 1.0, ascii=True) == "-_^"  # clipped to the ends
    assert signed_sparkline([float("inf")], 1.0, ascii=True) == "!"


def test_hbar_exact_eighths() -> None:
    assert hbar(1 / 16, 2, ascii=False) == "▏ "  # 1/16 × 2 cells × 8 = one eighth
    assert hbar(0.75, 4, ascii=True) == "### "
    assert hbar(0.5, 4, ascii=False) == "██  "


def test_fixed_keeps_width_and_meaning() -> None:
    for v in (0.0289, -12.3456, 1234.5, -98765.4, 1e-7, 0.0, float("nan")):
        assert len(fixed(v, 5, signed=True)) == 5
    assert fixed(1.414, 4) == "1.41"
    assert fixed(-0.031, 5, signed=True) == "-0.03"
    assert fixed(1e-7, 4) == "1e-7"  # a vanishing σ must not print as 0


def test_guide_strip_places_guide_and_value() -> None:
    # axis −6..0 over 7 cells: −3 at cell 3, −1 at cell 5
    assert guide_strip(-1.0, 7, -6, 0, -3, ascii=True) == "---|-o-"
    assert guide_strip(-99.0, 7, -6, 0, -3, ascii=True) == "o--|---"


def test_histogram_rows_heights() -> None:
    rows = histogram_rows(np.array([4, 2, 0, 1]), 2, ascii=False)
    # max 4 → 2 rows × 8 eighths; 2 → one full row; 1 → 4 eighths
    assert rows == ["█   ", "██ ▄"]


def test_decision_map_mono_shows_classes_and_points() -> None:
    # 4 pixel rows × 3 cols; left column class 0, others class 1
    proba = np.zeros((4, 3, 2))
    proba[:, 0, 0] = 1
    proba[:, 1:, 1] = 1
    text = decision_map(
        proba,
        np.array([[1.0, 1.0]]),  # top-right corner
        np.array([0]),
        np.array([0.0, 0.0]),
        np.array([1.0, 1.0]),
        mono=True,
    )
    assert text.plain.split("\n") == [".:o", ".::"]


def test_build_frame_copies_and_keeps_taps() -> None:
    s = Session(Config(samples=200, depth=2, width=8, seed=1))
    n = 2 * s.config.stats_every  # the last step has per-layer statistics
    for _ in range(n):
        s.step()
    taps = [b.act_out for b in s.model.blocks]
    frame = build_frame(s, Needs(loss_points=10, spark_points=5, band_points=8, decision=(6, 4)))
    # the decision pass must not leave grid activations in the taps
    assert all(b.act_out is t for b, t in zip(s.model.blocks, taps, strict=True))
    assert frame.decision["proba"].shape == (4, 6, 3)
    assert np.allclose(frame.decision["proba"].sum(axis=2), 1, atol=1e-5)
    assert len(frame.loss["loss"]) <= 10 and frame.loss["loss"].step[-1] == n
    assert frame.layers[0].last["std"] == s.last_record["layers"][0]["std"]
    hist = build_frame(s, Needs(hist_bins=12)).histograms
    a = s.model.blocks[0].act_out
    nonzero = np.count_nonzero(a)  # ReLU: the exact zeros are reported apart
    assert hist[0].counts.sum() == nonzero
    assert hist[0].zeros == (a.size - nonzero) / a.size
