"""Replay scripts: parse and validate a lesson written in TOML.

A script is a title, a description, a ``[config]`` table (any Config field) and a list of
``[[event]]`` tables, each at a step::

    [[event]]
    at = 1500
    do = ["bn on"]                     # vocabulary commands, applied in order
    caption = "Same weights, BN on: loss {loss:.2f}."  # ``caption TEXT``; {…}: bntui.live.captions
    caption_ko = "같은 가중치, 배치 정규화 켬."  # shown instead under ``--lang ko``
    screenshot = "after-bn.svg"        # rendered by the TUI (phase 2)
    view = 6                           # the screen shows view 6 from this caption on
    layer = "L3"                       # and selects layer 3 (drift, gradients, bands, view 5)
    pause = 3                          # seconds to hold in live replays
    window = 100                       # steps the expect checks average over
    expect = { val_acc = ">= 0.8", "L1.grad_norm / L6.grad_norm" = "> 0.1" }

``view`` and ``layer`` make the screen show what the caption talks about, as the keys
1–6 and ↑/↓ would: live, on the slides and in screenshots (``Script.shows``, applied by
the app when the caption appears; the view and layer stay until a later caption sets
them). They need a caption. A caption quotes a registry claim by id: ``{claim:ics-cos}``
(``bntui.live.captions``).

``expect`` checks are measured at the event's step, before its commands apply, over the
records of the last ``window`` steps. Every error names the file, the line and the event.

Korean text sits beside the English: ``title_ko``, ``description_ko`` at the top and
``caption_ko`` per event (all untrusted, cleaned like ``caption``). The session always
logs the English caption (outputs do not depend on the language); the players show
``caption_ko`` under ``--lang ko`` (``Script.captions_ko``, ``localized``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bntui.errors import decode_utf8, read_input
from bntui.live.captions import parse_template
from bntui.replay.expect import (  # noqa: F401  (re-exported: the script's vocabulary)
    OPERATORS,
    RECORD_METRICS,
    Check,
    _flatten,
    check_metric,
    parse_check,
)
from bntui.replay.questions import Question, parse_question
from bntui.safety import check_file_name, clean_text
from bntui.training.commands import DISPLAY_VERBS, CommandError, parse
from bntui.training.config import MAX_DEPTH, Config, ConfigError, check_nesting


class ScriptError(ConfigError):
    """A script that cannot be read or played; one line naming file, line and event.

    A ConfigError (hence a ValueError), so ``bntui.cli.report`` exits with status 2.
    """


MAX_CAPTION = 2000
"""Longest caption, caption_ko or ``do`` command (characters): a slide's worth of text."""
MAX_TITLE = 200  # characters of a title
MAX_DESCRIPTION = 20_000  # characters of a description
_SLIDE_NAME = re.compile(r"slide-\d+\.svg", re.IGNORECASE)  # what --slides writes

TOP_KEYS = ("title", "title_ko", "description", "description_ko", "config", "event")
EVENT_KEYS = (
    "at",
    "do",
    "caption",
    "caption_ko",
    "screenshot",
    "pause",
    "window",
    "expect",
    "question",
    "view",
    "layer",
)
DEFAULT_WINDOW = 100
VIEW_COUNT = 6  # keys 1–6 (bntui.tui.app.VIEWS)


@dataclass(frozen=True)
class ScriptEvent:
    """One ``[[event]]``: what happens at a step boundary."""

    index: int  # 1-based position in the file
    at: int
    line: int | None  # line of its ``[[event]]`` header, when found
    do: tuple[str, ...] = ()  # normalized command texts
    caption: str | None = None
    screenshot: str | None = None
    pause: float = 0.0
    caption_ko: str | None = None  # the caption in Korean (shown under --lang ko)
    window: int = DEFAULT_WINDOW
    expect: tuple[Check, ...] = ()
    question: Question | None = None  # asked before ``do`` applies (bntui.replay.questions)
    view: int | None = None  # the view (1–6) the screen shows from this caption on
    layer: int | None = None  # the layer (1-based) the panels select from this caption on

    def commands(self) -> list[str]:
        """The commands this event applies, in order: ``do`` first, then the caption."""
        out = list(self.do)
        if self.caption is not None:
            out.append(f"caption {self.caption}")
        return out


