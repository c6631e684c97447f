"""Lesson slides: one SVG per caption, drawn after its event took effect, and index.html."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest

from bntui import i18n
from bntui.cli import main
from bntui.replay.headless import run_script
from bntui.replay.script import lesson_names, load_script, parse_script
from bntui.replay.slides import FONT_STACK, Slide, cjk_svg, index_html, slide_steps

HANGUL = re.compile(r"[\uac00-\ud7a3]")

SCRIPT = """
title = "t"
[config]
steps = 100
stats_every = 10
samples = 200
[[event]]
at = 0
caption = "first"
[[event]]
at = 15
do = ["bn off"]
caption = "second"
[[event]]
at = 40
do = ["mark x"]
[[event]]
at = 100
caption = "last"
"""


@pytest.fixture(autouse=True)
def english():
    yield
    i18n.set_language("en")


def test_slide_steps_by_hand():
    script = parse_script(SCRIPT, "t.toml")
    # each caption's slide at its own step; event 3 has no caption
    assert slide_steps(script, 100) == {1: 0, 2: 15, 4: 100}
    assert slide_steps(script, 30) == {1: 0, 2: 15}  # --steps 30: event 4 skipped


def test_slides_are_drawn_right_after_their_event_at_its_step():
    script = parse_script(SCRIPT, "t.toml")
    seen = []

    def on_slide(session, event, texts):
        seen.append((event.index, session.step_count, session.config.bn, session.events[-1]))
        assert texts == (event.caption, None)

    run_script(script, on_slide=on_slide)
    assert [(i, s) for i, s, _bn, _e in seen] == [(1, 0), (2, 15), (4, 100)]
    assert seen[0][2] is True and seen[1][2] is False  # event 2's "bn off" took effect
    assert seen[2][3].text == "last"  # the concluding caption is applied before its slide


def test_a_slide_gets_its_caption_filled_at_its_step():
    text = SCRIPT.replace('caption = "second"', 'caption = "second: step {step}, loss {loss:.3f}"')
    text = text.replace('do = ["bn off"]', 'do = ["bn off"]\ncaption_ko = "둘째 {step}"')
    seen = []

    def on_slide(session, event, texts):
        seen.append((session.step_count, (session.last_record or {}).get("loss"), texts))

    run_script(parse_script(text, "t.toml"), on_slide=on_slide)
    step, loss, (en, ko) = seen[1]
    assert step == 15 and en == f"second: step 15, loss {loss:.3f}" and ko == "둘째 15"


@pytest.mark.parametrize("name", lesson_names())
def test_every_bundled_lesson_gets_a_slide_per_caption(name):
    """Counted on a cut-down run (fewer samples): the timer, not the drawing."""
    script = load_script(name)
    script = dataclasses.replace(script, config=script.config.replace(samples=300))
    shots = []
    result = run_script(script, on_slide=lambda s, e, t: shots.append(e.index), keep_records=False)
    captions = [e.index for e in script.events if e.caption and e not in result.skipped]
    assert shots == captions and len(shots) >= 5


def test_cjk_svg_names_cjk_fonts_and_loads_nothing():
    svg = (
        '<svg><style>@font-face { font-family: "Fira Code"; src: url("https://x/y.woff2"); }\n'
        ".terminal-matrix { font-family: Fira Code, monospace; }\n"
        ".terminal-title { font-family: arial; }</style></svg>"
    )
    out = cjk_svg(svg)
    assert "https://" not in out and "@font-face" not in out
    assert FONT_STACK in out and "Noto Sans Mono CJK KR" in out and "D2Coding" in out
    assert "Nanum Gothic Coding" in out and out.count("monospace") == 1


def test_index_html_escapes_captions_and_steps_with_keys():
    script = parse_script(SCRIPT, "t.toml")
    e = script.events[0]
    slides = [Slide(e, "slide-01.svg", "<script>alert(1)</script> & co", 15)]
    page = index_html("a <b>", slides)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "a &lt;b&gt;" in page and 'src="slide-01.svg"' in page
    assert "ArrowRight" in page and "ArrowLeft" in page
    assert "http://" not in page and "https://" not in page


def _check_slides(out, script, lang):
    page = (out / "index.html").read_text(encoding="utf-8")
    files = re.findall(r'<img src="(slide-\d+\.svg)"', page)
    captions = [e for e in script.events if e.caption]
    asked = [e.question for e in script.questions]  # a question slide and an answer slide
    count = len(captions) + 2 * len(asked)
    assert files == [f"slide-{n:02d}.svg" for n in range(1, count + 1)]
    for name in files:
        svg = (out / name).read_text(encoding="utf-8")
        ET.fromstring(svg)  # well-formed
        assert "Noto Sans Mono CJK KR" in svg and "@font-face" not in svg  # no web font
        assert not re.search(r"url\(\s*[\"']?(https?:|//)", svg)
    steps = [int(s) for s in re.findall(r'data-step="(\d+)"', page)]
    at = [*slide_steps(script, script.config.steps).values()]
    at += [n for e in script.questions for n in (e.at, e.question.reveal)]
    assert steps == sorted(at)
    shown = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    if lang == "ko":
        assert all(HANGUL.search(c) for c in shown) and f'lang="{lang}"' in page
    else:
        assert not any(HANGUL.search(c) for c in shown)
    return files


def test_slides_of_a_whole_lesson(tmp_path, capsys):
    out = tmp_path / "slides"
    code = main(["replay", "sigmoid-vanishing", "--headless", "--quiet", "--slides", str(out)])
    assert code == 0
    script = load_script("sigmoid-vanishing")
    files = _check_slides(out, script, "en")
    assert f"slides: {len(files)} in" in capsys.readouterr().out
    # a second run never replaces the slides
    again = main(["replay", "sigmoid-vanishing", "--headless", "--slides", str(out)])
    assert again == 2
    assert "slides never replace files" in capsys.readouterr().err


def test_korean_slides(tmp_path):
    out = tmp_path / "ko"
    code = main(
        ["replay", "covariate-shift", "--headless", "--quiet", "--lang", "ko",
         "--slides", str(out)]
    )  # fmt: skip
    assert code == 0
    _check_slides(out, load_script("covariate-shift"), "ko")
    svg = (out / "slide-01.svg").read_text(encoding="utf-8")
    assert HANGUL.search(svg)  # the caption bar and the status word are Korean


def test_slides_need_headless(tmp_path, capsys):
    code = main(["replay", "sigmoid-vanishing", "--slides", str(tmp_path / "s")])
    assert code == 2
    assert "--slides needs --headless" in capsys.readouterr().err


def test_cjk_svg_gives_wide_characters_two_cells():
    # Rich sets textLength to one cell per character: 7 characters, 11 cells here
    raw = '<text x="12.2" textLength="85.4" clip-path="url(#l)">‖&#160;일시정지&#160;</text>'
    ascii_only = '<text x="0" textLength="24.4">ab</text>'
    out = cjk_svg(raw + ascii_only)
    assert 'textLength="134.2"' in out  # 11 × 12.2
    assert ascii_only in out  # untouched: one cell per character already
