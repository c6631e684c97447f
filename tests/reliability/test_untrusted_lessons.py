"""Issue 12, causes 1 and 2: a lesson is untrusted input.

It must not overwrite a user's files with its screenshots, and no escape sequence or
control character from its title, description, captions, mark labels or screenshot names
may reach the terminal, the report or the file system.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rel_helpers import bntui, one_error_line, tq

from bntui.replay.script import ScriptError, parse_script

OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
RED = "\x1b[31m"
LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"


def _lesson(d: Path, *, screenshot: str | None = None, text: str = "hello") -> Path:
    shot = f"screenshot = {tq(screenshot)}\n" if screenshot else ""
    body = (
        f"title = {tq('T ' + text)}\n"
        f"description = {tq('D ' + text + chr(10) + '<script>alert(1)</script>')}\n"
        "[config]\nsteps = 30\nsamples = 100\ndepth = 1\nwidth = 4\nbatch_size = 16\n"
        "[[event]]\nat = 10\n"
        f"do = [{tq('mark M ' + text)}]\n"
        f"caption = {tq('C ' + text)}\n" + shot
    )
    path = d / "lesson.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_lesson_screenshot_never_replaces_a_users_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    notes = out / "notes.txt"
    notes.write_text("my notes\n")
    lesson = _lesson(tmp_path, screenshot="notes.txt")
    for extra in ([], ["--force"]):  # --force is for the files the user named, not a lesson's
        result = bntui(["replay", str(lesson), "--headless", "--out", str(out), *extra], tmp_path)
        line = one_error_line(result)
        assert "notes.txt exists" in line and "never replaces" in line
        assert notes.read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # refused before training


def test_two_events_may_not_write_the_same_screenshot() -> None:
    text = (
        "[config]\nsteps = 20\n[[event]]\nat = 1\nscreenshot = 'a.svg'\n"
        "[[event]]\nat = 2\nscreenshot = 'a.svg'\n"
    )
    with pytest.raises(ScriptError, match="already written by event 1"):
        parse_script(text, "x.toml")


@pytest.mark.parametrize(
    "name",
    [
        "../up.svg",
        "/etc/passwd.svg",
        "a/b.svg",
        "a\\b.svg",
        "..svg",
        ".hidden.svg",
        "-rf.svg",
        "a\nb.svg",
        "a\x1b[2Jb.svg",
        "a\x00b.svg",
        "a\u202eb.svg",
        " a.svg",
    ],
)
def test_unsafe_screenshot_names_are_refused(name: str) -> None:
    from bntui.safety import check_file_name, unsafe_name

    text = f"[config]\nsteps = 20\n[[event]]\nat = 1\nscreenshot = {tq(name)}\n"
    with pytest.raises(ScriptError, match="screenshot name .* is unsafe"):
        parse_script(text, "x.toml")
    assert unsafe_name(name) is not None
    with pytest.raises(ValueError) as refused:
        check_file_name(name, ValueError)
    assert "\n" not in str(refused.value) and "\x1b" not in str(refused.value)


@pytest.mark.parametrize("name", ["after-bn.svg", "그림 1.svg", "shot_2.txt", "😀.svg"])
def test_ordinary_names_pass(name: str) -> None:
    from bntui.safety import check_file_name

    assert check_file_name(name, ValueError) == name


@pytest.mark.parametrize("evil", [OSC_TITLE, CLEAR, RED, LINK, "\x9b31m", "\x07", "\x7f"])
def test_escapes_never_reach_stdout_or_the_report(tmp_path: Path, evil: str) -> None:
    lesson = _lesson(tmp_path, text=f"x{evil}y", screenshot="s.svg")
    out = tmp_path / "out"
    result = bntui(["replay", str(lesson), "--headless", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    written = [result.stdout, result.stderr]
    written += [p.read_text(encoding="utf-8") for p in out.iterdir()]
    for text in written:
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\x7f" not in text
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in report and "&lt;script>" in report  # no HTML from a lesson
    assert "C xy" in result.stdout or "C x" in result.stdout  # the caption itself is kept
    assert "click" in report or evil != LINK  # an OSC 8 link keeps its visible text
    events = (out / "events.jsonl").read_text(encoding="utf-8")
    assert "M x" in events  # the mark label, cleaned


def test_clean_text_keeps_korean_and_emoji() -> None:
    from bntui.safety import clean_text

    label = "배치 정규화를 켜면 기울기가 살아납니다 정말로"  # 25 characters
    assert len(label) == 25 and clean_text(label) == label
    family = "👨\u200d👩\u200d👧 🇰🇷 ✔️"  # joiners, flags and variation selectors survive
    assert clean_text(family) == family
    assert clean_text("a\ud800b") == "a?b"  # a lone surrogate is not valid text
    assert clean_text("a\tb\nc") == "a b c"
    assert clean_text("a\nb", multiline=True) == "a\nb"
    assert clean_text(f"a{OSC_TITLE}b{CLEAR}c{RED}d") == "abcd"


def test_a_mark_label_from_a_lesson_is_cleaned() -> None:
    text = (
        "[config]\nsteps = 20\n[[event]]\nat = 1\n"
        f"do = [{tq('mark 라벨' + OSC_TITLE + ' 😀')}]\n"
        f"caption = {tq('캡션' + RED + '끝')}\n"
    )
    script = parse_script(text, "x.toml")
    event = script.events[0]
    assert event.do == ("mark 라벨 😀",) and event.caption == "캡션끝"
