"""``bntui serve`` over HTTP and websockets: the page, the live screen, keys, sessions, files
(a real server on 127.0.0.1, see serve_helpers)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import tomllib
from collections.abc import Iterator

import pytest

pytest.importorskip("textual_serve", reason="bntui serve needs the serve extra (textual-serve)")
aiohttp = pytest.importorskip("aiohttp")

from serve_helpers import Served, alive, start_server, stop_server, tabs  # noqa: E402


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """A paused live app per tab (nothing trains: the box is shared)."""
    s = start_server(tmp_path, "--paused", "--samples", "200", "--seed", "3")
    try:
        yield s
    finally:
        stop_server(s)


async def test_the_page_answers_with_its_websocket_address(served):
    async with aiohttp.ClientSession() as http, http.get(served.page) as r:
        assert r.status == 200
        page = await r.text()
    assert f'data-session-websocket-url="/ws/{served.token}"' in page
    assert 'data-font-size="16"' in page
    async with aiohttp.ClientSession() as http, http.get(served.page + "&fontsize=22") as r:
        assert 'data-font-size="22"' in await r.text()
    async with aiohttp.ClientSession() as http, http.get(served.url + "/static/js/textual.js") as r:
        assert r.status == 200  # the page's own script is served


async def test_a_tab_sees_the_live_screen_and_b_flips_bn(served):
    async with tabs(served, 1) as (_http, (tab,)):
        end = await tab.wait_for("BN:on")
        assert "step:0" in tab.text  # the status line, not a stray "BN:on"
        await tab.press("b")
        await tab.wait_for("BN:off", since=end)
        await tab.press("b")
        await tab.wait_for("BN:on", since=tab.text.rindex("BN:off"))


async def test_a_lesson_can_be_served(tmp_path):
    served = start_server(tmp_path, "replay", "sigmoid-vanishing", "--paused")
    try:
        async with tabs(served, 1) as (_http, (tab,)):
            await tab.wait_for("act:sigmoid")
            await tab.wait_for("(→)")  # the status line's "next event @N (→)": a lesson
    finally:
        assert stop_server(served) == 0


async def test_two_tabs_are_two_independent_sessions(served):
    async with tabs(served, 2) as (_http, (a, b)):
        await a.wait_for("BN:on")
        await b.wait_for("BN:on")
        assert len(served.children()) >= 2  # a process per tab
        a_mark, b_mark = len(a.text), len(b.text)
        await a.press("b")  # BN off in A only
        await a.wait_for("BN:off", since=a_mark)
        await b.press("+")  # depth 5 in B only: B's status line is redrawn, BN still on
        end = await b.wait_for("depth:5", since=b_mark)
        line = b.text[b.text.rfind("BN:", 0, end) : end]
        assert line.startswith("BN:on"), line
        await a.drain(1.5)
        await b.drain(0.5)
        assert "depth:5" not in a.text
        assert "BN:off" not in b.text


async def test_s_and_ctrl_s_are_downloads_not_files_on_the_server(served, tmp_path):
    async with tabs(served, 1) as (http, (tab,)):
        await tab.wait_for("BN:on")
        await tab.press("s")
        _, key = await tab.wait_message("deliver_file_start")
        async with http.get(f"{served.url}/download/{key}") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("image/svg+xml")
            assert "filename=bntui-0.svg" in r.headers["Content-Disposition"]
            svg = await r.text()
        assert svg.lstrip().startswith("<svg") and "BN:on" in svg.replace("&#160;", " ")
        await tab.press("b")
        await tab.press("\x13")  # ctrl+s: the session so far as a replay script
        _, key = await tab.wait_message("deliver_file_start")
        async with http.get(f"{served.url}/download/{key}") as r:
            assert r.status == 200
            assert "filename=bntui-session.toml" in r.headers["Content-Disposition"]
            script = await r.text()
        doc = tomllib.loads(script)
        assert doc["config"]["samples"] == 200  # this tab's session, as served
        assert [e["do"] for e in doc["event"]] == [["bn toggle"]]
        await tab.wait_for("sent to the browser")
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".svg", ".toml"))
    assert written == [], f"files written on the server: {written}"


async def test_closing_a_tab_ends_its_session(served):
    async with tabs(served, 1) as (_http, (tab,)):
        await tab.wait_for("BN:on")
        kids = served.children()
        assert kids
    deadline = time.monotonic() + 30
    while served.children() & kids and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert not served.children() & kids, "a closed tab's bntui is still running"


def test_ctrl_c_stops_the_server_and_every_session(tmp_path):
    served = start_server(tmp_path, "--paused", "--samples", "200")

    async def open_two():
        async with tabs(served, 2) as (_http, (a, b)):
            await a.wait_for("BN:on")
            await b.wait_for("BN:on")
            kids = served.children()
            assert len(kids) >= 2
            started = time.monotonic()
            status = await asyncio.to_thread(stop_server, served)  # tabs still open
            return kids, status, time.monotonic() - started

    kids, status, seconds = asyncio.run(open_two())
    assert status == 0, "".join(served.lines)
    assert seconds < 20, f"stopping took {seconds:.1f} s"
    left = [pid for pid in kids if alive(pid)]
    assert not left, f"sessions outlived the server: {left}"
    assert "Traceback" not in "".join(served.lines)


def test_sessions_end_when_the_server_is_killed(tmp_path):
    """kill -9 skips every cleanup: each tab's app notices it lost its server and quits."""
    served = start_server(tmp_path, "--paused", "--samples", "200")

    async def open_one():
        async with tabs(served, 1) as (_http, (tab,)):
            await tab.wait_for("BN:on")
            kids = served.children()
            served.process.kill()
            served.process.wait(10)
            return kids

    kids = asyncio.run(open_one())
    assert kids
    deadline = time.monotonic() + 30
    while any(map(alive, kids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in kids if alive(pid)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"sessions outlived a killed server: {left}"
