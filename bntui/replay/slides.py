"""Lesson slides: one SVG per caption and a self-contained ``index.html`` to step through.

``bntui replay NAME --headless --slides DIR`` draws the screen once per caption, at the
caption's own step, right after its event applied: the caption's numbers are filled from
that moment (``bntui.live.captions``), so the slide shows the numbers its caption quotes.
``index.html`` shows the slides in order with their captions, large, on a dark
background, and steps with ←/→ (also space, PageUp/PageDown, Home/End); it loads
nothing from the network. This module knows no UI: the CLI passes the renderer.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from bntui.replay.script import Script, ScriptEvent
from bntui.svgfonts import FONT_STACK, TITLE_FONT, cjk_svg  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class Slide:
    """One slide: its file in the slides directory, the caption shown, the step drawn."""

    event: ScriptEvent
    file: str
    caption: str
    step: int
    status: str = "written"


def slide_steps(script: Script, total: int) -> dict[int, int]:
    """Event index -> the step its slide is drawn at, for every caption event <= ``total``:
    the caption's own step (drawn right after its commands applied, from the same state
    its numbers were filled from)."""
    return {e.index: e.at for e in script.events if e.caption and e.at <= total}


def slide_name(n: int) -> str:
    return f"slide-{n:02d}.svg"


def index_html(title: str, slides: list[Slide], *, lang: str = "en") -> str:
    """The slide show: every slide in order with its caption; ←/→ step through."""
    title_e = html.escape(title)
    figures = []
    for n, s in enumerate(slides, start=1):
        figures.append(
            f'<figure class="slide" id="s{n}" data-step="{s.step}">\n'
            f'  <img src="{html.escape(s.file)}" alt="{html.escape(s.caption)}">\n'
            f"  <figcaption>{html.escape(s.caption)}</figcaption>\n"
            f'  <div class="where">{n} / {len(slides)} · step {s.step:,}</div>\n'
            "</figure>"
        )
    body = "\n".join(figures)
    count = json.dumps(len(slides))
    return f"""<!DOCTYPE html>
<html lang="{html.escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_e}</title>
<style>
  html, body {{ margin: 0; height: 100%; background: #111; color: #eee; }}
  body {{ font-family: {TITLE_FONT}; }}
  h1 {{ font-size: 2.2vw; margin: 0.6vh 2vw; color: #9cf; font-weight: 600; }}
  .slide {{ display: none; margin: 0; height: calc(100vh - 5vw); flex-direction: column;
           align-items: center; }}
  .slide.on {{ display: flex; }}
  .slide img {{ max-width: 96vw; max-height: 72vh; object-fit: contain; }}
  figcaption {{ font-size: 2.6vw; line-height: 1.35; max-width: 92vw; margin-top: 1.5vh;
               text-align: center; }}
  .where {{ font-size: 1.3vw; color: #999; margin-top: 1vh; }}
  .help {{ position: fixed; bottom: 0.5vh; right: 1vw; font-size: 1vw; color: #777; }}
  @media print {{ .slide {{ display: flex; page-break-after: always; height: auto; }} }}
</style>
</head>
<body>
<h1>{title_e}</h1>
{body}
<div class="help">← → space · Home End</div>
<script>
  var n = {count}, i = 1;
  function show(k) {{
    if (n === 0) return;
    i = Math.min(Math.max(k, 1), n);
    for (var j = 1; j <= n; j++)
      document.getElementById("s" + j).classList.toggle("on", j === i);
    history.replaceState(null, "", "#" + i);
  }}
  document.addEventListener("keydown", function (e) {{
    if (["ArrowRight", "PageDown", " ", "Enter"].indexOf(e.key) >= 0) show(i + 1);
    else if (["ArrowLeft", "PageUp", "Backspace"].indexOf(e.key) >= 0) show(i - 1);
    else if (e.key === "Home") show(1);
    else if (e.key === "End") show(n);
    else return;
    e.preventDefault();
  }});
  document.addEventListener("click", function (e) {{
    show(e.clientX > window.innerWidth / 2 ? i + 1 : i - 1);
  }});
  show(parseInt(location.hash.slice(1), 10) || 1);
</script>
</body>
</html>
"""


def check_slides_dir(out: Path, count: int) -> None:
    """Before playing: refuse to replace slides or an index already in ``out``."""
    from bntui.export import ExportError

    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a directory")
    names = ["index.html", *(slide_name(n) for n in range(1, count + 1))]
    taken = [name for name in names if (out / name).exists() or (out / name).is_symlink()]
    if taken:
        raise ExportError(
            f"{out / taken[0]} exists; slides never replace files (remove them or choose "
            "another --slides directory)"
        )
