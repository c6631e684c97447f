"""The page ``bntui serve`` answers with, and its refusals: nothing from another site.

textual-serve's own page loads Roboto Mono from a web font service (offline classrooms get a
fallback font, and each student's browser tells a third party the lesson is on) and writes
the Host header into its script and websocket addresses. This page uses the browser's
monospace font and addresses only its own server, relatively: ``static/…`` for textual-serve's
script, and the websocket path made absolute from the page's own location (what a relative
address means; older browsers do not take one in ``new WebSocket``). The
``Content-Security-Policy`` header forbids any other origin anyway.
"""

from __future__ import annotations

from html import escape

POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "no-referrer",  # the token is in the address
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
body { background: #0c181f; margin: 0; }
.dialog-container { position: absolute; width: 100vw; height: 100vh; display: flex;
  align-items: center; justify-content: center; z-index: 10; }
.shade { position: absolute; width: 100%; height: 100%; background: #0c181f; }
.intro { width: 640px; max-width: 90vw; min-height: 200px; font-size: 16px; z-index: 20;
  font-family: monospace; text-align: center; color: rgba(255, 255, 255, 0.95);
  background-color: #12232d; display: flex; flex-direction: column; align-items: center;
  justify-content: center; margin: 32px; padding: 16px; }
body.-first-byte .intro-dialog { display: none; }
body .textual-terminal { opacity: 0; }
body.-first-byte .textual-terminal { opacity: 1; transition: opacity 0.3s ease-out; }
button { padding: 16px 32px; background-color: #5e0ba7; color: rgba(255, 255, 255, 0.95);
  border: none; font-family: monospace; margin: 16px; display: block; }
button:hover { background: #ac5af4; cursor: pointer; }
.closed-dialog { display: none; }
body.-closed .closed-dialog { display: flex; }
#start { display: none; }
#start.-delay { display: flex; }
"""

# the websocket address from the page's own location (never from the Host header), and a
# restart that keeps the token; textual-serve's script reads the address at window.onload
_SCRIPT = """
function getStartUrl() {
  const url = new URL(window.location.href);
  url.searchParams.delete("delay");
  url.searchParams.delete("ping");
  return url.pathname + "?" + url.searchParams.toString();
}
function refresh() { window.location.href = getStartUrl(); }
(function () {
  const params = new URLSearchParams(window.location.search);
  if (params.has("ping")) { history.replaceState(null, "", getStartUrl()); }
  const el = document.getElementById("terminal");
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  el.dataset.sessionWebsocketUrl = scheme + window.location.host + el.dataset.sessionWebsocketUrl;
  document.getElementById("restart").addEventListener("click", refresh);
  document.getElementById("start").addEventListener("click", refresh);
})();
"""


def page_html(*, title: str, websocket_path: str, static_path: str, font_size: int) -> str:
    """The page of one tab: ``websocket_path`` (``/ws/TOKEN``) and ``static_path``
    (``/static/``) are paths on this server."""
    title = escape(title)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8" />
    <link rel="icon" href="data:," />
    <title>{title}</title>
    <link rel="stylesheet" href="{escape(static_path)}css/xterm.css" />
    <script src="{escape(static_path)}js/textual.js"></script>
    <style>{_STYLE}</style>
  </head>
  <body>
    <div class="dialog-container intro-dialog">
      <div class="shade"></div>
      <div class="intro">
        <div>{title}</div>
        <button type="button" id="start">Start</button>
      </div>
    </div>
    <div class="dialog-container closed-dialog">
      <div class="shade"></div>
      <div class="intro">
        <div class="message">Session ended.</div>
        <button type="button" id="restart">Restart</button>
      </div>
    </div>
    <div
      id="terminal"
      class="textual-terminal"
      data-session-websocket-url="{escape(websocket_path)}"
      data-font-size="{int(font_size)}"
    ></div>
    <script>{_SCRIPT}</script>
  </body>
</html>
"""


def message_html(title: str, text: str) -> str:
    """A page that only says something (a refusal, "every session is in use")."""
    return f"""<!DOCTYPE html>
<html>
  <head><meta charset="utf-8" /><link rel="icon" href="data:," /><title>{escape(title)}</title>
  <style>{_STYLE}</style></head>
  <body><div class="dialog-container"><div class="shade"></div>
  <div class="intro"><p>{escape(text)}</p></div></div></body>
</html>
"""
