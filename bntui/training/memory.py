"""Will a session fit in memory? One rough estimate, checked before anything is allocated.

Everything that grows the model or the data goes through it: flags and ``[config]``
(``check_memory``), every command a session applies (``Session.apply`` → ``check_growth``:
``--do``, lesson ``do`` events, ``:`` commands, keys), a second session (``compare``), a
whole schedule before training starts (``check_schedule``), and data files, weighed from
their headers (``bntui.data.size``) before they are read. A refusal is a ConfigError with
the estimate in one line, instead of a MemoryError minutes in.

Where a refusal lands: a command typed live (keys, ``:``, the palette) is a message on the
message line and nothing changes; ``--do`` flags and a lesson's ``do`` events are walked
before training starts, and the first that would not fit stops the run with one line
naming it (``--do 0:depth 32: …``, ``lesson.toml:9: event 2 (at 5000): …``), exit 2.

The ceiling is one number (``memory_limit``): ``$BNTUI_MEMORY_LIMIT`` in MiB if set (what
a server passes to the sessions it starts), else the smallest of the machine's RAM, the
room left under the address-space limit (``ulimit -v``) and the cgroup's ``memory.max``.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
from collections.abc import Iterable
from pathlib import Path

from bntui.data.size import StoredSize, stored_size
from bntui.training.config import Config, ConfigError

ACTIVATION_COPIES = 6  # arrays kept per hidden layer and batch row (linear, BN, act, grads)
WEIGHT_COPIES = 5  # weight, gradient, two optimizer states, the update
INPUT_DIMS = {"mnist": 784, "fashion-mnist": 784}
NAMED_ROWS = 70_000  # MNIST and Fashion-MNIST: 60,000 training + 10,000 test images
# the verbs whose commands can grow the model, the batch or the data
GROWING_VERBS = ("depth", "width", "batch-size", "dataset")


def data_size(c: Config) -> StoredSize:
    """Samples, inputs and bytes read of the data ``c`` asks for (a file's from its headers;
    0 × 0 when a file cannot be sized: loading it then says what is wrong)."""
    if c.data is not None:
        size = stored_size(c.data) or StoredSize(0, 0, 0)
    elif c.dataset in INPUT_DIMS:
        d = INPUT_DIMS[c.dataset]
        size = StoredSize(NAMED_ROWS, d, 2 * NAMED_ROWS * (d + 1))  # uint8 read, then copied
    else:
        size = StoredSize(c.samples, 2, 0)
    if c.test_data is not None and (extra := stored_size(c.test_data)) is not None:
        size = StoredSize(size.rows + extra.rows, size.inputs, size.stored + extra.stored)
    return size


def memory_estimate(c: Config, data: StoredSize | None = None, *, sessions: int = 1) -> int:
    """Rough bytes ``sessions`` sessions of ``c`` need at their peak (training batch,
    weights, data).

    Counts the activations kept for the backward pass (batch × width per hidden layer,
    several arrays each), the weights with their gradients and optimizer states, the
    dataset as floats and what reading it holds meanwhile (``data``: ``data_size(c)``
    unless given, e.g. by a session that has its data already)."""
    item = 8 if c.dtype == "float64" else 4
    size = data_size(c) if data is None else data
    d_in, n = size.inputs, size.rows
    rows = max(1, min(c.batch_size, n or c.batch_size))
    width, depth = c.width, c.depth
    acts = ACTIVATION_COPIES * rows * width * max(depth, 1) * item
    weights = WEIGHT_COPIES * (depth * width * width + (d_in + 10) * width) * item
    data_bytes = size.stored + n * max(d_in, 1) * (item + 8)
    return sessions * (acts + weights + data_bytes)


def _address_space_room() -> int | None:
    """Bytes still free under ``ulimit -v`` (RLIMIT_AS), or None without a limit."""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft == resource.RLIM_INFINITY:
        return None
    used = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                used = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return max(0, soft - used)


def _cgroup_limit() -> int | None:
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def memory_limit() -> int:
    """Bytes a session may plan to use: $BNTUI_MEMORY_LIMIT (MiB), or the least of the
    machine's RAM, the room under ``ulimit -v`` and the cgroup's memory.max."""
    override = os.environ.get("BNTUI_MEMORY_LIMIT")
    if override:
        try:
            value = float(override)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            msg = f"BNTUI_MEMORY_LIMIT must be a positive number of MiB, got {override!r}"
            raise ConfigError(msg) from None
        return int(value * 2**20)
    limits = [_address_space_room(), _cgroup_limit()]
    with contextlib.suppress(ValueError, OSError, AttributeError):
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    known = [x for x in limits if x is not None]
    return min(known) if known else 1 << 62  # unknown: do not refuse


def _amount(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _refusal(c: Config, need: int, have: int, size: StoredSize, sessions: int) -> ConfigError:
    what = f"batch-size {c.batch_size} × width {c.width} × depth {c.depth} ({c.dtype})"
    if c.data is not None:
        what = f"{c.data} ({size.rows:,} × {size.inputs:,}) with {what}"
    if sessions > 1:
        what = f"two sessions of {what}"
    return ConfigError(
        f"{what} needs about {_amount(need)}, more than the {_amount(have)} of memory here; "
        "use a smaller batch-size, width or depth, or less data (BNTUI_MEMORY_LIMIT, in MiB, "
        "sets the ceiling)"
    )


def check_memory(
    c: Config, limit: int | None = None, *, data: StoredSize | None = None, sessions: int = 1
) -> Config:
    """``c`` unchanged, or ConfigError with the estimate when it cannot fit in memory."""
    size = data_size(c) if data is None else data
    need = memory_estimate(c, size, sessions=sessions)
    have = memory_limit() if limit is None else limit
    if need > have:
        raise _refusal(c, need, have, size, sessions)
    return c


def check_growth(old: Config, new: Config, data: StoredSize, *, sessions: int = 1) -> None:
    """ConfigError if ``new`` (a command's result, on the session's ``data``) needs more
    memory than ``old`` and more than the ceiling; a change that does not grow passes."""
    size = data_size(new) if (new.dataset, new.data) != (old.dataset, old.data) else data
    need = memory_estimate(new, size, sessions=sessions)
    if need > memory_estimate(old, data, sessions=sessions):
        check_memory(new, data=size, sessions=sessions)


def check_schedule(config: Config, commands: Iterable[tuple[str, str]]) -> None:
    """Before training: walk the commands in order (``(where, command)``, e.g.
    ``("--do 500:width 64", "width 64")``) and refuse the first whose growth would not fit.

    Only the verbs that grow memory are followed; a command that does not parse or apply
    here is left to the session, which refuses it when its step comes."""
    from bntui.training.commands import CommandError, parse, resolve_number

    current, sessions = config, 2 if config.compare else 1
    data = data_size(config)
    for where, text in commands:
        try:
            cmd = parse(text)
            if cmd.verb == "compare":
                sessions = 1 if cmd.arg.strip() == "off" else 2
                new = current
            elif cmd.verb not in GROWING_VERBS:
                continue
            elif cmd.verb == "dataset":
                if cmd.arg in ("next", "prev"):
                    continue
                new = current.replace(dataset=cmd.arg, data=None)
            else:
                field = cmd.verb.replace("-", "_")
                old = getattr(current, field)
                new = current.replace(**{field: max(1, round(resolve_number(cmd.arg, old)))})
        except (CommandError, ConfigError, ValueError):
            continue
        try:
            check_growth(current, new, data, sessions=sessions)
            if cmd.verb == "compare":
                check_memory(new, data=data, sessions=sessions)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if (new.dataset, new.data) != (current.dataset, current.data):
            data = data_size(new)
        current = new
