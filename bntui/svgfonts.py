"""Exported SVGs that show Korean: a font stack with CJK fonts, no web fonts, and text
runs as wide as their cells. Used for slides, lesson screenshots and the ``s`` key."""

from __future__ import annotations

import html
import re

# the terminal font first, then common Korean/CJK monospace and sans fonts
FONT_STACK = (
    '"Fira Code", "D2Coding", "Noto Sans Mono CJK KR", "Nanum Gothic Coding", '
    '"Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo", monospace'
)
TITLE_FONT = '"Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo", arial, sans-serif'
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}\s*", re.S)


_TEXT = re.compile(r'(<text\b[^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def _cell_length(m: re.Match[str]) -> str:
    """One ``<text>`` whose textLength counts characters: make it count cells."""
    from rich.cells import cell_len

    text = html.unescape(m.group(4))
    chars, cells = len(text), cell_len(text)
    if chars == 0 or chars == cells:
        return m.group(0)
    length = float(m.group(2)) / chars * cells
    return f"{m.group(1)}{length:g}{m.group(3)}{m.group(4)}{m.group(5)}"


def cjk_svg(svg: str) -> str:
    """An exported SVG that names CJK fonts and loads none from the network (Rich's
    export links Fira Code on a CDN), with wide characters given their two cells.

    Rich (15.0) sets each ``<text>``'s textLength to one cell per *character*; browsers
    honour it and squeeze a run of Hangul to half its width over the next text. Here it
    is one cell per cell (``rich.cells.cell_len``).
    """
    svg = _TEXT.sub(_cell_length, svg)
    svg = _FONT_FACE.sub("", svg)
    svg = re.sub(r"font-family:\s*Fira Code,\s*monospace;", f"font-family: {FONT_STACK};", svg)
    return re.sub(r"font-family:\s*arial;", f"font-family: {TITLE_FONT};", svg)
