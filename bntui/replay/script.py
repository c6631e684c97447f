"""Replay scripts: parse and validate a lesson written in TOML.

A script is a title, a description, a ``[config]`` table (any Config field) and a list of
``[[event]]`` tables, each at a step::

    [[event]]
    at = 1500
    do = ["bn on"]                     # vocabulary commands, applied in order
    caption = "Same weights, BN on."   # applied as the command ``caption TEXT``
    screenshot = "after-bn.svg"        # rendered by the TUI (phase 2)
    pause = 3                          # seconds to hold in live replays
    window = 100                       # steps the expect checks average over
    expect = { val_acc = ">= 0.8", "L1.grad_norm / L6.grad_norm" = "> 0.1" }

``expect`` checks are measured at the event's step, before its commands apply, over the
records of the last ``window`` steps. Every error names the file, the line and the event.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bntui.commands import CommandError, parse
from bntui.config import MAX_DEPTH, Config, ConfigError
from bntui.errors import decode_utf8, read_input
from bntui.metrics import LAYER_KEYS


class ScriptError(ConfigError):
    """A script that cannot be read or played; one line naming file, line and event.

    A ConfigError (hence a ValueError), so ``bntui.cli.report`` exits with status 2.
    """


TOP_KEYS = ("title", "description", "config", "event")
EVENT_KEYS = ("at", "do", "caption", "screenshot", "pause", "window", "expect")
RECORD_METRICS = ("loss", "acc", "val_loss", "val_acc", "lr", "epoch", "penalty", "train_eval_acc")
OPERATORS = (">=", "<=", "==", "!=", ">", "<")
DEFAULT_WINDOW = 100
_LAYER_METRIC = re.compile(r"^L(\d+)\.([a-z_0-9]+)$")
_CHECK = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Check:
    """One ``expect`` entry: a metric (or a ratio of two) compared with a number."""

    metric: str  # as written (normalized spaces), e.g. "L1.grad_norm / L6.grad_norm"
    terms: tuple[str, ...]  # one metric name, or (numerator, denominator)
    op: str
    value: float

    def holds(self, measured: float | None) -> bool:
        """True when the measured value satisfies the comparison (None or NaN never does)."""
        if measured is None or math.isnan(measured):
            return False
        a, b = measured, self.value
        return {
            ">=": a >= b,
            "<=": a <= b,
            ">": a > b,
            "<": a < b,
            "==": math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
            "!=": not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
        }[self.op]

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


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
    window: int = DEFAULT_WINDOW
    expect: tuple[Check, ...] = ()

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


# ---------------------------------------------------------------------- metrics
def check_metric(name: str) -> None:
    """Raise ValueError unless ``name`` is a known metric (``val_acc``, ``L2.grad_norm``)."""
    if name in RECORD_METRICS:
        return
    m = _LAYER_METRIC.match(name)
    if m:
        layer, key = int(m.group(1)), m.group(2)
        if not 1 <= layer <= MAX_DEPTH:
            raise ValueError(f"layer {layer} out of range 1..{MAX_DEPTH} in {name!r}")
        if key in LAYER_KEYS:
            return
        close = difflib.get_close_matches(key, LAYER_KEYS, n=1)
        hint = f" (did you mean 'L{layer}.{close[0]}'?)" if close else ""
        raise ValueError(f"unknown layer metric {name!r}{hint}")
    options = [*RECORD_METRICS, "L1.grad_norm"]
    close = difflib.get_close_matches(name, options, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"unknown metric {name!r}{hint}; use {', '.join(RECORD_METRICS)} or L<i>.<stat> "
        f"({', '.join(LAYER_KEYS)})"
    )


def parse_check(key: str, raw: Any) -> Check:
    """``("val_acc", ">= 0.8")`` -> Check; raises ValueError with a one-line message."""
    terms = tuple(t.strip() for t in key.split("/"))
    if len(terms) > 2 or not all(terms):
        raise ValueError(f"expect {key!r}: use one metric or a ratio 'A / B'")
    for t in terms:
        check_metric(t)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f'expect {key!r}: give a comparison as text, e.g. ">= 0.8"')
    if isinstance(raw, int | float):
        op, number = "==", float(raw)
    else:
        m = _CHECK.match(raw)
        if not m:
            raise ValueError(
                f"expect {key!r}: {raw!r} is not a comparison; use one of "
                f'{", ".join(OPERATORS)} and a number, e.g. ">= 0.8"'
            )
        op = m.group(1)
        try:
            number = float(m.group(2))
        except ValueError:
            raise ValueError(f"expect {key!r}: {m.group(2)!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"expect {key!r}: the threshold must be a finite number")
    return Check(" / ".join(terms), terms, op, number)


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{L1 = {grad_norm = "> 0"}}`` (unquoted dotted keys) -> [("L1.grad_norm", "> 0")]."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out += _flatten(value, name)
        else:
            out.append((name, value))
    return out


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

    def fail(message: str, line: int | None = None) -> ScriptError:
        return ScriptError(f"{source}:{line}: {message}" if line else f"{source}: {message}")

    for key in doc:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown key {key!r}{hint}", _line_of_top_key(text, key))
    title = doc.get("title", "")
    description = doc.get("description", "")
    for key, value in (("title", title), ("description", description)):
        if not isinstance(value, str):
            raise fail(f"{key} must be text", _line_of_top_key(text, key))
    title = " ".join(title.split()) or Path(source).stem
    description = description.strip()

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
    for index, raw in enumerate(raw_events, start=1):
        line = lines[index - 1] if len(lines) == len(raw_events) else None
        event = _parse_event(raw, index, line, last_at, config, source)
        last_at = event.at
        events.append(event)
    return Script(title, description, config, tuple(events), source)


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
        try:
            do.append(str(parse(text)))
        except CommandError as exc:
            raise fail(str(exc)) from None

    caption = raw.get("caption")
    if caption is not None:
        if not isinstance(caption, str):
            raise fail("caption must be text")
        caption = " ".join(caption.split()) or None
    screenshot = raw.get("screenshot")
    if screenshot is not None:
        if not isinstance(screenshot, str) or not screenshot.strip():
            raise fail('screenshot must be a file name, e.g. "after-bn.svg"')
        if Path(screenshot).name != screenshot or screenshot in (".", ".."):
            raise fail(f"screenshot must be a plain file name (no folders), got {screenshot!r}")
        if Path(screenshot).suffix.lower() not in (".svg", ".txt"):
            raise fail(f"screenshot must end in .svg or .txt, got {screenshot!r}")
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
    return ScriptEvent(
        index=index,
        at=at,
        line=line,
        do=tuple(do),
        caption=caption,
        screenshot=screenshot,
        pause=float(pause),
        window=window,
        expect=tuple(checks),
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
