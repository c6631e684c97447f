"""The project's error base and the one way it reads a user's file.

Every error a user can cause (a bad flag, script, CSV, command or output path) derives
from ``BntuiError``; its message is one line, and the CLI reports it with exit status 2.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class BntuiError(Exception):
    """An error the user can fix; ``str(error)`` is one line that says what and where."""


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def stat_input(path: str | Path, error: type[BntuiError], what: str) -> os.stat_result:
    """``os.stat`` of a user's input file, or ``error`` if it is not a readable regular file.

    A FIFO, device or socket is refused at once (reading one could block forever), a
    symbolic link loop is named as such, a directory is not ``what``.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except PermissionError:
        raise error(f"{p}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{p}: symbolic link loop (too many levels of links)") from None
        raise error(f"{p}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a directory, not {what}")
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise error(f"{p}: is {kind}, not {what} (only regular files are read)")
    return st


def read_input(path: str | Path, error: type[BntuiError], what: str) -> bytes:
    """The bytes of a user's file, or ``error`` with a one-line reason naming the file.

    ``what`` names the expected kind for the directory case, e.g. "a TOML file".
    """
    p = Path(path)
    stat_input(p, error, what)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a directory, not {what}") from None
    except PermissionError:
        raise error(f"{p}: permission denied") from None
    except OSError as exc:
        raise error(f"{p}: cannot read ({exc.strerror or exc})") from None


def decode_utf8(raw: bytes, label: str, error: type[BntuiError]) -> str:
    """UTF-8 text (a BOM is dropped), or ``error`` naming the line and column of a bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise error(
            f"{label}: not UTF-8 text (byte 0x{byte} at line {line}, column {col}); "
            "re-save the file as UTF-8"
        ) from None
