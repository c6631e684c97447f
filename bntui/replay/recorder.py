"""Record a live session as a replay script (TOML), so it can be replayed bit for bit.

The script holds the session's initial config (only what differs from the defaults, plus
``steps`` = the steps trained) and its log of (step, command). Commands of one step are
split at each caption: ``[bn on, caption A, lr *2]`` at step 100 becomes an event with
``do = ["bn on"]`` and ``caption = "A"`` followed by one with ``do = ["lr *2"]``, which the
headless player applies in exactly the logged order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import tomli_w

from bntui.export import write_text
from bntui.training.config import Config


class Recordable(Protocol):
    """What a recording needs of a session (a Session has it; so has a Frame's data)."""

    initial_config: Config
    log: list[tuple[int, str]]
    step_count: int


def recorded_events(log: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Group a session log into ``[[event]]`` tables, keeping the order of the commands."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for step, command in log:
        if current is None or current["at"] != step or "caption" in current:
            current = {"at": step}
            events.append(current)
        if command.startswith("caption "):
            current["caption"] = command[len("caption ") :]
        else:
            current.setdefault("do", []).append(command)
    return events


def script_toml(
    initial_config: Config,
    log: Sequence[tuple[int, str]],
    steps: int,
    title: str = "Recorded session",
    description: str = "",
) -> str:
    """Replay-script TOML: ``[config]`` (``steps`` = the steps trained) and one event per
    logged step."""
    config = initial_config.to_dict(only_changed=True)
    config["steps"] = steps  # the replay trains as long as the session did
    doc: dict[str, Any] = {"title": title}
    if description:
        doc["description"] = description
    doc["config"] = config
    events = recorded_events(list(log))
    if events:
        doc["event"] = events
    return tomli_w.dumps(doc)


def record_script(
    session: Recordable, title: str = "Recorded session", description: str = ""
) -> str:
    """The session as replay-script TOML."""
    return script_toml(session.initial_config, session.log, session.step_count, title, description)


def write_script(
    initial_config: Config,
    log: Sequence[tuple[int, str]],
    steps: int,
    path: str | Path,
    *,
    force: bool = False,
    named: tuple[str, str] = ("Recorded session", ""),
) -> Path:
    """Write ``script_toml(…)`` to ``path`` atomically (never overwrites without force);
    ``named``: its title and description."""
    return write_text(path, script_toml(initial_config, log, steps, *named), force=force)


def save_recording(
    session: Recordable,
    path: str | Path,
    *,
    force: bool = False,
    title: str = "Recorded session",
    description: str = "",
) -> Path:
    """Write ``record_script(session)`` to ``path`` atomically (never overwrites without force)."""
    return write_text(path, record_script(session, title, description), force=force)
