"""``scripts/screenshots.py`` (the README's pictures) runs and draws the real app."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from bntui.replay.script import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
NAMES = ("main-80x24", "main-160x48", "lesson-sigmoid-vanishing")


def svg_text(path: Path) -> str:
    """The text an SVG screenshot shows, tags removed, spaces restored."""
    raw = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw)).replace("\xa0", " ")


def test_the_script_writes_every_screenshot(tmp_path):
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--quick"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    for name in NAMES:
        svg = tmp_path / f"{name}.svg"
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg"), name
        text = svg_text(svg)
        assert "step:20" in text and "BN:on" in text, name  # the status line after 20 steps
    assert "Events (2)" in svg_text(tmp_path / "main-160x48.svg")  # bn off, bn on
    # the lesson's screen shows the caption of its last event reached (quick: all of them)
    caption = load_script("sigmoid-vanishing").events[-1].caption or ""
    text = svg_text(tmp_path / "lesson-sigmoid-vanishing.svg")
    # a template ("Val acc {val_acc:.0%}. Saturation …"): its text before and after a field
    words = [w for w in caption.replace("}", "{").split("{")[::2] if len(w.strip()) > 5]
    assert words and all(w.strip()[:20] in text for w in words[:2])
    assert "replay sigmoid-vanishing" in svg_text(tmp_path / "lesson-sigmoid-vanishing.svg")
    if shutil.which("rsvg-convert"):
        for name in NAMES:
            head = (tmp_path / f"{name}.png").read_bytes()[:24]
            assert head[:8] == b"\x89PNG\r\n\x1a\n", name
            width, height = struct.unpack(">II", head[16:24])
            assert width > 600 and height > 300, (name, width, height)
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_an_unknown_shot_is_refused(tmp_path):
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "unknown shot 'nope'" in r.stderr
    assert list(tmp_path.iterdir()) == []
