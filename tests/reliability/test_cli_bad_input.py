"""Every bad-input case of issues 3-7, through the real CLI in a subprocess.

Each case must end with exactly one line ``bntui: error: …`` on stderr, exit status 2,
and no Python traceback anywhere; files it was asked to write must not appear half-done.
"""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

TINY = ["--samples", "60", "--depth", "1", "--width", "4", "--batch-size", "8", "-q"]


def _idx(path: Path, array: np.ndarray, code: int = 0x08) -> None:
    """Write an IDX file by hand (magic 0,0,type,ndim; big-endian uint32 dims; data)."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(">u1").tobytes())


def make_fixtures(d: Path) -> None:
    """The broken inputs, built from scratch (no file is copied from the project)."""
    (d / "fine.csv").write_text("a,b,t\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    (d / "nonnumeric_target.csv").write_text("a,b,t\n1,2,0\n3,4,1\n5,6,1e400\n")
    (d / "single_class.csv").write_text("a,b,t\n1,2,0\n3,4,0\n5,6,0\n")
    (d / "truncated.csv").write_text("a,b,t\n1,2,0\n3,4,1\n5,6")
    (d / "empty.csv").write_text("")
    (d / "header_only.csv").write_text("a,b,t\n")
    (d / "latin1.csv").write_bytes("a,b,t\n1,2,é\n3,4,ü\n".encode("latin-1"))
    (d / "binary.csv").write_bytes(bytes(range(256)) * 4)

    images = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
    for name, mutate in {
        "idx_truncated": lambda p: p.write_bytes(p.read_bytes()[:-7]),
        "idx_bad_magic": lambda p: p.write_bytes(b"\x01\x02" + p.read_bytes()[2:]),
        "idx_bad_type": lambda p: p.write_bytes(p.read_bytes()[:2] + b"\x42" + p.read_bytes()[3:]),
        "idx_gzip_corrupt": None,
        "idx_count_mismatch": None,
        "idx_empty_file": lambda p: p.write_bytes(b""),
    }.items():
        sub = d / name
        sub.mkdir()
        img, lab = sub / "train-images-idx3-ubyte", sub / "train-labels-idx1-ubyte"
        _idx(img, images)
        _idx(lab, labels[:5] if name == "idx_count_mismatch" else labels)
        if name == "idx_gzip_corrupt":
            data = gzip.compress(img.read_bytes())
            img.unlink()
            (sub / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
        elif mutate is not None:
            mutate(img)
    (d / "no_idx").mkdir()

    np.savez(d / "good.npz", x=np.zeros((10, 2)), y=np.arange(10) % 2)
    raw = (d / "good.npz").read_bytes()
    (d / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    (d / "not_zip.npz").write_bytes(b"this is not a zip archive at all")
    np.savez(d / "pickled.npz", x=np.array([{"a": 1}] * 10, dtype=object), y=np.arange(10) % 2)
    np.savez(d / "no_keys.npz", a=np.zeros(3))
    np.savez(d / "mismatch.npz", x=np.zeros((10, 2)), y=np.arange(7) % 2)

    (d / "bad_syntax.toml").write_text("depth = \n[config\n")
    (d / "unknown_key.toml").write_text("[config]\ndepht = 3\n")
    (d / "wrong_type.toml").write_text("[config]\ndepth = 'deep'\n")
    script = '[config]\nsteps = 10\n[[event]]\nat = 5\ndo = ["bn sideways"]\n'
    (d / "bad_script.toml").write_text(script)
    (d / "script_syntax.toml").write_text('title = "x"\n[[event]\nat = 1\n')
    (d / "exists.jsonl").write_text("keep me\n")


# (id, argv) — every one must fail cleanly with status 2
CASES: list[tuple[str, list[str]]] = [
    # issue 3: flags
    ("unknown-activation", ["run", "--activation", "swish", *TINY]),
    ("lr-zero", ["run", "--lr", "0", *TINY]),
    ("lr-negative", ["run", "--lr=-0.5", *TINY]),
    ("lr-nan", ["run", "--lr", "nan", *TINY]),
    ("lr-text", ["run", "--lr", "fast", *TINY]),
    ("depth-33", ["run", "--depth", "33", "-q"]),
    ("depth-negative", ["run", "--depth=-1", "-q"]),
    ("width-0", ["run", "--width", "0", "-q"]),
    ("width-1025", ["run", "--width", "1025", "-q"]),
    ("batch-size-0", ["run", "--batch-size", "0", "-q"]),
    ("dropout-1", ["run", "--dropout", "1", *TINY]),
    ("init-std-0", ["run", "--init", "std:0", *TINY]),
    ("init-unknown", ["run", "--init", "lecun", *TINY]),
    ("seed-negative", ["run", "--seed=-3", *TINY]),
    ("samples-too-few", ["run", "--samples", "5", "-q"]),
    ("steps-negative", ["run", "--steps=-1", *TINY]),
    ("unknown-dataset", ["run", "--dataset", "spirals", *TINY]),
    ("mnist-not-downloaded", ["run", "--dataset", "mnist", *TINY]),
    ("unknown-flag", ["run", "--depht", "3"]),
    ("do-no-step", ["run", "--do", "bn off", *TINY]),
    ("do-unknown-command", ["run", "--do", "5:frobnicate", *TINY]),
    ("do-bad-value", ["run", "--do", "5:depth 99", *TINY]),
    ("fps-zero", ["tui", "--fps", "0"]),
    ("data-download-unknown", ["data", "download", "cifar"]),
    # issue 3/4: data files
    ("csv-missing-file", ["run", "--data", "{d}/missing.csv", "--target", "t", *TINY]),
    ("csv-nonnumeric-target", ["run", "--data", "{d}/nonnumeric_target.csv", "--target", "t"]),
    ("csv-single-class", ["run", "--data", "{d}/single_class.csv", "--target", "t", "-q"]),
    ("csv-truncated", ["run", "--data", "{d}/truncated.csv", "--target", "t", "-q"]),
    ("csv-empty", ["run", "--data", "{d}/empty.csv", "-q"]),
    ("csv-header-only", ["run", "--data", "{d}/header_only.csv", "-q"]),
    ("csv-not-utf8", ["run", "--data", "{d}/latin1.csv", "--target", "t", "-q"]),
    ("csv-binary", ["run", "--data", "{d}/binary.csv", "-q"]),
    ("csv-unknown-target", ["run", "--data", "{d}/fine.csv", "--target", "nope", "-q"]),
    ("target-on-npz", ["run", "--data", "{d}/good.npz", "--target", "t", "-q"]),
    ("unknown-file-kind", ["run", "--data", "{d}/bad_syntax.toml", "-q"]),
    ("idx-truncated", ["run", "--data", "{d}/idx_truncated", "-q"]),
    ("idx-bad-magic", ["run", "--data", "{d}/idx_bad_magic", "-q"]),
    ("idx-bad-type", ["run", "--data", "{d}/idx_bad_type", "-q"]),
    ("idx-gzip-corrupt", ["run", "--data", "{d}/idx_gzip_corrupt", "-q"]),
    ("idx-count-mismatch", ["run", "--data", "{d}/idx_count_mismatch", "-q"]),
    ("idx-empty-file", ["run", "--data", "{d}/idx_empty_file", "-q"]),
    ("idx-no-files", ["run", "--data", "{d}/no_idx", "-q"]),
    ("npz-truncated", ["run", "--data", "{d}/truncated.npz", "-q"]),
    ("npz-not-zip", ["run", "--data", "{d}/not_zip.npz", "-q"]),
    ("npz-pickled", ["run", "--data", "{d}/pickled.npz", "-q"]),
    ("npz-missing-arrays", ["run", "--data", "{d}/no_keys.npz", "-q"]),
    ("npz-length-mismatch", ["run", "--data", "{d}/mismatch.npz", "-q"]),
    # config files
    ("config-missing", ["run", "--config", "{d}/nope.toml", *TINY]),
    ("config-bad-toml", ["run", "--config", "{d}/bad_syntax.toml", *TINY]),
    ("config-unknown-key", ["run", "--config", "{d}/unknown_key.toml", *TINY]),
    ("config-wrong-type", ["run", "--config", "{d}/wrong_type.toml", *TINY]),
    ("config-is-dir", ["run", "--config", "{d}/no_idx", *TINY]),
    # outputs
    ("output-exists", ["run", "--metrics", "{d}/exists.jsonl", *TINY]),
    ("output-missing-dir", ["run", "--metrics", "{d}/no/such/dir/m.jsonl", *TINY]),
    ("output-is-dir", ["run", "--metrics", "{d}/no_idx", "--force", *TINY]),
    ("model-exists", ["run", "--save-model", "{d}/good.npz", *TINY]),
    # replay (issue 5)
    ("replay-missing-script", ["replay", "{d}/nope.toml", "--headless"]),
    ("replay-unknown-lesson", ["replay", "no-such-lesson", "--headless"]),
    ("replay-bad-command", ["replay", "{d}/bad_script.toml", "--headless"]),
    ("replay-bad-toml", ["replay", "{d}/script_syntax.toml", "--headless"]),
    # terminals (issue 7): no TTY for the live view
    ("tui-stdout-piped", ["--depth", "2"]),
    ("replay-live-piped", ["replay", "{d}/bad_script.toml"]),
]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad_input")
    make_fixtures(d)
    return d


def run_cli(argv: list[str], cwd: Path, env: dict | None = None, preexec=None, timeout=60):
    full_env = {**os.environ, "BNTUI_CACHE_DIR": str(cwd / "cache"), **(env or {})}
    full_env.pop("BNTUI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
    )


def assert_clean_error(result: subprocess.CompletedProcess, label: str) -> str:
    both = result.stdout + result.stderr
    assert "Traceback" not in both, f"{label}: traceback\n{both}"
    lines = result.stderr.splitlines()
    assert result.returncode == 2, f"{label}: exit {result.returncode}\n{both}"
    assert len(lines) == 1, f"{label}: stderr is not one line: {lines}"
    assert lines[0].startswith("bntui: error: "), f"{label}: {lines[0]!r}"
    assert len(lines[0]) > len("bntui: error: ") + 5
    return lines[0]


@pytest.fixture(scope="module")
def results(fixtures) -> dict[str, subprocess.CompletedProcess]:
    """Every case run once, four at a time (each in a fresh interpreter)."""
    jobs = [(name, [a.replace("{d}", str(fixtures)) for a in argv]) for name, argv in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda job: run_cli(job[1], fixtures), jobs))
    return {name: result for (name, _), result in zip(jobs, done, strict=True)}


def test_every_bad_input_gives_one_line_and_status_2(fixtures, results):
    failures = []
    for name, result in results.items():
        try:
            assert_clean_error(result, name)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n\n".join(failures)
    assert (fixtures / "exists.jsonl").read_text() == "keep me\n"  # not overwritten
    leftovers = [p.name for p in fixtures.rglob(".*") if p.is_file()]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("npz-pickled", "pickle"),
        ("csv-nonnumeric-target", "non-numeric"),
        ("output-exists", "--force"),
        ("config-unknown-key", "depht"),
        ("depth-33", "0..32"),
        ("tui-stdout-piped", "terminal"),
        ("replay-bad-command", "bn"),
        ("mnist-not-downloaded", "bntui data download mnist"),
    ],
)
def test_messages_say_what_is_wrong(results, name, needle):
    assert needle in assert_clean_error(results[name], name)


def test_regression_truncated_npz_is_a_data_error(results):
    """zipfile.BadZipFile used to escape as an internal error (exit 1)."""
    assert "not a readable .npz file" in assert_clean_error(results["npz-truncated"], "npz")


def test_term_dumb_gets_a_message(fixtures):
    """With a TTY missing and TERM=dumb alike, the live view refuses in one line."""
    result = run_cli(["--paused"], fixtures, env={"TERM": "dumb"})
    assert_clean_error(result, "TERM=dumb")


def test_debug_shows_the_traceback(fixtures):
    """--debug is the one way to see a traceback (for bug reports)."""
    result = run_cli(["--debug", "run", "--data", str(fixtures / "pickled.npz"), "-q"], fixtures)
    assert result.returncode != 0 and "Traceback" in result.stderr


def _full_disk() -> None:
    # the child may write at most 4 KB per file; further writes fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_full_disk_mid_run_is_reported_and_leaves_no_file(tmp_path):
    target = tmp_path / "m.jsonl"
    result = run_cli(
        ["run", "--steps", "400", "--metrics", str(target), *TINY], tmp_path, preexec=_full_disk
    )
    line = assert_clean_error(result, "full disk")
    assert "m.jsonl" in line and "cannot write" in line
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory even root cannot write into (the immutable attribute), or skip."""
    d = tmp_path / "ro"
    d.mkdir()
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(d)], capture_output=True).returncode:
        if os.geteuid() == 0:
            pytest.skip("no way to make a read-only directory for root here")
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    yield d
    subprocess.run([chattr, "-i", str(d)], check=True)


def test_read_only_output_dir_is_reported(read_only_dir):
    for flag, name in (("--metrics", "m.jsonl"), ("--save-model", "w.npz")):
        result = run_cli(["run", flag, str(read_only_dir / name), *TINY], read_only_dir.parent)
        line = assert_clean_error(result, f"read-only {flag}")
        assert name in line or "ro" in line
    assert list(read_only_dir.iterdir()) == []
