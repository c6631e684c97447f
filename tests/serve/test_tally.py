"""The class tally: three tabs answer differently, the teacher sees 1/1/1 and releases
the reveal to every tab; secrets guard both URLs; nothing is written to the state dir."""

from __future__ import annotations

import asyncio
import json

import pytest

aiohttp = pytest.importorskip("aiohttp")
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bntui.cli.tally import Tally, new_secret, tally_app  # noqa: E402


async def _next(ws) -> dict:
    msg = await asyncio.wait_for(ws.receive(), timeout=10)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def _until(ws, test) -> dict:
    """The first message from ``ws`` that passes ``test`` (earlier states are skipped)."""
    while True:
        state = await _next(ws)
        if test(state):
            return state


@pytest.mark.asyncio
async def test_three_tabs_teacher_counts_and_release(tmp_path, monkeypatch) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "last-session.toml").write_text("kept", encoding="utf-8")
    monkeypatch.setenv("BNTUI_STATE_DIR", str(state))
    before = {p.name: p.read_bytes() for p in state.iterdir()}

    tally = Tally({1: 3, 2: 2}, {1: "BN comes on. L1's gradient will:", 2: "<b>x</b>"})
    cls, teacher = new_secret(), new_secret()
    assert cls != teacher and len(cls) >= 20
    app = tally_app(tally, class_secret=cls, teacher_secret=teacher)
    async with TestClient(TestServer(app)) as client:
        page = await client.get(f"/{teacher}/")
        assert page.status == 200
        text = await page.text()
        assert "L1&#x27;s gradient will:" in text and "&lt;b&gt;x&lt;/b&gt;" in text
        # the class secret is not the teacher's, and a guess is nothing
        assert (await client.get(f"/{cls}/")).status == 404
        assert (await client.get("/guess/")).status == 404
        assert (await client.get("/guess/ws")).status == 404

        boss = await client.ws_connect(f"/{teacher}/ws")
        assert await _next(boss) == {"counts": {"1": [0, 0, 0], "2": [0, 0]}, "released": []}
        tabs = [await client.ws_connect(f"/{cls}/ws") for _ in range(3)]
        for ws in tabs:
            assert await _next(ws) == {"released": []}
        for ws, choice in zip(tabs, (1, 2, 3), strict=True):
            await ws.send_str(json.dumps({"answer": [1, choice]}))
        # untrusted messages are ignored: bad JSON, unknown question, choice out of range,
        # a tab trying to release, a bool for a number
        await tabs[0].send_str("{not json")
        await tabs[0].send_str(json.dumps({"answer": [9, 1]}))
        await tabs[1].send_str(json.dumps({"answer": [1, 4]}))
        await tabs[2].send_str(json.dumps({"release": 1}))
        await tabs[2].send_str(json.dumps({"answer": [True, 1]}))
        seen = await _until(boss, lambda s: sum(s["counts"]["1"]) == 3)
        assert seen["counts"]["1"] == [1, 1, 1] and seen["released"] == []
        await tabs[0].send_str(json.dumps({"answer": [1, 3]}))  # a tab changes its mind
        seen = await _until(boss, lambda s: s["counts"]["1"] != [1, 1, 1])
        assert seen["counts"] == {"1": [0, 1, 2], "2": [0, 0]}

        await boss.send_str(json.dumps({"release": 1}))
        for ws in tabs:
            assert await _until(ws, lambda s: s.get("released")) == {"released": [1]}
        assert (await _until(boss, lambda s: s["released"]))["released"] == [1]
        late = await client.ws_connect(f"/{cls}/ws")  # a tab opened later learns it at once
        assert await _next(late) == {"released": [1]}
        for ws in (*tabs, late, boss):
            await ws.close()
    assert tally.released == {1} and tally.counts()[1] == [0, 1, 2]
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before  # nothing written


@pytest.mark.asyncio
async def test_a_tabs_link_sends_its_answer_and_learns_the_release() -> None:
    from bntui.tui.tally_link import TallyLink

    tally = Tally({1: 3})
    cls, teacher = new_secret(), new_secret()
    app = tally_app(tally, class_secret=cls, teacher_secret=teacher)
    async with TestClient(TestServer(app)) as client:
        boss = await client.ws_connect(f"/{teacher}/ws")
        await _next(boss)
        link = TallyLink(str(client.make_url(f"/{cls}/ws")).replace("http", "ws", 1))
        link.send(1, 2)  # before the link is up: sent once it is
        task = asyncio.get_running_loop().create_task(link.run())
        seen = await _until(boss, lambda s: s["counts"]["1"] != [0, 0, 0])
        assert seen["counts"]["1"] == [0, 1, 0]
        assert link.waiting(1)
        await boss.send_str(json.dumps({"release": 1}))
        for _ in range(200):
            if not link.waiting(1):
                break
            await asyncio.sleep(0.02)
        assert link.released == {1} and not link.failed
        await boss.close()
        task.cancel()


@pytest.mark.asyncio
async def test_an_unreachable_tally_never_holds_the_lesson() -> None:
    from bntui.tui.tally_link import TallyLink

    link = TallyLink("ws://127.0.0.1:9/tally/x/ws")  # discard port: nobody listens
    await asyncio.wait_for(link.run(), timeout=10)
    assert link.failed and not link.waiting(1)


def test_class_tally_only_for_a_lesson_with_questions() -> None:
    from bntui.cli.tally import class_tally

    tally = class_tally(["replay", "sigmoid-vanishing", "--lang", "ko"])
    assert tally is not None and tally.choices == {1: 3}
    assert class_tally(["replay", "sigmoid-vanishing", "--no-questions"]) is None
    assert class_tally(["tui", "--depth", "3"]) is None
    assert class_tally(["replay", "ics"]) is None  # no questions
