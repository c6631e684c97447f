"""Running the real CLI in a subprocess, for the round-2 reliability tests (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TINY = ["--samples", "200", "--depth", "2", "--width", "8", "--batch-size", "16"]


def env_for(cwd: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "BNTUI_CACHE_DIR": str(cwd / "cache"), **extra}
    env.pop("BNTUI_DEBUG", None)
    return env


def bntui(argv: list[str], cwd: Path, timeout: float = 60, **popen) -> subprocess.CompletedProcess:
    """``bntui ARGV`` in a fresh interpreter; stdout/stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=popen.pop("env", None) or env_for(cwd),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single ``bntui: error: …`` line of a refused command (exit 2, no traceback)."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both
    assert result.returncode == 2, (result.returncode, both)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bntui: error: "), lines
    return lines[0]


def temp_files(d: Path) -> list[str]:
    """Hidden (temporary) files under ``d``: what an interrupted writer leaves."""
    return sorted(p.name for p in d.rglob(".*") if p.is_file())


def tq(text: str) -> str:
    """``text`` as a TOML basic string: controls as ``\\uXXXX``, everything else as is."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
