"""A served tab's link to the class tally (``bntui.cli.tally``): it sends the tab's
answers and learns which reveals the teacher has released.

``bntui serve -- replay NAME`` gives every tab's process the class websocket URL in
``BNTUI_TALLY``; the app runs ``TallyLink.run`` on its event loop. If the tally cannot
be reached the lesson goes on as if alone (no waiting for a release that cannot come).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class TallyLink:
    """Answers out, released question numbers in, over one websocket."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.released: set[int] = set()
        self.failed = False
        self.connected = asyncio.Event()
        self._ws: Any = None
        self._pending: list[str] = []

    def waiting(self, question: int) -> bool:
        """True while the teacher has not released ``question`` (False once unreachable)."""
        return not self.failed and question not in self.released

    def send(self, question: int, choice: int) -> None:
        """Send an answer now, or as soon as the link is up."""
        text = json.dumps({"answer": [question, choice]})
        if self._ws is not None and not self._ws.closed:
            asyncio.get_running_loop().create_task(self._ws.send_str(text))
        else:
            self._pending.append(text)

    async def run(self) -> None:
        """Connect, send what is pending, then follow the releases until the socket ends."""
        import aiohttp

        try:
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(self.url, heartbeat=15) as ws,
            ):
                self._ws = ws
                for text in self._pending:
                    await ws.send_str(text)
                self._pending.clear()
                self.connected.set()
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        continue
                    data = json.loads(msg.data)
                    released = data.get("released") if isinstance(data, dict) else None
                    if isinstance(released, list):
                        self.released = {q for q in released if isinstance(q, int)}
        except (aiohttp.ClientError, OSError, ValueError):
            pass
        finally:
            self.failed = True  # gone: the lesson no longer waits for the teacher
            self.connected.set()
