"""``bntui serve``: the live app in a browser, through textual-serve (``pip install bntui[serve]``).

textual-serve answers ``/`` with a page whose script opens a websocket; for each websocket
(each browser tab) it starts the served command in a new process with pipes and
``TEXTUAL_DRIVER`` naming Textual's web driver, so every tab is its own session with its
own network, data and training thread. The served command is ``python -m bntui ARGS``
with the arguments given after ``--`` (the live app, or ``replay NAME``); they are checked
here once, so a typo is one line on the console instead of a blank page in every tab.

Loopback is the default, and binding anywhere else prints a one-line warning. Who gets a
session is decided before anything starts (``bntui.cli.serve_gate``): the holder of the secret
token in the printed address, from the server's own page (the Origin), while fewer than
``--max-sessions`` tabs run. A served session never writes the server user's state (no
autosave; its own temporary state dir, removed at its end) and plans within its share of
the memory (``BNTUI_MEMORY_LIMIT``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import shlex
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from bntui.cli import serve_gate as gate
from bntui.cli import serve_page as page
from bntui.cli.serve_gate import Secrets
from bntui.errors import BntuiError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_FONT_SIZE = 16
WILDCARDS = ("", "0.0.0.0", "::")  # every interface
APP_COMMANDS = ("tui", "replay")  # what a browser tab can run
OTHER_COMMANDS = ("run", "data", "demos", "serve")
MAX_SESSIONS = 1000
SHUTDOWN_SECONDS = 10.0  # on ctrl+c: the most the server waits for open tabs to end
QUIT_SECONDS = 2.0  # a session told to quit gets this long, then SIGTERM, then SIGKILL
HEARTBEAT_SECONDS = 5.0  # a tab that vanished without closing is noticed within ~2× this
MAX_DOWNLOADS = 8  # undelivered downloads a session keeps (bntui.tui.web keeps as many)
MEMORY_ENV = "BNTUI_MEMORY_LIMIT"  # MiB; bntui.training.memory holds every session's plans to it
SERVED_ENV = "BNTUI_SERVED"  # "1" in a served session's process: no autosave (lifecycle)
NEED_TOKEN = (
    "bntui serve: this address needs the token printed by bntui serve (http://HOST:PORT/?token=…)"
)

EXAMPLES = """\
examples:
  bntui serve                                  http://127.0.0.1:8000, one session per tab
  bntui serve --port 8080 -- --activation sigmoid --depth 6 --no-bn
  bntui serve -- replay covariate-shift        a lesson, live, in every tab
  bntui serve --host 0.0.0.0 --public-url http://lab.example:8000   (warns: anyone can use it)
"""


class ServeError(BntuiError):
    """Bad ``bntui serve`` input or a server that cannot start: one line, exit status 2."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``serve`` on the main parser's subparsers; returns its parser."""
    p = sub.add_parser(
        "serve",
        help="the live app in a browser (textual-serve), one session per tab",
        description="Serve the live app to web browsers through textual-serve. Each "
        "browser tab gets its own session. Arguments after -- are the app's: bntui flags, "
        "or replay NAME.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on, 0 for any free one (default {DEFAULT_PORT})",
    )
    p.add_argument(
        "--font-size",
        type=int,
        default=DEFAULT_FONT_SIZE,
        metavar="N",
        help=f"the page's font size in pixels, 6..64 (default {DEFAULT_FONT_SIZE}; "
        "?fontsize=N in the address overrides it)",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use to reach this server (behind a proxy, or with "
        "--host 0.0.0.0); default http://HOST:PORT",
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        metavar="N",
        help="browser tabs served at once; more are told the server is full (default: "
        f"{gate.SESSIONS_PER_CORE} per CPU core, at most one per {gate.SESSION_MIB} MiB of "
        f"three quarters of the RAM: {gate.default_max_sessions()} here)",
    )
    p.add_argument(
        "app_args",
        nargs="*",
        metavar="-- BNTUI ARGS",
        help="what each tab runs: bntui's own flags (the live app) or replay NAME [flags]",
    )
    return p


def app_argv(app_args: list[str]) -> list[str]:
    """The served process's arguments: the live app (``tui``) unless ``replay`` is named."""
    argv = list(app_args)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    first = argv[0] if argv else None
    if first in OTHER_COMMANDS:
        raise ServeError(
            f"serve runs the live app, not `bntui {first}`: "
            "use `bntui serve -- [flags]` or `bntui serve -- replay NAME`"
        )
    if any(a in ("-h", "--help", "--version") for a in argv):
        raise ServeError("-h/--help/--version cannot be served; run them without serve")
    if first not in APP_COMMANDS:
        argv.insert(0, "tui")
    return argv


def check_app_args(
    argv: list[str],
    parse: Callable[[list[str]], argparse.Namespace],
    config: Callable[[argparse.Namespace], object],
) -> argparse.Namespace:
    """Parse and validate the served arguments as ``bntui`` itself would, before serving.

    ``parse`` is the main parser's ``parse_args`` and ``config`` checks its namespace (a
    Config, or for ``replay`` the lesson with its overrides), both from the CLI, so flags
    mean exactly what they mean without serve.
    """
    ns = parse(argv)
    if getattr(ns, "headless", False):
        raise ServeError("a served lesson plays live: drop --headless")
    if getattr(ns, "record", None):
        raise ServeError(
            "--record would have every tab write the same file on the server; "
            "in the browser, ctrl+s downloads the session's script"
        )
    fps = getattr(ns, "fps", 2.0)
    if not 1 <= fps <= 30:
        raise ServeError(f"--fps must be in 1..30, got {fps:g}")
    config(ns)  # the CLI's check: a Config, or a lesson with its overrides for replay
    return ns


@contextlib.contextmanager
def session_memory(mib: int) -> Iterator[None]:
    """``BNTUI_MEMORY_LIMIT`` set to one session's share while the served flags are checked,
    so a configuration no tab could run is one line at start (not a blank page per tab)."""
    before = os.environ.get(MEMORY_ENV)
    os.environ[MEMORY_ENV] = str(mib)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MEMORY_ENV, None)
        else:
            os.environ[MEMORY_ENV] = before