@dataclass(frozen=True)
class Script:
    """A parsed, validated lesson."""

    title: str
    description: str
    config: Config
    events: tuple[ScriptEvent, ...]
    source: str  # the file as named to the user (path or "demos/NAME.toml")
    title_ko: str = ""
    description_ko: str = ""

    @property
    def captions_ko(self) -> dict[str, str]:
        """English caption (as the session logs it) -> its Korean text, for the players."""
        return {e.caption: e.caption_ko for e in self.events if e.caption and e.caption_ko}

    @property
    def shows(self) -> dict[str, tuple[int | None, int | None]]:
        """English caption template -> (view 1–6, layer) its event shows (None: unchanged),
        for the app: it switches when the caption appears, live and on slides."""
        return {
            e.caption: (e.view, e.layer)
            for e in self.events
            if e.caption and (e.view is not None or e.layer is not None)
        }

    @property
    def questions(self) -> list[ScriptEvent]:
        """The events that ask a question, in order."""
        return [e for e in self.events if e.question is not None]

    def schedule(self, steps: int | None = None) -> list[tuple[int, str]]:
        """(step, command) pairs for a Runner; events after ``steps`` are left out."""
        return [
            (e.at, cmd)
            for e in self.events
            if steps is None or e.at <= steps
            for cmd in e.commands()
        ]

    def where(self, event: ScriptEvent) -> str:
        """``file:line: event N (at S)`` for messages about one event."""
        line = f":{event.line}" if event.line else ""
        return f"{self.source}{line}: event {event.index} (at {event.at})"


# ---------------------------------------------------------------------- lines
_EVENT_HEADER = re.compile(r"^\s*\[\[\s*event\s*\]\]")


def _event_lines(text: str) -> list[int]:
    """1-based line numbers of the ``[[event]]`` headers, in order."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if _EVENT_HEADER.match(line)]


def _key_line(text: str, table: str, key: str) -> int | None:
    """Line of ``key = …`` inside ``[table]`` (or of the header), for config errors."""
    lines = text.splitlines()
    inside, header = False, None
    for i, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = re.match(rf"^\[\s*{re.escape(table)}\s*\]", stripped) is not None
            if inside:
                header = i
            continue
        if inside and re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return i
    return header


def _guilty_key(table: dict[str, Any], message: str) -> str | None:
    """The [config] key a ConfigError message is about (to point at its line)."""
    labels = {k: str(k).replace("_", "-") for k in table}
    tests = (
        lambda k: repr(k) in message,  # unknown setting 'foo'
        lambda k: message.startswith(labels[k] + " "),  # depth must be in 0..32
        lambda k: re.search(rf"(?<![\w-]){re.escape(labels[k])}(?![\w-])", message),
        lambda k: repr(table[k]) in message,  # a value quoted in the message
    )
    for test in tests:
        found = next((k for k in table if test(k)), None)
        if found is not None:
            return found
    return None


def _line_of_top_key(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("["):
            return None
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return i
    return None


# ---------------------------------------------------------------------- parsing
def parse_script(text: str, source: str = "<script>") -> Script:
    """Parse and validate a script's TOML text; ScriptError names ``source``, line and event."""
    try:
        return _parse_script(text, source)
    except RecursionError:  # [a[a[a…]]] or expect.a.a.a… thousands deep
        raise ScriptError(f"{source}: nested too deeply (not a lesson script)") from None


