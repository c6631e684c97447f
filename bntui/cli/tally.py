"""The class tally of ``bntui serve -- replay NAME``: how many tabs chose each answer.

A small aiohttp app that ``bntui serve`` can mount beside the served tabs, with two
secrets of its own: tabs (the class) reach ``/tally/CLASS/ws`` and send their answers;
the operator opens ``/tally/TEACHER/`` (a page, no network beyond this server) that shows,
per question, how many tabs chose each answer, live, and can release the reveal for
everyone (a message to every tab's websocket). Tabs are anonymous (a number per
connection, never sent anywhere); answers live in memory only: nothing is written to the
server user's state directory or anywhere else. A tab's messages are untrusted: bad JSON,
an unknown question or choice, an oversized message are ignored.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE = 1024  # bytes of one websocket message from a tab
MAX_TABS = 500  # answers kept for at most this many tabs


@dataclass
class Tally:
    """Answers per question (tab number -> choice) and the questions released."""

    choices: dict[int, int]  # question number -> how many choices it has
    titles: dict[int, str] = field(default_factory=dict)  # question number -> its text
    answers: dict[int, dict[int, int]] = field(default_factory=dict)
    released: set[int] = field(default_factory=set)

    def answer(self, tab: int, question: Any, choice: Any) -> bool:
        """Record a tab's answer (a new one replaces its last); False if not valid."""
        valid = (
            isinstance(question, int)
            and not isinstance(question, bool)
            and question in self.choices
            and isinstance(choice, int)
            and not isinstance(choice, bool)
            and 1 <= choice <= self.choices[question]
        )
        if not valid:
            return False
        given = self.answers.setdefault(question, {})
        if tab not in given and len(given) >= MAX_TABS:
            return False
        given[tab] = choice
        return True

    def counts(self) -> dict[int, list[int]]:
        """Question -> [how many tabs chose 1, 2, …]."""
        out = {}
        for q, n in self.choices.items():
            row = [0] * n
            for choice in self.answers.get(q, {}).values():
                row[choice - 1] += 1
            out[q] = row
        return out

    def state(self) -> dict[str, Any]:
        """What the teacher page shows (JSON keys are text)."""
        return {
            "counts": {str(q): row for q, row in self.counts().items()},
            "released": sorted(self.released),
        }


def new_secret() -> str:
    """A URL-safe secret for one of the tally's two URLs."""
    return secrets.token_urlsafe(16)


def tally_app(tally: Tally, *, class_secret: str, teacher_secret: str) -> Any:
    """The aiohttp Application: mount it with ``app.add_subapp("/tally/", …)`` or run it."""
    from aiohttp import WSMsgType, web

    tabs: dict[web.WebSocketResponse, int] = {}
    teachers: set[web.WebSocketResponse] = set()
    serial = iter(range(1, 1 << 62))

    def allowed(request: web.Request, secret: str) -> bool:
        return hmac.compare_digest(request.match_info["secret"].encode(), secret.encode())

    async def send_all(sockets: Any, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        for ws in list(sockets):
            if not ws.closed:
                await ws.send_str(text)

    async def teacher_page(request: web.Request) -> web.Response:
        if not allowed(request, teacher_secret):
            raise web.HTTPNotFound()
        return web.Response(text=teacher_html(tally), content_type="text/html")

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        teacher = allowed(request, teacher_secret)
        if not teacher and not allowed(request, class_secret):
            raise web.HTTPNotFound()
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        if teacher:
            teachers.add(ws)
            await ws.send_str(json.dumps(tally.state()))
        else:
            tabs[ws] = next(serial)
            await ws.send_str(json.dumps({"released": sorted(tally.released)}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                if teacher and "release" in data:
                    q = data["release"]
                    if isinstance(q, int) and q in tally.choices and q not in tally.released:
                        tally.released.add(q)
                        await send_all(tabs, {"released": sorted(tally.released)})
                        await send_all(teachers, tally.state())
                elif not teacher and isinstance(data.get("answer"), list):
                    pair = data["answer"]
                    if len(pair) == 2 and tally.answer(tabs[ws], pair[0], pair[1]):
                        await send_all(teachers, tally.state())
        finally:
            teachers.discard(ws)
            tabs.pop(ws, None)
        return ws

    app = web.Application()
    app.router.add_get("/{secret}/", teacher_page)
    app.router.add_get("/{secret}/ws", websocket)
    return app


def teacher_html(tally: Tally) -> str:
    """The teacher page: a table of counts per question, live, with a release button."""
    rows = []
    for q, n in tally.choices.items():
        title = html.escape(tally.titles.get(q, ""))
        cells = "".join(f'<td id="c{q}-{i}">0</td>' for i in range(1, n + 1))
        button = f'<button id="r{q}" onclick="release({q})">release</button>'
        rows.append(f"<tr><th>Q{q}</th><td class=t>{title}</td>{cells}<td>{button}</td></tr>")
    width = max(tally.choices.values(), default=0)
    head = "".join(f"<th>{i}</th>" for i in range(1, width + 1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bntui · class tally</title>
<style>
 body {{ font-family: sans-serif; background: #111; color: #eee; margin: 2em; }}
 table {{ border-collapse: collapse; font-size: 1.4em; }}
 td, th {{ border: 1px solid #444; padding: 0.3em 0.8em; text-align: center; }}
 td.t {{ text-align: left; max-width: 30em; font-size: 0.8em; }}
 button {{ font-size: 1em; }}
</style></head>
<body><h1>Class tally</h1>
<p>Tabs answering each question, live. <b>release</b> shows the answer in every tab.</p>
<table><tr><th></th><th>question</th>{head}<th></th></tr>
{"".join(rows)}
</table>
<script>
 var ws = new WebSocket(location.href.replace(/^http/, "ws").replace(/\\/?$/, "/ws"));
 ws.onmessage = function (e) {{
   var s = JSON.parse(e.data);
   for (var q in s.counts) s.counts[q].forEach(function (n, i) {{
     document.getElementById("c" + q + "-" + (i + 1)).textContent = n; }});
   (s.released || []).forEach(function (q) {{
     var b = document.getElementById("r" + q); b.disabled = true; b.textContent = "released"; }});
 }};
 function release(q) {{ ws.send(JSON.stringify({{release: q}})); }}
</script></body></html>
"""


TALLY_ENV = "BNTUI_TALLY"  # the class websocket URL, given to every served tab


def class_tally(argv: list[str]) -> Tally | None:
    """The tally for ``bntui serve -- replay NAME`` when the lesson asks questions (None
    for the live app, ``--no-questions`` or a lesson without questions)."""
    if not argv or argv[0] != "replay" or "--no-questions" in argv:
        return None
    from bntui.replay.script import load_script

    name = next((a for a in argv[1:] if not a.startswith("-")), None)
    if name is None:
        return None
    script = load_script(name)
    asked = [e.question for e in script.questions if e.question is not None]
    if not asked:
        return None
    choices = {n: len(q.choices) for n, q in enumerate(asked, start=1)}
    return Tally(choices, {n: q.text for n, q in enumerate(asked, start=1)})
