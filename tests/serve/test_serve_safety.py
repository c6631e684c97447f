"""``bntui serve`` attacked from the network (everything on 127.0.0.1): a token, the Origin,
a cap on sessions, clamped sizes, malformed messages, hostile keys, bounded downloads, and
the operator's own state left alone."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="bntui serve needs the serve extra (textual-serve)")
aiohttp = pytest.importorskip("aiohttp")

from serve_helpers import (  # noqa: E402
    Served,
    Tab,
    alive,
    same_origin,
    serve_env,
    start_server,
    stop_server,
    tabs,
)

APP = ("--paused", "--samples", "200", "--seed", "3")  # nothing trains: the box is shared
CURSOR_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")


@pytest.fixture
def served(tmp_path):
    s = start_server(tmp_path, *APP)
    try:
        yield s
    finally:
        stop_server(s)
    assert "Traceback" not in s.console, s.console


async def settle(served: Served, seconds: float = 3.0) -> set[int]:
    """Wait ``seconds`` (a refused connection would have started a process by then)."""
    await asyncio.sleep(seconds)
    return served.children()


async def handshake_status(served: Served, url: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_the_page_needs_the_token(served):
    assert served.token and len(served.token) >= 32
    async with aiohttp.ClientSession() as http:
        for url in (served.url + "/", served.url + "/?token=", served.url + "/?token=x" * 3):
            async with http.get(url) as r:
                assert r.status == 403, url
                assert "token" in await r.text()
        async with http.get(served.page) as r:
            assert r.status == 200


async def test_a_websocket_without_the_token_starts_no_session(served):
    for token in (None, "wrong", served.token[:-1] if served.token else "x"):
        url = served.ws_url(token=token)
        assert await handshake_status(served, url, same_origin(served)) == 403, url
    assert await settle(served) == set()


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1"]
)
async def test_a_foreign_origin_starts_no_session(served, origin):
    status = await handshake_status(served, served.ws_url(), {"Origin": origin})
    assert status == 403
    assert await settle(served) == set()


async def test_the_same_origin_gets_a_session(served):
    for origin in (served.url, served.url.replace("127.0.0.1", "localhost")):
        headers = {"Origin": origin}
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(served.ws_url(), headers=headers) as ws,
        ):
            tab = Tab(ws)
            await ws.send_json(["resize", {"width": 80, "height": 24}])
            await tab.wait_for("BN:on")


async def test_the_page_requests_nothing_from_another_site(served):
    async with aiohttp.ClientSession() as http:
        headers = {"Host": "evil.example:8123"}  # never reflected into the page
        async with http.get(served.page, headers=headers) as r:
            page = await r.text()
            policy = r.headers.get("Content-Security-Policy", "")
    assert "evil.example" not in page
    urls = re.findall(r"(?:https?:|wss?:)?//[\w.-]+", page)
    assert urls == [], urls  # no web font service, no absolute address at all
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


async def test_huge_sizes_are_clamped(served):
    async with aiohttp.ClientSession() as http:
        url = served.ws_url(100_000, 100_000)
        async with http.ws_connect(url, headers=same_origin(served)) as ws:
            tab = Tab(ws)
            await tab.wait_for("BN:on")
            (pid,) = served.children()
            env = dict(
                line.split("=", 1)
                for line in Path(f"/proc/{pid}/environ").read_text().split("\0")
                if "=" in line
            )
            assert (env["COLUMNS"], env["ROWS"]) == ("500", "200")
            mark = len(tab.raw)
            await ws.send_json(["resize", {"width": 100_000, "height": 100_000}])
            await ws.send_json(["resize", {"width": 10**30, "height": 10**30}])
            await tab.press("b")
            await tab.wait_for("BN:off")
            await tab.drain(2.0)
            moves = [(int(r), int(c)) for r, c in CURSOR_MOVE.findall(tab.raw[mark:])]
            assert moves and max(r for r, _ in moves) <= 200
            assert max(c for _, c in moves) <= 500


MALFORMED = [
    "not json",
    "[]",
    "{}",
    "null",
    '"stdin"',
    '["stdin"]',
    '["stdin", 5]',
    '["stdin", ["b"]]',
    '["resize"]',
    '["resize", [1, 2]]',
    '["resize", {"width": -5, "height": "x"}]',
    '["resize", {"width": 1e999, "height": NaN}]',
    '["resize", {"width": true, "height": null}]',
    '["ping", {"a": 1}]',
    '["no-such-message", 1]',
    "[" * 10_000 + "]" * 10_000,
]


async def test_malformed_messages_are_ignored(served):
    async with tabs(served, 1) as (_http, (tab,)):
        end = await tab.wait_for("BN:on")
        for text in MALFORMED:
            await tab.ws.send_str(text)
        await tab.ws.send_bytes(b"\x00\xff binary")
        await tab.press("b")  # the session goes on
        await tab.wait_for("BN:off", since=end)
    assert "Traceback" not in served.console
    assert len(served.console.splitlines()) <= 3, served.console


async def test_fifty_websockets_at_once_hold_the_cap(tmp_path):
    served = start_server(tmp_path, *APP, serve_args=("--max-sessions", "3"))
    try:
        most = 0
        async with aiohttp.ClientSession() as http:
            url, headers = served.ws_url(), same_origin(served)
            sockets = await asyncio.gather(
                *(http.ws_connect(url, headers=headers) for _ in range(50)),
                return_exceptions=True,
            )
            opened = [Tab(ws) for ws in sockets if not isinstance(ws, BaseException)]
            for _ in range(20):  # 4 s: every accepted session has started by then
                most = max(most, len(served.children()))
                await asyncio.sleep(0.2)
            await asyncio.gather(*(t.drain(3.0) for t in opened))
            said = "every session is in use (3 at most)"
            full = [t for t in opened if said in t.text and t.closed]
            live = [t for t in opened if not t.closed]
            assert most <= 3
            assert len(live) == 3 and len(full) == 47, (len(live), len(full))
            async with http.get(served.page) as r:  # a new student sees why, in words
                assert r.status == 503
                assert said in await r.text()
            for t in opened:
                await t.ws.close()
        deadline = time.monotonic() + 20
        while served.children() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert served.children() == set()
        async with tabs(served, 1) as (_http, (tab,)):  # the places are free again
            await tab.wait_for("BN:on")
    finally:
        stop_server(served)
    assert "Traceback" not in served.console


async def test_a_closed_tab_ends_its_process_promptly(served):
    async with tabs(served, 1) as (_http, (tab,)):
        await tab.wait_for("BN:on")
        kids = served.children()
        assert kids
    deadline = time.monotonic() + 10  # was ~25 s
    while any(map(alive, kids)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not any(map(alive, kids))


async def test_a_tab_that_vanished_ends_its_process_promptly(served):
    """A browser that went away without closing (laptop lid, network cut) answers no ping:
    its session ends after a missed heartbeat, not 25 s later."""
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(served.ws_url(), headers=same_origin(served), autoping=False)
        tab = Tab(ws)
        await tab.wait_for("BN:on")
        kids = served.children()
        assert kids
        gone = time.monotonic()  # from now on nothing is read: no pong
        while any(map(alive, kids)) and time.monotonic() - gone < 15:
            await asyncio.sleep(0.2)
        assert not any(map(alive, kids)), "a vanished tab's session is still running"
        await ws.close()


async def test_undelivered_downloads_are_freed(served):
    async with tabs(served, 1) as (http, (tab,)):
        await tab.wait_for("BN:on")
        keys = []
        for _ in range(12):  # more than a session keeps
            await tab.press("s")
            keys.append((await tab.wait_message("deliver_file_start"))[1])
        async with http.get(f"{served.url}/download/{keys[0]}") as r:
            assert r.status == 404  # dropped when the cap was reached
        async with http.get(f"{served.url}/download/{keys[-1]}") as r:
            assert r.status == 200
            assert (await r.text()).lstrip().startswith("<svg")


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` with its SHA-256 (and every directory)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


HOSTILE = [
    ":mark hi\r",
    "b",
    ":seed 5\r",
    ":lr 0.5\r",
    "\x13",  # ctrl+s
    "s",
    "\x1b]0;owned\x07",
    "\x1b[200~:mark pasted\r\x1b[201~",
    ":" + "x" * 5000 + "\r",
    "\x10",  # ctrl+p
    "\x1b",
    "q",
]


async def test_served_sessions_leave_the_operator_state_alone(tmp_path):
    state = tmp_path / "xdg-state"
    (state / "bntui").mkdir(parents=True)
    (state / "bntui" / "last-session.toml").write_text("# the operator's own session\n")
    (state / "bntui" / "previous-session.toml").write_text("# and the one before\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = serve_env(tmp_path)
    env.pop("BNTUI_STATE_DIR", None)
    env.update(XDG_STATE_HOME=str(state), TMPDIR=str(temp))
    before = tree(state)
    served = start_server(tmp_path, *APP, env=env)
    try:
        async with tabs(served, 2) as (_http, both):
            for tab in both:
                await tab.wait_for("BN:on")
            for keys in HOSTILE:
                for tab in both:
                    await tab.press(keys)
                await asyncio.sleep(0.2)
            for tab in both:
                await tab.drain(3.0)
        deadline = time.monotonic() + 20
        while served.children() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        stop_server(served)
    assert tree(state) == before
    assert list(temp.iterdir()) == []  # each session's temporary dir is gone
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".svg", ".toml"))
    assert written == []
    assert "Traceback" not in served.console


def test_the_memory_ceiling_reaches_each_session(tmp_path):
    """Each tab's process gets its share of memory as BNTUI_MEMORY_LIMIT (MiB)."""
    served = start_server(tmp_path, *APP, serve_args=("--max-sessions", "2"))

    async def one() -> dict[str, str]:
        async with tabs(served, 1) as (_http, (tab,)):
            await tab.wait_for("BN:on")
            (pid,) = served.children()
            text = Path(f"/proc/{pid}/environ").read_text()
            return dict(kv.split("=", 1) for kv in text.split("\0") if "=" in kv)

    try:
        env = asyncio.run(one())
    finally:
        stop_server(served)
    assert 0 < int(env["BNTUI_MEMORY_LIMIT"]) <= 0.75 * total_mib() / 2 + 1
    assert env["BNTUI_SERVED"] == "1"


def total_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no MemTotal")