def served_command(argv: list[str]) -> str:
    """The shell command textual-serve runs per tab: this interpreter, ``-m bntui``.

    ``exec``: the shell becomes the app, so the app is the server's own child (it can tell
    when the server is gone, and the server's kill reaches it)."""
    return "exec " + shlex.join([sys.executable, "-m", "bntui", *argv])


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name or "" (every interface): not known to be loopback
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The one-line warning for a non-loopback address, or None."""
    if is_loopback(host):
        return None
    where = host or "every interface"
    return (
        f"bntui: warning: serving on {where}: anyone who can reach port {port} with the "
        "printed address gets a session that trains on this machine (no encryption: the "
        "token crosses the network in clear)"
    )


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def run(
    args: argparse.Namespace,
    *,
    parse: Callable[[list[str]], argparse.Namespace],
    config: Callable[[argparse.Namespace], object],
) -> int:
    """``bntui serve``: check the app's arguments, then serve until ctrl+c (exit 0)."""
    if not 0 <= args.port <= 65535:
        raise ServeError(f"--port must be in 0..65535, got {args.port}")
    if not 6 <= args.font_size <= 64:
        raise ServeError(f"--font-size must be in 6..64, got {args.font_size}")
    if args.public_url is not None and not args.public_url.startswith(("http://", "https://")):
        raise ServeError(
            f"--public-url must start with http:// or https://, got {args.public_url!r}"
        )
    default = gate.default_max_sessions()
    max_sessions = default if args.max_sessions is None else args.max_sessions
    if not 1 <= max_sessions <= MAX_SESSIONS:
        raise ServeError(f"--max-sessions must be in 1..{MAX_SESSIONS}, got {args.max_sessions}")
    session_mib = gate.session_memory_mib(max_sessions)
    argv = app_argv(args.app_args)
    with session_memory(session_mib):  # what each tab will be held to, checked once here
        check_app_args(argv, parse, config)
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        raise ServeError(
            "bntui serve needs textual-serve: pip install 'bntui[serve]' (or textual-serve)"
        ) from None
    from bntui.cli.tally import class_tally

    server = make_server(
        served_command(argv),
        tally=class_tally(argv),  # a lesson with questions: the class tally beside the tabs
        host=args.host,
        port=args.port,
        font_size=args.font_size,
        public_url=args.public_url,
        title=" ".join(["bntui", *(argv[1:] if argv[0] == "tui" else argv)]),
        max_sessions=max_sessions,
        session_mib=session_mib,
    )
    try:
        asyncio.run(server.serve_until_stopped())
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {url_host(args.host)}:{args.port}: {exc.strerror or exc}"
        ) from None
    return 0


