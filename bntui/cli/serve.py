"""``bntui serve``: the live app in a browser, through textual-serve (``pip install bntui[serve]``).

textual-serve answers ``/`` with a page whose script opens a websocket; for each websocket
(each browser tab) it starts the served command in a new process with pipes and
``TEXTUAL_DRIVER`` naming Textual's web driver, so every tab is its own session with its
own network, data and training thread. The served command is ``python -m bntui ARGS``
with the arguments given after ``--`` (the live app, or ``replay NAME``); they are checked
here once, so a typo is one line on the console instead of a blank page in every tab.

Loopback is the default. Anyone who can reach the port gets a session that trains on this
machine, so binding anywhere else prints a one-line warning.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import shlex
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from bntui.errors import BntuiError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_FONT_SIZE = 16
WILDCARDS = ("", "0.0.0.0", "::")  # every interface
APP_COMMANDS = ("tui", "replay")  # what a browser tab can run
OTHER_COMMANDS = ("run", "data", "demos", "serve")
SHUTDOWN_SECONDS = 10.0  # on ctrl+c: the most the server waits for open tabs to end
SESSION_EXIT_SECONDS = 5.0  # a session told to quit gets this long before it is killed

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
        f"bntui: warning: serving on {where}: anyone who can reach port {port} gets a "
        "session that trains on this machine (no login, no encryption)"
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
    argv = app_argv(args.app_args)
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
    tally: Any = None,
) -> Any:
    """A textual-serve ``Server`` that knows its real port (``--port 0``), prints one line
    with its address instead of the banner, defaults the page's font size, and stops on
    SIGINT/SIGTERM, ending the tabs' sessions."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, log, to_int

    class BntuiServer(Server):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.tabs: set[web.WebSocketResponse] = set()  # open websockets, one per tab

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            """The page: its script and assets are addressed through --public-url if given,
            else through the host the browser itself asked for (so --host 0.0.0.0 works
            from other machines)."""
            base = public_url or f"{request.scheme}://{request.host}"
            base = base.rstrip("/")
            router = request.app.router
            static = base + str(router["static"].url_for(filename="/")).rstrip("/") + "/"
            scheme = "wss" if base.startswith("https:") else "ws"
            websocket = f"{scheme}:{base.split(':', 1)[1]}{router['websocket'].url_for()}"
            return {
                "font_size": to_int(request.query.get("fontsize", ""), font_size),
                "app_websocket_url": websocket,
                "config": {"static": {"url": static}},
                "application": {"name": self.title},
            }

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            if tally is not None:  # bntui.cli.tally: its own two secrets
                from bntui.cli.tally import new_secret, tally_app

                self.class_secret, self.teacher_secret = new_secret(), new_secret()
                mounted = tally_app(
                    tally, class_secret=self.class_secret, teacher_secret=self.teacher_secret
                )
                app.add_subapp("/tally/", mounted)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """No banner: the address is printed once the port is known."""

        async def on_shutdown(self, app: web.Application) -> None:
            """Close every tab's websocket so each session is told to quit (and waited for)."""
            await asyncio.gather(
                *(ws.close(message=b"server stopped") for ws in list(self.tabs)),
                return_exceptions=True,
            )

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler (one AppService, i.e. one process, per websocket),
            plus a register of open tabs and a wait for the session's process to end."""
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            service: AppService | None = None
            try:
                await websocket.prepare(request)
                self.tabs.add(websocket)
                service = AppService(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                )
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # what textual-serve does: log it, keep serving
                log.exception(error)
            finally:
                self.tabs.discard(websocket)
                if service is not None:
                    await end_session(service)
            return websocket

        async def serve_until_stopped(self) -> None:
            self.initialize_logging()
            runner = web.AppRunner(
                await self._make_app(), handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
            )
            await runner.setup()
            try:
                site = web.TCPSite(runner, host or None, port)
                await site.start()
                bound = runner.addresses[0][1] if runner.addresses else port
                self.port = bound
                if warning := exposure_warning(host, bound):
                    print(warning, file=sys.stderr, flush=True)
                if public_url is None:
                    shown = socket.gethostname() if host in WILDCARDS else url_host(host)
                    self.public_url = f"http://{shown}:{bound}"
                print(
                    f"bntui serve: {self.public_url}  (each browser tab is its own session; "
                    f"ctrl+c stops)",
                    flush=True,
                )
                if tally is not None:
                    from bntui.cli.tally import TALLY_ENV

                    # the tabs' processes inherit it: they send their answers there
                    local = f"ws://127.0.0.1:{bound}/tally/{self.class_secret}/ws"
                    os.environ[TALLY_ENV] = local
                    teacher = f"{self.public_url}/tally/{self.teacher_secret}/"
                    print(f"bntui serve: class tally (keep this URL to yourself): {teacher}")
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.add_signal_handler(sig, stop.set)  # fails off the main thread
                await stop.wait()
            finally:
                await runner.cleanup()

    return BntuiServer(
        command,
        host=host,
        port=port,
        title=title,
        public_url=public_url.rstrip("/") if public_url else None,
    )


async def end_session(service: Any) -> None:
    """Tell a tab's app to quit and wait (bounded) for its process; kill it if it hangs."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(service.stop(), SESSION_EXIT_SECONDS)
    process = getattr(service, "_process", None)  # textual-serve keeps the Process here
    if process is None or process.returncode is not None:
        return
    try:
        await asyncio.wait_for(process.wait(), SESSION_EXIT_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.wait(), SESSION_EXIT_SECONDS)
