"""Issue 21: long lesson text costs linear time.

Rich's highlighter is quadratic on one long line (an 80 kB caption took 51 s of
``replay --headless``): lesson text is printed without it, and captions, ``do`` commands
and titles are capped at parse time (one line naming the event) so a 1 MB caption is
refused before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rel_helpers import bntui, one_error_line

from bntui.replay.script import MAX_CAPTION, ScriptError, load_script


def _lesson(tmp_path: Path, caption: str, *, key: str = "caption") -> Path:
    p = tmp_path / "long.toml"
    body = caption.replace("\\", "\\\\").replace('"', '\\"')
    p.write_text(
        'title = "long"\n[config]\nsteps = 4\nsamples = 64\ndepth = 1\nwidth = 4\n'
        f'[[event]]\nat = 2\n{key} = "{body}"\n'
    )
    return p


def test_a_caption_past_the_cap_is_refused_naming_the_event(tmp_path: Path) -> None:
    assert MAX_CAPTION == 2000
    with pytest.raises(
        ScriptError, match=r"event 1 .*caption has 1,000,000 characters; at most 2,000"
    ):
        load_script(_lesson(tmp_path, "x" * 1_000_000))
    line = one_error_line(
        bntui(["replay", str(_lesson(tmp_path, "y" * 2001)), "--headless"], tmp_path)
    )
    assert "at most 2,000" in line and "long.toml" in line
    for key in ("caption_ko", "do"):
        text = "mark " + "z" * 2001 if key == "do" else "가" * 2001
        with pytest.raises(ScriptError, match="at most 2,000"):
            load_script(_lesson(tmp_path, text, key=key).with_suffix(".toml"))


def test_lesson_text_is_printed_without_the_highlighter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.highlighter import ReprHighlighter

    from bntui.cli import main

    def refuse(self, text):  # the quadratic part: never run on lesson text
        raise AssertionError(f"highlighter ran on {str(text)[:40]!r}")

    monkeypatch.setattr(ReprHighlighter, "highlight", refuse)
    monkeypatch.chdir(tmp_path)
    caption = "0.5 [1, 2] http://x.example/a=1 'q' " * 55  # numbers, brackets, URLs, quotes
    assert main(["--debug", "replay", str(_lesson(tmp_path, caption[:2000])), "--headless"]) == 0
    out = capsys.readouterr().out
    assert "http://x.example/a=1" in out and "long" in out
