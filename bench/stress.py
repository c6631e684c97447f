"""Random keys and resizes against the real, threaded bntui in tmux (issue 12, "Also").

    python bench/stress.py                      # seeds 0-9, 500 actions each
    python bench/stress.py --seeds 0 1 --actions 800 --size 40x12

Each run starts ``bntui`` in a fresh tmux pane (80×24, its own tmux server), sends
``--actions`` random actions from the app's key table (plus the palette, help, the ``:``
prompt and keys nothing binds) with resizes between 20×8 and 200×60, then checks: the
process never died, the pane shows no traceback, and ``q`` quits within 1 s with status 0.
Prints one line per seed and a summary; exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tmuxdrive import Pane, alive, exit_code, have_tmux, wait_exit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from textual.keys import key_to_character

from bntui.tui.keys import KEYS

# Textual key names (the key table's) -> tmux send-keys names
TMUX_NAMES = {
    "plus": "+", "minus": "-", "space": "Space", "up": "Up", "down": "Down", "left": "Left",
    "right": "Right", "colon": ":", "question_mark": "?", "escape": "Escape",
    "enter": "Enter", "tab": "Tab", "shift+tab": "BTab", "backspace": "BSpace",
    "home": "Home", "end": "End", "pageup": "PPage", "pagedown": "NPage", "f1": "F1",
}  # fmt: skip
QUIT_KEYS = ("q", "ctrl+q")
EXTRA = ["escape", "enter", "tab", "shift+tab", "backspace", "home", "end", "pageup",
         "pagedown", "ctrl+c", "f1", "x", "z", "0", "9"]  # fmt: skip
PROMPT_TEXT = [*"lr 0.05 bn off depth +1 b ? : *2 /0 nan", "space", "backspace"]  # no q


def tmux_name(key: str) -> str:
    """The tmux name of a Textual key. A name tmux does not know is typed letter by letter:
    "left_square_bracket" (time travel's ``[``) typed its "q" and quit the app mid-run."""
    if key in TMUX_NAMES:
        return TMUX_NAMES[key]
    if key.startswith("ctrl+"):
        return "C-" + key[5:]
    char = key_to_character(key)
    if char is not None and len(char) == 1:
        return char
    return key


def app_keys() -> list[str]:
    """Every key of the app's table except the quit keys, plus modal and unbound keys."""
    return [k.key for k in KEYS if k.key not in QUIT_KEYS] + EXTRA


def actions(rng: random.Random, n: int) -> list[tuple[str, object]]:
    """``n`` actions: ("keys", [names]) bursts and ("resize", (w, h))."""
    keys = app_keys()
    out: list[tuple[str, object]] = []
    count = 0
    while count < n:
        r = rng.random()
        if r < 0.08:
            out.append(("resize", (rng.randint(20, 200), rng.randint(8, 60))))
            count += 1
            continue
        if r < 0.14:  # a prompt session
            burst = ["colon", *rng.choices(PROMPT_TEXT, k=rng.randint(0, 10))]
            burst.append(rng.choice(["enter", "escape"]))
        elif r < 0.18:  # help
            burst = ["question_mark", *rng.choices(keys, k=rng.randint(1, 4)), "escape"]
        elif r < 0.24:  # the palette, with paging (the crash of issue 12 item 10)
            inner = rng.choices(["b", "n", "l", "pageup", "pagedown", "down", "up"], k=6)
            burst = ["ctrl+p", *inner, "escape"]
        else:
            burst = rng.choices(keys, k=rng.randint(1, 5))
        out.append(("keys", burst))
        count += len(burst)
    return out


@dataclass
class Result:
    seed: int
    actions: int = 0
    resizes: int = 0
    crashed: bool = False
    traceback: bool = False
    chart_failed: bool = False  # a chart's "chart failed to draw" placeholder was seen
    quit_seconds: float | None = None
    exit_status: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.crashed
            and not self.traceback
            and not self.chart_failed
            and self.quit_seconds is not None
            and self.quit_seconds < 1.0
            and self.exit_status == 0
        )


def run(seed: int, n_actions: int = 500, args: str = "", pause: float = 0.01) -> Result:
    """One stress run in a fresh pane; see the module docstring."""
    rng = random.Random(seed)
    result = Result(seed)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Pane(Path(tmp), 80, 24, env={"BNTUI_STATE_DIR": Path(tmp) / "state"}) as pane,
    ):
        pane.type(f"bntui --samples 400 {args} ; echo EXIT=$?")
        if not pane.wait_for("step", 30):
            result.crashed = True
            result.notes.append("no first frame")
            return result
        pid = pane.pid_of("bntui --samples")
        for kind, value in actions(rng, n_actions):
            if kind == "resize":
                pane.resize(*value)  # type: ignore[misc]
                result.resizes += 1
                result.actions += 1
            else:
                for key in value:  # type: ignore[union-attr]
                    pane.keys(tmux_name(key))
                    result.actions += 1
                    time.sleep(pause)
            if "chart failed to draw" in pane.text():
                result.chart_failed = True
            if not alive(pid):
                result.crashed = True
                result.notes.append(f"died after {result.actions} actions")
                break
        text = pane.text()
        result.traceback = "Traceback" in text
        if result.crashed:
            result.notes.append(text[-1500:])
            return result
        pane.resize(80, 24)
        for _ in range(4):  # leave the palette, help or the prompt (Esc, then Enter)
            pane.keys("Escape")
            time.sleep(0.15)
        time.sleep(0.5)
        start = time.monotonic()
        pane.keys("q")
        gone = wait_exit(pid, 5.0)
        if gone is None:  # q was text somewhere: close the prompt and try ctrl+q
            result.notes.append("q did not quit at once; ctrl+q. The pane:\n" + pane.text())
            pane.keys("C-q")
            wait_exit(pid, 5.0)
        else:
            result.quit_seconds = time.monotonic() - start
        result.exit_status = exit_code(pane)
        result.traceback = result.traceback or "Traceback" in pane.text()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--actions", type=int, default=500)
    p.add_argument("--args", default="", help="extra bntui flags, e.g. '--depth 8'")
    a = p.parse_args(argv)
    if not have_tmux():
        print("stress: needs tmux", file=sys.stderr)
        return 2
    failed = 0
    for seed in a.seeds:
        r = run(seed, a.actions, a.args)
        quit_s = f"{r.quit_seconds:.2f} s" if r.quit_seconds is not None else "-"
        print(
            f"seed {seed}: {'ok' if r.ok else 'FAILED'}  actions {r.actions}  resizes "
            f"{r.resizes}  crashed {r.crashed}  traceback {r.traceback}  chart failed "
            f"{r.chart_failed}  q→exit {quit_s}  "
            f"status {r.exit_status}",
            flush=True,
        )
        for note in r.notes:
            print("   ", note)
        failed += not r.ok
    print(f"{len(a.seeds) - failed}/{len(a.seeds)} runs ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
