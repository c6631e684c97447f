"""Who may use a ``bntui serve`` and how much: secrets, the Origin, sizes, messages, the cap.

Everything here is a pure function of its arguments (no aiohttp), so it is tested on its own;
``bntui.cli.serve`` applies it to each request before anything is started.

- **Secrets.** Each page of the server has its own secret, made at start
  (``secrets.token_urlsafe``) and printed in its address: the student page's is ``session``
  (``/?token=…``, and the websocket ``/ws/TOKEN``); another page (a teacher's) adds its own
  name. A request presents it; it is compared in constant time.
- **Origin.** A browser sends the page's origin with every websocket; one that is not this
  server's (another site's page driving it, DNS rebinding) is refused. No Origin (a
  program, not a browser page) is allowed: it still needs the secret.
- **Sizes and messages.** Terminal sizes are clamped to ``MAX_WIDTH`` × ``MAX_HEIGHT``;
  a message that is not what the page sends is ignored.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import math
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

TOKEN_BYTES = 32  # token_urlsafe(32): 43 characters, 256 bits
MAX_WIDTH, MAX_HEIGHT = 500, 200  # a 4K screen at a small font is about 480 × 135 cells
MIN_WIDTH, MIN_HEIGHT = 10, 4
MAX_MESSAGE = 64 * 1024  # bytes of one websocket message (keys typed, a resize)
SESSION_MIB = 512  # what a served session may plan to use at least, and a cap's unit
SESSIONS_PER_CORE = 2
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class Secrets:
    """The server's secrets, one per page name (``session`` for the tabs; a page added later,
    such as a teacher's, calls ``add`` with its own name)."""

    def __init__(self, *names: str) -> None:
        self._tokens: dict[str, str] = {}
        for name in names or ("session",):
            self.add(name)

    def add(self, name: str) -> str:
        """A new secret for ``name`` (kept if it exists); returns it."""
        return self._tokens.setdefault(name, secrets.token_urlsafe(TOKEN_BYTES))

    def token(self, name: str = "session") -> str:
        return self._tokens[name]

    def address(self, base: str, name: str = "session", path: str = "/") -> str:
        """The address of ``name``'s page to print: ``BASE/PATH?token=SECRET``."""
        return f"{base.rstrip('/')}{path}?token={self.token(name)}"

    def check(self, presented: str | None, name: str = "session") -> bool:
        """True if ``presented`` is ``name``'s secret (constant-time comparison)."""
        expected = self._tokens.get(name)
        if expected is None or not presented:
            return False
        return hmac.compare_digest(presented.encode("utf-8", "replace"), expected.encode())


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an address or an Origin header; None if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def origin_allowed(
    origin: str | None, *, public_url: str, port: int, local_host: str | None = None
) -> bool:
    """Is a websocket from a page at ``origin`` this server's own page?

    Allowed: no Origin (not a browser page), the public address (``--public-url`` or the
    printed one), and ``http://HOST:PORT`` where HOST is the address the connection came in
    on (``local_host``, from the socket, never from the Host header) or, when that is a
    loopback address, ``localhost`` / 127.0.0.1 / [::1].
    """
    if origin is None:
        return True
    theirs = origin_of(origin)
    if theirs is None:  # "null" (a sandboxed or file: page), garbage
        return False
    if theirs == origin_of(public_url):
        return True
    scheme, host, their_port = theirs
    if scheme != "http" or their_port != port:
        return False
    local = unmapped((local_host or "").strip("[]").lower())
    if host.strip("[]") == local and local:
        return True
    return is_loopback_name(local) and host in LOOPBACK_NAMES


def unmapped(host: str) -> str:
    """An IPv4 address a dual-stack socket reports as ``::ffff:a.b.c.d``, as ``a.b.c.d``."""
    try:
        mapped = ipaddress.ip_address(host).ipv4_mapped  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        return host
    return str(mapped) if mapped else host


def is_loopback_name(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def to_size(value: Any, low: int, high: int) -> int | None:
    """An integer cell count clamped to ``low..high``; None if ``value`` is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return max(low, min(high, value))


def clamp_size(width: Any, height: Any) -> tuple[int, int] | None:
    """(width, height) clamped to the sane range; None if either is not a number."""
    w = to_size(width, MIN_WIDTH, MAX_WIDTH)
    h = to_size(height, MIN_HEIGHT, MAX_HEIGHT)
    return None if w is None or h is None else (w, h)


def query_size(width: str | None, height: str | None) -> tuple[int, int]:
    """The first size, from the websocket's query (80 × 24 where missing or not a number)."""
    w = to_size(width, MIN_WIDTH, MAX_WIDTH) if width is not None else None
    h = to_size(height, MIN_HEIGHT, MAX_HEIGHT) if height is not None else None
    return (80 if w is None else w, 24 if h is None else h)


def parse_message(text: str) -> tuple[str, Any] | None:
    """A page message as (kind, value), or None for anything the page does not send.

    ``["stdin", str]``, ``["resize", {"width": n, "height": n}]`` (clamped),
    ``["ping", str]``, ``["focus"]``, ``["blur"]``.
    """
    if len(text) > MAX_MESSAGE:
        return None
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind, value = envelope[0], envelope[1] if len(envelope) > 1 else None
    if kind in ("stdin", "ping"):
        return (kind, value) if isinstance(value, str) else None
    if kind == "resize":
        if not isinstance(value, dict):
            return None
        size = clamp_size(value.get("width"), value.get("height"))
        return None if size is None else (kind, size)
    if kind in ("focus", "blur"):
        return (kind, None)
    return None


def machine_memory() -> int:
    """This machine's RAM in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def default_max_sessions(cores: int | None = None, memory: int | None = None) -> int:
    """Sessions at once by default: ``SESSIONS_PER_CORE`` per core, and no more than
    three quarters of the RAM in ``SESSION_MIB`` shares (at least 1)."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    memory = memory if memory is not None else machine_memory()
    by_cpu = SESSIONS_PER_CORE * max(1, cores)
    by_memory = (memory * 3 // 4) // (SESSION_MIB * 2**20) if memory else by_cpu
    return max(1, min(by_cpu, by_memory))


def session_memory_mib(max_sessions: int, memory: int | None = None) -> int:
    """Each served session's memory ceiling (MiB, for ``BNTUI_MEMORY_LIMIT``): three
    quarters of the RAM shared by ``max_sessions``, and no more than the operator's own
    ``BNTUI_MEMORY_LIMIT``."""
    memory = memory if memory is not None else machine_memory()
    share = (memory * 3 // 4) // max(1, max_sessions) // 2**20 if memory else 4096
    own = os.environ.get("BNTUI_MEMORY_LIMIT")
    if own:
        with contextlib.suppress(ValueError, OverflowError):  # memory.py reports a bad one
            share = min(share, int(float(own)))
    return max(1, share)
