"""``bntui serve`` arguments: what a tab runs, what is refused, the exposure warning."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from bntui.cli import build_parser, check_served, serve


def parse(argv: list[str]):
    return build_parser().parse_args(argv)


@pytest.mark.parametrize(
    ("given", "argv"),
    [
        ([], ["tui"]),
        (["--depth", "6", "--no-bn"], ["tui", "--depth", "6", "--no-bn"]),
        (["tui", "--paused"], ["tui", "--paused"]),
        (["replay", "covariate-shift"], ["replay", "covariate-shift"]),
        (["--", "--ascii"], ["tui", "--ascii"]),
    ],
)
def test_the_app_arguments(given, argv):
    assert serve.app_argv(given) == argv


def test_the_main_parser_passes_what_follows_the_double_dash():
    ns = parse(["serve", "--port", "9000", "--", "--depth", "6", "--lr", "0.5"])
    assert (ns.cmd, ns.port, ns.host, ns.font_size) == ("serve", 9000, "127.0.0.1", 16)
    assert ns.app_args == ["--depth", "6", "--lr", "0.5"]
    ns = parse(["serve", "--", "replay", "covariate-shift", "--speed", "50"])
    assert serve.app_argv(ns.app_args) == ["replay", "covariate-shift", "--speed", "50"]


@pytest.mark.parametrize("first", ["run", "data", "demos", "serve"])
def test_only_the_live_app_or_a_replay_is_served(first):
    with pytest.raises(serve.ServeError, match=f"not `bntui {first}`"):
        serve.app_argv([first])


@pytest.mark.parametrize("flag", ["-h", "--help", "--version"])
def test_help_and_version_are_not_served(flag):
    with pytest.raises(serve.ServeError):
        serve.app_argv(["--depth", "2", flag])


def test_app_arguments_are_checked_before_serving():
    check = serve.check_app_args
    assert check(["tui", "--depth", "3"], parse, check_served).depth == "3"
    with pytest.raises(serve.ServeError, match="drop --headless"):
        check(["replay", "covariate-shift", "--headless"], parse, check_served)
    with pytest.raises(serve.ServeError, match=r"ctrl\+s downloads"):
        check(["tui", "--record", "lesson.toml"], parse, check_served)
    with pytest.raises(serve.ServeError, match="--fps"):
        check(["tui", "--fps", "100"], parse, check_served)
    with pytest.raises(Exception, match="depth"):
        check(["tui", "--depth", "99"], parse, check_served)
    with pytest.raises(Exception, match="no-such-lesson"):
        check(["replay", "no-such-lesson"], parse, check_served)


def test_the_served_command_is_this_python_running_bntui():
    cmd = serve.served_command(["tui", "--data", "my file.csv", "--do", "x;rm -rf /"])
    assert cmd.startswith("exec ")
    assert shlex.split(cmd[len("exec ") :]) == [
        sys.executable,
        "-m",
        "bntui",
        "tui",
        "--data",
        "my file.csv",
        "--do",
        "x;rm -rf /",
    ]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
def test_loopback_is_quiet(host):
    assert serve.is_loopback(host)
    assert serve.exposure_warning(host, 8000) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.10", "lab.example.org"])
def test_anything_else_warns_in_one_line(host):
    text = serve.exposure_warning(host, 8123)
    assert text is not None and "\n" not in text
    assert text.startswith("bntui: warning: ") and "anyone who can reach port 8123" in text


def run_cli(argv: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TEXTUAL_DRIVER", "BNTUI_DEBUG")}
    env["BNTUI_CACHE_DIR"] = str(tmp_path / "cache")
    return subprocess.run(
        [sys.executable, "-m", "bntui", *argv],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["serve", "--port", "70000"], "--port must be in 0..65535"),
        (["serve", "--port", "eighty"], "invalid int value"),
        (["serve", "--font-size", "2"], "--font-size must be in 6..64"),
        (["serve", "--public-url", "lab:8000"], "--public-url must start with http"),
        (["serve", "--max-sessions", "0"], "--max-sessions must be in 1..1000"),
        (["serve", "--max-sessions", "5000"], "--max-sessions must be in 1..1000"),
        # each tab is held to its share of the memory: refused once, at start
        (
            [
                "serve",
                "--max-sessions",
                "1000",
                "--",
                "--width",
                "1024",
                "--depth",
                "32",
                "--batch-size",
                "65536",
            ],
            "needs about",
        ),
        (["serve", "--", "--depht", "3"], "unrecognized arguments: --depht"),
        (["serve", "--", "--depth", "99"], "depth"),
        (["serve", "--", "run"], "not `bntui run`"),
        (["serve", "--", "replay", "nope"], "nope"),
    ],
)
def test_bad_serve_input_is_one_line_and_status_2(argv, needle, tmp_path):
    r = run_cli(argv, tmp_path)
    assert "Traceback" not in r.stdout + r.stderr
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bntui: error: "), lines
    assert needle in lines[0]


def test_a_port_in_use_is_one_line(tmp_path):
    pytest.importorskip("textual_serve")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_cli(["serve", "--port", str(port)], tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"bntui: error: cannot listen on 127.0.0.1:{port}"
    )
