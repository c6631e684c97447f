"""``bntui serve`` over HTTP and websockets: the page, the live screen, keys, sessions, files.

A real ``bntui serve`` runs on 127.0.0.1 in a subprocess; the client speaks the page's
websocket protocol (what textual-serve's JavaScript sends: ``["resize", {...}]``,
``["stdin", "b"]``; what it receives: the app's terminal output as binary frames, and JSON
text frames such as ``["deliver_file_start", KEY]``)."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="bntui serve needs the serve extra (textual-serve)")
aiohttp = pytest.importorskip("aiohttp")

START_SECONDS = 60.0  # the box is shared: starting Python + numpy + Textual can be slow
WAIT_SECONDS = 60.0
URL_LINE = re.compile(r"bntui serve: (http://127\.0\.0\.1:(\d+))")
# CSI sequences (colours, cursor moves, modes), OSC strings, and two-byte escapes
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    port: int
    lines: list[str] = field(default_factory=list)  # the server's console output

    def children(self) -> set[int]:
        """Every process below the server (each tab: a shell and/or python -m bntui)."""
        found: set[int] = set()
        todo = [self.process.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    kids = (task / "children").read_text().split()
                except OSError:
                    continue
                for kid in map(int, kids):
                    if kid not in found:
                        found.add(kid)
                        todo.append(kid)
        return found


def start_server(tmp_path: Path, *app_args: str) -> Served:
    """``python -m bntui serve --port 0 -- APP_ARGS`` in ``tmp_path``; waits for its URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEXTUAL_DRIVER", "BNTUI_DEBUG")}
    env["BNTUI_CACHE_DIR"] = str(tmp_path / "cache")
    process = subprocess.Popen(
        [sys.executable, "-m", "bntui", "serve", "--port", "0", "--", *app_args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if URL_LINE.search(line):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(START_SECONDS):
        process.kill()
        process.wait(10)
        pytest.fail(f"bntui serve printed no address in {START_SECONDS:g} s: {''.join(lines)}")
    match = next(m for m in map(URL_LINE.search, lines) if m)
    return Served(process, match.group(1), int(match.group(2)), lines)


def stop_server(served: Served) -> int:
    """SIGINT (ctrl+c), as a user stops it; returns the exit status."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGINT)
        try:
            served.process.wait(30)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(10)
    return served.process.returncode


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """A paused live app per tab (nothing trains: the box is shared)."""
    s = start_server(tmp_path, "--paused", "--samples", "200", "--seed", "3")
    try:
        yield s
    finally:
        stop_server(s)


class Tab:
    """One browser tab's websocket: the screen text so far (escape sequences removed)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.raw = ""  # the terminal output (an escape sequence may span two frames)
        self.messages: list[list] = []  # JSON text frames from the server
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    async def press(self, keys: str) -> None:
        await self.ws.send_json(["stdin", keys])

    async def read_once(self, timeout: float) -> None:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.BINARY:
            self.raw += self._decode(msg.data)
        elif msg.type == aiohttp.WSMsgType.TEXT:
            self.messages.append(json.loads(msg.data))
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise ConnectionError("the server closed the websocket")

    async def wait_for(self, needle: str, *, since: int = 0, seconds: float = WAIT_SECONDS) -> int:
        """Read until ``needle`` appears after offset ``since``; returns where it ends."""
        deadline = time.monotonic() + seconds
        while (at := self.text.find(needle, since)) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen in {seconds:g} s: {self.text[-400:]!r}")
            try:
                await self.read_once(min(left, 5.0))
            except TimeoutError:
                continue
        return at + len(needle)

    async def wait_message(self, kind: str, seconds: float = WAIT_SECONDS) -> list:
        deadline = time.monotonic() + seconds
        while True:
            for m in self.messages:
                if m and m[0] == kind:
                    self.messages.remove(m)
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind!r} message in {seconds:g} s: {self.messages}")
            try:
                await self.read_once(min(left, 5.0))
            except TimeoutError:
                continue

    async def drain(self, seconds: float) -> None:
        """Read whatever arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                await self.read_once(left)
            except TimeoutError:
                return


@contextlib.asynccontextmanager
async def tabs(url: str, n: int, width: int = 80, height: int = 24):
    """``n`` browser tabs: websockets that announced their size, as the page does."""
    async with aiohttp.ClientSession() as http:
        stack = contextlib.AsyncExitStack()
        async with stack:
            out = []
            for _ in range(n):
                ws = await stack.enter_async_context(
                    http.ws_connect(f"{url}/ws?width={width}&height={height}")
                )
                await ws.send_json(["resize", {"width": width, "height": height}])
                out.append(Tab(ws))
            yield http, out


async def test_the_page_answers_with_its_websocket_address(served):
    async with aiohttp.ClientSession() as http, http.get(served.url + "/") as r:
        assert r.status == 200
        page = await r.text()
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page
    assert 'data-font-size="16"' in page
    async with aiohttp.ClientSession() as http, http.get(served.url + "/?fontsize=22") as r:
        assert 'data-font-size="22"' in await r.text()
    # the page addresses the server as the browser did (another machine, with --host 0.0.0.0)
    headers = {"Host": "lab.example:8123"}
    async with aiohttp.ClientSession() as http, http.get(served.url, headers=headers) as r:
        page = await r.text()
    assert 'data-session-websocket-url="ws://lab.example:8123/ws"' in page
    assert "http://lab.example:8123/static/" in page
    async with aiohttp.ClientSession() as http, http.get(served.url + "/static/js/textual.js") as r:
        assert r.status == 200  # the page's own script is served


async def test_a_tab_sees_the_live_screen_and_b_flips_bn(served):
    async with tabs(served.url, 1) as (_http, (tab,)):
        end = await tab.wait_for("BN:on")
        assert "step:0" in tab.text  # the status line, not a stray "BN:on"
        await tab.press("b")
        await tab.wait_for("BN:off", since=end)
        await tab.press("b")
        await tab.wait_for("BN:on", since=tab.text.rindex("BN:off"))


async def test_a_lesson_can_be_served(tmp_path):
    served = start_server(tmp_path, "replay", "sigmoid-vanishing", "--paused")
    try:
        async with tabs(served.url, 1) as (_http, (tab,)):
            await tab.wait_for("act:sigmoid")
            await tab.wait_for("replay")  # the status line's label: a lesson, not a session
    finally:
        assert stop_server(served) == 0


async def test_two_tabs_are_two_independent_sessions(served):
    async with tabs(served.url, 2) as (_http, (a, b)):
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
    async with tabs(served.url, 1) as (http, (tab,)):
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
    async with tabs(served.url, 1) as (_http, (tab,)):
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
        async with tabs(served.url, 2) as (_http, (a, b)):
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
    alive = [pid for pid in kids if _alive(pid)]
    assert not alive, f"sessions outlived the server: {alive}"
    assert "Traceback" not in "".join(served.lines)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def test_sessions_end_when_the_server_is_killed(tmp_path):
    """kill -9 skips every cleanup: each tab's app notices it lost its server and quits."""
    served = start_server(tmp_path, "--paused", "--samples", "200")

    async def open_one():
        async with tabs(served.url, 1) as (_http, (tab,)):
            await tab.wait_for("BN:on")
            kids = served.children()
            served.process.kill()
            served.process.wait(10)
            return kids

    kids = asyncio.run(open_one())
    assert kids
    deadline = time.monotonic() + 30
    while any(map(_alive, kids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [pid for pid in kids if _alive(pid)]
    for pid in alive:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"sessions outlived a killed server: {alive}"
