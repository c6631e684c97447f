"""The issue 14 flags on the command line: --epochs, --test-fraction, the summary's two
training accuracies, the penalty column, and sweep --epochs."""

import json
import re

from bntui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_epochs_writes_whole_epochs_and_the_test_record(tmp_path, capsys):
    m = tmp_path / "m.jsonl"
    # 300 points: 60 validate, 30 test, 210 train = 3·64 + 18: four batches per epoch
    code, out, err = run(capsys, "run", "--samples", "300", "--test-fraction", "0.1", "-q",
                         "--epochs", "3", "--eval-every", "4", "--metrics", str(m))  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in m.read_text().splitlines()]
    steps, final = rows[:-1], rows[-1]
    assert len(steps) == 12 and [r["epoch"] for r in steps] == [1] * 4 + [2] * 4 + [3] * 4
    assert set(final) == {"step", "epoch", "test_loss", "test_acc"} and final["step"] == 12
    assert not any("test_acc" in r for r in steps)
    assert all("val_acc" in r for r in steps if r["step"] % 4 == 0)
    # train_eval_acc comes with every 10th evaluation (step 40, 80, ...): not in 12 steps
    assert not any("train_eval_acc" in r for r in steps)
    assert "done after 12 steps" in out and re.search(r"test +loss [0-9.]+ +acc [0-9.]+", out)
    assert "(last batch, train mode)" in out and "on all 210 (BN running statistics" in out


def test_steps_and_epochs_together_are_one_line_exit_2(capsys):
    code, _, err = run(capsys, "run", "--steps", "10", "--epochs", "2", "-q")
    assert code == 2 and err.strip() == "bntui: error: give --steps or --epochs, not both"


def test_epochs_on_the_command_line_replace_steps_from_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[config]\nsteps = 500\nsamples = 100\n")
    code, out, err = run(capsys, "run", "--config", str(cfg), "--epochs", "1", "-q")
    assert code == 0, err
    assert "done after 2 steps" in out  # 80 training rows: 64 + 16
    both = tmp_path / "both.toml"
    both.write_text("[config]\nsteps = 5\nepochs = 1\n")
    code, _, err = run(capsys, "run", "--config", str(both), "-q")
    assert code == 2 and "steps or epochs" in err


def test_csv_metrics_have_penalty_and_train_eval_columns(tmp_path, capsys):
    m = tmp_path / "m.csv"
    code, out, err = run(capsys, "run", "--steps", "20", "--eval-every", "2",
                         "--weight-decay", "0.1", "-q", "--metrics", str(m))  # fmt: skip
    assert code == 0, err
    lines = m.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["step", "epoch", "lr", "loss", "penalty"]
    assert "train_eval_acc" in header
    first = dict(zip(header, lines[1].split(","), strict=False))
    assert float(first["penalty"]) > float(first["loss"])  # λ/2‖W‖² of He weights, λ 0.1
    assert "+ penalty" in out


def test_sweep_accepts_epochs(tmp_path, capsys):
    d = tmp_path / "D"
    code, _, err = run(capsys, "sweep", "--param", "bn=on,off", "--epochs", "2",
                       "--samples", "300", "--jobs", "1", "--out", str(d), "-q")  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in (d / "results.jsonl").read_text().splitlines()]
    # 300 points, 60 validate, 240 train = 3·64 + 48: four batches an epoch
    assert [(r["steps"], r["epoch"]) for r in rows] == [(8, 2), (8, 2)]
