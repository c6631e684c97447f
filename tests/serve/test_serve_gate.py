"""``bntui.cli.serve_gate``: secrets, Origin, sizes, page messages, the cap (no server)."""

from __future__ import annotations

import pytest

from bntui.cli import serve
from bntui.cli import serve_gate as gate
from bntui.tui import lifecycle


def test_each_page_has_its_own_secret():
    s = gate.Secrets("session")
    token = s.token()
    assert len(token) >= 43 and token != gate.Secrets("session").token()
    assert s.check(token) and s.check(token, "session")
    for wrong in (None, "", token[:-1], token + "x", token.upper(), "é" * 43):
        assert not s.check(wrong)
    teacher = s.add("teacher")  # a second page (the teacher's) adds its own secret
    assert teacher != token and s.add("teacher") == teacher
    assert s.check(teacher, "teacher")
    assert not s.check(teacher) and not s.check(token, "teacher")
    assert not s.check(token, "no-such-page")
    assert s.address("http://h:1/", "teacher", "/teacher") == f"http://h:1/teacher?token={teacher}"


PUBLIC = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("origin", "local", "ok"),
    [
        (None, "127.0.0.1", True),  # a program, not a page: it still needs the secret
        ("http://127.0.0.1:8000", "127.0.0.1", True),
        ("http://localhost:8000", "127.0.0.1", True),
        ("http://[::1]:8000", "127.0.0.1", True),
        ("http://evil.example", "127.0.0.1", False),
        ("http://evil.example:8000", "127.0.0.1", False),  # DNS rebinding
        ("https://127.0.0.1:8000", "127.0.0.1", False),
        ("http://127.0.0.1:8001", "127.0.0.1", False),
        ("http://127.0.0.1", "127.0.0.1", False),
        ("null", "127.0.0.1", False),
        ("file://", "127.0.0.1", False),
        ("garbage", "127.0.0.1", False),
        ("http://127.0.0.1:99999", "127.0.0.1", False),
        ("http://192.168.1.10:8000", "192.168.1.10", True),  # --host 0.0.0.0, reached by IP
        ("http://localhost:8000", "192.168.1.10", False),
        ("http://192.168.1.11:8000", "192.168.1.10", False),
        ("http://192.168.1.10:8000", "::ffff:192.168.1.10", True),  # --host :: (dual stack)
        ("http://127.0.0.1:8000", "::ffff:127.0.0.1", True),
        ("http://[fe80::1]:8000", "fe80::1", True),
    ],
)
def test_only_this_servers_own_page_may_open_a_session(origin, local, ok):
    assert gate.origin_allowed(origin, public_url=PUBLIC, port=8000, local_host=local) is ok


def test_the_public_url_is_an_origin_too():
    public = "https://lab.example"
    assert gate.origin_allowed("https://lab.example", public_url=public, port=8000)
    assert gate.origin_allowed("https://LAB.example:443", public_url=public, port=8000)
    assert not gate.origin_allowed("http://lab.example", public_url=public, port=8000)


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        (80, 24, (80, 24)),
        (100_000, 100_000, (500, 200)),
        (-5, 0, (10, 4)),
        ("120", " 40 ", (120, 40)),
        (81.7, 24.0, (81, 24)),
        (10**40, 3, (500, 4)),
        (-5, "x", None),
        (True, 24, None),
        (None, 24, None),
        (float("inf"), 24, None),
        (float("nan"), 24, None),
        ([80], 24, None),
    ],
)
def test_sizes_are_clamped_or_refused(width, height, size):
    assert gate.clamp_size(width, height) == size


def test_the_first_size_from_the_query():
    assert gate.query_size("100000", "100000") == (500, 200)
    assert gate.query_size(None, None) == (80, 24)
    assert gate.query_size("x", "-3") == (80, 4)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('["stdin", "b"]', ("stdin", "b")),
        ('["resize", {"width": 100000, "height": 30}]', ("resize", (500, 30))),
        ('["ping", "123"]', ("ping", "123")),
        ('["focus"]', ("focus", None)),
        ('["blur"]', ("blur", None)),
        ("not json", None),
        ("[]", None),
        ("{}", None),
        ('"stdin"', None),
        ('["stdin", 5]', None),
        ('["resize", {"width": -5, "height": "x"}]', None),
        ('["resize", [1, 2]]', None),
        ('["ping", {"a": 1}]', None),
        ('["no-such-message", 1]', None),
        ("[" * 100_000 + "]" * 100_000, None),  # too long
        ("[" * 20_000 + "]" * 20_000, None),  # too deep for json
    ],
)
def test_page_messages(text, parsed):
    assert gate.parse_message(text) == parsed


def test_the_default_cap_follows_cores_and_memory():
    gib = 2**30
    assert gate.default_max_sessions(cores=2, memory=24 * gib) == 4
    assert gate.default_max_sessions(cores=32, memory=16 * gib) == 24  # 12 GiB / 512 MiB
    assert gate.default_max_sessions(cores=8, memory=gib // 2) == 1
    assert gate.default_max_sessions(cores=8, memory=0) == 16  # memory unknown


def test_each_session_gets_a_share_of_memory(monkeypatch):
    gib = 2**30
    monkeypatch.delenv("BNTUI_MEMORY_LIMIT", raising=False)
    assert gate.session_memory_mib(4, memory=16 * gib) == 3072
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", "1000")  # the operator's own limit holds
    assert gate.session_memory_mib(4, memory=16 * gib) == 1000


def test_the_served_environment():
    env = serve.served_env("/tmp/bntui-serve-x", 700)
    assert env == {
        "BNTUI_SERVED": "1",
        "BNTUI_STATE_DIR": "/tmp/bntui-serve-x",
        "TMPDIR": "/tmp/bntui-serve-x",
        "BNTUI_MEMORY_LIMIT": "700",
    }
    assert serve.SERVED_ENV == lifecycle.SERVED_ENV


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::"])
def test_every_interface_warns_and_every_address_has_the_token(host):
    secrets = gate.Secrets()
    token = secrets.token()
    lines = serve.startup_lines(host, 8123, "http://lab:8123", secrets, 4)
    assert lines[0].startswith("bntui: warning: ")
    addresses = [line for line in lines if "http://" in line]
    assert addresses == [
        f"bntui serve: http://lab:8123/?token={token}  (each browser tab is its own session, "
        "4 at most; ctrl+c stops)",
        f"bntui serve: on this machine: http://127.0.0.1:8123/?token={token}",
    ]


def test_loopback_prints_one_address():
    secrets = gate.Secrets()
    lines = serve.startup_lines("127.0.0.1", 8000, "http://127.0.0.1:8000", secrets, 2)
    assert lines == [
        f"bntui serve: http://127.0.0.1:8000/?token={secrets.token()}  (each browser tab is "
        "its own session, 2 at most; ctrl+c stops)"
    ]