def make_server(
    command: str,
    *,
    host: str,
    port: int,
    font_size: int,
    public_url: str | None,
    title: str,
    max_sessions: int,
    session_mib: int,
    tally: Any = None,
) -> Any:
    """A textual-serve ``Server`` that knows its real port (``--port 0``), prints its
    address with the secret instead of the banner, and stops on SIGINT/SIGTERM, ending the
    tabs' sessions. Each request is checked first (``bntui.cli.serve_gate``): the secret, the
    Origin, the cap on sessions; sizes are clamped and other messages ignored. Each
    session's process gets its own temporary state dir (removed at its end) and a memory
    ceiling."""
    from aiohttp import WSMsgType, web
    from textual_serve.app_service import AppService
    from textual_serve.download_manager import DownloadManager
    from textual_serve.server import Server, log

    class ServedApp(AppService):
        """One tab's process, with the served-mode environment."""

        def __init__(self, *args: Any, extra_env: dict[str, str], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.extra_env = extra_env

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            env = super()._build_environment(width=width, height=height)
            env.update(self.extra_env)
            return env

    class Downloads(DownloadManager):
        """textual-serve's download register, bounded: a session keeps its newest
        ``MAX_DOWNLOADS`` undelivered files (as the app does), and its records go with it."""

        async def create_download(self, *, app_service: Any, **kwargs: Any) -> None:
            await super().create_download(app_service=app_service, **kwargs)
            mine = [k for k, d in self._active_downloads.items() if d.app_service is app_service]
            for key in mine[: max(0, len(mine) - MAX_DOWNLOADS)]:
                await self._active_downloads.pop(key).incoming_chunks.put(None)

        async def cancel_app_downloads(self, app_service_id: str) -> None:
            for key, d in list(self._active_downloads.items()):
                if d.app_service.app_service_id == app_service_id:
                    del self._active_downloads[key]
                    await d.incoming_chunks.put(None)

    class BntuiServer(Server):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.tabs: set[web.WebSocketResponse] = set()  # open websockets, one per tab
            self.sessions = 0  # processes started and not yet ended
            self.secrets = Secrets("session")
            self.download_manager = Downloads()
            self.tally_env: dict[str, str] = {}  # BNTUI_TALLY for every tab (a lesson's tally)

        async def _make_app(self) -> web.Application:
            app = web.Application()
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws", self.handle_no_token),
                    web.get("/ws/{token}", self.handle_websocket, name="websocket"),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, name="static"),
                ]
            )
            app.on_shutdown.append(self.on_shutdown)
            if tally is not None:  # bntui.cli.tally: the class's and the teacher's secrets
                from bntui.cli.tally import tally_app

                keys = {"class_secret": self.secrets.add("class")}
                keys["teacher_secret"] = self.secrets.add("teacher")
                app.add_subapp("/tally/", tally_app(tally, **keys))
            return app

        def full_text(self) -> str:
            return (
                f"bntui serve: every session is in use ({max_sessions} at most); "
                "try again when a tab closes"
            )

        async def handle_index(self, request: web.Request) -> web.Response:
            """The page, for the holder of the secret only."""
            if not self.secrets.check(request.query.get("token")):
                return refusal(403, NEED_TOKEN)
            if self.sessions >= max_sessions:
                return refusal(503, self.full_text())
            size = gate.to_size(request.query.get("fontsize", ""), 6, 64) or font_size
            html = page.page_html(
                title=self.title,
                websocket_path=f"/ws/{self.secrets.token()}",
                static_path="/static/",
                font_size=size,
            )
            return web.Response(text=html, content_type="text/html", headers=page.HEADERS)

        async def handle_no_token(self, request: web.Request) -> web.Response:
            return refusal(403, NEED_TOKEN)

        def allowed(self, request: web.Request) -> bool:
            """The secret and the Origin (the local address from the socket, not Host)."""
            if not self.secrets.check(request.match_info.get("token")):
                return False
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            local = str(sockname[0]) if sockname else None
            origin = request.headers.get("Origin")
            return gate.origin_allowed(
                origin, public_url=self.public_url, port=self.port, local_host=local
            )

        async def on_startup(self, app: web.Application) -> None:
            """No banner: the address is printed once the port is known."""

        async def on_shutdown(self, app: web.Application) -> None:
            """Close every tab's websocket so each session is told to quit (and waited for)."""
            await asyncio.gather(
                *(ws.close(message=b"server stopped") for ws in list(self.tabs)),
                return_exceptions=True,
            )

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            """One process per websocket, for the holder of the secret on this server's own
            page, while there is room; refused before anything starts otherwise."""
            if not self.allowed(request):
                return refusal(403, NEED_TOKEN)
            websocket = web.WebSocketResponse(
                heartbeat=HEARTBEAT_SECONDS, max_msg_size=gate.MAX_MESSAGE
            )
            if self.sessions >= max_sessions:  # the page's terminal shows why, then closes
                await websocket.prepare(request)
                await websocket.send_bytes(("\r\n  " + self.full_text() + "\r\n").encode())
                await websocket.close(code=1013, message=b"full")
                return websocket
            self.sessions += 1  # before any await: 50 at once cannot pass the cap
            width, height = gate.query_size(request.query.get("width"), request.query.get("height"))
            service: AppService | None = None
            state = tempfile.mkdtemp(prefix="bntui-serve-")
            try:
                await websocket.prepare(request)
                self.tabs.add(websocket)
                service = ServedApp(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                    extra_env=served_env(state, session_mib) | self.tally_env,
                )
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # one line on the console, keep serving
                log.error("bntui serve: a session failed: %s", error)
            finally:
                self.tabs.discard(websocket)
                if service is not None:
                    await end_session(service)
                shutil.rmtree(state, ignore_errors=True)
                self.sessions -= 1
            return websocket

        async def _process_messages(self, websocket: Any, app_service: Any) -> None:
            """The page's messages (``bntui.cli.serve_gate.parse_message``); others ignored."""
            async for message in websocket:
                if message.type != WSMsgType.TEXT:
                    continue
                parsed = gate.parse_message(message.data)
                if parsed is None:
                    continue
                kind, value = parsed
                if kind == "stdin":
                    await app_service.send_bytes(value.encode("utf-8", "replace"))
                elif kind == "resize":
                    await app_service.set_terminal_size(*value)
                elif kind == "ping":
                    await websocket.send_json(["pong", value])
                elif kind == "blur":
                    await app_service.blur()
                elif kind == "focus":
                    await app_service.focus()

        async def serve_until_stopped(self) -> None:
            logging.basicConfig(level="WARNING", format="%(message)s")  # one line, no locals
            runner = web.AppRunner(
                await self._make_app(), handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
            )
            await runner.setup()
            try:
                site = web.TCPSite(runner, host or None, port)
                await site.start()
                bound = runner.addresses[0][1] if runner.addresses else port
                self.port = bound
                if public_url is None:
                    shown = socket.gethostname() if host in WILDCARDS else url_host(host)
                    self.public_url = f"http://{shown}:{bound}"
                for line in startup_lines(host, bound, self.public_url, self.secrets, max_sessions):
                    print(
                        line,
                        file=sys.stderr if line.startswith("bntui: warning") else sys.stdout,
                        flush=True,
                    )
                if tally is not None:
                    from bntui.cli.tally import TALLY_ENV

                    # each tab's process sends its answers there (loopback, the class secret)
                    class_ws = f"ws://127.0.0.1:{bound}/tally/{self.secrets.token('class')}/ws"
                    self.tally_env = {TALLY_ENV: class_ws}
                    teacher = f"{self.public_url}/tally/{self.secrets.token('teacher')}/"
                    print(f"bntui serve: class tally (keep this URL to yourself): {teacher}")
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.add_signal_handler(sig, stop.set)  # fails off the main thread
                await stop.wait()
            finally:
                await runner.cleanup()

    def refusal(status: int, text: str) -> web.Response:
        return web.Response(
            status=status,
            text=page.message_html("bntui serve", text),
            content_type="text/html",
            headers=page.HEADERS,
        )

    return BntuiServer(
        command,
        host=host,
        port=port,
        title=title,
        public_url=public_url.rstrip("/") if public_url else None,
    )


