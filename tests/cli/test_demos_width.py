"""`bntui demos` lays its table out by display cells: Korean titles (2 cells a character)
keep every border in its column."""

from __future__ import annotations

import os
import subprocess
import sys

from rich.cells import cell_len


def test_demos_table_lines_have_one_width() -> None:
    env = dict(os.environ, COLUMNS="80", NO_COLOR="1")
    out = subprocess.run(
        [sys.executable, "-m", "bntui", "demos", "--lang", "ko"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines()[1:] if line.strip()]
    assert any(any("\uac00" <= ch <= "\ud7a3" for ch in line) for line in lines)  # Korean there
    assert {cell_len(line) for line in lines} == {80}
