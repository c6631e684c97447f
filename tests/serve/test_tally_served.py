"""The class tally through a real ``bntui serve -- replay LESSON``: three browser tabs
answer a question differently, the teacher page's websocket reports 1/1/1, the release
reaches every tab's answer box; the state dir gets none of it."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

pytest.importorskip("textual_serve", reason="bntui serve needs the serve extra (textual-serve)")
aiohttp = pytest.importorskip("aiohttp")

from serve_helpers import serve_env, start_server, stop_server, tabs  # noqa: E402

LESSON = """\
[config]
depth = 2
width = 8
samples = 200
steps = 60
[[event]]
at = 5
do = ["lr *2"]
question = { text = "Pick one", choices = ["one", "two", "three"], answer = 2, reveal = 10, \
expect = { lr = "== 0.2" }, explain = "doubled" }
"""
TEACHER = re.compile(r"class tally \(keep this URL to yourself\): (http://\S+)")


@pytest.mark.asyncio
async def test_three_served_tabs_teacher_sees_1_1_1_and_releases(tmp_path) -> None:
    state = tmp_path / "state"  # the server user's state dir
    state.mkdir()
    env = serve_env(tmp_path) | {"BNTUI_STATE_DIR": str(state)}
    (tmp_path / "q.toml").write_text(LESSON, encoding="utf-8")
    args = ("replay", "q.toml", "--speed", "20")
    served = start_server(tmp_path, *args, serve_args=("--max-sessions", "3"), env=env)
    try:
        for _ in range(100):
            found = next((m for m in map(TEACHER.search, served.lines) if m), None)
            if found:
                break
            await asyncio.sleep(0.1)
        assert found, served.console
        teacher = found.group(1)
        assert teacher.startswith(served.url + "/tally/")
        async with tabs(served, 3) as (http, opened):
            for tab in opened:
                await tab.wait_for("predict · question 1")
            for tab, key in zip(opened, "123", strict=True):
                await tab.press(key)
            boss = await http.ws_connect(teacher.rstrip("/") + "/ws")
            seen = None
            for _ in range(200):
                msg = await asyncio.wait_for(boss.receive(), 60)
                seen = json.loads(msg.data)
                if sum(seen["counts"]["1"]) == 3:
                    break
            assert seen["counts"]["1"] == [1, 1, 1]
            for tab in opened:  # held at the reveal until the teacher releases it
                await tab.wait_for("the teacher releases the answer")
            await boss.send_str(json.dumps({"release": 1}))
            for tab in opened:
                await tab.wait_for("19 of 20 seeds): 2. two")
            await boss.close()
    except BaseException:
        print("CONSOLE", served.console)
        raise
    finally:
        stop_server(served)
    assert list(state.iterdir()) == []  # the answers (and the sessions) wrote nothing there
