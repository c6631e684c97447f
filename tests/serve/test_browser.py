"""``bntui serve`` in a real browser: Debian's headless Chromium, driven over the DevTools
protocol, loads the page with its token, shows the live screen and takes a key.

What the browser received on the page's websocket (the terminal output) is read from the
DevTools network events; what it drew is a screenshot (PNG, decoded here). Every request
the page makes must go to the server itself. Skipped when ``chromium`` is not installed
(``.ci/run`` installs it: ``apt-get install -y chromium``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="bntui serve needs the serve extra (textual-serve)")
aiohttp = pytest.importorskip("aiohttp")

from serve_helpers import ANSI, start_server, stop_server  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# .ci/run installs chromium and sets BNTUI_REQUIRE_CHROMIUM=1: there a missing one fails
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("BNTUI_REQUIRE_CHROMIUM") != "1",
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--window-size=1280,800",
    "--remote-debugging-port=0",
]
START_SECONDS = 60.0
WAIT_SECONDS = 90.0  # the box is shared: Chromium and a tab's Python start slowly


class DevTools:
    """A small client of the DevTools protocol over one page target's websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.replies: dict[int, dict] = {}

    async def call(self, method: str, **params) -> dict:
        n = next(self.ids)
        await self.ws.send_json({"id": n, "method": method, "params": params})
        deadline = time.monotonic() + WAIT_SECONDS
        while n not in self.replies:
            await self.read(deadline - time.monotonic())
        reply = self.replies.pop(n)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def read(self, seconds: float) -> None:
        if seconds <= 0:
            raise TimeoutError("DevTools did not answer")
        msg = await self.ws.receive(timeout=seconds)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"DevTools closed: {msg}")
        data = json.loads(msg.data)
        if "id" in data:
            self.replies[data["id"]] = data
        else:
            self.events.append(data)

    async def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while (left := deadline - time.monotonic()) > 0:
                await self.read(left)

    def terminal_text(self) -> str:
        """What the page's websocket received from the server (binary frames), as text."""
        chunks = []
        for e in self.events:
            if e.get("method") == "Network.webSocketFrameReceived":
                frame = e["params"]["response"]
                if frame.get("opcode") == 2:
                    chunks.append(base64.b64decode(frame["payloadData"]))
        return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))

    async def wait_text(self, needle: str, since: int = 0) -> int:
        deadline = time.monotonic() + WAIT_SECONDS
        while (at := self.terminal_text().find(needle, since)) < 0:
            if time.monotonic() > deadline:
                tail = self.terminal_text()[-300:]
                raise AssertionError(f"{needle!r} not on the page's screen: {tail!r}")
            await self.pump(0.5)
        return at + len(needle)

    async def screenshot(self) -> bytes:
        return base64.b64decode((await self.call("Page.captureScreenshot"))["data"])

    async def press(self, key: str) -> None:
        """A letter key, as a keyboard types it (xterm's textarea has the focus)."""
        code, vk = f"Key{key.upper()}", ord(key.upper())
        await self.call(
            "Input.dispatchKeyEvent",
            type="keyDown",
            key=key,
            code=code,
            text=key,
            unmodifiedText=key,
            windowsVirtualKeyCode=vk,
            nativeVirtualKeyCode=vk,
        )
        await self.call(
            "Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=vk
        )

    async def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            await self.call(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    def sent(self) -> list[str]:
        """What the page sent on its websocket (text frames)."""
        return [
            e["params"]["response"]["payloadData"]
            for e in self.events
            if e.get("method") == "Network.webSocketFrameSent"
        ]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit truecolour PNG (what Chromium
    writes); enough of PNG to count what is on the screen."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    assert header is not None
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6), header
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % bpp < 3) for r in rows]


def colours(png: bytes) -> int:
    """How many distinct colours the screenshot has (a blank page has one or two)."""
    _w, _h, rows = png_pixels(png)
    seen = set()
    for row in rows[::4]:
        seen.update(row[i : i + 3] for i in range(0, len(row), 12))
    return len(seen)


@contextlib.asynccontextmanager
async def chromium(profile: Path):
    """Headless Chromium on about:blank; yields a DevTools client of its page."""
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_SECONDS
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"chromium did not start (status {process.poll()})")
            await asyncio.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as r:
                targets = await r.json()
            page = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def test_chromium_shows_the_live_screen_and_takes_a_key(tmp_path):
    assert CHROMIUM is not None, "BNTUI_REQUIRE_CHROMIUM=1 but no chromium on PATH"
    served = start_server(tmp_path, "--paused", "--samples", "200", "--seed", "3")
    shots = Path(os.environ.get("BNTUI_BROWSER_SHOTS", tmp_path))
    try:
        async with chromium(tmp_path / "profile") as tab:
            for domain in ("Page", "Network", "Runtime", "Log"):
                await tab.call(f"{domain}.enable")
            await tab.call("Page.navigate", url=served.page)
            end = await tab.wait_text("BN:on")
            await tab.pump(2.0)  # the first screen drawn
            before = await tab.screenshot()
            (shots / "serve-chromium.png").write_bytes(before)
            assert colours(before) >= 6, "the screenshot is blank"
            await tab.click(640, 400)  # the terminal takes the keyboard
            await tab.press("b")
            await tab.pump(1.0)
            assert '["stdin","b"]' in tab.sent(), tab.sent()
            await tab.wait_text("BN:off", since=end)
            await tab.pump(2.0)
            after = await tab.screenshot()
            (shots / "serve-chromium-bn-off.png").write_bytes(after)
            assert after != before, "the key changed nothing on the screen"
    finally:
        stop_server(served)
    requests = [
        e["params"]["request"]["url"]
        for e in tab.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    sockets = [
        e["params"]["url"] for e in tab.events if e.get("method") == "Network.webSocketCreated"
    ]
    assert requests and sockets == [
        f"ws://127.0.0.1:{served.port}/ws/{served.token}?width=" + sockets[0].split("?width=")[1]
    ]
    assert all(url.startswith(served.url + "/") for url in requests), requests
    problems = [
        (e["params"]["entry"]["text"], e["params"]["entry"].get("url"))
        for e in tab.events
        if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
    ]
    assert problems == []  # no Content-Security-Policy refusal, no failed load
    assert "Traceback" not in served.console
