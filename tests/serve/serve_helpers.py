"""A real ``bntui serve`` on 127.0.0.1 in a subprocess, and browser tabs as websockets.

The client speaks the page's websocket protocol (what textual-serve's JavaScript sends:
``["resize", {...}]``, ``["stdin", "b"]``; what it receives: the app's terminal output as
binary frames, and JSON text frames such as ``["deliver_file_start", KEY]``)."""

from __future__ import annotations

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
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

START_SECONDS = 60.0  # the box is shared: starting Python + numpy + Textual can be slow
WAIT_SECONDS = 60.0
# the address line; the token (in the page's query) where the server prints one
URL_LINE = re.compile(r"bntui serve: (http://127\.0\.0\.1:(\d+))/?(?:\?token=([\w-]+))?")
# CSI sequences (colours, cursor moves, modes), OSC strings, and two-byte escapes
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


@dataclass
class Served:
    process: subprocess.Popen
    url: str  # http://127.0.0.1:PORT
    port: int
    token: str | None  # the secret in the printed address
    lines: list[str] = field(default_factory=list)  # the server's console output

    @property
    def page(self) -> str:
        """The page's address as printed (with its token)."""
        return f"{self.url}/?token={self.token}" if self.token else f"{self.url}/"

    def ws_url(self, width: int = 80, height: int = 24, token: str | None = "") -> str:
        """The websocket the page opens (``token``: None for none, "" for the right one)."""
        token = self.token if token == "" else token
        path = f"/ws/{token}" if token else "/ws"
        return f"{self.url.replace('http:', 'ws:')}{path}?width={width}&height={height}"

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
                    if kid not in found and alive(kid):
                        found.add(kid)
                        todo.append(kid)
        return found

    @property
    def console(self) -> str:
        return "".join(self.lines)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def serve_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TEXTUAL_DRIVER", "BNTUI_DEBUG")}
    env["BNTUI_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def start_server(
    tmp_path: Path,
    *app_args: str,
    serve_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Served:
    """``python -m bntui serve --port 0 SERVE_ARGS -- APP_ARGS`` in ``tmp_path``; waits for
    its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bntui", "serve", "--port", "0", *serve_args, "--", *app_args],
        cwd=tmp_path,
        env=env or serve_env(tmp_path),
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
    return Served(process, match.group(1), int(match.group(2)), match.group(3), lines)


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


class Tab:
    """One browser tab's websocket: the screen text so far (escape sequences removed)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.raw = ""  # the terminal output (an escape sequence may span two frames)
        self.messages: list[list] = []  # JSON text frames from the server
        self.closed = False
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
            self.closed = True
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
        """Read whatever arrives for ``seconds`` (or until the server closes the socket)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                await self.read_once(left)
            except (TimeoutError, ConnectionError):
                return


@contextlib.asynccontextmanager
async def tabs(served: Served, n: int, width: int = 80, height: int = 24):
    """``n`` browser tabs: websockets that announced their size, as the page does."""
    async with aiohttp.ClientSession() as http:
        stack = contextlib.AsyncExitStack()
        async with stack:
            out = []
            for _ in range(n):
                ws = await stack.enter_async_context(
                    http.ws_connect(served.ws_url(width, height), headers=same_origin(served))
                )
                await ws.send_json(["resize", {"width": width, "height": height}])
                out.append(Tab(ws))
            yield http, out


def same_origin(served: Served) -> dict[str, str]:
    """The Origin header a browser showing the served page sends."""
    return {"Origin": served.url}
