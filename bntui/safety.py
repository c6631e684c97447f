"""Untrusted text made safe to show and write, and file names made safe to create.

A lesson is untrusted input: its title, description, captions, ``mark`` labels and
screenshot names reach the terminal, the report and the file system. ``clean_text``
removes terminal escape sequences (CSI, OSC, DCS, …) and every other control character,
keeps valid Unicode (Korean, emoji with their joiners) and replaces lone surrogates.
``check_file_name`` refuses names that could leave the output directory, hide, look like
an option, or carry control characters.
"""

from __future__ import annotations

import re
import unicodedata

# ESC [ … final (CSI), ESC ] … BEL/ST (OSC), ESC P/X/^/_ … ST (DCS, SOS, PM, APC), ESC + one
# char; and their 8-bit forms (U+009B CSI, U+009D OSC, U+0090 DCS …).
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?",
    re.DOTALL,
)
# Bidirectional overrides and isolates ("Trojan source"): they reorder what is shown.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

MAX_NAME_BYTES = 255


def clean_text(text: str, *, multiline: bool = False) -> str:
    """``text`` without escape sequences or control characters, as valid Unicode.

    Tabs become spaces; newlines are kept only when ``multiline`` (otherwise they become
    spaces too); U+2028/U+2029 count as newlines. Lone surrogates become U+FFFD.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    text = _ESCAPES.sub("", text)
    out = []
    for ch in text.translate(_BIDI):
        if ch in "\n\r\u2028\u2029":
            out.append("\n" if multiline else " ")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) != "Cc":
            out.append(ch)
    cleaned = "".join(out)
    if multiline:
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned.replace("\r", ""))
    return cleaned


def unsafe_name(name: str) -> str | None:
    """Why ``name`` is not a safe plain file name (None when it is)."""
    if not name or not name.strip():
        return "it is empty"
    if "\x00" in name:
        return "it contains a NUL byte"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "it contains control characters"
    if "/" in name or "\\" in name:
        return "it contains a path separator (only a plain file name is allowed)"
    if name in (".", "..") or ".." in name:
        return "it contains '..'"
    if name[0] == ".":
        return "it starts with a dot (a hidden file)"
    if name[0] == "-":
        return "it starts with a dash (it would look like an option)"
    if name != name.strip():
        return "it starts or ends with a space"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return None


def check_file_name(name: str, error: type[Exception], what: str = "file name") -> str:
    """``name`` if it is a safe plain file name, else ``error`` saying why (one line)."""
    why = unsafe_name(name)
    if why is not None:
        raise error(f"{what} {name.encode('unicode_escape').decode('ascii')!r} is unsafe: {why}")
    return name


_HTML = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def md_text(text: str) -> str:
    """Text for a Markdown report: cleaned, and no HTML tag or entity can start in it.

    ``<`` before a letter, ``/``, ``!`` or ``?`` and ``&`` before an entity are escaped;
    a comparison such as ``loss < 0`` is left as written.
    """
    cleaned = clean_text(text, multiline=True)
    return _HTML.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", cleaned)
