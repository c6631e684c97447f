"""UI benchmarks: parts 3 (throughput with the TUI), 4 (key latency), 5 (bytes/s on a pty),
6 (chart redraw vs history length) and 8 (start-up to the first frame).

Parts 4, 5 and 8 run the real ``bntui`` command on a pseudo-terminal of 80x24
(TERM=xterm-256color) and read what it writes; part 3 runs the app headless, driven by
Textual's pilot (the compositor renders, only the final write is skipped); part 6 times
one frame's data copy plus the loss chart's redraw with a short and a very long history.
"""

from __future__ import annotations

import asyncio
import fcntl
import math
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from common import Row, check, median

ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
COLS, ROWS = 80, 24


def strip_ansi(data: bytes) -> str:
    """What a person would read: the bytes without escape sequences."""
    return ANSI.sub(b"", data).decode("utf-8", "replace")


def bntui_command() -> list[str]:
    """The installed ``bntui`` script beside this Python, else ``python -m bntui``."""
    script = Path(sys.executable).with_name("bntui")
    if script.exists():
        return [str(script)]
    found = shutil.which("bntui")
    return [found] if found else [sys.executable, "-m", "bntui"]


class PtyApp:
    """``bntui`` running on a pseudo-terminal of COLS x ROWS; everything it writes is kept."""

    def __init__(self, args: list[str] | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ)
        env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        env.pop("NO_COLOR", None)

        def controlling_tty() -> None:  # runs in the child before exec
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            bntui_command() + (args or []),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            preexec_fn=controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self.out = bytearray()

    def pump(self, timeout: float) -> int:
        """Read what is there (waiting up to ``timeout`` s for the first byte); bytes read."""
        got = 0
        wait = timeout
        while True:
            r, _, _ = select.select([self.fd], [], [], wait)
            if not r:
                return got
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the child closed the terminal
                return got
            if not chunk:
                return got
            self.out += chunk
            got += len(chunk)
            wait = 0.0

    def wait_for(self, text: str, since: int, timeout: float) -> float | None:
        """perf_counter time when ``text`` first shows in the output after byte ``since``."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if self.pump(0.002) and text in strip_ansi(bytes(self.out[since:])):
                return time.perf_counter()
            if self.proc.poll() is not None:
                return None
        return None

    def read_for(self, seconds: float) -> int:
        """Bytes written during the next ``seconds``."""
        end = time.perf_counter() + seconds
        total = 0
        while (left := end - time.perf_counter()) > 0:
            total += self.pump(min(left, 0.05))
        return total

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> None:
        """q, then a SIGTERM if it has not exited within 3 s."""
        try:
            self.send(b"q")
            end = time.perf_counter() + 3.0
            while self.proc.poll() is None and time.perf_counter() < end:
                self.pump(0.05)
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.fd)

    def tail(self) -> str:
        return strip_ansi(bytes(self.out[-400:])).strip().replace("\n", " ")[-160:]


# --------------------------------------------------------------------------- part 8


def part_startup(repeats: int) -> list[Row]:
    """Spawn -> the first frame (the status token ``step:`` is on the terminal)."""
    times, note = [], ""
    for _ in range(repeats):
        app = PtyApp()
        try:
            t = app.wait_for("step:", 0, 20.0)
            if t is None:
                note = f"no first frame within 20 s: {app.tail()!r}"
            else:
                times.append(t - app.t_spawn)
        finally:
            app.close()
    value = median(times) if times else None
    return [
        Row(
            id="startup",
            part=8,
            case="`bntui` spawn -> first frame (80x24)",
            value=value,
            unit="s",
            target="<= 1.5 s",
            met=check(value, "<=", 1.5),
            note=note or (f"{len(times)} runs; min {min(times):.2f} s" if times else ""),
            samples=times,
        )
    ]


# --------------------------------------------------------------------------- parts 4, 5


def part_pty(parts: set[int], quick: bool, repeats: int) -> list[Row]:
    """Key -> status token latency (4) and bytes/s at default settings (5), one session."""
    rows: list[Row] = []
    app = PtyApp()
    try:
        if app.wait_for("step:", 0, 20.0) is None:
            reason = f"bntui showed no first frame: {app.tail()!r}"
            if 5 in parts:
                rows.append(Row("bytes", 5, "bytes/s to the pty", None, "KiB/s", note=reason))
            if 4 in parts:
                rows.append(Row("latency", 4, "key b -> BN token", None, "ms", note=reason))
            return rows
        app.read_for(0.5 if quick else 2.0)  # let the first charts fill in
        if 5 in parts:
            # at least two full redraws: the panels redraw together every ~1.7 s at 80x24
            seconds = 4.0 if quick else 10.0
            n = app.read_for(seconds)
            kib = n / seconds / 1024
            rows.append(
                Row(
                    id="bytes",
                    part=5,
                    case="bytes/s to the pty, 80x24, default settings",
                    value=kib,
                    unit="KiB/s",
                    target="<= 8 KiB/s",
                    met=check(kib, "<=", 8.0),
                    note=f"{n:,} bytes in {seconds:.0f} s while training at fps 2",
                )
            )
        if 4 in parts:
            lat, misses = [], 0
            presses = 2 if quick else max(6, 2 * repeats)
            for i in range(presses):
                token = "BN:off" if i % 2 == 0 else "BN:on"
                app.read_for(0.2 + 0.13 * (i % 3))  # presses at varying frame phases
                mark = len(app.out)
                t0 = time.perf_counter()
                app.send(b"b")
                t = app.wait_for(token, mark, 5.0)
                if t is None:
                    misses += 1
                else:
                    lat.append((t - t0) * 1000)
            value = median(lat) if lat else None
            worst = max(lat) if lat else math.nan
            limit = 1000 / 2 + 100  # one frame interval at the default 2 fps + 100 ms
            rows.append(
                Row(
                    id="latency",
                    part=4,
                    case="key b -> BN token changes on the pty (fps 2)",
                    value=value,
                    unit="ms",
                    target=f"<= {limit:.0f} ms",
                    met=check(worst, "<=", limit) if lat else None,
                    note=f"{len(lat)} presses, worst {worst:.0f} ms (the target is checked on "
                    f"the worst)" + (f"; {misses} never showed" if misses else ""),
                    samples=lat,
                )
            )
    finally:
        app.close()
    return sorted(rows, key=lambda r: r.part)


# --------------------------------------------------------------------------- part 3


async def _tui_rate(fps: float, warm: float, seconds: float) -> float:
    from bntui.training.config import Config
    from bntui.tui.app import BntuiApp

    app = BntuiApp(Config(), fps=fps)
    async with app.run_test(size=(COLS, ROWS)):
        await asyncio.sleep(warm)
        s0, t0 = app.runner.session.step_count, time.perf_counter()
        await asyncio.sleep(seconds)
        s1, t1 = app.runner.session.step_count, time.perf_counter()
        frames = app.frames
    if frames < 1:
        raise RuntimeError("the app drew no frame")
    return (s1 - s0) / (t1 - t0)


def _headless_rate(seconds: float) -> float:
    """The headless engine: the same default config, Session.step in a loop."""
    from threadpoolctl import threadpool_limits

    from bntui.training.config import Config
    from bntui.training.session import Session

    s = Session(Config())
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(20):
            s.step()
        n, t0 = 0, time.perf_counter()
        while (t := time.perf_counter()) - t0 < seconds:
            for _ in range(50):
                s.step()
            n += 50
    return n / (t - t0)


def part_tui(quick: bool, repeats: int) -> list[Row]:
    """Steps/s of the app at fps 2 and 10 (headless, pilot) vs the headless engine."""
    seconds, warm = (0.4, 0.2) if quick else (3.0, 1.0)
    reps = 1 if quick else max(3, repeats - 2)
    res: dict[str, list[float]] = {"headless": [], "fps2": [], "fps10": []}
    ratios: dict[str, list[float]] = {"fps2": [], "fps10": []}
    for r in range(reps):
        order = ["headless", "fps2", "fps10"]
        k = r % 3
        got = {}
        for name in order[k:] + order[:k]:
            if name == "headless":
                got[name] = _headless_rate(seconds)
            else:
                got[name] = asyncio.run(_tui_rate(2.0 if name == "fps2" else 10.0, warm, seconds))
        for name, v in got.items():
            res[name].append(v)
        for name in ratios:
            ratios[name].append(got[name] / got["headless"])
    rows = []
    for name, fps, need in (("fps2", 2, 0.90), ("fps10", 10, 0.75)):
        ratio = median(ratios[name])
        rows.append(
            Row(
                id=f"tui.{name}",
                part=3,
                case=f"app at fps {fps} (headless, pilot, 80x24), net a",
                value=median(res[name]),
                unit="steps/s",
                ref=median(res["headless"]),
                ref_label="headless",
                ratio=ratio,
                target=f">= {need:.2f}x",
                met=check(ratio, ">=", need),
                samples=res[name],
            )
        )
    return rows


# --------------------------------------------------------------------------- part 6


def _fill_history(session: Any, steps: int) -> None:
    """Give ``session`` the history of ``steps`` training steps (records shaped like real
    ones: loss/acc/lr every step, validation every eval_every, layer stats every
    stats_every), without training them."""
    from bntui.training.metrics import History

    c = session.config
    template = session.last_record["layers"]
    h = History(session.history.capacity)
    for i in range(1, steps + 1):
        x = math.exp(-i / (steps / 5 + 1))
        rec: dict[str, Any] = {"step": i, "loss": 0.1 + x, "acc": 1 - x / 2, "lr": c.lr}
        if i % c.eval_every == 0:
            rec["val_loss"], rec["val_acc"] = 0.15 + x, 1 - x / 2
        if i % c.stats_every == 0:
            rec["layers"] = [{k: v * (1 + 0.1 * x) for k, v in la.items()} for la in template]
        h.add_record(rec)
    session.history = h
    session.step_count = steps


async def _redraw_times(steps_list: list[int], reps: int) -> dict[int, list[float]]:
    from bntui.live.frame import build_frame
    from bntui.training.config import Config
    from bntui.training.session import Session
    from bntui.tui.app import BntuiApp
    from bntui.tui.panels.charts import LossChart

    sessions = {}
    for steps in steps_list:
        s = Session(Config())
        s.run(math.lcm(s.config.stats_every, s.config.eval_every))  # a record with every field
        _fill_history(s, steps)
        sessions[steps] = s
    times: dict[int, list[float]] = {n: [] for n in steps_list}
    app = BntuiApp(Config(), fps=2, threaded=False)
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        await pilot.pause()
        chart = app.main_screen.query_one("#loss", LossChart)
        needs = app.needs(app.runner.frame())
        for r in range(reps):
            for steps in steps_list if r % 2 == 0 else steps_list[::-1]:
                s = sessions[steps]
                t0 = time.perf_counter()
                frame = build_frame(s, needs)  # the frame's copy of the (downsampled) history
                chart._key = None  # force the redraw
                chart.show(frame, s.events, log_y=False)
                chart.render()  # plotext builds the chart here
                times[steps].append(time.perf_counter() - t0)
    return times


def part_chart(quick: bool, repeats: int) -> list[Row]:
    """One frame's data copy + loss chart redraw with 1 k vs 1 M steps of history."""
    small, big = 1_000, (50_000 if quick else 1_000_000)
    reps = 3 if quick else max(15, 3 * repeats)
    times = asyncio.run(_redraw_times([small, big], reps))
    t_small, t_big = median(times[small]) * 1000, median(times[big]) * 1000
    ratios = [b / a for a, b in zip(times[small], times[big], strict=True)]
    ratio = median(ratios)
    return [
        Row(
            id="chart",
            part=6,
            case=f"frame data + loss chart redraw, {big:,} steps of history",
            value=t_big,
            unit="ms",
            ref=t_small,
            ref_label=f"{small:,} steps",
            ratio=ratio,
            target="<= 1.20x",
            met=check(ratio, "<=", 1.2),
            samples=[t * 1000 for t in times[big]],
        )
    ]


def run_part(part: int, *, quick: bool, repeats: int) -> list[Row]:
    """Rows of one UI part (3, 4, 5, 6 or 8)."""
    if part == 3:
        return part_tui(quick, repeats)
    if part in (4, 5):
        return part_pty({part}, quick, repeats)
    if part == 6:
        return part_chart(quick, repeats)
    if part == 8:
        return part_startup(1 if quick else max(3, repeats))
    raise ValueError(f"no UI part {part}")