def served_env(state: str, session_mib: int) -> dict[str, str]:
    """What a served session's process gets on top of the server's environment: served mode
    (no autosave), its own state and temporary dir (removed at its end), a memory ceiling."""
    return {
        SERVED_ENV: "1",
        "BNTUI_STATE_DIR": state,
        "TMPDIR": state,
        MEMORY_ENV: str(session_mib),
    }


def startup_lines(
    host: str, port: int, public_url: str, secrets: Secrets, max_sessions: int
) -> list[str]:
    """What ``bntui serve`` prints at start: the warning off loopback, the address with its
    secret (and the loopback one when serving every interface). A page with a secret of
    its own (``secrets.add(NAME)``, a route that checks it) prints its line here too."""
    lines = []
    if warning := exposure_warning(host, port):
        lines.append(warning)
    lines.append(
        f"bntui serve: {secrets.address(public_url)}  (each browser tab is its own session, "
        f"{max_sessions} at most; ctrl+c stops)"
    )
    local = f"http://127.0.0.1:{port}"
    if host in WILDCARDS and not public_url.startswith(local):
        lines.append(f"bntui serve: on this machine: {secrets.address(local)}")
    return lines


async def end_session(service: Any) -> None:
    """End a tab's process promptly: tell its app to quit, then SIGTERM, then SIGKILL, each
    after ``QUIT_SECONDS``; the download records of the session go too."""
    process = getattr(service, "_process", None)  # textual-serve keeps the Process here
    with contextlib.suppress(Exception):
        await service._download_manager.cancel_app_downloads(service.app_service_id)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(service.send_meta({"type": "quit"}), QUIT_SECONDS)
    if process is None:
        return
    for stop in (None, process.terminate, process.kill):
        if stop is not None:
            with contextlib.suppress(ProcessLookupError):
                stop()
        try:
            await asyncio.wait_for(process.wait(), QUIT_SECONDS)
            break
        except TimeoutError:
            continue
    task = getattr(service, "_task", None)  # the reader of its output ends with it
    if task is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, QUIT_SECONDS)
