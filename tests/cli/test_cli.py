"""The command line: headless runs, outputs, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from bntui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_a_summary(capsys):
    code, out, _ = run(capsys, "run", "--steps", "300", "--quiet")
    assert code == 0
    assert "done after 300 steps" in out
    assert "val" in out and "L4" in out


def test_two_runs_write_identical_metrics(tmp_path, capsys):
    args = ["run", "--steps", "300", "--quiet", "--dropout", "0.1", "--do", "100:bn toggle"]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run(capsys, *args, "--metrics", str(a))[0] == 0
    assert run(capsys, *args, "--metrics", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    rows = [json.loads(line) for line in a.read_text().splitlines()]
    assert len(rows) == 300
    assert rows[100]["events"] == ["bn toggle"]
    assert "time" not in json.dumps(rows[0])


def test_metrics_csv_and_model(tmp_path, capsys):
    csv_path, model = tmp_path / "m.csv", tmp_path / "m.npz"
    code, _, _ = run(capsys, "run", "--steps", "60", "--quiet", "--metrics", str(csv_path),
                     "--save-model", str(model))  # fmt: skip
    assert code == 0
    header = csv_path.read_text().splitlines()[0].split(",")
    assert header[:5] == ["step", "epoch", "lr", "loss", "acc"] and "L1.grad_norm" in header
    with np.load(model, allow_pickle=False) as z:
        assert z["L1.W"].shape == (2, 32) and "L1.running_var" in z.files
        assert "depth = 4" in str(z["config_toml"])


def test_existing_output_is_not_overwritten(tmp_path, capsys):
    target = tmp_path / "keep.jsonl"
    target.write_text("mine\n")
    code, _, err = run(capsys, "run", "--steps", "10", "--quiet", "--metrics", str(target))
    assert code == 2 and "--force" in err
    assert target.read_text() == "mine\n"
    again = run(capsys, "run", "--steps", "10", "--quiet", "--metrics", str(target), "--force")
    assert again[0] == 0
    assert target.read_text().count("\n") == 10


def test_config_file_and_flags(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[config]\nactivation = "tanh"\ndepth = 2\n')
    code, out, _ = run(capsys, "run", "--config", str(cfg), "--depth", "3", "--steps", "20", "-q")
    assert code == 0 and "depth 3" in out and "tanh" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--activation", "foo"], "unknown activation 'foo'"),
        (["run", "--lr", "0"], "lr must be greater than 0"),
        (["run", "--lr", "abc"], "lr must be a number"),
        (["run", "--depth", "33"], "depth must be in 0..32"),
        (["run", "--width", "0"], "width must be in 1..1024"),
        (["run", "--width", "2000"], "width must be in 1..1024"),
        (["run", "--data", "/no/such.csv", "--target", "y"], "no such file"),
        (["run", "--config", "/no/such.toml"], "no such file"),
        (["run", "--do", "abc"], "--do expects STEP:COMMAND"),
        (["run", "--do", "5:bn maybe"], "bn: expected one of"),
        (["run", "--bogus"], "unrecognized arguments"),
        (["--fps", "0"], "--fps must be in 1..30"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("bntui: error: ") and message in err
    assert err.count("\n") == 1


def test_non_numeric_csv_target_is_an_error(tmp_path, capsys):
    path = tmp_path / "t.csv"
    rows = ["a,b,y"] + [f"{i},{i * 2},{i * 0.37}" for i in range(120)]
    path.write_text("\n".join(rows) + "\n")
    code, _, err = run(capsys, "run", "--data", str(path), "--target", "y", "--steps", "5")
    assert code == 2 and err.startswith("bntui: error: ") and "t.csv" in err


def test_cli_subprocess_prints_no_traceback():
    out = subprocess.run(
        [sys.executable, "-m", "bntui.cli", "run", "--activation", "nope"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("bntui: error:")


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and "bntui 0.1.0" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--no-bn" in capsys.readouterr().out


def test_titanic_style_csv_trains_end_to_end(tmp_path, capsys):
    """Seed 001: a user's own Titanic CSV, with missing ages and a categorical column."""
    rng = np.random.default_rng(3)
    lines = ["PassengerId,Name,Pclass,Sex,Age,Fare,Embarked,Survived"]
    for i in range(300):
        pclass, female = int(rng.integers(1, 4)), bool(rng.random() < 0.4)
        age = "" if rng.random() < 0.2 else f"{rng.uniform(1, 70):.0f}"
        fare = rng.uniform(5, 100) / pclass
        survived = int(rng.random() < (0.75 if female else 0.2) + (0.1 if pclass == 1 else 0))
        embarked = "" if i == 7 else "SCQ"[i % 3]
        sex = "female" if female else "male"
        lines.append(f"{i + 1},Person {i},{pclass},{sex},{age},{fare:.2f},{embarked},{survived}")
    path = tmp_path / "titanic.csv"
    path.write_text("\n".join(lines) + "\n")
    features = "Pclass,Sex,Age,Fare,Embarked"
    argv = ["run", "--data", str(path), "--target", "Survived", "--features", features]
    code, out, err = run(capsys, *argv, "--depth", "1", "--width", "8", "--steps", "300", "-q")
    assert code == 0, err
    assert "Age:" in out and "imputed" in out  # the imputation count is reported
    val_acc = float(out.split("val")[1].split("acc")[1].split()[0])
    assert val_acc > 0.65  # well above the 0.5 of guessing: sex carries the signal