def _parse_script(text: str, source: str) -> Script:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no lineno: read it from "(at line 3, column 5)"
        found = re.search(r"\(at line (\d+), column \d+\)|\(at end of document\)", str(exc))
        line = getattr(exc, "lineno", None) or (
            int(found.group(1)) if found and found.group(1) else None
        )
        if found and not found.group(1):
            line = max(1, len(text.splitlines()))
        msg = getattr(exc, "msg", None) or str(exc)[: found.start() if found else None].strip()
        raise ScriptError(f"{source}:{line}: {msg}" if line else f"{source}: {msg}") from None
    try:
        check_nesting(doc, source)
    except ConfigError as exc:
        raise ScriptError(str(exc)) from None

    def fail(message: str, line: int | None = None) -> ScriptError:
        return ScriptError(f"{source}:{line}: {message}" if line else f"{source}: {message}")

    for key in doc:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown key {key!r}{hint}", _line_of_top_key(text, key))
    texts = {k: doc.get(k, "") for k in ("title", "title_ko", "description", "description_ko")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise fail(f"{key} must be text", _line_of_top_key(text, key))
        cap = MAX_TITLE if key.startswith("title") else MAX_DESCRIPTION
        if len(value) > cap:
            line = _line_of_top_key(text, key)
            raise fail(f"{key} has {len(value):,} characters; at most {cap:,}", line)
    title = " ".join(clean_text(texts["title"]).split()) or clean_text(Path(source).stem)
    title_ko = " ".join(clean_text(texts["title_ko"]).split())
    # untrusted: no escapes
    description = clean_text(texts["description"], multiline=True).strip()
    description_ko = clean_text(texts["description_ko"], multiline=True).strip()

    table = doc.get("config", {})
    if not isinstance(table, dict):
        raise fail("config must be a table: [config]", _line_of_top_key(text, "config"))
    try:
        config = Config.from_dict(table, where="[config]")
    except ConfigError as exc:
        message = str(exc)
        bad = _guilty_key(table, message)
        line = _key_line(text, "config", bad) if bad else _key_line(text, "config", "")
        text_ = message if message.startswith("[config]") else f"[config]: {message}"
        raise fail(text_, line) from None

    raw_events = doc.get("event", [])
    if not isinstance(raw_events, list) or not all(isinstance(e, dict) for e in raw_events):
        raise fail("event must be a list of tables: [[event]]", _line_of_top_key(text, "event"))
    lines = _event_lines(text)
    events: list[ScriptEvent] = []
    last_at = 0
    shots: dict[str, int] = {}
    shows: dict[str, tuple[int, tuple[int | None, int | None]]] = {}
    for index, raw in enumerate(raw_events, start=1):
        line = lines[index - 1] if len(lines) == len(raw_events) else None
        event = _parse_event(raw, index, line, last_at, config, source)
        last_at = event.at
        events.append(event)
        if event.caption is not None:
            show = (event.view, event.layer)
            first_show = shows.setdefault(event.caption, (index, show))
            if first_show[1] != show:
                raise fail(
                    f"event {index}: the same caption as event {first_show[0]} with another "
                    "view or layer; the screen finds its view by the caption (word them apart)",
                    line,
                )
        if event.screenshot is not None:
            first = shots.setdefault(event.screenshot, index)
            if first != index:
                raise fail(
                    f"event {index}: screenshot {event.screenshot!r} is already written by "
                    f"event {first}; give each screenshot its own name",
                    line,
                )
    return Script(title, description, config, tuple(events), source, title_ko, description_ko)


def _parse_event(
    raw: dict[str, Any], index: int, line: int | None, last_at: int, config: Config, source: str
) -> ScriptEvent:
    at_text = f"at {raw['at']}" if isinstance(raw.get("at"), int) else "no 'at'"
    where = f"{source}:{line}" if line else source

    def fail(message: str) -> ScriptError:
        return ScriptError(f"{where}: event {index} ({at_text}): {message}")

    for key in raw:
        if key not in EVENT_KEYS:
            close = difflib.get_close_matches(key, EVENT_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown key {key!r}{hint}; an event takes {', '.join(EVENT_KEYS)}")
    at = raw.get("at")
    if isinstance(at, bool) or not isinstance(at, int):
        raise fail("needs 'at = STEP' (a whole number)")
    if at < 0:
        raise fail(f"'at' must be >= 0, got {at}")
    if at < last_at:
        raise fail(f"'at' goes backwards ({at} after {last_at}); list events in step order")
    if at > config.steps:
        raise fail(f"'at' is past the lesson's end (config steps = {config.steps})")

    do_raw = raw.get("do", [])
    if isinstance(do_raw, str):
        do_raw = [do_raw]
    if not isinstance(do_raw, list) or not all(isinstance(c, str) for c in do_raw):
        raise fail("'do' must be a list of commands, e.g. do = [\"bn on\"]")
    do: list[str] = []
    for text in do_raw:
        if len(text) > MAX_CAPTION:
            raise fail(f"a 'do' command has {len(text):,} characters; at most {MAX_CAPTION:,}")
        try:
            cmd = parse(clean_text(text))  # no escapes in mark labels, captions
        except CommandError as exc:
            raise fail(str(exc)) from None
        if cmd.verb in DISPLAY_VERBS:
            raise fail(f"{cmd.verb!r} is a display setting, not a lesson step (use --lang)")
        do.append(str(cmd))

    for key in ("caption", "caption_ko"):
        value = raw.get(key)
        if isinstance(value, str) and len(value) > MAX_CAPTION:
            raise fail(f"{key} has {len(value):,} characters; at most {MAX_CAPTION:,}")
    caption = raw.get("caption")
    if caption is not None:
        if not isinstance(caption, str):
            raise fail("caption must be text")
        caption = " ".join(clean_text(caption).split()) or None
    caption_ko = raw.get("caption_ko")
    if caption_ko is not None:
        if not isinstance(caption_ko, str):
            raise fail("caption_ko must be text")
        caption_ko = " ".join(clean_text(caption_ko).split()) or None
        if caption is None and caption_ko:
            raise fail("caption_ko needs a caption (the English text, shown by default)")
    if caption is not None:
        try:
            names = parse_template(caption).names
        except ValueError as exc:
            raise fail(f"caption: {exc}") from None
        if caption_ko is not None:
            try:
                unknown = [n for n in parse_template(caption_ko).names if n not in names]
            except ValueError as exc:
                raise fail(f"caption_ko: {exc}") from None
            if unknown:
                raise fail(
                    f"caption_ko: {unknown[0]!r} is not in the English caption (the Korean one "
                    "is filled with the English one's values)"
                )
    screenshot = raw.get("screenshot")
    if screenshot is not None:
        if not isinstance(screenshot, str) or not screenshot.strip():
            raise fail('screenshot must be a file name, e.g. "after-bn.svg"')
        try:
            check_file_name(screenshot, ScriptError, "screenshot name")
        except ScriptError as exc:
            raise fail(str(exc)) from None
        if Path(screenshot).suffix.lower() not in (".svg", ".txt"):
            raise fail(f"screenshot must end in .svg or .txt, got {screenshot!r}")
        if _SLIDE_NAME.fullmatch(screenshot):
            raise fail(f"screenshot {screenshot!r}: slide-NN.svg names are reserved for --slides")
    pause = raw.get("pause", 0.0)
    if isinstance(pause, bool) or not isinstance(pause, int | float) or not 0 <= pause <= 600:
        raise fail(f"pause must be a number of seconds in 0..600, got {pause!r}")
    window = raw.get("window", DEFAULT_WINDOW)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise fail(f"window must be a whole number of steps >= 1, got {window!r}")

    expect_raw = raw.get("expect", {})
    if not isinstance(expect_raw, dict):
        raise fail('expect must be a table, e.g. expect = { val_acc = ">= 0.8" }')
    checks: list[Check] = []
    for key, value in _flatten(expect_raw):
        try:
            checks.append(parse_check(key, value))
        except ValueError as exc:
            raise fail(str(exc)) from None
    view = raw.get("view")
    if view is not None and (
        isinstance(view, bool) or not isinstance(view, int) or not 1 <= view <= VIEW_COUNT
    ):
        raise fail(f"view must be a view number 1..{VIEW_COUNT} (the keys 1–6), got {view!r}")
    layer = raw.get("layer")
    if layer is not None:
        m = re.fullmatch(r"L(\d{1,2})", layer) if isinstance(layer, str) else None
        number = int(m.group(1)) if m else 0
        if not 1 <= number <= MAX_DEPTH:
            raise fail(f'layer must name a hidden layer L1..L{MAX_DEPTH}, e.g. "L3", got {layer!r}')
        layer = number
    if (view is not None or layer is not None) and caption is None:
        raise fail("view and layer show what a caption talks about: give the event a caption")
    question = None
    if "question" in raw:
        try:
            question = parse_question(raw["question"], at, config.steps)
        except ValueError as exc:
            raise fail(str(exc)) from None
    return ScriptEvent(
        index=index,
        at=at,
        line=line,
        do=tuple(do),
        caption=caption,
        caption_ko=caption_ko,
        screenshot=screenshot,
        pause=float(pause),
        window=window,
        expect=tuple(checks),
        question=question,
        view=view,
        layer=layer,
    )


def check_screenshots(script: Script, out: Path) -> None:
    """Before playing: refuse a lesson whose screenshot would replace an existing file.

    A lesson is untrusted, so this holds even with --force (which is for the files the
    user named: metrics, report, model).
    """
    from bntui.export import ExportError

    for event in script.events:
        if event.screenshot:
            target = out / event.screenshot
            if target.exists() or target.is_symlink():
                raise ExportError(
                    f"{target} exists and {script.where(event)} would write its screenshot "
                    "there; a lesson never replaces files (remove it or choose another --out)"
                )


# ---------------------------------------------------------------------- loading
def lesson_names() -> list[str]:
    """Names of the bundled lessons (``bntui/demos/*.toml``), sorted."""
    root = resources.files("bntui") / "demos"
    if not root.is_dir():
        return []
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_script(spec: str | Path) -> Script:
    """A script from a file path, or a bundled lesson by name (``sigmoid-vanishing``)."""
    path = Path(spec)
    name = str(spec)
    looks_like_file = path.suffix.lower() == ".toml" or "/" in name or path.exists()
    if not looks_like_file:
        if name in lesson_names():
            resource = resources.files("bntui") / "demos" / f"{name}.toml"
            return parse_script(resource.read_text(encoding="utf-8"), f"demos/{name}.toml")
        close = difflib.get_close_matches(name, lesson_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScriptError(
            f"{name}: no such script file or bundled lesson{hint}; 'bntui demos' lists them"
        )
    text = decode_utf8(read_input(path, ScriptError, "a script"), str(path), ScriptError)
    return parse_script(text, str(path))
