"""Record a live session as a replay script (TOML), so it can be replayed bit for bit.

The script holds the session's initial config (only what differs from the defaults, plus
``steps`` = the steps trained) and its log of (step, command). Commands of one step are
split at each caption: ``[bn on, caption A, lr *2]`` at step 100 becomes an event with
``do = ["bn on"]`` and ``caption = "A"`` followed by one with ``do = ["lr *2"]``, which the
headless player applies in exactly the logged order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from bntui.export import write_text
from bntui.session import Session


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


def record_script(session: Session, title: str = "Recorded session", description: str = "") -> str:
    """The session as replay-script TOML: ``[config]`` plus one event per logged step."""
    config = session.initial_config.to_dict(only_changed=True)
    config["steps"] = session.step_count  # the replay trains as long as the session did
    doc: dict[str, Any] = {"title": title}
    if description:
        doc["description"] = description
    doc["config"] = config
    events = recorded_events(session.log)
    if events:
        doc["event"] = events
    return tomli_w.dumps(doc)


def save_recording(
    session: Session,
    path: str | Path,
    *,
    force: bool = False,
    title: str = "Recorded session",
    description: str = "",
) -> Path:
    """Write ``record_script(session)`` to ``path`` atomically (never overwrites without force)."""
    return write_text(path, record_script(session, title, description), force=force)