def test_outputs_follow_the_umask(tmp_path, capsys):
    import os

    old = os.umask(0o022)
    try:
        path = tmp_path / "m.jsonl"
        assert run(capsys, "run", "--steps", "5", "-q", "--metrics", str(path))[0] == 0
    finally:
        os.umask(old)
    from bntui.export import FILE_MODE

    assert path.stat().st_mode & 0o777 == FILE_MODE
    assert FILE_MODE & 0o044  # group/other can read under the usual umask


def test_run_do_applies_the_command_at_the_last_step(tmp_path, capsys):
    """--do at the run's last step is applied (the one player plays the last boundary)."""
    out_file = tmp_path / "m.npz"
    code, out, _ = run(
        capsys, "run", "--steps", "40", "--quiet", "--depth", "1", "--width", "4",
        "--do", "40:bn off", "--save-model", str(out_file),
    )  # fmt: skip
    assert code == 0
    assert "done after 40 steps" in out and "BN off" in out  # the net line shows the end state
    with np.load(out_file) as arrays:
        assert not any(k.endswith("running_mean") for k in arrays.files)  # no BN in the model


def test_python_dash_m_bntui_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bntui", "run", "--steps", "5", "--quiet", "--depth", "1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "done after 5 steps" in out.stdout


@pytest.mark.parametrize(
    ("norm", "named"),
    [
        ("bn", "BN on (before)"),
        ("ln", "LN (before)"),
        ("gn", "GN:4 (before)"),
        ("gn:2", "GN:2 (before)"),
        ("brn", "BRN (before)"),
        ("noisy-bn", "noisy BN (before)"),
        ("none", "BN off"),
    ],
)
def test_run_trains_with_every_norm(norm, named, tmp_path, capsys):
    """`bntui run --norm X --steps 50` trains (finite, falling loss) and names X."""
    path = tmp_path / "m.jsonl"
    code, out, _ = run(capsys, "run", "--norm", norm, "--steps", "50", "--metrics", str(path))
    assert code == 0 and "done after 50 steps" in out
    assert named in out
    losses = [json.loads(line)["loss"] for line in path.read_text().splitlines()]
    assert len(losses) == 50 and all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < np.mean(losses[:10])


def test_run_refuses_an_unknown_norm(capsys):
    code, _, err = run(capsys, "run", "--norm", "gn:5", "--steps", "5")
    assert code == 2 and err.startswith("bntui: error:") and "groups" in err
    assert "Traceback" not in err


def test_run_do_says_what_changed_nothing_and_what_had_no_statistics(capsys):
    """A command that changed nothing gets no "before → after" line; a command followed by
    another before any statistics says so, not that the run ended."""
    code, out, _ = run(
        capsys, "run", "--steps", "60", "--quiet", "--no-bn",
        "--do", "10:bn-position after", "--do", "20:bn on", "--do", "21:lr 0.05",
    )  # fmt: skip
    assert code == 0
    lines = out[out.index("applied commands") :].splitlines()
    position = next(i for i, line in enumerate(lines) if "bn-position after" in line)
    assert "no effect" in " ".join(lines[position : position + 2])
    assert "val acc" not in lines[position + 1] or "no effect" in lines[position + 1]
    bn_on = next(i for i, line in enumerate(lines) if "bn on:" in line)
    assert "no statistics before the next command" in lines[bn_on + 1]
    assert "the run ended" not in out
