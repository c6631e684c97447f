"""Recorder: a live session saved as a script replays headless to byte-identical metrics."""

from __future__ import annotations

import tomllib

import pytest

from bntui.export import ExportError, dumps_record
from bntui.replay.headless import run_script
from bntui.replay.recorder import record_script, recorded_events, save_recording
from bntui.replay.script import load_script, parse_script
from bntui.training.config import Config
from bntui.training.session import Session

# a dozen mixed commands at various steps, several per step, captions in between
PLAN = {
    0: ["caption start 한국어 caption"],
    15: ["bn on", "caption BN on", "lr *2"],
    30: ["depth +1"],
    42: ["activation relu", "dropout 0.1"],
    60: ["init std:0.05", "mark M1"],
    61: ["optimizer adam", "lr 0.01"],
    75: ["width *2", "weight-decay 0.001"],
    90: ["batch-size 32", "bn-position after"],
    105: ["reset", "caption after reset"],
    120: ["depth -1", "seed 3"],
    135: ["dataset moons"],
}


def _live_session() -> tuple[Session, bytes]:
    config = Config(depth=3, width=16, bn=False, activation="tanh", samples=300,
                    eval_every=25, stats_every=5, seed=7)  # fmt: skip
    session = Session(config)
    lines = []
    for step in range(150):
        for command in PLAN.get(step, []):
            session.apply(command)
        lines.append(dumps_record(session.step()) + "\n")
    session.apply("caption the end")
    return session, "".join(lines).encode()


def test_recorded_session_replays_to_identical_metrics(tmp_path) -> None:
    session, live = _live_session()
    path = save_recording(session, tmp_path / "rec.toml", title="my session")
    script = load_script(path)
    assert script.title == "my session" and script.config.steps == 150
    assert script.config.seed == 7 and script.config.activation == "tanh"
    result = run_script(script)
    replayed = "".join(dumps_record(r) + "\n" for r in result.records).encode()
    assert replayed == live
    assert result.session.log == session.log
    assert [e.to_dict() for e in result.session.events] == [e.to_dict() for e in session.events]
    with pytest.raises(ExportError, match="exists"):
        save_recording(session, path)
    save_recording(session, path, force=True)


def test_events_are_split_at_captions_in_logged_order() -> None:
    log = [(0, "caption a"), (5, "bn on"), (5, "caption b"), (5, "lr *2"), (5, "mark x"),
           (9, "caption c"), (9, "caption d")]  # fmt: skip
    assert recorded_events(log) == [
        {"at": 0, "caption": "a"},
        {"at": 5, "do": ["bn on"], "caption": "b"},
        {"at": 5, "do": ["lr *2", "mark x"]},
        {"at": 9, "caption": "c"},
        {"at": 9, "caption": "d"},
    ]
    # and the script schedule gives back the log exactly
    session = Session(Config(steps=0))
    session.log = [(0, c) for _, c in log]  # every step 0: valid for a 0-step config
    doc = record_script(session)
    script = parse_script(doc, "rec.toml")
    assert script.schedule() == [(0, c) for _, c in log]


def test_config_holds_only_changed_fields() -> None:
    session = Session(Config(depth=2, lr=0.05, steps=10))
    for _ in range(4):
        session.step()
    doc = tomllib.loads(record_script(session, "t", "d"))
    assert doc == {"title": "t", "description": "d", "config": {"depth": 2, "lr": 0.05, "steps": 4}}
