"""Every bundled lesson runs headless to its end and all of its ``expect`` checks pass."""

from __future__ import annotations

import pytest

from bntui.replay.headless import run_script
from bntui.replay.script import lesson_names, load_script


@pytest.mark.parametrize("name", lesson_names())
def test_lesson_runs_and_its_checks_pass(name: str) -> None:
    script = load_script(name)
    assert script.config.steps <= 5000  # "a few thousand steps at most"
    result = run_script(script)
    failed = [f"{c.check} at {c.event.at}: {c.measured} {c.note}" for c in result.failed]
    assert not failed, failed
    assert len(result.checks) >= 3
    # the lesson is played to its last event (init-scale and learning-rate end by diverging)
    last = script.events[-1].at
    assert result.session.step_count >= last
    assert not result.skipped
